"""``onewindow orders verify``: check every work order's hash-chained log."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.hotline.order_audit import verify_all_orders


class Command(BaseCommand):
    help = "12345 工单日志：verify 校验全部工单的哈希链。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify_all_orders()
        if broken is not None:
            raise CommandError(f"工单日志链校验失败：{broken}（此前已通过 {checked} 张工单）")
        self.stdout.write(f"工单日志链完好：已校验 {checked} 张工单。")
