"""Periodic jobs of 一件事: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task

from onewindow.packages import services


@shared_task(name="packages.start_ready")
def start_ready() -> int:
    """Catch up with cases that moved since their package application was last brought up to
    date: start items whose prerequisites are issued, close those that cannot go on, complete
    applications (a second run changes nothing)."""
    return services.applications_start_ready()
