"""好差评 and 投诉: evaluations of services, bad-review follow-ups, appeals, complaints.

- :class:`Evaluation` (好差评) — one rating (GB/T 39735 levels 1 非常满意 … 5 非常不满意) of one
  service: a completed case, a window visit (a served :class:`~onewindow.hall.models.Ticket`),
  later a 12345 work order. The service is named by ``service_kind`` + ``service_ref`` (unique
  together: 一次一评、一事一评); the nullable ``case``/``ticket`` keys are conveniences for
  joins. Who handled the service (region, department, window, staff) is captured at rating time.
- :class:`FollowUp` (差评整改) — opened by every bad review (levels 4 and 5), due in working
  days; verification and call-back, rectification or explanation, closed by the second rating.
- :class:`Appeal` (申诉复核) — a department's appeal against a malicious review, decided by the
  supervision office; an upheld review is ``excluded`` from figures but kept.
- :class:`Invitation` (评价邀请) — the SMS / in-app invitation to rate one service, with a
  reply code and a link token; written by a periodic, idempotent job.
- :class:`Complaint` (投诉) with :class:`ComplaintFile` evidence — the complainant's identity is
  kept here and shown to the supervision office only.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import StaffMember
from onewindow.cases.models import Case
from onewindow.evaluation.workflow import ComplaintState, FollowUpState
from onewindow.hall.models import Ticket
from onewindow.regions.models import Department, Region, Window


def new_token() -> str:
    """An unguessable public code for a link (invitation, complaint follow page)."""
    return secrets.token_urlsafe(16)


class ServiceKind(models.TextChoices):
    CASE = "case", _("办件")
    TICKET = "ticket", _("窗口服务")
    WORK_ORDER = "work_order", _("12345 工单")


class Level(models.IntegerChoices):
    """评价等级 (GB/T 39734 / 39735): 4 and 5 are bad reviews (差评)."""

    VERY_SATISFIED = 1, _("非常满意")
    SATISFIED = 2, _("满意")
    BASIC = 3, _("基本满意")
    DISSATISFIED = 4, _("不满意")
    VERY_DISSATISFIED = 5, _("非常不满意")


BAD_LEVELS = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)
SATISFIED_LEVELS = (Level.VERY_SATISFIED, Level.SATISFIED, Level.BASIC)


class EvalChannel(models.TextChoices):
    """评价渠道 (GB/T 39735 code table)."""

    PC = "pc", _("网页")
    MOBILE = "mobile", _("移动端")
    QR = "qr", _("扫码评价")
    TABLET = "tablet", _("大厅评价器")
    TERMINAL = "terminal", _("其他终端")
    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")


class Evaluation(models.Model):
    """好差评: one rating of one service."""

    service_kind = models.CharField(_("服务类型"), max_length=12, choices=ServiceKind.choices)
    service_ref = models.CharField(_("服务编号"), max_length=40)
    service_label = models.CharField(_("服务名称"), max_length=200)
    case = models.ForeignKey(
        Case, verbose_name=_("办件"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("排队号"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    # Who handled the service, captured at rating time.
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=Level.choices)
    comment = models.CharField(_("评价内容"), max_length=500, blank=True,
                               help_text=_("证件号码、手机号码已脱敏。"))
    channel = models.CharField(_("评价渠道"), max_length=10, choices=EvalChannel.choices)
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评价人账户"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    rater_phone = models.CharField(_("评价人手机"), max_length=11, blank=True)
    real_name = models.BooleanField(_("实名评价"), default=False)
    created_at = models.DateTimeField(_("评价时间"))
    excluded = models.BooleanField(
        _("不计入统计"), default=False,
        help_text=_("申诉复核成立的恶意评价：保留记录，不计入统计。"),
    )
    # The applicant's second rating after the follow-up (整改后再评价).
    second_level = models.PositiveSmallIntegerField(
        _("整改后评价"), choices=Level.choices, null=True, blank=True
    )
    second_comment = models.CharField(_("整改后评价内容"), max_length=500, blank=True)
    second_channel = models.CharField(
        _("整改后评价渠道"), max_length=10, choices=EvalChannel.choices, blank=True
    )
    second_at = models.DateTimeField(_("整改后评价时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("好差评")
        verbose_name_plural = _("好差评")
        ordering = ["-created_at", "-id"]
        constraints = [
            # 一次一评、一事一评: the database refuses a second rating of one service.
            models.UniqueConstraint(fields=["service_kind", "service_ref"],
                                    name="evaluation_one_per_service"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5),
                                   name="evaluation_level_1_5"),
            models.CheckConstraint(
                condition=Q(second_level__isnull=True)
                | Q(second_level__gte=1, second_level__lte=5),
                name="evaluation_second_level_1_5",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "created_at"], name="evaluation_department"),
            models.Index(fields=["region", "created_at"], name="evaluation_region"),
            models.Index(fields=["window", "created_at"], name="evaluation_window"),
            models.Index(fields=["staff", "created_at"], name="evaluation_staff"),
            models.Index(fields=["created_at"], name="evaluation_created"),
        ]

    def __str__(self) -> str:
        return f"{self.service_label} · {self.get_level_display()}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS


class Responsible(models.TextChoices):
    DEPARTMENT = "department", _("实施部门")
    CENTRE = "centre", _("服务中心")


class FollowUpOutcome(models.TextChoices):
    RECTIFIED = "rectified", _("已整改")
    PLAN = "plan", _("制定整改计划")
    EXPLAINED = "explained", _("解释说明")


class FollowUp(models.Model):
    """差评整改: the handling of one bad review by whoever handled the service."""

    evaluation = models.OneToOneField(
        Evaluation, verbose_name=_("评价"), on_delete=models.PROTECT, related_name="follow_up"
    )
    state = models.CharField(_("状态"), max_length=10, choices=FollowUpState.choices,
                             default=FollowUpState.OPEN)
    responsible = models.CharField(_("责任单位类型"), max_length=12, choices=Responsible.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("责任部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("生成时间"))
    due = models.DateField(_("整改期限"))
    due_provisional = models.BooleanField(_("期限按暂定日历计算"), default=False)
    verification = models.TextField(_("核实情况"), blank=True)
    callback_note = models.TextField(_("回访记录"), blank=True)
    called_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回访人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    outcome = models.CharField(_("整改结果"), max_length=10, choices=FollowUpOutcome.choices,
                               blank=True)
    response = models.TextField(_("答复（公开）"), blank=True)
    rectify_by = models.DateField(_("整改完成日期"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("答复人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    on_time = models.BooleanField(_("按期答复"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_reason = models.CharField(_("办结方式"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        ordering = ["due", "id"]
        indexes = [
            models.Index(fields=["state", "due"], name="followup_open_due",
                         condition=Q(state__in=["open", "called"])),
            models.Index(fields=["department", "state"], name="followup_department"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation.service_label} · {self.get_state_display()}"


class AppealState(models.TextChoices):
    PENDING = "pending", _("待复核")
    UPHELD = "upheld", _("申诉成立")
    REJECTED = "rejected", _("申诉不成立")


class Appeal(models.Model):
    """申诉复核: one appeal per review, decided by the supervision office."""

    evaluation = models.OneToOneField(
        Evaluation, verbose_name=_("评价"), on_delete=models.PROTECT, related_name="appeal"
    )
    state = models.CharField(_("状态"), max_length=10, choices=AppealState.choices,
                             default=AppealState.PENDING)
    reason = models.TextField(_("申诉理由"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申诉人"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("申诉时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("复核人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    decision_note = models.TextField(_("复核意见"), blank=True)

    class Meta:
        verbose_name = _("申诉复核")
        verbose_name_plural = _("申诉复核")
        ordering = ["-filed_at", "-id"]
        indexes = [models.Index(fields=["state", "filed_at"], name="appeal_state")]

    def __str__(self) -> str:
        return f"{self.evaluation_id} · {self.get_state_display()}"


class InvitationPurpose(models.TextChoices):
    FIRST = "first", _("办结后评价")
    SECOND = "second", _("整改后再评价")


class Invitation(models.Model):
    """评价邀请: one SMS / in-app invitation to rate one service (a reply code and a link)."""

    service_kind = models.CharField(_("服务类型"), max_length=12, choices=ServiceKind.choices)
    service_ref = models.CharField(_("服务编号"), max_length=40)
    purpose = models.CharField(_("用途"), max_length=8, choices=InvitationPurpose.choices,
                               default=InvitationPurpose.FIRST)
    phone = models.CharField(_("手机号码"), max_length=11, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("账户"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    code = models.CharField(_("回复码"), max_length=4)
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    sent_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评价邀请")
        verbose_name_plural = _("评价邀请")
        constraints = [
            models.UniqueConstraint(fields=["service_kind", "service_ref", "purpose"],
                                    name="invitation_one_per_service"),
        ]
        indexes = [
            models.Index(fields=["phone", "-sent_at"], name="invitation_phone",
                         condition=Q(used_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.service_kind}:{self.service_ref} {self.get_purpose_display()}"


class ComplaintChannel(models.TextChoices):
    ONLINE = "online", _("网上投诉")
    DESK = "desk", _("大厅投诉台")
    PHONE = "phone", _("监督电话")


class TargetKind(models.TextChoices):
    WINDOW = "window", _("窗口")
    STAFF = "staff", _("工作人员")
    DEPARTMENT = "department", _("部门")
    CASE = "case", _("办件")


class Complaint(models.Model):
    """投诉. The complainant's identity (``complainant_*``) is for the supervision office only:
    the department's and staff's views never load those columns."""

    number = models.CharField(_("投诉编号"), max_length=24, unique=True, null=True, blank=True)
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    channel = models.CharField(_("投诉渠道"), max_length=8, choices=ComplaintChannel.choices)
    state = models.CharField(_("状态"), max_length=16, choices=ComplaintState.choices,
                             default=ComplaintState.RECEIVED)
    target_kind = models.CharField(_("投诉对象类型"), max_length=12, choices=TargetKind.choices)
    target_window = models.ForeignKey(
        Window, verbose_name=_("被投诉窗口"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    target_staff = models.ForeignKey(
        StaffMember, verbose_name=_("被投诉工作人员"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    target_case = models.ForeignKey(
        Case, verbose_name=_("所涉办件"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("被投诉部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("投诉事由"), max_length=100)
    content = models.TextField(_("投诉内容"))
    complainant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("投诉人账户"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    complainant_name = models.CharField(_("投诉人"), max_length=50, blank=True)
    complainant_mobile = models.CharField(_("投诉人手机"), max_length=11)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("投诉时间"))
    due = models.DateField(_("答复期限"))
    due_provisional = models.BooleanField(_("期限按暂定日历计算"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("承办人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)
    department_asked = models.BooleanField(_("已要求部门说明情况"), default=False)
    department_statement = models.TextField(_("部门情况说明"), blank=True)
    statement_at = models.DateTimeField(_("说明时间"), null=True, blank=True)
    investigation = models.TextField(_("调查情况（内部）"), blank=True)
    substantiated = models.BooleanField(_("投诉属实"), null=True, blank=True)
    answer = models.TextField(_("答复内容"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("答复人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    on_time = models.BooleanField(_("按期答复"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("对答复的评价"), choices=Level.choices,
                                              null=True, blank=True)
    rating_comment = models.CharField(_("评价内容"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="complaint_rating_1_5",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due"], name="complaint_open_due",
                         condition=Q(state__in=["received", "investigating"])),
            models.Index(fields=["department", "created_at"], name="complaint_department"),
            models.Index(fields=["region", "created_at"], name="complaint_region"),
            models.Index(fields=["complainant_mobile", "created_at"], name="complaint_mobile"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class ComplaintFile(models.Model):
    """投诉证据: a PDF or image, checked by content."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(_("文件"), upload_to="complaints/%Y/%m/", max_length=200)
    file_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(_("摘要"), max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("投诉证据")
        verbose_name_plural = _("投诉证据")
        ordering = ["complaint", "id"]

    def __str__(self) -> str:
        return self.file_name
