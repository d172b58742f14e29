"""Periodic job of window assessment."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="assessment.compute_last_month")
def compute_last_month() -> dict[str, int]:
    """Last month's draft for every city and district (idempotent; published runs are kept)."""
    from onewindow.assessment.services import assessment_compute_last_month

    return assessment_compute_last_month()
