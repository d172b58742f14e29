"""Helpers for work-order tests: a dispatch catalogue and people of the centre and departments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from onewindow.core import clock
from onewindow.hotline import orders
from onewindow.hotline.models import DispatchCategory, DispatchRule, OrderChannel, WorkOrder


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def catalogue(regions: dict[str, Any]) -> dict[str, DispatchCategory]:
    food = DispatchCategory.objects.create(code="SC-SP", name="食品安全")
    DispatchRule.objects.create(category=food, level="district", department_code="SCJG")
    DispatchRule.objects.create(category=food, level="city", department_code="SCJG")
    health = DispatchCategory.objects.create(code="WS-YL", name="医疗卫生")
    DispatchRule.objects.create(category=health, level="city", department_code="WJW")
    gas = DispatchCategory.objects.create(code="AQ-RQ", name="燃气泄漏", urgency="urgent",
                                          urgent_sign_hours=Decimal("0.5"),
                                          urgent_reply_hours=24)
    DispatchRule.objects.create(category=gas, region=regions["city"], department_code="SCJG")
    return {"food": food, "health": health, "gas": gas}


def new_order(operator: Any, category: DispatchCategory, region: Any, **kw: Any) -> WorkOrder:
    data = {
        "channel": OrderChannel.PHONE, "description": "湖滨路小吃店后厨卫生很差，有老鼠出没。",
        "location": "湖滨路 12 号", "caller_phone": "13905391001", "caller_name": "王五",
    }
    data.update(kw)
    return orders.work_order_create(actor=operator, category=category, region=region, **data)


def travel(when: dt.datetime) -> Any:
    return clock.travel(when)
