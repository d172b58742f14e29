"""Deadline arithmetic for cases (办理时限), on the working-day calendar.

Due dates are computed at acceptance and again whenever the clock stops and resumes or the
case is extended, then stored on the row (``legal_due``, ``promised_due``, ``Task.due``):
finding the cases due within N working days is one range scan on an index.

Rules: the day of acceptance is not counted (行政许可法 art. 42 counts working days from the
next one); each clock stop removes the working days from its start (excluded) to its end
(included), so the day the clock resumes is not counted either; an extension adds its days to
both limits. Items whose limit is in natural days (自然日) count calendar days instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from onewindow.cases.models import Case, ClockStop, Task
from onewindow.cases.workflow import CaseState, TaskState
from onewindow.catalog.codes import LimitUnit
from onewindow.workdays.calendar import WorkCalendar
from onewindow.workdays.selectors import get_calendar


def add_days(cal: WorkCalendar, start: dt.date, days: int, unit: str) -> tuple[dt.date, bool]:
    """(due date, computed on a provisional calendar?)."""
    if unit == LimitUnit.NATURAL_DAY:
        return start + dt.timedelta(days=days), False
    due = cal.add_workdays(start, days)
    return due.date, due.provisional


def days_between(cal: WorkCalendar, start: dt.date, end: dt.date, unit: str) -> int:
    """Days from ``start`` (excluded) to ``end`` (included) that a stop removes from the clock."""
    if end <= start:
        return 0
    if unit == LimitUnit.NATURAL_DAY:
        return (end - start).days
    return cal.workdays_between(start, end).days


def working_days_left(cal: WorkCalendar, today: dt.date, due: dt.date | None) -> int | None:
    """Working days from today to ``due`` (0 = due today, negative = overdue by that many)."""
    if due is None:
        return None
    if due >= today:
        return cal.workdays_between(today, due).days
    return -cal.workdays_between(due, today).days


def set_case_dues(case: Case, cal: WorkCalendar | None = None) -> None:
    """Fill ``legal_due`` / ``promised_due`` from the stored limits, stops and extension."""
    if case.accepted_on is None:
        return
    cal = cal or get_calendar()
    extra = case.stopped_days + case.extension_days
    case.legal_due, p1 = add_days(cal, case.accepted_on, case.legal_limit_days + extra,
                                  case.limit_unit)
    case.promised_due, p2 = add_days(cal, case.accepted_on, case.promised_limit_days + extra,
                                     case.limit_unit)
    case.deadlines_provisional = p1 or p2


def set_task_due(task: Task, cal: WorkCalendar | None = None) -> None:
    if task.started_on is None:
        return
    cal = cal or get_calendar()
    task.due, _ = add_days(cal, task.started_on, task.limit_days + task.stopped_days,
                           LimitUnit.WORKDAY)


def due_limit_for_window(cal: WorkCalendar, today: dt.date, within: int) -> dt.date:
    """The last due date that is within ``within`` working days of ``today``."""
    return cal.add_workdays(today, within).date if within > 0 else today


def recompute_case_deadlines(years: frozenset[int]) -> int:
    """Recompute stored deadlines of open cases whose span touches ``years`` (idempotent)."""
    if not years:
        return 0
    cal = get_calendar()
    lo, hi = dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)
    touching = Q(accepted_on__lte=hi) & (
        Q(legal_due__gte=lo) | Q(clock_stopped_since__isnull=False)
    )
    open_states = [CaseState.IN_REVIEW, CaseState.SUSPENDED]
    changed = 0
    ids = list(Case.objects.filter(touching, state__in=open_states).values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        changed += _recompute_batch(cal, ids[start:start + 500])
    return changed


def _recompute_batch(cal: WorkCalendar, ids: Iterable[int]) -> int:
    changed = 0
    with transaction.atomic():
        cases = list(Case.objects.select_for_update().filter(pk__in=list(ids)))
        stops: dict[int, list[ClockStop]] = {}
        for stop in ClockStop.objects.filter(case__in=cases, ended_on__isnull=False):
            stops.setdefault(stop.case_id, []).append(stop)
        tasks = {t.case_id: t for t in Task.objects.filter(case__in=cases, state=TaskState.ACTIVE)}
        for case in cases:
            before = (case.legal_due, case.promised_due, case.stopped_days)
            for stop in stops.get(case.pk, []):
                assert stop.ended_on is not None
                new_days = days_between(cal, stop.started_on, stop.ended_on, case.limit_unit)
                if new_days != stop.days:
                    stop.days = new_days
                    stop.save(update_fields=["days"])
            case.stopped_days = sum(s.days for s in stops.get(case.pk, []))
            set_case_dues(case, cal)
            if (case.legal_due, case.promised_due, case.stopped_days) != before:
                case.save(update_fields=["legal_due", "promised_due", "stopped_days",
                                         "deadlines_provisional"])
                changed += 1
            task = tasks.get(case.pk)
            if task is not None:
                old = task.due
                set_task_due(task, cal)
                if task.due != old:
                    task.save(update_fields=["due"])
    return changed
