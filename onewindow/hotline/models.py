"""Knowledge base (知识库) of the 12345 hotline and the robot's unanswered questions.

An :class:`Article` (知识库条目) is written by a department (``KNOWLEDGE_EDIT``), reviewed and
published by the hotline centre (``KNOWLEDGE_REVIEW``), and answers operators and the robot
while it is published and inside its validity dates. Its segmented text is kept in the
``search_*`` fields (filled by the services) so that an index can be rebuilt without
re-segmenting every row. :class:`KnowledgeIndexState` holds one version token that changes
whenever the published set changes: each process compares it (one indexed read) and rebuilds
its in-memory index only then.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.catalog.models import ServiceItem
from onewindow.core.models import TimeStampedModel
from onewindow.regions.models import Department, Region


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("待审核")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已下架")


class Article(TimeStampedModel):
    """知识库条目: one question with its answer, maintained by a department."""

    key = models.SlugField(_("条目标识"), max_length=80, unique=True)
    question = models.CharField(_("标准问题"), max_length=200)
    answer = models.TextField(_("答复口径"))
    phrasings = models.TextField(
        _("相似问法"), blank=True, help_text=_("每行一个，群众常用的其他说法")
    )
    keywords = models.CharField(
        _("关键词"), max_length=500, blank=True, help_text=_("用空格或逗号分隔")
    )
    related_items = models.ManyToManyField(
        ServiceItem, verbose_name=_("关联事项"), blank=True, related_name="knowledge_articles"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("责任部门"), on_delete=models.PROTECT,
        related_name="knowledge_articles",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("适用区划"), on_delete=models.PROTECT,
        related_name="knowledge_articles",
    )
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT,
        db_index=True,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("编写人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("发布版本"), default=0)
    revision = models.PositiveIntegerField(_("修改次数"), default=0)
    # Segmented text (space-joined jieba tokens), kept by the services.
    search_question = models.TextField(editable=False, blank=True)
    search_phrasings = models.TextField(editable=False, blank=True)
    search_answer = models.TextField(editable=False, blank=True)
    search_extra = models.TextField(editable=False, blank=True)
    tokenizer_version = models.PositiveSmallIntegerField(editable=False, default=0)

    class Meta:
        verbose_name = _("知识库条目")
        verbose_name_plural = _("知识库条目")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["department", "status"], name="article_dept_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="article_validity_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.question

    def phrasing_list(self) -> list[str]:
        return [p.strip() for p in self.phrasings.splitlines() if p.strip()]


class KnowledgeIndexState(models.Model):
    """One row: changes whenever the set of published articles changes."""

    version = models.PositiveBigIntegerField(_("索引版本"), default=0)
    token = models.CharField(_("版本令牌"), max_length=32, default="")
    changed_at = models.DateTimeField(_("变更时间"), auto_now=True)

    class Meta:
        verbose_name = _("知识库索引版本")
        verbose_name_plural = _("知识库索引版本")

    def __str__(self) -> str:
        return f"v{self.version}"


class UnansweredQuestion(models.Model):
    """A question the robot could not answer, counted by its normalised text."""

    text = models.CharField(_("问题（规范化）"), max_length=200, unique=True)
    sample = models.CharField(_("原始问法示例"), max_length=200)
    count = models.PositiveIntegerField(_("次数"), default=1)
    first_asked_at = models.DateTimeField(_("首次提问"))
    last_asked_at = models.DateTimeField(_("最近提问"))
    handled = models.BooleanField(_("已处理"), default=False)

    class Meta:
        verbose_name = _("未答问题")
        verbose_name_plural = _("未答问题")
        ordering = ["-count", "-last_asked_at"]
        indexes = [models.Index(fields=["handled", "-count"], name="unanswered_rank")]

    def __str__(self) -> str:
        return self.text


# --- 12345 work orders (工单) -------------------------------------------------------------------


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class DispatchCategory(models.Model):
    """派单目录: what a request is about, with its time limits and who handles it by default.

    Limits left empty fall back to the defaults of :mod:`onewindow.hotline.orders` (sign within
    2 working hours, reply within 5 working days; urgent: 0.5 and 24 clock hours).
    """

    code = models.CharField(_("目录编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级目录"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    urgency = models.CharField(_("默认紧急程度"), max_length=8, choices=Urgency.choices,
                               default=Urgency.NORMAL)
    sign_hours = models.DecimalField(_("签收时限（工作小时）"), max_digits=5, decimal_places=2,
                                     null=True, blank=True)
    reply_days = models.PositiveSmallIntegerField(_("答复时限（工作日）"), null=True, blank=True)
    urgent_sign_hours = models.DecimalField(_("紧急签收时限（小时）"), max_digits=5,
                                            decimal_places=2, null=True, blank=True)
    urgent_reply_hours = models.PositiveSmallIntegerField(_("紧急答复时限（小时）"), null=True,
                                                          blank=True)
    keywords = models.CharField(_("关键词"), max_length=300, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("派单目录")
        verbose_name_plural = _("派单目录")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class DispatchRule(models.Model):
    """Who handles a category: a department code at a region level, or at one region.

    The suggestion walks from the order's region up to the city: a rule for that very region
    wins, then a rule for its level; the department is the one with that code in that region.
    """

    category = models.ForeignKey(DispatchCategory, verbose_name=_("派单目录"),
                                 on_delete=models.CASCADE, related_name="rules")
    region = models.ForeignKey(Region, verbose_name=_("区划"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    level = models.CharField(_("区划层级"), max_length=10, blank=True)
    department_code = models.CharField(_("承办部门编码"), max_length=40)

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(region__isnull=False) | ~models.Q(level=""),
                name="dispatch_rule_region_or_level",
            )
        ]

    def __str__(self) -> str:
        return f"{self.category_id} → {self.department_code}"


class OrderChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    WEB = "web", _("网站")
    ROBOT = "robot", _("智能问答转办")
    OPEN311 = "open311", _("Open311 接口")


class OrderState(models.TextChoices):
    REGISTERED = "registered", _("待派单")
    DISPATCHED = "dispatched", _("待签收")
    OBJECTED = "objected", _("异议待审")
    SIGNED = "signed", _("办理中")
    REPLIED = "replied", _("待回访")
    CLOSED = "closed", _("已办结")
    MERGED = "merged", _("已并单")


OPEN_ORDER_STATES = (OrderState.REGISTERED, OrderState.DISPATCHED, OrderState.OBJECTED,
                     OrderState.SIGNED)


class ExtensionState(models.TextChoices):
    NONE = "", _("无")
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class WorkOrder(models.Model):
    """12345 工单: one request of a caller, from intake to the return visit.

    Due moments are stored (``sign_due``, ``reply_due``) so that the overdue scan and the
    department's inbox are index look-ups. The event log (:class:`WorkOrderEvent`) is the
    audit chain; ``event_count``/``head_hash`` are its head, written in the same transaction.
    """

    order_no = models.CharField(_("工单编号"), max_length=24, unique=True)
    channel = models.CharField(_("来源渠道"), max_length=10, choices=OrderChannel.choices)
    state = models.CharField(_("状态"), max_length=12, choices=OrderState.choices,
                             default=OrderState.REGISTERED)
    urgency = models.CharField(_("紧急程度"), max_length=8, choices=Urgency.choices,
                               default=Urgency.NORMAL)
    category = models.ForeignKey(DispatchCategory, verbose_name=_("诉求类别"),
                                 on_delete=models.PROTECT, related_name="orders")
    region = models.ForeignKey(Region, verbose_name=_("发生地区划"), on_delete=models.PROTECT,
                               related_name="work_orders")
    location = models.CharField(_("发生地点"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    title = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("诉求内容"))
    caller_phone = models.CharField(_("来电号码"), max_length=20, blank=True)
    caller_name = models.CharField(_("来电人"), max_length=50, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    consent = models.BooleanField(_("同意向承办部门公开联系方式"), default=False)
    caller_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交账号"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    department = models.ForeignKey(Department, verbose_name=_("承办部门"), null=True,
                                   blank=True, on_delete=models.PROTECT,
                                   related_name="work_orders")
    merged_into = models.ForeignKey("self", verbose_name=_("并入工单"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged_orders")
    article = models.ForeignKey(Article, verbose_name=_("答复所用知识"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    dispatch_count = models.PositiveSmallIntegerField(_("派单次数"), default=0)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    sign_due = models.DateTimeField(_("签收期限"), null=True, blank=True)
    return_due = models.DateTimeField(_("退单期限"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    reply_due = models.DateTimeField(_("答复期限"), null=True, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    reply = models.TextField(_("答复内容"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    direct = models.BooleanField(_("直接办结"), default=False)
    sign_late = models.BooleanField(_("超时签收"), default=False)
    reply_late = models.BooleanField(_("超时答复"), default=False)
    overdue = models.BooleanField(_("已超期"), default=False)
    objection_reason = models.CharField(_("异议理由"), max_length=500, blank=True)
    extension_state = models.CharField(_("延期申请"), max_length=10, blank=True,
                                       choices=ExtensionState.choices, default="")
    extension_days = models.PositiveSmallIntegerField(_("申请延期（工作日）"), default=0)
    extension_reason = models.CharField(_("延期理由"), max_length=500, blank=True)
    supervise_count = models.PositiveSmallIntegerField(_("督办次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    visit_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    visit_sms_at = models.DateTimeField(_("短信回访发送时间"), null=True, blank=True)
    solved = models.BooleanField(_("是否解决"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), db_index=True)
    updated_at = models.DateTimeField(_("更新时间"))
    event_count = models.PositiveIntegerField(default=0, editable=False)
    head_hash = models.CharField(max_length=64, blank=True, editable=False)
    row_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-created_at", "-id"]
        indexes = [
            # the department's inbox: its open orders by due time
            models.Index(fields=["department", "state", "sign_due"], name="order_dept_sign"),
            models.Index(fields=["department", "state", "reply_due"], name="order_dept_reply"),
            models.Index(fields=["department", "-created_at", "-id"], name="order_dept_newest"),
            models.Index(fields=["department", "-created_at"], name="order_dept_overdue",
                         condition=models.Q(overdue=True)),
            models.Index(fields=["state", "-created_at"], name="order_state_created"),
            # the overdue scan
            models.Index(fields=["state", "overdue", "sign_due"], name="order_scan_sign"),
            models.Index(fields=["state", "overdue", "reply_due"], name="order_scan_reply"),
            # duplicates and hot topics
            models.Index(fields=["category", "region", "state"], name="order_dup"),
            models.Index(fields=["caller_phone", "-created_at"], name="order_caller"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="order_satisfaction_1_5",
            )
        ]

    def __str__(self) -> str:
        return self.order_no


class WorkOrderEvent(models.Model):
    """工单日志: append-only, hash-chained per order (the same chain as the case log)."""

    order = models.ForeignKey(WorkOrder, verbose_name=_("工单"), on_delete=models.PROTECT,
                              related_name="events")
    seq = models.PositiveIntegerField(_("序号"))
    action = models.CharField(_("动作"), max_length=24)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_role = models.CharField(_("角色"), max_length=40, blank=True)
    actor_unit = models.CharField(_("单位"), max_length=100, blank=True)
    from_state = models.CharField(_("原状态"), max_length=12, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12, blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    public = models.BooleanField(_("来电人可见"), default=True)
    created_at = models.DateTimeField(_("时间"))
    prev_hash = models.CharField(_("前一哈希"), max_length=64, blank=True)
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = _("工单日志")
        verbose_name_plural = _("工单日志")
        ordering = ["order", "seq"]
        constraints = [models.UniqueConstraint(fields=["order", "seq"], name="order_event_seq")]
        indexes = [models.Index(fields=["created_at"], name="order_event_created")]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.seq} {self.action}"


class WorkOrderSerial(models.Model):
    """Serials for order numbers where there are no sequences (SQLite); empty on PostgreSQL."""

    class Meta:
        verbose_name = _("工单流水号")
        verbose_name_plural = _("工单流水号")

    def __str__(self) -> str:
        return str(self.pk)
