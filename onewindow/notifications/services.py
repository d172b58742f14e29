"""Writing notifications into the outbox and delivering them."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from onewindow.core.masking import mask_phone
from onewindow.notifications.models import Channel, Notification, OutboxStatus
from onewindow.notifications.sms import get_backend

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def sms_enqueue(*, phone: str, body: str) -> Notification:
    """Write an SMS into the outbox; delivery happens after commit."""
    note = Notification.objects.create(channel=Channel.SMS, phone=phone, body=body)
    transaction.on_commit(_schedule_delivery)
    return note


def _schedule_delivery() -> None:
    from onewindow.notifications.tasks import deliver_pending

    try:
        deliver_pending.delay()
    except Exception:  # noqa: BLE001 - the periodic job delivers it later
        logger.warning("could not enqueue outbox delivery; the periodic job will pick it up")


def notifications_deliver_pending(*, batch: int = 100) -> int:
    """Deliver pending rows; each row is claimed with SKIP LOCKED where the database has it."""
    delivered = 0
    backend = get_backend()
    with transaction.atomic():
        qs = Notification.objects.filter(status=OutboxStatus.PENDING).order_by("created_at")
        rows = list(qs.select_for_update(skip_locked=True)[:batch])
        for note in rows:
            note.attempts += 1
            try:
                if note.channel == Channel.SMS:
                    backend.send(phone=note.phone, body=note.body)
            except Exception as exc:  # noqa: BLE001 - a gateway error is recorded and retried
                note.last_error = str(exc)[:500]
                if note.attempts >= MAX_ATTEMPTS:
                    note.status = OutboxStatus.FAILED
                logger.warning("sms to %s failed: %s", mask_phone(note.phone), exc)
            else:
                note.status = OutboxStatus.SENT
                note.sent_at = timezone.now()
                delivered += 1
            note.save(update_fields=["attempts", "last_error", "status", "sent_at"])
    return delivered
