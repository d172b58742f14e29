"""The demo city loads into an empty database, refuses a non-empty one, and is complete."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Applicant, Role, RoleAssignment, User
from onewindow.cases import audit, selectors
from onewindow.cases.demo import form_data_for
from onewindow.cases.forms_schema import clean_form_data
from onewindow.cases.models import (
    AuditAnchor,
    Case,
    CaseEvent,
    CaseMaterial,
    ClockStop,
    DeliveryMethod,
    Task,
)
from onewindow.cases.workflow import CaseState
from onewindow.catalog.models import Authorisation, BasicItem, ServiceItem
from onewindow.regions.models import Region, RegionLevel
from onewindow.workdays.selectors import get_calendar


@pytest.mark.django_db
def test_demo_loads_a_complete_city_and_refuses_to_load_twice(capsys, settings, tmp_path, client):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo")
    out = capsys.readouterr().out
    assert "演示数据已载入" in out
    assert "件演示办件" in out
    assert {r.level for r in Region.objects.all()} == {level.value for level in RegionLevel}
    assert {ra.role for ra in RoleAssignment.objects.all()} == {r.value for r in Role}
    published = ServiceItem.objects.filter(current_version__isnull=False)
    assert published.count() >= 60
    assert BasicItem.objects.count() >= 60
    # 三级四同: some basic items are implemented in more than one region.
    assert any(b.implementations.count() > 1 for b in BasicItem.objects.all())
    # Every item has the six public items filled in.
    for item in published.select_related("current_version", "basic"):
        v = item.current_version
        assert item.basic.legal_basis and v.acceptance_conditions and v.procedure, item
        assert v.materials.exists(), item
        assert v.place and v.hours and v.consult_phone and v.complaint_phone, item
    assert Authorisation.objects.exists()
    assert Applicant.objects.filter(kind="organisation").exists()
    accounts = (tmp_path / "demo-accounts.txt").read_text(encoding="utf-8")
    assert "工作人员密码" in accounts
    _assert_demo_cases(client)

    with pytest.raises(CommandError, match="不是空的"):
        call_command("demo")
    call_command("demo", "--if-empty")
    assert "跳过" in capsys.readouterr().out


def _assert_demo_cases(client: Any) -> None:
    """A few hundred cases, made through the services, in every state, with an intact log."""
    cases = Case.objects.select_related("version", "item")
    assert set(cases.values_list("state", flat=True)) == set(CaseState.values)
    checked, broken = audit.verify_all()
    assert broken is None, str(broken)
    assert checked == cases.count() >= 250
    assert AuditAnchor.objects.exists()

    # In review: on time, due within a working day (yellow card) and overdue (red card).
    levels = {selectors.urgency(c.promised_due).level
              for c in cases.filter(state=CaseState.IN_REVIEW)}
    assert {"ok", "yellow", "red"} <= levels
    # Suspended by a supplement request and by special procedures.
    stops = set(ClockStop.objects.filter(ended_on__isnull=True, case__state=CaseState.SUSPENDED)
                .values_list("kind", flat=True))
    assert "supplement" in stops and stops - {"supplement"}
    assert ClockStop.objects.filter(ended_on__isnull=False).exists()  # resumed ones
    # Decided both ways, and completed by every delivery method.
    outcomes = set(cases.exclude(decision="").values_list("state", "decision"))
    assert {("decided", "approved"), ("decided", "denied"), ("completed", "approved"),
            ("completed", "denied")} <= outcomes
    assert set(cases.filter(state=CaseState.COMPLETED).values_list("delivery_method", flat=True)
               ) == set(DeliveryMethod.values)
    # 容缺受理: some still owe the material in review, others supplied it before delivery.
    assert CaseMaterial.objects.filter(status="tolerated", case__state=CaseState.IN_REVIEW).exists()
    assert CaseEvent.objects.filter(action="supply_tolerated").exists()
    # 当场办结 by a chief representative, only for instant items within the authorisation.
    on_spot = CaseEvent.objects.filter(action="decide_on_spot").select_related("case", "actor")
    assert on_spot.exists()
    for event in on_spot:
        assert event.case.is_instant
        assert Authorisation.objects.filter(holder=event.actor, items=event.case.item).exists()
    # Three-step processes (审查 → 审核 → 决定) ran to the end for some cases.
    assert Task.objects.filter(seq=3, state="done", role=Role.DEPARTMENT_HEAD).exists()
    # The demo's own staff acted, each within their scope.
    window_events = CaseEvent.objects.filter(action__in=["accept", "refuse", "deliver"])
    for event in window_events.select_related("actor", "case__region", "case__department"):
        assert access.can(event.actor, Perm.CASE_ACCEPT, region=event.case.region,
                          department=event.case.department)

    # History on working days, in office hours, over about four months.
    cal = get_calendar()
    today = timezone.localdate()
    for at in CaseEvent.objects.values_list("created_at", flat=True):
        local = timezone.localtime(at)
        assert cal.is_workday(local.date()), local
        assert dt.time(9) <= local.time() < dt.time(12) or (
            dt.time(13, 30) <= local.time() < dt.time(17, 30)), local
        assert today - dt.timedelta(days=150) <= local.date() <= today
    assert cases.values("item").distinct().count() >= 20
    assert cases.values("region").distinct().count() >= 4
    assert cases.values("applicant").distinct().count() >= 20

    # Every submitted form passes its item's schema; and the generator fits every item.
    for case in cases.exclude(state=CaseState.DRAFT):
        clean_form_data(case.version.form_schema, case.form_data, complete=True)
    rng = random.Random(1)
    person = Applicant.objects.filter(kind="person").first()
    org = Applicant.objects.filter(kind="organisation").first()
    assert person is not None and org is not None
    for item in ServiceItem.objects.filter(current_version__isnull=False).select_related(
        "current_version", "basic", "region"
    ):
        version = item.current_version
        assert version is not None
        for applicant in (person, org):
            data = form_data_for(item, version, applicant, on=today, rng=rng)
            clean_form_data(version.form_schema, data, complete=True)

    # A demo applicant sees their own cases, and only those.
    user = User.objects.get(phone="13905391001")
    mine = selectors.cases_for_applicant(user=user)
    assert mine.count() >= 5
    client.force_login(user)
    page = client.get("/my/cases/")
    assert page.status_code == 200
    html = page.content.decode()
    assert mine.first().case_no in html
    others = cases.exclude(applicant__user=user).exclude(created_by=user).first()
    assert others is not None and others.case_no not in html
    detail = client.get(f"/my/cases/{mine.first().case_no}/")
    assert detail.status_code == 200
    assert client.get(f"/my/cases/{others.case_no}/").status_code == 404
