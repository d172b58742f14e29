"""Reads of packages and package applications, narrowed to the reader.

"Not found" and "not yours" raise the same :class:`NotFound`, so nobody can probe application
numbers. Lists and the tracking page load in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.cases import selectors as case_selectors
from onewindow.cases.models import Case, Certificate
from onewindow.cases.workflow import CaseState, Decision
from onewindow.core.errors import NotFound
from onewindow.packages.models import Package, PackageApplication, PackageCase, PackageItem
from onewindow.packages.workflow import ApplicationState, ItemState

STAFF_PERMS = (Perm.CASE_ACCEPT, Perm.SUPERVISE)


def _not_found() -> NotFound:
    return NotFound(_("没有找到这份一件事申请，请核对申请编号。"))


def packages_public() -> QuerySet[Package]:
    return (
        Package.objects.filter(published=True)
        .select_related("region", "lead_department")
        .annotate(item_count=Count("items"))
        .order_by("sort_order", "id")
    )


def package_get_public(*, code: str) -> Package:
    package = (Package.objects.filter(published=True, code=(code or "")[:40])
               .select_related("region", "lead_department").first())
    if package is None:
        raise NotFound(_("没有找到这个一件事，或它尚未发布。"))
    return package


def _items_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "package_cases",
        queryset=PackageCase.objects.select_related(
            "case", "case__department", "case__certificate",
            "package_item__item__basic", "package_item__item__department",
        ).prefetch_related(
            Prefetch("package_item__depends_on",
                     queryset=PackageItem.objects.select_related("item__basic"))
        ).order_by("sort_order", "id"),
    )


def applicant_q(user: Any) -> Q:
    return Q(applicant__user_id=user.pk) | Q(created_by_id=user.pk)


def applications_for_applicant(*, user: Any) -> QuerySet[PackageApplication]:
    if not getattr(user, "is_authenticated", False):
        return PackageApplication.objects.none()
    return (
        PackageApplication.objects.filter(applicant_q(user))
        .exclude(state=ApplicationState.DISCARDED)
        .select_related("package", "applicant")
        .prefetch_related(_items_prefetch())
        .order_by("-created_at", "-id")
    )


def application_get_for_applicant(*, user: Any, number: str) -> PackageApplication:
    if not getattr(user, "is_authenticated", False):
        raise _not_found()
    application = next(iter(
        applications_for_applicant(user=user).filter(number=(number or "")[:40]).order_by()[:1]
    ), None)
    if application is None:
        raise _not_found()
    return application


def staff_scope_q(user: Any) -> Q:
    """Applications a member of staff may see: the package's region in their window or
    supervision scope, or any of its cases within their case scope."""
    q = Q(pk__in=[])
    for perm in STAFF_PERMS:
        q |= access.scope_q(user, perm, region_field="region", department_field=None)
    cases = Case.objects.filter(case_selectors.staff_scope_q(user)).values("pk")
    q |= Q(pk__in=PackageCase.objects.filter(case__in=cases).values("application_id"))
    return q


def applications_for_staff(*, user: Any, state: str = "") -> QuerySet[PackageApplication]:
    qs = (PackageApplication.objects.filter(staff_scope_q(user))
          .exclude(state__in=[ApplicationState.DRAFT, ApplicationState.DISCARDED])
          .select_related("package", "applicant")
          .prefetch_related(_items_prefetch()))
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-submitted_at", "-id")


def application_get_for_staff(*, user: Any, number: str) -> PackageApplication:
    application = next(iter(
        applications_for_staff(user=user).filter(number=(number or "")[:40]).order_by()[:1]
    ), None)
    if application is None:
        raise _not_found()
    return application


def may_deliver(user: Any, application: PackageApplication) -> bool:
    return access.can(user, Perm.CASE_ACCEPT, region=application.region)


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One item of an application as the tracking page shows it."""

    pc: PackageCase
    name: str
    department: str
    case: Case | None
    state_label: str
    tone: str  # wait / run / ok / bad / act
    waiting_for: list[str]
    certificate: Certificate | None


def item_rows(application: PackageApplication) -> list[ItemRow]:
    """Each item: its case's state, or what it waits for (prefetched: no further queries)."""
    pcs = list(application.package_cases.all())
    by_item = {pc.package_item_id: pc for pc in pcs}
    rows = []
    for pc in pcs:
        item = pc.package_item.item
        case = pc.case
        waiting_for = []
        if pc.state == ItemState.WAITING:
            for dep in pc.package_item.depends_on.all():
                other = by_item.get(dep.pk)
                if other is None or other.case is None or other.case.decision != Decision.APPROVED:
                    waiting_for.append(dep.item.basic.name)
        rows.append(ItemRow(
            pc=pc, name=item.basic.name,
            department=case.department.name if case else item.department.name,
            case=case, state_label=_state_label(pc), tone=_tone(pc), waiting_for=waiting_for,
            certificate=_certificate(case),
        ))
    return rows


def _certificate(case: Case | None) -> Certificate | None:
    if case is None:
        return None
    try:
        return case.certificate
    except Certificate.DoesNotExist:
        return None


def _state_label(pc: PackageCase) -> str:
    if pc.state == ItemState.STARTED and pc.case is not None:
        return str(pc.case.get_state_display())
    if pc.state == ItemState.FINISHED and pc.case is not None:
        if pc.case.decision == Decision.APPROVED:
            return _("已办结（准予）")
        if pc.case.decision == Decision.DENIED:
            return _("已办结（不予许可）")
        return str(pc.case.get_state_display())
    return str(pc.get_state_display())


def _tone(pc: PackageCase) -> str:
    if pc.state == ItemState.WAITING:
        return "wait"
    if pc.state == ItemState.BLOCKED:
        return "act"
    if pc.state == ItemState.CLOSED:
        return "bad"
    case = pc.case
    if case is None:
        return "wait"
    if case.decision == Decision.APPROVED:
        return "ok"
    if case.decision == Decision.DENIED or case.state in (CaseState.REFUSED,
                                                           CaseState.WITHDRAWN):
        return "bad"
    if case.state == CaseState.AWAITING_SUPPLEMENT:
        return "act"
    return "run"
