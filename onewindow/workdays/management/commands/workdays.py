"""``onewindow workdays``: working-day arithmetic and calendar maintenance (工作日历).

    onewindow workdays add 2026-09-30 5          -> 2026-10-13
    onewindow workdays between 2026-10-01 2026-10-31 -> 16
    onewindow workdays import schedule-2027.csv [--source 国务院办公厅通知]
    onewindow workdays recompute [--year 2027 ...]

A result computed on a provisional year is followed by `` provisional``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.core.errors import DomainError, ValidationFailed
from onewindow.workdays import selectors, services
from onewindow.workdays.calendar import CalendarRangeError


def _date(value: str, what: str) -> dt.date:
    try:
        if len(value) != 10:
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{what}格式错误：{value!r}，应为 YYYY-MM-DD（如 2026-09-30）") from None


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise CommandError(f"{what}应为整数：{value!r}") from None


def _suffix(provisional: bool) -> str:
    return " provisional" if provisional else ""


class Command(BaseCommand):
    help = "工作日历：计算期限（add）、统计工作日（between）、导入放假安排（import）、重算期限"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{add,between,import,recompute}"
        )
        add = sub.add_parser("add", help="起始日之后第 N 个工作日（起始日不计入）")
        add.add_argument("start", help="起始日期 YYYY-MM-DD")
        add.add_argument("n", help="工作日数（可为负数）")
        between = sub.add_parser("between", help="两个日期之间的工作日数（不含起、含止）")
        between.add_argument("a", help="起始日期 YYYY-MM-DD")
        between.add_argument("b", help="截止日期 YYYY-MM-DD")
        imp = sub.add_parser("import", help="导入官方放假安排（CSV：date,kind,name）")
        imp.add_argument("file", help="CSV 文件路径（UTF-8）")
        imp.add_argument("--source", default="", help="来源说明，默认为文件名")
        rec = sub.add_parser("recompute", help="按当前日历重算已保存的期限")
        rec.add_argument("--year", action="append", default=None, help="只重算该年份（可重复）")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "add":
                self._add(options)
            elif action == "between":
                self._between(options)
            elif action == "import":
                self._import(options)
            elif action == "recompute":
                self._recompute(options)
            else:  # pragma: no cover - argparse rejects other actions
                raise CommandError(f"未知操作：{action}")
        except CalendarRangeError as exc:
            raise CommandError(str(exc)) from None
        except ValidationFailed as exc:
            for row in exc.rows:
                self.stderr.write(f"第 {row.get('line')} 行：{row.get('error')}")
            raise CommandError(exc.message) from None
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _add(self, options: dict[str, Any]) -> None:
        start = _date(options["start"], "起始日期")
        n = _int(options["n"], "工作日数")
        due = selectors.add_workdays(start, n)
        self.stdout.write(f"{due.date.isoformat()}{_suffix(due.provisional)}")

    def _between(self, options: dict[str, Any]) -> None:
        a = _date(options["a"], "起始日期")
        b = _date(options["b"], "截止日期")
        count = selectors.workdays_between(a, b)
        self.stdout.write(f"{count.days}{_suffix(count.provisional)}")

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CommandError(f"文件不存在：{path}") from None
        except UnicodeDecodeError:
            raise CommandError(f"文件不是 UTF-8 编码：{path}") from None
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from None
        result = services.calendar_import_schedule(text=text, source=options["source"] or path.name)
        for official in result.years:
            counts = result.counts.get(official.year, {})
            self.stdout.write(
                f"已导入 {official.year} 年放假安排：放假 {counts.get('holiday', 0)} 天，"
                f"调休上班 {counts.get('workday', 0)} 天（来源：{official.source}）"
            )
        if result.recomputed is not None:
            self.stdout.write(f"已重新计算 {result.recomputed} 个期限")

    def _recompute(self, options: dict[str, Any]) -> None:
        years = options.get("year")
        chosen = [_int(y, "年份") for y in years] if years else None
        count = services.calendar_recompute(years=chosen)
        scope = "、".join(str(y) for y in sorted(set(chosen))) + " 年" if chosen else "全部年份"
        self.stdout.write(f"已按当前日历重新计算 {count} 个期限（{scope}）")
