"""Reads of the public catalogue (办事指南, browsing, chief representatives).

Every selector shows only what is public: items with a published current version, earlier
published versions, and valid, unrevoked authorisations. "Missing" and "not public" raise the
same :class:`~onewindow.core.errors.NotFound`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.catalog.codes import ORG_THEMES, PERSON_THEMES
from onewindow.catalog.models import (
    Authorisation,
    ItemVersion,
    Material,
    ServiceItem,
    VersionStatus,
)
from onewindow.catalog.search import (
    AudienceFilter,
    audience_q,
    normalise_audience,
    public_items,
)
from onewindow.core.errors import NotFound
from onewindow.regions.models import Department, Region

_VERSION_DETAIL_PREFETCH = ("materials", "fees", "co_departments")


def _not_found() -> NotFound:
    return NotFound(_("没有找到这个事项，或它尚未公开。"))


def item_get_public(*, implementation_code: str) -> ServiceItem:
    """One published item with everything its guide shows, in a fixed number of queries."""
    code = (implementation_code or "")[:36]
    item = (
        public_items()
        .select_related(
            "basic", "region", "region__parent", "region__parent__parent",
            "department", "current_version",
        )
        .prefetch_related(
            *(f"current_version__{p}" for p in _VERSION_DETAIL_PREFETCH),
        )
        .filter(implementation_code=code)
        .first()
    )
    if item is None:
        raise _not_found()
    return item


def item_version_get_public(*, item: ServiceItem, number: int) -> ItemVersion:
    """A published (current or earlier) version of ``item``; drafts are never shown."""
    version = (
        ItemVersion.objects.filter(
            item=item, number=number, status__in=[VersionStatus.PUBLISHED, VersionStatus.RETIRED],
            published_at__isnull=False,
        )
        .prefetch_related(*_VERSION_DETAIL_PREFETCH)
        .first()
    )
    if version is None:
        raise _not_found()
    return version


def version_history(*, item: ServiceItem) -> list[ItemVersion]:
    """Versions that were published (the current one and earlier ones), newest first."""
    return list(
        ItemVersion.objects.filter(
            item=item, status__in=[VersionStatus.PUBLISHED, VersionStatus.RETIRED],
            published_at__isnull=False,
        )
        .only("id", "item_id", "number", "status", "effective_from", "published_at", "change_note")
        .order_by("-number")
    )


def material_get_public(*, item: ServiceItem, material_id: int) -> Material:
    """A material of the item's current version."""
    material = Material.objects.filter(
        pk=material_id, version_id=item.current_version_id
    ).first()
    if material is None:
        raise _not_found()
    return material


def other_levels(*, item: ServiceItem) -> list[ServiceItem]:
    """Other published implementations of the same basic item (三级四同)."""
    return list(
        public_items()
        .filter(basic_id=item.basic_id)
        .exclude(pk=item.pk)
        .select_related("region", "department")
        .order_by("region__code")
    )


def items_for_browse(
    *,
    region: Region | None = None,
    audience: AudienceFilter | str = None,
    theme: str | None = None,
    department: Department | None = None,
) -> QuerySet[ServiceItem]:
    """Published items for the browse pages, ordered by name.

    ``audience`` is "person", "org" or None (any other value counts as None); an unknown
    ``theme`` gives nothing.
    """
    audience = normalise_audience(audience)
    qs = public_items().filter(audience_q(audience))
    if region is not None:
        qs = qs.filter(region=region)
    if department is not None:
        qs = qs.filter(department=department)
    if theme:
        if theme in PERSON_THEMES and audience != "org":
            qs = qs.filter(current_version__person_themes__icontains=f'"{theme}"')
        elif theme in ORG_THEMES and audience != "person":
            qs = qs.filter(current_version__org_themes__icontains=f'"{theme}"')
        else:
            return qs.none()
    return qs.select_related("basic", "department", "region", "current_version").order_by(
        "basic__name", "region__code", "pk"
    )


@dataclass(frozen=True)
class ThemeCount:
    slug: str
    label: str
    count: int


def theme_counts(*, region: Region | None = None) -> dict[str, list[ThemeCount]]:
    """Item counts per life-event theme: {"person": [...], "org": [...]} in code-table order.

    Two small queries: themes are JSON lists, so they are counted in Python.
    """
    qs = public_items()
    if region is not None:
        qs = qs.filter(region=region)
    person: dict[str, int] = dict.fromkeys(PERSON_THEMES, 0)
    org: dict[str, int] = dict.fromkeys(ORG_THEMES, 0)
    for p_themes, o_themes in qs.values_list(
        "current_version__person_themes", "current_version__org_themes"
    ):
        for slug in p_themes or []:
            if slug in person:
                person[slug] += 1
        for slug in o_themes or []:
            if slug in org:
                org[slug] += 1
    return {
        "person": [ThemeCount(s, PERSON_THEMES[s], n) for s, n in person.items()],
        "org": [ThemeCount(s, ORG_THEMES[s], n) for s, n in org.items()],
    }


def departments_with_items(*, region: Region | None = None) -> QuerySet[Department]:
    """Active departments that have at least one published item, with the count."""
    item_filter = Q(items__current_version__status=VersionStatus.PUBLISHED)
    qs = Department.objects.filter(is_active=True)
    if region is not None:
        qs = qs.filter(region=region)
    return (
        qs.annotate(item_count=Count("items", filter=item_filter, distinct=True))
        .filter(item_count__gt=0)
        .select_related("region")
        .order_by("region__code", "sort_order", "code")
    )


def department_get_public(*, department_id: int) -> Department:
    department = Department.objects.filter(pk=department_id, is_active=True).select_related(
        "region"
    ).first()
    if department is None:
        raise NotFound(_("没有找到这个部门。"))
    return department


def popular_items(*, region: Region | None = None, limit: int = 8) -> list[ServiceItem]:
    """Most-visited published items."""
    qs = public_items()
    if region is not None:
        qs = qs.filter(region=region)
    return list(
        qs.select_related("basic", "department", "current_version").order_by(
            "-popularity", "basic__name", "pk"
        )[: max(0, limit)]
    )


def chief_representatives_public(
    *, region: Region | None = None, today: date | None = None
) -> list[Authorisation]:
    """Authorisations in force today (valid, unrevoked) with holder, department and items.

    Only the holder's display name and staff number are public; templates must not show more.
    """
    today = today or timezone.localdate()
    qs = Authorisation.objects.filter(
        revoked_at__isnull=True, valid_from__lte=today, valid_to__gte=today
    )
    if region is not None:
        qs = qs.filter(department__region=region)
    return list(
        qs.select_related("holder", "holder__staff_profile", "department", "department__region")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=public_items().select_related("basic").order_by("basic__name"),
            )
        )
        .order_by("department__region__code", "department__sort_order", "department__code",
                  "number")
    )


def regions_for_switcher() -> list[Region]:
    """City, district and town regions for the site switcher (villages are not sites)."""
    return list(
        Region.objects.filter(level__in=["city", "district", "town"]).order_by("code")
    )


def region_by_code(code: str | None) -> Region | None:
    """The region with that 12-digit code, or None (bad or unknown codes are ignored)."""
    if not code or len(code) != 12 or not code.isdigit():
        return None
    return Region.objects.filter(code=code).select_related("parent", "parent__parent").first()
