"""Outbox of notifications (SMS, in-app): rows written in the same transaction as the change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.core.masking import mask_phone


class Channel(models.TextChoices):
    SMS = "sms", _("短信")
    IN_APP = "in_app", _("站内消息")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Notification(models.Model):
    """One message to one recipient, delivered after commit by a job (transactional outbox).

    ``dedupe_key`` (unique) names the event and the recipient, so the same event never writes
    two messages to one person; a row is claimed for a lease (``claimed_until``) and sent outside
    any transaction, so a worker that dies mid-way leaves it to be claimed again.
    """

    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    phone = models.CharField(_("手机号码"), max_length=11, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="notifications",
    )
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=300, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=120, null=True, blank=True, unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("领取至"), null=True, blank=True)
    last_error = models.CharField(_("错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], name="notification_pending",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["claimed_until"], name="notification_sending",
                condition=models.Q(status="sending"),
            ),
            models.Index(fields=["phone", "-created_at"], name="notification_phone"),
            models.Index(fields=["user", "-created_at"], name="notification_user"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {mask_phone(self.phone) or self.user_id}"
