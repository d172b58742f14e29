"""Reads of 代办服务, always narrowed to the reader's scope.

- An agent (``case.apply_as_agent``) sees the proxy cases they took on, in their own region
  subtree (a village agent: their village).
- The management office (``supervise``: town, district or city supervision and admins) sees
  every proxy case beneath its region.
Everybody else sees none. "Not found" and "not yours" are the same :class:`NotFound`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.catalog.models import ServiceItem, VersionStatus
from onewindow.core import clock
from onewindow.core.errors import NotFound
from onewindow.proxy.models import ProxyConsent, ProxyItem, ProxyStep
from onewindow.proxy.workflow import Stage
from onewindow.regions.models import LEVEL_PREFIX_LEN, Region


def _not_found() -> NotFound:
    return NotFound(_("没有找到这件代办。"))


# --- the agent and their region ---------------------------------------------------------------


def agent_region(user: Any) -> Region | None:
    """The region an agent works in: their deepest ``case.apply_as_agent`` grant."""
    grants = access.grants_for(user, Perm.CASE_APPLY_AS_AGENT)
    if not grants:
        return None
    deepest = max(grants, key=lambda g: (len(g.region_prefix), -g.region_id))
    return Region.objects.filter(pk=deepest.region_id).first()


def ancestor_prefixes(region: Region) -> list[str]:
    """The prefixes of ``region`` and every region above it."""
    return sorted({region.prefix[:n] for n in LEVEL_PREFIX_LEN.values()
                   if n <= len(region.prefix)})


def is_agent_of(user: Any, consent: ProxyConsent) -> bool:
    """The agent who took the case on, still working in its region."""
    return consent.agent_id == getattr(user, "pk", None) and access.can(
        user, Perm.CASE_APPLY_AS_AGENT, region=consent.region
    )


def may_apply_for(user: Any, region: Region, item: ServiceItem) -> bool:
    """May the agent of ``region`` make ``item``'s case? An item exercised there or above it
    (``case_create(agent_region=…)``: the case belongs to the item's region and department)."""
    if not region.is_within(item.region):
        return False
    return access.can(user, Perm.CASE_APPLY_AS_AGENT, region=region)


# --- the published lists ----------------------------------------------------------------------


def _public_q(prefix: str = "item__") -> Q:
    today = clock.today()
    return Q(**{f"{prefix}current_version__status": VersionStatus.PUBLISHED}) & (
        Q(**{f"{prefix}current_version__effective_from__isnull": True})
        | Q(**{f"{prefix}current_version__effective_from__lte": today})
    )


def _with_display(qs: QuerySet[ProxyItem]) -> QuerySet[ProxyItem]:
    return qs.select_related(
        "region", "item__basic", "item__region", "item__department", "item__current_version"
    )


def published_items(*, region: Region | None = None, q: str = "") -> QuerySet[ProxyItem]:
    """全程代办事项清单 as published: the lists that apply in ``region`` (its own and those of
    the regions above it), or every list; ``q`` narrows by item name or code."""
    qs = ProxyItem.objects.filter(_public_q(), published=True)
    if region is not None:
        qs = qs.filter(region__prefix__in=ancestor_prefixes(region))
    q = "".join(ch for ch in (q or "") if ch.isprintable()).strip()[:60]
    if q:
        qs = qs.filter(Q(item__basic__name__icontains=q) | Q(item__implementation_code=q)
                       | Q(note__icontains=q))
    return _with_display(qs).order_by("-full_proxy", "region__code", "sort_order", "id")


def regions_with_lists() -> QuerySet[Region]:
    """Regions that have published a list (for the public page's region choice)."""
    ids = ProxyItem.objects.filter(published=True).values("region_id")
    return Region.objects.filter(pk__in=ids).order_by("code")


def items_for_agent(user: Any, region: Region, *, q: str = "") -> list[ProxyItem]:
    """Published items the agent of ``region`` may apply for, full proxy first."""
    return [p for p in published_items(region=region, q=q)
            if may_apply_for(user, region, p.item)]


def item_for_agent(user: Any, region: Region, pk: int | None) -> ProxyItem:
    row = _with_display(ProxyItem.objects.filter(
        _public_q(), pk=pk or 0, published=True,
        region__prefix__in=ancestor_prefixes(region),
    )).first()
    if row is None or not may_apply_for(user, region, row.item):
        raise NotFound(_("没有找到这个代办事项，或它不在本村（社区）公布的代办清单中。"))
    return row


# --- proxy cases ----------------------------------------------------------------------------


def scope_q(user: Any) -> Q:
    """Proxy cases ``user`` may see: their own (as agent, in their region) or beneath their
    supervision."""
    q = Q(pk__in=[])
    if not getattr(user, "is_authenticated", False):
        return q
    for g in access.grants_for(user, Perm.CASE_APPLY_AS_AGENT):
        q |= Q(agent_id=user.pk, region__prefix__startswith=g.region_prefix)
    return q | access.scope_q(user, Perm.SUPERVISE, region_field="region",
                              department_field=None)


def may_use_workbench(user: Any) -> bool:
    return access.has_any(user, Perm.CASE_APPLY_AS_AGENT) or access.has_any(user, Perm.SUPERVISE)


def _list_queryset() -> QuerySet[ProxyConsent]:
    return ProxyConsent.objects.select_related(
        "villager", "agent", "region", "proxy_item__item__basic", "case__item__basic",
        "case__department",
    )


def proxy_cases_for(user: Any, *, stage: str = "", open_only: bool = False,
                    mine: bool = False, after: int | None = None,
                    limit: int = 50) -> tuple[list[ProxyConsent], int | None]:
    """One page of the proxy cases in scope: open ones by next due date, then the newest.
    Key-set paging by id (newest first) keeps it an index read."""
    qs = _list_queryset().filter(scope_q(user))
    if mine:
        qs = qs.filter(agent_id=user.pk)
    if stage in Stage.values:
        qs = qs.filter(stage=stage)
    elif open_only:
        qs = qs.exclude(stage__in=[Stage.HANDED_OVER, Stage.CANCELLED])
    if after:
        qs = qs.filter(pk__lt=after)
    rows = list(qs.order_by("-pk")[: limit + 1])
    cursor = rows[limit - 1].pk if len(rows) > limit else None
    return rows[:limit], cursor


def proxy_get(user: Any, pk: int) -> ProxyConsent:
    """One proxy case in scope with its steps (a fixed number of queries)."""
    row = (
        _list_queryset().select_related("case__region", "case__centre", "proxy_item__region",
                                        "proxy_item__item__department",
                                        "proxy_item__item__current_version")
        .filter(scope_q(user), pk=pk).first()
    )
    if row is None:
        raise _not_found()
    return row


def proxy_get_by_case(user: Any, case_no: str) -> ProxyConsent:
    row = _list_queryset().filter(scope_q(user), case__case_no=(case_no or "")[:32]).first()
    if row is None:
        raise _not_found()
    return row


def steps_of(consent: ProxyConsent) -> list[ProxyStep]:
    return list(ProxyStep.objects.filter(consent=consent).select_related("actor").order_by("seq"))
