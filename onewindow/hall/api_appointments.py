"""Appointments API (预约接口), mounted at ``/api/v1/hall/appointments``: the same services as
the pages (:mod:`onewindow.hall.appointments`).

Access:

- Public: the centres and categories open for booking, a category's booking calendar and its
  slots with free places (no personal data).
- Booking, "mine", cancelling, rescheduling: the signed-in applicant (session; an API token
  acts as its user). Another person's booking is the same 404 as an unknown one; anonymous
  requests get 401.
- ``POST /checkin``: the kiosk in the hall is anonymous, so anyone may check in with a code,
  a scanned QR address or the booking's mobile number; requests are throttled per address
  (failed attempts more strictly) and the answer holds only the ticket's number, token and
  place in the queue, never personal data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.tokens import staff_auth
from onewindow.core import clock, ratelimit
from onewindow.core.errors import NotFound, PermissionDenied, ValidationFailed
from onewindow.core.masking import mask_name, mask_phone
from onewindow.core.ratelimit import hit
from onewindow.hall import appointments as appt
from onewindow.hall import selectors, services
from onewindow.hall.models import Appointment, AppointmentSlot, ServiceCategory
from onewindow.regions.models import ServiceCentre

router = Router(tags=["预约"], auth=staff_auth)

MAX_ID = 2_147_483_647
CHECKIN_RATE = 60  # check-ins per minute per address
CHECKIN_FAILURES = 20  # failed check-ins per address in FAILURE_WINDOW
FAILURE_WINDOW = 600




def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _throttle_check_in(request: HttpRequest) -> None:
    ip = _ip(request)
    minute = int(clock.now().timestamp()) // 60
    failures = cache.get(f"hall:appt:checkin-fail:{ip}", 0)
    if int(failures) >= CHECKIN_FAILURES:
        raise ratelimit.Throttled(_("签到失败次数过多，请 10 分钟后再试，或到导服台办理。"))
    if hit(f"hall:appt:checkin:{ip}:{minute}", 60) > CHECKIN_RATE:
        raise ratelimit.Throttled(_("操作过于频繁，请稍后再试。"))


def _check_in_failed(request: HttpRequest) -> None:
    hit(f"hall:appt:checkin-fail:{_ip(request)}", FAILURE_WINDOW)


# --- schemas -------------------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    letter: str
    name: str
    description: str


class CentreOut(Schema):
    id: int
    name: str
    address: str
    phone: str
    region: str
    categories: list[CategoryOut]


class DayOut(Schema):
    day: dt.date
    weekday: str
    status: str = Field(description="open 可约 / full 已约满 / closed 节假日或休息日 / none 不开放")
    reason: str = Field(description="不可预约的原因，如“节假日 · 国庆节”")
    free: int
    capacity: int
    special: bool = Field(description="含延时或非工作日服务时段")


class SlotOut(Schema):
    id: int
    day: dt.date
    starts: str = Field(description="HH:MM")
    ends: str
    capacity: int
    free: int
    special: bool
    note: str


class SlotsParams(Schema):
    category: int = Field(..., ge=1, le=MAX_ID)
    start: dt.date | None = None
    end: dt.date | None = None


class DaysParams(Schema):
    category: int = Field(..., ge=1, le=MAX_ID)


class AppointmentOut(Schema):
    token: str = Field(description="跟踪码：预约二维码中的链接")
    code: str = Field(description="8 位预约码，到厅签到用")
    state: str
    state_label: str
    centre: str
    centre_address: str
    category: str
    day: dt.date
    starts: str
    ends: str
    special: bool
    name: str = Field(description="预约人姓名（脱敏）")
    mobile: str = Field(description="手机号码（脱敏）")
    item_name: str
    can_change: bool = Field(description="时段开始前可取消、改约")
    ticket_number: str = Field(description="签到后的排队号")
    follow_url: str
    created_at: dt.datetime


class BookIn(Schema):
    slot: int = Field(..., ge=1, le=MAX_ID)
    name: str = Field("", max_length=50, description="默认为账户姓名")
    mobile: str = Field("", max_length=20, description="默认为账户手机号码")
    item_name: str = Field("", max_length=200)


class RescheduleIn(Schema):
    slot: int = Field(..., ge=1, le=MAX_ID)


class CheckInIn(Schema):
    centre: int = Field(..., ge=1, le=MAX_ID)
    code: str = Field("", max_length=300, description="预约码，或扫描预约二维码得到的内容")
    mobile: str = Field("", max_length=20, description="预约时填写的手机号码")
    key: str = Field("", max_length=40, description="取号机密钥（也可用 X-Kiosk-Key 头）")


class CheckInOut(Schema):
    number: str
    token: str = Field(description="排队号跟踪码")
    category: str
    appointment_at: dt.datetime | None
    ahead: int
    wait_minutes: int
    follow_url: str


# --- serialisers -------------------------------------------------------------------------------


def _slot_out(slot: AppointmentSlot) -> dict[str, Any]:
    return {
        "id": slot.pk, "day": slot.day, "starts": f"{slot.starts:%H:%M}",
        "ends": f"{slot.ends:%H:%M}", "capacity": slot.capacity,
        "free": max(0, slot.capacity - slot.booked), "special": slot.special, "note": slot.note,
    }


def _appointment_out(request: HttpRequest, a: Appointment, ticket_number: str = ""
                     ) -> dict[str, Any]:
    slot = a.slot
    centre = slot.category.centre
    return {
        "token": a.token, "code": a.code, "state": a.state, "state_label": a.get_state_display(),
        "centre": centre.name, "centre_address": centre.address, "category": slot.category.name,
        "day": slot.day, "starts": f"{slot.starts:%H:%M}", "ends": f"{slot.ends:%H:%M}",
        "special": slot.special, "name": mask_name(a.name), "mobile": mask_phone(a.mobile),
        "item_name": a.item_name, "can_change": appt.can_change(a),
        "ticket_number": ticket_number,
        "follow_url": request.build_absolute_uri(appt.follow_path(a)),
        "created_at": a.created_at,
    }


def _ticket_numbers(appointments: list[Appointment]) -> dict[int, str]:
    from onewindow.hall.models import Ticket

    ids = [a.pk for a in appointments if a.state == "checked_in"]
    if not ids:
        return {}
    return dict(Ticket.objects.filter(appointment_id__in=ids)
                .values_list("appointment_id", "number"))


def _category(category_id: int) -> ServiceCategory:
    found = (
        ServiceCategory.objects.select_related("centre")
        .filter(pk=category_id, is_active=True, appointable=True, centre__is_active=True).first()
    )
    if found is None:
        raise NotFound(_("没有找到可预约的业务类别。"), code="category_not_found")
    return found


# --- public: what can be booked ----------------------------------------------------------------


@router.get("/centres", response=list[CentreOut], auth=None,
            summary="可预约的服务中心及其业务类别")
def centres(request: HttpRequest) -> list[dict[str, Any]]:
    found = appt.centres_with_appointments()
    cats: dict[int, list[ServiceCategory]] = {}
    for c in ServiceCategory.objects.filter(
        centre__in=found, is_active=True, appointable=True
    ).order_by("sort_order", "letter"):
        cats.setdefault(c.centre_id, []).append(c)
    return [
        {"id": c.pk, "name": c.name, "address": c.address, "phone": c.phone,
         "region": c.region.name,
         "categories": [{"id": k.pk, "letter": k.letter, "name": k.name,
                         "description": k.description} for k in cats.get(c.pk, [])]}
        for c in found
    ]


@router.get("/days", response=list[DayOut], auth=None,
            summary="预约日历：今后若干天每天的余量，节假日不开放并说明原因")
def days(request: HttpRequest, params: Query[DaysParams]) -> list[dict[str, Any]]:
    category = _category(params.category)
    return [
        {"day": d.day, "weekday": d.weekday, "status": d.status, "reason": d.reason,
         "free": d.free, "capacity": d.capacity, "special": d.special}
        for d in appt.booking_calendar(category=category)
    ]


@router.get("/slots", response=list[SlotOut], auth=None,
            summary="某业务类别在一段日期内可预约的时段及余量")
def slots(request: HttpRequest, params: Query[SlotsParams]) -> list[dict[str, Any]]:
    category = _category(params.category)
    start = params.start or clock.today()
    end = params.end or start + dt.timedelta(days=appt.MAX_RANGE_DAYS - 1)
    if end < start or (end - start).days >= appt.MAX_RANGE_DAYS:
        message = _("结束日期不能早于开始日期，且一次最多查询 %(n)d 天。") % {
            "n": appt.MAX_RANGE_DAYS}
        raise ValidationFailed(message, field_errors={"end": [message]})
    return [_slot_out(s) for s in appt.open_slots(category=category, start=start, end=end)]


# --- the applicant's bookings -------------------------------------------------------------------


@router.post("", response={201: AppointmentOut}, summary="预约一个时段（须登录）")
def book(request: HttpRequest, body: BookIn) -> Status[dict[str, Any]]:
    a = appt.appointment_book(user=request.user, slot=body.slot, name=body.name,
                              mobile=body.mobile, item_name=body.item_name)
    a = appt.appointment_for_user(user=request.user, token=a.token)
    return Status(201, _appointment_out(request, a))


@router.get("/mine", response=list[AppointmentOut], summary="我的预约（最近 50 条）")
def mine(request: HttpRequest) -> list[dict[str, Any]]:
    rows = list(appt.appointments_of(request.user)[:50])
    numbers = _ticket_numbers(rows)
    return [_appointment_out(request, a, numbers.get(a.pk, "")) for a in rows]


@router.get("/mine/{token}", response=AppointmentOut, summary="我的一个预约")
def mine_one(request: HttpRequest, token: str) -> dict[str, Any]:
    a = appt.appointment_for_user(user=request.user, token=token)
    return _appointment_out(request, a, _ticket_numbers([a]).get(a.pk, ""))


@router.post("/mine/{token}/cancel", response=AppointmentOut, summary="取消预约（时段开始前）")
def cancel(request: HttpRequest, token: str) -> dict[str, Any]:
    a = appt.appointment_for_user(user=request.user, token=token)
    a = appt.appointment_cancel(user=request.user, appointment=a)
    return _appointment_out(request, a)


@router.post("/mine/{token}/reschedule", response=AppointmentOut,
             summary="改约到同一业务类别的另一时段（新时段约满时原预约不变）")
def reschedule(request: HttpRequest, token: str, body: RescheduleIn) -> dict[str, Any]:
    a = appt.appointment_for_user(user=request.user, token=token)
    appt.appointment_reschedule(user=request.user, appointment=a, slot=body.slot)
    return _appointment_out(request, appt.appointment_for_user(user=request.user, token=token))


# --- check-in at the hall ---------------------------------------------------------------------


@router.post("/checkin", response=CheckInOut, auth=None,
             summary="到厅签到：预约转为排队号（大厅取号机，须带取号机密钥；限频；只返回号码）")
def checkin(request: HttpRequest, body: CheckInIn) -> dict[str, Any]:
    _throttle_check_in(request)
    centre = ServiceCentre.objects.select_related("region").filter(
        pk=body.centre, is_active=True).first()
    if centre is None:
        raise NotFound(_("没有找到这个服务中心。"), code="centre_not_found")
    # Check-in means "I am in the hall": the kiosk's key, or staff of the centre at the desk.
    key = request.headers.get("X-Kiosk-Key", "") or body.key
    if not services.kiosk_key_valid(centre.pk, key) and not (
        request.user.is_authenticated
        and access.can(request.user, Perm.HALL_CALL, region=centre.region)
    ):
        raise PermissionDenied(_("请到服务中心大厅的取号机上签到。"), code="kiosk_only")
    actor = request.user if request.user.is_authenticated else None
    try:
        ticket = appt.appointment_check_in(centre=centre, code=body.code, mobile=body.mobile,
                                           actor=actor)
    except (NotFound, ValidationFailed):
        _check_in_failed(request)
        raise
    place = selectors.ticket_place(ticket)
    return {
        "number": ticket.number, "token": ticket.token, "category": ticket.category.name,
        "appointment_at": ticket.appointment_at, "ahead": place.ahead,
        "wait_minutes": place.wait_minutes,
        "follow_url": request.build_absolute_uri(reverse("hall:ticket", args=[ticket.token])),
    }
