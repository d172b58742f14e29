"""The working-day calendar (工作日历) and deadline arithmetic. Pure: no Django, no database.

A :class:`WorkCalendar` is built once from data — per year the holidays (放假日), the make-up
working days (调休上班日) and whether the year is provisional (暂定) — plus date overrides.
It precomputes a sorted array of the ordinals of all working days, so that every question
(the n-th working day after a date, the working days between two dates, a number of working
hours) is answered with a binary search, never by walking day by day.

Conventions (《行政许可法》第八十二条: time limits count working days, the starting day is not
counted):

* ``add_workdays(start, n)`` is the n-th working day strictly after ``start`` (n > 0), the
  |n|-th strictly before it (n < 0), and ``start`` itself for n = 0.
* ``workdays_between(a, b)`` counts the working days from ``a`` (excluded) to ``b``
  (included): ``a < d <= b`` when ``b >= a``; when ``b < a`` it is minus the number of working
  days ``b <= d < a``. With this definition ``workdays_between(a, add_workdays(a, n).date)``
  is ``n`` for every ``a`` and ``n``, whether ``a`` is a working day or not.
* Results carry ``provisional=True`` when any day of the span lies in a provisional year.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from onewindow.workdays import provisional as _provisional

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
FIRST_YEAR = 2004
LAST_YEAR = _provisional.LAST_RULE_YEAR  # 2099: the lunar data ends there

OfficeHours = tuple[tuple[dt.time, dt.time], ...]
DEFAULT_OFFICE_HOURS: OfficeHours = (
    (dt.time(9, 0), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)

_US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 86_400_000_000


class CalendarRangeError(ValueError):
    """A date or a result lies outside the years the calendar covers."""


class DueDate(NamedTuple):
    """A due date (期限日) and whether it was computed on a provisional calendar."""

    date: dt.date
    provisional: bool


class WorkdayCount(NamedTuple):
    """A number of working days (工作日数) and whether it rests on a provisional calendar."""

    days: int
    provisional: bool


class DueTime(NamedTuple):
    """A due moment (期限时刻, aware) and whether it was computed on a provisional calendar."""

    datetime: dt.datetime
    provisional: bool


@dataclass(frozen=True)
class YearData:
    """One year of the schedule (年度放假安排): days off, make-up working days, provenance.

    ``holidays`` may include weekend days of a holiday period; ``workdays`` are weekend days
    that are worked (调休上班). Any other Monday–Friday is a working day.
    """

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date] = frozenset()
    provisional: bool = False
    source: str = ""
    names: Mapping[dt.date, str] = field(default_factory=dict, compare=False)


# --- data sources ---------------------------------------------------------------------------


def bundled_years() -> frozenset[int]:
    """The years for which the ``chinesecalendar`` package carries the official schedule."""
    from chinese_calendar import constants

    return frozenset(d.year for d in constants.holidays)


_HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def bundled_year(year: int) -> YearData | None:
    """The official schedule of ``year`` from the ``chinesecalendar`` package, if it has it."""
    from chinese_calendar import constants

    holidays = {d: n for d, n in constants.holidays.items() if d.year == year}
    if not holidays:
        return None
    workdays = frozenset(d for d in constants.workdays if d.year == year)
    names = {d: _HOLIDAY_NAMES_ZH.get(str(n), str(n)) for d, n in holidays.items()}
    return YearData(
        year=year,
        holidays=frozenset(holidays),
        workdays=workdays,
        provisional=False,
        source="chinesecalendar",
        names=names,
    )


def provisional_year(year: int) -> YearData:
    """A year computed from the statutory rules (see :mod:`.provisional`), marked provisional."""
    days = _provisional.statutory_holidays(year)
    return YearData(
        year=year,
        holidays=frozenset(days),
        workdays=frozenset(),
        provisional=True,
        source="provisional",
        names=days,
    )


def default_year(year: int) -> YearData:
    """Package data when there is some, the provisional rule otherwise."""
    return bundled_year(year) or provisional_year(year)


def parse_office_hours(text: str) -> OfficeHours:
    """Parse office hours (办公时间) such as ``"09:00-12:00,13:30-17:30"``.

    Periods must be increasing and must not overlap; raises ``ValueError`` otherwise.
    """
    periods: list[tuple[dt.time, dt.time]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            begin_s, end_s = (p.strip() for p in part.split("-"))
            begin, end = dt.time.fromisoformat(begin_s), dt.time.fromisoformat(end_s)
        except ValueError as exc:
            raise ValueError(f"办公时间格式错误：{part!r}，应为 HH:MM-HH:MM") from exc
        periods.append((begin, end))
    return validate_office_hours(periods)


def validate_office_hours(periods: Iterable[tuple[dt.time, dt.time]]) -> OfficeHours:
    result = tuple((b, e) for b, e in periods)
    if not result:
        raise ValueError("办公时间不能为空")
    previous_end: dt.time | None = None
    for begin, end in result:
        if begin.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("办公时间不应带时区")
        if not begin < end:
            raise ValueError(f"办公时段开始时间应早于结束时间：{begin}-{end}")
        if previous_end is not None and begin < previous_end:
            raise ValueError("办公时段应按时间先后排列且互不重叠")
        previous_end = end
    return result


def _time_us(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _hours_to_us(hours: float | int | Decimal | dt.timedelta) -> int:
    if isinstance(hours, dt.timedelta):
        return hours // dt.timedelta(microseconds=1)
    if isinstance(hours, Decimal):
        return int((hours * _US_PER_HOUR).to_integral_value())
    return round(hours * _US_PER_HOUR)


# --- the calendar ---------------------------------------------------------------------------


class WorkCalendar:
    """An immutable working-day calendar over a contiguous range of years.

    ``years`` must cover every year from its smallest to its largest key. ``overrides`` maps a
    date to ``True`` (worked) or ``False`` (day off) and wins over the year data.
    """

    __slots__ = (
        "first_year",
        "last_year",
        "_first_ord",
        "_last_ord",
        "_work",
        "_is_work",
        "_prov_prefix",
        "_provisional_years",
        "_names",
        "_sources",
    )

    def __init__(
        self,
        years: Mapping[int, YearData] | Iterable[YearData],
        overrides: Mapping[dt.date, bool] | None = None,
    ) -> None:
        by_year = dict(years) if isinstance(years, Mapping) else {y.year: y for y in years}
        if not by_year:
            raise ValueError("日历至少需要一年的数据")
        first, last = min(by_year), max(by_year)
        missing = [y for y in range(first, last + 1) if y not in by_year]
        if missing:
            raise ValueError(f"日历年份不连续，缺少：{missing}")
        self.first_year = first
        self.last_year = last
        self._first_ord = dt.date(first, 1, 1).toordinal()
        self._last_ord = dt.date(last, 12, 31).toordinal()
        size = self._last_ord - self._first_ord + 1

        # Monday–Friday worked, Saturday–Sunday off; then the year data; then overrides.
        first_weekday = dt.date(first, 1, 1).weekday()
        week = bytes(1 if (first_weekday + i) % 7 < 5 else 0 for i in range(7))
        is_work = bytearray((week * (size // 7 + 1))[:size])
        names: dict[dt.date, str] = {}
        base = self._first_ord
        for data in by_year.values():
            for d in data.holidays:
                if d.year == data.year:
                    is_work[d.toordinal() - base] = 0
            for d in data.workdays:
                if d.year == data.year:
                    is_work[d.toordinal() - base] = 1
            names.update(data.names)
        for d, worked in (overrides or {}).items():
            if self._first_ord <= d.toordinal() <= self._last_ord:
                is_work[d.toordinal() - base] = 1 if worked else 0
        self._is_work = bytes(is_work)
        self._work: list[int] = [base + i for i, w in enumerate(self._is_work) if w]
        prov = sorted(y for y, data in by_year.items() if data.provisional)
        self._provisional_years = frozenset(prov)
        prefix = [0]
        for y in range(first, last + 1):
            prefix.append(prefix[-1] + (1 if y in self._provisional_years else 0))
        self._prov_prefix = prefix
        self._names = names
        self._sources = {y: data.source for y, data in by_year.items()}

    # -- facts about single days --

    @property
    def provisional_years(self) -> frozenset[int]:
        return self._provisional_years

    def source(self, year: int) -> str:
        """Where the year's schedule came from (``chinesecalendar``, ``provisional``, …)."""
        self._check_year(year)
        return self._sources[year]

    def is_provisional_year(self, year: int) -> bool:
        return year in self._provisional_years

    def is_workday(self, d: dt.date) -> bool:
        """Whether ``d`` is a working day (工作日)."""
        o = d.toordinal()
        if not self._first_ord <= o <= self._last_ord:
            raise CalendarRangeError(self._range_message(d))
        return bool(self._is_work[o - self._first_ord])

    def holiday_name(self, d: dt.date) -> str | None:
        """The name of the holiday ``d`` belongs to, if it is a named day off."""
        if self.is_workday(d):
            return None
        return self._names.get(d)

    def workdays_in_year(self, year: int) -> int:
        self._check_year(year)
        a = dt.date(year, 1, 1).toordinal()
        b = dt.date(year, 12, 31).toordinal()
        return bisect_right(self._work, b) - bisect_left(self._work, a)

    # -- arithmetic --

    def _span_provisional(self, y1: int, y2: int) -> bool:
        if y1 > y2:
            y1, y2 = y2, y1
        p = self._prov_prefix
        return p[y2 - self.first_year + 1] - p[y1 - self.first_year] > 0

    def add_workdays(self, start: dt.date, n: int) -> DueDate:
        """The n-th working day after ``start`` (before it for n < 0; ``start`` for n = 0)."""
        o = start.toordinal()
        if not self._first_ord <= o <= self._last_ord:
            raise CalendarRangeError(self._range_message(start))
        work = self._work
        if n > 0:
            idx = bisect_right(work, o) + n - 1
            if idx >= len(work):
                raise CalendarRangeError(f"期限超出日历范围（{self.last_year} 年以后）")
        elif n < 0:
            idx = bisect_left(work, o) + n
            if idx < 0:
                raise CalendarRangeError(f"期限超出日历范围（{self.first_year} 年以前）")
        else:
            return DueDate(start, start.year in self._provisional_years)
        result = dt.date.fromordinal(work[idx])
        p = self._prov_prefix
        y1, y2 = (start.year, result.year) if n > 0 else (result.year, start.year)
        provisional = p[y2 - self.first_year + 1] - p[y1 - self.first_year] > 0
        return DueDate(result, provisional)

    def workdays_between(self, a: dt.date, b: dt.date) -> WorkdayCount:
        """Working days from ``a`` (excluded) to ``b`` (included); negative when ``b < a``."""
        oa, ob = a.toordinal(), b.toordinal()
        for d, o in ((a, oa), (b, ob)):
            if not self._first_ord <= o <= self._last_ord:
                raise CalendarRangeError(self._range_message(d))
        work = self._work
        if ob >= oa:
            days = bisect_right(work, ob) - bisect_right(work, oa)
        else:
            days = bisect_left(work, ob) - bisect_left(work, oa)
        return WorkdayCount(days, self._span_provisional(a.year, b.year))

    def next_workday(self, d: dt.date, *, include: bool = True) -> dt.date:
        """``d`` itself when it is a working day and ``include``, else the next working day."""
        if include and self.is_workday(d):
            return d
        return self.add_workdays(d, 1).date

    def add_work_hours(
        self,
        start: dt.datetime,
        hours: float | int | Decimal | dt.timedelta,
        office_hours: Sequence[tuple[dt.time, dt.time]] = DEFAULT_OFFICE_HOURS,
        tz: dt.tzinfo = DEFAULT_TZ,
    ) -> DueTime:
        """The moment when ``hours`` working hours (工作时) after ``start`` have elapsed.

        Only office hours of working days count. A start outside office hours begins at the
        next period. Landing exactly on the end of a period gives that end (e.g. 17:30), not
        the start of the next one. ``hours`` must not be negative; 0 hours gives the first
        office moment at or after ``start``. The result is an aware datetime in ``tz``.
        """
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start 必须是带时区的时间（aware datetime）")
        remaining = _hours_to_us(hours)
        if remaining < 0:
            raise ValueError("工作时数不能为负数")
        periods = [(_time_us(b), _time_us(e)) for b, e in office_hours]
        if not periods:
            raise ValueError("办公时间不能为空")
        day_total = sum(e - b for b, e in periods)
        local = start.astimezone(tz)
        day = local.date()
        t = _time_us(local.time())

        if self.is_workday(day):
            for begin, end in periods:
                if t > end:
                    continue  # this period is over
                at = max(t, begin)
                available = end - at
                if remaining <= available:
                    return self._due_time(start, day, at + remaining, tz)
                remaining -= available
        # ``day`` is done: jump over whole working days, then finish inside one day.
        full_days = (remaining - 1) // day_total if remaining > 0 else 0
        remaining -= full_days * day_total
        target = self.add_workdays(day, full_days + 1).date
        for begin, end in periods:
            available = end - begin
            if remaining <= available:
                return self._due_time(start, target, begin + remaining, tz)
            remaining -= available
        raise AssertionError("unreachable")  # pragma: no cover

    def _due_time(self, start: dt.datetime, day: dt.date, us: int, tz: dt.tzinfo) -> DueTime:
        seconds, micro = divmod(us, 1_000_000)
        minutes, sec = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        moment = dt.datetime.combine(day, dt.time(hour, minute, sec, micro), tzinfo=tz)
        return DueTime(moment, self._span_provisional(start.astimezone(tz).year, day.year))

    # -- helpers --

    def _check_year(self, year: int) -> None:
        if not self.first_year <= year <= self.last_year:
            raise CalendarRangeError(f"年份超出日历范围（{self.first_year}–{self.last_year}）")

    def _range_message(self, d: dt.date) -> str:
        return f"日期 {d.isoformat()} 超出日历范围（{self.first_year}–{self.last_year} 年）"


def build_calendar(
    *,
    official: Mapping[int, YearData] | None = None,
    overrides: Mapping[dt.date, bool] | None = None,
    first_year: int = FIRST_YEAR,
    last_year: int = LAST_YEAR,
) -> WorkCalendar:
    """The standard build order: package data or the provisional rule for each year, then an
    imported official schedule replaces a year wholesale, then overrides apply last."""
    official = official or {}
    years = {
        y: official[y] if y in official else default_year(y)
        for y in range(first_year, last_year + 1)
    }
    return WorkCalendar(years, overrides)


_DEFAULT: WorkCalendar | None = None


def default_calendar() -> WorkCalendar:
    """The calendar from bundled data and provisional rules only (no database), memoised."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = build_calendar()
    return _DEFAULT
