"""Cases (办件): one application of one service item, from application to delivery.

A :class:`Case` records the catalogue version it was applied under, its materials
(:class:`CaseMaterial`), the review tasks snapshotted from the item's process
(:class:`Task`), clock stops (:class:`ClockStop`), the documents issued (:class:`Notice`,
:class:`Certificate`) and an append-only, hash-chained log (:class:`CaseEvent`). Deadlines are
computed by :mod:`onewindow.cases.deadlines` and stored, so due-date queries are index look-ups.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import Applicant, Role
from onewindow.cases.workflow import CaseState, Decision, TaskState
from onewindow.catalog.codes import LimitUnit
from onewindow.catalog.models import ItemVersion, Material, ServiceItem
from onewindow.regions.models import Department, Region, ServiceCentre


class Channel(models.TextChoices):
    ONLINE = "online", _("网上申请")
    WINDOW = "window", _("窗口申请")
    AGENT = "agent", _("代办申请")
    API = "api", _("系统对接")


class DeliveryMethod(models.TextChoices):
    WINDOW = "window", _("窗口领取")
    POST = "post", _("邮寄送达")
    ELECTRONIC = "electronic", _("电子送达")


class Case(models.Model):
    """办件."""

    case_no = models.CharField(_("办件编号"), max_length=32, unique=True)
    query_code = models.CharField(_("查询码"), max_length=12)
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="cases"
    )
    version = models.ForeignKey(
        ItemVersion, verbose_name=_("事项版本"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+",
        db_index=False,  # led by the (region, -created_at) index below
    )
    department = models.ForeignKey(
        Department, verbose_name=_("实施部门"), on_delete=models.PROTECT, related_name="+",
        db_index=False,  # led by the (department, -created_at) index below
    )
    centre = models.ForeignKey(
        ServiceCentre, verbose_name=_("受理中心"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    # 就近办 (四级联动): the lower-level centre or station that took the application in for an
    # item of a higher level; it checks materials, forwards the file up and hands the result
    # over. Null when the case was received at the item's own level.
    intake_region = models.ForeignKey(
        Region, verbose_name=_("就近受理区划"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    applicant = models.ForeignKey(
        Applicant, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="cases",
        db_index=False,  # led by the (applicant, -created_at) index below
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    channel = models.CharField(_("申请渠道"), max_length=10, choices=Channel.choices)
    state = models.CharField(
        _("状态"), max_length=20, choices=CaseState.choices, default=CaseState.DRAFT
    )
    decision = models.CharField(
        _("审批结果"), max_length=10, choices=Decision.choices, default=Decision.NONE, blank=True
    )
    row_version = models.PositiveIntegerField(_("版本"), default=1)
    form_data = models.JSONField(_("申请表"), default=dict, blank=True)
    is_instant = models.BooleanField(_("即办件"), default=False)

    # Times of the procedure.
    created_at = models.DateTimeField(_("创建时间"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    received_on = models.DateField(_("材料接收日期"), null=True, blank=True)
    supplement_requested_at = models.DateTimeField(_("告知补正时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    accepted_on = models.DateField(_("受理日期（起算日）"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("受理人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    deemed_accepted = models.BooleanField(_("视为受理"), default=False)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    # Deadlines (stored; recomputed by services and calendar changes).
    limit_unit = models.CharField(
        _("时限单位"), max_length=12, choices=LimitUnit.choices, default=LimitUnit.WORKDAY
    )
    legal_limit_days = models.PositiveIntegerField(_("法定时限"), default=0)
    promised_limit_days = models.PositiveIntegerField(_("承诺时限"), default=0)
    stopped_days = models.PositiveIntegerField(_("暂停计时天数"), default=0)
    clock_stopped_since = models.DateField(_("暂停计时起"), null=True, blank=True)
    extension_days = models.PositiveIntegerField(_("延期天数"), default=0)
    extension_reason = models.CharField(_("延期理由"), max_length=500, blank=True)
    legal_due = models.DateField(_("法定办结日期"), null=True, blank=True)
    promised_due = models.DateField(_("承诺办结日期"), null=True, blank=True)
    deadlines_provisional = models.BooleanField(_("期限按暂定日历计算"), default=False)

    # Outcome and delivery (统一出件).
    refusal_reason = models.TextField(_("不予受理理由"), blank=True)
    refer_to = models.CharField(_("告知向何机关申请"), max_length=300, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    delivery_method = models.CharField(
        _("送达方式"), max_length=12, choices=DeliveryMethod.choices, blank=True
    )
    tracking_no = models.CharField(_("快递单号"), max_length=40, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    # Audit chain head (updated with every event, in the same transaction).
    event_count = models.PositiveIntegerField(_("日志条数"), default=0)
    head_hash = models.CharField(_("日志链头"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-created_at"]
        indexes = [
            # Cases due within N working days: a range scan on the stored due date.
            # (due, id) is the list's order, so the first page is read off the index in order
            # even when thousands of cases share a date.
            # The scope columns ride along so that counting them is an index-only scan.
            models.Index(
                fields=["promised_due", "id"], name="case_promised_due_open",
                include=["region", "department"], condition=models.Q(state="in_review"),
            ),
            models.Index(
                fields=["legal_due", "id"], name="case_legal_due_open",
                condition=models.Q(state="in_review"),
            ),
            # The window's pre-review queue.
            models.Index(
                fields=["region", "submitted_at"], name="case_prereview",
                condition=models.Q(state__in=["submitted", "awaiting_supplement"]),
            ),
            models.Index(fields=["applicant", "-created_at"], name="case_applicant"),
            models.Index(fields=["department", "-created_at"], name="case_department"),
            models.Index(fields=["region", "-created_at"], name="case_region"),
        ]

    def __str__(self) -> str:
        return self.case_no


class HopKind(models.TextChoices):
    FORWARD = "forward", _("上报（转报上级）")
    PRELIMINARY = "preliminary", _("下级初审后上报")
    RETURN = "return", _("结果下送")


class CaseHop(models.Model):
    """One hop of a case between levels (四级联动): sent, due, received — each its own limit."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE,
                             related_name="hops")
    seq = models.PositiveSmallIntegerField(_("序号"))
    kind = models.CharField(_("流转类型"), max_length=12, choices=HopKind.choices)
    from_region = models.ForeignKey(Region, verbose_name=_("发出区划"), on_delete=models.PROTECT,
                                    related_name="+")
    to_region = models.ForeignKey(Region, verbose_name=_("接收区划"), on_delete=models.PROTECT,
                                  related_name="+")
    sent_at = models.DateTimeField(_("发出时间"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发出人"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+")
    limit_days = models.PositiveSmallIntegerField(_("时限（工作日）"))
    due = models.DateField(_("应接收日期"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接收人"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        verbose_name = _("层级流转")
        verbose_name_plural = _("层级流转")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_hop_seq")]
        indexes = [
            # A window's arrivals: hops in transit to its region, oldest due first.
            models.Index(fields=["to_region", "due"], name="hop_in_transit",
                         condition=models.Q(received_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.kind}"


class CaseMaterialStatus(models.TextChoices):
    PENDING = "pending", _("待提交")
    PROVIDED = "provided", _("已提交")
    VERIFIED = "verified", _("已核验")
    MISSING = "missing", _("需补正")
    TOLERATED = "tolerated", _("容缺待补")
    NOT_NEEDED = "not_needed", _("无需提交")


class MaterialOrigin(models.TextChoices):
    UPLOAD = "upload", _("在线上传")
    PAPER = "paper", _("窗口收取纸质件")
    REUSE = "reuse", _("复用已交材料")
    CERTIFICATE = "certificate", _("复用电子证照")


class CaseMaterial(models.Model):
    """办件材料: what the applicant handed in for one material of the checklist."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="materials"
    )
    material = models.ForeignKey(
        Material, verbose_name=_("目录材料"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    sort_order = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("材料名称"), max_length=200)
    required = models.BooleanField(_("必要"), default=True)
    tolerable = models.BooleanField(_("可容缺"), default=False)
    status = models.CharField(
        _("状态"), max_length=12, choices=CaseMaterialStatus.choices,
        default=CaseMaterialStatus.PENDING,
    )
    origin = models.CharField(
        _("来源"), max_length=12, choices=MaterialOrigin.choices, blank=True
    )
    file = models.FileField(_("文件"), upload_to="cases/%Y/%m/", blank=True, max_length=200)
    file_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=40, blank=True)
    size = models.PositiveIntegerField(_("大小"), default=0)
    sha256 = models.CharField(_("摘要"), max_length=64, blank=True)
    reused_from = models.ForeignKey(
        "self", verbose_name=_("复用自"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    certificate = models.ForeignKey(
        "Certificate", verbose_name=_("复用证照"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    promised_by = models.DateField(_("承诺补交日期"), null=True, blank=True)
    provided_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        ordering = ["case", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_content(self) -> bool:
        return bool(self.file) or self.origin in (MaterialOrigin.PAPER, MaterialOrigin.CERTIFICATE)


class ProcessStep(models.Model):
    """办理环节 of an item's review process (审查 → 审核 → 决定 …).

    Each step is done by one department (the item's when empty) and role, within its own limit
    in working days. Without steps an item uses :func:`onewindow.cases.process.default_steps`.
    """

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE,
        related_name="process_steps",
    )
    sort_order = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("环节名称"), max_length=50)
    role = models.CharField(
        _("办理角色"), max_length=20,
        choices=[(r.value, r.label) for r in (Role.REVIEWER, Role.DEPARTMENT_HEAD, Role.CHIEF)],
    )
    department = models.ForeignKey(
        Department, verbose_name=_("办理部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    limit_days = models.PositiveSmallIntegerField(_("环节时限（工作日）"), default=1)

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")
        ordering = ["item", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["item", "sort_order"], name="process_step_order")
        ]

    def __str__(self) -> str:
        return self.name


class TaskKind(models.TextChoices):
    STEP = "step", _("审批环节")
    OPINION = "opinion", _("并联审查意见")


class ParallelParticipant(models.Model):
    """并联审批: a department that gives its opinion on every case of an item, at the same time
    as the lead department (the item's own) reviews it — one acceptance, one set of materials."""

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE,
        related_name="parallel_participants",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("参与部门"), on_delete=models.PROTECT, related_name="+",
    )
    sort_order = models.PositiveSmallIntegerField(_("序号"), default=0)
    subject = models.CharField(_("审查内容"), max_length=100, blank=True,
                               help_text=_("例如：消防安全、环境影响、卫生许可条件"))
    limit_days = models.PositiveSmallIntegerField(_("意见时限（工作日）"), default=5)
    deemed_consent = models.BooleanField(
        _("超时默认同意"), default=False,
        help_text=_("时限届满未反馈意见的，视为同意（超时默认）。"),
    )

    class Meta:
        verbose_name = _("并联审批参与部门")
        verbose_name_plural = _("并联审批参与部门")
        ordering = ["item", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "department"],
                                    name="parallel_participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}·{self.department_id}"


class Task(models.Model):
    """审批任务: the work of one step of one case for one department and role."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="tasks"
    )
    seq = models.PositiveSmallIntegerField(_("环节序号"))
    name = models.CharField(_("环节名称"), max_length=50)
    department = models.ForeignKey(
        Department, verbose_name=_("办理部门"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("办理角色"), max_length=20)
    state = models.CharField(
        _("状态"), max_length=10, choices=TaskState.choices, default=TaskState.PENDING
    )
    limit_days = models.PositiveSmallIntegerField(_("环节时限"), default=1)
    started_on = models.DateField(_("开始日期"), null=True, blank=True)
    stopped_days = models.PositiveIntegerField(_("暂停计时天数"), default=0)
    due = models.DateField(_("环节到期日"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("办理人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    outcome = models.CharField(_("办理结果"), max_length=20, blank=True)
    opinion = models.TextField(_("办理意见"), blank=True)
    green_channel = models.BooleanField(_("绿色通道"), default=False)
    kind = models.CharField(_("任务类型"), max_length=10, choices=TaskKind.choices,
                            default=TaskKind.STEP)
    deemed_consent = models.BooleanField(_("超时默认同意"), default=False)

    class Meta:
        verbose_name = _("审批任务")
        verbose_name_plural = _("审批任务")
        ordering = ["case", "seq", "id"]
        indexes = [
            # A reviewer's inbox: active tasks of a department and role, most urgent first.
            models.Index(
                fields=["department", "role", "due", "id"], name="task_inbox",
                condition=models.Q(state="active"),
            ),
            # Steps whose due date enters a window (the supervision scan's range reads).
            models.Index(
                fields=["due", "id"], name="task_due_active", condition=models.Q(state="active"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}·{self.name}"


class StopKind(models.TextChoices):
    SUPPLEMENT = "supplement", _("补正材料")
    HEARING = "hearing", _("听证")
    EXPERT_REVIEW = "expert_review", _("专家评审")
    SITE_INSPECTION = "site_inspection", _("现场勘查")
    TESTING = "testing", _("检验检测")
    APPRAISAL = "appraisal", _("鉴定")
    PUBLIC_NOTICE = "public_notice", _("公示")
    OTHER = "other", _("其他特别程序")


SPECIAL_PROCEDURES = tuple(k for k in StopKind if k != StopKind.SUPPLEMENT)


class ClockStop(models.Model):
    """挂起 / 特别程序: a period in which the case's clock does not run."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="stops"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=StopKind.choices)
    reason = models.TextField(_("原因"))
    started_on = models.DateField(_("开始日期"))
    expected_days = models.PositiveIntegerField(_("预计天数"), default=0)
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    days = models.PositiveIntegerField(_("不计时天数"), default=0)
    result = models.TextField(_("结果"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("暂停计时")
        verbose_name_plural = _("暂停计时")
        ordering = ["case", "started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(ended_on__isnull=True),
                name="one_open_stop_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_on}"


class NoticeKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("受理通知书")
    REFUSAL = "refusal", _("不予受理通知书")
    SUPPLEMENT = "supplement", _("补正材料通知书")
    TOLERANCE = "tolerance", _("容缺受理告知承诺书")
    SPECIAL = "special", _("特别程序告知书")
    EXTENSION = "extension", _("延期告知书")
    APPROVAL = "approval", _("准予许可决定书")
    DENIAL = "denial", _("不予许可决定书")


class Notice(models.Model):
    """文书: a notice issued on a case; its content is frozen at issue and rendered as PDF."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("文书类型"), max_length=12, choices=NoticeKind.choices)
    number = models.CharField(_("文书编号"), max_length=48, unique=True)
    verify_code = models.CharField(_("核验码"), max_length=24, unique=True)
    issued_at = models.DateTimeField(_("出具时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("出具人"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    content = models.JSONField(_("内容"), default=dict)
    digest = models.CharField(_("内容摘要"), max_length=64)

    class Meta:
        verbose_name = _("文书")
        verbose_name_plural = _("文书")
        ordering = ["case", "issued_at", "id"]

    def __str__(self) -> str:
        return self.number


class Certificate(models.Model):
    """电子证照: the result an approval issues, verifiable by number and QR code."""

    case = models.OneToOneField(
        Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="certificate"
    )
    number = models.CharField(_("证照编号"), max_length=48, unique=True)
    verify_code = models.CharField(_("核验码"), max_length=24, unique=True)
    name = models.CharField(_("证照名称"), max_length=200)
    holder = models.ForeignKey(
        Applicant, verbose_name=_("持证人"), on_delete=models.PROTECT, related_name="certificates"
    )
    issued_on = models.DateField(_("发证日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    content = models.JSONField(_("内容"), default=dict)
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        ordering = ["-issued_on", "number"]

    def __str__(self) -> str:
        return self.number


class CaseEvent(models.Model):
    """办件日志: append-only; each event's hash covers the previous one (per-case chain)."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="events"
    )
    seq = models.PositiveIntegerField(_("序号"))
    action = models.CharField(_("动作"), max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    actor_role = models.CharField(_("角色"), max_length=40, blank=True)
    actor_unit = models.CharField(_("单位"), max_length=100, blank=True)
    from_state = models.CharField(_("原状态"), max_length=20, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    public = models.BooleanField(_("申请人可见"), default=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"))
    prev_hash = models.CharField(_("前一哈希"), max_length=64, blank=True)
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = _("办件日志")
        verbose_name_plural = _("办件日志")
        ordering = ["case", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq"),
        ]
        indexes = [models.Index(fields=["created_at"], name="case_event_created")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"


class AuditAnchor(models.Model):
    """A day's digest over every event created that day: deleting a whole chain shows."""

    day = models.DateField(_("日期"), unique=True)
    event_count = models.PositiveIntegerField(_("日志条数"))
    digest = models.CharField(_("摘要"), max_length=64)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("日志锚定")
        verbose_name_plural = _("日志锚定")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} {self.digest[:12]}"


class CaseSerial(models.Model):
    """Serial numbers for case and document numbers on databases without sequences (SQLite).

    On PostgreSQL the number comes from a sequence instead and this table stays empty.
    """

    id = models.BigAutoField(primary_key=True)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")

    def __str__(self) -> str:
        return str(self.pk)
