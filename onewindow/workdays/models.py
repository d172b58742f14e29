"""Stored calendar data: overrides (日历调整) and imported official schedules (官方放假安排)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.core.models import TimeStampedModel


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("休息日")
    WORKDAY = "workday", _("工作日")


class CalendarOverride(TimeStampedModel):
    """A date an administrator declared worked or off (日历调整), e.g. a local closure day.

    Overrides apply last, over package data, provisional rules and imported schedules.
    """

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=DayKind.choices)
    reason = models.CharField(_("原因"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()}"


class OfficialYear(models.Model):
    """An imported official holiday schedule for one year (官方放假安排).

    It replaces the package data or the provisional rule for that whole year; a year with an
    imported schedule is no longer provisional.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    imported_at = models.DateTimeField(_("导入时间"))
    source = models.CharField(_("来源"), max_length=200)

    class Meta:
        verbose_name = _("官方放假安排")
        verbose_name_plural = _("官方放假安排")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class ScheduleDay(models.Model):
    """One day of an imported schedule (放假安排日): a day off or a make-up working day."""

    official_year = models.ForeignKey(
        OfficialYear,
        on_delete=models.CASCADE,
        related_name="days",
        verbose_name=_("年度"),
    )
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("放假安排日")
        verbose_name_plural = _("放假安排日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()
