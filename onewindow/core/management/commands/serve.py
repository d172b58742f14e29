"""``onewindow serve``: uvicorn (ASGI) for the web plus a Celery worker (with beat) for jobs.

The platform is served through ASGI so that long-lived streams (the hall's display screens)
hold no thread; ordinary views still run in threads (docs/decisions/0007-asgi-and-live-streams.md).
"""

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


def bind_args(bind: str) -> list[str]:
    """gunicorn-style ``--bind`` (HOST:PORT, [IPv6]:PORT, unix:PATH) as uvicorn's options."""
    if bind.startswith("unix:"):
        return ["--uds", bind[len("unix:"):]]
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit():
        host, port = bind, "8000"
    return ["--host", host.strip("[]") or "127.0.0.1", "--port", port]


def web_command(python: str, bind: str, workers: int) -> list[str]:
    """The web server: uvicorn with its own worker processes (restarted if one dies). On
    SIGTERM it stops accepting, the hall's streams end at once (see onewindow.asgi), ordinary
    requests get up to 10 s to finish."""
    return [
        python, "-m", "uvicorn", "onewindow.asgi:application", *bind_args(bind),
        "--workers", str(max(1, workers)), "--timeout-graceful-shutdown", "10",
        "--lifespan", "on", "--no-server-header",
    ]


def web_env() -> dict[str, str]:
    """Under ASGI Django runs each request's sync code in a thread of that request's own, so a
    persistent database connection would outlive its thread and linger unused until garbage
    collected (Django's advice: CONN_MAX_AGE=0 under ASGI, or a connection pool)."""
    env = dict(os.environ)
    env["ONEWINDOW_DB_CONN_MAX_AGE"] = "0"
    env.setdefault("ONEWINDOW_DB_POOL_MAX", "10")  # PostgreSQL only: a pool per process
    return env


class Command(BaseCommand):
    help = "启动平台：uvicorn（ASGI）网页服务 + Celery 后台任务（含定时任务）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default=os.environ.get("ONEWINDOW_BIND", "127.0.0.1:8000"),
            help="HOST:PORT（IPv6 写作 [::1]:8000）或 unix:/路径",
        )
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
                web_command(python, options["bind"], options["workers"]), env=web_env()
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
