"""Roll-up tables for the dashboards (统计分析), kept current by :mod:`onewindow.stats.rollup`.

Dashboards never scan cases. They read:

- :class:`CaseFact` — one row per case with what the figures need (dates, on-time, working days
  used). It is the roll-up's memory: when a case changes, its old fact is subtracted from the
  counters and its new fact added, so the job's cost follows the cases that changed.
- :class:`DailyFigures` / :class:`MonthlyFigures` — counters per (day or month, region,
  department): received, accepted, refused, decided (办结), on time, on the spot, legal and
  used working days.
- :class:`OpenFigures` — cases not yet decided per (region, department, state, promised due
  date): live counts, and "overdue" is the sum over due dates before today, so it moves with the
  date without any job.
- :class:`DailyRatings` / :class:`DailyAlerts` — 好差评 levels and supervision alerts per day,
  recomputed for the days that changed.

``department_id`` is a plain integer (0 = none) so that it can sit in unique keys on every
database.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.cases.models import Case
from onewindow.regions.models import Region


class CaseFact(models.Model):
    case = models.OneToOneField(Case, primary_key=True, on_delete=models.CASCADE,
                                related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    department_id = models.IntegerField(default=0)
    staff_id = models.IntegerField(default=0)  # who accepted it (受理人), 0 = nobody yet
    state = models.CharField(max_length=20)
    received_on = models.DateField(null=True)
    accepted_on = models.DateField(null=True)
    refused_on = models.DateField(null=True)
    decided_on = models.DateField(null=True)
    on_time = models.BooleanField(null=True)
    on_spot = models.BooleanField(default=False)
    legal_days = models.IntegerField(default=0)
    used_days = models.IntegerField(null=True)
    promised_due = models.DateField(null=True)

    class Meta:
        verbose_name = _("办件统计事实")
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"fact {self.case_id}"


class _Counters(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    department_id = models.IntegerField(default=0)
    received = models.IntegerField(_("收件"), default=0)
    accepted = models.IntegerField(_("受理"), default=0)
    refused = models.IntegerField(_("不予受理"), default=0)
    decided = models.IntegerField(_("办结"), default=0)
    on_time = models.IntegerField(_("按时办结"), default=0)
    on_spot = models.IntegerField(_("当场办结"), default=0)
    timed = models.IntegerField(_("计时办结"), default=0)  # decided with known used days
    legal_days = models.BigIntegerField(_("法定时限合计"), default=0)
    used_days = models.BigIntegerField(_("实际用时合计"), default=0)

    class Meta:
        abstract = True


class DailyFigures(_Counters):
    day = models.DateField()

    class Meta:
        verbose_name = _("每日办件统计")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["day", "region", "department_id"],
                                               name="stats_daily_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.region_id}/{self.department_id}"


class MonthlyFigures(_Counters):
    month = models.DateField()  # first day of the month

    class Meta:
        verbose_name = _("每月办件统计")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["month", "region", "department_id"],
                                               name="stats_monthly_key")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.region_id}/{self.department_id}"


class OpenFigures(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    department_id = models.IntegerField(default=0)
    state = models.CharField(max_length=20)
    due = models.DateField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("在办件统计")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["region", "department_id", "state", "due"],
                                               name="stats_open_key")]

    def __str__(self) -> str:
        return f"{self.state} {self.due} {self.region_id}/{self.department_id}: {self.n}"


class DailyRatings(models.Model):
    day = models.DateField()
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    department_id = models.IntegerField(default=0)
    level = models.PositiveSmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("每日评价统计")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["day", "region", "department_id", "level"],
                                               name="stats_ratings_key")]

    def __str__(self) -> str:
        return f"{self.day} L{self.level}: {self.n}"


class MonthlyRatings(models.Model):
    """The day rows of :class:`DailyRatings` summed per month (periods read whole months here)."""

    month = models.DateField()
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    department_id = models.IntegerField(default=0)
    level = models.PositiveSmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("每月评价统计")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(
            fields=["month", "region", "department_id", "level"], name="stats_mratings_key")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} L{self.level}: {self.n}"


class DailyAlerts(models.Model):
    day = models.DateField()
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    department_id = models.IntegerField(default=0)
    kind = models.CharField(max_length=20)
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("每日预警统计")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["day", "region", "department_id", "kind"],
                                               name="stats_alerts_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.n}"


class RollupState(models.Model):
    """The job's watermarks (one row)."""

    last_event_id = models.BigIntegerField(default=0)
    last_evaluation_id = models.BigIntegerField(default=0)
    last_alert_id = models.BigIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True)
    last_run_ms = models.IntegerField(default=0)
    last_cases = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"rollup @ {self.last_event_id}"
