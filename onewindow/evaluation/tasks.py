"""Periodic jobs of 好差评: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task

from onewindow.evaluation import services


@shared_task(name="evaluation.send_invitations")
def send_invitations() -> int:
    """Invite the applicants of recently completed cases and served tickets to rate them
    (one invitation per service, ever)."""
    return services.invitations_send_recent()
