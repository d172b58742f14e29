"""Periodic jobs of electronic supervision."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="supervision.scan")
def scan() -> dict[str, Any]:
    """Raise reminders, yellow and red cards and irregularities (idempotent)."""
    from onewindow.supervision.services import supervision_scan

    result = supervision_scan()
    return {"raised": result.raised, "closed": result.closed, "ms": result.ms}
