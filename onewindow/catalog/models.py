"""Service catalogue (事项目录): basic items, implementations per region, versioned guides.

三级四同: a :class:`BasicItem` (基本目录) carries what is the same at every level — basic code,
name, type, legal basis and legal time limit. Each implementing region has a
:class:`ServiceItem` (实施清单) with its own implementation code, and the guide (办事指南) of
that implementation lives in :class:`ItemVersion` rows: a draft is edited, then published with
an effective date; earlier versions stay readable, and cases record the version they used.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.catalog.codes import (
    BodyNature,
    CaseType,
    CrossRegionScope,
    ExercisingLevel,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    OnlineDepth,
)
from onewindow.core.models import TimeStampedModel
from onewindow.regions.models import Department, Region


class BasicItem(TimeStampedModel):
    """基本目录事项: identical at every level (same basic code, name, type, basis, legal limit)."""

    basic_code = models.CharField(_("基本编码"), max_length=10, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    item_type = models.CharField(_("事项类型"), max_length=2, choices=ItemType.choices)
    legal_basis = models.TextField(_("设定依据"))
    legal_limit = models.PositiveIntegerField(_("法定办结时限"))
    legal_limit_unit = models.CharField(
        _("法定时限单位"), max_length=12, choices=LimitUnit.choices, default=LimitUnit.WORKDAY
    )
    legal_limit_note = models.CharField(_("法定时限说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("基本目录事项")
        verbose_name_plural = _("基本目录事项")
        ordering = ["basic_code"]

    def __str__(self) -> str:
        return f"{self.basic_code} {self.name}"


class ServiceItem(TimeStampedModel):
    """政务服务事项（实施清单）: one basic item as implemented by one region's department."""

    basic = models.ForeignKey(
        BasicItem, verbose_name=_("基本目录事项"), on_delete=models.PROTECT,
        related_name="implementations",
    )
    implementation_code = models.CharField(_("实施编码"), max_length=36, unique=True)
    region = models.ForeignKey(
        Region, verbose_name=_("实施区划"), on_delete=models.PROTECT, related_name="items"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("实施主体"), on_delete=models.PROTECT, related_name="items"
    )
    current_version = models.ForeignKey(
        "ItemVersion", verbose_name=_("现行版本"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    # Denormalised from the current version for search and browsing (kept by services).
    search_title = models.TextField(_("检索词（名称）"), blank=True, editable=False)
    search_body = models.TextField(_("检索词（正文）"), blank=True, editable=False)
    popularity = models.PositiveIntegerField(_("访问量"), default=0)

    class Meta:
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        ordering = ["implementation_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["basic", "region"], name="one_implementation_per_region"
            )
        ]

    def __str__(self) -> str:
        return f"{self.basic.name}（{self.region.name}）"

    @property
    def name(self) -> str:
        return self.basic.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已废止")


class ItemVersion(TimeStampedModel):
    """One version of an implementation's guide (办事指南): the six public items and more."""

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(
        _("状态"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    # 事项信息
    exercising_level = models.CharField(
        _("行使层级"), max_length=1, choices=ExercisingLevel.choices
    )
    body_nature = models.CharField(
        _("实施主体性质"), max_length=1, choices=BodyNature.choices, default=BodyNature.STATUTORY
    )
    case_type = models.CharField(_("办件类型"), max_length=1, choices=CaseType.choices)
    content = models.TextField(_("办理内容"), blank=True)  # 公开内容
    acceptance_conditions = models.TextField(_("受理条件"))
    promised_limit = models.PositiveIntegerField(_("承诺办结时限"))
    promised_limit_note = models.CharField(_("承诺时限说明"), max_length=500, blank=True)
    co_departments = models.ManyToManyField(
        Department, verbose_name=_("联办机构"), blank=True, related_name="+"
    )
    handling_organisation = models.CharField(_("办理机构"), max_length=200, blank=True)
    intermediary_services = models.TextField(_("中介服务"), blank=True)
    quantity_limit = models.CharField(_("数量限制"), max_length=500, blank=True)
    result_name = models.CharField(_("审批结果名称"), max_length=200, blank=True)
    result_type = models.CharField(_("审批结果类型"), max_length=50, blank=True)
    charges_fee = models.BooleanField(_("是否收费"), default=False)
    fee_basis = models.TextField(_("收费依据"), blank=True)
    cross_region_scope = models.CharField(
        _("通办范围"), max_length=1, choices=CrossRegionScope.choices,
        default=CrossRegionScope.NONE,
    )
    audiences = models.JSONField(_("服务对象"), default=list)
    person_themes = models.JSONField(_("自然人主题"), default=list, blank=True)
    org_themes = models.JSONField(_("法人主题"), default=list, blank=True)
    handling_forms = models.JSONField(_("办理形式"), default=list)
    special_procedures = models.TextField(_("特别程序"), blank=True)
    supports_booking = models.BooleanField(_("支持预约办理"), default=False)
    supports_online_payment = models.BooleanField(_("支持网上支付"), default=False)
    supports_delivery = models.BooleanField(_("支持物流快递"), default=False)
    online = models.BooleanField(_("网上可办"), default=False)
    online_depth = models.CharField(
        _("网上办理深度"), max_length=1, choices=OnlineDepth.choices, default=OnlineDepth.INFO
    )
    visits = models.PositiveSmallIntegerField(_("到办事现场次数"), default=1)
    procedure = models.JSONField(_("办理流程"), default=list)  # [{"name", "description"}]
    place = models.CharField(_("办理地点"), max_length=300)
    hours = models.CharField(_("办理时间"), max_length=300)
    consult_phone = models.CharField(_("咨询电话"), max_length=100)
    complaint_phone = models.CharField(_("监督投诉电话"), max_length=100)
    faq = models.JSONField(_("常见问题"), default=list, blank=True)  # [{"q", "a"}]
    form_schema = models.JSONField(_("申请表单"), default=list, blank=True)
    change_note = models.CharField(_("修订说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("事项版本")
        verbose_name_plural = _("事项版本")
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="version_number_per_item"),
            models.UniqueConstraint(
                fields=["item"], condition=models.Q(status="draft"), name="one_draft_per_item"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} v{self.number}"


class Material(models.Model):
    """申请材料 of one item version."""

    version = models.ForeignKey(
        ItemVersion, verbose_name=_("事项版本"), on_delete=models.CASCADE,
        related_name="materials",
    )
    sort_order = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("材料名称"), max_length=200)
    issuing_body = models.CharField(_("出具单位"), max_length=200, blank=True)
    requirements = models.TextField(_("材料要求"), blank=True)
    form = models.CharField(
        _("材料形式"), max_length=12, choices=MaterialForm.choices, default=MaterialForm.BOTH
    )
    original_count = models.PositiveSmallIntegerField(_("原件份数"), default=0)
    copy_count = models.PositiveSmallIntegerField(_("复印件份数"), default=0)
    required = models.BooleanField(_("是否必要"), default=True)
    tolerable = models.BooleanField(_("是否容缺"), default=False)
    source = models.CharField(
        _("来源渠道"), max_length=1, choices=MaterialSource.choices,
        default=MaterialSource.APPLICANT,
    )
    acceptance_standard = models.TextField(_("受理标准"), blank=True)
    blank_form = models.FileField(_("空白表格"), upload_to="catalog/forms/", blank=True)
    sample = models.FileField(_("示例样表"), upload_to="catalog/samples/", blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["version", "sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(tolerable=True, required=False),
                name="only_required_material_tolerable",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Fee(models.Model):
    """收费项目 of one item version."""

    version = models.ForeignKey(
        ItemVersion, verbose_name=_("事项版本"), on_delete=models.CASCADE, related_name="fees"
    )
    sort_order = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("收费项目名称"), max_length=200)
    standard = models.CharField(_("收费标准"), max_length=500)
    basis = models.TextField(_("收费依据"), blank=True)
    allows_reduction = models.BooleanField(_("是否允许减免"), default=False)

    class Meta:
        verbose_name = _("收费项目")
        verbose_name_plural = _("收费项目")
        ordering = ["version", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Authorisation(TimeStampedModel):
    """首席代表授权书: which items a chief representative may decide on the spot."""

    number = models.CharField(_("授权书编号"), max_length=40, unique=True)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("首席代表"), on_delete=models.PROTECT,
        related_name="authorisations",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("授权部门"), on_delete=models.PROTECT,
        related_name="authorisations",
    )
    items = models.ManyToManyField(ServiceItem, verbose_name=_("授权事项"), related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("签发人"), on_delete=models.PROTECT,
        related_name="+",
    )
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("截止日期"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("撤销人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    revoke_reason = models.CharField(_("撤销原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("首席代表授权书")
        verbose_name_plural = _("首席代表授权书")
        ordering = ["-valid_from", "number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")),
                name="authorisation_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.number


class ImportJob(TimeStampedModel):
    """A catalogue import started from the admin pages, run by a background job."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("导入中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("校验未通过")

    file = models.FileField(_("文件"), upload_to="catalog/imports/")
    original_name = models.CharField(_("文件名"), max_length=200)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    summary = models.CharField(_("结果"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("事项导入任务")
        verbose_name_plural = _("事项导入任务")
        ordering = ["-created_at"]
