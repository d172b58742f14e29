"""Appointments API over HTTP: public calendar and slots, booking and "mine" for the signed-in
applicant only (another person's booking is a 404), cancel/reschedule, anonymous check-in that
answers with the ticket only and is throttled; junk input is a 4xx problem, never a 500."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.cache import cache

from onewindow.hall import services as hall_services
from onewindow.hall.models import Appointment, AppointmentSlot, AppointmentState, Ticket
from onewindow.hall.tests.test_appointments import (
    MONDAY,
    NINE,
    TEN,
    Booking,
    at,
    booking,
    move_to,
)
from onewindow.regions.models import ServiceCentre

pytestmark = pytest.mark.django_db
booking = booking  # the fixture, re-exported for this module

API = "/api/v1/hall/appointments"


@pytest.fixture(autouse=True)
def _clear_throttle() -> Any:
    cache.clear()
    yield
    cache.clear()


def post(client: Any, url: str, body: Any, user: Any = None, **extra: Any) -> Any:
    client.logout()
    if user is not None:
        client.force_login(user)
    data = body if isinstance(body, str) else json.dumps(body)
    if url.endswith("/checkin") and isinstance(body, dict) and "no_key" not in extra:
        # the hall's kiosk sends its centre's key
        centre = body.get("centre")
        if isinstance(centre, int) and ServiceCentre.objects.filter(pk=centre).exists():
            extra.setdefault("HTTP_X_KIOSK_KEY", hall_services.settings_for(centre).kiosk_key)
    extra.pop("no_key", None)
    return client.post(url, data=data, content_type="application/json", **extra)


def get(client: Any, url: str, user: Any = None, **params: Any) -> Any:
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url, params)


# --- public reads ------------------------------------------------------------------------------


def test_centres_days_and_slots_are_public_and_show_free_places(client, booking: Booking):
    r = get(client, f"{API}/centres")
    assert r.status_code == 200
    centre = next(c for c in r.json() if c["name"] == "东湖区政务服务中心")
    assert [c["letter"] for c in centre["categories"]] == ["A", "B", "C"]
    general = booking.hall.general.pk
    days = get(client, f"{API}/days", category=general).json()
    assert len(days) == 14
    holiday = next(d for d in days if d["day"] == "2026-10-01")
    assert holiday["status"] == "closed" and holiday["reason"] == "节假日 · 国庆节"
    booking.book(booking.slot(MONDAY))
    slots = get(client, f"{API}/slots", category=general, start="2026-09-28",
                end="2026-09-28").json()
    assert [(s["starts"], s["free"], s["capacity"]) for s in slots] == [
        ("09:00", 1, 2), ("10:00", 2, 2), ("14:00", 3, 3)]
    assert "张三" not in json.dumps(slots, ensure_ascii=False)


def test_slots_junk_input_is_422_or_404(client, booking: Booking):
    assert get(client, f"{API}/slots").status_code == 422
    r = get(client, f"{API}/slots", category="abc")
    assert r.status_code == 422 and "category" in r.json()["errors"]
    assert get(client, f"{API}/slots", category=booking.hall.general.pk,
               start="2026-13-40").status_code == 422
    r = get(client, f"{API}/slots", category=booking.hall.general.pk, start="2026-10-01",
            end="2026-09-01")
    assert r.status_code == 422 and "end" in r.json()["errors"]
    assert get(client, f"{API}/slots", category=10 ** 30).status_code == 422
    assert get(client, f"{API}/slots", category=999_999).status_code == 404
    assert get(client, f"{API}/days", category=-1).status_code == 422


# --- booking -------------------------------------------------------------------------------------


def test_booking_needs_a_signed_in_applicant(client, booking: Booking):
    slot = booking.slot(MONDAY)
    r = post(client, API, {"slot": slot.pk})
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"
    assert get(client, f"{API}/mine").status_code == 401
    slot.refresh_from_db()
    assert slot.booked == 0 and not Appointment.objects.exists()


def test_book_list_and_read_my_appointment(client, booking: Booking):
    slot = booking.slot(MONDAY, TEN)
    r = post(client, API, {"slot": slot.pk, "item_name": "社会保障卡申领"}, booking.applicant)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "booked" and body["starts"] == "10:00" and body["can_change"]
    assert body["name"] == "张*" and body["mobile"] == "139****1001"
    assert len(body["code"]) == 8 and body["follow_url"].endswith(f"/t/{body['token']}/")
    mine = get(client, f"{API}/mine", booking.applicant).json()
    assert [m["token"] for m in mine] == [body["token"]]
    one = get(client, f"{API}/mine/{body['token']}", booking.applicant)
    assert one.status_code == 200 and one.json()["code"] == body["code"]


def test_another_applicants_booking_is_a_404_and_stays_unchanged(client, booking: Booking):
    a = booking.book(booking.slot(MONDAY))
    other = booking.other
    assert get(client, f"{API}/mine/{a.token}", other).status_code == 404
    assert post(client, f"{API}/mine/{a.token}/cancel", {}, other).status_code == 404
    r = post(client, f"{API}/mine/{a.token}/reschedule",
             {"slot": booking.slot(MONDAY, TEN).pk}, other)
    assert r.status_code == 404
    assert get(client, f"{API}/mine", other).json() == []
    a.refresh_from_db()
    assert a.state == AppointmentState.BOOKED and a.slot == booking.slot(MONDAY)
    # staff hold no bookings either: a clerk sees a 404 as well
    assert get(client, f"{API}/mine/{a.token}", booking.hall.clerk).status_code == 404


def test_booking_problems_have_stable_codes(client, booking: Booking):
    slot = booking.slot(MONDAY)
    user = booking.applicant
    r = post(client, API, {"slot": slot.pk, "mobile": "123"}, user)
    assert r.status_code == 422 and "mobile" in r.json()["errors"]
    assert post(client, API, {"slot": "x"}, user).status_code == 422
    assert post(client, API, {"slot": 10 ** 12}, user).status_code == 422
    assert post(client, API, {}, user).status_code == 422
    assert post(client, API, "{not json", user).status_code in (400, 422)
    assert post(client, API, {"slot": slot.pk, "name": "名" * 51}, user).status_code == 422
    assert post(client, API, {"slot": 999_999}, user).status_code == 404
    assert post(client, API, {"slot": slot.pk}, user).status_code == 201
    r = post(client, API, {"slot": booking.slot(MONDAY, TEN).pk}, user)
    assert r.status_code == 409 and r.json()["code"] == "already_booked"
    assert Appointment.objects.count() == 1


def test_cancel_and_reschedule_through_the_api(client, booking: Booking):
    a = booking.book(booking.slot(MONDAY))
    user = booking.applicant
    new = booking.slot(dt.date(2026, 9, 29), TEN)
    r = post(client, f"{API}/mine/{a.token}/reschedule", {"slot": new.pk}, user)
    assert r.status_code == 200 and r.json()["day"] == "2026-09-29"
    assert r.json()["starts"] == "10:00"
    assert post(client, f"{API}/mine/{a.token}/reschedule", {"slot": "x"}, user
                ).status_code == 422
    r = post(client, f"{API}/mine/{a.token}/cancel", {}, user)
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert not r.json()["can_change"]
    r = post(client, f"{API}/mine/{a.token}/cancel", {}, user)
    assert r.status_code == 409 and r.json()["code"] == "not_cancellable"
    new.refresh_from_db()
    assert new.booked == 0 and booking.slot(MONDAY).booked == 0
    assert get(client, f"{API}/mine/{'z' * 300}", user).status_code == 404


# --- check-in ------------------------------------------------------------------------------------


def test_anonymous_kiosk_check_in_returns_the_ticket_and_no_personal_data(client, booking):
    a = booking.book(booking.slot(MONDAY, NINE), item_name="医保转移")
    move_to(booking, at(MONDAY, 8, 50))
    r = post(client, f"{API}/checkin", {"centre": booking.hall.centre.pk, "code": a.code})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["number"] == "A001" and body["ahead"] == 0
    assert body["appointment_at"].startswith("2026-09-28T09:00:00")
    assert set(body) == {"number", "token", "category", "appointment_at", "ahead",
                         "wait_minutes", "follow_url"}
    text = r.content.decode()
    assert "13905391001" not in text and "张三" not in text and "医保" not in text
    assert Ticket.objects.get(token=body["token"]).appointment_id == a.pk
    r = post(client, f"{API}/checkin", {"centre": booking.hall.centre.pk, "code": a.code})
    assert r.status_code == 409 and r.json()["code"] == "already_checked_in"


def test_check_in_problems_and_throttling(client, booking):
    a = booking.book(booking.slot(MONDAY, NINE))
    centre = booking.hall.centre.pk
    # not from the hall: no kiosk key, not staff of the centre
    r = post(client, f"{API}/checkin", {"centre": centre, "code": a.code}, no_key=True)
    assert r.status_code == 403 and r.json()["code"] == "kiosk_only"
    r = post(client, f"{API}/checkin", {"centre": centre, "code": a.code},
             booking.hall.other_clerk, no_key=True)
    assert r.status_code == 403
    r = post(client, f"{API}/checkin", {"centre": centre, "code": a.code})
    assert r.status_code == 409 and r.json()["code"] == "too_early"
    move_to(booking, at(MONDAY, 8, 35))
    assert post(client, f"{API}/checkin", {"centre": 999_999, "code": a.code}
                ).status_code == 404
    assert post(client, f"{API}/checkin", {"centre": "x"}).status_code == 422
    r = post(client, f"{API}/checkin", {"centre": centre})
    assert r.status_code == 422 and "code" in r.json()["errors"]
    assert post(client, f"{API}/checkin", {"centre": centre, "code": "x" * 301}
                ).status_code == 422
    # wrong codes: after 20 failures from one address, the kiosk is told to wait
    statuses = [
        post(client, f"{API}/checkin", {"centre": centre, "code": "ACDEFGHJ"}).status_code
        for _ in range(22)
    ]
    assert statuses[:19] == [404] * 19 and statuses[-1] == 429
    move_to(booking, at(MONDAY, 8, 40))
    r = post(client, f"{API}/checkin", {"centre": centre, "code": a.code})
    assert r.status_code == 429 and r.json()["code"] == "throttled"
    # another address is not affected
    r = post(client, f"{API}/checkin", {"centre": centre, "code": a.code},
             REMOTE_ADDR="10.0.0.9")
    assert r.status_code == 200
    assert Ticket.objects.count() == 1


def test_openapi_lists_the_appointment_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for p in ("/slots", "/days", "/centres", "/mine", "/mine/{token}/cancel",
              "/mine/{token}/reschedule", "/checkin"):
        assert f"{API}{p}" in paths, p
    assert API in paths and "post" in paths[API]
    assert not AppointmentSlot.objects.exists()
