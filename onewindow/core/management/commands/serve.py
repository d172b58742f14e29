"""``onewindow serve``: gunicorn for the web plus a Celery worker (with beat) for jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "启动平台：gunicorn 网页服务 + Celery 后台任务（含定时任务）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("ONEWINDOW_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("ONEWINDOW_WEB_WORKERS", "2"))
        )
        parser.add_argument("--no-worker", action="store_true", help="只启动网页服务")
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        python = sys.executable
        procs: list[subprocess.Popen[bytes]] = [
            subprocess.Popen(  # noqa: S603 - fixed argv built from our own settings
                [
                    python, "-m", "gunicorn", "onewindow.wsgi:application",
                    "--bind", options["bind"], "--workers", str(options["workers"]),
                    "--threads", "4", "--access-logfile", "-", "--graceful-timeout", "10",
                ]
            )
        ]
        if not options["no_worker"]:
            schedule = settings.VAR_DIR / "celerybeat-schedule"
            procs.append(
                subprocess.Popen(  # noqa: S603
                    [
                        python, "-m", "celery", "-A", "onewindow", "worker", "--beat",
                        "--schedule", str(schedule),
                        "--loglevel", os.environ.get("ONEWINDOW_JOB_LOG_LEVEL", "WARNING"),
                        "--concurrency", os.environ.get("ONEWINDOW_JOB_WORKERS", "2"),
                    ]
                )
            )
        self.stdout.write(f"一窗通已启动：http://{options['bind']}/  （Ctrl+C 停止）")

        def stop(*_: Any) -> None:
            for p in procs:
                if p.poll() is None:
                    p.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
