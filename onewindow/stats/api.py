"""Statistics API (统计分析接口): the dashboard's blocks and the hall wall's figures.

Staff with ``stats.view`` read their region subtree or their department: anonymous 401, out of
scope 403, an unknown region or department 404, bad dates 422. A service centre's wall is read
with the centre's kiosk key instead of a sign-in (no personal data on it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.tokens import staff_auth
from onewindow.core.errors import NotFound, PermissionDenied
from onewindow.hall.services import kiosk_key_valid
from onewindow.regions.models import ServiceCentre
from onewindow.stats import charts
from onewindow.stats.selectors import Scope

router = Router(tags=["统计分析"], auth=staff_auth)


class ScopeParams(Schema):
    region: str = Field("", max_length=12,
                        description="区划代码（12 位），默认为本人可见的最大范围")
    department: int | None = Field(None, ge=1, le=charts.MAX_ID, description="部门 id")


class DashboardParams(ScopeParams):
    start: dt.date | None = Field(None, description="统计期间开始日期，默认本年 1 月 1 日")
    end: dt.date | None = Field(None, description="统计期间结束日期（含），默认今天")


class FiguresOut(Schema):
    key: str | int | None
    label: str
    received: int
    accepted: int
    refused: int
    decided: int
    on_time: int
    on_spot: int
    overdue: int
    in_progress: int
    on_time_rate: float | None
    on_spot_rate: float | None
    days_saved: int
    speedup_rate: float | None
    rated: int
    satisfied: int
    satisfaction_rate: float | None


class ScopeOut(Schema):
    label: str
    region: str
    region_name: str
    department: int | None
    department_name: str


class PeriodOut(Schema):
    start: dt.date
    end: dt.date


class LiveOut(Schema):
    waiting: int
    in_progress: int
    suspended: int
    awaiting_delivery: int
    overdue: int


class ComplaintsOut(Schema):
    received: int
    answered: int
    answered_on_time: int
    open_overdue: int
    substantiated: int


class OverdueCaseOut(Schema):
    case_no: str
    item: str
    promised_due: dt.date
    days_over: int


class DashboardOut(Schema):
    scope: ScopeOut
    period: PeriodOut
    today: dt.date
    totals: FiguresOut
    live: LiveOut
    ratings: dict[str, int] = Field(..., description="评价等级 1–5 → 条数")
    alerts: dict[str, int] = Field(..., description="预警类型 → 条数")
    complaints: ComplaintsOut
    children: list[FiguresOut]
    departments: list[FiguresOut]
    top_overdue: list[FiguresOut]
    trend: list[FiguresOut]
    overdue_cases: list[OverdueCaseOut]


class WallDayOut(Schema):
    received: int
    accepted: int
    decided: int


class WallLiveOut(Schema):
    in_progress: int
    overdue: int


class WallMonthOut(Schema):
    received: int
    decided: int
    on_time_rate: float | None
    satisfaction_rate: float | None
    rated: int


class WallYearOut(Schema):
    decided: int
    days_saved: int
    speedup_rate: float | None
    on_time_rate: float | None


class WallTrendOut(Schema):
    label: str
    received: int
    decided: int
    on_time_rate: float | None


class WallRankOut(Schema):
    label: str
    decided: int
    on_time_rate: float | None


class WallRegionOut(Schema):
    label: str
    in_progress: int
    overdue: int
    decided: int


class WallOut(Schema):
    scope: str
    region: str
    updated_at: str
    today: dt.date
    month_label: str
    day: WallDayOut
    live: WallLiveOut
    month: WallMonthOut
    year: WallYearOut
    trend: list[WallTrendOut]
    ranking: list[WallRankOut]
    regions: list[WallRegionOut]


def _scope(request: HttpRequest, params: ScopeParams) -> Scope:
    if not access.has_any(request.user, Perm.STATS_VIEW):
        raise PermissionDenied(_("您没有查看统计数据的权限。"))
    return charts.scope_of(request.user, region_code=params.region,
                           department_id=params.department)


@router.get("/dashboard", response=DashboardOut,
            summary="统计分析：区划（或部门）在统计期间的主要指标、趋势、下级区划与部门、评价、预警、投诉")
def dashboard(request: HttpRequest, params: Query[DashboardParams]) -> dict[str, Any]:
    period = charts.check_period(params.start, params.end)
    scope = _scope(request, params)
    return charts.board_dict(charts.build(request.user, scope, period))


@router.get("/wall", response=WallOut, summary="数据大屏：今日、本月与本年的主要指标（登录用户）")
def wall(request: HttpRequest, params: Query[ScopeParams]) -> dict[str, Any]:
    return charts.wall_payload(_scope(request, params))


@router.get("/wall/centre/{centre_id}", response=WallOut, auth=None,
            summary="服务中心大厅的数据大屏（凭取号机密钥，不含个人信息）")
def wall_centre(request: HttpRequest,
                centre_id: int = Path(..., ge=1, le=charts.MAX_ID),
                key: str = Query("", max_length=200)) -> dict[str, Any]:
    centre = (ServiceCentre.objects.select_related("region")
              .filter(pk=centre_id, is_active=True).first())
    if centre is None:
        raise NotFound(_("没有这个服务中心。"), code="centre_not_found")
    if not kiosk_key_valid(centre.pk, key):
        raise PermissionDenied(_("大屏密钥不正确。"), code="bad_key")
    return charts.wall_payload(Scope(region=centre.region))
