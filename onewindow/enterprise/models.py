"""Key projects and companies (重点项目 · 一企一档) and enterprise concerns (企忧档案).

- :class:`EnterpriseFile` (一企一档) — a company (an organisation
  :class:`~onewindow.accounts.models.Applicant`) kept on file by one region: whether it is a key
  company (重点企业) and gets the green channel (绿色通道), its liaison departments (包联部门,
  :class:`Liaison`). The file is the company's scope: who may read it follows its region.
- :class:`KeyProject` (重点项目) — a key investment project of a region with its lead department;
  optionally a company and the green channel.
- :class:`SecretaryAssignment` (项目秘书) — a member of staff assigned to a company's file or a
  key project, for a period.
- :class:`EnterpriseVisit` (走访) — a department's visit to a company, with who attended.
- :class:`Concern` (企忧事项) — a problem a company raised (in a visit or directly): assigned to
  a department with a deadline in working days, followed, resolved or explained;
  :class:`ConcernEvent` is its append-only log (follow-up entries included).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import Applicant
from onewindow.core.masking import mask_name, mask_phone
from onewindow.enterprise.workflow import OPEN_STATES, ConcernState
from onewindow.regions.models import Department, Region


class EnterpriseFile(models.Model):
    """一企一档: a company on file in one region."""

    company = models.ForeignKey(
        Applicant, verbose_name=_("企业"), on_delete=models.PROTECT,
        related_name="enterprise_files",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("建档区划"), on_delete=models.PROTECT, related_name="+"
    )
    is_key = models.BooleanField(_("重点企业"), default=False)
    green_channel = models.BooleanField(
        _("绿色通道"), default=False,
        help_text=_("享受绿色通道：办件标注、待办优先，事项允许时适用更短的承诺时限。"),
    )
    industry = models.CharField(_("所属行业"), max_length=50, blank=True)
    address = models.CharField(_("经营地址"), max_length=200, blank=True)
    contact_name = models.CharField(_("企业联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    note = models.TextField(_("备注"), blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    opened_at = models.DateTimeField(_("建档时间"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("建档人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    designated_at = models.DateTimeField(_("认定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("企业档案")
        verbose_name_plural = _("企业档案")
        ordering = ["region__code", "company__name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "region"], name="enterprise_file_once"),
        ]
        indexes = [
            models.Index(fields=["region", "is_active"], name="enterprise_file_region"),
            models.Index(fields=["company"], name="enterprise_file_green",
                         condition=Q(green_channel=True, is_active=True)),
        ]

    def __str__(self) -> str:
        return f"{self.company.name} · {self.region.name}"

    @property
    def masked_contact(self) -> str:
        return " ".join(x for x in (mask_name(self.contact_name),
                                    mask_phone(self.contact_phone)) if x)


class Liaison(models.Model):
    """包联部门: a department assigned to a company (it visits and records its concerns)."""

    file = models.ForeignKey(
        EnterpriseFile, verbose_name=_("企业档案"), on_delete=models.CASCADE,
        related_name="liaisons",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("包联部门"), on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(_("确定时间"))

    class Meta:
        verbose_name = _("包联部门")
        verbose_name_plural = _("包联部门")
        constraints = [
            models.UniqueConstraint(fields=["file", "department"], name="liaison_once"),
        ]
        indexes = [models.Index(fields=["department"], name="liaison_department")]

    def __str__(self) -> str:
        return f"{self.file_id} · {self.department_id}"


class ProjectStage(models.TextChoices):
    PLANNING = "planning", _("谋划储备")
    SIGNED = "signed", _("签约落地")
    APPROVAL = "approval", _("审批办理")
    CONSTRUCTION = "construction", _("开工建设")
    OPERATION = "operation", _("竣工投产")


class KeyProject(models.Model):
    """重点项目: a key investment project of a region."""

    code = models.CharField(_("项目编号"), max_length=40, unique=True)
    name = models.CharField(_("项目名称"), max_length=200)
    company = models.ForeignKey(
        Applicant, verbose_name=_("项目单位"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="key_projects",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    lead_department = models.ForeignKey(
        Department, verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="+"
    )
    investment = models.DecimalField(_("总投资（万元）"), max_digits=14, decimal_places=2,
                                     null=True, blank=True)
    stage = models.CharField(_("项目阶段"), max_length=20, choices=ProjectStage.choices,
                             default=ProjectStage.SIGNED)
    green_channel = models.BooleanField(_("绿色通道"), default=True)
    is_active = models.BooleanField(_("有效"), default=True)
    note = models.TextField(_("备注"), blank=True)
    designated_at = models.DateTimeField(_("认定时间"))
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("认定人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("重点项目")
        verbose_name_plural = _("重点项目")
        ordering = ["region__code", "code"]
        indexes = [
            models.Index(fields=["region", "is_active"], name="key_project_region"),
            models.Index(fields=["company"], name="key_project_green",
                         condition=Q(green_channel=True, is_active=True)),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SecretaryRole(models.TextChoices):
    PROJECT_SECRETARY = "project_secretary", _("项目秘书")
    LIAISON_OFFICER = "liaison_officer", _("企业联络员")


class SecretaryAssignment(models.Model):
    """项目秘书: staff assigned to a company's file or to a key project for a period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), on_delete=models.PROTECT,
        related_name="secretary_assignments",
    )
    file = models.ForeignKey(
        EnterpriseFile, verbose_name=_("企业档案"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="secretaries",
    )
    project = models.ForeignKey(
        KeyProject, verbose_name=_("重点项目"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="secretaries",
    )
    role = models.CharField(_("职责"), max_length=20, choices=SecretaryRole.choices,
                            default=SecretaryRole.PROJECT_SECRETARY)
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("指派时间"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("指派人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    ended_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    end_reason = models.CharField(_("解除原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("项目秘书")
        verbose_name_plural = _("项目秘书")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(file__isnull=False) & Q(project__isnull=True))
                | (Q(file__isnull=True) & Q(project__isnull=False)),
                name="secretary_file_or_project",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="secretary_period_ordered",
            ),
            models.UniqueConstraint(fields=["user", "file"], name="secretary_file_once",
                                    condition=Q(ended_at__isnull=True, file__isnull=False)),
            models.UniqueConstraint(fields=["user", "project"], name="secretary_project_once",
                                    condition=Q(ended_at__isnull=True, project__isnull=False)),
        ]
        indexes = [models.Index(fields=["user", "ended_at"], name="secretary_user")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class EnterpriseVisit(models.Model):
    """走访: a visit to a company by a department (or by its secretary)."""

    file = models.ForeignKey(
        EnterpriseFile, verbose_name=_("企业档案"), on_delete=models.PROTECT,
        related_name="visits",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("走访部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    visited_on = models.DateField(_("走访日期"))
    summary = models.TextField(_("走访情况"))
    attendees = models.CharField(_("企业参加人员"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("企业走访")
        verbose_name_plural = _("企业走访")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["file", "-visited_on"], name="visit_file")]

    def __str__(self) -> str:
        return f"{self.file_id} · {self.visited_on}"


class ConcernSource(models.TextChoices):
    VISIT = "visit", _("走访收集")
    DIRECT = "direct", _("企业直接反映")
    MEETING = "meeting", _("政企座谈会")
    HOTLINE = "hotline", _("12345 热线转办")


class ConcernCategory(models.TextChoices):
    APPROVAL = "approval", _("审批服务")
    LAND = "land", _("用地用房")
    UTILITIES = "utilities", _("水电气暖")
    LABOUR = "labour", _("用工招聘")
    FINANCE = "finance", _("融资信贷")
    POLICY = "policy", _("政策兑现")
    INFRASTRUCTURE = "infrastructure", _("基础设施配套")
    ENFORCEMENT = "enforcement", _("执法检查")
    OTHER = "other", _("其他")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class Concern(models.Model):
    """企忧事项: one problem a company raised, until it is resolved or explained."""

    number = models.CharField(_("事项编号"), max_length=24, unique=True, null=True, blank=True)
    file = models.ForeignKey(
        EnterpriseFile, verbose_name=_("企业档案"), on_delete=models.PROTECT,
        related_name="concerns",
    )
    visit = models.ForeignKey(
        EnterpriseVisit, verbose_name=_("来源走访"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="concerns",
    )
    source = models.CharField(_("来源"), max_length=10, choices=ConcernSource.choices)
    category = models.CharField(_("问题类别"), max_length=20, choices=ConcernCategory.choices)
    description = models.TextField(_("问题描述"))
    state = models.CharField(_("状态"), max_length=12, choices=ConcernState.choices,
                             default=ConcernState.RAISED)
    raised_at = models.DateTimeField(_("登记时间"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    raised_by_department = models.ForeignKey(
        Department, verbose_name=_("登记部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_department = models.ForeignKey(
        Department, verbose_name=_("责任部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True)
    deadline = models.DateField(_("办理期限"))
    deadline_provisional = models.BooleanField(_("期限按暂定日历计算"), default=False)
    overdue = models.BooleanField(_("已超期"), default=False)
    resolution = models.TextField(_("办理结果"), blank=True)
    explanation = models.TextField(_("解释说明理由"), blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True,
                                       help_text=_("已解决或解释说明办结的时间。"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("办结人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    on_time = models.BooleanField(_("按期办结"), null=True, blank=True)
    satisfaction = models.CharField(_("企业满意度"), max_length=12,
                                    choices=Satisfaction.choices, blank=True)
    satisfaction_note = models.CharField(_("满意度回访记录"), max_length=500, blank=True)
    event_count = models.PositiveIntegerField(_("日志条数"), default=0)

    class Meta:
        verbose_name = _("企忧事项")
        verbose_name_plural = _("企忧事项")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="explained") | ~Q(explanation=""),
                name="concern_explained_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(state="raised") | Q(assigned_department__isnull=False),
                name="concern_assigned_has_department",
            ),
        ]
        indexes = [
            models.Index(fields=["deadline", "id"], name="concern_open_deadline",
                         condition=Q(state__in=[s.value for s in OPEN_STATES])),
            models.Index(fields=["assigned_department", "state", "deadline"],
                         name="concern_department"),
            models.Index(fields=["file", "-raised_at"], name="concern_file"),
            models.Index(fields=["raised_at"], name="concern_raised"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ConcernEvent(models.Model):
    """企忧事项日志: every step of a concern, follow-up entries included (append-only)."""

    concern = models.ForeignKey(
        Concern, verbose_name=_("企忧事项"), on_delete=models.CASCADE, related_name="events"
    )
    seq = models.PositiveIntegerField(_("序号"))
    action = models.CharField(_("操作"), max_length=12)
    from_state = models.CharField(_("原状态"), max_length=12, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("操作部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("内容"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("企忧事项日志")
        verbose_name_plural = _("企忧事项日志")
        ordering = ["concern", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["concern", "seq"], name="concern_event_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.concern_id}#{self.seq} {self.action}"
