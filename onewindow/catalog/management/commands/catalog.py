"""``onewindow catalog import FILE`` and ``onewindow catalog export --format xlsx|json [-o FILE]``.

The command runs as the system (``actor=None``): it may import into any region. Import is all
or nothing; on invalid input every bad row is printed to stderr (``第N行 …``) and the command
exits with status 1 without writing anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.catalog import exchange, services
from onewindow.core.errors import DomainError


class Command(BaseCommand):
    help = "导入或导出事项目录（实施清单），格式见 docs/catalog-format.md"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入 .xlsx 或 .json 文件（全部成功或全部不写入）")
        imp.add_argument("file", help="文件路径；格式由扩展名决定")
        exp = sub.add_parser("export", help="导出各事项的现行版本")
        exp.add_argument("--format", dest="fmt", choices=["xlsx", "json"], default="json")
        exp.add_argument("-o", "--output", dest="output", default=None, help="输出文件")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(options["file"])
        else:
            self._export(options["fmt"], options["output"])

    def _import(self, file: str) -> None:
        path = Path(file)
        try:
            fmt = exchange.format_from_name(path.name)
            data = path.read_bytes()
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except OSError as exc:
            raise CommandError(f"无法读取文件 {file}：{exc.strerror}") from None
        try:
            result = services.catalog_import(actor=None, data=data, fmt=fmt)
        except DomainError as exc:
            for error in exc.rows:
                self.stderr.write(exchange.format_error(error))
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(result.summary()))

    def _export(self, fmt: str, output: str | None) -> None:
        data = exchange.export_catalog(fmt=fmt)  # type: ignore[arg-type]
        if output:
            Path(output).write_bytes(data)
            self.stdout.write(self.style.SUCCESS(f"已导出到 {output}"))
            return
        if fmt == "xlsx":
            raise CommandError("xlsx 格式需要用 -o 指定输出文件")
        self.stdout.write(data.decode("utf-8"))
