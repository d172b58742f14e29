"""Appointments (预约): slots made from a weekly schedule, special off-hours slots, bookings,
cancelling, rescheduling, reminders, no-shows and check-in (an appointment becomes a ticket).

Services (writes, one transaction each) and selectors (reads) of the booking side of the hall.

Rules, in one place:

- **Slots** are made for the next ``HallSettings.booking_days_ahead`` days (today included) from
  the category's :class:`~onewindow.hall.models.SlotTemplate` rows, by
  :func:`slots_generate` (idempotent: a slot that exists is left alone, whatever its bookings).
  A day that is not a working day in the calendar (:mod:`onewindow.workdays`: holidays, weekends
  that are not 调休 make-up days, administrators' overrides) gets no slots, and slots made
  earlier for a day that has since become a day off are closed to new bookings.
- **Make-up working days** (调休上班日: a Saturday or Sunday worked in exchange for a holiday)
  use the templates of that weekday when the category has some, otherwise the **Monday**
  templates (weekday 0): the calendar does not say which weekday such a day replaces, and a
  centre's full working-day schedule is the Monday one. Templates for Saturday or Sunday are
  therefore only used on make-up days; regular weekend service is opened as special slots.
- **Special slots** (``special=True``: 非工作日预约 / 延时服务, e.g. a Saturday morning or a weekday
  evening) are created by the centre (admin, :func:`special_slot_create`) and are bookable
  whatever the calendar says.
- **Booking** (:func:`appointment_book`) needs a signed-in applicant. ``booked`` is raised by
  one guarded ``UPDATE … SET booked = booked + 1 WHERE id = … AND booked < capacity``: the
  database decides who gets the last place, so a slot is never overbooked (a check constraint
  backs it up). One active booking per person per category per day (the person's account row
  is locked for the length of the booking, so two tabs cannot both pass the check).
- **No-shows**: a booking neither checked in nor cancelled by the slot's end plus the centre's
  late grace becomes ``no_show`` (:func:`appointments_mark_no_shows`). ``no_show_limit``
  no-shows within 90 days suspend booking for ``restriction_days`` from the day of the last of
  them; the refusal says until when.
- **Cancel / reschedule** only before the slot starts; rescheduling takes the new place first
  and frees the old one after, in one transaction (a full new slot changes nothing).
- **Check-in** (:func:`appointment_check_in`) from slot start − ``appointment_early_minutes``
  to slot end + ``appointment_late_minutes`` gives a queue ticket
  (:func:`onewindow.hall.services.ticket_take`, source ``appointment``, with the slot's start
  as ``appointment_at`` so the calling rule can serve it first).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.core import clock
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.core.identity import IdentityError, validate_mobile
from onewindow.core.masking import mask_phone
from onewindow.hall.models import (
    Appointment,
    AppointmentSlot,
    AppointmentState,
    HallSettings,
    ServiceCategory,
    SlotTemplate,
    Ticket,
    TicketSource,
)
from onewindow.hall.services import settings_for, ticket_take
from onewindow.notifications.models import Channel as NoteChannel
from onewindow.notifications.services import Message, notifications_enqueue
from onewindow.regions.models import ServiceCentre

logger = logging.getLogger(__name__)

# Appointment codes: 8 characters without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY3467"
CODE_LENGTH = 8
NO_SHOW_WINDOW_DAYS = 90
MAKE_UP_DAY_WEEKDAY = 0  # Monday: the schedule a make-up Saturday/Sunday falls back to
MAX_RANGE_DAYS = 62  # the widest date range one slot query may ask for
WEEKDAYS = "一二三四五六日"
FOLLOW_PATH = "/hall/appointments/t/{token}/"

ACTIVE_STATES = (AppointmentState.BOOKED, AppointmentState.CHECKED_IN)


# --- small helpers ------------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{12,24}$")
_FOLLOW_RE = re.compile(r"/hall/appointments/t/([A-Za-z0-9_-]{12,24})/?")


def normalise_code(value: str) -> str:
    """What a person typed or a scanner read, as a code: upper case, no spaces or dashes."""
    return re.sub(r"[\s\-－]", "", value or "").upper()


def tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


def slot_start(slot: AppointmentSlot) -> dt.datetime:
    """The slot's start as an aware datetime in the platform's zone."""
    return dt.datetime.combine(slot.day, slot.starts, tzinfo=tz())


def slot_end(slot: AppointmentSlot) -> dt.datetime:
    return dt.datetime.combine(slot.day, slot.ends, tzinfo=tz())


def weekday_label(day: dt.date) -> str:
    return "周" + WEEKDAYS[day.weekday()]


def slot_label(slot: AppointmentSlot) -> str:
    """``11月25日（周三）09:00-10:00``."""
    return (f"{slot.day.month}月{slot.day.day}日（{weekday_label(slot.day)}）"
            f"{slot.starts:%H:%M}-{slot.ends:%H:%M}")


def follow_path(appointment: Appointment) -> str:
    return FOLLOW_PATH.format(token=appointment.token)


def _is_workday(day: dt.date) -> bool:
    from onewindow.workdays.selectors import is_workday

    try:
        return is_workday(day)
    except ValueError:  # outside the calendar's years: treat as an ordinary week
        return day.weekday() < 5


def _day_off_name(day: dt.date) -> str:
    from onewindow.workdays.selectors import get_calendar

    try:
        return get_calendar().holiday_name(day) or ""
    except ValueError:
        return ""


def template_weekday(day: dt.date, available: Iterable[int]) -> int | None:
    """Which weekday's templates make the slots of ``day`` (None: no slots that day)."""
    if not _is_workday(day):
        return None
    weekday = day.weekday()
    if weekday < 5:
        return weekday
    # A make-up working day (调休上班): its own weekend templates if any, else Monday's.
    return weekday if weekday in set(available) else MAKE_UP_DAY_WEEKDAY


def booking_horizon(rules: HallSettings, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """First and last day open for booking (today included)."""
    first = today or clock.today()
    return first, first + dt.timedelta(days=max(1, rules.booking_days_ahead) - 1)


# --- slot generation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerateResult:
    created: int
    closed: int


def slots_generate(
    *,
    centre: ServiceCentre | None = None,
    category: ServiceCategory | None = None,
    start: dt.date | None = None,
) -> GenerateResult:
    """Make the slots of the next ``booking_days_ahead`` days from the templates (idempotent).

    Existing slots are never changed (their bookings stand); template slots on a day that has
    become a day off since they were made are closed to new bookings (``is_open=False``).
    """
    categories = ServiceCategory.objects.filter(
        is_active=True, appointable=True, centre__is_active=True
    ).select_related("centre")
    if centre is not None:
        categories = categories.filter(centre=centre)
    if category is not None:
        categories = categories.filter(pk=category.pk)
    cats = list(categories)
    templates: dict[int, dict[int, list[SlotTemplate]]] = {}
    for t in SlotTemplate.objects.filter(category__in=cats).order_by("weekday", "starts"):
        templates.setdefault(t.category_id, {}).setdefault(t.weekday, []).append(t)
    rules_by_centre: dict[int, HallSettings] = {}
    first = start or clock.today()
    rows: list[AppointmentSlot] = []
    close_q = Q(pk__in=[])
    for cat in cats:
        rules = rules_by_centre.setdefault(cat.centre_id, settings_for(cat.centre_id))
        _, last = booking_horizon(rules, first)
        by_weekday = templates.get(cat.pk, {})
        off_days = []
        day = first
        while day <= last:
            weekday = template_weekday(day, by_weekday)
            if weekday is None:
                off_days.append(day)
            else:
                for t in by_weekday.get(weekday, []):
                    if t.starts < t.ends and t.capacity > 0:
                        rows.append(AppointmentSlot(
                            category_id=cat.pk, day=day, starts=t.starts, ends=t.ends,
                            capacity=t.capacity,
                        ))
            day += dt.timedelta(days=1)
        if off_days:
            close_q |= Q(category_id=cat.pk, day__in=off_days)
    with transaction.atomic():
        existing = set(
            AppointmentSlot.objects.filter(
                category__in=cats, day__gte=first,
                day__lte=first + dt.timedelta(days=max(
                    [r.booking_days_ahead for r in rules_by_centre.values()] or [1])),
            ).values_list("category_id", "day", "starts")
        )
        new = [r for r in rows if (r.category_id, r.day, r.starts) not in existing]
        # ignore_conflicts: a second run at the same moment adds nothing either.
        AppointmentSlot.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        closed = AppointmentSlot.objects.filter(close_q, special=False, is_open=True).update(
            is_open=False
        )
    return GenerateResult(created=len(new), closed=closed)


def special_slot_create(
    *,
    actor: Any,
    category: ServiceCategory,
    day: dt.date,
    starts: dt.time,
    ends: dt.time,
    capacity: int,
    note: str = "",
) -> AppointmentSlot:
    """Open a special slot (非工作日预约 / 延时服务): evenings, weekends, holidays."""
    access.require(actor, Perm.HALL_MANAGE, region=category.centre.region)
    errors: dict[str, list[str]] = {}
    if not starts < ends:
        errors["ends"] = [_("结束时间应晚于开始时间。")]
    if capacity < 1:
        errors["capacity"] = [_("名额至少为 1。")]
    if day < clock.today():
        errors["day"] = [_("不能开放已过去的日期。")]
    if len(note) > 100:
        errors["note"] = [_("请不超过100个字。")]
    if errors:
        raise ValidationFailed(_("时段设置有误，请检查后重试。"), field_errors=errors)
    try:
        with transaction.atomic():
            return AppointmentSlot.objects.create(
                category=category, day=day, starts=starts, ends=ends, capacity=capacity,
                special=True, note=note.strip(),
            )
    except IntegrityError as exc:
        message = _("该业务类别在这一天的这个开始时间已有时段。")
        raise Conflict(message, code="slot_exists", field_errors={"starts": [message]}) from exc


def slot_update(
    *, actor: Any, slot: AppointmentSlot, capacity: int, is_open: bool, note: str = "",
    ends: dt.time | None = None,
) -> AppointmentSlot:
    """Change a slot's capacity, opening or note; never below the places already booked (one
    guarded UPDATE, so a booking made meanwhile is not overwritten)."""
    access.require(actor, Perm.HALL_MANAGE, region=slot.category.centre.region)
    ends = ends or slot.ends
    if not slot.starts < ends:
        raise ValidationFailed(_("结束时间应晚于开始时间。"),
                               field_errors={"ends": [_("结束时间应晚于开始时间。")]})
    changed = AppointmentSlot.objects.filter(pk=slot.pk, booked__lte=capacity).update(
        capacity=capacity, is_open=is_open, note=note.strip()[:100], ends=ends
    )
    slot.refresh_from_db()
    if not changed:
        message = _("已有 %(n)d 人预约，名额不能少于已约人数。") % {"n": slot.booked}
        raise Conflict(message, code="below_booked", field_errors={"capacity": [message]})
    return slot


# --- reads for booking --------------------------------------------------------------------------


@dataclass(frozen=True)
class DayInfo:
    """One day of the booking calendar."""

    day: dt.date
    weekday: str
    free: int
    capacity: int
    status: str  # open / full / closed / none / past
    reason: str  # why it cannot be booked (节假日 · 国庆节, 休息日, 已约满 …)
    special: bool  # has special (off-hours) slots
    holiday: str = ""  # the holiday's name (国庆节 …) when the day is one

    @property
    def bookable(self) -> bool:
        return self.status == "open"


def centres_with_appointments() -> list[ServiceCentre]:
    """Active centres that have at least one active, appointable category."""
    return list(
        ServiceCentre.objects.filter(
            is_active=True, categories__is_active=True, categories__appointable=True
        ).select_related("region").distinct().order_by("region__code", "name")
    )


def appointable_categories(centre: ServiceCentre) -> list[ServiceCategory]:
    return list(
        ServiceCategory.objects.filter(centre=centre, is_active=True, appointable=True)
        .order_by("sort_order", "letter")
    )


def category_for_booking(*, centre_id: int, category_id: int) -> ServiceCategory:
    """An active, appointable category of an active centre (NotFound otherwise)."""
    found = (
        ServiceCategory.objects.select_related("centre__region")
        .filter(pk=category_id, centre_id=centre_id, is_active=True, appointable=True,
                centre__is_active=True).first()
    )
    if found is None:
        raise NotFound(_("没有找到可预约的业务类别。"), code="category_not_found")
    return found


def _bookable_now_q(now: dt.datetime) -> Q:
    """Slots that have not started yet (today's later slots, any slot of a later day)."""
    local = now.astimezone(tz())
    return Q(day__gt=local.date()) | Q(day=local.date(), starts__gt=local.time())


def open_slots(
    *, category: ServiceCategory, start: dt.date, end: dt.date
) -> QuerySet[AppointmentSlot]:
    """The category's slots between two days (inclusive) that can still be booked or are full:
    open, not started, within the booking horizon, on a working day or special."""
    rules = settings_for(category.centre_id)
    first, last = booking_horizon(rules)
    start, end = max(start, first), min(end, last)
    return (
        AppointmentSlot.objects.filter(category=category, is_open=True, day__gte=start,
                                       day__lte=end)
        .filter(_bookable_now_q(clock.now()))
        .order_by("day", "starts")
    )


def booking_calendar(*, category: ServiceCategory) -> list[DayInfo]:
    """The next ``booking_days_ahead`` days: free places, or why a day is closed."""
    rules = settings_for(category.centre_id)
    first, last = booking_horizon(rules)
    slots = open_slots(category=category, start=first, end=last)
    by_day: dict[dt.date, Any] = {}
    for row in slots.order_by().values("day").annotate(
        capacity=Sum("capacity"), booked=Sum("booked"),
        special=Count("id", filter=Q(special=True)),
    ):
        by_day[row["day"]] = row
    out: list[DayInfo] = []
    day = first
    while day <= last:
        found = by_day.get(day)
        if found:
            free = int(found["capacity"]) - int(found["booked"])
            status, reason = ("open", "") if free > 0 else ("full", _("已约满"))
            out.append(DayInfo(day, weekday_label(day), free, int(found["capacity"]), status,
                               reason, bool(found["special"])))
        elif not _is_workday(day):
            name = _day_off_name(day)
            reason = (_("节假日 · %(name)s") % {"name": name}) if name else _("休息日")
            out.append(DayInfo(day, weekday_label(day), 0, 0, "closed", reason, False, name))
        else:
            out.append(DayInfo(day, weekday_label(day), 0, 0, "none", _("不开放预约"), False))
        day += dt.timedelta(days=1)
    return out


def slots_of_day(*, category: ServiceCategory, day: dt.date) -> list[AppointmentSlot]:
    return list(open_slots(category=category, start=day, end=day))


def appointments_of(user: Any) -> QuerySet[Appointment]:
    """A person's appointments, upcoming first then the past ones (newest first)."""
    if not getattr(user, "is_authenticated", False):
        return Appointment.objects.none()
    return (
        Appointment.objects.filter(user=user)
        .select_related("slot__category__centre")
        .order_by("-slot__day", "-slot__starts", "-id")
    )


def appointment_for_user(*, user: Any, token: str) -> Appointment:
    """One of the user's appointments by its token; another's is the same 404 as none."""
    if not getattr(user, "is_authenticated", False) or not _TOKEN_RE.match(token or ""):
        raise NotFound(_("没有找到这个预约。"), code="appointment_not_found")
    found = appointments_of(user).filter(token=token).first()
    if found is None:
        raise NotFound(_("没有找到这个预约。"), code="appointment_not_found")
    return found


def appointment_by_token(token: str) -> Appointment:
    """The public follow page (the address in the booking's QR code)."""
    if not _TOKEN_RE.match(token or ""):
        raise NotFound(_("没有找到这个预约。"), code="appointment_not_found")
    found = (
        Appointment.objects.select_related("slot__category__centre")
        .filter(token=token).first()
    )
    if found is None:
        raise NotFound(_("没有找到这个预约。"), code="appointment_not_found")
    return found


def appointment_ticket(appointment: Appointment) -> Ticket | None:
    return Ticket.objects.filter(appointment=appointment).select_related("category").first()


def can_change(appointment: Appointment, now: dt.datetime | None = None) -> bool:
    """Whether the holder may still cancel or reschedule (booked, slot not started)."""
    return (appointment.state == AppointmentState.BOOKED
            and (now or clock.now()) < slot_start(appointment.slot))


# --- no-show restriction ------------------------------------------------------------------------


def restricted_until(*, user: Any, rules: HallSettings, today: dt.date | None = None
                     ) -> dt.date | None:
    """The last day (inclusive) the person may not book, or None when they may.

    ``no_show_limit`` no-shows whose days lie within 90 days of each other suspend booking for
    ``restriction_days`` counted from the day of the last of them.
    """
    if not rules.no_show_limit:
        return None
    today = today or clock.today()
    since = today - dt.timedelta(days=NO_SHOW_WINDOW_DAYS + rules.restriction_days)
    days = sorted(
        Appointment.objects.filter(
            user=user, state=AppointmentState.NO_SHOW, slot__day__gte=since
        ).values_list("slot__day", flat=True)
    )
    limit = rules.no_show_limit
    until: dt.date | None = None
    for i in range(limit - 1, len(days)):
        if (days[i] - days[i - limit + 1]).days < NO_SHOW_WINDOW_DAYS:
            end = days[i] + dt.timedelta(days=rules.restriction_days - 1)
            until = end if until is None or end > until else until
    return until if until is not None and until >= today else None


def _require_not_restricted(user: Any, rules: HallSettings) -> None:
    until = restricted_until(user=user, rules=rules)
    if until is not None:
        raise Conflict(
            _("您近 %(w)d 天内已爽约 %(n)d 次，%(y)d年%(m)d月%(d)d日（含）前暂停网上预约。"
              "如需办理，可到大厅现场取号。")
            % {"w": NO_SHOW_WINDOW_DAYS, "n": rules.no_show_limit, "y": until.year,
               "m": until.month, "d": until.day},
            code="booking_restricted",
        )


# --- booking ------------------------------------------------------------------------------------


def _require_applicant(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("预约请先登录。"), code="login_required")


def _slot_for_booking(slot_id: int) -> AppointmentSlot:
    slot = (
        AppointmentSlot.objects.select_related("category__centre").filter(pk=slot_id).first()
    )
    if slot is None:
        raise NotFound(_("没有找到这个预约时段。"), code="slot_not_found")
    return slot


def _check_bookable(slot: AppointmentSlot, now: dt.datetime) -> HallSettings:
    category = slot.category
    if not (category.is_active and category.appointable and category.centre.is_active):
        raise NotFound(_("没有找到这个预约时段。"), code="slot_not_found")
    rules = settings_for(category.centre_id)
    first, last = booking_horizon(rules)
    if not slot.is_open or not (slot.special or _is_workday(slot.day)):
        raise Conflict(_("该时段已停止预约，请选择其他时段。"), code="slot_closed")
    if now >= slot_start(slot):
        raise Conflict(_("该时段已开始，请选择其他时段。"), code="slot_started")
    if slot.day > last:
        raise Conflict(
            _("只能预约 %(n)d 天内的时段。") % {"n": rules.booking_days_ahead},
            code="slot_too_far",
        )
    return rules


def _take_place(slot_id: int) -> None:
    """The one guarded UPDATE: a place is taken only while one is free."""
    taken = AppointmentSlot.objects.filter(
        pk=slot_id, is_open=True, booked__lt=F("capacity")
    ).update(booked=F("booked") + 1)
    if not taken:
        raise Conflict(_("该时段已约满，请选择其他时段。"), code="slot_full")


def _free_place(slot_id: int) -> None:
    AppointmentSlot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _locked(qs: QuerySet[Any]) -> QuerySet[Any]:
    """``SELECT … FOR UPDATE`` of the rows themselves only, not of the rows joined to them (a
    category or centre locked by every booking would make unrelated bookings wait and
    deadlock)."""
    if connection.features.has_select_for_update_of:
        return qs.select_for_update(of=("self",))
    return qs.select_for_update()


def _lock_person(user: Any) -> None:
    """Serialise one person's bookings (the one-per-category-per-day rule is checked after)."""
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))


def _require_one_per_day(user: Any, slot: AppointmentSlot, *, exclude: int | None = None
                         ) -> None:
    qs = Appointment.objects.filter(
        user=user, state__in=ACTIVE_STATES, slot__category_id=slot.category_id,
        slot__day=slot.day,
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise Conflict(
            _("您在 %(day)s 已预约过“%(cat)s”，同一业务每天只能预约一次。")
            % {"day": f"{slot.day.month}月{slot.day.day}日", "cat": slot.category.name},
            code="already_booked",
        )


def _clean_booking_input(user: Any, name: str, mobile: str, item_name: str
                         ) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip() or (getattr(user, "display_name", "") or "").strip()
    if not name:
        errors["name"] = [_("请填写姓名。")]
    elif len(name) > 50:
        errors["name"] = [_("姓名请不超过50个字。")]
    mobile = (mobile or "").strip() or (getattr(user, "phone", "") or "")
    if not mobile:
        errors["mobile"] = [_("请填写手机号码，用于接收预约提醒。")]
    else:
        try:
            mobile = validate_mobile(mobile)
        except IdentityError as exc:
            errors["mobile"] = [str(exc)]
    item_name = (item_name or "").strip()
    if len(item_name) > 200:
        errors["item_name"] = [_("办理事项请不超过200个字。")]
    if errors:
        raise ValidationFailed(_("预约信息有误，请检查后重试。"), field_errors=errors)
    return name, mobile, item_name


def appointment_book(
    *,
    user: Any,
    slot: AppointmentSlot | int,
    name: str = "",
    mobile: str = "",
    item_name: str = "",
) -> Appointment:
    """Book one place of ``slot`` for the signed-in ``user`` (预约)."""
    _require_applicant(user)
    name, mobile, item_name = _clean_booking_input(user, name, mobile, item_name)
    slot_id = slot if isinstance(slot, int) else slot.pk
    now = clock.now()
    with transaction.atomic():
        found = _slot_for_booking(slot_id)
        rules = _check_bookable(found, now)
        _lock_person(user)
        _require_not_restricted(user, rules)
        _require_one_per_day(user, found)
        _take_place(found.pk)
        appointment = _create_with_code(
            slot=found, user=user, name=name, mobile=mobile, item_name=item_name
        )
        _notify(appointment, found, kind="booked", at=now)
    logger.info("appointment %s booked slot %s for %s", appointment.code, found.pk,
                mask_phone(mobile))
    return appointment


def _create_with_code(**fields: Any) -> Appointment:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Appointment.objects.create(code=new_code(), **fields)
        except IntegrityError:  # a code (or token) drawn twice: draw again
            continue
    raise Conflict(_("预约失败，请重试。"), code="code_taken")


def appointment_cancel(*, user: Any, appointment: Appointment) -> Appointment:
    """The holder cancels before the slot starts; the place is free again."""
    _require_applicant(user)
    with transaction.atomic():
        locked = (
            _locked(Appointment.objects.select_related("slot__category__centre"))
            .filter(pk=appointment.pk, user=user).first()
        )
        if locked is None:
            raise NotFound(_("没有找到这个预约。"), code="appointment_not_found")
        if locked.state != AppointmentState.BOOKED:
            raise Conflict(
                _("该预约%(state)s，不能取消。") % {"state": locked.get_state_display()},
                code="not_cancellable",
            )
        now = clock.now()
        if now >= slot_start(locked.slot):
            raise Conflict(_("预约时段已开始，不能取消。"), code="slot_started")
        locked.state = AppointmentState.CANCELLED
        locked.cancelled_at = now
        locked.save(update_fields=["state", "cancelled_at", "updated_at"])
        _free_place(locked.slot_id)
    return locked


def appointment_reschedule(
    *, user: Any, appointment: Appointment, slot: AppointmentSlot | int
) -> Appointment:
    """Move a booking to another slot of the same category (改约).

    The new place is taken before the old one is freed, in one transaction: when the new slot
    is full (or anything else fails) the booking stays as it was.
    """
    _require_applicant(user)
    slot_id = slot if isinstance(slot, int) else slot.pk
    now = clock.now()
    with transaction.atomic():
        _lock_person(user)
        locked = (
            _locked(Appointment.objects.select_related("slot__category__centre"))
            .filter(pk=appointment.pk, user=user).first()
        )
        if locked is None:
            raise NotFound(_("没有找到这个预约。"), code="appointment_not_found")
        if locked.state != AppointmentState.BOOKED:
            raise Conflict(
                _("该预约%(state)s，不能改约。") % {"state": locked.get_state_display()},
                code="not_reschedulable",
            )
        if now >= slot_start(locked.slot):
            raise Conflict(_("预约时段已开始，不能改约。"), code="slot_started")
        new = _slot_for_booking(slot_id)
        if new.pk == locked.slot_id:
            raise Conflict(_("新时段与原时段相同。"), code="same_slot")
        if new.category_id != locked.slot.category_id:
            message = _("只能改约到同一业务类别的其他时段；其他业务请另行预约。")
            raise ValidationFailed(message, field_errors={"slot": [message]})
        _check_bookable(new, now)
        _require_one_per_day(user, new, exclude=locked.pk)
        old_id = locked.slot_id
        # Both rows locked in key order: two people swapping slots never deadlock.
        list(AppointmentSlot.objects.select_for_update().filter(pk__in=[old_id, new.pk])
             .order_by("pk").values_list("pk"))
        _take_place(new.pk)
        _free_place(old_id)
        locked.slot = new
        locked.reminded_at = None
        locked.save(update_fields=["slot", "reminded_at", "updated_at"])
        _notify(locked, new, kind="moved", at=now)
    return locked


# --- notifications ------------------------------------------------------------------------------


def _notify(appointment: Appointment, slot: AppointmentSlot, *, kind: str, at: dt.datetime
            ) -> None:
    centre = slot.category.centre
    what = {"centre": centre.name, "cat": slot.category.name, "when": slot_label(slot),
            "code": appointment.code}
    if kind == "booked":
        subject = _("预约成功")
        body = _("【一窗通】您已预约%(centre)s“%(cat)s”%(when)s，预约码 %(code)s。"
                 "请按时到大厅凭预约码或手机号签到取号。") % what
        key = f"appt:{appointment.pk}:booked"
    elif kind == "moved":
        subject = _("预约已改约")
        body = _("【一窗通】您的预约已改到%(centre)s“%(cat)s”%(when)s，"
                 "预约码 %(code)s 不变。") % what
        key = f"appt:{appointment.pk}:moved:{slot.pk}:{at:%Y%m%d%H%M%S%f}"
    else:  # reminder
        subject = _("预约提醒")
        body = _("【一窗通】提醒：您预约了明天%(when)s到%(centre)s办理“%(cat)s”，预约码 "
                 "%(code)s。请按时到厅签到；不能前往请提前取消。") % what
        key = f"appt:{appointment.pk}:remind:{slot.pk}"
    link = follow_path(appointment)
    messages = [Message(channel=NoteChannel.SMS, phone=appointment.mobile, body=body,
                        dedupe_key=key + ":sms", link=link)]
    if appointment.user_id:
        messages.append(Message(channel=NoteChannel.IN_APP, user_id=appointment.user_id,
                                subject=f"{subject}：{slot_label(slot)}", body=body, link=link,
                                dedupe_key=key + ":app"))
    notifications_enqueue(messages=messages)


# --- periodic jobs ------------------------------------------------------------------------------


def appointments_remind(*, today: dt.date | None = None) -> int:
    """SMS the day before to every booking of tomorrow not reminded yet (idempotent: each
    booking is marked ``reminded_at`` in the same transaction as its message, and the message
    has a dedupe key)."""
    today = today or clock.today()
    tomorrow = today + dt.timedelta(days=1)
    sent = 0
    pending = (
        Appointment.objects.filter(state=AppointmentState.BOOKED, reminded_at__isnull=True,
                                   slot__day=tomorrow)
        .select_related("slot__category__centre").order_by("id")
    )
    for appointment in pending.iterator(chunk_size=500):
        now = clock.now()
        with transaction.atomic():
            claimed = Appointment.objects.filter(
                pk=appointment.pk, state=AppointmentState.BOOKED, reminded_at__isnull=True,
                slot_id=appointment.slot_id,
            ).update(reminded_at=now)
            if claimed:
                _notify(appointment, appointment.slot, kind="remind", at=now)
                sent += 1
    return sent


def appointments_mark_no_shows(*, now: dt.datetime | None = None) -> int:
    """Bookings neither checked in nor cancelled by slot end + the centre's late grace become
    no-shows (爽约). Idempotent."""
    now = now or clock.now()
    today = now.astimezone(tz()).date()
    rules: dict[int, HallSettings] = {}
    due: list[int] = []
    candidates = Appointment.objects.filter(
        state=AppointmentState.BOOKED, slot__day__lte=today
    ).values_list("pk", "slot__day", "slot__ends", "slot__category__centre_id")
    for pk, day, ends, centre_id in candidates.iterator(chunk_size=1000):
        grace = rules.setdefault(centre_id, settings_for(centre_id)).appointment_late_minutes
        end = dt.datetime.combine(day, ends, tzinfo=tz())
        if end + dt.timedelta(minutes=grace) < now:
            due.append(pk)
    marked = 0
    for i in range(0, len(due), 500):
        marked += Appointment.objects.filter(
            pk__in=due[i:i + 500], state=AppointmentState.BOOKED
        ).update(state=AppointmentState.NO_SHOW, updated_at=now)
    return marked


# --- check-in: an appointment becomes a ticket --------------------------------------------------


def _find_for_check_in(*, centre: ServiceCentre, code: str, mobile: str, token: str,
                       now: dt.datetime) -> Appointment:
    base = _locked(Appointment.objects.select_related("slot__category__centre"))
    text = (code or "").strip()
    follow = _FOLLOW_RE.search(text)
    if follow:  # a scanned QR code: the follow address holds the token
        token, text = follow.group(1), ""
    if token:
        if not _TOKEN_RE.match(token):
            raise NotFound(_("没有找到该预约，请核对预约码。"), code="appointment_not_found")
        found = base.filter(token=token).first()
    elif text:
        normalised = normalise_code(text)
        if not _CODE_RE.match(normalised):
            message = _("预约码为 8 位字母和数字，请核对后重新输入。")
            raise ValidationFailed(message, field_errors={"code": [message]})
        found = base.filter(code=normalised).first()
    elif mobile:
        try:
            number = validate_mobile(mobile)
        except IdentityError as exc:
            raise ValidationFailed(str(exc), field_errors={"mobile": [str(exc)]}) from exc
        today = list(
            base.filter(mobile=number, slot__day=now.astimezone(tz()).date(),
                        slot__category__centre=centre, state=AppointmentState.BOOKED)
            .order_by("slot__starts")
        )
        if not today:
            raise NotFound(_("没有找到您今天在本中心的预约，请核对手机号码或使用预约码。"),
                           code="appointment_not_found")
        rules = settings_for(centre.pk)
        early = dt.timedelta(minutes=rules.appointment_early_minutes)
        late = dt.timedelta(minutes=rules.appointment_late_minutes)
        current = [a for a in today
                   if slot_start(a.slot) - early <= now <= slot_end(a.slot) + late]
        upcoming = [a for a in today if now < slot_start(a.slot) - early]
        found = (current or upcoming or today)[0]
    else:
        message = _("请输入预约码或预约时填写的手机号码。")
        raise ValidationFailed(message, field_errors={"code": [message]})
    if found is None:
        raise NotFound(_("没有找到该预约，请核对预约码。"), code="appointment_not_found")
    return found


def appointment_check_in(
    *,
    centre: ServiceCentre,
    code: str = "",
    mobile: str = "",
    token: str = "",
    actor: Any = None,
) -> Ticket:
    """签到取号: the holder arrives; the appointment becomes a queue ticket.

    ``code`` is the 8-character appointment code (or what a scanner read from the booking's QR
    code), ``mobile`` the number given when booking (today's booking at this centre), ``token``
    the booking's token. Allowed from slot start − ``appointment_early_minutes`` until slot
    end + ``appointment_late_minutes``.
    """
    now = clock.now()
    with transaction.atomic():
        appointment = _find_for_check_in(centre=centre, code=code, mobile=mobile, token=token,
                                         now=now)
        slot = appointment.slot
        category = slot.category
        if category.centre_id != centre.pk:
            raise Conflict(
                _("该预约不在本中心办理，请到“%(centre)s”签到。")
                % {"centre": category.centre.name},
                code="other_centre",
            )
        if appointment.state == AppointmentState.CANCELLED:
            raise Conflict(_("该预约已取消，请重新预约或现场取号。"), code="appointment_cancelled")
        if appointment.state == AppointmentState.CHECKED_IN:
            ticket = appointment_ticket(appointment)
            raise Conflict(
                _("该预约已签到，您的号码是 %(n)s。") % {"n": ticket.number if ticket else "—"},
                code="already_checked_in",
            )
        if appointment.state == AppointmentState.NO_SHOW:
            raise Conflict(_("该预约已过期（未按时签到），请现场取号。"), code="too_late")
        rules = settings_for(centre.pk)
        start, end = slot_start(slot), slot_end(slot)
        opens = start - dt.timedelta(minutes=rules.appointment_early_minutes)
        closes = end + dt.timedelta(minutes=rules.appointment_late_minutes)
        local_now = now.astimezone(tz())
        if now < opens:
            if local_now.date() != slot.day:
                message = _("您的预约时间是 %(when)s，请在预约当天到厅签到。") % {
                    "when": slot_label(slot)}
            else:
                message = _("您的预约时间是 %(when)s，请于 %(opens)s 后签到。") % {
                    "when": slot_label(slot), "opens": f"{opens.astimezone(tz()):%H:%M}"}
            raise Conflict(message, code="too_early")
        if now > closes:
            raise Conflict(
                _("已超过预约签到时间（%(closes)s），请现场取号。")
                % {"closes": f"{closes.astimezone(tz()):%m月%d日 %H:%M}"},
                code="too_late",
            )
        ticket = ticket_take(
            centre=centre, category=category, source=TicketSource.APPOINTMENT,
            mobile=appointment.mobile, appointment_id=appointment.pk, appointment_at=start,
            actor=actor,
        )
        appointment.state = AppointmentState.CHECKED_IN
        appointment.checked_in_at = now
        appointment.save(update_fields=["state", "checked_in_at", "updated_at"])
    return ticket


# --- demo data ----------------------------------------------------------------------------------

DEMO_PERIODS = (
    (dt.time(9, 0), dt.time(10, 0)), (dt.time(10, 0), dt.time(11, 0)),
    (dt.time(11, 0), dt.time(12, 0)), (dt.time(13, 30), dt.time(14, 30)),
    (dt.time(14, 30), dt.time(15, 30)), (dt.time(15, 30), dt.time(16, 30)),
    (dt.time(16, 30), dt.time(17, 30)),
)


def load_demo_appointments(*, capacity: int = 6) -> GenerateResult:
    """Slot templates (Monday–Friday, hourly, ``capacity`` places) for every active appointable
    category that has none yet, one evening 延时服务 slot on Thursdays and a Saturday-morning
    special slot next week, then the slots of the coming days. Idempotent."""
    today = clock.today()
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7)
    with transaction.atomic():
        rows = []
        categories = list(ServiceCategory.objects.filter(
            is_active=True, appointable=True, centre__is_active=True))
        for cat in categories:
            if SlotTemplate.objects.filter(category=cat).exists():
                continue
            for weekday in range(5):
                for starts, ends in DEMO_PERIODS:
                    rows.append(SlotTemplate(category=cat, weekday=weekday, starts=starts,
                                             ends=ends, capacity=capacity))
            rows.append(SlotTemplate(category=cat, weekday=3, starts=dt.time(17, 30),
                                     ends=dt.time(19, 0), capacity=max(2, capacity // 2)))
        SlotTemplate.objects.bulk_create(rows)
        specials = [
            AppointmentSlot(category=cat, day=saturday, starts=dt.time(9, 0),
                            ends=dt.time(12, 0), capacity=capacity * 2, special=True,
                            note="周末不打烊 · 非工作日预约")
            for cat in categories
        ]
        AppointmentSlot.objects.bulk_create(specials, ignore_conflicts=True)
    return slots_generate()
