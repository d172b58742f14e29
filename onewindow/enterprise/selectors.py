"""Reads of 一企一档 and 企忧档案, filtered by the reader's scope, and their figures.

Who reads what (docs/decisions/0014-enterprise.md):

- the business-environment office (``enterprise.manage``, ADMIN) — every file, project, visit
  and concern of its region subtree;
- a project secretary (项目秘书) — the files and projects assigned to them, for the period of
  the assignment, with every concern of those files;
- a department's staff (``enterprise.serve`` held for a department) — the files their
  department is liaison for (包联) or has a concern of, and only the concerns assigned to or
  recorded by their department;
- figures: ``enterprise.manage`` or ``stats.view`` over the region subtree / own department.

A ``enterprise.serve`` grant without a department (e.g. a village agent) reaches nothing by
itself: it makes its holder eligible to be appointed secretary.

"Not found" and "not yours" are the same :class:`~onewindow.core.errors.NotFound`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Applicant, ApplicantKind
from onewindow.cases.models import Case, Certificate
from onewindow.core import clock
from onewindow.core.errors import NotFound
from onewindow.enterprise.models import (
    Concern,
    ConcernCategory,
    EnterpriseFile,
    EnterpriseVisit,
    KeyProject,
    Liaison,
    SecretaryAssignment,
)
from onewindow.enterprise.workflow import CLOSED_STATES, OPEN_STATES, ConcernState
from onewindow.regions.models import Department, Region

FILE_CASES = 50  # cases and certificates shown on a file (latest first)
FILE_VISITS = 50
FILE_CONCERNS = 200


# --- scope ---------------------------------------------------------------------------------------


def department_ids(user: Any) -> list[int]:
    """Departments ``user`` serves companies for (``enterprise.serve`` departmental grants)."""
    return sorted({g.department_id for g in access.grants_for(user, Perm.ENTERPRISE_SERVE)
                   if g.department_id is not None})


def may_manage(user: Any, region: Region) -> bool:
    """The business-environment office of ``region`` (or above)."""
    return access.can(user, Perm.ENTERPRISE_MANAGE, region=region)


def has_enterprise_role(user: Any) -> bool:
    return access.has_any(user, Perm.ENTERPRISE_MANAGE) or access.has_any(
        user, Perm.ENTERPRISE_SERVE)


def active_assignments(user: Any | None = None, *, today: dt.date | None = None
                       ) -> QuerySet[SecretaryAssignment]:
    """Secretary assignments in force today (started, not ended, not revoked)."""
    today = today or clock.today()
    qs = SecretaryAssignment.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today), ended_at__isnull=True,
        starts_on__lte=today,
    )
    if user is not None:
        qs = qs.filter(user_id=getattr(user, "pk", None) or 0)
    return qs


def _secretary_of_file_q(user: Any, file_ref: str) -> Q:
    """Files ``user`` is secretary of: assigned to the file, or to a key project of the same
    company in the same region. ``file_ref`` is the path to the file's id ("pk", "file_id")."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    mine = active_assignments(user)
    direct = mine.filter(file_id=OuterRef(file_ref))
    company_ref = "company_id" if file_ref == "pk" else "file__company_id"
    region_ref = "region_id" if file_ref == "pk" else "file__region_id"
    via_project = mine.filter(project__company_id=OuterRef(company_ref),
                              project__region_id=OuterRef(region_ref))
    return Q(Exists(direct)) | Q(Exists(via_project))


def file_scope_q(user: Any) -> Q:
    """EnterpriseFile rows ``user`` may read."""
    q = access.scope_q(user, Perm.ENTERPRISE_MANAGE, region_field="region",
                       department_field=None)
    q |= _secretary_of_file_q(user, "pk")
    deps = department_ids(user)
    if deps:
        q |= Q(Exists(Liaison.objects.filter(file_id=OuterRef("pk"), department_id__in=deps)))
        q |= Q(Exists(Concern.objects.filter(
            Q(assigned_department_id__in=deps) | Q(raised_by_department_id__in=deps),
            file_id=OuterRef("pk"))))
    return q


def concern_scope_q(user: Any) -> Q:
    """Concern rows ``user`` may read (department staff: their own department's only)."""
    q = access.scope_q(user, Perm.ENTERPRISE_MANAGE, region_field="file__region",
                       department_field=None)
    q |= _secretary_of_file_q(user, "file_id")
    deps = department_ids(user)
    if deps:
        q |= Q(assigned_department_id__in=deps) | Q(raised_by_department_id__in=deps)
    return q


def project_scope_q(user: Any) -> Q:
    q = access.scope_q(user, Perm.ENTERPRISE_MANAGE, region_field="region",
                       department_field=None)
    if getattr(user, "is_authenticated", False):
        q |= Q(Exists(active_assignments(user).filter(project_id=OuterRef("pk"))))
    deps = department_ids(user)
    if deps:
        q |= Q(lead_department_id__in=deps)
    return q


def is_secretary_of(user: Any, file: EnterpriseFile) -> bool:
    return EnterpriseFile.objects.filter(_secretary_of_file_q(user, "pk"), pk=file.pk).exists()


def concern_visible(user: Any, concern: Concern) -> bool:
    return Concern.objects.filter(concern_scope_q(user), pk=concern.pk).exists()


def may_handle(user: Any, concern: Concern) -> bool:
    """The assigned department's staff (办理), or the office managing the region."""
    if concern.assigned_department_id and concern.assigned_department_id in department_ids(user):
        return True
    return may_manage(user, concern.file.region)


def related_regions(a: Region, b: Region) -> bool:
    """One region lies within the other (a department of the district or of the city above
    may serve a company filed in a town)."""
    return a.prefix.startswith(b.prefix) or b.prefix.startswith(a.prefix)


# --- green channel (绿色通道) --------------------------------------------------------------------


def _covering_prefixes(region: Region) -> list[str]:
    return [region.prefix[:n] for n in range(1, len(region.prefix) + 1)]


def green_channel_applicant_ids(*, region: Region | None = None) -> frozenset[int]:
    """Companies that get the green channel (in ``region``: designated there or above).

    A company gets it when its active file is marked green channel, or an active key project
    of it is. Two indexed reads on partial indexes (green designations only).
    """
    files = EnterpriseFile.objects.filter(green_channel=True, is_active=True)
    projects = KeyProject.objects.filter(green_channel=True, is_active=True,
                                         company__isnull=False)
    if region is not None:
        prefixes = _covering_prefixes(region)
        files = files.filter(region__prefix__in=prefixes)
        projects = projects.filter(region__prefix__in=prefixes)
    ids = set(files.values_list("company_id", flat=True))
    ids.update(projects.values_list("company_id", flat=True))
    return frozenset(i for i in ids if i is not None)


def is_green_channel(applicant_id: int, region: Region) -> bool:
    """Does ``applicant_id`` get the green channel for a case in ``region``?

    The hook the cases app calls through its registry (docs/decisions/0014-enterprise.md).
    """
    prefixes = _covering_prefixes(region)
    if EnterpriseFile.objects.filter(company_id=applicant_id, green_channel=True,
                                     is_active=True, region__prefix__in=prefixes).exists():
        return True
    return KeyProject.objects.filter(company_id=applicant_id, green_channel=True,
                                     is_active=True, region__prefix__in=prefixes).exists()


# --- files (一企一档) ----------------------------------------------------------------------------


def files_for(user: Any, *, q: str = "", key_only: bool = False, limit: int = 50
              ) -> list[EnterpriseFile]:
    """Files in scope matching a name or credit code, key companies first."""
    qs = EnterpriseFile.objects.filter(file_scope_q(user), is_active=True)
    text = (q or "").strip()[:100]
    if text:
        qs = qs.filter(Q(company__name__icontains=text)
                       | Q(company__credit_code__startswith=text.upper()))
    if key_only:
        qs = qs.filter(is_key=True)
    open_concerns = Count("concerns", filter=Q(concerns__state__in=OPEN_STATES))
    return list(
        qs.select_related("company", "region").annotate(open_concerns=open_concerns)
        .order_by("-is_key", "company__name", "pk")[:limit]
    )


def file_get(user: Any, pk: int) -> EnterpriseFile:
    found = (EnterpriseFile.objects.filter(file_scope_q(user), pk=pk)
             .select_related("company", "region", "opened_by").first())
    if found is None:
        raise NotFound(_("没有找到这份企业档案。"))
    return found


@dataclass
class FileView:
    """一企一档: everything about one company on file, read in a fixed number of queries."""

    file: EnterpriseFile
    liaisons: list[Department]
    cases: list[Case]
    case_total: int
    certificates: list[Certificate]
    visits: list[EnterpriseVisit]
    secretaries: list[SecretaryAssignment]
    concerns: list[Concern]
    projects: list[KeyProject]
    can_manage: bool
    is_secretary: bool
    my_departments: list[int] = field(default_factory=list)
    today: dt.date = field(default_factory=clock.today)

    @property
    def concern_counts(self) -> dict[str, int]:
        raised = len(self.concerns)
        solved = sum(1 for c in self.concerns if c.state in CLOSED_STATES)
        overdue = sum(1 for c in self.concerns if c.state in OPEN_STATES
                      and c.deadline < self.today)
        return {"raised": raised, "solved": solved, "tracking": raised - solved,
                "overdue": overdue}

    @property
    def can_record(self) -> bool:
        """May record a visit or a concern for this company."""
        liaison_ids = {d.pk for d in self.liaisons}
        return self.can_manage or self.is_secretary or bool(
            liaison_ids & set(self.my_departments))


def file_view(user: Any, pk: int) -> FileView:
    """The company file: its cases (latest first) and certificates within the file's region,
    visits, secretaries (of the file and of the company's key projects there), the concerns
    the reader may see, and the company's key projects in the region subtree."""
    f = file_get(user, pk)
    today = clock.today()
    inside = Q(region__prefix__startswith=f.region.prefix)
    cases_qs = Case.objects.filter(inside, applicant_id=f.company_id)
    cases = list(
        cases_qs.select_related("item__basic", "department")
        .only("id", "case_no", "state", "created_at", "accepted_on", "promised_due",
              "completed_at", "item__basic__name", "department__name", "region_id")
        .order_by("-created_at", "-id")[:FILE_CASES]
    )
    total = len(cases) if len(cases) < FILE_CASES else cases_qs.count()
    certificates = list(
        Certificate.objects.filter(holder_id=f.company_id,
                                   case__region__prefix__startswith=f.region.prefix)
        .select_related("case").only("id", "number", "name", "issued_on", "valid_until",
                                     "revoked_at", "case__case_no")
        .order_by("-issued_on", "-id")[:FILE_CASES]
    )
    secretaries = list(
        active_assignments(today=today)
        .filter(Q(file_id=f.pk) | Q(project__company_id=f.company_id,
                                    project__region_id=f.region_id))
        .select_related("user", "project").order_by("starts_on", "id")
    )
    me = getattr(user, "pk", None)
    return FileView(
        file=f,
        liaisons=[x.department for x in Liaison.objects.filter(file_id=f.pk)
                  .select_related("department").order_by("department__sort_order", "id")],
        cases=cases, case_total=total, certificates=certificates,
        visits=list(f.visits.select_related("department", "visitor")
                    .order_by("-visited_on", "-id")[:FILE_VISITS]),
        secretaries=secretaries,
        concerns=list(Concern.objects.filter(concern_scope_q(user), file_id=f.pk)
                      .select_related("assigned_department", "raised_by_department")
                      .order_by("-raised_at", "-id")[:FILE_CONCERNS]),
        projects=list(KeyProject.objects.filter(company_id=f.company_id,
                                                region__prefix__startswith=f.region.prefix)
                      .select_related("lead_department", "region").order_by("code")),
        can_manage=may_manage(user, f.region),
        is_secretary=any(s.user_id == me for s in secretaries),
        my_departments=department_ids(user), today=today,
    )


def companies_to_file(user: Any, *, q: str, limit: int = 20) -> list[Applicant]:
    """Organisations a manager may open a file for (exact credit code or name), when the
    manager holds ``enterprise.manage`` anywhere."""
    text = (q or "").strip()[:100]
    if not text or not access.has_any(user, Perm.ENTERPRISE_MANAGE):
        return []
    return list(Applicant.objects.filter(
        Q(credit_code=text.upper()) | Q(name__icontains=text), kind=ApplicantKind.ORGANISATION,
    ).order_by("name", "pk")[:limit])


# --- key projects --------------------------------------------------------------------------------


def projects_for(user: Any, *, q: str = "", stage: str = "", active_only: bool = True,
                 limit: int = 200) -> list[KeyProject]:
    qs = KeyProject.objects.filter(project_scope_q(user))
    if active_only:
        qs = qs.filter(is_active=True)
    if stage:
        qs = qs.filter(stage=stage)
    text = (q or "").strip()[:100]
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(code__iexact=text)
                       | Q(company__name__icontains=text))
    return list(qs.select_related("company", "region", "lead_department")
                .prefetch_related("secretaries__user").order_by("region__code", "code")[:limit])


def project_get(user: Any, pk: int) -> KeyProject:
    found = (KeyProject.objects.filter(project_scope_q(user), pk=pk)
             .select_related("company", "region", "lead_department").first())
    if found is None:
        raise NotFound(_("没有找到这个重点项目。"))
    return found


# --- concerns ------------------------------------------------------------------------------------


def concerns_for(user: Any, *, state: str = "open", department_id: int | None = None,
                 overdue: bool = False, q: str = "", mine: bool = False,
                 after: tuple[dt.date, int] | None = None, limit: int = 100
                 ) -> tuple[list[Concern], tuple[dt.date, int] | None]:
    """The concern inbox: due soonest first, key-set paginated on (deadline, id).

    ``state``: "open" (default), "closed", one state, or "" for all. ``mine``: only those
    assigned to the reader's departments.
    """
    qs = Concern.objects.filter(concern_scope_q(user))
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state == "closed":
        qs = qs.filter(state__in=CLOSED_STATES)
    elif state in ConcernState.values:
        qs = qs.filter(state=state)
    if department_id:
        qs = qs.filter(assigned_department_id=department_id)
    if mine:
        qs = qs.filter(assigned_department_id__in=department_ids(user))
    if overdue:
        qs = qs.filter(state__in=OPEN_STATES, deadline__lt=clock.today())
    text = (q or "").strip()[:100]
    if text:
        qs = qs.filter(Q(number=text.upper()) | Q(file__company__name__icontains=text)
                       | Q(description__icontains=text))
    if after:
        qs = qs.filter(Q(deadline__gt=after[0]) | Q(deadline=after[0], id__gt=after[1]))
    rows = list(
        qs.select_related("file__company", "file__region", "assigned_department",
                          "raised_by_department")
        .order_by("deadline", "id")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, ((rows[-1].deadline, rows[-1].pk) if more and rows else None)


def concern_get(user: Any, number: str) -> Concern:
    found = (Concern.objects.filter(concern_scope_q(user), number=str(number or "")[:24])
             .select_related("file__company", "file__region", "visit", "assigned_department",
                             "assigned_department__region", "raised_by_department", "raised_by",
                             "resolved_by")
             .prefetch_related("events__actor", "events__department").first())
    if found is None:
        raise NotFound(_("没有找到这件企忧事项。"))
    return found


def departments_for_assignment(user: Any, concern_region: Region) -> list[Department]:
    """Departments a concern of ``concern_region`` can be assigned to: active departments of
    the region's line (the region, its ancestors and its subtree)."""
    prefixes = _covering_prefixes(concern_region)
    return list(Department.objects.filter(
        Q(region__prefix__in=prefixes) | Q(region__prefix__startswith=concern_region.prefix),
        is_active=True,
    ).select_related("region").order_by("region__code", "sort_order", "code")[:500])


# --- figures (企忧档案统计) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive


@dataclass(frozen=True)
class ConcernFigures:
    key: Any
    label: str
    raised: int
    resolved: int
    explained: int
    tracking: int
    overdue: int
    on_time: int

    @property
    def solved(self) -> int:
        """办结 = resolved + explained."""
        return self.resolved + self.explained

    @property
    def closure_rate(self) -> Decimal | None:
        """办结率 (%), one decimal: solved / raised."""
        return _rate(self.solved, self.raised)

    @property
    def on_time_rate(self) -> Decimal | None:
        return _rate(self.on_time, self.solved)


def _rate(part: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(part) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def figures_scope_q(user: Any) -> Q:
    return access.scope_q(user, Perm.ENTERPRISE_MANAGE, region_field="file__region",
                          department_field=None) | access.scope_q(
        user, Perm.STATS_VIEW, region_field="file__region", department_field="assigned_department")


def may_view_figures(user: Any) -> bool:
    return access.has_any(user, Perm.ENTERPRISE_MANAGE) or access.has_any(user, Perm.STATS_VIEW)


GROUPS = {
    "department": ("assigned_department_id", "assigned_department__name"),
    "region": ("file__region_id", "file__region__name"),
    "category": ("category", None),
}


def concern_figures(*, user: Any | None = None, region: Region | None = None,
                    department_id: int | None = None, period: Period | None = None,
                    group_by: str | None = "department") -> list[ConcernFigures]:
    """Concerns raised in the period — resolved, explained, still tracking (open), overdue
    (open past the deadline today), closed on time — in total (``group_by=None``) or per
    department / region / category / month. One aggregate query (set-based)."""
    today = clock.today()
    qs = Concern.objects.all()
    if user is not None:
        qs = qs.filter(figures_scope_q(user))
    if region is not None:
        qs = qs.filter(file__region__prefix__startswith=region.prefix)
    if department_id is not None:
        qs = qs.filter(assigned_department_id=department_id)
    if period and period.start:
        qs = qs.filter(raised_at__gte=_aware(period.start))
    if period and period.end:
        qs = qs.filter(raised_at__lt=_aware(period.end + dt.timedelta(days=1)))
    agg = {
        "raised": Count("id"),
        "resolved": Count("id", filter=Q(state=ConcernState.RESOLVED)),
        "explained": Count("id", filter=Q(state=ConcernState.EXPLAINED)),
        "tracking": Count("id", filter=Q(state__in=OPEN_STATES)),
        "overdue": Count("id", filter=Q(state__in=OPEN_STATES, deadline__lt=today)),
        "on_time": Count("id", filter=Q(state__in=CLOSED_STATES, on_time=True)),
    }

    def row(key: Any, label: str, a: dict[str, Any]) -> ConcernFigures:
        return ConcernFigures(key=key, label=label or str(_("未交办")), raised=a["raised"],
                              resolved=a["resolved"], explained=a["explained"],
                              tracking=a["tracking"], overdue=a["overdue"], on_time=a["on_time"])

    if group_by is None:
        return [row(None, str(_("合计")), qs.aggregate(**agg))]
    if group_by == "month":
        rows = qs.annotate(month=TruncMonth("raised_at")).values("month").annotate(
            **agg).order_by("month")
        return [row(r["month"], f"{r['month']:%Y-%m}", dict(r)) for r in rows]
    key, label = GROUPS[group_by]
    if label is None:
        labels = dict(ConcernCategory.choices)
        rows = qs.values(key).annotate(**agg).order_by(key)
        return [row(r[key], str(labels.get(r[key], r[key])), dict(r)) for r in rows]
    rows = qs.values(key, label).annotate(**agg).order_by(label, key)
    return [row(r[key], r[label] or "", dict(r)) for r in rows]


def figure_totals(rows: list[ConcernFigures]) -> ConcernFigures:
    return ConcernFigures(
        key=None, label=str(_("合计")), raised=sum(r.raised for r in rows),
        resolved=sum(r.resolved for r in rows), explained=sum(r.explained for r in rows),
        tracking=sum(r.tracking for r in rows), overdue=sum(r.overdue for r in rows),
        on_time=sum(r.on_time for r in rows),
    )
