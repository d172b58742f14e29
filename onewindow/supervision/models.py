"""Electronic supervision (电子监察): alert rules, alerts raised by the scan, supervision
notices (督办单) and the scan's own progress.

- :class:`AlertRule` — per region subtree (and optionally item type): how many working days
  before the due date a reminder (督办提醒) and a yellow card (黄牌预警) are raised.
- :class:`Alert` — one per (kind, case, step): a reminder, yellow or red card, or an
  irregularity (a refusal without reasons, a decision after the legal limit, a decision
  without its required steps, a receipt dated before its entry). ``key`` makes raising
  idempotent: running the scan twice raises nothing more.
- :class:`SupervisionNotice` — a notice a supervisor issues by hand; the department replies
  by a deadline.
- :class:`ScanState` — what the last scan covered (the case-log watermark and the due-date
  windows), so each scan reads only what changed since.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onewindow.regions.models import Department, Region


class AlertRule(models.Model):
    region = models.ForeignKey(
        Region, verbose_name=_("适用区划"), on_delete=models.CASCADE, related_name="+",
        help_text=_("本区划及其下级的办件适用；下级有规则时以下级为准。"),
    )
    item_type = models.CharField(
        _("事项类型"), max_length=20, blank=True, help_text=_("留空为所有类型。"),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("提醒（剩余工作日）"), default=3, help_text=_("剩余工作日不多于此数时发督办提醒。"),
    )
    yellow_days = models.PositiveSmallIntegerField(
        _("黄牌（剩余工作日）"), default=1, help_text=_("剩余工作日不多于此数时亮黄牌。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")
        constraints = [
            models.UniqueConstraint(fields=["region", "item_type"], name="alert_rule_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.item_type or '全部'}"


class AlertKind(models.TextChoices):
    REMINDER = "reminder", _("督办提醒")
    YELLOW = "yellow", _("黄牌预警")
    RED = "red", _("红牌（超期）")
    REFUSED_WITHOUT_REASON = "refused_no_reason", _("不予受理未说明理由")
    DECIDED_LATE = "decided_late", _("超法定时限作出决定")
    MISSING_STEPS = "missing_steps", _("未经规定环节即作出决定")
    BACKDATED = "backdated", _("体外受理后补录")
    HOP_LATE = "hop_late", _("层级流转超时（转报或下送逾期）")


LEVELS = {
    AlertKind.REMINDER: 1, AlertKind.YELLOW: 2, AlertKind.RED: 3,
    AlertKind.REFUSED_WITHOUT_REASON: 3, AlertKind.DECIDED_LATE: 3,
    AlertKind.MISSING_STEPS: 3, AlertKind.BACKDATED: 2, AlertKind.HOP_LATE: 2,
}


class AlertState(models.TextChoices):
    OPEN = "open", _("未处理")
    CLOSED = "closed", _("已解除")  # the case or step finished
    WITHDRAWN = "withdrawn", _("已撤销")


class Alert(models.Model):
    key = models.CharField(max_length=80, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=20, choices=AlertKind.choices)
    level = models.PositiveSmallIntegerField(_("级别"), default=1)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("办件"), on_delete=models.CASCADE, related_name="+",
    )
    task = models.ForeignKey(
        "cases.Task", verbose_name=_("环节"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", db_index=False,
    )
    region = models.ForeignKey(
        Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+",
    )
    due = models.DateField(_("到期日"), null=True, blank=True)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=AlertState.choices, default=AlertState.OPEN
    )
    raised_at = models.DateTimeField(_("发出时间"))
    closed_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("撤销人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    withdraw_reason = models.CharField(_("撤销理由"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        indexes = [
            models.Index(fields=["state", "raised_at"], name="alert_open",
                         condition=Q(state="open")),
            models.Index(fields=["case"], name="alert_case"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case_id}"


class NoticeState(models.TextChoices):
    OPEN = "open", _("待回复")
    REPLIED = "replied", _("已回复")
    CLOSED = "closed", _("已办结")


class SupervisionNotice(models.Model):
    """督办单: issued by a supervisor to a department about a case; replied to by a date."""

    number = models.CharField(_("督办单号"), max_length=30, unique=True)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="+",
    )
    alert = models.ForeignKey(
        Alert, verbose_name=_("预警"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="notices",
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    department = models.ForeignKey(
        Department, verbose_name=_("被督办部门"), on_delete=models.PROTECT, related_name="+",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("督办人"), on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("督办时间"))
    request = models.TextField(_("督办要求"), max_length=2000)
    reply_due = models.DateField(_("回复期限"))
    state = models.CharField(
        _("状态"), max_length=10, choices=NoticeState.choices, default=NoticeState.OPEN
    )
    reply = models.TextField(_("回复内容"), max_length=2000, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回复人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")

    def __str__(self) -> str:
        return self.number


class ScanState(models.Model):
    """One row: how far the last scan went (see :mod:`onewindow.supervision.services`)."""

    last_event_id = models.BigIntegerField(default=0)
    red_through = models.DateField(null=True, blank=True)  # due dates < this were red-scanned
    yellow_through = models.DateField(null=True, blank=True)  # due dates ≤ this were scanned
    reminder_through = models.DateField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run_ms = models.PositiveIntegerField(default=0)
    last_raised = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("监察扫描进度")
        verbose_name_plural = _("监察扫描进度")

    def __str__(self) -> str:
        return f"{self.last_run_at}"
