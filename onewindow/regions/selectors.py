from __future__ import annotations

from django.db.models import QuerySet

from onewindow.regions.models import Region


def region_subtree(*, region: Region) -> QuerySet[Region]:
    """The region and everything beneath it (one indexed prefix scan)."""
    return Region.objects.filter(prefix__startswith=region.prefix)


def region_root() -> Region | None:
    return Region.objects.filter(parent__isnull=True).order_by("code").first()


def region_by_code(code: str) -> Region | None:
    if not code or not code.isdigit() or len(code) != 12:
        return None
    return Region.objects.filter(code=code).first()
