"""Appointments (预约): slots from the weekly schedule and the calendar, special off-hours slots,
booking, cancelling, rescheduling, reminders, no-shows and their restriction, check-in.

The days used: Monday 28 September 2026 is "today"; 1–7 October is the National Day holiday
(国庆节); Saturday 10 October is a make-up working day (调休上班); Sunday 11 October is off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db.models import Count
from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.hall import appointments as appt
from onewindow.hall.models import (
    Appointment,
    AppointmentSlot,
    AppointmentState,
    SlotTemplate,
    Ticket,
    TicketSource,
    TicketState,
)
from onewindow.notifications.models import Notification

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
MONDAY = dt.date(2026, 9, 28)
NINE, TEN, ELEVEN, TWO, THREE = (dt.time(9), dt.time(10), dt.time(11), dt.time(14),
                                 dt.time(15))


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


@dataclass
class Booking:
    """The hall's fixture plus a schedule for 综合受理 (A) and 社保医保 (B)."""

    hall: Any
    applicant: User
    other: User  # a second applicant

    def slot(self, day: dt.date, starts: dt.time = NINE, category: Any = None) -> AppointmentSlot:
        return AppointmentSlot.objects.get(
            category=category or self.hall.general, day=day, starts=starts
        )

    def book(self, slot: AppointmentSlot, user: User | None = None, **kw: Any) -> Appointment:
        return appt.appointment_book(user=user or self.applicant, slot=slot, **kw)


def make_schedule(category: Any) -> None:
    """Monday–Friday 09–10 and 10–11 (2 places each); Mondays also 14–15 (3 places)."""
    for weekday in range(5):
        SlotTemplate.objects.create(category=category, weekday=weekday, starts=NINE, ends=TEN,
                                    capacity=2)
        SlotTemplate.objects.create(category=category, weekday=weekday, starts=TEN,
                                    ends=ELEVEN, capacity=2)
    SlotTemplate.objects.create(category=category, weekday=0, starts=TWO, ends=THREE,
                                capacity=3)


@pytest.fixture
def booking(hall: Any) -> Any:
    with time_machine.travel(at(MONDAY, 8), tick=False) as traveller:
        make_schedule(hall.general)
        make_schedule(hall.social)
        appt.slots_generate()
        other = User.objects.create_user(username="13905391002", phone="13905391002",
                                         display_name="李四")
        b = Booking(hall=hall, applicant=hall.applicant, other=other)
        b.traveller = traveller  # type: ignore[attr-defined]
        yield b


def move_to(booking: Booking, moment: dt.datetime) -> None:
    booking.traveller.move_to(moment)  # type: ignore[attr-defined]


# --- slot generation -----------------------------------------------------------------------------


def test_slots_follow_the_calendar_holidays_closed_make_up_saturday_uses_monday(booking):
    days = dict(
        AppointmentSlot.objects.filter(category=booking.hall.general)
        .values_list("day").annotate(n=Count("id"))
    )
    # Today (Monday): 3 slots; Tuesday 29, Wednesday 30: 2 each.
    assert days[MONDAY] == 3 and days[dt.date(2026, 9, 29)] == 2
    # The National Day holiday has no slots at all.
    for d in range(1, 8):
        assert dt.date(2026, 10, d) not in days
    # Saturday 10 October is worked (调休): Monday's schedule, with its afternoon slot.
    assert days[dt.date(2026, 10, 10)] == 3
    assert booking.slot(dt.date(2026, 10, 10), TWO).capacity == 3
    # Sunday 11 October is off; 14 days ahead ends on 11 October.
    assert dt.date(2026, 10, 11) not in days
    assert max(days) == dt.date(2026, 10, 10)
    assert not AppointmentSlot.objects.filter(day__gt=dt.date(2026, 10, 11)).exists()


def test_generation_is_idempotent(booking):
    before = list(AppointmentSlot.objects.order_by("pk").values_list("pk", "capacity"))
    result = appt.slots_generate()
    assert result.created == 0 and result.closed == 0
    assert list(AppointmentSlot.objects.order_by("pk").values_list("pk", "capacity")) == before


def test_generation_moves_with_the_days_and_keeps_booked_slots(booking):
    slot = booking.slot(dt.date(2026, 9, 29))
    booking.book(slot)
    move_to(booking, at(dt.date(2026, 9, 29), 7))
    result = appt.slots_generate()
    assert result.created == 6  # Monday 12 October comes into range: 3 slots × 2 categories
    slot.refresh_from_db()
    assert slot.booked == 1


def test_a_day_declared_off_later_closes_its_template_slots_but_not_special_ones(booking):
    from onewindow.workdays.services import calendar_override_set

    day = dt.date(2026, 9, 30)
    special = appt.special_slot_create(actor=booking.hall.admin, category=booking.hall.general,
                                       day=day, starts=dt.time(18), ends=dt.time(20),
                                       capacity=5)
    calendar_override_set(day=day, kind="holiday", reason="台风停工")
    result = appt.slots_generate()
    assert result.closed == 4  # two slots in each of the two categories
    assert not AppointmentSlot.objects.filter(day=day, special=False, is_open=True).exists()
    with pytest.raises(Conflict) as err:
        booking.book(booking.slot(day))
    assert err.value.code == "slot_closed"
    assert booking.book(special).slot_id == special.pk


def test_calendar_shows_free_places_and_greys_holidays_with_their_reason(booking):
    days = {d.day: d for d in appt.booking_calendar(category=booking.hall.general)}
    assert len(days) == 14
    monday = days[MONDAY]
    assert monday.status == "open" and monday.free == 7 and monday.weekday == "周一"
    national = days[dt.date(2026, 10, 2)]
    assert national.status == "closed" and national.reason == "节假日 · 国庆节"
    assert days[dt.date(2026, 10, 11)].reason == "休息日"
    assert days[dt.date(2026, 10, 10)].status == "open"


def test_special_slot_on_a_holiday_is_shown_and_bookable(booking):
    holiday = dt.date(2026, 10, 3)
    slot = appt.special_slot_create(actor=booking.hall.admin, category=booking.hall.general,
                                    day=holiday, starts=NINE, ends=dt.time(12), capacity=4,
                                    note="国庆假期延时服务")
    day = {d.day: d for d in appt.booking_calendar(category=booking.hall.general)}[holiday]
    assert day.status == "open" and day.special and day.free == 4
    booked = booking.book(slot)
    assert booked.state == AppointmentState.BOOKED
    slot.refresh_from_db()
    assert slot.booked == 1


def test_special_slots_need_hall_manage_in_the_centres_region(booking):
    kw = {"category": booking.hall.general, "day": dt.date(2026, 10, 3), "starts": NINE,
          "ends": dt.time(12), "capacity": 4}
    for user in (booking.hall.clerk, booking.hall.other_clerk, booking.applicant):
        with pytest.raises(PermissionDenied):
            appt.special_slot_create(actor=user, **kw)
    with pytest.raises(ValidationFailed) as err:
        appt.special_slot_create(actor=booking.hall.admin, **{**kw, "ends": dt.time(8)})
    assert "ends" in err.value.field_errors
    assert not AppointmentSlot.objects.filter(special=True).exists()


def test_capacity_cannot_go_below_the_places_booked(booking):
    slot = booking.slot(MONDAY)
    booking.book(slot)
    booking.book(slot, booking.other)
    with pytest.raises(Conflict) as err:
        appt.slot_update(actor=booking.hall.admin, slot=slot, capacity=1, is_open=True)
    assert err.value.code == "below_booked"
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (2, 2)
    appt.slot_update(actor=booking.hall.admin, slot=slot, capacity=5, is_open=True)
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (5, 2)


# --- booking ------------------------------------------------------------------------------------


def test_booking_takes_a_place_gives_a_code_and_queues_an_sms(booking):
    slot = booking.slot(MONDAY)
    a = booking.book(slot, item_name="社会保障卡申领")
    slot.refresh_from_db()
    assert slot.booked == 1
    assert a.name == "张三" and a.mobile == "13905391001"  # defaults from the account
    assert len(a.code) == 8 and set(a.code) <= set(appt.CODE_ALPHABET)
    assert a.token and a.state == AppointmentState.BOOKED
    sms = Notification.objects.get(dedupe_key=f"appt:{a.pk}:booked:sms")
    assert sms.phone == "13905391001" and a.code in sms.body and "09:00-10:00" in sms.body
    assert Notification.objects.filter(dedupe_key=f"appt:{a.pk}:booked:app",
                                       user=booking.applicant).exists()


def test_a_full_slot_refuses_the_next_booking(booking):
    slot = booking.slot(MONDAY)
    booking.book(slot)
    booking.book(slot, booking.other)
    third = User.objects.create_user(username="13905391003", phone="13905391003",
                                     display_name="王五")
    with pytest.raises(Conflict) as err:
        booking.book(slot, third)
    assert err.value.code == "slot_full" and "约满" in err.value.message
    slot.refresh_from_db()
    assert slot.booked == 2 and Appointment.objects.count() == 2


def test_one_active_booking_per_person_per_category_per_day(booking):
    booking.book(booking.slot(MONDAY, NINE))
    with pytest.raises(Conflict) as err:
        booking.book(booking.slot(MONDAY, TEN))
    assert err.value.code == "already_booked" and "每天只能预约一次" in err.value.message
    assert booking.slot(MONDAY, TEN).booked == 0
    # another category the same day, or the same category another day: fine
    booking.book(booking.slot(MONDAY, TEN, booking.hall.social))
    booking.book(booking.slot(dt.date(2026, 9, 29), TEN))
    assert Appointment.objects.filter(user=booking.applicant).count() == 3


def test_after_cancelling_the_person_may_book_that_day_again(booking):
    first = booking.book(booking.slot(MONDAY, NINE))
    appt.appointment_cancel(user=booking.applicant, appointment=first)
    again = booking.book(booking.slot(MONDAY, TEN))
    assert again.state == AppointmentState.BOOKED


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(booking):
    nameless = User.objects.create_user(username="x1")
    with pytest.raises(ValidationFailed) as err:
        booking.book(booking.slot(MONDAY), nameless, mobile="12345", item_name="x" * 201)
    assert set(err.value.field_errors) == {"name", "mobile", "item_name"}
    assert booking.slot(MONDAY).booked == 0 and not Appointment.objects.exists()


def test_anonymous_cannot_book(booking):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied) as err:
        appt.appointment_book(user=AnonymousUser(), slot=booking.slot(MONDAY))
    assert err.value.code == "login_required"
    with pytest.raises(PermissionDenied):
        appt.appointment_book(user=None, slot=booking.slot(MONDAY))
    assert booking.slot(MONDAY).booked == 0


def test_a_started_slot_or_one_beyond_the_horizon_cannot_be_booked(booking):
    move_to(booking, at(MONDAY, 9, 1))
    with pytest.raises(Conflict) as err:
        booking.book(booking.slot(MONDAY, NINE))
    assert err.value.code == "slot_started"
    far = AppointmentSlot.objects.create(category=booking.hall.general,
                                         day=dt.date(2026, 10, 20), starts=NINE, ends=TEN,
                                         capacity=3)
    with pytest.raises(Conflict) as err:
        booking.book(far)
    assert err.value.code == "slot_too_far"
    with pytest.raises(NotFound):
        booking.book(999_999)
    assert not Appointment.objects.exists()


def test_a_category_not_open_for_appointments_cannot_be_booked(booking):
    booking.hall.general.appointable = False
    booking.hall.general.save()
    with pytest.raises(NotFound):
        booking.book(booking.slot(MONDAY))


# --- cancelling and rescheduling -------------------------------------------------------------


def test_cancelling_frees_the_place(booking):
    slot = booking.slot(MONDAY)
    a = booking.book(slot)
    appt.appointment_cancel(user=booking.applicant, appointment=a)
    a.refresh_from_db()
    slot.refresh_from_db()
    assert a.state == AppointmentState.CANCELLED and a.cancelled_at is not None
    assert slot.booked == 0
    with pytest.raises(Conflict) as err:  # twice: refused, the count is not freed again
        appt.appointment_cancel(user=booking.applicant, appointment=a)
    assert err.value.code == "not_cancellable"
    slot.refresh_from_db()
    assert slot.booked == 0


def test_no_cancelling_once_the_slot_started(booking):
    slot = booking.slot(MONDAY)
    a = booking.book(slot)
    move_to(booking, at(MONDAY, 9))
    with pytest.raises(Conflict) as err:
        appt.appointment_cancel(user=booking.applicant, appointment=a)
    assert err.value.code == "slot_started"
    a.refresh_from_db()
    assert a.state == AppointmentState.BOOKED and booking.slot(MONDAY).booked == 1


def test_another_persons_booking_is_not_found(booking):
    a = booking.book(booking.slot(MONDAY))
    with pytest.raises(NotFound):
        appt.appointment_cancel(user=booking.other, appointment=a)
    with pytest.raises(NotFound):
        appt.appointment_reschedule(user=booking.other, appointment=a,
                                    slot=booking.slot(MONDAY, TEN))
    with pytest.raises(NotFound):
        appt.appointment_for_user(user=booking.other, token=a.token)
    assert appt.appointment_for_user(user=booking.applicant, token=a.token) == a
    a.refresh_from_db()
    assert a.state == AppointmentState.BOOKED and a.slot == booking.slot(MONDAY)


def test_rescheduling_takes_the_new_place_and_frees_the_old(booking):
    old, new = booking.slot(MONDAY), booking.slot(dt.date(2026, 9, 29), TEN)
    a = booking.book(old)
    code = a.code
    appt.appointment_reschedule(user=booking.applicant, appointment=a, slot=new)
    a.refresh_from_db()
    old.refresh_from_db()
    new.refresh_from_db()
    assert a.slot_id == new.pk and a.code == code and a.state == AppointmentState.BOOKED
    assert (old.booked, new.booked) == (0, 1)
    assert Notification.objects.filter(dedupe_key__startswith=f"appt:{a.pk}:moved:").exists()


def test_rescheduling_to_a_full_slot_changes_nothing(booking):
    old, full = booking.slot(MONDAY), booking.slot(dt.date(2026, 9, 29))
    a = booking.book(old)
    for n in range(2):
        u = User.objects.create_user(username=f"1390539110{n}", phone=f"1390539110{n}",
                                     display_name="占位")
        booking.book(full, u)
    with pytest.raises(Conflict) as err:
        appt.appointment_reschedule(user=booking.applicant, appointment=a, slot=full)
    assert err.value.code == "slot_full"
    a.refresh_from_db()
    old.refresh_from_db()
    full.refresh_from_db()
    assert a.slot_id == old.pk and (old.booked, full.booked) == (1, 2)


def test_rescheduling_rules(booking):
    a = booking.book(booking.slot(MONDAY))
    with pytest.raises(ValidationFailed):  # another category: book it instead
        appt.appointment_reschedule(user=booking.applicant, appointment=a,
                                    slot=booking.slot(MONDAY, TEN, booking.hall.social))
    with pytest.raises(Conflict) as err:
        appt.appointment_reschedule(user=booking.applicant, appointment=a,
                                    slot=booking.slot(MONDAY))
    assert err.value.code == "same_slot"
    # the same day, another time: allowed (the booking itself does not count twice)
    appt.appointment_reschedule(user=booking.applicant, appointment=a,
                                slot=booking.slot(MONDAY, TEN))
    move_to(booking, at(MONDAY, 10, 5))
    with pytest.raises(Conflict) as err:
        appt.appointment_reschedule(user=booking.applicant, appointment=a,
                                    slot=booking.slot(dt.date(2026, 9, 29)))
    assert err.value.code == "slot_started"
    assert booking.slot(MONDAY, TEN).booked == 1 and booking.slot(MONDAY).booked == 0


# --- reminders -----------------------------------------------------------------------------------


def test_reminders_go_the_day_before_once(booking):
    tomorrow = booking.book(booking.slot(dt.date(2026, 9, 29)))
    later = booking.book(booking.slot(dt.date(2026, 9, 30)))
    cancelled = booking.book(booking.slot(dt.date(2026, 9, 29)), booking.other)
    appt.appointment_cancel(user=booking.other, appointment=cancelled)
    assert appt.appointments_remind() == 1
    assert appt.appointments_remind() == 0  # a second run sends nothing more
    reminders = Notification.objects.filter(dedupe_key__contains=":remind:", channel="sms")
    assert list(reminders.values_list("phone", flat=True)) == ["13905391001"]
    assert "明天" in reminders.get().body and tomorrow.code in reminders.get().body
    tomorrow.refresh_from_db()
    later.refresh_from_db()
    assert tomorrow.reminded_at is not None and later.reminded_at is None


def test_a_rescheduled_booking_is_reminded_of_its_new_day(booking):
    a = booking.book(booking.slot(dt.date(2026, 9, 29)))
    assert appt.appointments_remind() == 1
    appt.appointment_reschedule(user=booking.applicant, appointment=a,
                                slot=booking.slot(dt.date(2026, 9, 30)))
    assert appt.appointments_remind() == 0
    move_to(booking, at(dt.date(2026, 9, 29), 18))
    assert appt.appointments_remind() == 1
    assert Notification.objects.filter(dedupe_key__contains=":remind:", channel="sms").count() == 2


# --- no-shows ------------------------------------------------------------------------------------


def test_no_show_after_the_slot_end_plus_the_late_grace(booking):
    a = booking.book(booking.slot(MONDAY))  # 09:00–10:00, grace 15 minutes
    move_to(booking, at(MONDAY, 10, 15))
    assert appt.appointments_mark_no_shows() == 0
    move_to(booking, at(MONDAY, 10, 16))
    assert appt.appointments_mark_no_shows() == 1
    assert appt.appointments_mark_no_shows() == 0
    a.refresh_from_db()
    assert a.state == AppointmentState.NO_SHOW


def _past_no_show(booking: Booking, day: dt.date) -> Appointment:
    slot = AppointmentSlot.objects.create(category=booking.hall.general, day=day, starts=NINE,
                                          ends=TEN, capacity=1, booked=1)
    return Appointment.objects.create(slot=slot, user=booking.applicant, name="张三",
                                      mobile="13905391001", code=appt.new_code(),
                                      state=AppointmentState.NO_SHOW)


def test_repeated_no_shows_restrict_booking_and_the_refusal_says_until_when(booking):
    rules = booking.hall.rules  # 3 no-shows in 90 days: 30 days
    assert (rules.no_show_limit, rules.restriction_days) == (3, 30)
    for day in (dt.date(2026, 8, 3), dt.date(2026, 9, 1), dt.date(2026, 9, 21)):
        _past_no_show(booking, day)
    with pytest.raises(Conflict) as err:
        booking.book(booking.slot(MONDAY))
    assert err.value.code == "booking_restricted"
    assert "2026年10月20日（含）前暂停网上预约" in err.value.message
    assert booking.slot(MONDAY).booked == 0
    booking.book(booking.slot(MONDAY), booking.other)  # other people are not affected
    # The day after the restriction ends, booking works again.
    move_to(booking, at(dt.date(2026, 10, 21), 8))
    appt.slots_generate()
    booking.book(booking.slot(dt.date(2026, 10, 22)))


def test_no_shows_further_apart_than_90_days_do_not_restrict(booking):
    for day in (dt.date(2026, 5, 4), dt.date(2026, 8, 3), dt.date(2026, 9, 21)):
        _past_no_show(booking, day)
    assert appt.restricted_until(user=booking.applicant, rules=booking.hall.rules) is None
    booking.book(booking.slot(MONDAY))


# --- check-in ------------------------------------------------------------------------------------


def test_check_in_window_and_the_ticket_it_gives(booking):
    a = booking.book(booking.slot(MONDAY, TEN))  # 10:00–11:00: from 09:30 to 11:15
    centre = booking.hall.centre
    move_to(booking, at(MONDAY, 9, 29))
    with pytest.raises(Conflict) as err:
        appt.appointment_check_in(centre=centre, code=a.code)
    assert err.value.code == "too_early" and "09:30 后签到" in err.value.message
    move_to(booking, at(MONDAY, 9, 30))
    ticket = appt.appointment_check_in(centre=centre, code=a.code.lower())
    assert isinstance(ticket, Ticket)
    assert ticket.source == TicketSource.APPOINTMENT and ticket.state == TicketState.WAITING
    assert ticket.appointment_id == a.pk and ticket.appointment_at == at(MONDAY, 10)
    assert ticket.category == booking.hall.general and ticket.number == "A001"
    assert ticket.holder_mobile == "13905391001"
    a.refresh_from_db()
    assert a.state == AppointmentState.CHECKED_IN and a.checked_in_at == at(MONDAY, 9, 30)
    with pytest.raises(Conflict) as err:
        appt.appointment_check_in(centre=centre, code=a.code)
    assert err.value.code == "already_checked_in" and "A001" in err.value.message
    assert Ticket.objects.count() == 1
    # once checked in, neither cancelled nor marked a no-show
    move_to(booking, at(MONDAY, 12))
    assert appt.appointments_mark_no_shows() == 0


def test_check_in_too_late_or_on_another_day(booking):
    a = booking.book(booking.slot(dt.date(2026, 9, 29)))
    with pytest.raises(Conflict) as err:
        appt.appointment_check_in(centre=booking.hall.centre, code=a.code)
    assert err.value.code == "too_early" and "请在预约当天到厅签到" in err.value.message
    move_to(booking, at(dt.date(2026, 9, 29), 10, 16))
    with pytest.raises(Conflict) as err:
        appt.appointment_check_in(centre=booking.hall.centre, code=a.code)
    assert err.value.code == "too_late" and "请现场取号" in err.value.message
    assert not Ticket.objects.exists()
    a.refresh_from_db()
    assert a.state == AppointmentState.BOOKED


def test_check_in_at_another_centre_cancelled_or_unknown_is_refused(booking):
    a = booking.book(booking.slot(MONDAY))
    move_to(booking, at(MONDAY, 9))
    with pytest.raises(Conflict) as err:
        appt.appointment_check_in(centre=booking.hall.other_centre, code=a.code)
    assert err.value.code == "other_centre" and "东湖区政务服务中心" in err.value.message
    with pytest.raises(NotFound):
        appt.appointment_check_in(centre=booking.hall.centre, code="ACDEFGHJ")
    with pytest.raises(ValidationFailed):
        appt.appointment_check_in(centre=booking.hall.centre, code="12")
    with pytest.raises(ValidationFailed):
        appt.appointment_check_in(centre=booking.hall.centre)
    move_to(booking, at(MONDAY, 8))
    appt.appointment_cancel(user=booking.applicant, appointment=a)
    move_to(booking, at(MONDAY, 9))
    with pytest.raises(Conflict) as err:
        appt.appointment_check_in(centre=booking.hall.centre, code=a.code)
    assert err.value.code == "appointment_cancelled"
    assert not Ticket.objects.exists()


def test_check_in_by_mobile_or_by_the_scanned_qr_address(booking):
    a = booking.book(booking.slot(MONDAY, NINE), mobile="13800138000")
    b = booking.book(booking.slot(MONDAY, TEN), booking.other)
    move_to(booking, at(MONDAY, 8, 45))
    ticket = appt.appointment_check_in(centre=booking.hall.centre, mobile="138 0013 8000")
    assert ticket.appointment_id == a.pk
    with pytest.raises(NotFound):
        appt.appointment_check_in(centre=booking.hall.centre, mobile="13800138001")
    move_to(booking, at(MONDAY, 9, 45))
    scanned = f"https://yx.example.gov.cn{appt.follow_path(b)}"
    second = appt.appointment_check_in(centre=booking.hall.centre, code=scanned)
    assert second.appointment_id == b.pk and second.number == "A002"


def test_checked_in_appointments_are_called_before_walk_ins_by_the_calling_rule(booking):
    from onewindow.hall import services

    a = booking.book(booking.slot(MONDAY, NINE))
    move_to(booking, at(MONDAY, 8, 40))
    walk_in = services.ticket_take(centre=booking.hall.centre, category=booking.hall.general)
    ticket = appt.appointment_check_in(centre=booking.hall.centre, code=a.code)
    assert ticket.appointment_at is not None and walk_in.appointment_at is None
    services.window_sign_in(user=booking.hall.clerk, window=booking.hall.windows["01"])
    called = services.ticket_call_next(user=booking.hall.clerk)
    assert called is not None and called.pk == ticket.pk


# --- demo -------------------------------------------------------------------------------------


def test_demo_loader_makes_templates_once_and_bookable_slots(hall):
    with time_machine.travel(at(MONDAY, 8), tick=False):
        appt.load_demo_appointments()
        templates = SlotTemplate.objects.count()
        slots = AppointmentSlot.objects.count()
        appt.load_demo_appointments()
        assert SlotTemplate.objects.count() == templates > 0
        assert AppointmentSlot.objects.count() == slots > 0
        special = AppointmentSlot.objects.filter(special=True, category=hall.general).get()
        assert special.day == dt.date(2026, 10, 3) and special.day.weekday() == 5
        assert appt.appointment_book(user=hall.applicant, slot=special).pk
