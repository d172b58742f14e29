"""四级联动 in supervision: a hop not received in time raises one alert."""

from __future__ import annotations

import datetime as dt

import pytest

from onewindow.cases import services
from onewindow.cases.tests.test_linkage import levels, station_case  # noqa: F401 - fixtures
from onewindow.supervision.models import Alert, AlertKind
from onewindow.supervision.services import supervision_scan

pytestmark = pytest.mark.django_db


def test_a_late_hop_raises_one_supervision_alert(world, levels, time_machine):  # noqa: F811
    case = station_case(world, levels)
    hop = services.case_forward(actor=levels.village_clerk, case=case)
    supervision_scan()  # the first scan catches up quietly
    assert not Alert.objects.filter(kind=AlertKind.HOP_LATE).exists()
    time_machine.move_to(dt.datetime.combine(hop.due + dt.timedelta(days=1), dt.time(2),
                                             tzinfo=dt.UTC), tick=False)
    supervision_scan()
    supervision_scan()  # idempotent: one alert per late hop
    alert = Alert.objects.get(kind=AlertKind.HOP_LATE)
    assert (alert.case_id, alert.due, alert.department_id) == (case.pk, hop.due,
                                                                case.department_id)
    assert "未在" in alert.detail and world.regions["d1"].name in alert.detail
