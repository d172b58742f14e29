"""Reads of window assessment: a month's figures (set-based, for the computation), the scheme
that applies to a region, and runs and rows filtered by the reader's scope.

Scope:
- ``assessment.manage`` (政管办), ``supervise`` (监察室) and ``stats.view`` held over a region
  subtree see every row whose subject belongs to that subtree;
- ``stats.view`` held for one department (部门负责人, 首席代表) sees only rows of that
  department: the department itself, its windows and its staff;
- a run is listed to a reader whose grant lies within the run's region or above it (a
  district's office sees the city's run, with its own district's rows only);
- the public sees published runs, window and department rows only (never staff).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import User
from onewindow.assessment.models import (
    PUBLIC_KINDS,
    AssessmentRow,
    AssessmentRun,
    RunState,
    ScoringScheme,
    SubjectKind,
)
from onewindow.assessment.scoring import Figures, Scheme
from onewindow.cases.deadlines import days_between
from onewindow.cases.models import Case, CaseEvent
from onewindow.cases.workflow import Action
from onewindow.core.errors import NotFound
from onewindow.core.masking import mask_name
from onewindow.evaluation.selectors import Period, complaint_figures, evaluation_figures
from onewindow.hall.models import Ticket, TicketState, WindowSession
from onewindow.regions.models import LEVEL_PREFIX_LEN, Department, Region, Window, WindowKind
from onewindow.supervision.models import Alert, AlertState
from onewindow.workdays.selectors import get_calendar

VIEW_PERMS = (Perm.ASSESSMENT_MANAGE, Perm.SUPERVISE, Perm.STATS_VIEW)
YELLOW_LEVEL = 2  # yellow card, backdated entry
RED_LEVEL = 3  # red card (overdue) and irregularities


# --- the month -----------------------------------------------------------------------------------


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime, dt.date]:
    """(first moment, first moment of the next month, last day) in local time."""
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(month, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(nxt, dt.time.min))
    return start, end, nxt - dt.timedelta(days=1)


def window_of_acceptance(prefix: str = "") -> Coalesce:
    """The window a case was accepted at, as an SQL expression on a Case row (``prefix`` =
    the path to the case, e.g. ``"case__"``): the window where the accepting member of staff
    was signed in (挂牌上岗) at the moment of acceptance; without such a session, the
    departmental window of the case's department in the centre that accepted it."""
    by, at = OuterRef(f"{prefix}accepted_by"), OuterRef(f"{prefix}accepted_at")
    session = (WindowSession.objects.filter(user=by, started_at__lte=at)
               .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=at))
               .order_by("-started_at", "-pk").values("window_id")[:1])
    fallback = (Window.objects.filter(centre=OuterRef(f"{prefix}centre"),
                                      department=OuterRef(f"{prefix}department"),
                                      kind=WindowKind.DEPARTMENTAL)
                .order_by("number", "pk").values("pk")[:1])
    return Coalesce(Subquery(session), Subquery(fallback), output_field=BigIntegerField())


@dataclass
class MonthData:
    """A month's figures per subject: window id / department id / staff (user) id."""

    windows: dict[int, Figures] = field(default_factory=dict)
    departments: dict[int, Figures] = field(default_factory=dict)
    staff: dict[int, Figures] = field(default_factory=dict)

    def of(self, kind: str) -> dict[int, Figures]:
        return {SubjectKind.WINDOW: self.windows, SubjectKind.DEPARTMENT: self.departments,
                SubjectKind.STAFF: self.staff}[SubjectKind(kind)]

    def add(self, *, window: Any, department: Any, staff: Any, **counts: int) -> None:
        for book, key in ((self.windows, window), (self.departments, department),
                          (self.staff, staff)):
            if key is not None:
                book.setdefault(int(key), Figures()).add(**counts)


def month_figures(*, region: Region, month: dt.date) -> MonthData:
    """Every figure of the month for the subjects of ``region``'s subtree, in a fixed number of
    grouped queries (see :mod:`onewindow.assessment.services` for the definitions)."""
    start, end, last = month_bounds(month)
    prefix = region.prefix
    data = MonthData()
    in_month = {"gte": start, "lt": end}

    # Cases accepted in the month.
    accepted = (Case.objects.filter(region__prefix__startswith=prefix,
                                    accepted_at__gte=in_month["gte"],
                                    accepted_at__lt=in_month["lt"])
                .annotate(win=window_of_acceptance())
                .values("win", "department_id", "accepted_by_id")
                .annotate(n=Count("id")).order_by())
    for r in accepted:
        data.add(window=r["win"], department=r["department_id"], staff=r["accepted_by_id"],
                 accepted=r["n"])

    # Cases completed (办结) in the month, grouped by the dates their handling time needs.
    cal = get_calendar()
    completed = (
        Case.objects.filter(region__prefix__startswith=prefix, completed_at__gte=start,
                            completed_at__lt=end)
        .annotate(win=window_of_acceptance(), done_on=TruncDate("completed_at"),
                  end_on=Coalesce(TruncDate("decided_at"), TruncDate("completed_at")),
                  spot=Exists(CaseEvent.objects.filter(case=OuterRef("pk"),
                                                       action=Action.DECIDE_ON_SPOT)))
        .values("win", "department_id", "accepted_by_id", "accepted_on", "end_on", "limit_unit")
        .annotate(
            n=Count("id"),
            on_time=Count("id", filter=Q(promised_due__isnull=True)
                          | Q(promised_due__gte=F("done_on"))),
            on_spot=Count("id", filter=Q(is_instant=True) | Q(spot=True)),
            stopped=Sum("stopped_days"), legal=Sum("legal_limit_days"),
        ).order_by()
    )
    for c in completed:
        counts = {"completed": c["n"], "on_time": c["on_time"], "on_spot": c["on_spot"]}
        if c["accepted_on"] is not None and c["end_on"] is not None:
            span = days_between(cal, c["accepted_on"], c["end_on"], c["limit_unit"])
            counts.update(speed_cases=c["n"], used_days=span * c["n"] - (c["stopped"] or 0),
                          legal_days=c["legal"] or 0)
        data.add(window=c["win"], department=c["department_id"], staff=c["accepted_by_id"],
                 **counts)

    # Window services (served tickets) in the month.
    tickets = (Ticket.objects.filter(centre__region__prefix__startswith=prefix,
                                     state=TicketState.SERVED, finished_at__gte=start,
                                     finished_at__lt=end)
               .values("window_id", "window__department_id", "clerk_id")
               .annotate(n=Count("id")).order_by())
    for t in tickets:
        data.add(window=t["window_id"], department=t["window__department_id"],
                 staff=t["clerk_id"], tickets_served=t["n"])

    # 好差评 and 投诉 through the evaluation app's own figures.
    period = Period(start=month, end=last)
    for kind in SubjectKind:
        book = data.of(kind)
        for e in evaluation_figures(region=region, period=period, group_by=kind.value):
            if e.key is not None:
                book.setdefault(int(e.key), Figures()).add(
                    rated=e.total, satisfied=e.satisfied, bad_reviews=e.bad)
        for cf in complaint_figures(region=region, period=period, group_by=kind.value):
            if cf.key is not None:
                book.setdefault(int(cf.key), Figures()).add(
                    complaints=cf.received, complaints_upheld=cf.substantiated)

    # Alerts raised in the month (not withdrawn); reminders do not count.
    alerts = (Alert.objects.filter(region__prefix__startswith=prefix, raised_at__gte=start,
                                   raised_at__lt=end, level__gte=YELLOW_LEVEL)
              .exclude(state=AlertState.WITHDRAWN)
              .annotate(win=window_of_acceptance("case__"))
              .values("win", "department_id", "case__accepted_by_id")
              .annotate(yellow=Count("id", filter=Q(level=YELLOW_LEVEL)),
                        red=Count("id", filter=Q(level__gte=RED_LEVEL))).order_by())
    for a in alerts:
        data.add(window=a["win"], department=a["department_id"],
                 staff=a["case__accepted_by_id"], alerts=a["yellow"], red_cards=a["red"])
    return data


@dataclass(frozen=True)
class Subject:
    """Who a row is about and where it belongs (for the readers' scope)."""

    key: int
    label: str
    unit: str
    region_id: int
    department_id: int | None


def subjects(*, region: Region, data: MonthData) -> dict[str, dict[int, Subject]]:
    """Names of the subjects in ``data`` that belong to ``region``'s subtree (three queries).
    Windows and departments outside the subtree are left out; staff are kept (they acted on
    the subtree's cases) and belong to their home region, or to ``region`` when that lies
    outside."""
    prefix = region.prefix
    out: dict[str, dict[int, Subject]] = {k.value: {} for k in SubjectKind}
    for w in (Window.objects.filter(pk__in=list(data.windows),
                                    centre__region__prefix__startswith=prefix)
              .values("pk", "number", "name", "centre__name", "centre__region_id",
                      "department_id")):
        out[SubjectKind.WINDOW][w["pk"]] = Subject(
            key=w["pk"], label=f"{w['number']} {w['name']}", unit=w["centre__name"],
            region_id=w["centre__region_id"], department_id=w["department_id"])
    for d in (Department.objects.filter(pk__in=list(data.departments),
                                        region__prefix__startswith=prefix)
              .values("pk", "name", "region_id", "region__name")):
        out[SubjectKind.DEPARTMENT][d["pk"]] = Subject(
            key=d["pk"], label=d["name"], unit=d["region__name"], region_id=d["region_id"],
            department_id=d["pk"])
    for u in (User.objects.filter(pk__in=list(data.staff))
              .values("pk", "username", "display_name", "staff_profile__staff_number",
                      "staff_profile__region_id", "staff_profile__region__prefix",
                      "staff_profile__department_id", "staff_profile__department__name")):
        number = u["staff_profile__staff_number"]
        name = mask_name(u["display_name"] or u["username"])
        home = u["staff_profile__region_id"]
        inside = home is not None and (u["staff_profile__region__prefix"] or "").startswith(
            prefix)
        out[SubjectKind.STAFF][u["pk"]] = Subject(
            key=u["pk"], label=f"{number} {name}" if number else name,
            unit=u["staff_profile__department__name"] or "",
            region_id=home if inside else region.pk,
            department_id=u["staff_profile__department_id"])
    return out


# --- the scheme ----------------------------------------------------------------------------------


def scheme_for(region: Region) -> tuple[Scheme, ScoringScheme | None]:
    """The scheme of the nearest region up the tree that has one (itself first), else the
    built-in defaults (and None)."""
    prefixes = [region.prefix[:n] for n in sorted(set(LEVEL_PREFIX_LEN.values()))
                if n <= len(region.prefix)]
    found = [s for s in ScoringScheme.objects.filter(region__prefix__in=prefixes)
             .select_related("region") if region.prefix.startswith(s.region.prefix)]
    if not found:
        return Scheme(), None
    best = max(found, key=lambda s: len(s.region.prefix))
    return Scheme.from_model(best), best


# --- scope ---------------------------------------------------------------------------------------


def can_view(user: Any) -> bool:
    return any(access.has_any(user, p) for p in VIEW_PERMS)


def can_manage(user: Any, run: AssessmentRun) -> bool:
    return access.can(user, Perm.ASSESSMENT_MANAGE, region=run.region)


def _above(prefix: str) -> list[str]:
    return [prefix[:n] for n in sorted(set(LEVEL_PREFIX_LEN.values())) if n < len(prefix)]


def run_scope_q(user: Any) -> Q:
    q = Q(pk__in=[])
    for perm in VIEW_PERMS:
        for g in access.grants_for(user, perm):
            q |= Q(region__prefix__startswith=g.region_prefix) | Q(
                region__prefix__in=_above(g.region_prefix))
    return q


def row_scope_q(user: Any) -> Q:
    q = Q(pk__in=[])
    for perm in VIEW_PERMS:
        q |= access.scope_q(user, perm, region_field="region", department_field="department")
    return q


def runs_for(user: Any, *, limit: int = 120) -> list[AssessmentRun]:
    return list(AssessmentRun.objects.filter(run_scope_q(user))
                .select_related("region", "published_by", "computed_by")
                .order_by("-month", "region__code")[:limit])


def run_get(user: Any, pk: int) -> AssessmentRun:
    """A run the user may read; "not there" and "not yours" are the same 404."""
    run = (AssessmentRun.objects.filter(run_scope_q(user), pk=pk)
           .select_related("region", "published_by", "computed_by", "withdrawn_by").first())
    if run is None:
        raise NotFound(_("没有找到这个考核批次。"), code="run_not_found")
    return run


def _ordered(qs: QuerySet[AssessmentRow]) -> QuerySet[AssessmentRow]:
    return qs.order_by(F("rank").asc(nulls_last=True), "label", "pk")


def rows_for(user: Any, run: AssessmentRun, kind: str) -> list[AssessmentRow]:
    return list(_ordered(run.rows.filter(row_scope_q(user), kind=kind)))


def visible_counts(user: Any, run: AssessmentRun) -> dict[str, int]:
    rows = (run.rows.filter(row_scope_q(user)).values("kind").annotate(n=Count("id"))
            .order_by())
    counts = {k.value: 0 for k in SubjectKind}
    counts.update({r["kind"]: r["n"] for r in rows})
    return counts


def manageable_regions(user: Any) -> list[Region]:
    """Regions the user may compute an assessment for (city, district, town levels)."""
    return list(Region.objects.filter(
        access.scope_q(user, Perm.ASSESSMENT_MANAGE, region_field="", department_field=None),
        level__in=["city", "district", "town"]).order_by("code")[:300])


# --- public --------------------------------------------------------------------------------------


def published_runs(*, limit: int = 60) -> list[AssessmentRun]:
    return list(AssessmentRun.objects.filter(state=RunState.PUBLISHED)
                .select_related("region").order_by("-month", "region__code")[:limit])


def published_run(*, region_code: str, month: dt.date) -> AssessmentRun:
    run = (AssessmentRun.objects.filter(state=RunState.PUBLISHED, region__code=region_code,
                                        month=month).select_related("region").first())
    if run is None:
        raise NotFound(_("没有找到已发布的考核结果。"), code="run_not_found")
    return run


def public_rows(run: AssessmentRun, kind: str) -> list[AssessmentRow]:
    if kind not in PUBLIC_KINDS or run.state != RunState.PUBLISHED:
        return []
    return list(_ordered(run.rows.filter(kind=kind)))
