"""Book an appointment on a phone-sized screen, arrive, check in at the kiosk, see the ticket.

The applicant opens 预约办事 on a phone, picks 东湖区政务服务中心 · 综合受理, a day in the
calendar (days off greyed with their reason) and the 09:00 slot, signs in by SMS code, confirms
and sees the booking with its QR code and appointment code. On the day, at 08:45, the hall's
kiosk checks the code in: the kiosk prints a ticket, and the applicant's booking now shows the
queue number. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.utils import timezone

from onewindow.accounts.models import Applicant, ApplicantKind
from onewindow.core import clock
from onewindow.hall import appointments as appt
from onewindow.hall.models import Appointment, AppointmentSlot, AppointmentState, Ticket
from onewindow.hall.tests.conftest import hall  # noqa: F401 - the hall's fixture
from onewindow.hall.tests.test_appointments import make_schedule
from onewindow.notifications.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 375
TZ = timezone.get_default_timezone()


def the_day() -> dt.date:
    """A working Monday–Friday at least a week ahead of the real date (the browser's cookies
    live on the real clock, so the server's travelled clock must not be behind it)."""
    from onewindow.workdays.selectors import is_workday

    day = timezone.localdate() + dt.timedelta(days=7)
    while day.weekday() >= 5 or not is_workday(day):
        day += dt.timedelta(days=1)
    return day


@pytest.fixture
def morning() -> Iterator[Any]:
    day = the_day()
    with time_machine.travel(dt.datetime.combine(day, dt.time(8, 0), tzinfo=TZ),
                             tick=True) as traveller:
        yield day, traveller


def sms_code(phone: str) -> str:
    body = Notification.objects.filter(phone=phone).order_by("-id").values_list(
        "body", flat=True).first()
    assert body, "no SMS was queued"
    match = re.search(r"验证码是(\d{6})", body)
    assert match, body
    return match.group(1)


def at(path: str) -> Any:
    return lambda url: urlsplit(url).path == path


def no_sideways_scroll(page: Any, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{where} scrolls sideways on a phone ({width}px)"


def shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"hall-appointment-{name}.png"), full_page=True)


def test_book_on_a_phone_then_check_in_at_the_kiosk_and_get_a_ticket(
    live_server: Any, phone_page: Any, browser: Any, hall: Any, morning: Any,  # noqa: F811
    artifacts: Path,
) -> None:
    day, traveller = morning
    base = live_server.url
    phone = phone_page
    Applicant.objects.create(kind=ApplicantKind.PERSON, name="张三", user=hall.applicant,
                             id_number="11010519491231002X", mobile="13905391001")
    hall.centre.address = "东湖区湖滨路 88 号"
    hall.centre.save()
    make_schedule(hall.general)
    make_schedule(hall.social)
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    AppointmentSlot.objects.create(category=hall.general, day=saturday, starts=dt.time(9),
                                   ends=dt.time(12), capacity=10, special=True,
                                   note="周末不打烊 · 非工作日预约")
    appt.slots_generate()
    key = hall.rules.kiosk_key

    # 1. Choose the centre and the category.
    phone.goto(f"{base}/hall/appointments/")
    assert phone.locator("h1").inner_text() == "预约办事"
    no_sideways_scroll(phone, "the start page")
    shot(phone, artifacts, "1-start")
    centre = phone.locator("section.appt-centre", has_text="东湖区政务服务中心")
    with phone.expect_navigation(url=at(f"/hall/appointments/c/{hall.general.pk}/")):
        centre.get_by_role("link", name=re.compile("综合受理")).click()

    # 2. The calendar: today (the first open day) is chosen, its slots are listed.
    tiles = phone.locator(".appt-days li")
    assert tiles.count() == 14
    chosen = phone.locator(".appt-day.is-chosen")
    assert chosen.locator(".appt-day-date").inner_text() == f"{day.month}/{day.day}"
    # Mondays open 7 places (two 2-place morning slots and a 3-place afternoon one), other
    # weekdays 4; a morning slot may already have passed on the travelled clock.
    places = (7, 5) if day.weekday() == 0 else (4, 2)
    assert any(f"余 {n}" in chosen.inner_text() for n in places), chosen.inner_text()
    assert phone.locator(".appt-day.is-off").count() >= 2  # at least a weekend
    no_sideways_scroll(phone, "the calendar")
    shot(phone, artifacts, "2-calendar")
    slot = AppointmentSlot.objects.get(category=hall.general, day=day, starts=dt.time(9))
    phone.locator(".appt-slot", has_text="09:00–10:00").click()

    # 3. Sign in by SMS code, come back to the confirmation.
    phone.wait_for_url(lambda url: urlsplit(url).path == "/accounts/applicant/login/")
    phone.get_by_label("手机号码").fill("13905391001")
    phone.get_by_role("button", name="获取验证码").click()
    phone.get_by_label("短信验证码").fill(sms_code("13905391001"))
    with phone.expect_navigation(url=at(f"/hall/appointments/book/{slot.pk}/")):
        phone.get_by_role("button", name="登录", exact=True).click()
    assert phone.get_by_label("姓名").input_value() == "张三"
    assert phone.get_by_label("手机号码").input_value() == "13905391001"
    phone.get_by_label("办理事项（选填）").fill("社会保障卡申领")
    no_sideways_scroll(phone, "the confirmation")
    shot(phone, artifacts, "3-confirm")
    phone.get_by_role("button", name="确认预约").click()
    phone.wait_for_url(re.compile(r"/hall/appointments/mine/[^/]+/$"))

    # 4. The booking: QR code, code, what to do; the place is taken.
    booking = Appointment.objects.get()
    assert booking.state == AppointmentState.BOOKED and booking.item_name == "社会保障卡申领"
    assert "预约成功" in phone.locator(".messages").inner_text()
    assert phone.locator(".appt-code").inner_text().replace(" ", "") == booking.code
    assert phone.locator("svg.appt-qr").is_visible()
    box = phone.locator("svg.appt-qr").bounding_box()
    assert box is not None and box["width"] >= 150
    slot.refresh_from_db()
    assert slot.booked == 1
    no_sideways_scroll(phone, "the booking")
    shot(phone, artifacts, "4-booking")
    mine = urlsplit(phone.url).path
    phone.goto(f"{base}/hall/appointments/mine/")
    card = phone.locator(".appt-card")
    assert card.count() == 1 and booking.code in card.inner_text()
    no_sideways_scroll(phone, "my appointments")
    shot(phone, artifacts, "4b-mine")

    # 5. The day: 08:45 at the hall, the kiosk checks the code in and prints a ticket.
    traveller.move_to(dt.datetime.combine(day, dt.time(8, 45), tzinfo=TZ))
    assert clock.now().astimezone(TZ).hour == 8
    kiosk_context = browser.new_context(locale="zh-CN", viewport={"width": 1080, "height": 1400})
    try:
        kiosk = kiosk_context.new_page()
        kiosk.set_default_timeout(15_000)
        kiosk.goto(f"{base}/hall/{hall.centre.pk}/kiosk/check-in/?key={key}")
        kiosk.get_by_label("预约码").fill(booking.code.lower())
        shot(kiosk, artifacts, "5-kiosk")
        kiosk.get_by_role("button", name="签到").click()
        kiosk.wait_for_url(re.compile(r"/hall/t/[^/]+/print/"))
        ticket = Ticket.objects.get(appointment=booking)
        assert ticket.number == "A001" and ticket.appointment_at is not None
        assert ticket.appointment_at.astimezone(TZ).time() == dt.time(9)
        assert "A001" in kiosk.locator("body").inner_text()
        shot(kiosk, artifacts, "6-kiosk-ticket")
    finally:
        kiosk_context.close()

    # 6. The phone shows the queue number on the booking and follows the ticket.
    phone.goto(f"{base}{mine}")
    assert phone.locator(".appt-pill-checked_in").first.inner_text() == "已签到"
    assert phone.locator(".appt-code").inner_text() == "A001"
    shot(phone, artifacts, "7-checked-in")
    with phone.expect_navigation(url=at(f"/hall/t/{ticket.token}/")):
        phone.get_by_role("link", name="查看排队进度").click()
    assert phone.locator(".ticket-number").inner_text() == "A001"
    no_sideways_scroll(phone, "the ticket page")
    shot(phone, artifacts, "8-ticket")
    booking.refresh_from_db()
    assert booking.state == AppointmentState.CHECKED_IN


def test_the_calendar_greys_the_national_day_holiday_and_offers_a_special_slot(
    live_server: Any, phone_page: Any, hall: Any, artifacts: Path,  # noqa: F811
) -> None:
    """Monday 28 September 2026: 1–7 October is 国庆节 (closed, with its name), Saturday
    10 October is a make-up working day (Monday's schedule), and the centre opened a special
    slot on 3 October (延时服务)."""
    with time_machine.travel(dt.datetime(2026, 9, 28, 8, 0, tzinfo=TZ), tick=True):
        make_schedule(hall.general)
        AppointmentSlot.objects.create(category=hall.general, day=dt.date(2026, 10, 3),
                                       starts=dt.time(9), ends=dt.time(12), capacity=8,
                                       special=True, note="国庆假期延时服务")
        appt.slots_generate()
        phone = phone_page
        phone.goto(f"{live_server.url}/hall/appointments/c/{hall.general.pk}/")
        closed = phone.locator(".appt-day.is-closed")
        assert closed.count() == 7  # 1, 2, 4–7 October and Sunday 11 October
        first = closed.first.inner_text()
        assert all(w in first for w in ("10/1", "周四", "节假日", "国庆节")), first
        special = phone.locator("a.appt-day.is-special")
        assert special.count() == 1 and "10/3" in special.inner_text()
        make_up = phone.locator("a.appt-day", has_text="10/10")
        assert "余 7" in make_up.inner_text()  # Monday's three slots: 2 + 2 + 3
        no_sideways_scroll(phone, "the holiday calendar")
        with phone.expect_navigation():
            special.click()
        slot = phone.locator(".appt-slot", has_text="09:00–12:00")
        assert "延时/非工作日服务" in slot.inner_text() and "国庆假期延时服务" in slot.inner_text()
        shot(phone, artifacts, "9-national-day")
