"""``onewindow audit verify``: check every case's hash chain and the daily anchors."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.cases import audit
from onewindow.core import clock


class Command(BaseCommand):
    help = "办件日志：verify 校验全部哈希链与每日锚定；anchor 为已结束的日期生成锚定。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "anchor"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "anchor":
            made = audit.anchor_days(until=clock.today())
            self.stdout.write(f"已生成 {made} 个日期的锚定。")
            return
        checked, broken = audit.verify_all()
        if broken is not None:
            raise CommandError(f"日志链校验失败：{broken}（此前已通过 {checked} 个办件）")
        self.stdout.write(f"日志链完好：已校验 {checked} 个办件及全部每日锚定。")
