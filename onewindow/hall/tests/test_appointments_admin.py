"""Appointment admin screens: scoped to the centres of the user's region (hall.manage); special
slots are added here; capacity never goes below the bookings; bookings are read-only and
masked; the periodic jobs are thin wrappers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onewindow.accounts.models import Role
from onewindow.hall import tasks
from onewindow.hall.models import Appointment, AppointmentSlot, AppointmentState, SlotTemplate
from onewindow.hall.tests.test_appointments import (
    MONDAY,
    NINE,
    Booking,
    at,
    booking,
    move_to,
)

pytestmark = pytest.mark.django_db
booking = booking  # the fixture, re-exported for this module

SLOTS = "/admin/hall/appointmentslot/"
TEMPLATES = "/admin/hall/slottemplate/"
BOOKINGS = "/admin/hall/appointment/"


def staff(client: Any, user: Any) -> Any:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.logout()
    client.force_login(user)
    return client


@pytest.fixture
def other_admin(booking: Booking, make_staff: Any) -> Any:
    return make_staff(Role.ADMIN, booking.hall.regions["d2"], username="admin_d2")


def test_a_manager_adds_a_special_slot_on_a_holiday_and_it_is_bookable(client, booking):
    c = staff(client, booking.hall.admin)
    assert c.get(f"{SLOTS}add/").status_code == 200
    r = c.post(f"{SLOTS}add/", {
        "category": booking.hall.general.pk, "day": "2026-10-03", "starts": "09:00",
        "ends": "12:00", "capacity": "10", "note": "国庆假期预约服务",
    })
    assert r.status_code == 302, r.content.decode()[:2000]
    slot = AppointmentSlot.objects.get(day=dt.date(2026, 10, 3))
    assert slot.special and slot.capacity == 10 and slot.is_open
    from onewindow.hall import appointments as appt

    assert appt.appointment_book(user=booking.applicant, slot=slot).pk


def test_bad_special_slots_are_refused_beside_their_field(client, booking):
    c = staff(client, booking.hall.admin)
    base = {"category": booking.hall.general.pk, "day": "2026-10-03", "starts": "09:00",
            "ends": "08:00", "capacity": "0"}
    r = c.post(f"{SLOTS}add/", base)
    assert r.status_code == 200
    text = r.content.decode()
    assert "结束时间应晚于开始时间" in text and "名额至少为 1" in text
    r = c.post(f"{SLOTS}add/", {**base, "day": "2026-09-01", "ends": "10:00", "capacity": "3"})
    assert "不能开放已过去的日期" in r.content.decode()
    # the same start as an existing slot of that category and day
    r = c.post(f"{SLOTS}add/", {**base, "day": MONDAY.isoformat(), "ends": "10:00",
                                "capacity": "3"})
    assert r.status_code == 200
    assert not AppointmentSlot.objects.filter(special=True).exists()


def test_capacity_cannot_go_below_the_bookings_and_booked_is_never_overwritten(client,
                                                                              booking):
    slot = booking.slot(MONDAY, NINE)
    booking.book(slot)
    booking.book(slot, booking.other)
    c = staff(client, booking.hall.admin)
    url = f"{SLOTS}{slot.pk}/change/"
    assert c.get(url).status_code == 200
    r = c.post(url, {"ends": "10:00", "capacity": "1", "is_open": "on", "note": ""})
    assert r.status_code == 200 and "名额不能少于已约人数" in r.content.decode()
    r = c.post(url, {"ends": "10:30", "capacity": "4", "note": "加号"})
    assert r.status_code == 302
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked, slot.is_open, slot.note) == (4, 2, False, "加号")
    assert slot.ends == dt.time(10, 30)
    # a slot with bookings cannot be deleted (close it instead)
    assert c.get(f"{SLOTS}{slot.pk}/delete/").status_code == 403


def test_admin_screens_are_scoped_to_the_users_region(client, booking, other_admin):
    slot = booking.slot(MONDAY)
    a = booking.book(slot)
    c = staff(client, other_admin)
    listing = c.get(SLOTS)
    assert listing.status_code == 200 and booking.hall.general.name not in listing.content.decode()
    assert c.get(f"{SLOTS}{slot.pk}/change/").status_code in (302, 403, 404)
    r = c.post(f"{SLOTS}{slot.pk}/change/", {"ends": "10:00", "capacity": "9"})
    assert r.status_code in (302, 403, 404)
    slot.refresh_from_db()
    assert slot.capacity == 2
    # the category of another district is not offered when adding
    form = c.get(f"{SLOTS}add/").content.decode()
    assert f'value="{booking.hall.general.pk}"' not in form
    assert a.code not in c.get(BOOKINGS).content.decode()
    assert "综合受理" not in c.get(TEMPLATES).content.decode()


def test_a_clerk_without_hall_manage_has_no_appointment_admin(client, booking):
    c = staff(client, booking.hall.clerk)
    for url in (SLOTS, TEMPLATES, BOOKINGS, f"{SLOTS}add/"):
        assert c.get(url).status_code == 403, url


def test_bookings_are_read_only_and_masked(client, booking):
    a = booking.book(booking.slot(MONDAY), mobile="13800138000")
    c = staff(client, booking.hall.admin)
    listing = c.get(BOOKINGS).content.decode()
    assert a.code in listing and "138****8000" in listing and "张*" in listing
    assert "13800138000" not in listing and "张三" not in listing
    detail = c.get(f"{BOOKINGS}{a.pk}/change/")
    assert detail.status_code == 200 and "13800138000" not in detail.content.decode()
    assert c.get(f"{BOOKINGS}add/").status_code == 403
    c.post(f"{BOOKINGS}{a.pk}/change/", {"state": "cancelled"})
    a.refresh_from_db()
    assert a.state == AppointmentState.BOOKED


def test_templates_validate_and_the_action_generates_slots(client, booking):
    c = staff(client, booking.hall.admin)
    r = c.post(f"{TEMPLATES}add/", {"category": booking.hall.market.pk, "weekday": "1",
                                    "starts": "10:00", "ends": "09:00", "capacity": "2"})
    assert r.status_code == 200 and "结束时间应晚于开始时间" in r.content.decode()
    r = c.post(f"{TEMPLATES}add/", {"category": booking.hall.market.pk, "weekday": "1",
                                    "starts": "09:00", "ends": "10:00", "capacity": "2"})
    assert r.status_code == 302
    template = SlotTemplate.objects.get(category=booking.hall.market)
    r = c.post(TEMPLATES, {"action": "generate_now", "_selected_action": [template.pk]})
    assert r.status_code == 302
    # Tuesdays within 14 days from Monday 28 September: the 29th only (6 October is a holiday)
    assert list(AppointmentSlot.objects.filter(category=booking.hall.market)
                .values_list("day", flat=True)) == [dt.date(2026, 9, 29)]


def test_the_periodic_jobs_wrap_the_services(booking):
    assert tasks.generate_slots.delay().get() == {"created": 0, "closed": 0}
    a = booking.book(booking.slot(dt.date(2026, 9, 29)))
    assert tasks.remind_appointments.delay().get() == 1
    assert tasks.remind_appointments.delay().get() == 0
    move_to(booking, at(dt.date(2026, 9, 29), 11))
    assert tasks.mark_no_shows.delay().get() == 1
    a.refresh_from_db()
    assert a.state == AppointmentState.NO_SHOW
    assert set(tasks.close_days.delay().get()) == {"expired", "served", "sessions"}
    assert Appointment.objects.count() == 1
