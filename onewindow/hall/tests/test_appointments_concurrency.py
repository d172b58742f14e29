"""Booking under concurrency on PostgreSQL: the last places of a slot go to exactly as many
people as there are places; one person's two simultaneous bookings of a day give one; two
people swapping slots at once do not deadlock.

SQLite serialises writers and its test database lives in one connection's memory, so these run
in the PostgreSQL pass of the suite.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onewindow.accounts.models import User
from onewindow.core import clock
from onewindow.core.errors import Conflict
from onewindow.core.tests.concurrency import postgres_only, run_at_once
from onewindow.hall import appointments as appt
from onewindow.hall.models import Appointment, AppointmentSlot, AppointmentState

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PEOPLE = 40


@pytest.fixture(autouse=True)
def _postgres_only():
    postgres_only()




def special_slot(hall: Any, capacity: int, hour: int = 10) -> AppointmentSlot:
    """A slot tomorrow (special, so whatever the calendar says tomorrow is bookable)."""
    return AppointmentSlot.objects.create(
        category=hall.general, day=clock.today() + dt.timedelta(days=1),
        starts=dt.time(hour), ends=dt.time(hour + 1), capacity=capacity, special=True,
    )


def people(n: int) -> list[User]:
    return [
        User.objects.create_user(username=f"1390000{i:04d}", phone=f"1390000{i:04d}",
                                 display_name=f"申请人{i}")
        for i in range(n)
    ]


def test_forty_people_booking_the_last_five_places_at_once_never_overbook(hall):
    slot = special_slot(hall, capacity=7)
    early = people(PEOPLE + 2)
    for user in early[:2]:  # two places already gone: five are left
        appt.appointment_book(user=user, slot=slot)
    results = run_at_once([
        (lambda u=u: appt.appointment_book(user=u, slot=slot.pk)) for u in early[2:]
    ])
    wins = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 5, [r for r in results if not isinstance(r, Appointment | Conflict)]
    assert len(refused) == PEOPLE - 5 and {r.code for r in refused} == {"slot_full"}
    slot.refresh_from_db()
    assert slot.booked == slot.capacity == 7
    assert Appointment.objects.filter(slot=slot, state=AppointmentState.BOOKED).count() == 7
    assert len(set(Appointment.objects.values_list("code", flat=True))) == 7


def test_one_person_booking_two_slots_of_a_day_at_once_gets_one(hall):
    first, second = special_slot(hall, 3, 9), special_slot(hall, 3, 14)
    user = hall.applicant
    results = run_at_once([
        lambda: appt.appointment_book(user=user, slot=first.pk),
        lambda: appt.appointment_book(user=user, slot=second.pk),
    ])
    assert sum(isinstance(r, Appointment) for r in results) == 1, results
    assert [r.code for r in results if isinstance(r, Conflict)] == ["already_booked"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.booked + second.booked == 1
    assert Appointment.objects.filter(user=user).count() == 1


def test_two_people_swapping_slots_at_once_both_succeed_without_deadlock(hall):
    one, two = special_slot(hall, 2, 9), special_slot(hall, 2, 14)
    a_user, b_user = people(2)
    a = appt.appointment_book(user=a_user, slot=one)
    b = appt.appointment_book(user=b_user, slot=two)
    for _ in range(5):
        results = run_at_once([
            lambda: appt.appointment_reschedule(user=a_user, appointment=a,
                                                slot=two.pk if a.slot_id == one.pk else one.pk),
            lambda: appt.appointment_reschedule(user=b_user, appointment=b,
                                                slot=one.pk if b.slot_id == two.pk else two.pk),
        ])
        assert all(isinstance(r, Appointment) for r in results), results
        a.refresh_from_db()
        b.refresh_from_db()
        one.refresh_from_db()
        two.refresh_from_db()
        assert (one.booked, two.booked) == (1, 1) and a.slot_id != b.slot_id


def test_ten_reschedules_into_the_last_place_move_exactly_one(hall):
    crowd = people(10)
    day = clock.today() + dt.timedelta(days=1)
    own = []
    for i, user in enumerate(crowd):
        slot = AppointmentSlot.objects.create(
            category=hall.social, day=day, starts=dt.time(8, i), ends=dt.time(9), capacity=1,
            special=True,
        )
        own.append(appt.appointment_book(user=user, slot=slot))
    target = AppointmentSlot.objects.create(
        category=hall.social, day=day, starts=dt.time(16), ends=dt.time(17), capacity=1,
        special=True,
    )
    results = run_at_once([
        (lambda a=a, u=u: appt.appointment_reschedule(user=u, appointment=a, slot=target.pk))
        for a, u in zip(own, crowd, strict=True)
    ])
    moved = [r for r in results if isinstance(r, Appointment)]
    assert len(moved) == 1, results
    assert all(isinstance(r, Conflict) and r.code == "slot_full" for r in results
               if not isinstance(r, Appointment))
    target.refresh_from_db()
    assert target.booked == 1
    # everybody else kept their own place; the one who moved freed theirs
    kept = Appointment.objects.exclude(slot=target)
    assert kept.count() == 9 and all(a.slot.booked == 1 for a in kept)
    assert AppointmentSlot.objects.filter(category=hall.social, booked=0).count() == 1
