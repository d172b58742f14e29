"""Figures for supervision on a known data set: counts equal a direct count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from django.utils import timezone

from onewindow.evaluation import selectors, services
from onewindow.evaluation.models import EvalChannel, Evaluation
from onewindow.evaluation.selectors import Period


def _rate_ticket(ev, level, **kw):
    t = ev.served_ticket(**kw)
    return services.evaluation_submit(service=services.rateable_ticket(token=t.token),
                                      level=level, channel=EvalChannel.QR)


def test_figures_per_dimension_on_a_known_data_set(ev):
    case = ev.completed_case()
    services.evaluation_submit(
        service=services.rateable_case(actor=ev.w.applicant_user, case_no=case.case_no),
        level=4, channel=EvalChannel.PC)
    for level in (1, 2, 3):
        _rate_ticket(ev, level, mobile=f"1390539200{level}")
    _rate_ticket(ev, 5, window=ev.market_window, mobile="13905392005")
    total = selectors.evaluation_figures()[0]
    assert (total.total, total.satisfied, total.bad) == (5, 3, 2)
    assert total.levels == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}
    assert total.satisfaction_rate == Decimal("60.0")
    assert total.total == Evaluation.objects.filter(excluded=False).count()

    by_dept = {r.key: r for r in selectors.evaluation_figures(group_by="department")}
    market = ev.w.departments["d1_market"].pk
    assert by_dept[market].total == 2 and by_dept[market].bad == 2
    assert by_dept[None].total == 3 and by_dept[None].satisfaction_rate == Decimal("100.0")
    by_window = {r.key: r.total for r in selectors.evaluation_figures(group_by="window")}
    assert by_window == {ev.window.pk: 3, ev.market_window.pk: 1, None: 1}
    by_staff = {r.key: r.total for r in selectors.evaluation_figures(group_by="staff")}
    assert by_staff == {ev.hall_clerk.pk: 3, ev.w.chief.pk: 1, ev.w.clerk.pk: 1}
    only_window = selectors.evaluation_figures(window_id=ev.window.pk)[0]
    assert only_window.total == 3
    months = selectors.evaluation_figures(group_by="month")
    assert [(m.label, m.total) for m in months] == [("2026-11", 5)]
    children = {r.label: r.total for r in
                selectors.evaluation_figures_by_child_region(parent=ev.w.regions["city"])}
    assert children == {"东湖区": 5, "西岭区": 0}
    d2 = selectors.evaluation_figures(region=ev.w.regions["d2"])[0]
    assert d2.total == 0 and d2.satisfaction_rate is None
    assert [e.level for e in selectors.bad_reviews()] == [5, 4]

    fu = selectors.follow_up_figures()
    assert (fu.opened, fu.answered, fu.open_overdue) == (2, 0, 0)


def test_the_period_is_inclusive_and_in_local_time(ev):
    _rate_ticket(ev, 1, mobile="13905392011")
    day = dt.date(2026, 11, 24)
    assert selectors.evaluation_figures(period=Period(day, day))[0].total == 1
    assert selectors.evaluation_figures(period=Period(day + dt.timedelta(days=1)))[0].total == 0
    before = Period(None, day - dt.timedelta(days=1))
    assert selectors.evaluation_figures(period=before)[0].total == 0
    late = dt.datetime(2026, 11, 30, 23, 50, tzinfo=timezone.get_default_timezone())
    with time_machine.travel(late, tick=False):
        _rate_ticket(ev, 2, mobile="13905392012")
    november = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert selectors.evaluation_figures(period=november)[0].total == 2
