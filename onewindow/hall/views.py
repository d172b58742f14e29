"""Pages of the hall: the kiosk (取号机), a ticket's follow page, online tickets, the clerk's
calling panel and the queue figures.

Thin views: parse, call one service or selector, render. A
:class:`~onewindow.core.errors.DomainError` is shown as a message (or beside its field) with its
HTTP status — never a 500.

Access: the kiosk needs the centre's kiosk key in its address (a device in the hall); a ticket's
page is public by its unguessable token and shows no personal data; online tickets need a
signed-in applicant; the calling panel needs ``hall.call`` for the window; figures need
``supervise`` or ``hall.manage`` over the centres of the user's region.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.core import clock
from onewindow.core.errors import DomainError, ValidationFailed
from onewindow.core.web import flash_error
from onewindow.hall import selectors, services
from onewindow.hall.api import kiosk_key_ok, kiosk_rate, throttle
from onewindow.hall.appointments import appointment_check_in
from onewindow.hall.models import (
    PauseReason,
    Priority,
    ServiceCategory,
    Ticket,
    TicketSource,
    TicketState,
    WindowStatus,
)
from onewindow.regions.models import ServiceCentre, Window

View = Callable[..., HttpResponseBase]


def qr_svg(data: str) -> SafeString:
    """An inline SVG QR code of ``data`` (our own URL), sized by CSS (class ``qr``)."""
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=1)
    svg = img.to_string(encoding="unicode")
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2:]
    # The library's markup for our own URL; nothing of the user's reaches it unescaped.
    return mark_safe(  # noqa: S308
        svg.replace("<svg ", format_html('<svg class="qr" role="img" aria-label="{}" ',
                                         _("二维码")), 1)
    )


def _centre(centre_id: int) -> ServiceCentre:
    centre = ServiceCentre.objects.select_related("region").filter(
        pk=centre_id, is_active=True
    ).first()
    if centre is None:
        raise Http404(_("没有找到这个服务中心。"))
    return centre


def _categories(centre: ServiceCentre) -> list[dict[str, Any]]:
    counts = selectors.waiting_counts(centre.pk)
    rows = []
    for c in ServiceCategory.objects.filter(centre=centre, is_active=True):
        waiting = counts.get(c.pk, 0)
        minutes = selectors.average_service_minutes(c)
        windows = max(1, selectors.open_windows_for(c))
        rows.append({"category": c, "waiting": waiting,
                     "wait_minutes": int(-(-waiting * minutes // windows))})
    return rows


# --- the kiosk -----------------------------------------------------------------------------------


def kiosk_page(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, centre_id: int, *args: Any, **kw: Any) -> HttpResponseBase:
        centre = _centre(centre_id)
        key = request.GET.get("key", "") or request.POST.get("key", "")
        if not kiosk_key_ok(centre, key):
            return render(request, "hall/kiosk_denied.html", {"centre": centre}, status=403)
        return view(request, centre, key, *args, **kw)

    return wrapper


@require_http_methods(["GET", "POST"])
@kiosk_page
def kiosk(request: HttpRequest, centre: ServiceCentre, key: str) -> HttpResponse:
    """取号机: touch-sized category buttons; optional ID number or mobile (SMS, limit,
    elderly priority from the ID number)."""
    status = 200
    if request.method == "POST":
        try:
            throttle(request, "kiosk-page", kiosk_rate())
            category = ServiceCategory.objects.filter(
                pk=_int(request.POST.get("category")), centre=centre, is_active=True
            ).first()
            if category is None:
                raise ValidationFailed(_("请选择业务类别。"),
                                       field_errors={"category": [_("请选择业务类别。")]})
            ticket = services.ticket_take(
                centre=centre, category=category, source=TicketSource.KIOSK,
                mobile=request.POST.get("mobile", "")[:20],
                id_number=request.POST.get("id_number", "")[:20],
            )
            return redirect(f"{reverse('hall:ticket_print', args=[ticket.token])}?key={key}")
        except DomainError as exc:
            flash_error(request, exc)
            status = exc.status
    return render(request, "hall/kiosk.html", {
        "centre": centre, "key": key, "rows": _categories(centre),
        "now": clock.now(),
    }, status=status)


@require_http_methods(["GET", "POST"])
@kiosk_page
def kiosk_check_in(request: HttpRequest, centre: ServiceCentre, key: str) -> HttpResponse:
    """签到: an appointment code, or the mobile number of an online ticket or booking."""
    status = 200
    done: list[Ticket] = []
    if request.method == "POST":
        code = request.POST.get("code", "").strip()[:300]  # a code or a scanned QR address
        mobile = request.POST.get("mobile", "").strip()[:20]
        try:
            throttle(request, "kiosk-checkin", 60)
            done = _check_in(centre, code=code, mobile=mobile)
            if len(done) == 1:
                return redirect(
                    f"{reverse('hall:ticket_print', args=[done[0].token])}?key={key}"
                )
        except DomainError as exc:
            flash_error(request, exc)
            status = exc.status
    return render(request, "hall/kiosk_checkin.html",
                  {"centre": centre, "key": key, "done": done}, status=status)


def _check_in(centre: ServiceCentre, *, code: str, mobile: str) -> list[Ticket]:
    if not code and not mobile:
        raise ValidationFailed(_("请输入预约码或手机号码。"),
                               field_errors={"code": [_("请输入预约码或手机号码。")]})
    if mobile:
        reserved = list(Ticket.objects.filter(
            centre=centre, day=clock.today(), state=TicketState.RESERVED,
            holder_mobile=mobile,
        ))
        if reserved:
            return [services.ticket_check_in(ticket=t) for t in reserved]
    # Otherwise a booking: by its code (or scanned QR address) or the booker's mobile.
    return [appointment_check_in(centre=centre, code=code, mobile=mobile)]


@require_GET
def ticket_print(request: HttpRequest, token: str) -> HttpResponse:
    """The printed ticket (58/80 mm thermal layout) with a QR code to follow the queue; the
    kiosk shows it, prints it and returns to the category buttons."""
    ticket = selectors.ticket_by_token(token)
    if ticket is None:
        raise Http404(_("没有找到这个号码。"))
    key = request.GET.get("key", "")
    back = ""
    if key and kiosk_key_ok(ticket.centre, key):
        back = f"{reverse('hall:kiosk', args=[ticket.centre_id])}?key={key}"
    follow = request.build_absolute_uri(reverse("hall:ticket", args=[ticket.token]))
    return render(request, "hall/ticket_print.html", {
        "ticket": ticket, "place": selectors.ticket_place(ticket), "qr": qr_svg(follow),
        "follow": follow, "back": back,
    })


@require_GET
def ticket_page(request: HttpRequest, token: str) -> HttpResponse:
    """A ticket's progress on the holder's phone (reached by the QR code): how many ahead, the
    estimated wait, the window when called. No personal data."""
    ticket = selectors.ticket_by_token(token)
    if ticket is None:
        raise Http404(_("没有找到这个号码。"))
    return render(request, "hall/ticket.html", {
        "ticket": ticket, "place": selectors.ticket_place(ticket),
        "mine": request.user.is_authenticated and ticket.user_id == request.user.pk,
        "live": ticket.state in (TicketState.RESERVED, TicketState.WAITING,
                                 TicketState.CALLED),
    })


@require_POST
def ticket_cancel(request: HttpRequest, token: str) -> HttpResponse:
    ticket = selectors.ticket_by_token(token)
    if ticket is None or not request.user.is_authenticated:
        raise Http404(_("没有找到这个号码。"))
    try:
        services.ticket_cancel(ticket=ticket, user=request.user)
        messages.success(request, _("已取消 %(n)s 号。") % {"n": ticket.number})
    except DomainError as exc:
        flash_error(request, exc)
    return redirect("hall:ticket", token=token)


@require_GET
def window_card(request: HttpRequest, window_id: int) -> HttpResponse:
    """The small screen above a counter (挂牌上岗): who serves here, their staff number, the
    number being served, or where they are when the window is paused (去向公示)."""
    window = Window.objects.select_related("centre").filter(
        pk=window_id, is_active=True, centre__is_active=True
    ).first()
    if window is None:
        raise Http404(_("没有找到这个窗口。"))
    session = services.current_session_of_window(window.pk)
    current = selectors.window_current(window.pk)
    return render(request, "hall/window_card.html", {
        "window": window, "card": selectors.window_card(window, session), "current": current,
    })


# --- online tickets ------------------------------------------------------------------------------


@require_GET
def centres(request: HttpRequest) -> HttpResponse:
    """网上取号 · 预约: the centres with their queues now."""
    rows = []
    for centre in ServiceCentre.objects.filter(is_active=True, categories__is_active=True) \
            .select_related("region").distinct().order_by("region__code", "name"):
        rows.append({"centre": centre, "categories": _categories(centre)})
    mine = selectors.tickets_of_user(request.user) if request.user.is_authenticated else []
    return render(request, "hall/centres.html", {"rows": rows, "mine": mine})


@require_POST
def online_take(request: HttpRequest, centre_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("hall:centres"), "accounts:applicant_login")
    centre = _centre(centre_id)
    category = ServiceCategory.objects.filter(
        pk=_int(request.POST.get("category")), centre=centre, is_active=True
    ).first()
    try:
        if category is None:
            raise ValidationFailed(_("请选择业务类别。"))
        ticket = services.ticket_take(centre=centre, category=category,
                                      source=TicketSource.ONLINE, user=request.user)
    except DomainError as exc:
        flash_error(request, exc)
        return redirect("hall:centres")
    return redirect("hall:ticket", token=ticket.token)


# --- the clerk's calling panel -------------------------------------------------------------------


def _denied(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return render(request, "hall/staff_denied.html",
                  {"message": message or _("您没有使用这个页面的权限。"),
                   "nav": staff_nav(request.user)}, status=403)


def staff_page(*perms: Perm) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "accounts:login")
            if not any(access.has_any(request.user, p) for p in perms):
                return _denied(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def staff_nav(user: Any) -> list[dict[str, str]]:
    links = [{"label": _("工作台首页"), "url": "/workbench/"}]
    if access.has_any(user, Perm.HALL_CALL):
        links.append({"label": _("窗口叫号"), "url": reverse("hall:panel")})
    if access.has_any(user, Perm.CASE_ACCEPT):
        links.append({"label": _("窗口受理"), "url": "/workbench/cases/window/"})
    if access.has_any(user, Perm.SUPERVISE) or access.has_any(user, Perm.HALL_MANAGE):
        links.append({"label": _("大厅统计"), "url": reverse("hall:figures")})
    return links


def _windows_for(user: Any) -> list[Window]:
    prefixes = [g.region_prefix for g in access.grants_for(user, Perm.HALL_CALL)]
    out = []
    for w in Window.objects.filter(is_active=True, centre__is_active=True) \
            .select_related("centre__region", "department").order_by("centre__region__code",
                                                                      "centre_id", "number"):
        region = w.centre.region
        if any(region.prefix.startswith(p) for p in prefixes) and access.can(
            user, Perm.HALL_CALL, region=region, department=w.department
        ):
            out.append(w)
    return out


PANEL_ACTIONS: dict[str, Callable[..., Any]] = {
    "call": services.ticket_call_next,
    "recall": services.ticket_recall,
    "no_show": services.ticket_no_show,
    "start": services.ticket_start,
    "finish": services.ticket_finish,
    "resume": services.window_resume,
    "sign_out": services.window_sign_out,
}


@require_http_methods(["GET", "POST"])
@staff_page(Perm.HALL_CALL)
def panel(request: HttpRequest) -> HttpResponse:
    """窗口叫号: sign in at a window, call, recall, no-show, serve, transfer, pause."""
    user = request.user
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            status = _panel_post(request, action)
            if status == 200:
                return redirect("hall:panel")
        except DomainError as exc:
            flash_error(request, exc)
            status = exc.status
    session = services.current_session(user)
    ctx: dict[str, Any] = {"nav": staff_nav(user), "session": session}
    if session is None:
        ctx["windows"] = _windows_for(user)
    else:
        window = session.window
        current = selectors.window_current(window.pk)
        counts = selectors.waiting_counts(window.centre_id)
        serves = list(ServiceCategory.objects.filter(windows=window, is_active=True))
        ctx.update(
            window=window, current=current, next=selectors.next_in_line(window, 8),
            serves=[{"category": c, "waiting": counts.get(c.pk, 0)} for c in serves],
            others=ServiceCategory.objects.filter(centre_id=window.centre_id, is_active=True)
            .exclude(pk=current.category_id if current else 0),
            rules=services.settings_for(window.centre_id),
            reasons=PauseReason.choices, priorities=[p for p in Priority.choices if p[0]],
            desk_categories=ServiceCategory.objects.filter(centre_id=window.centre_id,
                                                           is_active=True),
            paused=session.status == WindowStatus.PAUSED,
            case_url=_case_url(current) if current else "",
            screen_url=f"/hall/{window.centre_id}/screen/",
        )
    return render(request, "hall/panel.html", ctx, status=status)


def _case_url(ticket: Ticket) -> str:
    """新建窗口办件 with the holder looked up by ID number or mobile."""
    q = ticket.holder_id_number or ticket.holder_mobile
    base = "/workbench/cases/window/new/"
    return f"{base}?q={q}" if q else base


def _panel_post(request: HttpRequest, action: str) -> int:
    user = request.user
    if action == "sign_in":
        window = Window.objects.select_related("centre__region", "department").filter(
            pk=_int(request.POST.get("window"))
        ).first()
        if window is None or window not in _windows_for(user):
            raise ValidationFailed(_("请选择您可以办理的窗口。"),
                                   field_errors={"window": [_("请选择您可以办理的窗口。")]})
        services.window_sign_in(user=user, window=window)
        messages.success(request, _("已在 %(w)s 号窗口签到。") % {"w": window.number})
    elif action == "pause":
        back = _time_today(request.POST.get("back_at", ""))
        services.window_pause(user=user, reason=request.POST.get("reason", ""),
                              whereabouts=request.POST.get("whereabouts", "")[:200],
                              back_at=back)
    elif action == "transfer":
        session = services.current_session(user)
        category = ServiceCategory.objects.filter(
            pk=_int(request.POST.get("category")),
            centre_id=session.window.centre_id if session else 0,
        ).first()
        if category is None:
            raise ValidationFailed(_("请选择要转到的业务类别。"),
                                   field_errors={"category": [_("请选择要转到的业务类别。")]})
        t = services.ticket_transfer(user=user, category=category)
        messages.success(request, _("%(n)s 号已转到「%(c)s」，保留原排队位次。")
                         % {"n": t.number, "c": category.name})
    elif action == "desk":
        session = services.current_session(user)
        category = ServiceCategory.objects.filter(
            pk=_int(request.POST.get("category")),
            centre_id=session.window.centre_id if session else 0, is_active=True,
        ).first()
        if session is None or category is None:
            raise ValidationFailed(_("请选择业务类别。"),
                                   field_errors={"category": [_("请选择业务类别。")]})
        t = services.ticket_take(
            centre=session.window.centre, category=category, source=TicketSource.DESK,
            priority=request.POST.get("priority", ""), actor=user,
            mobile=request.POST.get("mobile", "")[:20],
            id_number=request.POST.get("id_number", "")[:20],
        )
        messages.success(request, _("已发放 %(n)s 号（%(p)s）。")
                         % {"n": t.number, "p": Priority(t.priority).label})
    elif action in PANEL_ACTIONS:
        result = PANEL_ACTIONS[action](user=user)
        if action == "call" and result is None:
            messages.info(request, _("目前没有等候的号码。"))
        elif action == "call":
            messages.success(request, _("正在呼叫 %(n)s 号。") % {"n": result.number})
        elif action == "finish" and result.case_numbers:
            messages.success(request, _("%(n)s 号已办结，关联办件：%(c)s")
                             % {"n": result.number, "c": "、".join(result.case_numbers)})
    else:
        raise ValidationFailed(_("未知的操作。"))
    return 200


def _time_today(raw: str) -> dt.datetime | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        t = dt.time.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed(_("预计返回时间格式应为 时:分。"),
                               field_errors={"back_at": [_("请输入如 14:30 的时间。")]}) from exc
    return dt.datetime.combine(clock.today(), t, tzinfo=timezone.get_current_timezone())


def _int(raw: Any) -> int:
    try:
        return int(str(raw))
    except (TypeError, ValueError):
        return 0


# --- figures -------------------------------------------------------------------------------------


@require_GET
@staff_page(Perm.SUPERVISE, Perm.HALL_MANAGE)
def figures(request: HttpRequest) -> HttpResponse:
    """排队统计: waiting and service times, abandoned tickets, hours on duty; Excel export."""
    from onewindow.core.errors import NotFound

    today = clock.today()
    errors: dict[str, str] = {}
    start = _date(request.GET.get("start"), today.replace(day=1), errors, "start")
    end = _date(request.GET.get("end"), today, errors, "end")
    if end < start:
        errors["end"] = _("结束日期不能早于开始日期。")
        start, end = end, start
    if (end - start).days > 366:
        errors["end"] = _("统计期间请不超过一年。")
        start = end - dt.timedelta(days=366)
    by = request.GET.get("by", "category")
    if by not in ("category", "window", "day"):
        by = "category"
    raw_centre = _int(request.GET.get("centre")) or None
    try:
        ids = selectors.figure_centre_ids(request.user, raw_centre)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    rows = selectors.queue_figures(centre_ids=ids, start=start, end=end, by=by)
    hours = selectors.hourly_figures(centre_ids=ids, start=start, end=end)
    presence = selectors.presence_figures(centre_ids=ids, start=start, end=end)
    appts = selectors.appointment_figures(centre_ids=ids, start=start, end=end)
    if request.GET.get("format") == "xlsx":
        return _xlsx(rows, hours, presence, appts, start, end, by)
    centres_in_scope = ServiceCentre.objects.filter(
        pk__in=selectors.figure_centre_ids(request.user)
    ).order_by("region__code", "name")
    totals = {
        "taken": sum(r["taken"] for r in rows), "served": sum(r["served"] for r in rows),
        "abandoned": sum(r["abandoned"] for r in rows),
    }
    totals["abandon_rate"] = totals["abandoned"] / totals["taken"] if totals["taken"] else 0
    return render(request, "hall/figures.html", {
        "nav": staff_nav(request.user), "rows": rows, "hours": hours, "presence": presence,
        "appts": appts, "start": start, "end": end, "by": by, "centre": raw_centre,
        "centres": centres_in_scope, "errors": errors, "totals": totals,
        "max_taken": max([h["taken"] for h in hours] or [1]),
    }, status=422 if errors else 200)


def _date(raw: str | None, default: dt.date, errors: dict[str, str], field: str) -> dt.date:
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[field] = _("日期格式应为 年-月-日，如 2026-11-01。")
        return default


BY_LABELS = {"category": "业务类别", "window": "窗口", "day": "日期"}


def _xlsx(rows: list[dict[str, Any]], hours: list[dict[str, Any]],
          presence: list[dict[str, Any]], appts: dict[str, Any], start: dt.date, end: dt.date,
          by: str) -> HttpResponse:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "排队统计"
    ws.append([f"统计期间 {start} 至 {end}"])
    ws.append([BY_LABELS[by], "取号数", "办结数", "弃号数", "弃号率", "平均等候（分钟）",
               "平均办理（分钟）", "优先号"])
    for r in rows:
        ws.append([r["key"], r["taken"], r["served"], r["abandoned"], r["abandon_rate"],
                   r["avg_wait_minutes"], r["avg_service_minutes"], r["priority"]])
    hs = wb.create_sheet("分时段")
    hs.append(["时段", "取号数", "平均等候（分钟）"])
    for h in hours:
        hs.append([f"{h['hour']:02d}:00", h["taken"], h["avg_wait_minutes"]])
    ps = wb.create_sheet("在岗时长")
    ps.append(["服务中心", "窗口", "工作人员", "在岗小时"])
    for p in presence:
        ps.append([p["centre"], p["window"], p["staff"], p["hours"]])
    aps = wb.create_sheet("预约")
    aps.append(["预约数", "已签到", "爽约", "取消", "爽约率"])
    aps.append([appts["booked"], appts["checked_in"], appts["no_show"], appts["cancelled"],
                appts["no_show_rate"]])
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f'attachment; filename="hall-figures-{start}-{end}.xlsx"'
    return resp
