"""The demo loader makes a catalogue and orders in every state, through the services."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.models import Role
from onewindow.hotline import order_audit
from onewindow.hotline.demo_orders import load_demo_orders
from onewindow.hotline.models import DispatchCategory, OrderState, WorkOrder
from onewindow.regions.models import Department

pytestmark = pytest.mark.django_db


def test_demo_orders_cover_every_state_and_keep_the_chain(regions: Any, departments: Any,
                                                          make_staff: Any) -> None:
    for region in (regions["city"], regions["d1"], regions["d2"]):
        for code, name in (("CGJ", "城管"), ("STHJJ", "环保"), ("ZJJ", "住建"), ("RSJ", "人社"),
                           ("WJW", "卫健"), ("JTJ", "交通"), ("JYJ", "教育"), ("ZWB", "审批"),
                           ("SCJG", "市场")):
            Department.objects.get_or_create(region=region, code=code,
                                             defaults={"name": f"{region.name}{name}"})
    make_staff(Role.OPERATOR, regions["city"], username="operator_city")
    result = load_demo_orders(count=60)
    assert DispatchCategory.objects.filter(code="SC-SP", parent__code="SC").exists()
    assert result.orders == 60
    states = set(WorkOrder.objects.values_list("state", flat=True))
    assert {OrderState.REGISTERED, OrderState.DISPATCHED, OrderState.OBJECTED,
            OrderState.SIGNED, OrderState.REPLIED, OrderState.CLOSED} <= states
    assert WorkOrder.objects.filter(direct=True).exists()
    assert WorkOrder.objects.filter(reopen_count=1).exists()
    assert order_audit.verify_all_orders() == (60, None)
    assert load_demo_orders().skipped  # idempotent
    assert WorkOrder.objects.count() == 60
