"""Reads of the working-day calendar (工作日历).

:func:`get_calendar` returns the calendar built from package data, provisional rules, imported
official schedules and overrides. It is built once per process and reused; every change bumps
a version token in Django's cache. A call compares that token (one cache read) unless it was
compared less than ``settings.ONEWINDOW_WORKDAYS_VERSION_CHECK_SECONDS`` ago (default 1 s;
0 checks on every call): other processes see a change within that interval, the process that
made the change sees it at once. Code that computes many deadlines in a loop
should call :func:`get_calendar` once and use its methods.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
import weakref
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from onewindow.workdays.calendar import (
    DueDate,
    DueTime,
    OfficeHours,
    WorkCalendar,
    WorkdayCount,
    YearData,
    build_calendar,
    parse_office_hours,
)
from onewindow.workdays.models import CalendarOverride, DayKind, OfficialYear

VERSION_CACHE_KEY = "onewindow:workdays:calendar-version"

_lock = threading.Lock()
# (version token, calendar, monotonic time of the next token check)
_state: tuple[str, WorkCalendar, float] | None = None
_office_hours: tuple[str, OfficeHours] | None = None
# Connections whose open transaction changed the calendar (usually empty: a fast path).
_pending_connections: weakref.WeakSet[Any] = weakref.WeakSet()


def _version() -> str:
    version = cache.get(VERSION_CACHE_KEY)
    if version is None:
        # First use (or the cache was flushed): agree on one token across processes.
        cache.add(VERSION_CACHE_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_CACHE_KEY)
        if version is None:  # a dummy cache keeps nothing: never reuse a built calendar
            return uuid.uuid4().hex
    return str(version)


def bump_calendar_version() -> None:
    """Invalidate every process's calendar (called by the services on every change)."""
    global _state
    cache.set(VERSION_CACHE_KEY, uuid.uuid4().hex, timeout=None)
    with _lock:
        _state = None


def clear_calendar_cache() -> None:
    """Forget this process's calendar (tests use it after a rolled-back transaction)."""
    global _state
    with _lock:
        _state = None


def note_pending_change(callback: object) -> None:
    """Record that this connection's open transaction changed the calendar.

    Until ``callback`` (registered with ``transaction.on_commit``) runs, this connection sees
    a calendar built from its own uncommitted rows, and the shared calendar is left alone; if
    the transaction rolls back, Django drops the callback and the note is ignored.
    """
    conn = transaction.get_connection()
    setattr(conn, "_workdays_pending", callback)  # noqa: B010
    setattr(conn, "_workdays_calendar", None)  # noqa: B010
    _pending_connections.add(conn)


def _pending_calendar() -> WorkCalendar | None:
    if not _pending_connections:
        return None
    conn = transaction.get_connection()
    callback = getattr(conn, "_workdays_pending", None)
    if callback is None:
        return None
    if not conn.in_atomic_block or not any(item[1] is callback for item in conn.run_on_commit):
        # Committed (the callback ran) or rolled back (Django dropped it): note is stale.
        setattr(conn, "_workdays_pending", None)  # noqa: B010
        setattr(conn, "_workdays_calendar", None)  # noqa: B010
        _pending_connections.discard(conn)
        return None
    calendar: WorkCalendar | None = getattr(conn, "_workdays_calendar", None)
    if calendar is None:
        calendar = build_calendar_from_db()
        setattr(conn, "_workdays_calendar", calendar)  # noqa: B010
    return calendar


def official_years_data() -> dict[int, YearData]:
    """The imported official schedules (官方放假安排) as calendar data, by year."""
    result: dict[int, YearData] = {}
    for official in OfficialYear.objects.prefetch_related("days"):
        days = list(official.days.all())
        result[official.year] = YearData(
            year=official.year,
            holidays=frozenset(d.date for d in days if d.kind == DayKind.HOLIDAY),
            workdays=frozenset(d.date for d in days if d.kind == DayKind.WORKDAY),
            provisional=False,
            source=official.source,
            names={d.date: d.name for d in days if d.name},
        )
    return result


def overrides_data() -> dict[dt.date, bool]:
    """Calendar overrides (日历调整): date -> worked?"""
    return {
        day: kind == DayKind.WORKDAY
        for day, kind in CalendarOverride.objects.values_list("date", "kind")
    }


def build_calendar_from_db() -> WorkCalendar:
    return build_calendar(official=official_years_data(), overrides=overrides_data())


def get_calendar() -> WorkCalendar:
    """The current working-day calendar (cached in-process, checked against the cache token)."""
    global _state
    pending = _pending_calendar()
    if pending is not None:
        return pending
    state = _state
    now = time.monotonic()
    if state is not None and now < state[2]:
        return state[1]
    version = _version()
    next_check = now + float(getattr(settings, "ONEWINDOW_WORKDAYS_VERSION_CHECK_SECONDS", 1.0))
    if state is not None and state[0] == version:
        _state = (version, state[1], next_check)
        return state[1]
    with _lock:
        state = _state
        if state is not None and state[0] == version:
            return state[1]
        calendar = build_calendar_from_db()
        _state = (version, calendar, next_check)
        return calendar


def office_hours() -> OfficeHours:
    """Office hours (办公时间) from ``settings.ONEWINDOW_OFFICE_HOURS``."""
    global _office_hours
    text = str(getattr(settings, "ONEWINDOW_OFFICE_HOURS", "09:00-12:00,13:30-17:30"))
    cached = _office_hours
    if cached is not None and cached[0] == text:
        return cached[1]
    parsed = parse_office_hours(text)
    _office_hours = (text, parsed)
    return parsed


def is_workday(d: dt.date) -> bool:
    """Whether ``d`` is a working day (工作日)."""
    return get_calendar().is_workday(d)


def add_workdays(start: dt.date, n: int) -> DueDate:
    """The n-th working day after ``start`` (the starting day is not counted)."""
    return get_calendar().add_workdays(start, n)


def workdays_between(a: dt.date, b: dt.date) -> WorkdayCount:
    """Working days from ``a`` (excluded) to ``b`` (included); negative when ``b < a``."""
    return get_calendar().workdays_between(a, b)


def add_work_hours(start: dt.datetime, hours: float | int | Decimal | dt.timedelta) -> DueTime:
    """``hours`` working hours (工作时) after ``start``, in the configured office hours."""
    from django.utils import timezone

    return get_calendar().add_work_hours(
        start, hours, office_hours(), tz=timezone.get_default_timezone()
    )


def provisional_years() -> frozenset[int]:
    """Years whose calendar is still provisional (暂定): no official schedule yet."""
    return get_calendar().provisional_years
