"""Writing notifications into the outbox and delivering them.

Delivery is at least once with an idempotent receiver: a row is claimed for a lease in a short
transaction (``SKIP LOCKED``), sent outside any transaction with its stable message id, then
marked. A worker that dies after sending leaves the row ``sending``; when the lease runs out it
is claimed again and re-sent with the same message id, which the gateway drops as a repeat.
Failures are retried with exponential back-off, up to :data:`MAX_ATTEMPTS`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from onewindow.core import clock
from onewindow.core.masking import mask_phone
from onewindow.notifications.models import Channel, Notification, OutboxStatus
from onewindow.notifications.sms import get_backend

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LEASE = dt.timedelta(seconds=60)
BACKOFF_BASE_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Message:
    """One message to write into the outbox (see :func:`notifications_enqueue`)."""

    channel: str
    body: str
    dedupe_key: str
    phone: str = ""
    user_id: int | None = None
    subject: str = ""
    link: str = ""


def sms_enqueue(*, phone: str, body: str) -> Notification:
    """Write an SMS into the outbox; delivery happens after commit."""
    note = Notification.objects.create(channel=Channel.SMS, phone=phone, body=body)
    transaction.on_commit(_schedule_delivery)
    return note


def notifications_enqueue(*, messages: Iterable[Message]) -> int:
    """Write messages in the caller's transaction; a repeated ``dedupe_key`` is ignored.

    In-app messages need no gateway and are stored as sent. Returns how many rows were given.
    """
    now = timezone.now()
    rows = [
        Notification(
            channel=m.channel, phone=m.phone, user_id=m.user_id, subject=m.subject[:200],
            body=m.body, link=m.link[:300], dedupe_key=m.dedupe_key[:120],
            status=OutboxStatus.SENT if m.channel == Channel.IN_APP else OutboxStatus.PENDING,
            sent_at=now if m.channel == Channel.IN_APP else None,
        )
        for m in messages
    ]
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if any(r.channel == Channel.SMS for r in rows):
        transaction.on_commit(_schedule_delivery)
    return len(rows)


_last_kick = 0.0


def notifications_mark_read(*, user_id: int, ids: Iterable[int]) -> int:
    """Mark the user's in-app messages ``ids`` read (others' and already read ones untouched)."""
    return Notification.objects.filter(
        pk__in=list(ids), user_id=user_id, channel=Channel.IN_APP, read_at__isnull=True
    ).update(read_at=clock.now())


def _schedule_delivery() -> None:
    """Ask a worker to deliver now — at most once per ``ONEWINDOW_OUTBOX_KICK_SECONDS`` per
    process, so a burst of submissions does not become a burst of broker messages (the periodic
    job delivers anything a skipped kick leaves)."""
    global _last_kick
    from onewindow.notifications.tasks import deliver_pending

    now = time.monotonic()
    if now - _last_kick < float(getattr(settings, "ONEWINDOW_OUTBOX_KICK_SECONDS", 1.0)):
        return
    _last_kick = now
    try:
        deliver_pending.delay()
    except Exception:  # noqa: BLE001 - the periodic job delivers it later
        logger.warning("could not enqueue outbox delivery; the periodic job will pick it up")


def _claim(batch: int) -> list[Notification]:
    now = timezone.now()
    due = Q(status=OutboxStatus.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    expired = Q(status=OutboxStatus.SENDING, claimed_until__lt=now)
    with transaction.atomic():
        rows = list(
            Notification.objects.filter(due | expired)
            .order_by("created_at")
            .select_for_update(skip_locked=True)[:batch]
        )
        if rows:
            Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=OutboxStatus.SENDING, claimed_until=now + LEASE
            )
    return rows


def message_id(note: Notification) -> str:
    """The stable id the gateway sees for every attempt at this row."""
    return f"ow-{note.pk}"


def notifications_deliver_pending(*, batch: int = 100) -> int:
    """Claim due rows, send each outside any transaction, record the outcome."""
    backend = get_backend()
    delivered = 0
    for note in _claim(batch):
        attempts = note.attempts + 1
        try:
            if note.channel == Channel.SMS:
                backend.send(phone=note.phone, body=note.body, message_id=message_id(note))
        except Exception as exc:  # noqa: BLE001 - a gateway error is recorded and retried
            failed = attempts >= MAX_ATTEMPTS
            Notification.objects.filter(pk=note.pk).update(
                attempts=attempts, last_error=str(exc)[:500], claimed_until=None,
                status=OutboxStatus.FAILED if failed else OutboxStatus.PENDING,
                next_attempt_at=timezone.now()
                + dt.timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** (attempts - 1)),
            )
            logger.warning("sms to %s failed: %s", mask_phone(note.phone), exc)
        else:
            _mark_sent(note, attempts)
            delivered += 1
    return delivered


def _mark_sent(note: Notification, attempts: int) -> None:
    Notification.objects.filter(pk=note.pk).update(
        status=OutboxStatus.SENT, attempts=attempts, sent_at=timezone.now(),
        claimed_until=None, last_error="",
    )
