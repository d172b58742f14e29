"""Periodic jobs of cases: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task

from onewindow.cases import audit, services
from onewindow.core import clock


@shared_task(name="cases.deem_accepted")
def deem_accepted() -> int:
    """Accept the cases whose 5-working-day notice period ran out."""
    return services.cases_deem_accepted()


@shared_task(name="cases.anchor_audit")
def anchor_audit() -> int:
    """Anchor every finished day's events (idempotent)."""
    return audit.anchor_days(until=clock.today())
