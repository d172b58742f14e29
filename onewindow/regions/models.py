"""Regions (行政区划), departments, service centres and windows: the four levels (四级联动)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.core.models import TimeStampedModel


class RegionLevel(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区县")
    TOWN = "town", _("镇街")
    VILLAGE = "village", _("村社区")


LEVEL_DEPTH = {
    RegionLevel.CITY: 0,
    RegionLevel.DISTRICT: 1,
    RegionLevel.TOWN: 2,
    RegionLevel.VILLAGE: 3,
}
# Significant digits of the 12-digit statistical code at each level (2+2 | 2 | 3 | 3).
LEVEL_PREFIX_LEN = {
    RegionLevel.CITY: 4,
    RegionLevel.DISTRICT: 6,
    RegionLevel.TOWN: 9,
    RegionLevel.VILLAGE: 12,
}


class Region(TimeStampedModel):
    """行政区划. ``code`` is the 12-digit statistical division code.

    ``prefix`` holds the code's significant digits for its level, so the subtree of a region is
    ``Region.objects.filter(prefix__startswith=region.prefix)`` — one indexed range scan.
    """

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级区划"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    prefix = models.CharField(_("代码前缀"), max_length=12, db_index=True, editable=False)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{12}$"), name="region_code_12_digits"
            ),
        ]
        indexes = [
            models.Index(
                fields=["prefix"], name="region_prefix_like", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.prefix = self.code[: LEVEL_PREFIX_LEN[RegionLevel(self.level)]]
        super().save(*args, **kwargs)

    def is_within(self, other: Region) -> bool:
        """True when this region is ``other`` or lies beneath it."""
        return self.prefix.startswith(other.prefix)

    def ancestors(self) -> list[Region]:
        chain: list[Region] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class Department(TimeStampedModel):
    """部门 / 窗口单位: belongs to a region; runs windows and reviews cases."""

    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.CharField(_("部门编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    complaint_phone = models.CharField(_("投诉电话"), max_length=40, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["region__code", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "code"], name="department_code_per_region")
        ]

    def __str__(self) -> str:
        return self.name


class CentreKind(models.TextChoices):
    SERVICE_CENTRE = "centre", _("政务服务中心")
    CONVENIENCE_CENTRE = "convenience", _("便民服务中心")
    CONVENIENCE_STATION = "station", _("便民服务站")


class ServiceCentre(TimeStampedModel):
    """政务服务中心 / 便民服务中心 / 便民服务站: the physical site of a region."""

    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="centres"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=CentreKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    complaint_phone = models.CharField(_("投诉电话"), max_length=40, blank=True)
    office_hours = models.CharField(_("办公时间"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("服务中心")
        verbose_name_plural = _("服务中心")
        ordering = ["region__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="centre_name_per_region")
        ]

    def __str__(self) -> str:
        return self.name


class WindowKind(models.TextChoices):
    GENERAL = "general", _("综合受理窗口")
    DEPARTMENTAL = "departmental", _("部门窗口")
    DELIVERY = "delivery", _("统一出件窗口")


class Window(TimeStampedModel):
    """窗口: a counter in a centre, general (综合受理) or departmental."""

    centre = models.ForeignKey(
        ServiceCentre, verbose_name=_("服务中心"), on_delete=models.PROTECT,
        related_name="windows",
    )
    number = models.CharField(_("窗口号"), max_length=20)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=WindowKind.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("进驻部门"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="windows",
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["centre", "number"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "number"], name="window_number_per_centre"),
            models.CheckConstraint(
                condition=~models.Q(kind="departmental") | models.Q(department__isnull=False),
                name="departmental_window_has_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"
