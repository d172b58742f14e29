"""The roll-up equals direct counts over the cases, stays so as cases move, and is idempotent."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from onewindow.cases import services
from onewindow.cases.deadlines import days_between
from onewindow.cases.models import Case, Notice, NoticeKind
from onewindow.cases.workflow import CaseState
from onewindow.core import clock
from onewindow.evaluation.models import Evaluation
from onewindow.evaluation.selectors import Period
from onewindow.regions.models import Department, Region, RegionLevel
from onewindow.stats import selectors
from onewindow.stats.models import (
    CaseFact,
    DailyFigures,
    MonthlyFigures,
    OpenFigures,
    RollupState,
)
from onewindow.stats.rollup import stats_rebuild, stats_refresh
from onewindow.supervision.models import Alert, AlertState
from onewindow.workdays.calendar import CalendarRangeError
from onewindow.workdays.selectors import get_calendar

NOW = dt.timedelta(0)


def _aware(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time.min))


def direct(scope: selectors.Scope, period: Period, today: dt.date) -> dict[str, Any]:
    """The dashboard's figures counted straight from the cases, ratings and alerts."""
    cases = Case.objects.filter(region__prefix__startswith=scope.region.prefix)
    evals = Evaluation.objects.filter(region__prefix__startswith=scope.region.prefix,
                                      excluded=False)
    alerts = Alert.objects.filter(region__prefix__startswith=scope.region.prefix).exclude(
        state=AlertState.WITHDRAWN)
    if scope.department is not None:
        cases = cases.filter(department=scope.department)
        evals = evals.filter(department=scope.department)
        alerts = alerts.filter(department=scope.department)
    start, end = _aware(period.start), _aware(period.end + dt.timedelta(days=1))
    decided = list(cases.filter(state__in=[CaseState.DECIDED, CaseState.COMPLETED],
                                decided_at__gte=start, decided_at__lt=end))
    cal = get_calendar()
    on_time = on_spot = legal = used = 0
    for c in decided:
        day = timezone.localdate(c.decided_at)
        spot = c.is_instant
        on_spot += spot
        on_time += spot or c.promised_due is None or day <= c.promised_due
        if spot:
            u = 0
        elif c.accepted_on is None:
            continue
        else:
            try:
                u = max(0, days_between(cal, c.accepted_on, day, c.limit_unit) - c.stopped_days)
            except CalendarRangeError:
                continue
        legal += c.legal_limit_days
        used += u
    refused_ids = cases.filter(state=CaseState.REFUSED).values("id")
    levels = Counter(evals.filter(created_at__gte=start, created_at__lt=end)
                     .values_list("level", flat=True))
    return {
        "received": cases.filter(submitted_at__isnull=False, received_on__gte=period.start,
                                 received_on__lte=period.end).count(),
        "accepted": cases.filter(accepted_on__gte=period.start,
                                 accepted_on__lte=period.end).count(),
        "refused": Notice.objects.filter(case_id__in=refused_ids, kind=NoticeKind.REFUSAL,
                                         issued_at__gte=start, issued_at__lt=end).count(),
        "decided": len(decided), "on_time": on_time, "on_spot": on_spot,
        "days_saved": legal - used,
        "overdue": cases.filter(state=CaseState.IN_REVIEW, promised_due__lt=today).count(),
        "in_progress": cases.filter(state__in=[CaseState.IN_REVIEW,
                                               CaseState.SUSPENDED]).count(),
        "waiting": cases.filter(state__in=[CaseState.SUBMITTED,
                                           CaseState.AWAITING_SUPPLEMENT]).count(),
        "awaiting_delivery": cases.filter(state=CaseState.DECIDED).count(),
        "levels": {lv: levels.get(lv, 0) for lv in range(1, 6)},
        "alerts": Counter(alerts.filter(raised_at__gte=start, raised_at__lt=end)
                          .values_list("kind", flat=True)),
    }


def rolled(scope: selectors.Scope, period: Period, today: dt.date) -> dict[str, Any]:
    t = selectors.totals(scope, period, today=today)
    lv = selectors.live(scope, today=today)
    return {
        "received": t.received, "accepted": t.accepted, "refused": t.refused,
        "decided": t.decided, "on_time": t.on_time, "on_spot": t.on_spot,
        "days_saved": t.days_saved, "overdue": t.overdue, "in_progress": t.in_progress,
        "waiting": lv.waiting, "awaiting_delivery": lv.awaiting_delivery,
        "levels": selectors.ratings(scope, period),
        "alerts": Counter({k: n for k, n in selectors.alerts(scope, period).items() if n}),
    }


def _scopes() -> list[selectors.Scope]:
    city = Region.objects.get(level=RegionLevel.CITY)
    scopes = [selectors.Scope(region=city)]
    busiest = Counter(Case.objects.values_list("region_id", "department_id")).most_common(3)
    for (region_id, dep_id), _n in busiest:
        region = Region.objects.get(pk=region_id)
        scopes.append(selectors.Scope(region=region))
        scopes.append(selectors.Scope(region=region, department=Department.objects.get(pk=dep_id)))
    return scopes


def _periods(today: dt.date) -> list[Period]:
    first = today.replace(day=1)
    last_month_end = first - dt.timedelta(days=1)
    return [
        Period(today.replace(month=1, day=1), today),
        Period(last_month_end.replace(day=1), last_month_end),
        Period(today - dt.timedelta(days=45), today - dt.timedelta(days=10)),
        Period(dt.date(2020, 1, 1), today),
    ]


def assert_equal_everywhere(today: dt.date) -> int:
    checked = 0
    for scope in _scopes():
        for period in _periods(today):
            assert rolled(scope, period, today) == direct(scope, period, today), (
                scope.label, period)
            # The dashboard's one-pass blocks agree with the single figures.
            board = selectors.dashboard(scope, period, today=today)
            alone = selectors.totals(scope, period, today=today)
            assert board.totals.as_dict() == alone.as_dict(), (scope.label, period)
            for part in ([board.departments] + ([board.children] if board.children else [])):
                for field in ("received", "decided", "on_time", "overdue", "rated"):
                    assert sum(getattr(f, field) for f in part) == getattr(alone, field)
            checked += 1
    return checked


def _tables() -> dict[str, set[tuple[Any, ...]]]:
    def rows(model: Any, *fields: str) -> set[tuple[Any, ...]]:
        return set(model.objects.values_list(*fields))

    counters = ("region_id", "department_id", "received", "accepted", "refused", "decided",
                "on_time", "on_spot", "timed", "legal_days", "used_days")
    return {
        "facts": rows(CaseFact, "case_id", "region_id", "department_id", "state",
                      "received_on", "accepted_on", "refused_on", "decided_on", "on_time",
                      "on_spot", "legal_days", "used_days", "promised_due"),
        "daily": {r for r in rows(DailyFigures, "day", *counters) if any(r[3:])},
        "monthly": {r for r in rows(MonthlyFigures, "month", *counters) if any(r[3:])},
        "open": rows(OpenFigures, "region_id", "department_id", "state", "due", "n"),
    }


@pytest.mark.django_db
def test_demo_city_rolls_up_to_the_direct_counts(settings, tmp_path):
    """Hundreds of generated cases in every state over months: every figure of every scope
    and period equals a direct count; a second refresh changes nothing; a rebuild (set-based
    SQL on PostgreSQL) gives the very same tables; cases moving afterwards keep it so."""
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo")
    assert Case.objects.count() >= 250
    assert Evaluation.objects.exists() and Alert.objects.exists()
    # The demo ends with a rebuild; here the tables are emptied and refreshed incrementally
    # from the case log instead.
    rebuilt = _tables()
    assert len(rebuilt["facts"]) == Case.objects.count()
    for model in (CaseFact, DailyFigures, MonthlyFigures, OpenFigures):
        model.objects.all().delete()
    RollupState.objects.all().delete()
    first = stats_refresh(lag=NOW)
    assert first.cases == Case.objects.count()
    today = clock.today()
    assert assert_equal_everywhere(today) == 28

    # Idempotent: nothing new, nothing changes.
    before = _tables()
    assert before == rebuilt, connection.vendor  # incremental == set-based rebuild
    assert stats_refresh(lag=NOW).cases == 0
    assert _tables() == before

    # A rebuild from scratch gives the same tables again.
    stats_rebuild()
    assert _tables() == before, connection.vendor

    # Cases move on: applicants withdraw two waiting cases; refresh; still equal.
    waiting = list(Case.objects.filter(state=CaseState.SUBMITTED,
                                       applicant__user__isnull=False)
                   .select_related("applicant__user")[:2])
    assert waiting
    for case in waiting:
        services.case_withdraw(actor=case.applicant.user, case=case, reason="不再需要")
    assert stats_refresh(lag=NOW).cases == len(waiting)
    assert CaseFact.objects.filter(state=CaseState.WITHDRAWN).count() == Case.objects.filter(
        state=CaseState.WITHDRAWN).count()
    assert assert_equal_everywhere(today) == 28

    # The date moves on without any job: overdue follows the calendar.
    later = today + dt.timedelta(days=30)
    for scope in _scopes()[:1]:
        assert selectors.live(scope, today=later).overdue == Case.objects.filter(
            state=CaseState.IN_REVIEW, promised_due__lt=later).count()

    # The operator's check agrees, and notices a counter that went wrong.
    call_command("stats", "verify")
    row = DailyFigures.objects.filter(decided__gt=0).first()
    assert row is not None
    DailyFigures.objects.filter(pk=row.pk).update(decided=row.decided + 1)
    with pytest.raises(CommandError, match="统计与办件不一致：1 处"):
        call_command("stats", "verify")
