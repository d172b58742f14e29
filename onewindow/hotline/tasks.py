"""Periodic jobs of the hotline: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task

from onewindow.hotline import orders


@shared_task(name="hotline.mark_overdue_orders")
def mark_overdue_orders() -> int:
    """Mark work orders past their signing or reply limit and tell the department (idempotent)."""
    return orders.work_orders_mark_overdue()
