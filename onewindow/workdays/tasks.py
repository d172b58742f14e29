"""Celery task: run the deadline recomputers (期限重算) off the request path."""

from __future__ import annotations

from celery import shared_task

from onewindow.workdays.services import calendar_recompute


@shared_task(name="workdays.recompute_deadlines")
def recompute_deadlines(years: list[int] | None = None) -> int:
    return calendar_recompute(years=years)
