"""Window assessment API (窗口考核接口): runs, their rows, compute, publish and withdraw.

Readers (``assessment.manage``, ``supervise``, ``stats.view``) see the runs of their region
subtree and above it, with the rows of their subtree — a department's head only the rows of
their department, its windows and its staff. Computing, publishing and withdrawing need
``assessment.manage`` over the run's region. Others get 403; a run outside the reader's scope is
a 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from onewindow.accounts.tokens import staff_auth
from onewindow.assessment import selectors, services
from onewindow.assessment.models import AssessmentRow, AssessmentRun
from onewindow.core.errors import NotFound, PermissionDenied, ValidationFailed
from onewindow.regions.selectors import region_by_code

router = Router(tags=["窗口考核"], auth=staff_auth)
MAX_PK = 2**62


def _require(request: HttpRequest) -> None:
    if not selectors.can_view(request.user):
        raise PermissionDenied(_("您没有查看窗口考核结果的权限。"))


class RunOut(Schema):
    id: int
    region_code: str
    region_name: str
    month: str
    state: str
    state_label: str
    computed_at: dt.datetime
    published_at: dt.datetime | None
    withdraw_reason: str
    scheme_source: str
    scheme: dict[str, object]
    rows: dict[str, int] = Field(description="各类考核对象中本人可见的行数")


class RowOut(Schema):
    kind: str
    window_id: int | None
    department_id: int | None
    staff_id: int | None
    label: str
    unit: str
    rank: int | None
    score: Decimal | None
    grade: str
    grade_label: str
    grade_note: str
    red_flag: bool
    accepted: int
    completed: int
    on_time: int
    on_time_rate: Decimal | None
    on_spot: int
    on_spot_rate: Decimal | None
    avg_used_days: Decimal | None
    avg_legal_days: Decimal | None
    speedup_rate: Decimal | None
    tickets_served: int
    rated: int
    satisfied: int
    satisfaction_rate: Decimal | None
    bad_reviews: int
    complaints: int
    complaints_upheld: int
    alerts: int
    red_cards: int
    deduction: Decimal


class RowParams(Schema):
    kind: str = Field("window", pattern="^(window|department|staff)$")


class ComputeIn(Schema):
    region_code: str = Field(..., max_length=12)
    month: str = Field(..., max_length=7, description="YYYY-MM")


class WithdrawIn(Schema):
    reason: str = Field(..., max_length=300)


def run_out(request: HttpRequest, run: AssessmentRun) -> RunOut:
    return RunOut(
        id=run.pk, region_code=run.region.code, region_name=run.region.name,
        month=run.month_label, state=run.state, state_label=run.get_state_display(),
        computed_at=run.computed_at, published_at=run.published_at,
        withdraw_reason=run.withdraw_reason, scheme_source=run.scheme_source,
        scheme=run.scheme, rows=selectors.visible_counts(request.user, run),
    )


def row_out(r: AssessmentRow) -> RowOut:
    return RowOut(
        kind=r.kind, window_id=r.window_id, department_id=r.department_id,
        staff_id=r.staff_id, label=r.label, unit=r.unit, rank=r.rank, score=r.score,
        grade=r.grade, grade_label=r.get_grade_display(), grade_note=r.grade_note,
        red_flag=r.red_flag, accepted=r.accepted, completed=r.completed, on_time=r.on_time,
        on_time_rate=r.on_time_rate, on_spot=r.on_spot, on_spot_rate=r.on_spot_rate,
        avg_used_days=r.avg_used_days, avg_legal_days=r.avg_legal_days,
        speedup_rate=r.speedup_rate, tickets_served=r.tickets_served, rated=r.rated,
        satisfied=r.satisfied, satisfaction_rate=r.satisfaction_rate,
        bad_reviews=r.bad_reviews, complaints=r.complaints,
        complaints_upheld=r.complaints_upheld, alerts=r.alerts, red_cards=r.red_cards,
        deduction=r.deduction,
    )


def _run(request: HttpRequest, run_id: int) -> AssessmentRun:
    _require(request)
    if run_id > MAX_PK or run_id < 1:
        raise NotFound(_("没有找到这个考核批次。"), code="run_not_found")
    return selectors.run_get(request.user, run_id)


@router.get("/runs", response=list[RunOut], summary="考核批次（本人可见范围，最新在前）")
def runs(request: HttpRequest) -> list[RunOut]:
    _require(request)
    return [run_out(request, r) for r in selectors.runs_for(request.user)]


@router.get("/runs/{run_id}", response=RunOut, summary="一个考核批次")
def run(request: HttpRequest, run_id: int) -> RunOut:
    return run_out(request, _run(request, run_id))


@router.get("/runs/{run_id}/rows", response=list[RowOut],
            summary="考核结果（窗口、部门或工作人员），按排名")
def rows(request: HttpRequest, run_id: int, params: Query[RowParams]) -> list[RowOut]:
    found = _run(request, run_id)
    return [row_out(r) for r in selectors.rows_for(request.user, found, params.kind)]


@router.post("/runs", response=RunOut, summary="计算（重算）某区划某月的考核结果（草稿）")
def compute(request: HttpRequest, body: ComputeIn) -> RunOut:
    _require(request)
    region = region_by_code(body.region_code.strip())
    if region is None:
        raise ValidationFailed(_("没有这个区划。"), code="bad_region",
                               field_errors={"region_code": [_("没有这个区划。")]})
    found = services.assessment_compute(actor=request.user, region=region, month=body.month)
    return run_out(request, selectors.run_get(request.user, found.pk))


@router.post("/runs/{run_id}/publish", response=RunOut,
             summary="发布考核结果（窗口和部门排名公开）")
def publish(request: HttpRequest, run_id: int) -> RunOut:
    found = services.assessment_publish(actor=request.user, run=_run(request, run_id))
    return run_out(request, selectors.run_get(request.user, found.pk))


@router.post("/runs/{run_id}/unpublish", response=RunOut, summary="撤回发布（须说明理由）")
def unpublish(request: HttpRequest, run_id: int, body: WithdrawIn) -> RunOut:
    found = services.assessment_unpublish(actor=request.user, run=_run(request, run_id),
                                          reason=body.reason)
    return run_out(request, selectors.run_get(request.user, found.pk))

