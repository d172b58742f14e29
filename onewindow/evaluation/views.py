"""Pages of 好差评 and 投诉. Thin: parse, call one service or selector, render.

A :class:`~onewindow.core.errors.DomainError` is shown as a message (or beside its field) with
its HTTP status — never a 500. Public pages (rate by ticket or invitation token, reviews,
complaint form and follow page) need no sign-in; the rate page of a case needs its applicant;
the workbench pages check scope through the selectors (a miss is a 404).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import User
from onewindow.core import clock
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.evaluation import selectors, services
from onewindow.evaluation.models import (
    AppealState,
    ComplaintChannel,
    EvalChannel,
    FollowUpOutcome,
    InvitationPurpose,
    Level,
    TargetKind,
)
from onewindow.evaluation.throttle import throttle_complaint, throttle_rating
from onewindow.evaluation.workflow import ComplaintState, FollowUpState
from onewindow.regions.models import Department, Window


def _levels() -> list[dict[str, Any]]:
    return [{"value": v, "label": label} for v, label in Level.choices]


def _error_ctx(exc: DomainError) -> dict[str, Any]:
    return {"error": exc.message, "errors": exc.field_errors}


def _ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


# --- rating (phone-first) ------------------------------------------------------------------------


# The colour of the follow-up's state on the applicant's page (the portal's pill classes).
_FOLLOW_UP_PILL = {FollowUpState.OPEN: "submitted", FollowUpState.CALLED: "in_review",
                   FollowUpState.ANSWERED: "suspended", FollowUpState.CLOSED: "completed"}


def _rate_page(request: HttpRequest, service: services.Service, *, channel: str,
               purpose: str = InvitationPurpose.FIRST, back: str = "") -> HttpResponse:
    evaluation = selectors.evaluation_of(service.kind, service.ref)
    fu = getattr(evaluation, "follow_up", None) if evaluation else None
    second = bool(fu and fu.state == FollowUpState.ANSWERED and evaluation
                  and evaluation.second_level is None)
    ctx: dict[str, Any] = {"service": service, "evaluation": evaluation, "follow_up": fu,
                           "second": second, "levels": _levels(), "back": back,
                           "today": clock.today(),
                           "fu_pill": _FOLLOW_UP_PILL.get(fu.state, "") if fu else ""}
    status = 200
    if request.method == "POST":
        try:
            throttle_rating(_ip(request))
            evaluation = services.rate_or_rerate(
                service=service, level=request.POST.get("level"), channel=channel,
                comment=request.POST.get("comment", ""),
                rater=request.user if request.user.is_authenticated else None,
                purpose=InvitationPurpose.SECOND if second else purpose)
            return redirect(request.path + "?done=1")
        except DomainError as exc:
            ctx.update(_error_ctx(exc), posted=request.POST)
            status = exc.status
    ctx["done"] = request.GET.get("done") == "1" and evaluation is not None
    return render(request, "evaluation/rate.html", ctx, status=status)


def _not_found(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "evaluation/message.html",
                  {"title": _("无法评价"), "message": exc.message}, status=exc.status)


@require_http_methods(["GET", "POST"])
def rate_case(request: HttpRequest, case_no: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "accounts:applicant_login")
    try:
        service = services.rateable_case(actor=request.user, case_no=case_no)
    except DomainError as exc:
        return _not_found(request, exc)
    mobile = ("Mobi" in request.headers.get("User-Agent", "")
              or request.POST.get("device") == "mobile")
    return _rate_page(request, service, channel=EvalChannel.MOBILE if mobile else EvalChannel.PC,
                      back=f"/my/cases/{service.ref}/")


@require_http_methods(["GET", "POST"])
def rate_ticket(request: HttpRequest, token: str) -> HttpResponse:
    try:
        service = services.rateable_ticket(token=token)
    except DomainError as exc:
        return _not_found(request, exc)
    return _rate_page(request, service, channel=EvalChannel.QR, back=f"/hall/t/{token}/")


@require_http_methods(["GET", "POST"])
def rate_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        service, inv = services.rateable_invitation(token=token)
    except DomainError as exc:
        return _not_found(request, exc)
    return _rate_page(request, service, channel=EvalChannel.MOBILE, purpose=inv.purpose)


# --- public reviews and complaints ---------------------------------------------------------------


def reviews(request: HttpRequest) -> HttpResponse:
    dept = request.GET.get("department", "")
    before = request.GET.get("before", "")
    items, nxt = selectors.published_reviews(
        department_id=int(dept) if dept.isdigit() and len(dept) < 10 else None,
        bad_only=request.GET.get("bad") == "1",
        before_id=int(before) if before.isdigit() and len(before) < 12 else None)
    departments = Department.objects.filter(is_active=True).order_by("region__code", "sort_order")
    return render(request, "evaluation/reviews.html", {
        "items": items, "next_before": nxt, "departments": departments[:300],
        "department": dept, "bad": request.GET.get("bad") == "1",
        "figures": selectors.evaluation_figures()[0],
    })


def _complaint_form_ctx() -> dict[str, Any]:
    return {
        "targets": TargetKind.choices,
        "windows": Window.objects.filter(is_active=True).select_related("centre")
        .order_by("centre__name", "number")[:300],
        "departments": Department.objects.filter(is_active=True)
        .order_by("region__code", "sort_order")[:300],
    }


def _uploads(request: HttpRequest) -> list[services.Upload]:
    from onewindow.cases import files as case_files

    return [services.Upload(name=f.name or "", data=f.read(case_files.max_bytes() + 1))
            for f in request.FILES.getlist("files")[: services.MAX_FILES + 1]]


def _complaint_args(post: Any) -> dict[str, Any]:
    return {k: post.get(k, "") for k in (
        "target_kind", "window_id", "staff_number", "department_id", "case_no", "query_code",
        "subject", "content", "mobile", "name")}


@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    ctx = _complaint_form_ctx()
    ctx["posted"] = {"target_kind": request.GET.get("target", "window")}
    status = 200
    if request.method == "POST":
        actor = request.user if request.user.is_authenticated else None
        try:
            throttle_complaint(_ip(request), request.POST.get("mobile", ""))
            c = services.complaint_submit(actor=actor, channel=ComplaintChannel.ONLINE,
                                          uploads=_uploads(request),
                                          **_complaint_args(request.POST))
            return redirect(f"/complaints/f/{c.token}/?new=1")
        except DomainError as exc:
            ctx.update(_error_ctx(exc), posted=request.POST)
            status = exc.status
    return render(request, "evaluation/complaint_new.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
def complaint_follow(request: HttpRequest, token: str) -> HttpResponse:
    try:
        c = services.complaint_by_token(token)
    except DomainError as exc:
        return render(request, "evaluation/message.html",
                      {"title": _("没有找到投诉"), "message": exc.message}, status=exc.status)
    ctx: dict[str, Any] = {"c": c, "levels": _levels(), "new": request.GET.get("new") == "1"}
    status = 200
    if request.method == "POST":
        try:
            throttle_rating(_ip(request))
            services.complaint_rate(token=token, level=request.POST.get("level"),
                                    comment=request.POST.get("comment", ""))
            return redirect(request.path)
        except DomainError as exc:
            ctx.update(_error_ctx(exc), posted=request.POST)
            status = exc.status
    return render(request, "evaluation/complaint_follow.html", ctx, status=status)


# --- workbench -----------------------------------------------------------------------------------


def _nav(user: Any) -> list[dict[str, str]]:
    links = [{"label": _("工作台首页"), "url": "/workbench/"}]
    if any(access.has_any(user, p) for p in (Perm.CASE_REVIEW, Perm.HALL_MANAGE, Perm.SUPERVISE)):
        links.append({"label": _("差评整改"), "url": "/workbench/evaluation/follow-ups/"})
    if access.has_any(user, Perm.CASE_REVIEW):
        links.append({"label": _("投诉情况说明"), "url": "/workbench/evaluation/statements/"})
    if access.has_any(user, Perm.SUPERVISE):
        links += [{"label": _("申诉复核"), "url": "/workbench/evaluation/appeals/"},
                  {"label": _("投诉处理"), "url": "/workbench/evaluation/complaints/"},
                  {"label": _("登记投诉"), "url": "/workbench/evaluation/complaints/new/"}]
    return links


def staff_page(perms: tuple[Perm, ...]) -> Callable[..., Any]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "accounts:login")
            if not any(access.has_any(request.user, p) for p in perms):
                return render(request, "evaluation/staff_message.html", {
                    "nav": _nav(request.user), "title": _("无权访问"),
                    "message": _("您没有权限访问这个页面。")}, status=403)
            try:
                return view(request, *args, **kwargs)
            except (NotFound, PermissionDenied) as exc:
                return render(request, "evaluation/staff_message.html", {
                    "nav": _nav(request.user), "title": _("没有找到"),
                    "message": exc.message}, status=exc.status)
        return wrapper
    return decorate


FOLLOW_UP_PERMS = (Perm.CASE_REVIEW, Perm.HALL_MANAGE, Perm.SUPERVISE)


@staff_page(FOLLOW_UP_PERMS)
def follow_up_inbox(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    overdue = request.GET.get("overdue") == "1"
    rows = list(selectors.follow_ups_for_user(request.user, state=state, overdue=overdue)[:200])
    return render(request, "evaluation/follow_up_inbox.html", {
        "nav": _nav(request.user), "rows": rows, "state": state, "overdue": overdue,
        "states": FollowUpState.choices, "today": clock.today(),
    })


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@staff_page(FOLLOW_UP_PERMS)
@require_http_methods(["GET", "POST"])
def follow_up_detail(request: HttpRequest, pk: int) -> HttpResponse:
    fu = selectors.follow_up_get(request.user, pk)
    ctx: dict[str, Any] = {"nav": _nav(request.user), "fu": fu, "e": fu.evaluation,
                           "outcomes": FollowUpOutcome.choices,
                           "can_handle": services.may_handle_follow_up(request.user, fu)}
    status = 200
    if request.method == "POST":
        action, p = request.POST.get("action"), request.POST
        try:
            if action == "call_back":
                services.follow_up_call_back(actor=request.user, follow_up=fu,
                                             verification=p.get("verification", ""),
                                             callback_note=p.get("callback_note", ""))
            elif action == "respond":
                services.follow_up_respond(actor=request.user, follow_up=fu,
                                           outcome=p.get("outcome", ""),
                                           response=p.get("response", ""),
                                           rectify_by=_parse_date(p.get("rectify_by", "")))
            elif action == "appeal":
                services.appeal_file(actor=request.user, evaluation=fu.evaluation,
                                     reason=p.get("reason", ""))
            else:
                raise NotFound(_("未知操作。"))
            messages.success(request, _("已保存。"))
            return redirect(request.path)
        except DomainError as exc:
            ctx.update(_error_ctx(exc), posted=p, action=action)
            status = exc.status
    return render(request, "evaluation/follow_up_detail.html", ctx, status=status)


@staff_page((Perm.SUPERVISE,))
@require_http_methods(["GET", "POST"])
def appeals(request: HttpRequest) -> HttpResponse:
    ctx: dict[str, Any] = {"nav": _nav(request.user)}
    status = 200
    if request.method == "POST":
        pk = request.POST.get("appeal", "")
        try:
            appeal = selectors.appeal_get(request.user, int(pk) if pk.isdigit() else 0)
            services.appeal_decide(actor=request.user, appeal=appeal,
                                   uphold=request.POST.get("uphold") == "1",
                                   note=request.POST.get("note", ""))
            messages.success(request, _("已复核。"))
            return redirect(request.path)
        except DomainError as exc:
            ctx.update(_error_ctx(exc), failed=pk)
            status = exc.status
    ctx["rows"] = list(selectors.appeals_for_supervisor(request.user)[:200])
    ctx["pending"] = AppealState.PENDING
    ctx["overdue"] = list(selectors.overdue_follow_ups(request.user)[:100])
    return render(request, "evaluation/appeals.html", ctx, status=status)


@staff_page((Perm.SUPERVISE,))
def complaints(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    rows = list(selectors.complaints_for_supervisor(
        request.user, state=state, overdue=request.GET.get("overdue") == "1",
        q=request.GET.get("q", "")[:24])[:200])
    return render(request, "evaluation/complaints.html", {
        "nav": _nav(request.user), "rows": rows, "state": state,
        "states": ComplaintState.choices, "today": clock.today(),
        "targets": {c.pk: selectors.target_label(c) for c in rows},
    })


@staff_page((Perm.SUPERVISE,))
@require_http_methods(["GET", "POST"])
def complaint_desk(request: HttpRequest) -> HttpResponse:
    ctx = {"nav": _nav(request.user), **_complaint_form_ctx(), "desk": True,
           "posted": {"target_kind": "window"}}
    status = 200
    if request.method == "POST":
        channel = request.POST.get("channel", "")
        try:
            c = services.complaint_submit(actor=request.user, channel=channel,
                                          uploads=_uploads(request),
                                          **_complaint_args(request.POST))
            messages.success(request, _("已登记投诉 %(n)s。") % {"n": c.number})
            return redirect(f"/workbench/evaluation/complaints/{c.number}/")
        except DomainError as exc:
            ctx.update(_error_ctx(exc), posted=request.POST)
            status = exc.status
    return render(request, "evaluation/complaint_desk.html", ctx, status=status)


@staff_page((Perm.SUPERVISE,))
@require_http_methods(["GET", "POST"])
def complaint_detail(request: HttpRequest, number: str) -> HttpResponse:
    c = selectors.complaint_get_for_supervisor(request.user, number)
    ctx: dict[str, Any] = {"nav": _nav(request.user), "c": c,
                           "target": selectors.target_label(c), "today": clock.today()}
    status = 200
    if request.method == "POST":
        action, p = request.POST.get("action"), request.POST
        try:
            if action == "assign":
                assignee = User.objects.filter(username=p.get("assignee", "")[:150],
                                               is_active=True).first()
                services.complaint_assign(actor=request.user, complaint=c, assignee=assignee,
                                          ask_department=p.get("ask_department") == "1")
            elif action == "answer":
                found = {"1": True, "0": False}.get(p.get("substantiated", ""))
                services.complaint_answer(actor=request.user, complaint=c,
                                          answer=p.get("answer", ""),
                                          investigation=p.get("investigation", ""),
                                          substantiated=found)
            elif action == "dismiss":
                services.complaint_dismiss(actor=request.user, complaint=c,
                                           reason=p.get("reason", ""))
            else:
                raise NotFound(_("未知操作。"))
            messages.success(request, _("已保存。"))
            return redirect(request.path)
        except DomainError as exc:
            ctx.update(_error_ctx(exc), posted=p, action=action)
            status = exc.status
    return render(request, "evaluation/complaint_detail.html", ctx, status=status)


@staff_page((Perm.CASE_REVIEW,))
def statements(request: HttpRequest) -> HttpResponse:
    return render(request, "evaluation/statements.html", {
        "nav": _nav(request.user), "rows": selectors.complaints_for_department(request.user)})


@staff_page((Perm.CASE_REVIEW,))
@require_http_methods(["GET", "POST"])
def statement_detail(request: HttpRequest, number: str) -> HttpResponse:
    row = selectors.complaint_get_for_department(request.user, number)
    ctx: dict[str, Any] = {"nav": _nav(request.user), "r": row}
    status = 200
    if request.method == "POST":
        from onewindow.evaluation.models import Complaint

        try:
            services.complaint_department_statement(
                actor=request.user, complaint=Complaint(pk=row.pk),
                statement=request.POST.get("statement", ""))
            messages.success(request, _("情况说明已提交。"))
            return redirect(request.path)
        except DomainError as exc:
            ctx.update(_error_ctx(exc), posted=request.POST)
            status = exc.status
    return render(request, "evaluation/statement_detail.html", ctx, status=status)
