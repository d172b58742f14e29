"""Supervision pages in the workbench: alerts (supervisors: their region; departments: their
own) with withdrawing, and supervision notices (issue, reply, close)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.cases.models import Case
from onewindow.core.errors import DomainError, NotFound
from onewindow.core.web import flash_error
from onewindow.supervision import selectors, services
from onewindow.supervision.models import AlertKind, AlertState, ScanState

View = Callable[..., HttpResponseBase]


def _nav(user: Any) -> list[dict[str, str]]:
    return [
        {"label": _("工作台首页"), "url": "/workbench/"},
        {"label": _("预警与超期"), "url": "/workbench/supervision/"},
        {"label": _("督办单"), "url": "/workbench/supervision/notices/"},
    ]


def supervision_page(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "accounts:login")
        if not (access.has_any(user, Perm.SUPERVISE) or access.has_any(user, Perm.CASE_REVIEW)):
            return render(request, "supervision/denied.html", {"nav": _nav(user)}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _int(raw: Any) -> int | None:
    try:
        return int(str(raw))
    except (TypeError, ValueError):
        return None


@require_http_methods(["GET", "POST"])
@supervision_page
def alerts(request: HttpRequest) -> HttpResponse:
    user = request.user
    status = 200
    if request.method == "POST":
        alert = None
        pk = _int(request.POST.get("alert"))
        if pk:
            from onewindow.supervision.models import Alert

            alert = Alert.objects.filter(selectors.alert_scope_q(user), pk=pk).first()
        try:
            if alert is None:
                raise NotFound(_("没有找到这条预警。"))
            services.alert_withdraw(actor=user, alert=alert,
                                    reason=request.POST.get("reason", "")[:300])
            messages.success(request, _("预警已撤销。"))
            return redirect(request.get_full_path())
        except DomainError as exc:
            flash_error(request, exc)
            status = exc.status
    state = request.GET.get("state", AlertState.OPEN)
    if state not in AlertState.values and state != "":
        state = AlertState.OPEN
    kind = request.GET.get("kind", "")
    if kind and kind not in AlertKind.values:
        kind = ""
    rows, cursor = selectors.alerts_for(user, state=state, kind=kind,
                                        after=_int(request.GET.get("after")), limit=50)
    return render(request, "supervision/alerts.html", {
        "nav": _nav(user), "rows": rows, "cursor": cursor, "state": state, "kind": kind,
        "counts": selectors.alert_counts(user), "kinds": AlertKind.choices,
        "states": AlertState.choices, "can_withdraw": access.has_any(user, Perm.SUPERVISE),
        "scan": ScanState.objects.first(),
    }, status=status)


@require_http_methods(["GET", "POST"])
@supervision_page
def notices(request: HttpRequest) -> HttpResponse:
    user = request.user
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "issue":
                case = Case.objects.select_related("region").filter(
                    case_no=request.POST.get("case_no", "").strip()[:32]).first()
                if case is None or not access.can(user, Perm.SUPERVISE, region=case.region):
                    raise NotFound(_("没有找到这个办件。"))
                n = services.notice_issue(actor=user, case=case,
                                          request=request.POST.get("request", "")[:2000],
                                          reply_days=_int(request.POST.get("reply_days")) or 3)
                messages.success(request, _("督办单 %(n)s 已发出。") % {"n": n.number})
            else:
                notice = selectors.notice_in_scope(user, _int(request.POST.get("notice")) or 0)
                if notice is None:
                    raise NotFound(_("没有找到这个督办单。"))
                if action == "reply":
                    services.notice_reply(actor=user, notice=notice,
                                          reply=request.POST.get("reply", "")[:2000])
                    messages.success(request, _("已回复。"))
                elif action == "close":
                    services.notice_close(actor=user, notice=notice)
                    messages.success(request, _("督办单已办结。"))
                else:
                    raise NotFound(_("未知的操作。"))
            return redirect("supervision:notices")
        except DomainError as exc:
            flash_error(request, exc)
            status = exc.status
    return render(request, "supervision/notices.html", {
        "nav": _nav(user), "rows": selectors.notices_for(user),
        "is_supervisor": access.has_any(user, Perm.SUPERVISE),
        "prefill": request.GET.get("case", "")[:32],
    }, status=status)
