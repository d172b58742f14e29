from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.accounts.models import ApiToken, User
from onewindow.accounts.tokens import token_create, token_revoke


class Command(BaseCommand):
    help = "接口令牌：onewindow token create USERNAME [--name 用途] | revoke PREFIX | list"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="为用户创建令牌（只显示一次）")
        create.add_argument("username")
        create.add_argument("--name", default="")
        revoke = sub.add_parser("revoke", help="吊销令牌")
        revoke.add_argument("prefix")
        sub.add_parser("list", help="列出有效令牌")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"用户 {options['username']} 不存在或已停用。")
            _row, token = token_create(user=user, name=options["name"])
            self.stdout.write(token)
            self.stderr.write("请妥善保存该令牌：它只显示这一次。")
        elif action == "revoke":
            row = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if row is None:
                raise CommandError("令牌不存在。")
            token_revoke(token=row)
            self.stdout.write("已吊销。")
        else:
            for row in ApiToken.objects.filter(revoked_at__isnull=True).select_related("user"):
                self.stdout.write(f"{row.prefix}  {row.user.username}  {row.name}")
