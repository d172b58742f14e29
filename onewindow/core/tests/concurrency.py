"""Helpers for the PostgreSQL concurrency tests of every app (not a test module)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections


def postgres_only() -> None:
    """Skip on SQLite: its writers are serialised and its test database lives in one
    connection's memory (the PostgreSQL pass runs these; in CI PostgreSQL is required)."""
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass: needs concurrent connections")


def run_at_once(fns: list[Callable[[], Any]], *, timeout: float = 120) -> list[Any]:
    """Run each function in its own thread and connection, released together; each result is
    the function's return value or the exception it raised."""
    barrier = threading.Barrier(len(fns))
    results: list[Any] = [None] * len(fns)

    def worker(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the tests assert on
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results
