"""Changes to the working-day calendar: schedule imports (导入放假安排) and overrides (日历调整).

Each service is one transaction. After a change commits, every process's calendar is
invalidated and the registered deadline recomputers (:mod:`.registry`) run for the affected
years, so stored deadlines computed on a provisional calendar are brought up to date.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from onewindow.core.errors import Conflict, ValidationFailed
from onewindow.workdays.calendar import FIRST_YEAR, LAST_YEAR
from onewindow.workdays.models import CalendarOverride, DayKind, OfficialYear, ScheduleDay
from onewindow.workdays.registry import recompute_deadlines
from onewindow.workdays.selectors import bump_calendar_version, note_pending_change

logger = logging.getLogger(__name__)

_KINDS = {
    "holiday": DayKind.HOLIDAY,
    "休": DayKind.HOLIDAY,
    "假": DayKind.HOLIDAY,
    "workday": DayKind.WORKDAY,
    "班": DayKind.WORKDAY,
}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAME_MAX = 100


@dataclass(frozen=True)
class ScheduleRow:
    line: int
    date: dt.date
    kind: str
    name: str


@dataclass
class ScheduleImport:
    """The outcome of an import: the official years written and, once the transaction has
    committed, how many stored deadlines the recomputers changed (``None`` while deferred)."""

    years: list[OfficialYear]
    recomputed: int | None = None
    counts: dict[int, dict[str, int]] = field(default_factory=dict)


def _parse_kind(value: str) -> str | None:
    return _KINDS.get(value.strip().lower())


def calendar_parse_schedule(text: str) -> list[ScheduleRow]:
    """Parse and validate a schedule file (``date,kind,name`` lines); raise on any bad line.

    Every bad line is reported (``ValidationFailed.rows`` = ``[{"line": n, "error": …}]``).
    """
    errors: list[dict[str, Any]] = []
    rows: list[ScheduleRow] = []
    seen: dict[dt.date, int] = {}
    header_allowed = True
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        raw = line.strip()
        if not raw or raw.startswith("#"):
            continue
        fields = next(csv.reader([raw]), [])
        cells = [c.strip() for c in fields]
        if header_allowed and cells and cells[0].lower() in ("date", "日期"):
            header_allowed = False
            continue
        header_allowed = False
        if len(cells) not in (2, 3):
            errors.append({"line": number, "error": "应有 2–3 个字段：日期,类型,名称"})
            continue
        date_s, kind_s = cells[0], cells[1]
        name = cells[2] if len(cells) == 3 else ""
        problems: list[str] = []
        day: dt.date | None = None
        if not _DATE_RE.match(date_s):
            problems.append(f"日期格式错误：{date_s!r}，应为 YYYY-MM-DD")
        else:
            try:
                day = dt.date.fromisoformat(date_s)
            except ValueError:
                problems.append(f"日期不存在：{date_s}")
        kind = _parse_kind(kind_s)
        if kind is None:
            problems.append(f"类型错误：{kind_s!r}，应为 holiday、workday、休 或 班")
        if len(name) > _NAME_MAX:
            problems.append(f"名称过长（最多 {_NAME_MAX} 个字符）")
        if day is not None:
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                problems.append(f"年份超出日历范围（{FIRST_YEAR}–{LAST_YEAR}）")
            if kind == DayKind.WORKDAY and day.weekday() < 5:
                problems.append("调休上班日应为周六或周日")
            if day in seen:
                problems.append(f"日期重复（与第 {seen[day]} 行相同）")
            else:
                seen[day] = number
        if problems:
            errors.append({"line": number, "error": "；".join(problems)})
            continue
        assert day is not None and kind is not None
        rows.append(ScheduleRow(line=number, date=day, kind=kind, name=name))
    if not errors:
        years = sorted({r.date.year for r in rows})
        for year in years:
            if not any(r.date.year == year and r.kind == DayKind.HOLIDAY for r in rows):
                first = min(r.line for r in rows if r.date.year == year)
                errors.append(
                    {
                        "line": first,
                        "error": f"{year} 年没有任何放假日期；导入会替换整年安排，请检查文件",
                    }
                )
    if errors:
        raise ValidationFailed(f"放假安排文件有 {len(errors)} 行错误，未导入任何数据", rows=errors)
    if not rows:
        raise ValidationFailed("放假安排文件中没有任何日期")
    return rows


def _after_change(years: Iterable[int], result: ScheduleImport | None = None) -> None:
    """After commit: invalidate every process's calendar, then run the deadline recomputers.

    Until then this transaction sees a calendar built from its own writes (see
    :func:`.selectors.note_pending_change`)."""
    frozen = frozenset(years)

    def on_commit() -> None:
        bump_calendar_version()
        count = recompute_deadlines(frozen)
        if result is not None:
            result.recomputed = count
        logger.info(
            "workdays: calendar changed for %s, %d deadlines recomputed", sorted(frozen), count
        )

    transaction.on_commit(on_commit)
    note_pending_change(on_commit)


def calendar_import_schedule(*, text: str, source: str) -> ScheduleImport:
    """Import an official holiday schedule (导入官方放假安排) for one or more whole years.

    The file lists, per line, ``date,kind,name`` (kind: ``holiday``/``休`` or ``workday``/
    ``班``); ``#`` lines and an optional header are ignored. Each year in the file replaces
    that year entirely (package data, provisional rule or an earlier import); the year is no
    longer provisional. Nothing is written if any line is bad.
    """
    rows = calendar_parse_schedule(text)
    source = source.strip()[:200] or "import"
    by_year: dict[int, list[ScheduleRow]] = {}
    for row in rows:
        by_year.setdefault(row.date.year, []).append(row)
    result = ScheduleImport(years=[])
    now = timezone.now()
    try:
        with transaction.atomic():
            for year in sorted(by_year):
                official = OfficialYear.objects.select_for_update().filter(year=year).first()
                if official is None:
                    official = OfficialYear.objects.create(
                        year=year, imported_at=now, source=source
                    )
                else:
                    official.imported_at = now
                    official.source = source
                    official.save(update_fields=["imported_at", "source"])
                    official.days.all().delete()
                ScheduleDay.objects.bulk_create(
                    ScheduleDay(official_year=official, date=r.date, kind=r.kind, name=r.name)
                    for r in by_year[year]
                )
                result.years.append(official)
                result.counts[year] = {
                    kind: sum(1 for r in by_year[year] if r.kind == kind) for kind in DayKind
                }
            _after_change(by_year, result)
    except IntegrityError as exc:
        raise Conflict("另一个导入正在写入同一年份，请稍后重试") from exc
    return result


def _kind(kind: str) -> str:
    parsed = _parse_kind(str(kind))
    if parsed is None:
        raise ValidationFailed(
            "类型应为 holiday（休）或 workday（班）", field_errors={"kind": ["类型无效"]}
        )
    return parsed


def _check_day(day: dt.date) -> None:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise ValidationFailed("日期无效", field_errors={"day": ["应为日期"]})
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationFailed(
            f"日期超出日历范围（{FIRST_YEAR}–{LAST_YEAR}）",
            field_errors={"day": ["超出范围"]},
        )


def calendar_override_set(*, day: dt.date, kind: str, reason: str) -> CalendarOverride:
    """Declare ``day`` worked or off (日历调整), replacing any earlier override of that day."""
    _check_day(day)
    kind = _kind(kind)
    reason = reason.strip()
    if len(reason) > 200:
        raise ValidationFailed("原因过长（最多 200 个字符）", field_errors={"reason": ["过长"]})
    with transaction.atomic():
        override, _created = CalendarOverride.objects.update_or_create(
            date=day, defaults={"kind": kind, "reason": reason}
        )
        _after_change([day.year])
    return override


def calendar_override_remove(*, day: dt.date) -> bool:
    """Remove the override of ``day``; ``False`` when there was none."""
    _check_day(day)
    with transaction.atomic():
        deleted, _ = CalendarOverride.objects.filter(date=day).delete()
        if deleted:
            _after_change([day.year])
    return bool(deleted)


def calendar_official_year_delete(*, year: int) -> bool:
    """Drop an imported schedule: the year falls back to package data or the provisional rule."""
    with transaction.atomic():
        deleted, _ = OfficialYear.objects.filter(year=year).delete()
        if deleted:
            _after_change([year])
    return bool(deleted)


def calendar_recompute(*, years: Iterable[int] | None = None) -> int:
    """Run the deadline recomputers for ``years`` (all calendar years when ``None``)."""
    chosen = frozenset(years) if years is not None else frozenset(range(FIRST_YEAR, LAST_YEAR + 1))
    return recompute_deadlines(chosen)
