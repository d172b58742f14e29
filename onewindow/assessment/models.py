"""Window and staff assessment (窗口考核): scoring schemes, monthly runs and their rows.

- :class:`ScoringScheme` — per region (the nearest ancestor's applies below it, the built-in
  defaults where no region up the tree has one): weights of the figures, deductions, grade
  cut-offs (优秀 / 良好 / 合格 / 不合格), an optional cap on the share of 优秀, the number of
  red-flag windows (红旗窗口) and the veto rules. See :mod:`onewindow.assessment.scoring` and
  docs/decisions/0013-assessment.md.
- :class:`AssessmentRun` — one region subtree and one month: a draft that can be recomputed,
  then published (the public ranking), or withdrawn again with a reason.
- :class:`AssessmentRow` — one window, department or member of staff of a run: every figure
  stored, the score, rank within its kind, grade and red flag. Staff rows are internal: the
  public pages and exports never show them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.regions.models import Department, Region, Window

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]
POINTS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    NONE = "", _("不评定")


class SubjectKind(models.TextChoices):
    WINDOW = "window", _("窗口")
    DEPARTMENT = "department", _("部门")
    STAFF = "staff", _("工作人员")


PUBLIC_KINDS = (SubjectKind.WINDOW, SubjectKind.DEPARTMENT)


class RunState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class ScoringScheme(models.Model):
    """考核方案 of a region subtree. Weights are points out of 100 (they must add up to 100);
    deductions are points per occurrence; cut-offs are scores."""

    region = models.OneToOneField(
        Region, verbose_name=_("适用区划"), on_delete=models.CASCADE, related_name="+",
        help_text=_("本区划及其下级适用；下级有方案时以下级为准，都没有时用系统默认方案。"),
    )
    name = models.CharField(_("方案名称"), max_length=100, blank=True)
    # Weights (权重, points; sum 100).
    w_on_time = models.DecimalField(_("按期办结率权重"), max_digits=5, decimal_places=1,
                                    default=Decimal(30), validators=POINTS)
    w_on_spot = models.DecimalField(_("即办率权重"), max_digits=5, decimal_places=1,
                                    default=Decimal(10), validators=POINTS)
    w_speedup = models.DecimalField(_("提速率权重"), max_digits=5, decimal_places=1,
                                    default=Decimal(15), validators=POINTS)
    w_satisfaction = models.DecimalField(_("满意率权重"), max_digits=5, decimal_places=1,
                                         default=Decimal(30), validators=POINTS)
    w_workload = models.DecimalField(
        _("办件量权重"), max_digits=5, decimal_places=1, default=Decimal(15), validators=POINTS,
        help_text=_("按办结件数与同类考核对象中最多者之比计分。"),
    )
    # Deductions (扣分, points per occurrence).
    per_bad_review = models.DecimalField(_("每条差评扣分"), max_digits=4, decimal_places=1,
                                         default=Decimal(2), validators=POINTS)
    per_upheld_complaint = models.DecimalField(
        _("每件属实投诉扣分"), max_digits=4, decimal_places=1, default=Decimal(5),
        validators=POINTS,
    )
    per_alert = models.DecimalField(
        _("每次黄牌预警扣分"), max_digits=4, decimal_places=1, default=Decimal(1),
        validators=POINTS, help_text=_("黄牌预警及二级违规（如体外受理后补录）。督办提醒不扣分。"),
    )
    per_red_card = models.DecimalField(
        _("每次红牌扣分"), max_digits=4, decimal_places=1, default=Decimal(3), validators=POINTS,
        help_text=_("红牌（超期）及三级违规。"),
    )
    # Grades (等次).
    excellent_min = models.DecimalField(_("优秀分数线"), max_digits=5, decimal_places=1,
                                        default=Decimal(90), validators=PERCENT)
    good_min = models.DecimalField(_("良好分数线"), max_digits=5, decimal_places=1,
                                   default=Decimal(80), validators=PERCENT)
    pass_min = models.DecimalField(_("合格分数线"), max_digits=5, decimal_places=1,
                                   default=Decimal(60), validators=PERCENT)
    excellent_max_percent = models.PositiveSmallIntegerField(
        _("优秀比例上限（%）"), null=True, blank=True, validators=[MaxValueValidator(100)],
        help_text=_("留空为不限。超出比例时按分数从高到低确定优秀，其余降为良好；"
                    "分数并列跨过上限的一并降为良好。"),
    )
    red_flag_count = models.PositiveSmallIntegerField(
        _("红旗窗口数"), default=3, validators=[MaxValueValidator(50)],
        help_text=_("评为优秀的窗口中得分最高的若干个（并列同享）。0 为不评。"),
    )
    veto_red_card = models.BooleanField(
        _("红牌一票否决"), default=True, help_text=_("当月有红牌的，等次最高为合格。"),
    )
    veto_upheld_complaint = models.BooleanField(
        _("属实投诉一票否决"), default=True, help_text=_("当月有属实投诉的，等次最高为合格。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["region__code"]

    def __str__(self) -> str:
        return self.name or f"{self.region} 考核方案"

    WEIGHT_FIELDS = ("w_on_time", "w_on_spot", "w_speedup", "w_satisfaction", "w_workload")

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        total = sum((getattr(self, f) or Decimal(0)) for f in self.WEIGHT_FIELDS)
        if total != Decimal(100):
            errors["w_on_time"] = _("各项权重之和应为 100（现为 %(t)s）。") % {"t": total}
        if None not in (self.excellent_min, self.good_min, self.pass_min) and not (
            self.excellent_min > self.good_min > self.pass_min
        ):
            errors["good_min"] = _("分数线应依次降低：优秀 > 良好 > 合格。")
        if errors:
            raise ValidationError(errors)


class AssessmentRun(models.Model):
    """考核批次: one region subtree, one month."""

    region = models.ForeignKey(
        Region, verbose_name=_("考核区划"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("考核月份"), help_text=_("当月 1 日。"))
    state = models.CharField(_("状态"), max_length=10, choices=RunState.choices,
                             default=RunState.DRAFT)
    scheme = models.JSONField(_("所用考核方案"), default=dict)
    scheme_source = models.CharField(_("方案来源"), max_length=120, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("计算人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("撤回人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    withdraw_reason = models.CharField(_("撤回理由"), max_length=300, blank=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("考核批次")
        verbose_name_plural = _("考核批次")
        ordering = ["-month", "region__code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "month"], name="assessment_run_month"),
        ]
        indexes = [models.Index(fields=["state", "-month"], name="assessment_run_state")]

    def __str__(self) -> str:
        return f"{self.region} {self.month:%Y-%m}"

    @property
    def month_label(self) -> str:
        return f"{self.month:%Y-%m}"


class AssessmentRow(models.Model):
    """One subject's figures, score, rank and grade in a run."""

    run = models.ForeignKey(
        AssessmentRun, verbose_name=_("考核批次"), on_delete=models.CASCADE, related_name="rows"
    )
    kind = models.CharField(_("考核对象类型"), max_length=12, choices=SubjectKind.choices)
    # The subject (one of them, by kind) and where it belongs (for the readers' scope).
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    label = models.CharField(_("名称"), max_length=200)
    unit = models.CharField(_("所属单位"), max_length=200, blank=True)
    # Figures of the month.
    accepted = models.PositiveIntegerField(_("受理件数"), default=0)
    completed = models.PositiveIntegerField(_("办结件数"), default=0)
    on_time = models.PositiveIntegerField(_("按期办结件数"), default=0)
    on_spot = models.PositiveIntegerField(_("即办件数"), default=0)
    speed_cases = models.PositiveIntegerField(_("计入提速率的件数"), default=0)
    used_days = models.IntegerField(_("实际用时合计（工作日）"), default=0)
    legal_days = models.PositiveIntegerField(_("法定时限合计（工作日）"), default=0)
    tickets_served = models.PositiveIntegerField(_("窗口服务人次"), default=0)
    rated = models.PositiveIntegerField(_("评价数"), default=0)
    satisfied = models.PositiveIntegerField(_("满意评价数"), default=0)
    bad_reviews = models.PositiveIntegerField(_("差评数"), default=0)
    complaints = models.PositiveIntegerField(_("投诉件数"), default=0)
    complaints_upheld = models.PositiveIntegerField(_("属实投诉件数"), default=0)
    alerts = models.PositiveIntegerField(_("黄牌预警次数"), default=0)
    red_cards = models.PositiveIntegerField(_("红牌次数"), default=0)
    # Rates in percent (one decimal; None when there is nothing to measure).
    on_time_rate = models.DecimalField(_("按期办结率"), max_digits=5, decimal_places=1,
                                       null=True, blank=True)
    on_spot_rate = models.DecimalField(_("即办率"), max_digits=5, decimal_places=1,
                                       null=True, blank=True)
    speedup_rate = models.DecimalField(_("提速率"), max_digits=6, decimal_places=1,
                                       null=True, blank=True)
    satisfaction_rate = models.DecimalField(_("满意率"), max_digits=5, decimal_places=1,
                                            null=True, blank=True)
    avg_used_days = models.DecimalField(_("平均用时（工作日）"), max_digits=7,
                                        decimal_places=2, null=True, blank=True)
    avg_legal_days = models.DecimalField(_("平均法定时限（工作日）"), max_digits=7,
                                         decimal_places=2, null=True, blank=True)
    # The result.
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    deduction = models.DecimalField(_("扣分"), max_digits=6, decimal_places=1, default=0)
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)
    grade = models.CharField(_("等次"), max_length=10, choices=Grade.choices, blank=True)
    grade_note = models.CharField(_("等次说明"), max_length=100, blank=True)
    red_flag = models.BooleanField(_("红旗窗口"), default=False)

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        ordering = ["run", "kind", "rank", "label"]
        indexes = [models.Index(fields=["run", "kind", "rank"], name="assessment_row_rank")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"
