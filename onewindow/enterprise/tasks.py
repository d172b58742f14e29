"""Periodic jobs of 企忧档案."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="enterprise.mark_overdue_concerns")
def mark_overdue_concerns() -> int:
    """Mark concerns past their deadline and tell the department (idempotent)."""
    from onewindow.enterprise.services import concerns_mark_overdue

    return concerns_mark_overdue()
