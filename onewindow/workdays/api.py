"""Working-day arithmetic over HTTP (public: the calendar is public information)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from onewindow.core.errors import ValidationFailed
from onewindow.workdays import selectors
from onewindow.workdays.calendar import CalendarRangeError

router = Router(tags=["工作日历"])


class AddParams(Schema):
    date: dt.date
    n: int = Field(..., ge=-3650, le=3650)


class DueOut(Schema):
    date: dt.date
    provisional: bool


class BetweenParams(Schema):
    start: dt.date
    end: dt.date


class CountOut(Schema):
    days: int
    provisional: bool


def _range_error(exc: CalendarRangeError) -> ValidationFailed:
    message = _("日期超出工作日历的范围。")
    return ValidationFailed(message, field_errors={"date": [message]})


@router.get("/add", response=DueOut, summary="某日之后第 N 个工作日（起始日不计）")
def add(request: HttpRequest, params: Query[AddParams]) -> DueOut:
    try:
        due = selectors.add_workdays(params.date, params.n)
    except CalendarRangeError as exc:
        raise _range_error(exc) from exc
    return DueOut(date=due.date, provisional=due.provisional)


@router.get("/between", response=CountOut, summary="两日之间的工作日数（不含起始日，含结束日）")
def between(request: HttpRequest, params: Query[BetweenParams]) -> CountOut:
    try:
        count = selectors.workdays_between(params.start, params.end)
    except CalendarRangeError as exc:
        raise _range_error(exc) from exc
    return CountOut(days=count.days, provisional=count.provisional)
