"""``onewindow stats refresh|rebuild|verify``: the dashboards' roll-up tables."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.stats.rollup import stats_rebuild, stats_refresh, stats_verify


class Command(BaseCommand):
    help = ("统计汇总表：refresh 增量更新；rebuild 全部重算；verify 与办件直接计数逐区划、"
            "逐部门核对。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh", "rebuild", "verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "refresh":
            r = stats_refresh()
            more = "；还有待处理的日志，下次继续" if r.more else ""
            self.stdout.write(f"已更新：{r.cases} 件办件、{r.rating_days} 天评价、"
                              f"{r.alert_days} 天预警，用时 {r.ms} ms{more}。")
        elif action == "rebuild":
            r = stats_rebuild()
            self.stdout.write(f"已重算：{r.cases} 件办件，用时 {r.ms} ms。")
        else:
            problems = stats_verify()
            if problems:
                for p in problems[:50]:
                    self.stderr.write(p)
                raise CommandError(f"统计与办件不一致：{len(problems)} 处（请运行 rebuild）。")
            self.stdout.write("统计汇总表与办件直接计数一致。")
