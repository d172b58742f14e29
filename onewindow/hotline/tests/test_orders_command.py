"""``onewindow orders verify`` finds a tampered order log and passes an intact one."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from onewindow.hotline.models import WorkOrderEvent
from onewindow.hotline.tests.order_factories import catalogue, new_order

pytestmark = pytest.mark.django_db


def test_verify_passes_then_finds_the_edited_event(regions: Any, people: Any) -> None:
    cats = catalogue(regions)
    order = new_order(people["operator"], cats["food"], regions["d1"])
    out = StringIO()
    call_command("orders", "verify", stdout=out)
    assert "已校验 1 张工单" in out.getvalue()
    WorkOrderEvent.objects.filter(order=order).update(data={"forged": True})
    with pytest.raises(CommandError) as err:
        call_command("orders", "verify")
    assert order.order_no in str(err.value)
