"""The transactional outbox: nothing lost, nothing sent on rollback, nothing sent twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from onewindow.notifications import services
from onewindow.notifications.models import Channel, Notification, OutboxStatus
from onewindow.notifications.services import Message, notifications_enqueue
from onewindow.notifications.sms import RecordingSmsBackend

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_eager_delivery(monkeypatch):
    """Tests drive delivery themselves (in tests Celery runs tasks eagerly on commit)."""
    monkeypatch.setattr(services, "_schedule_delivery", lambda: None)


@pytest.fixture
def gateway(settings):
    settings.SMS_BACKEND = "onewindow.notifications.sms.RecordingSmsBackend"
    RecordingSmsBackend.reset()
    yield RecordingSmsBackend
    RecordingSmsBackend.reset()


def sms(key: str = "case:1:2:sms:13905391001") -> Message:
    return Message(channel=Channel.SMS, phone="13905391001", body="您的办件已受理", dedupe_key=key)


def test_a_rolled_back_change_writes_and_sends_nothing(gateway):
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications_enqueue(messages=[sms()])
        raise RuntimeError("the change failed")
    assert Notification.objects.count() == 0
    services.notifications_deliver_pending()
    assert gateway.calls == []


def test_the_same_event_never_writes_two_messages_to_one_recipient(gateway):
    notifications_enqueue(messages=[sms()])
    notifications_enqueue(messages=[sms()])
    assert Notification.objects.count() == 1
    assert services.notifications_deliver_pending() == 1
    assert services.notifications_deliver_pending() == 0
    assert len(gateway.calls) == 1


def test_a_worker_killed_between_send_and_mark_resends_with_the_same_id(gateway, monkeypatch,
                                                                         time_machine):
    notifications_enqueue(messages=[sms()])
    note = Notification.objects.get()
    original_mark_sent = services._mark_sent

    def die(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(services, "_mark_sent", die)
    with pytest.raises(SystemExit):
        services.notifications_deliver_pending()
    note.refresh_from_db()
    assert note.status == OutboxStatus.SENDING and gateway.calls == [f"ow-{note.pk}"]
    monkeypatch.setattr(services, "_mark_sent", original_mark_sent)

    # Another worker right away leaves it alone: the lease still holds.
    assert services.notifications_deliver_pending() == 0
    # After the lease it is claimed again and re-sent with the same message id …
    time_machine.move_to(timezone.now() + services.LEASE + dt.timedelta(seconds=1))
    assert services.notifications_deliver_pending() == 1
    note.refresh_from_db()
    assert note.status == OutboxStatus.SENT
    assert gateway.calls == [f"ow-{note.pk}", f"ow-{note.pk}"]
    # … which the gateway accepts once: the recipient gets one message.
    assert list(gateway.received) == [f"ow-{note.pk}"]


def test_gateway_failures_are_retried_with_back_off_then_marked_failed(settings, time_machine):
    settings.SMS_BACKEND = "onewindow.notifications.sms.FailingSmsBackend"
    notifications_enqueue(messages=[sms()])
    note = Notification.objects.get()
    waits = []
    for _ in range(services.MAX_ATTEMPTS):
        services.notifications_deliver_pending()
        note.refresh_from_db()
        if note.status == OutboxStatus.FAILED:
            break
        assert note.status == OutboxStatus.PENDING and note.next_attempt_at is not None
        waits.append((note.next_attempt_at - timezone.now()).total_seconds())
        assert services.notifications_deliver_pending() == 0  # not before its time
        time_machine.move_to(note.next_attempt_at + dt.timedelta(seconds=1))
    assert note.status == OutboxStatus.FAILED and note.attempts == services.MAX_ATTEMPTS
    assert waits == sorted(waits) and waits[1] > waits[0] * 1.5  # exponential
    assert "unreachable" in note.last_error


def test_in_app_messages_are_stored_as_delivered(gateway, django_user_model):
    user = django_user_model.objects.create_user(username="u1")
    notifications_enqueue(messages=[Message(channel=Channel.IN_APP, user_id=user.pk,
                                            body="已受理", dedupe_key="case:1:2:app:1")])
    note = Notification.objects.get()
    assert note.status == OutboxStatus.SENT and note.user_id == user.pk
    assert services.notifications_deliver_pending() == 0 and gateway.calls == []


def test_mark_read_touches_only_the_users_own_in_app_messages(db):
    from django.contrib.auth import get_user_model

    from onewindow.notifications import selectors
    from onewindow.notifications.models import Channel, Notification
    from onewindow.notifications.services import notifications_mark_read

    user_model = get_user_model()
    me = user_model.objects.create_user(username="me")
    other = user_model.objects.create_user(username="other")
    mine = Notification.objects.create(channel=Channel.IN_APP, user=me, body="甲", dedupe_key="a")
    theirs = Notification.objects.create(channel=Channel.IN_APP, user=other, body="乙",
                                         dedupe_key="b")
    assert selectors.unread_count(user_id=me.pk) == 1
    assert notifications_mark_read(user_id=me.pk, ids=[mine.pk, theirs.pk]) == 1
    assert selectors.unread_count(user_id=me.pk) == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert list(selectors.inbox_messages(user_id=me.pk)) == [mine]
