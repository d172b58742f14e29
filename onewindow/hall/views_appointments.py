"""Appointment pages (预约), phone first: centre and category → day (a calendar of the coming
days with free places; days off greyed with their reason) and its slots → confirm; "我的预约"
with the booking's QR code, cancel and reschedule; the public follow page the QR code opens.

Choosing is public; booking and "mine" need a signed-in applicant (SMS sign-in). Every write
goes through :mod:`onewindow.hall.appointments`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import qrcode
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from qrcode.constants import ERROR_CORRECT_M

from onewindow.core import clock
from onewindow.core.errors import DomainError, NotFound
from onewindow.core.masking import mask_name
from onewindow.core.web import flash_error
from onewindow.hall import appointments as appt
from onewindow.hall import selectors, services
from onewindow.hall.models import Appointment, AppointmentSlot, AppointmentState, ServiceCategory

LOGIN_URL = "accounts:applicant_login"
STEPS = [(1, "选择业务"), (2, "选择时间"), (3, "确认信息"), (4, "预约成功")]


def _login(request: HttpRequest) -> HttpResponse:
    return redirect_to_login(request.get_full_path(), reverse(LOGIN_URL))


def qr_svg(data: str, *, size: int = 200, label: str = "") -> SafeString:
    """The QR code of ``data`` as inline SVG (one path; crisp at any size, no inline styles)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return format_html(
        '<svg class="appt-qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" '
        'width="{s}" height="{s}" role="img" aria-label="{label}" shape-rendering="crispEdges">'
        '<rect width="{n}" height="{n}" fill="#fff"/><path fill="#000" d="{d}"/></svg>',
        n=n, s=size, label=label, d="".join(parts),
    )


def _int(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2_147_483_647 else None


def _category(category_id: int) -> ServiceCategory:
    found = (
        ServiceCategory.objects.select_related("centre")
        .filter(pk=category_id, is_active=True, appointable=True, centre__is_active=True).first()
    )
    if found is None:
        raise Http404(_("没有找到可预约的业务类别。"))
    return found


def _moving(request: HttpRequest, category: ServiceCategory | None = None) -> Appointment | None:
    """The booking being rescheduled (``?reschedule=<token>``), the user's own only."""
    token = request.GET.get("reschedule", "")
    if not token or not request.user.is_authenticated:
        return None
    try:
        found = appt.appointment_for_user(user=request.user, token=token)
    except NotFound:
        return None
    if category is not None and found.slot.category_id != category.pk:
        return None
    return found if appt.can_change(found) else None


# --- 1. centre and category ----------------------------------------------------------------------


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    centres = appt.centres_with_appointments()
    cats: dict[int, list[ServiceCategory]] = {}
    for c in ServiceCategory.objects.filter(
        centre__in=centres, is_active=True, appointable=True
    ).order_by("sort_order", "letter"):
        cats.setdefault(c.centre_id, []).append(c)
    rows = [{"centre": c, "categories": cats.get(c.pk, [])} for c in centres]
    return render(request, "hall/appt_start.html", {"rows": rows, "steps": STEPS, "step": 1})


# --- 2. day and slot -----------------------------------------------------------------------------


@require_GET
def category(request: HttpRequest, category_id: int) -> HttpResponse:
    cat = _category(category_id)
    days = appt.booking_calendar(category=cat)
    chosen: dt.date | None = None
    raw = request.GET.get("day", "")
    if raw:
        try:
            chosen = dt.date.fromisoformat(raw[:10])
        except ValueError:
            chosen = None
    by_day = {d.day: d for d in days}
    if chosen not in by_day:
        chosen = next((d.day for d in days if d.bookable), None)
    slots = appt.slots_of_day(category=cat, day=chosen) if chosen else []
    moving = _moving(request, cat)
    return render(request, "hall/appt_category.html", {
        "category": cat, "centre": cat.centre, "days": days, "chosen": chosen,
        "chosen_info": by_day.get(chosen) if chosen else None,
        "slots": [{"slot": s, "free": max(0, s.capacity - s.booked)} for s in slots],
        "moving": moving, "suffix": f"?reschedule={moving.token}" if moving else "",
        "steps": STEPS, "step": 2,
    })


# --- 3. confirm ----------------------------------------------------------------------------------


def _slot(slot_id: int) -> AppointmentSlot:
    found = AppointmentSlot.objects.select_related("category__centre").filter(pk=slot_id).first()
    if found is None or not found.category.appointable or not found.category.is_active:
        raise Http404(_("没有找到这个预约时段。"))
    return found


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, slot_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    slot = _slot(slot_id)
    moving = _moving(request, slot.category)
    user: Any = request.user
    values = {"name": user.display_name or "", "mobile": user.phone or "", "item_name": ""}
    errors: dict[str, list[str]] = {}
    top_error = ""
    status = 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "")[:300] for k in values}
        try:
            if moving is not None:
                appt.appointment_reschedule(user=user, appointment=moving, slot=slot)
                messages.success(request, _("改约成功，预约码不变。"))
                return redirect("hall:appt_detail", token=moving.token)
            made = appt.appointment_book(user=user, slot=slot, **values)
        except DomainError as exc:
            errors = exc.field_errors
            top_error = exc.message
            status = exc.status
        else:
            messages.success(request, _("预约成功！请按时到大厅签到取号。"))
            return redirect("hall:appt_detail", token=made.token)
    return render(request, "hall/appt_book.html", {
        "slot": slot, "category": slot.category, "centre": slot.category.centre,
        "free": max(0, slot.capacity - slot.booked), "values": values, "errors": errors,
        "top_error": top_error, "moving": moving, "steps": STEPS, "step": 3,
        "rules": services.settings_for(slot.category.centre_id),
    }, status=status)


# --- 4. mine -------------------------------------------------------------------------------------


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    rows = list(appt.appointments_of(request.user)[:100])
    now = clock.now()
    current = [a for a in rows if a.state == AppointmentState.BOOKED
               and appt.slot_end(a.slot) >= now]
    current.sort(key=lambda a: (a.slot.day, a.slot.starts))
    past = [a for a in rows if a not in current]
    return render(request, "hall/appt_mine.html", {"current": current, "past": past})


@require_GET
def detail(request: HttpRequest, token: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    try:
        a = appt.appointment_for_user(user=request.user, token=token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    follow = request.build_absolute_uri(appt.follow_path(a))
    return render(request, "hall/appt_detail.html", {
        "a": a, "slot": a.slot, "centre": a.slot.category.centre,
        "weekday": appt.weekday_label(a.slot.day), "can_change": appt.can_change(a),
        "ticket": appt.appointment_ticket(a),
        "qr": qr_svg(follow, label=_("预约二维码：到厅后在取号机扫码签到")),
        "rules": services.settings_for(a.slot.category.centre_id),
        "code_shown": f"{a.code[:4]} {a.code[4:]}",
    })


@require_POST
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    try:
        a = appt.appointment_for_user(user=request.user, token=token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        appt.appointment_cancel(user=request.user, appointment=a)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("预约已取消。"))
    return redirect("hall:appt_detail", token=a.token)


# --- the public follow page (the QR code's address) ----------------------------------------------


@require_GET
def follow(request: HttpRequest, token: str) -> HttpResponse:
    try:
        a = appt.appointment_by_token(token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    ticket = appt.appointment_ticket(a)
    return render(request, "hall/appt_follow.html", {
        "a": a, "slot": a.slot, "centre": a.slot.category.centre, "name": mask_name(a.name),
        "weekday": appt.weekday_label(a.slot.day),
        "ticket": ticket, "place": selectors.ticket_place(ticket) if ticket else None,
        "rules": services.settings_for(a.slot.category.centre_id),
    })
