"""Dashboard pages (统计分析) in the workbench, and the hall wall (大屏).

The dashboard shows a region subtree (optionally one department) over a period: key figures,
charts with their tables, drill-down links and exports (Excel: one sheet per block; CSV per
block). The wall shows the key figures of a region on a 1920×1080 display, refreshed by polling
the API; a service centre's wall is opened with its kiosk key and shows the centre's region.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.core import clock
from onewindow.core.errors import NotFound, PermissionDenied
from onewindow.hall.services import kiosk_key_valid
from onewindow.regions.models import ServiceCentre
from onewindow.stats import charts
from onewindow.stats.selectors import Scope

View = Callable[..., HttpResponseBase]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _nav(user: Any) -> list[dict[str, str]]:
    links = [
        {"label": _("工作台首页"), "url": "/workbench/"},
        {"label": _("统计分析"), "url": "/workbench/stats/"},
        {"label": _("数据大屏"), "url": "/stats/wall/"},
    ]
    if access.has_any(user, Perm.SUPERVISE):
        links += [{"label": _("电子监察"), "url": "/workbench/supervision/"},
                  {"label": _("督办单"), "url": "/workbench/supervision/notices/"}]
    return links


def _denied(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(request, "stats/denied.html", {
        "nav": _nav(request.user),
        "message": message or _("统计分析页面仅对管理办、监察室和部门负责人开放。"),
    }, status=403)


def stats_page(view: View) -> View:
    """Sign-in required; then ``stats.view`` held somewhere, else the refusal page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "accounts:login")
        if not access.has_any(request.user, Perm.STATS_VIEW):
            return _denied(request)
        return view(request, *args, **kwargs)

    return wrapper


def _scope(request: HttpRequest, errors: dict[str, str]) -> Scope:
    dep_id = charts.parse_id(request.GET.get("department"), "department", errors)
    try:
        return charts.scope_of(request.user, region_code=request.GET.get("region", ""),
                               department_id=dep_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _crumbs(user: Any, scope: Scope, period: Any) -> list[dict[str, str]]:
    """城市 › 区县 › … › 部门: a link wherever the user may look."""
    chain = [*scope.region.ancestors(), scope.region]
    crumbs = []
    for r in chain:
        current = r.pk == scope.region.pk and scope.department is None
        url = "" if current or not charts.may_view(user, r) else charts.link(r.code, None, period)
        crumbs.append({"label": r.name, "url": url})
    if scope.department is not None:
        crumbs.append({"label": scope.department.name, "url": ""})
    return crumbs


@require_GET
@stats_page
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = clock.today()
    period, errors = charts.parse_period(request.GET.get("start"), request.GET.get("end"),
                                         today=today)
    try:
        scope = _scope(request, errors)
    except PermissionDenied as exc:
        return _denied(request, exc.message)
    board = charts.build(user, scope, period, today=today)
    fmt = request.GET.get("format", "")
    if fmt == "xlsx":
        resp = HttpResponse(charts.xlsx_bytes(board), content_type=XLSX)
        resp["Content-Disposition"] = f'attachment; filename="{charts.export_name(board, ".xlsx")}"'
        return resp
    if fmt == "csv":
        block = board.block(request.GET.get("block", ""))
        if block is None:
            raise Http404(_("没有这个统计表。"))
        resp = HttpResponse(charts.csv_text(block), content_type="text/csv; charset=utf-8")
        name = charts.export_name(board, f"-{block.key}.csv")
        resp["Content-Disposition"] = f'attachment; filename="{name}"'
        return resp
    presets = [
        {"label": p.label, "url": charts.query(scope, None, start=p.start, end=p.end),
         "active": (p.start, p.end) == (period.start, period.end)}
        for p in charts.presets(today)
    ]
    blocks = {b.key: b for b in board.blocks}
    return render(request, "stats/dashboard.html", {
        "nav": _nav(user), "board": board, "scope": scope, "period": period, "errors": errors,
        "crumbs": _crumbs(user, scope, period), "presets": presets, "blocks": blocks,
        "kpis": board.kpis, "chart_data": charts.chart_data(board),
        "xlsx_url": charts.query(scope, period, format="xlsx"),
        "csv_base": charts.query(scope, period, format="csv"),
        "wall_url": "/stats/wall/" + charts.query(scope),
        "raw_start": request.GET.get("start", "") if "start" in errors else "",
        "raw_end": request.GET.get("end", "") if "end" in errors else "",
        "may_supervise": access.has_any(user, Perm.SUPERVISE),
    }, status=422 if errors else 200)


# --- the wall (大屏) -----------------------------------------------------------------------------


def _wall(request: HttpRequest, scope: Scope, json_url: str) -> HttpResponse:
    response = render(request, "stats/wall.html", {
        "payload": charts.wall_payload(scope), "scope": scope, "json_url": json_url,
    })
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
@stats_page
def wall(request: HttpRequest) -> HttpResponse:
    """The wall of a region for a signed-in member of the management office."""
    errors: dict[str, str] = {}
    try:
        scope = _scope(request, errors)
    except PermissionDenied as exc:
        return _denied(request, exc.message)
    return _wall(request, scope, "/api/v1/stats/wall" + charts.query(scope))


@require_GET
def wall_centre(request: HttpRequest, centre_id: int) -> HttpResponse:
    """The wall of a service centre's hall, opened with the centre's kiosk key."""
    centre = (ServiceCentre.objects.select_related("region")
              .filter(pk=min(centre_id, charts.MAX_ID), is_active=True).first())
    if centre is None:
        raise Http404(_("没有这个服务中心。"))
    key = request.GET.get("key", "")[:200]
    if not kiosk_key_valid(centre.pk, key):
        return render(request, "stats/wall_denied.html", {"centre": centre}, status=403)
    return _wall(request, Scope(region=centre.region),
                 f"/api/v1/stats/wall/centre/{centre.pk}?" + urlencode({"key": key}))
