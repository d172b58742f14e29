"""The one permission module: who may do what, where.

A permission (:class:`Perm`) is granted by roles (:data:`ROLE_PERMISSIONS`). A role is held
within a region subtree and, for departmental roles, one department (:class:`RoleAssignment`).
Every page, endpoint, admin screen, command and selector asks this module:

- :func:`can` — may ``user`` do ``perm`` on something in ``region`` (and ``department``)?
- :func:`require` — the same, raising :class:`~onewindow.core.errors.PermissionDenied`.
- :func:`scope_q` — a ``Q`` that narrows a queryset to what ``user`` may ``perm``.

Superusers are *not* special-cased outside Django's own admin tooling: the platform's scope
rules apply to everybody who holds a role.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.translation import gettext as _

from onewindow.accounts.models import Role, RoleAssignment
from onewindow.core.errors import PermissionDenied

if TYPE_CHECKING:
    from onewindow.regions.models import Department, Region


class Perm(StrEnum):
    # regions and organisations
    REGION_MANAGE = "region.manage"  # regions, departments, centres, windows
    STAFF_MANAGE = "staff.manage"  # staff accounts and role assignments
    # working-day calendar (global: only held at the root of the tree takes effect)
    CALENDAR_MANAGE = "calendar.manage"
    # catalogue
    CATALOG_VIEW = "catalog.view"  # drafts and history in the workbench
    CATALOG_EDIT = "catalog.edit"  # edit drafts of items in scope
    CATALOG_PUBLISH = "catalog.publish"
    CATALOG_IMPORT = "catalog.import"
    CATALOG_EXPORT = "catalog.export"
    AUTHORISATION_ISSUE = "authorisation.issue"  # 首席代表授权书
    # applicants
    APPLICANT_VIEW = "applicant.view"
    APPLICANT_REGISTER = "applicant.register"
    # later issues: cases, supervision, hotline
    CASE_ACCEPT = "case.accept"
    CASE_REVIEW = "case.review"
    CASE_DECIDE_ON_SPOT = "case.decide_on_spot"
    CASE_APPLY_AS_AGENT = "case.apply_as_agent"
    HALL_CALL = "hall.call"  # sign in at a window, call and serve tickets, desk tickets
    HALL_MANAGE = "hall.manage"  # categories, schedules, special slots, notices, queue rules
    HOTLINE_OPERATE = "hotline.operate"  # the hotline centre: intake, dispatch, decisions
    WORKORDER_HANDLE = "workorder.handle"  # a department signs for, handles and answers orders
    KNOWLEDGE_EDIT = "knowledge.edit"  # write knowledge-base articles of one's department
    KNOWLEDGE_REVIEW = "knowledge.review"  # the hotline centre reviews and publishes them
    SUPERVISE = "supervise"
    STATS_VIEW = "stats.view"  # dashboards and figures of the region subtree / own department
    ASSESSMENT_MANAGE = "assessment.manage"  # compute, grade and publish window assessment
    ENTERPRISE_SERVE = "enterprise.serve"  # visits and concerns of companies (企忧), secretaries
    ENTERPRISE_MANAGE = "enterprise.manage"  # key projects/companies, secretaries, assign concerns
    WORKBENCH = "workbench"


_ALL_STAFF = {Perm.WORKBENCH, Perm.CATALOG_VIEW}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(
        _ALL_STAFF
        | {
            Perm.REGION_MANAGE, Perm.STAFF_MANAGE, Perm.CALENDAR_MANAGE, Perm.CATALOG_EDIT,
            Perm.CATALOG_PUBLISH, Perm.CATALOG_IMPORT, Perm.CATALOG_EXPORT,
            Perm.APPLICANT_VIEW, Perm.SUPERVISE, Perm.HALL_MANAGE, Perm.KNOWLEDGE_EDIT,
            Perm.KNOWLEDGE_REVIEW, Perm.STATS_VIEW, Perm.ASSESSMENT_MANAGE,
            Perm.ENTERPRISE_MANAGE,
        }
    ),
    Role.CLERK: frozenset(
        _ALL_STAFF
        | {Perm.APPLICANT_VIEW, Perm.APPLICANT_REGISTER, Perm.CASE_ACCEPT, Perm.HALL_CALL}
    ),
    Role.CHIEF: frozenset(
        _ALL_STAFF
        | {Perm.APPLICANT_VIEW, Perm.CASE_ACCEPT, Perm.CASE_REVIEW, Perm.CASE_DECIDE_ON_SPOT,
           Perm.HALL_CALL, Perm.STATS_VIEW, Perm.ENTERPRISE_SERVE}
    ),
    Role.REVIEWER: frozenset(
        _ALL_STAFF | {Perm.APPLICANT_VIEW, Perm.CASE_REVIEW, Perm.WORKORDER_HANDLE,
                      Perm.ENTERPRISE_SERVE}
    ),
    Role.DEPARTMENT_HEAD: frozenset(
        _ALL_STAFF
        | {
            Perm.CATALOG_EDIT, Perm.CATALOG_EXPORT, Perm.AUTHORISATION_ISSUE,
            Perm.APPLICANT_VIEW, Perm.CASE_REVIEW, Perm.KNOWLEDGE_EDIT, Perm.WORKORDER_HANDLE,
            Perm.STATS_VIEW, Perm.ENTERPRISE_SERVE,
        }
    ),
    Role.AGENT: frozenset(
        _ALL_STAFF | {Perm.APPLICANT_VIEW, Perm.APPLICANT_REGISTER, Perm.CASE_APPLY_AS_AGENT,
                      Perm.ENTERPRISE_SERVE}
    ),
    Role.OPERATOR: frozenset(_ALL_STAFF | {Perm.HOTLINE_OPERATE, Perm.KNOWLEDGE_REVIEW}),
    Role.SUPERVISOR: frozenset(
        _ALL_STAFF | {Perm.SUPERVISE, Perm.CATALOG_EXPORT, Perm.STATS_VIEW}
    ),
}


@dataclass(frozen=True, slots=True)
class Grant:
    """One role's reach: a region subtree (by code prefix) and optionally one department."""

    role: Role
    region_id: int
    region_prefix: str
    department_id: int | None

    def covers(self, *, region_prefix: str, department_id: int | None) -> bool:
        if not region_prefix.startswith(self.region_prefix):
            return False
        return self.department_id is None or self.department_id == department_id


_CACHE_ATTR = "_onewindow_grants"


def grants(user: Any) -> list[Grant]:
    """All active grants of ``user``, loaded once per user object (one query)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    rows = RoleAssignment.objects.filter(user=user, is_active=True).values_list(
        "role", "region_id", "region__prefix", "department_id"
    )
    result = [Grant(Role(r), rid, prefix, dep) for r, rid, prefix, dep in rows]
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_grants(user: Any) -> None:
    """Drop the cached grants (after role assignments changed)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def grants_for(user: Any, perm: Perm) -> list[Grant]:
    return [g for g in grants(user) if perm in ROLE_PERMISSIONS[g.role]]


def has_any(user: Any, perm: Perm) -> bool:
    """True when ``user`` holds ``perm`` anywhere (to decide whether to show a menu)."""
    return bool(grants_for(user, perm))


def roles(user: Any) -> set[Role]:
    return {g.role for g in grants(user)}


def can(
    user: Any,
    perm: Perm,
    *,
    region: Region | None = None,
    department: Department | None = None,
) -> bool:
    """May ``user`` do ``perm`` on something in ``region`` / of ``department``?

    With a department and no region, the department's region is used.
    """
    if region is None and department is not None:
        region = department.region
    if region is None:
        return False
    department_id = department.pk if department is not None else None
    return any(
        g.covers(region_prefix=region.prefix, department_id=department_id)
        for g in grants_for(user, perm)
    )


def require(
    user: Any,
    perm: Perm,
    *,
    region: Region | None = None,
    department: Department | None = None,
) -> None:
    if not can(user, perm, region=region, department=department):
        raise PermissionDenied(_("您没有权限执行此操作。"), code="forbidden")


def scope_q(
    user: Any,
    perm: Perm,
    *,
    region_field: str = "region",
    department_field: str | None = "department",
) -> Q:
    """A filter for the rows ``user`` may ``perm``; matches nothing when there is no grant.

    ``region_field`` is the lookup path to a Region (its ``prefix`` is compared; "" when the
    rows are regions themselves);
    ``department_field`` the path to a Department, or None when rows have no department (then
    departmental grants do not reach them).
    """
    q = Q(pk__in=[])
    for g in grants_for(user, perm):
        lookup = f"{region_field}__prefix__startswith" if region_field else "prefix__startswith"
        part = Q(**{lookup: g.region_prefix})
        if g.department_id is not None:
            if department_field is None:
                continue
            part &= Q(**{f"{department_field}_id": g.department_id})
        q |= part
    return q


def is_root_grant(user: Any, perm: Perm) -> bool:
    """True when ``user`` holds ``perm`` at the top of the region tree (a city-wide role)."""
    return any(
        g.department_id is None and len(g.region_prefix) <= 4 for g in grants_for(user, perm)
    )


def department_scope_q(user: Any, perm: Perm) -> Q:
    """A filter on Department rows: the departments ``user`` may ``perm`` for."""
    q = Q(pk__in=[])
    for g in grants_for(user, perm):
        part = Q(region__prefix__startswith=g.region_prefix)
        if g.department_id is not None:
            part &= Q(pk=g.department_id)
        q |= part
    return q
