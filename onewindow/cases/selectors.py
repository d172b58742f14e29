"""Reads of cases, always narrowed to the reader's scope.

"Not found" and "not yours" raise the same :class:`NotFound`, with the same message, so nobody
can probe case numbers. Detail reads load everything in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Role
from onewindow.cases import deadlines
from onewindow.cases.models import (
    Case,
    CaseEvent,
    CaseHop,
    CaseMaterial,
    Certificate,
    ClockStop,
    Notice,
    Task,
)
from onewindow.cases.numbers import normalise_code
from onewindow.cases.workflow import CaseState, TaskState
from onewindow.core import clock
from onewindow.core.errors import NotFound
from onewindow.regions.models import Region
from onewindow.workdays.selectors import get_calendar

STAFF_VIEW_PERMS = (Perm.CASE_ACCEPT, Perm.CASE_REVIEW, Perm.SUPERVISE)
_DETAIL_RELATED = (
    "item__basic", "version", "region", "department", "centre", "applicant", "certificate",
    "intake_region",
)


def _not_found() -> NotFound:
    return NotFound(_("没有找到这个办件，请核对办件编号和查询码。"))


def staff_scope_q(user: Any) -> Q:
    """Cases a staff member may see: in scope for accepting, reviewing or supervising — by the
    case's region, or (counter staff and supervisors) by the station that took it in."""
    q = Q(pk__in=[])
    for perm in STAFF_VIEW_PERMS:
        q |= access.scope_q(user, perm, region_field="region", department_field="department")
    # Below the city, a station's or town's staff also see what they took in for a higher
    # level (a city-wide grant sees every case by its region already).
    for perm in (Perm.CASE_ACCEPT, Perm.SUPERVISE):
        for g in access.grants_for(user, perm):
            if g.department_id is None and len(g.region_prefix) > 4:
                q |= Q(intake_region__prefix__startswith=g.region_prefix)
    return q


def can_view_as_staff(user: Any, case: Case) -> bool:
    if any(access.can(user, perm, region=case.region, department=case.department)
           for perm in STAFF_VIEW_PERMS):
        return True
    if case.intake_region_id and any(access.can(user, perm, region=case.intake_region)
                                     for perm in (Perm.CASE_ACCEPT, Perm.SUPERVISE)):
        return True
    return is_participant(user, case)


def is_participant(user: Any, case: Case) -> bool:
    """A reviewer of another department with a task on this case sees it — the shared
    materials: a participant asked for its parallel opinion (并联审批), or a department of
    another level holding a step of a case handled across levels (市区联动审批)."""
    deps = {(g.department_id, g.region_prefix) for g in access.grants_for(user, Perm.CASE_REVIEW)
            if g.department_id is not None}
    if not deps:
        return False
    return any(
        any(t.department_id == d and t.department.region.prefix.startswith(p) for d, p in deps)
        for t in case.tasks.all()
    )


def applicant_q(user: Any) -> Q:
    return Q(applicant__user_id=user.pk) | Q(created_by_id=user.pk, channel="online")


def _one(qs: QuerySet[Case]) -> Case | None:
    """The row of a unique look-up, without the ORDER BY that ``first()`` adds."""
    return next(iter(qs.order_by()[:1]), None)


def _detail_queryset() -> QuerySet[Case]:
    return Case.objects.select_related(*_DETAIL_RELATED).prefetch_related(
        Prefetch("materials", queryset=CaseMaterial.objects.order_by("sort_order", "id")),
        Prefetch("tasks", queryset=Task.objects.select_related("department__region")
                 .order_by("seq")),
        Prefetch("stops", queryset=ClockStop.objects.order_by("started_on", "id")),
        Prefetch("hops", queryset=CaseHop.objects.select_related("from_region", "to_region")
                 .order_by("seq")),
        Prefetch("notices", queryset=Notice.objects.order_by("issued_at", "id")),
        Prefetch("events", queryset=CaseEvent.objects.order_by("seq")),
    )


def case_get_for_staff(*, user: Any, case_no: str) -> Case:
    """The whole case screen for a clerk or reviewer, in a fixed number of queries."""
    case = _one(_detail_queryset().filter(case_no=(case_no or "")[:32]))
    if case is None or not can_view_as_staff(user, case):
        raise _not_found()
    return case


def case_get_for_applicant(*, user: Any, case_no: str) -> Case:
    if not getattr(user, "is_authenticated", False):
        raise _not_found()
    case = _one(_detail_queryset().filter(applicant_q(user), case_no=(case_no or "")[:32]))
    if case is None:
        raise _not_found()
    return case


def case_lookup_public(*, case_no: str, query_code: str) -> Case:
    """Without signing in: case number plus query code; a wrong pair is plainly not found."""
    case = _one(_detail_queryset().filter(case_no=(case_no or "").strip()[:32]))
    code = normalise_code(query_code)
    if case is None or not code or not hmac.compare_digest(case.query_code, code):
        raise _not_found()
    if case.state == CaseState.DRAFT:
        raise _not_found()
    return case


def cases_for_applicant(*, user: Any) -> QuerySet[Case]:
    return (
        Case.objects.filter(applicant_q(user))
        .select_related("item__basic", "department")
        .order_by("-created_at")
    )


def cases_for_staff(*, user: Any, state: str | None = None, q: str = "") -> QuerySet[Case]:
    qs = Case.objects.filter(staff_scope_q(user)).exclude(state=CaseState.DRAFT)
    if state:
        qs = qs.filter(state=state)
    if q:
        q = q.strip()[:40]
        qs = qs.filter(Q(case_no__startswith=q) | Q(applicant__name=q)
                       | Q(applicant__id_number=q) | Q(applicant__credit_code=q))
    return qs.select_related("item__basic", "department", "applicant").order_by("-created_at")


def prereview_queue(*, user: Any) -> QuerySet[Case]:
    """Online submissions and supplements waiting at the window (预审)."""
    scope = access.scope_q(user, Perm.CASE_ACCEPT, region_field="region",
                           department_field="department")
    return (
        Case.objects.filter(scope, state__in=[CaseState.SUBMITTED,
                                              CaseState.AWAITING_SUPPLEMENT])
        .select_related("item__basic", "department", "applicant")
        .order_by("submitted_at", "id")
    )


def hops_in_transit(*, user: Any, limit: int = 100) -> list[CaseHop]:
    """四级联动: files forwarded up to, and results sent down to, this window's regions and not
    yet received — oldest due first."""
    scope = access.scope_q(user, Perm.CASE_ACCEPT, region_field="to_region",
                           department_field=None)
    return list(
        CaseHop.objects.filter(scope, received_at__isnull=True)
        .select_related("case__item__basic", "case__applicant", "from_region", "to_region")
        .order_by("due", "id")[:limit]
    )


def _inbox_q(user: Any) -> Q:
    q = Q(pk__in=[])
    for grant in access.grants_for(user, Perm.CASE_REVIEW):
        if grant.department_id is None:
            continue
        roles = [grant.role.value]
        if grant.role == Role.CHIEF:
            roles.append(Role.REVIEWER.value)
        q |= Q(department_id=grant.department_id, role__in=roles)
    return q


# The columns an inbox row shows (a page is 50 rows of six models: loading every column of the
# case, the item and the applicant was most of the inbox's time).
_INBOX_FIELDS = (
    *(f.name for f in Task._meta.concrete_fields),
    "case__case_no", "case__state", "case__promised_due", "case__item_id",
    "case__applicant_id", "case__item__implementation_code", "case__item__basic_id",
    "case__item__basic__name", "case__applicant__name", "case__applicant__kind",
    "department__name",
)


def inbox(*, user: Any, item_code: str | None = None, due_before: dt.date | None = None,
          limit: int = 50, after: tuple[dt.date, int] | None = None,
          green: bool | None = None) -> list[Task]:
    """Active tasks the reviewer may work on, most urgent first (key-set paginated);
    ``green`` keeps only (or leaves out) green-channel tasks (绿色通道), which go first."""
    qs = Task.objects.filter(_inbox_q(user), state=TaskState.ACTIVE)
    if green is not None:
        qs = qs.filter(green_channel=green)
    if item_code:
        qs = qs.filter(case__item__implementation_code=item_code)
    if due_before:
        qs = qs.filter(due__lte=due_before)
    if after:
        qs = qs.filter(Q(due__gt=after[0]) | Q(due=after[0], id__gt=after[1]))
    return list(
        qs.select_related("case__item__basic", "case__applicant", "department")
        .only(*_INBOX_FIELDS).order_by("due", "id")[:limit]
    )


def _due_within_q(user: Any, workdays: int) -> Q:
    last = deadlines.due_limit_for_window(get_calendar(), clock.today(), workdays)
    return staff_scope_q(user) & Q(state=CaseState.IN_REVIEW, promised_due__lte=last)


_DUE_FIELDS = (
    "id", "case_no", "state", "created_at", "promised_due", "legal_due", "item_id",
    "department_id", "item__basic_id", "item__basic__name", "department__name",
)


def cases_due_within(*, user: Any, workdays: int, limit: int = 100,
                     after: tuple[dt.date, int] | None = None) -> list[Case]:
    """Cases in review whose promised date falls within ``workdays`` working days (or passed),
    most urgent first: a range scan of the partial index (promised_due, id), key-set paginated.
    """
    qs = Case.objects.filter(_due_within_q(user, workdays))
    if after:
        qs = qs.filter(Q(promised_due__gt=after[0]) | Q(promised_due=after[0], id__gt=after[1]))
    return list(
        qs.select_related("item__basic", "department").only(*_DUE_FIELDS)
        .order_by("promised_due", "id")[:limit]
    )


def _scope_by_region_ids_q(user: Any) -> Q:
    """:func:`staff_scope_q` on the case's own columns (region ids from the small region table
    instead of a join), so that a count can read the index alone."""
    q = Q(pk__in=[])
    seen: set[tuple[str, int | None]] = set()
    for perm in STAFF_VIEW_PERMS:
        for g in access.grants_for(user, perm):
            if (g.region_prefix, g.department_id) in seen:
                continue
            seen.add((g.region_prefix, g.department_id))
            part = Q(region_id__in=Region.objects.filter(
                prefix__startswith=g.region_prefix).values("id"))
            if g.department_id is not None:
                part &= Q(department_id=g.department_id)
            q |= part
    return q


def count_due_within(*, user: Any, workdays: int) -> int:
    """How many cases :func:`cases_due_within` would list in all: an index-only scan of the
    partial index, which carries the region and department."""
    last = deadlines.due_limit_for_window(get_calendar(), clock.today(), workdays)
    return Case.objects.filter(_scope_by_region_ids_q(user), state=CaseState.IN_REVIEW,
                               promised_due__lte=last).count()


@dataclass(frozen=True, slots=True)
class Urgency:
    days_left: int | None
    level: str  # "ok", "yellow", "red", "stopped", "none"


def urgency(due: dt.date | None, *, stopped: bool = False, today: dt.date | None = None
            ) -> Urgency:
    """Working days left and the colour: green, yellow card (≤ 1 left), red card (overdue)."""
    if stopped:
        return Urgency(None, "stopped")
    if due is None:
        return Urgency(None, "none")
    left = deadlines.working_days_left(get_calendar(), today or clock.today(), due)
    assert left is not None
    level = "red" if left < 0 else ("yellow" if left <= 1 else "ok")
    return Urgency(left, level)


def timeline(case: Case, *, for_applicant: bool) -> list[CaseEvent]:
    """The case's events (from a prefetched case); applicants see only the public ones."""
    events = list(case.events.all())
    return [e for e in events if e.public] if for_applicant else events


def notice_for_verification(*, code: str) -> Notice | None:
    code = normalise_code(code)
    if not code:
        return None
    return Notice.objects.select_related("case__region", "case__item__basic").filter(
        verify_code=code
    ).first()


def certificate_of(case: Case) -> Certificate | None:
    """The case's certificate, from the detail look-ups' join (no query of its own)."""
    try:
        return case.certificate
    except Certificate.DoesNotExist:
        return None


def certificate_for_verification(*, code: str) -> Certificate | None:
    code = normalise_code(code)
    if not code:
        return None
    return Certificate.objects.select_related("case", "holder").filter(verify_code=code).first()


def notice_for_user(*, user: Any, case: Case, notice_id: int) -> Notice:
    """A notice of a case the caller already may see (from a prefetched case)."""
    for notice in case.notices.all():
        if notice.pk == notice_id:
            return notice
    raise NotFound(_("没有找到这份文书。"))
