"""The hall's queue through the real pages in headless Chromium: a citizen takes a number at
the kiosk and follows it on a phone by the ticket's QR address; a clerk signs in at a window and
calls the number — the hall's screen shows it within a second —, serves and finishes; the phone
shows where to go."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from onewindow.hall import services
from onewindow.hall.models import Ticket, TicketState
from onewindow.hall.tests import conftest as hall_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

hall = hall_fixtures.hall
_fresh_cache = hall_fixtures._fresh_cache


@pytest.fixture(autouse=True)
def _fresh_hub() -> Any:
    from onewindow.hall.stream import hub

    hub.reset()
    yield
    hub.reset()

STAFF_PASSWORD = "Correct-Horse-9"  # noqa: S105 - the make_staff fixture's test password


def test_kiosk_ticket_called_at_a_window_and_followed_on_a_phone(
    live_server: Any, browser: Any, phone_page: Any, hall: Any, artifacts: Path
) -> None:
    base = live_server.url
    key = services.settings_for(hall.centre.pk).kiosk_key
    services.ticket_take(centre=hall.centre, category=hall.social)  # someone else, another queue

    kiosk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    k = kiosk.new_page()
    k.goto(f"{base}/hall/{hall.centre.pk}/kiosk/")
    assert "请在服务中心大厅的取号机上取号" in k.content()  # not without the kiosk's key
    k.goto(f"{base}/hall/{hall.centre.pk}/kiosk/?key={key}")
    k.screenshot(path=str(artifacts / "hall-kiosk.png"))
    with k.expect_navigation(url=lambda u: "/print/" in u):
        k.locator("button.kiosk-cat", has_text="综合受理").click()
    assert k.locator(".slip-number").inner_text() == "A001"
    assert k.locator(".slip-qr svg").count() == 1
    k.screenshot(path=str(artifacts / "hall-ticket-slip.png"))
    ticket = Ticket.objects.get(number="A001")

    phone = phone_page
    phone.goto(f"{base}/hall/t/{ticket.token}/")
    assert "前面还有" in phone.locator(".ticket-card").inner_text()

    clerk_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    c = clerk_ctx.new_page()
    c.goto(f"{base}/accounts/login/?next=/workbench/hall/")
    c.locator("#id_username").fill(hall.clerk.username)
    c.locator("#id_password").fill(STAFF_PASSWORD)
    with c.expect_navigation(url=lambda u: u.endswith("/workbench/hall/")):
        c.get_by_role("button", name="登录", exact=True).click()
    c.locator("#id_window").select_option(label="01 01号窗口")
    with c.expect_navigation():
        c.get_by_role("button", name="签到上岗").click()
    screen = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    s = screen.new_page()
    s.goto(f"{base}/hall/{hall.centre.pk}/screen/")
    s.wait_for_function("() => window.hallScreen && window.hallScreen.state().streaming")
    with c.expect_navigation():
        c.get_by_role("button", name="叫下一个号").click()
    called = time.monotonic()  # the call is committed: the panel page came back
    s.wait_for_function(
        "() => document.getElementById('latest-number').textContent === 'A001'",
        timeout=5000, polling=20)
    assert time.monotonic() - called < 1.0, "the hall screen showed the call too late"
    assert s.locator("#latest-window").inner_text() == "01"
    assert c.locator("[data-number]").inner_text() == "A001"
    assert "正在呼叫 A001 号" in c.locator(".messages").inner_text()
    c.screenshot(path=str(artifacts / "hall-panel-called.png"), full_page=True)

    phone.reload()
    assert "请到 01 号窗口办理" in phone.locator(".ticket-card").inner_text()
    phone.screenshot(path=str(artifacts / "hall-ticket-phone-called.png"), full_page=True)

    with c.expect_navigation():
        c.get_by_role("button", name="开始办理").click()
    assert c.get_by_role("link", name="受理办件").get_attribute("href") == \
        "/workbench/cases/window/new/"
    with c.expect_navigation():
        c.get_by_role("button", name="办结").click()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.SERVED and ticket.window_id == hall.windows["01"].pk
    # the window does not serve the social queue: nothing left for it
    with c.expect_navigation():
        c.get_by_role("button", name="叫下一个号").click()
    assert "目前没有等候的号码" in c.locator(".messages").inner_text()
    kiosk.close()
    clerk_ctx.close()
    screen.close()
