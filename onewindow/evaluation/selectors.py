"""Reads of 好差评 and 投诉, filtered by the reader's scope, and figures for supervision.

Scope:
- follow-ups: the responsible department's case handlers (``case.review`` for that department)
  or, for a general window, the centre's management (``hall.manage`` over the region); the
  supervision office (``supervise`` over the region subtree) reads them all;
- complaints: the supervision office only. A department asked to explain reads
  :class:`DepartmentComplaint` rows, built from a query that never selects the complainant's
  columns;
- published reviews: everybody, anonymised (no name, no phone; comment masked).

Figures (满意率 = reviews rated 1–3 / all counted reviews; upheld appeals are excluded) are
computed with one aggregate query per call; the supervision app reads them through
:func:`evaluation_figures`, :func:`follow_up_figures` and :func:`complaint_figures`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.core import clock
from onewindow.core.errors import NotFound
from onewindow.core.masking import mask_name, mask_text
from onewindow.evaluation.models import (
    BAD_LEVELS,
    SATISFIED_LEVELS,
    Appeal,
    AppealState,
    Complaint,
    Evaluation,
    FollowUp,
    Level,
)
from onewindow.evaluation.workflow import ComplaintState, FollowUpState
from onewindow.regions.models import Region

OPEN_FOLLOW_UP = (FollowUpState.OPEN, FollowUpState.CALLED)
OPEN_COMPLAINT = (ComplaintState.RECEIVED, ComplaintState.INVESTIGATING)


# --- scope ---------------------------------------------------------------------------------------


def follow_up_scope_q(user: Any) -> Q:
    handle = (Q(department__isnull=False) & access.scope_q(user, Perm.CASE_REVIEW)) | (
        Q(department__isnull=True) & access.scope_q(user, Perm.HALL_MANAGE))
    return handle | access.scope_q(user, Perm.SUPERVISE)


def follow_ups_for_user(user: Any, *, state: str = "", overdue: bool = False) -> QuerySet[FollowUp]:
    qs = FollowUp.objects.filter(follow_up_scope_q(user)).select_related(
        "evaluation", "department", "region", "evaluation__window", "evaluation__appeal")
    if state in FollowUpState.values:
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.filter(state__in=OPEN_FOLLOW_UP, due__lt=clock.today())
    return qs.order_by("state", "due", "id")


def follow_up_get(user: Any, pk: int) -> FollowUp:
    fu = follow_ups_for_user(user).filter(pk=pk).first()
    if fu is None:
        raise NotFound(_("没有找到这条差评整改。"))
    return fu


def supervision_q(user: Any) -> Q:
    return access.scope_q(user, Perm.SUPERVISE)


def appeals_for_supervisor(user: Any, *, state: str = "") -> QuerySet[Appeal]:
    qs = Appeal.objects.filter(
        access.scope_q(user, Perm.SUPERVISE, region_field="evaluation__region",
                       department_field="evaluation__department")
    ).select_related("evaluation__department", "evaluation__region", "evaluation__follow_up",
                     "filed_by")
    if state in AppealState.values:
        qs = qs.filter(state=state)
    return qs.order_by("state", "-filed_at", "-id")


def appeal_get(user: Any, pk: int) -> Appeal:
    appeal = appeals_for_supervisor(user).filter(pk=pk).first()
    if appeal is None:
        raise NotFound(_("没有找到这条申诉。"))
    return appeal


def complaints_for_supervisor(user: Any, *, state: str = "", overdue: bool = False,
                              q: str = "") -> QuerySet[Complaint]:
    qs = Complaint.objects.filter(supervision_q(user)).select_related(
        "department", "region", "target_window", "target_staff__user", "assignee")
    if state in ComplaintState.values:
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.filter(state__in=OPEN_COMPLAINT, due__lt=clock.today())
    if q:
        qs = qs.filter(number__startswith=q.strip().upper()[:24])
    return qs.order_by("-created_at", "-id")


def complaint_get_for_supervisor(user: Any, number: str) -> Complaint:
    c = complaints_for_supervisor(user).prefetch_related("files").filter(
        number=str(number)[:24]).first()
    if c is None:
        raise NotFound(_("没有找到这件投诉。"))
    return c


@dataclass(frozen=True)
class DepartmentComplaint:
    """What a department asked to explain sees: no complainant, ever."""

    pk: int
    number: str
    state: str
    state_label: str
    target_kind: str
    target_label: str
    department: str
    subject: str
    content: str
    created_at: dt.datetime
    due: dt.date
    statement: str
    statement_at: dt.datetime | None


_DEPARTMENT_FIELDS = (
    "pk", "number", "state", "target_kind", "target_window__number", "target_window__name",
    "target_staff__staff_number", "target_case__case_no", "department__name", "subject",
    "content", "created_at", "due", "department_statement", "statement_at",
)


def complaints_for_department(user: Any, *, number: str = "") -> list[DepartmentComplaint]:
    """Complaints the supervision office asked the user's department to explain."""
    qs = Complaint.objects.filter(
        access.scope_q(user, Perm.CASE_REVIEW), department__isnull=False, department_asked=True
    )
    if number:
        qs = qs.filter(number=str(number)[:24])
    rows = qs.order_by("-created_at", "-id").values(*_DEPARTMENT_FIELDS)[:200]
    out = []
    for r in rows:
        target = {
            "window": f"{r['target_window__number'] or ''} {r['target_window__name'] or ''}",
            "staff": _("工号 %(n)s") % {"n": r["target_staff__staff_number"]},
            "case": _("办件 %(n)s") % {"n": r["target_case__case_no"]},
            "department": r["department__name"] or "",
        }.get(r["target_kind"], "")
        out.append(DepartmentComplaint(
            pk=r["pk"], number=r["number"], state=r["state"],
            state_label=str(ComplaintState(r["state"]).label), target_kind=r["target_kind"],
            target_label=target.strip(), department=r["department__name"] or "",
            subject=mask_text(r["subject"]), content=mask_text(r["content"]),
            created_at=r["created_at"], due=r["due"], statement=r["department_statement"],
            statement_at=r["statement_at"],
        ))
    return out


def complaint_get_for_department(user: Any, number: str) -> DepartmentComplaint:
    rows = complaints_for_department(user, number=number)
    if not rows:
        raise NotFound(_("没有找到这件投诉。"))
    return rows[0]


# --- published reviews ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicReview:
    created_at: dt.datetime
    service: str
    department: str
    window: str
    level: int
    level_label: str
    comment: str
    rater: str
    response: str
    response_at: dt.datetime | None
    second_level_label: str


def published_reviews(
    *, department_id: int | None = None, bad_only: bool = False, before_id: int | None = None,
    limit: int = 20,
) -> tuple[list[PublicReview], int | None]:
    """Reviews with their department's response, anonymised; key-paginated by id."""
    qs = Evaluation.objects.filter(excluded=False)
    if department_id:
        qs = qs.filter(department_id=department_id)
    if bad_only:
        qs = qs.filter(level__in=BAD_LEVELS)
    if before_id:
        qs = qs.filter(id__lt=before_id)
    rows = list(
        qs.select_related("department", "window", "follow_up", "region")
        .order_by("-id")[: limit + 1]
    )
    more = rows[limit].pk if len(rows) > limit else None
    rows = rows[:limit]
    out = []
    for e in rows:
        fu = getattr(e, "follow_up", None)
        answered = fu is not None and fu.answered_at is not None
        kind_label = _("办件") if e.service_kind == "case" else _("窗口服务") \
            if e.service_kind == "ticket" else _("工单")
        out.append(PublicReview(
            created_at=e.created_at, service=str(kind_label),
            department=e.department.name if e.department else e.region.name,
            window=e.window.number if e.window else "", level=e.level,
            level_label=e.get_level_display(), comment=mask_text(e.comment),
            rater=_("实名用户") if e.real_name else _("匿名用户"),
            response=fu.response if answered and fu else "",
            response_at=fu.answered_at if answered and fu else None,
            second_level_label=str(Level(e.second_level).label) if e.second_level else "",
        ))
    return out, (rows[-1].pk if more else None)


# --- figures for supervision ---------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _period_q(field: str, period: Period | None) -> Q:
    q = Q()
    if period and period.start:
        q &= Q(**{f"{field}__gte": _aware(period.start)})
    if period and period.end:
        q &= Q(**{f"{field}__lt": _aware(period.end + dt.timedelta(days=1))})
    return q


def _rate(part: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(part) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _scope_filters(*, region: Region | None, department_id: int | None, window_id: int | None,
                   staff_id: int | None) -> Q:
    q = Q()
    if region is not None:
        q &= Q(region__prefix__startswith=region.prefix)
    if department_id is not None:
        q &= Q(department_id=department_id)
    if window_id is not None:
        q &= Q(window_id=window_id)
    if staff_id is not None:
        q &= Q(staff_id=staff_id)
    return q


_EVAL_AGG = {
    "total": Count("id"),
    **{f"l{v}": Count("id", filter=Q(level=v)) for v in Level.values},
    "satisfied": Count("id", filter=Q(level__in=SATISFIED_LEVELS)),
    "bad": Count("id", filter=Q(level__in=BAD_LEVELS)),
}

GROUPS = {
    "department": ("department_id", "department__name"),
    "window": ("window_id", "window__number"),
    "staff": ("staff_id", "staff__display_name"),
    "region": ("region_id", "region__name"),
}


@dataclass(frozen=True)
class EvaluationFigures:
    key: Any
    label: str
    total: int
    levels: dict[int, int]
    satisfied: int
    bad: int
    satisfaction_rate: Decimal | None  # percent, one decimal


def _eval_row(key: Any, label: str, agg: dict[str, Any]) -> EvaluationFigures:
    return EvaluationFigures(
        key=key, label=label or "—", total=agg["total"],
        levels={v: agg[f"l{v}"] for v in Level.values}, satisfied=agg["satisfied"],
        bad=agg["bad"], satisfaction_rate=_rate(agg["satisfied"], agg["total"]),
    )


def evaluation_figures(
    *, region: Region | None = None, department_id: int | None = None,
    window_id: int | None = None, staff_id: int | None = None, period: Period | None = None,
    group_by: str | None = None,
) -> list[EvaluationFigures]:
    """Counts per level, satisfied, bad and 满意率 — in total (``group_by=None``) or per
    department / window / staff / region / month. Reviews excluded by an upheld appeal are
    left out."""
    qs = Evaluation.objects.filter(
        _scope_filters(region=region, department_id=department_id, window_id=window_id,
                       staff_id=staff_id),
        _period_q("created_at", period), excluded=False,
    )
    if group_by is None:
        return [_eval_row(None, str(_("合计")), qs.aggregate(**_EVAL_AGG))]
    if group_by == "month":
        rows = (qs.annotate(month=TruncMonth("created_at")).values("month")
                .annotate(**_EVAL_AGG).order_by("month"))
        return [_eval_row(r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"],
                          f"{r['month']:%Y-%m}", dict(r)) for r in rows]
    key, label = GROUPS[group_by]
    rows = qs.values(key, label).annotate(**_EVAL_AGG).order_by(label, key)
    return [_eval_row(r[key], r[label] or "", r) for r in rows]


def evaluation_figures_by_child_region(*, parent: Region, period: Period | None = None
                                       ) -> list[EvaluationFigures]:
    """One row per child region of ``parent`` (its subtree's reviews), in one query."""
    children = list(Region.objects.filter(parent=parent).order_by("code"))
    qs = Evaluation.objects.filter(_period_q("created_at", period), excluded=False,
                                   region__prefix__startswith=parent.prefix)
    agg: dict[str, Any] = {}
    for i, child in enumerate(children):
        inside = Q(region__prefix__startswith=child.prefix)
        agg[f"c{i}_total"] = Count("id", filter=inside)
        for v in Level.values:
            agg[f"c{i}_l{v}"] = Count("id", filter=inside & Q(level=v))
    values = qs.aggregate(**agg) if agg else {}
    out = []
    for i, child in enumerate(children):
        levels = {v: values[f"c{i}_l{v}"] for v in Level.values}
        satisfied = sum(levels[v] for v in SATISFIED_LEVELS)
        out.append(EvaluationFigures(
            key=child.pk, label=child.name, total=values[f"c{i}_total"], levels=levels,
            satisfied=satisfied, bad=sum(levels[v] for v in BAD_LEVELS),
            satisfaction_rate=_rate(satisfied, values[f"c{i}_total"]),
        ))
    return out


def bad_reviews(*, region: Region | None = None, department_id: int | None = None,
                period: Period | None = None) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(
        _scope_filters(region=region, department_id=department_id, window_id=None,
                       staff_id=None),
        _period_q("created_at", period), level__in=BAD_LEVELS, excluded=False,
    ).select_related("department", "window", "follow_up").order_by("-created_at", "-id")


@dataclass(frozen=True)
class FollowUpFigures:
    opened: int
    answered: int
    answered_on_time: int
    open_overdue: int
    closed: int
    second_rated: int
    second_satisfied: int
    on_time_rate: Decimal | None


def follow_up_figures(*, region: Region | None = None, department_id: int | None = None,
                      period: Period | None = None) -> FollowUpFigures:
    """Bad-review follow-ups opened in the period: answered, on time, still open past due."""
    q = _period_q("opened_at", period) & Q(evaluation__excluded=False)
    if region is not None:
        q &= Q(region__prefix__startswith=region.prefix)
    if department_id is not None:
        q &= Q(department_id=department_id)
    agg = FollowUp.objects.filter(q).aggregate(
        opened=Count("id"),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        on_time=Count("id", filter=Q(on_time=True)),
        open_overdue=Count("id", filter=Q(state__in=OPEN_FOLLOW_UP, due__lt=clock.today())),
        closed=Count("id", filter=Q(state=FollowUpState.CLOSED)),
        second=Count("id", filter=Q(evaluation__second_level__isnull=False)),
        second_ok=Count("id", filter=Q(evaluation__second_level__in=SATISFIED_LEVELS)),
    )
    return FollowUpFigures(
        opened=agg["opened"], answered=agg["answered"], answered_on_time=agg["on_time"],
        open_overdue=agg["open_overdue"], closed=agg["closed"], second_rated=agg["second"],
        second_satisfied=agg["second_ok"], on_time_rate=_rate(agg["on_time"], agg["answered"]),
    )


@dataclass(frozen=True)
class ComplaintFigures:
    key: Any
    label: str
    received: int
    answered: int
    answered_on_time: int
    open_overdue: int
    substantiated: int
    rated: int
    rated_satisfied: int


_COMPLAINT_AGG = {
    "received": Count("id"),
    "answered": Count("id", filter=Q(answered_at__isnull=False)),
    "on_time": Count("id", filter=Q(on_time=True)),
    "substantiated": Count("id", filter=Q(substantiated=True)),
    "rated": Count("id", filter=Q(rating__isnull=False)),
    "rated_ok": Count("id", filter=Q(rating__in=SATISFIED_LEVELS)),
}

COMPLAINT_GROUPS = {
    "department": ("department_id", "department__name"),
    "window": ("target_window_id", "target_window__number"),
    "staff": ("target_staff__user_id", "target_staff__user__display_name"),
    "region": ("region_id", "region__name"),
}


def complaint_figures(*, region: Region | None = None, department_id: int | None = None,
                      period: Period | None = None, group_by: str | None = None
                      ) -> list[ComplaintFigures]:
    """Complaints received in the period: answered, on time, still open past due, found
    substantiated, rated by the complainant — in total or per department / window / staff /
    region / month. Staff figures key on the user id, like :func:`evaluation_figures`."""
    q = _period_q("created_at", period)
    if region is not None:
        q &= Q(region__prefix__startswith=region.prefix)
    if department_id is not None:
        q &= Q(department_id=department_id)
    agg = dict(_COMPLAINT_AGG, open_overdue=Count(
        "id", filter=Q(state__in=OPEN_COMPLAINT, due__lt=clock.today())))
    qs = Complaint.objects.filter(q)

    def row(key: Any, label: str, a: dict[str, Any]) -> ComplaintFigures:
        return ComplaintFigures(
            key=key, label=label or "—", received=a["received"], answered=a["answered"],
            answered_on_time=a["on_time"], open_overdue=a["open_overdue"],
            substantiated=a["substantiated"], rated=a["rated"], rated_satisfied=a["rated_ok"])

    if group_by is None:
        return [row(None, str(_("合计")), qs.aggregate(**agg))]
    if group_by == "month":
        rows = qs.annotate(month=TruncMonth("created_at")).values("month").annotate(
            **agg).order_by("month")
        return [row(r["month"], f"{r['month']:%Y-%m}", dict(r)) for r in rows]
    key, label = COMPLAINT_GROUPS[group_by]
    if group_by == "staff":
        qs = qs.filter(target_staff__isnull=False)
    rows = qs.values(key, label).annotate(**agg).order_by(label, key)
    return [row(r[key], r[label] or "", r) for r in rows]


def rated_services(user: Any) -> set[str]:
    """``kind:ref`` of every service the user rated (for "my evaluations")."""
    return {f"{k}:{r}" for k, r in Evaluation.objects.filter(rater_id=user.pk).values_list(
        "service_kind", "service_ref")}


def evaluation_of(kind: str, ref: str) -> Evaluation | None:
    return Evaluation.objects.select_related("follow_up").filter(
        service_kind=kind, service_ref=ref).first()


def evaluations_of_user(user: Any) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(rater_id=user.pk).select_related(
        "follow_up", "department").order_by("-created_at")


def overdue_follow_ups(user: Any) -> QuerySet[FollowUp]:
    """The supervision office's list of follow-ups past their due date."""
    return FollowUp.objects.filter(
        access.scope_q(user, Perm.SUPERVISE), state__in=OPEN_FOLLOW_UP, due__lt=clock.today()
    ).select_related("evaluation", "department", "region").order_by("due", "id")


def target_label(c: Complaint) -> str:
    if c.target_window_id and c.target_window:
        return f"{c.target_window.number} {c.target_window.name}"
    if c.target_staff_id and c.target_staff:
        return _("工号 %(n)s %(name)s") % {
            "n": c.target_staff.staff_number, "name": mask_name(c.target_staff.user.display_name)}
    if c.target_case_id:
        return _("办件 %(n)s") % {"n": c.target_case.case_no if c.target_case else ""}
    return c.department.name if c.department else ""
