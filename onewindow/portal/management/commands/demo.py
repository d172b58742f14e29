from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.core.errors import ValidationFailed
from onewindow.portal.demo import database_is_empty, load_demo


class Command(BaseCommand):
    help = "载入演示城市“云溪市”的数据（仅限空数据库；--force 清空后重新载入）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="清空数据库后重新载入")
        parser.add_argument(
            "--if-empty", action="store_true", help="数据库非空时静默跳过（供 make run 使用）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not database_is_empty():
            if options["if_empty"]:
                self.stdout.write("数据库已有数据，跳过演示数据载入。")
                return
            if not options["force"]:
                raise CommandError(
                    "数据库不是空的，拒绝载入演示数据。如确需清空并重新载入，请加 --force。"
                )
            call_command("flush", interactive=False, verbosity=0)
        try:
            result = load_demo(password=os.environ.get("ONEWINDOW_DEMO_PASSWORD") or None)
        except ValidationFailed as exc:
            for row in exc.rows[:50]:
                self.stderr.write(str(row))
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"演示数据已载入：{len(result.accounts)} 个工作人员账户，{result.items} 个事项。"
        )
        if result.cases:
            self.stdout.write(f"办件：{result.cases}。")
        if result.hall:
            self.stdout.write(f"大厅：{result.hall}。")
        self.stdout.write(f"账户清单见 {settings.VAR_DIR / 'demo-accounts.txt'}")
