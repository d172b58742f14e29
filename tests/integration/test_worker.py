"""Jobs run on a real Celery worker: the embedded filesystem broker and Redis.

The worker is a separate process, so it must see the test database: these tests run on the
PostgreSQL pass of the suite (the SQLite test database lives in memory).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from onewindow.notifications.models import Notification, OutboxStatus


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15").ping())
    except redis.RedisError:
        return False


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.mark.parametrize("broker", ["filesystem", "redis"])
@pytest.mark.django_db(transaction=True)
def test_outbox_rows_are_delivered_by_a_real_worker(broker, tmp_path: Path):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass: the worker process needs a shared database")
    if broker == "redis" and not _redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis at 127.0.0.1:6379 is required in CI")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    note = Notification.objects.create(channel="sms", phone="13905391001", body="测试短信")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "ONEWINDOW_VAR_DIR": str(tmp_path),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "ONEWINDOW_TESTING": "1",
    }
    if broker == "redis":
        env["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/15"
    else:
        env.pop("CELERY_BROKER_URL", None)
    # Enqueue from a separate process configured exactly like the platform (not eager).
    enqueue = (
        "import django; django.setup();"
        "from onewindow.notifications.tasks import deliver_pending; deliver_pending.delay()"
    )
    subprocess.run([sys.executable, "-c", enqueue], env=env, check=True, timeout=60)  # noqa: S603
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "onewindow", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            note.refresh_from_db()
            if note.status == OutboxStatus.SENT:
                break
            time.sleep(0.3)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert note.status == OutboxStatus.SENT
    assert note.attempts == 1
