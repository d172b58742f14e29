"""一件事一次办: packages of items applied for with one combined form (一表制).

A :class:`Package` (e.g. 开餐馆一件事) lists its items (:class:`PackageItem`, each a catalogue
:class:`~onewindow.catalog.models.ServiceItem`), the prerequisites among them (``depends_on``)
and the combined form (:class:`PackageField`). An item's ``field_map`` says which combined
field feeds which field of the item's own form; a field it does not name is fed by the combined
field of the same name. The combined material list is derived from the items' checklists (see
:mod:`onewindow.packages.design`).

A :class:`PackageApplication` is one applicant's application for a package, with one number
(YJS-…) they track. Each item becomes a :class:`PackageCase`: a link to the ordinary case
(:class:`~onewindow.cases.models.Case`) once it is started — cases never know about packages.
An item whose prerequisites are not yet issued waits without a case; it is started (case
created, the prerequisite's certificate attached, submitted) when they are.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import Applicant
from onewindow.cases.models import Case, CaseMaterial, DeliveryMethod
from onewindow.catalog.codes import FormFieldType
from onewindow.catalog.models import ServiceItem
from onewindow.packages.workflow import ApplicationState, ItemState, Outcome
from onewindow.regions.models import Department, Region

code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{1,39}$", _("编码只能包含小写字母、数字和连字符（2 至 40 个字符）。")
)
name_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{0,39}$", _("字段名只能包含小写字母、数字和下划线，以字母开头。")
)


class Package(models.Model):
    """一件事 / 主题套餐: several items applied for together."""

    code = models.CharField(_("编码"), max_length=40, unique=True, validators=[code_validator],
                            help_text=_("用于网址，例如 restaurant。"))
    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT,
                               related_name="+")
    lead_department = models.ForeignKey(
        Department, verbose_name=_("牵头部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.TextField(_("简介"), blank=True)
    published = models.BooleanField(_("已发布"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class PackageItem(models.Model):
    """One item of a package; ``depends_on`` are the items whose result it needs first."""

    package = models.ForeignKey(Package, verbose_name=_("一件事"), on_delete=models.CASCADE,
                                related_name="items")
    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT,
                             related_name="+")
    sort_order = models.PositiveSmallIntegerField(_("序号"), default=0)
    depends_on = models.ManyToManyField(
        "self", verbose_name=_("前置事项"), symmetrical=False, blank=True,
        related_name="dependents",
        help_text=_("须先办结（准予）的同一件事中的事项；其电子证照自动作为本事项的材料。"),
    )
    field_map = models.JSONField(
        _("字段对应"), default=dict, blank=True,
        help_text=_("联合表单字段名 → 本事项表单字段名，例如 {\"org_name\": \"company_name\"}。"
                    "未列出的事项字段取同名的联合表单字段。"),
    )
    material_map = models.JSONField(
        _("材料合并"), default=dict, blank=True,
        help_text=_("本事项材料名称 → 联合材料名称，用于名称不同的同一份材料，"
                    "例如 {\"经营场所使用证明\": \"住所（经营场所）使用证明\"}。"),
    )

    class Meta:
        verbose_name = _("一件事事项")
        verbose_name_plural = _("一件事事项")
        ordering = ["package", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["package", "item"], name="package_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.package_id}·{self.item_id}"


class PackageField(models.Model):
    """A field of the combined form (一表制): typed once, fed to every item that needs it."""

    package = models.ForeignKey(Package, verbose_name=_("一件事"), on_delete=models.CASCADE,
                                related_name="fields")
    sort_order = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("字段名"), max_length=40, validators=[name_validator])
    label = models.CharField(_("标签"), max_length=100)
    type = models.CharField(_("类型"), max_length=12, choices=FormFieldType.choices,
                            default=FormFieldType.TEXT)
    required = models.BooleanField(_("必填"), default=False,
                                   help_text=_("所对应的事项字段为必填时，本字段自动为必填。"))
    help = models.CharField(_("填写说明"), max_length=200, blank=True)
    choices = models.JSONField(_("选项"), default=list, blank=True,
                               help_text=_("下拉选择的选项，例如 [\"个人经营\", \"家庭经营\"]。"))
    max_length = models.PositiveSmallIntegerField(_("最大长度"), null=True, blank=True)

    class Meta:
        verbose_name = _("联合表单字段")
        verbose_name_plural = _("联合表单字段")
        ordering = ["package", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["package", "name"], name="package_field_once"),
        ]

    def __str__(self) -> str:
        return self.name


class PackageApplication(models.Model):
    """一件事申请: one number (YJS-…) the applicant tracks; one delivery for all results."""

    number = models.CharField(_("申请编号"), max_length=40, unique=True)
    package = models.ForeignKey(Package, verbose_name=_("一件事"), on_delete=models.PROTECT,
                                related_name="applications")
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT,
                               related_name="+", db_index=False)
    applicant = models.ForeignKey(Applicant, verbose_name=_("申请人"), on_delete=models.PROTECT,
                                  related_name="+", db_index=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    state = models.CharField(_("状态"), max_length=20, choices=ApplicationState.choices,
                             default=ApplicationState.DRAFT)
    form_data = models.JSONField(_("联合申请表"), default=dict, blank=True)
    delivery_method = models.CharField(_("送达方式"), max_length=12,
                                       choices=DeliveryMethod.choices, blank=True)
    delivery_address = models.CharField(_("邮寄地址"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("统一出件时间"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("出件人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    tracking_no = models.CharField(_("快递单号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("一件事申请")
        verbose_name_plural = _("一件事申请")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["applicant", "-created_at"], name="pkgapp_applicant"),
            models.Index(fields=["region", "-created_at"], name="pkgapp_region"),
            # The catch-up job reads only the open applications.
            models.Index(fields=["id"], name="pkgapp_open",
                         condition=models.Q(state__in=["in_progress", "awaiting_delivery"])),
        ]

    def __str__(self) -> str:
        return self.number


class PackageUpload(models.Model):
    """A material of the combined list, uploaded once for every item that needs it.

    The file is kept here until every item has been started: the first case that needs it
    stores its own copy and the others reuse that one (``first_material``).
    """

    application = models.ForeignKey(PackageApplication, verbose_name=_("一件事申请"),
                                    on_delete=models.CASCADE, related_name="uploads")
    key = models.CharField(_("材料键"), max_length=20)
    name = models.CharField(_("材料名称"), max_length=200)
    file = models.FileField(_("文件"), upload_to="packages/%Y/%m/", blank=True, max_length=200)
    file_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(_("摘要"), max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"))
    first_material = models.ForeignKey(
        CaseMaterial, verbose_name=_("首个办件材料"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("一件事材料")
        verbose_name_plural = _("一件事材料")
        ordering = ["application", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "key"], name="package_upload_once"),
        ]

    def __str__(self) -> str:
        return self.name


class PackageCase(models.Model):
    """One item of an application and, once started, its case (办件)."""

    application = models.ForeignKey(PackageApplication, verbose_name=_("一件事申请"),
                                    on_delete=models.CASCADE, related_name="package_cases")
    package_item = models.ForeignKey(PackageItem, verbose_name=_("一件事事项"),
                                     on_delete=models.PROTECT, related_name="+")
    sort_order = models.PositiveSmallIntegerField(_("序号"), default=0)
    case = models.OneToOneField(Case, verbose_name=_("办件"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("状态"), max_length=10, choices=ItemState.choices,
                             default=ItemState.WAITING)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices, blank=True,
                               default=Outcome.NONE)
    form_data = models.JSONField(_("本事项申请表"), default=dict, blank=True)
    # The case's state when this row was last brought up to date: the catch-up job picks the
    # rows whose case has moved on since (an index-free comparison on open applications only).
    case_state = models.CharField(_("已跟进的办件状态"), max_length=20, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("启动时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一件事办件")
        verbose_name_plural = _("一件事办件")
        ordering = ["application", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "package_item"],
                                    name="package_case_once"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}·{self.package_item_id}"
