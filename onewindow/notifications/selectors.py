"""Reading a user's in-app messages (站内消息)."""

from __future__ import annotations

from django.db.models import QuerySet

from onewindow.notifications.models import Channel, Notification


def inbox_messages(*, user_id: int) -> QuerySet[Notification]:
    """The user's in-app messages, newest first."""
    return Notification.objects.filter(user_id=user_id, channel=Channel.IN_APP).order_by(
        "-created_at", "-id"
    )


def unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(
        user_id=user_id, channel=Channel.IN_APP, read_at__isnull=True
    ).count()
