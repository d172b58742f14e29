"""Workbench pages of 一件事: the package applications in one's scope and the one delivery."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.cases.selectors import STAFF_VIEW_PERMS
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.web import flash_error
from onewindow.packages import selectors, services
from onewindow.packages.forms import StaffDeliverForm
from onewindow.packages.workflow import ApplicationState

PAGE_SIZE = 50


def _nav() -> list[dict[str, str]]:
    return [{"label": _("工作台首页"), "url": "/workbench/"},
            {"label": _("一件事申请"), "url": "/workbench/packages/"}]


def _message(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return render(request, "packages/staff_message.html",
                  {"nav": _nav(), "title": title, "message": message}, status=status)


def staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "accounts:login")
        if not any(access.has_any(request.user, p) for p in STAFF_VIEW_PERMS):
            return _message(request, _("无权访问"), _("您没有权限访问这个页面。"), 403)
        try:
            return view(request, *args, **kwargs)
        except (NotFound, PermissionDenied) as exc:
            return _message(request, _("没有找到"), exc.message, exc.status)
    return wrapper


@staff_page
@require_GET
def applications(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    state = state if state in ApplicationState.values else ""
    qs = selectors.applications_for_staff(user=request.user, state=state)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(a, selectors.item_rows(a)) for a in page.object_list]
    states = [(v, label) for v, label in ApplicationState.choices
              if v not in (ApplicationState.DRAFT, ApplicationState.DISCARDED)]
    return render(request, "packages/staff_list.html", {
        "nav": _nav(), "rows": rows, "page_obj": page, "state": state, "states": states,
        "base_query": f"state={state}&" if state else "",
    })


@staff_page
@require_http_methods(["GET", "POST"])
def application_detail(request: HttpRequest, number: str) -> HttpResponse:
    application = selectors.application_get_for_staff(user=request.user, number=number)
    form = StaffDeliverForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not access.has_any(request.user, Perm.CASE_ACCEPT):
            return _message(request, _("无权操作"), _("统一出件须由窗口工作人员办理。"), 403)
        if form.is_valid():
            try:
                services.application_deliver(actor=request.user, application=application,
                                             **form.values())
            except DomainError as exc:
                flash_error(request, exc)
                status = exc.status
            else:
                messages.success(request, _("已统一出件，申请人已收到通知。"))
                return redirect("packages:staff_detail", number=application.number)
        application = selectors.application_get_for_staff(user=request.user, number=number)
    return render(request, "packages/staff_detail.html", {
        "nav": _nav(), "application": application, "rows": selectors.item_rows(application),
        "form": form, "may_deliver": selectors.may_deliver(request.user, application)
        and application.state == ApplicationState.AWAITING_DELIVERY,
    }, status=status)
