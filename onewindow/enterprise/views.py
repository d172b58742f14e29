"""Workbench pages of 重点项目 · 一企一档 · 企忧档案. Thin: parse, call one service or selector,
render. A refused action is shown as a message (or beside its field) with its HTTP status;
a file, project or concern outside the reader's scope is a 404 like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Applicant, ApplicantKind, User
from onewindow.cases.selectors import urgency
from onewindow.core import clock
from onewindow.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from onewindow.core.masking import mask_name
from onewindow.enterprise import selectors, services
from onewindow.enterprise.models import (
    Concern,
    ConcernCategory,
    ConcernSource,
    ProjectStage,
    Satisfaction,
    SecretaryAssignment,
    SecretaryRole,
)
from onewindow.enterprise.workflow import ConcernState
from onewindow.regions.models import Department, Region

VISIT_ROWS = 3  # concern rows on the visit form (blank rows are ignored)


# --- frame ---------------------------------------------------------------------------------------


def _nav(user: Any) -> list[dict[str, str]]:
    links = [{"label": _("工作台首页"), "url": "/workbench/"}]
    if selectors.has_enterprise_role(user):
        links += [{"label": _("一企一档"), "url": "/workbench/enterprise/"},
                  {"label": _("企忧事项"), "url": "/workbench/enterprise/concerns/"},
                  {"label": _("重点项目"), "url": "/workbench/enterprise/projects/"}]
    if selectors.may_view_figures(user):
        links.append({"label": _("企忧统计"), "url": "/workbench/enterprise/figures/"})
    return links


def enterprise_page(*, figures: bool = False) -> Callable[..., Any]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "accounts:login")
            allowed = (selectors.may_view_figures(user) if figures
                       else selectors.has_enterprise_role(user))
            if not allowed:
                return _message(request, _("无权访问"),
                                _("您没有企业服务（一企一档、企忧事项）的权限。"), 403)
            try:
                return view(request, *args, **kwargs)
            except (NotFound, PermissionDenied) as exc:
                title = _("没有找到") if exc.status == 404 else _("无权操作")
                return _message(request, title, exc.message, exc.status)
        return wrapper
    return decorate


def _message(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return render(request, "enterprise/message.html", {
        "nav": _nav(request.user), "title": title, "message": message}, status=status)


def _int(raw: Any) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _date(raw: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def _department(raw: Any) -> Department | None:
    pk = _int(raw)
    return Department.objects.select_related("region").filter(pk=pk).first() if pk else None


def _error_ctx(exc: DomainError) -> dict[str, Any]:
    return {"error": exc.message, "errors": exc.field_errors}


def _chip(c: Concern) -> dict[str, Any]:
    if not c.is_open:
        return {"level": "none", "text": c.get_state_display()}
    u = urgency(c.deadline)
    if u.days_left is None:
        return {"level": "none", "text": "—"}
    if u.days_left < 0:
        text = _("超期 %(n)d 个工作日") % {"n": -u.days_left}
    elif u.days_left == 0:
        text = _("今日到期")
    else:
        text = _("剩 %(n)d 个工作日") % {"n": u.days_left}
    return {"level": u.level, "text": text}


# --- files (一企一档) ----------------------------------------------------------------------------


def _managed_regions(user: Any) -> list[Region]:
    q = access.scope_q(user, Perm.ENTERPRISE_MANAGE, region_field="", department_field=None)
    return list(Region.objects.filter(q).exclude(level="village").order_by("code")[:300])


@enterprise_page()
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """Search companies on file in scope; the office opens new files here."""
    user = request.user
    q = request.GET.get("q", "")[:100]
    key_only = request.GET.get("key") == "1"
    ctx: dict[str, Any] = {
        "nav": _nav(user), "q": q, "key_only": key_only,
        "rows": selectors.files_for(user, q=q, key_only=key_only, limit=100),
        "can_open": access.has_any(user, Perm.ENTERPRISE_MANAGE),
    }
    status = 200
    if ctx["can_open"]:
        ctx["regions"] = _managed_regions(user)
        ctx["company_q"] = request.GET.get("company", "")[:100]
        ctx["candidates"] = selectors.companies_to_file(user, q=ctx["company_q"])
    if request.method == "POST":
        p = request.POST
        try:
            company = Applicant.objects.filter(
                pk=_int(p.get("company")) or 0, kind=ApplicantKind.ORGANISATION).first()
            region = Region.objects.filter(pk=_int(p.get("region")) or 0).first()
            if region is None:
                raise ValidationFailed(_("请选择建档区划。"),
                                       field_errors={"region": [_("请选择建档区划。")]})
            f = services.enterprise_file_open(
                actor=user, company=company, region=region, is_key=p.get("is_key") == "1",
                green_channel=p.get("green_channel") == "1", industry=p.get("industry", ""),
                address=p.get("address", ""), contact_name=p.get("contact_name", ""),
                contact_phone=p.get("contact_phone", ""))
            messages.success(request, _("已为 %(c)s 建立企业档案。") % {"c": f.company.name})
            return redirect(f"/workbench/enterprise/files/{f.pk}/")
        except DomainError as exc:
            ctx.update(_error_ctx(exc), posted=p)
            status = exc.status
    return render(request, "enterprise/index.html", ctx, status=status)


TABS = ("overview", "cases", "certificates", "visits", "concerns", "projects")


@enterprise_page()
@require_http_methods(["GET", "POST"])
def file_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    status = 200
    err: dict[str, Any] = {}
    tab = request.GET.get("tab", "overview")
    if request.method == "POST":
        action, p = request.POST.get("action", ""), request.POST
        f = selectors.file_get(user, pk)
        try:
            if action == "designate":
                services.enterprise_file_designate(
                    actor=user, file=f, is_key=p.get("is_key") == "1",
                    green_channel=p.get("green_channel") == "1",
                    is_active=p.get("is_active", "1") == "1")
                messages.success(request, _("认定信息已保存。"))
            elif action == "liaisons":
                deps = [d for d in (_department(x) for x in p.getlist("departments")) if d]
                services.enterprise_file_set_liaisons(actor=user, file=f, departments=deps)
                messages.success(request, _("包联部门已保存。"))
            elif action == "secretary":
                who = User.objects.filter(username=p.get("username", "").strip()[:150],
                                          is_active=True).first()
                if who is None:
                    raise ValidationFailed(_("没有找到这个工作人员账户。"), field_errors={
                        "username": [_("请输入工作人员的登录账号。")]})
                services.secretary_assign(actor=user, user=who, file=f,
                                          role=p.get("role", SecretaryRole.PROJECT_SECRETARY),
                                          starts_on=_date(p.get("starts_on")),
                                          ends_on=_date(p.get("ends_on")))
                messages.success(request, _("已指派 %(u)s。") % {"u": who})
            elif action == "end_secretary":
                a = SecretaryAssignment.objects.filter(pk=_int(p.get("assignment")) or 0).filter(
                    file_id=f.pk).first()
                if a is None:
                    raise NotFound(_("没有找到这项指派。"))
                services.secretary_end(actor=user, assignment=a, reason=p.get("reason", ""))
                messages.success(request, _("已解除。"))
            elif action == "concern":
                c = services.concern_raise(
                    actor=user, file=f, description=p.get("description", ""),
                    category=p.get("category", ""), source=p.get("source", ""),
                    department=_department(p.get("department")),
                    assign_to=_department(p.get("assign_to")), days=p.get("days") or None)
                messages.success(request, _("已登记企忧事项 %(n)s。") % {"n": c.number})
                return redirect(f"/workbench/enterprise/concerns/{c.number}/")
            else:
                raise NotFound(_("未知操作。"))
            return redirect(f"{request.path}?tab={p.get('tab', 'overview')}")
        except DomainError as exc:
            err = {**_error_ctx(exc), "posted": p, "action": action}
            status = exc.status
            tab = p.get("tab", tab)
    view = selectors.file_view(user, pk)
    departments: list[Department] = []
    if view.can_manage or view.can_record:
        departments = selectors.departments_for_assignment(user, view.file.region)
    ctx = {
        "nav": _nav(user), "v": view, "f": view.file, "tab": tab if tab in TABS else "overview",
        "concern_rows": [(c, _chip(c)) for c in view.concerns],
        "liaison_ids": [d.pk for d in view.liaisons], "departments": departments,
        # the liaison form: current liaisons first, then the file's own region, then the rest
        "liaison_choices": sorted(departments, key=lambda d: (
            d.pk not in {x.pk for x in view.liaisons}, d.region_id != view.file.region_id)),
        "my_departments": [d for d in departments if d.pk in view.my_departments],
        "categories": ConcernCategory.choices, "roles": SecretaryRole.choices,
        "sources": [c for c in ConcernSource.choices if c[0] != ConcernSource.VISIT],
        "legal_rep": mask_name(view.file.company.legal_representative),
        **err,
    }
    return render(request, "enterprise/file.html", ctx, status=status)


@enterprise_page()
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    """走访登记 with up to three concerns raised in the visit."""
    user = request.user
    view = selectors.file_view(user, pk)
    if not view.can_record:
        raise PermissionDenied(_("只有包联部门、项目秘书或营商环境管理人员可以登记走访。"))
    departments = selectors.departments_for_assignment(user, view.file.region)
    p = request.POST if request.method == "POST" else {}
    rows: list[dict[str, Any]] = [{
        "i": i, "description": p.get(f"c{i}_description", ""),
        "category": p.get(f"c{i}_category", ""), "assign_to": p.get(f"c{i}_assign_to", ""),
        "days": p.get(f"c{i}_days", ""), "errors": [],
    } for i in range(VISIT_ROWS)]
    ctx: dict[str, Any] = {
        "nav": _nav(user), "f": view.file, "v": view, "rows": rows,
        "categories": ConcernCategory.choices, "departments": departments,
        "my_departments": [d for d in departments if d.pk in view.my_departments],
        "today": clock.today(), "posted": p,
        "visited_on": p.get("visited_on", "") if p else clock.today().isoformat(),
    }
    status = 200
    if request.method == "POST":
        items, used = [], []
        for row in rows:
            if not str(row["description"]).strip():
                continue
            used.append(row)
            items.append(services.ConcernInput(
                description=row["description"], category=row["category"],
                assign_to=_department(row["assign_to"]), days=row["days"] or None))
        try:
            visit = services.visit_record(
                actor=user, file=view.file, visited_on=_date(p.get("visited_on")),
                summary=p.get("summary", ""), attendees=p.get("attendees", ""),
                department=_department(p.get("department")), concerns=items)
            n = visit.concerns.count()
            messages.success(request, _("走访已登记，企业反映的问题 %(n)d 项。") % {"n": n})
            return redirect(f"/workbench/enterprise/files/{view.file.pk}/?tab=visits")
        except DomainError as exc:
            ctx.update(_error_ctx(exc))
            # errors of concern rows are keyed "concerns.<n>.<field>" (n counts filled rows)
            for key, errs in exc.field_errors.items():
                parts = key.split(".")
                if parts[0] == "concerns" and len(parts) == 3 and parts[1].isdigit() \
                        and int(parts[1]) < len(used):
                    used[int(parts[1])]["errors"].extend(errs)
            status = exc.status
    return render(request, "enterprise/visit_new.html", ctx, status=status)


# --- key projects --------------------------------------------------------------------------------


@enterprise_page()
@require_http_methods(["GET", "POST"])
def projects(request: HttpRequest) -> HttpResponse:
    user = request.user
    q = request.GET.get("q", "")[:100]
    stage = request.GET.get("stage", "")
    if stage not in ProjectStage.values:
        stage = ""
    can_manage = access.has_any(user, Perm.ENTERPRISE_MANAGE)
    ctx: dict[str, Any] = {"nav": _nav(user), "q": q, "stage": stage,
                           "stages": ProjectStage.choices, "can_manage": can_manage}
    status = 200
    if request.method == "POST":
        p = request.POST
        try:
            action = p.get("action", "designate")
            if action == "designate":
                region = Region.objects.filter(pk=_int(p.get("region")) or 0).first()
                if region is None:
                    raise ValidationFailed(_("请选择所属区划。"),
                                           field_errors={"region": [_("请选择所属区划。")]})
                code = p.get("company_credit_code", "").strip().upper()[:18]
                company = Applicant.objects.filter(
                    credit_code=code, kind=ApplicantKind.ORGANISATION).first() if code else None
                if code and company is None:
                    raise ValidationFailed(_("没有找到这个统一社会信用代码的企业。"), field_errors={
                        "company_credit_code": [_("没有找到这个统一社会信用代码的企业。")]})
                project = services.key_project_designate(
                    actor=user, region=region, code=p.get("code", ""), name=p.get("name", ""),
                    lead_department=_department(p.get("lead_department")), company=company,
                    investment=p.get("investment", ""), stage=p.get("stage", ""),
                    green_channel=p.get("green_channel") == "1", note=p.get("note", ""))
                messages.success(request, _("已认定重点项目 %(c)s。") % {"c": project.code})
            else:
                project = selectors.project_get(user, _int(p.get("project")) or 0)
                if action == "update":
                    services.key_project_update(
                        actor=user, project=project, stage=p.get("stage") or None,
                        green_channel=p.get("green_channel") == "1",
                        is_active=p.get("is_active", "1") == "1")
                    messages.success(request, _("已更新。"))
                elif action == "secretary":
                    who = User.objects.filter(username=p.get("username", "").strip()[:150],
                                              is_active=True).first()
                    if who is None:
                        raise ValidationFailed(_("没有找到这个工作人员账户。"), field_errors={
                            "username": [_("请输入工作人员的登录账号。")]})
                    services.secretary_assign(actor=user, user=who, project=project,
                                              starts_on=_date(p.get("starts_on")),
                                              ends_on=_date(p.get("ends_on")))
                    messages.success(request, _("已指派 %(u)s 为项目秘书。") % {"u": who})
                else:
                    raise NotFound(_("未知操作。"))
            return redirect(request.get_full_path())
        except DomainError as exc:
            ctx.update(_error_ctx(exc), posted=p, failed_project=p.get("project", ""))
            status = exc.status
    ctx["rows"] = selectors.projects_for(user, q=q, stage=stage)
    if can_manage:
        regions = _managed_regions(user)
        ctx["regions"] = regions
        ctx["departments"] = list(Department.objects.filter(
            access.department_scope_q(user, Perm.ENTERPRISE_MANAGE), is_active=True)
            .select_related("region").order_by("region__code", "sort_order")[:500])
    return render(request, "enterprise/projects.html", ctx, status=status)


# --- concerns (企忧事项) -------------------------------------------------------------------------


def _cursor(raw: str) -> tuple[dt.date, int] | None:
    day, _sep, pk = raw.partition("_")
    parsed, key = _date(day), _int(pk)
    return (parsed, key) if parsed and key else None


@enterprise_page()
def concerns(request: HttpRequest) -> HttpResponse:
    user = request.user
    state = request.GET.get("state", "open")
    if state not in ("open", "closed", "", *ConcernState.values):
        state = "open"
    department = _int(request.GET.get("department"))
    mine = request.GET.get("mine") == "1"
    overdue = request.GET.get("overdue") == "1"
    q = request.GET.get("q", "")[:100]
    rows, nxt = selectors.concerns_for(user, state=state, department_id=department,
                                       overdue=overdue, q=q, mine=mine,
                                       after=_cursor(request.GET.get("after", "")[:40]))
    more = ""
    if nxt:
        params = request.GET.copy()
        params["after"] = f"{nxt[0].isoformat()}_{nxt[1]}"
        more = "?" + params.urlencode()
    my_deps = selectors.department_ids(user)
    return render(request, "enterprise/concerns.html", {
        "nav": _nav(user), "rows": [(c, _chip(c)) for c in rows], "state": state,
        "states": ConcernState.choices, "mine": mine, "overdue": overdue, "q": q,
        "department": department, "more": more, "has_departments": bool(my_deps),
        "departments": Department.objects.filter(pk__in=my_deps).order_by("sort_order")
        if my_deps else [],
    })


@enterprise_page()
@require_http_methods(["GET", "POST"])
def concern_detail(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    c = selectors.concern_get(user, number)
    ctx: dict[str, Any] = {"nav": _nav(user)}
    status = 200
    if request.method == "POST":
        action, p = request.POST.get("action", ""), request.POST
        try:
            if action == "assign":
                services.concern_assign(actor=user, concern=c,
                                        department=_department(p.get("department")),
                                        days=p.get("days") or None, note=p.get("note", ""))
                messages.success(request, _("已交办。"))
            elif action == "follow":
                services.concern_follow(actor=user, concern=c, note=p.get("note", ""))
                messages.success(request, _("已添加记录。"))
            elif action == "resolve":
                services.concern_resolve(actor=user, concern=c,
                                         resolution=p.get("resolution", ""))
                messages.success(request, _("已办结（已解决）。"))
            elif action == "explain":
                services.concern_explain(actor=user, concern=c, reason=p.get("reason", ""))
                messages.success(request, _("已办结（解释说明）。"))
            elif action == "rate":
                services.concern_rate(actor=user, concern=c,
                                      satisfaction=p.get("satisfaction", ""),
                                      note=p.get("note", ""))
                messages.success(request, _("已登记企业满意度。"))
            else:
                raise NotFound(_("未知操作。"))
            return redirect(request.path)
        except DomainError as exc:
            ctx.update(_error_ctx(exc), posted=p, action=action)
            status = exc.status
            c = selectors.concern_get(user, number)
    mine = selectors.department_ids(user)
    manager = selectors.may_manage(user, c.file.region)
    recorder = c.raised_by_department_id in mine
    ctx.update({
        "c": c, "chip": _chip(c), "events": list(c.events.all()),
        "can_assign": c.is_open and (manager or (recorder and c.state == ConcernState.RAISED)),
        "can_handle": c.is_open and c.state != ConcernState.RAISED
        and selectors.may_handle(user, c),
        "can_follow": c.is_open,
        "can_rate": not c.is_open and not c.satisfaction,
        "departments": selectors.departments_for_assignment(user, c.file.region),
        "satisfactions": Satisfaction.choices, "default_days": services.concern_days(),
    })
    return render(request, "enterprise/concern.html", ctx, status=status)


# --- figures -------------------------------------------------------------------------------------


BY_LABELS = {"department": gettext_lazy("责任部门"), "region": gettext_lazy("区划"),
             "category": gettext_lazy("问题类别"), "month": gettext_lazy("月份")}


@enterprise_page(figures=True)
def figures(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = clock.today()
    errors: dict[str, str] = {}
    start = _date(request.GET.get("start")) if request.GET.get("start") else today.replace(
        month=1, day=1)
    end = _date(request.GET.get("end")) if request.GET.get("end") else today
    if start is None:
        errors["start"], start = _("日期格式应为 年-月-日，如 2026-01-01。"), today.replace(
            month=1, day=1)
    if end is None:
        errors["end"], end = _("日期格式应为 年-月-日，如 2026-12-31。"), today
    if end < start:
        errors["end"] = _("结束日期不能早于开始日期。")
        start, end = end, start
    by = request.GET.get("by", "department")
    if by not in BY_LABELS:
        by = "department"
    rows = selectors.concern_figures(user=user, period=selectors.Period(start, end), group_by=by)
    total = selectors.figure_totals(rows)
    if request.GET.get("format") == "xlsx" and not errors:
        return _xlsx(rows, total, start, end, by)
    return render(request, "enterprise/figures.html", {
        "nav": _nav(user), "rows": rows, "total": total, "start": start, "end": end, "by": by,
        "by_labels": BY_LABELS, "by_label": BY_LABELS[by], "errors": errors,
        "max_raised": max([r.raised for r in rows] or [1]),
    }, status=422 if errors else 200)


def _xlsx(rows: list[selectors.ConcernFigures], total: selectors.ConcernFigures,
          start: dt.date, end: dt.date, by: str) -> HttpResponse:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "企忧事项统计"
    ws.append([f"统计期间 {start} 至 {end}（按登记时间）"])
    ws.append([str(BY_LABELS[by]), "受理", "办结", "其中已解决", "其中解释说明", "跟踪中",
               "超期未办结", "按期办结", "办结率（%）"])
    for r in [*rows, total]:
        ws.append([r.label, r.raised, r.solved, r.resolved, r.explained, r.tracking, r.overdue,
                   r.on_time, float(r.closure_rate) if r.closure_rate is not None else None])
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f'attachment; filename="enterprise-concerns-{start}-{end}.xlsx"'
    return resp
