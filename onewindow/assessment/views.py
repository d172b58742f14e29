"""Pages of window assessment (窗口考核).

Workbench (``/workbench/assessment/``): the runs the reader may see and, for the management
office (``assessment.manage``), the form to compute a month; a run's ranking by window,
department and member of staff with grades and red-flag windows, recompute / publish /
withdraw, and Excel and PDF exports of what the reader may see. Public (``/assessment/``): the
published window and department rankings only. Thin: parse, call one service or selector,
render; a refused action is a message with its status, never a 500.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.assessment import exports, selectors, services
from onewindow.assessment.models import PUBLIC_KINDS, AssessmentRun, SubjectKind
from onewindow.core import clock
from onewindow.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from onewindow.core.web import flash_error

View = Callable[..., HttpResponseBase]
MAX_PK = 2**62
MONTH_RE = re.compile(r"^\d{4}-\d{2}$")


def _nav(user: Any) -> list[dict[str, str]]:
    links = [
        {"label": _("工作台首页"), "url": "/workbench/"},
        {"label": _("窗口考核"), "url": "/workbench/assessment/"},
    ]
    if access.has_any(user, Perm.ASSESSMENT_MANAGE):
        links.append({"label": _("考核方案"), "url": "/admin/assessment/scoringscheme/"})
    links.append({"label": _("公开排名"), "url": "/assessment/"})
    return links


def assessment_page(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "accounts:login")
        if not selectors.can_view(user):
            return render(request, "assessment/message.html", {
                "nav": _nav(user), "code": 403, "title": _("无权访问"),
                "message": _("窗口考核页面仅对政管办、监察室和部门负责人开放。"),
            }, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _not_found(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "assessment/message.html", {
        "nav": _nav(request.user), "code": exc.status, "title": _("没有找到"),
        "message": exc.message}, status=exc.status)


def _last_month() -> dt.date:
    return (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@require_http_methods(["GET", "POST"])
@assessment_page
def runs(request: HttpRequest) -> HttpResponse:
    user = request.user
    regions = selectors.manageable_regions(user)
    form = {"region": str(regions[0].pk) if regions else "",
            "month": f"{_last_month():%Y-%m}"}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form = {"region": request.POST.get("region", "")[:20],
                "month": request.POST.get("month", "")[:10]}
        try:
            if not access.has_any(user, Perm.ASSESSMENT_MANAGE):
                raise PermissionDenied(_("只有政管办可以计算考核结果。"))
            region = next((r for r in regions if str(r.pk) == form["region"]), None)
            if region is None:
                raise ValidationFailed(_("请选择要考核的区划。"), code="bad_region",
                                       field_errors={"region": [_("请选择要考核的区划。")]})
            run = services.assessment_compute(actor=user, region=region, month=form["month"])
            messages.success(request, _("%(r)s %(m)s 考核结果已计算（草稿）。")
                             % {"r": region.name, "m": run.month_label})
            return redirect("assessment:run", pk=run.pk)
        except DomainError as exc:
            flash_error(request, exc)
            errors = exc.field_errors
            status = exc.status
    return render(request, "assessment/runs.html", {
        "nav": _nav(user), "runs": selectors.runs_for(user), "regions": regions,
        "form": form, "errors": errors,
    }, status=status)


def _kind(raw: str | None) -> str:
    return raw if raw in SubjectKind.values else SubjectKind.WINDOW.value


def _run(request: HttpRequest, pk: int) -> AssessmentRun:
    if pk > MAX_PK:
        raise NotFound(_("没有找到这个考核批次。"), code="run_not_found")
    return selectors.run_get(request.user, pk)


@require_http_methods(["GET", "POST"])
@assessment_page
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        run = _run(request, pk)
    except NotFound as exc:
        return _not_found(request, exc)
    kind = _kind(request.GET.get("kind"))
    status = 200
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "recompute":
                run = services.assessment_compute(actor=user, region=run.region, month=run.month)
                messages.success(request, _("已按最新数据重新计算。"))
            elif action == "publish":
                run = services.assessment_publish(actor=user, run=run)
                messages.success(request, _("考核结果已发布，窗口和部门排名已在公开页面显示。"))
            elif action == "unpublish":
                run = services.assessment_unpublish(
                    actor=user, run=run, reason=request.POST.get("reason", "")[:1000])
                messages.success(request, _("已撤回发布，考核结果恢复为草稿。"))
            else:
                raise ValidationFailed(_("未知的操作。"), code="bad_action")
            return redirect(f"{request.path}?kind={kind}")
        except DomainError as exc:
            flash_error(request, exc)
            errors = exc.field_errors
            status = exc.status
            run = _run(request, pk)
    counts = selectors.visible_counts(user, run)
    tabs = [{"kind": k.value, "label": k.label, "count": counts[k.value],
             "current": k.value == kind} for k in SubjectKind]
    return render(request, "assessment/run.html", {
        "nav": _nav(user), "run": run, "kind": kind, "kind_label": SubjectKind(kind).label,
        "rows": selectors.rows_for(user, run, kind), "tabs": tabs,
        "can_manage": selectors.can_manage(user, run), "errors": errors,
        "scheme": exports.scheme_lines(run.scheme), "public": kind in PUBLIC_KINDS,
    }, status=status)


@require_GET
@assessment_page
def export_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run = _run(request, pk)
    except NotFound as exc:
        return _not_found(request, exc)
    rows = {k.value: selectors.rows_for(request.user, run, k.value) for k in SubjectKind}
    resp = HttpResponse(exports.xlsx(run, rows), content_type=exports.XLSX_TYPE)
    resp["Content-Disposition"] = f'attachment; filename="{exports.filename(run)}.xlsx"'
    return resp


@require_GET
@assessment_page
def export_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run = _run(request, pk)
    except NotFound as exc:
        return _not_found(request, exc)
    rows = {k.value: selectors.rows_for(request.user, run, k.value) for k in SubjectKind}
    resp = HttpResponse(exports.pdf(run, rows), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{exports.filename(run)}.pdf"'
    return resp


# --- public --------------------------------------------------------------------------------------


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    return render(request, "assessment/public_list.html",
                  {"runs": selectors.published_runs()})


@require_GET
def public_run(request: HttpRequest, region_code: str, month: str) -> HttpResponse:
    if not (region_code.isdigit() and len(region_code) == 12 and MONTH_RE.match(month)):
        raise Http404(_("没有找到已发布的考核结果。"))
    try:
        first = services.parse_month(month)
        run = selectors.published_run(region_code=region_code, month=first)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    windows = selectors.public_rows(run, SubjectKind.WINDOW)
    return render(request, "assessment/public_run.html", {
        "run": run, "windows": windows,
        "departments": selectors.public_rows(run, SubjectKind.DEPARTMENT),
        "red_flags": [r for r in windows if r.red_flag],
    })
