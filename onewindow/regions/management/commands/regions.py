from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.core.errors import ValidationFailed
from onewindow.regions.services import region_import_csv


class Command(BaseCommand):
    help = "行政区划：onewindow regions import FILE.csv（列：code,name,level,parent_code）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入区划树（全部正确才导入）")
        imp.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取文件 {path}：{exc}") from exc
        try:
            result = region_import_csv(text=text)
        except ValidationFailed as exc:
            for row in exc.rows:
                self.stderr.write(f"第{row['line']}行：{row['error']}")
            raise CommandError(exc.message) from exc
        self.stdout.write(f"导入完成：新增 {result.created} 个，更新 {result.updated} 个区划。")
