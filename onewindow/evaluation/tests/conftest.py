"""Fixtures of 好差评 and 投诉: a completed case, a served window visit, staff of every side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from onewindow.accounts.models import Role, User
from onewindow.cases import services as case_services
from onewindow.cases.models import Case, DeliveryMethod
from onewindow.cases.tests.conftest import World
from onewindow.cases.tests.conftest import world as world  # noqa: F401 - fixture
from onewindow.hall import services as hall_services
from onewindow.hall.models import ServiceCategory, Ticket
from onewindow.regions.models import CentreKind, ServiceCentre, Window, WindowKind

# A Tuesday morning, far from holidays: due dates are easy to state.
MORNING = dt.datetime(2026, 11, 24, 9, 30, tzinfo=timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _morning() -> Any:
    cache.clear()
    with time_machine.travel(MORNING, tick=True):
        yield
    cache.clear()


@dataclass
class Eval:
    w: World
    centre: ServiceCentre
    general: ServiceCategory
    market: ServiceCategory
    window: Window  # general window 01
    market_window: Window  # departmental window 04 of d1_market
    hall_clerk: User
    hall_admin: User  # the centre's management (hall.manage in d1)
    supervisor: User  # supervision office of d1
    city_supervisor: User
    other_supervisor: User  # supervision office of d2
    other_head: User  # head of d2_market

    def completed_case(self) -> Case:
        w = self.w
        case = w.accepted_case()
        review, decide = list(case.tasks.order_by("seq"))
        case_services.task_pass(actor=w.reviewer, task=review, opinion="符合条件")
        decide.refresh_from_db()
        case_services.task_decide(actor=w.head, task=decide, approve=True)
        case.refresh_from_db()
        case_services.case_deliver(actor=w.clerk, case=case, method=DeliveryMethod.ELECTRONIC)
        case.refresh_from_db()
        return case

    def served_ticket(self, *, window: Window | None = None, mobile: str = "13905391002",
                      user: Any = None) -> Ticket:
        window = window or self.window
        category = self.market if window == self.market_window else self.general
        clerk = self.w.chief if window == self.market_window else self.hall_clerk
        ticket = hall_services.ticket_take(centre=self.centre, category=category, mobile=mobile,
                                           user=user)
        if hall_services.current_session(clerk) is None:
            hall_services.window_sign_in(user=clerk, window=window)
        called = hall_services.ticket_call_next(user=clerk)
        assert called is not None and called.pk == ticket.pk
        hall_services.ticket_finish(user=clerk)
        return Ticket.objects.select_related("centre__region", "window").get(pk=ticket.pk)

    def waiting_ticket(self) -> Ticket:
        return hall_services.ticket_take(centre=self.centre, category=self.general,
                                         mobile="13905391003")


@pytest.fixture
def ev(world: World, make_staff: Any) -> Eval:
    r, d = world.regions, world.departments
    centre = ServiceCentre.objects.create(region=r["d1"], kind=CentreKind.SERVICE_CENTRE,
                                          name="东湖区政务服务中心")
    window = Window.objects.create(centre=centre, number="01", name="综合受理一号窗口",
                                   kind=WindowKind.GENERAL)
    market_window = Window.objects.create(centre=centre, number="04", name="市场监管窗口",
                                          kind=WindowKind.DEPARTMENTAL,
                                          department=d["d1_market"])
    general = ServiceCategory.objects.create(centre=centre, letter="A", name="综合受理")
    general.windows.set([window])
    market = ServiceCategory.objects.create(centre=centre, letter="C", name="市场监管")
    market.windows.set([market_window])
    return Eval(
        w=world, centre=centre, general=general, market=market, window=window,
        market_window=market_window,
        hall_clerk=make_staff(Role.CLERK, r["d1"], username="hallclerk"),
        hall_admin=make_staff(Role.ADMIN, r["d1"], username="halladmin"),
        supervisor=make_staff(Role.SUPERVISOR, r["d1"], username="supervisor"),
        city_supervisor=make_staff(Role.SUPERVISOR, r["city"], username="citysup"),
        other_supervisor=make_staff(Role.SUPERVISOR, r["d2"], username="othersup"),
        other_head=make_staff(Role.DEPARTMENT_HEAD, r["d2"], d["d2_market"],
                              username="otherhead"),
    )
