"""Appointment pages: choosing is public, booking and "mine" need the applicant's sign-in;
another person's booking is a 404; errors are shown beside their field; the QR code and the
code are on the booking; the public follow page shows no personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from onewindow.hall import appointments as appt
from onewindow.hall.models import Appointment, AppointmentState
from onewindow.hall.tests.test_appointments import (
    MONDAY,
    NINE,
    TEN,
    TWO,
    Booking,
    at,
    booking,
    move_to,
)

pytestmark = pytest.mark.django_db
booking = booking  # the fixture, re-exported for this module


def as_user(client: Any, user: Any) -> Any:
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def test_start_page_lists_centres_and_their_categories(client, booking: Booking):
    r = client.get(reverse("hall:appt_start"))
    assert r.status_code == 200
    text = r.content.decode()
    assert "东湖区政务服务中心" in text and "综合受理" in text and "社保医保" in text
    assert reverse("hall:appt_category", args=[booking.hall.general.pk]) in text
    booking.hall.social.appointable = False
    booking.hall.social.save()
    assert "社保医保" not in client.get(reverse("hall:appt_start")).content.decode()


def test_category_page_shows_the_calendar_with_holidays_greyed_and_the_days_slots(
        client, booking: Booking):
    url = reverse("hall:appt_category", args=[booking.hall.general.pk])
    booking.book(booking.slot(MONDAY, NINE))
    booking.book(booking.slot(MONDAY, NINE), booking.other)
    r = client.get(url)
    assert r.status_code == 200
    text = r.content.decode()
    assert text.count('class="appt-day is-off is-closed"') == 8  # 1–7 Oct and Sunday 11th
    assert "国庆节" in text and "节假日" in text and "休息日" in text
    assert "余 5" in text  # Monday: 7 places, 2 taken
    # the chosen day (today, the first open one) lists its slots; the full one is not a link
    assert "09:00–10:00" in text and "已约满" in text
    assert reverse("hall:appt_book", args=[booking.slot(MONDAY, NINE).pk]) not in text
    assert reverse("hall:appt_book", args=[booking.slot(MONDAY, TWO).pk]) in text
    r = client.get(url, {"day": "2026-10-10"})
    assert reverse("hall:appt_book", args=[booking.slot(dt.date(2026, 10, 10), TWO).pk]) \
        in r.content.decode()
    r = client.get(url, {"day": "2026-10-03"})
    assert "这一天不可预约（节假日 · 国庆节）" in r.content.decode()
    for junk in ("2026-13-01", "x" * 300, "2027-01-01"):
        assert client.get(url, {"day": junk}).status_code == 200
    assert client.get(reverse("hall:appt_category", args=[999_999])).status_code == 404


def test_booking_page_needs_sign_in(client, booking: Booking):
    slot = booking.slot(MONDAY, TEN)
    url = reverse("hall:appt_book", args=[slot.pk])
    r = client.get(url)
    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/applicant/login/?next=")
    r = client.post(url, {"name": "张三", "mobile": "13905391001"})
    assert r.status_code == 302 and "/accounts/applicant/login/" in r["Location"]
    for name in ("appt_mine",):
        assert client.get(reverse(f"hall:{name}")).status_code == 302
    assert not Appointment.objects.exists()


def test_booking_through_the_page_and_the_booking_shows_its_qr_and_code(client, booking):
    slot = booking.slot(MONDAY, TEN)
    c = as_user(client, booking.applicant)
    url = reverse("hall:appt_book", args=[slot.pk])
    form = c.get(url).content.decode()
    assert 'value="张三"' in form and 'value="13905391001"' in form  # from the account
    r = c.post(url, {"name": "张三", "mobile": "13905391001", "item_name": "医保关系转移"})
    a = Appointment.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("hall:appt_detail",
                                                            args=[a.token])
    page = c.get(r["Location"]).content.decode()
    assert "预约成功" in page and f"{a.code[:4]} {a.code[4:]}" in page
    assert '<svg class="appt-qr"' in page and "<path" in page
    assert "10:00–11:00" in page and "周一" in page
    mine = c.get(reverse("hall:appt_mine")).content.decode()
    assert a.code in mine and "待办理" in mine


def test_bad_input_is_shown_beside_its_field_and_nothing_is_saved(client, booking):
    c = as_user(client, booking.applicant)
    url = reverse("hall:appt_book", args=[booking.slot(MONDAY).pk])
    r = c.post(url, {"name": "", "mobile": "12345"})
    assert r.status_code == 422
    text = r.content.decode()
    assert "请输入正确的11位手机号码" in text and 'id="e_mobile"' in text
    assert 'value="12345"' in text
    assert not Appointment.objects.exists() and booking.slot(MONDAY).booked == 0


def test_a_full_slot_says_so_on_the_page(client, booking):
    slot = booking.slot(MONDAY)
    booking.book(slot, booking.other)
    booking.book(slot, booking.hall.clerk, mobile="13905391009")
    c = as_user(client, booking.applicant)
    r = c.post(reverse("hall:appt_book", args=[slot.pk]),
               {"name": "张三", "mobile": "13905391001"})
    assert r.status_code == 409 and "该时段已约满" in r.content.decode()
    assert Appointment.objects.filter(user=booking.applicant).count() == 0


def test_another_persons_booking_is_a_404_and_cannot_be_cancelled(client, booking):
    a = booking.book(booking.slot(MONDAY))
    c = as_user(client, booking.other)
    assert c.get(reverse("hall:appt_detail", args=[a.token])).status_code == 404
    assert c.post(reverse("hall:appt_cancel", args=[a.token])).status_code == 404
    assert a.code not in c.get(reverse("hall:appt_mine")).content.decode()
    # rescheduling someone else's booking is ignored: it books for the visitor instead
    r = c.get(reverse("hall:appt_book", args=[booking.slot(MONDAY, TEN).pk]),
              {"reschedule": a.token})
    assert "原预约" not in r.content.decode()
    a.refresh_from_db()
    assert a.state == AppointmentState.BOOKED and a.slot == booking.slot(MONDAY)


def test_cancel_and_reschedule_through_the_pages(client, booking):
    a = booking.book(booking.slot(MONDAY))
    c = as_user(client, booking.applicant)
    detail = c.get(reverse("hall:appt_detail", args=[a.token])).content.decode()
    assert "改约" in detail and "取消预约" in detail
    new = booking.slot(dt.date(2026, 9, 29), TEN)
    page = c.get(reverse("hall:appt_category", args=[booking.hall.general.pk]),
                 {"reschedule": a.token, "day": "2026-09-29"}).content.decode()
    assert "正在改约" in page
    assert f'{reverse("hall:appt_book", args=[new.pk])}?reschedule={a.token}' in page
    r = c.post(f'{reverse("hall:appt_book", args=[new.pk])}?reschedule={a.token}')
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.slot == new and Appointment.objects.count() == 1
    assert booking.slot(MONDAY).booked == 0
    r = c.post(reverse("hall:appt_cancel", args=[a.token]))
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.state == AppointmentState.CANCELLED
    page = c.get(r["Location"]).content.decode()
    assert "预约已取消" in page and "取消预约" not in page


def test_cancel_after_the_start_is_refused_with_a_message(client, booking):
    a = booking.book(booking.slot(MONDAY))
    move_to(booking, at(MONDAY, 9, 5))
    c = as_user(client, booking.applicant)
    r = c.post(reverse("hall:appt_cancel", args=[a.token]), follow=True)
    assert "预约时段已开始，不能取消" in r.content.decode()
    a.refresh_from_db()
    assert a.state == AppointmentState.BOOKED


def test_follow_page_is_public_and_shows_no_personal_data(client, booking):
    a = booking.book(booking.slot(MONDAY), item_name="医保关系转移")
    r = client.get(reverse("hall:appt_follow", args=[a.token]))
    assert r.status_code == 200
    text = r.content.decode()
    assert "张*" in text and "张三" not in text and "13905391001" not in text
    assert a.code not in text and "医保关系转移" not in text
    move_to(booking, at(MONDAY, 8, 45))
    ticket = appt.appointment_check_in(centre=booking.hall.centre, code=a.code)
    text = client.get(reverse("hall:appt_follow", args=[a.token])).content.decode()
    assert ticket.number in text and reverse("hall:ticket", args=[ticket.token]) in text
    assert client.get(reverse("hall:appt_follow", args=["x" * 200])).status_code == 404


def test_my_appointments_page_has_a_fixed_number_of_queries(client, booking,
                                                             django_assert_max_num_queries):
    c = as_user(client, booking.applicant)
    for day in (dt.date(2026, 9, 29), dt.date(2026, 9, 30), dt.date(2026, 10, 8)):
        booking.book(booking.slot(day))
    with django_assert_max_num_queries(12):
        assert c.get(reverse("hall:appt_mine")).status_code == 200
