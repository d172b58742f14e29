"""The hall's display screen in headless Chromium: a clerk calls a ticket and the screen shows
it within a second of the call's commit (server-sent events); without EventSource the page
falls back to polling screen.json; a network blip shows the reconnect marker, then recovers.
Screenshots at 1920×1080 and 1280×720 go to test-artifacts/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onewindow.hall import services
from onewindow.hall.models import HallNotice, PauseReason
from onewindow.hall.stream import hub
from onewindow.hall.tests import conftest as hall_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

hall = hall_fixtures.hall

LATEST = "document.getElementById('latest-number').textContent"


@pytest.fixture(autouse=True)
def _fresh_hub() -> Iterator[None]:
    hub.reset()
    yield
    hub.reset()


def screen_page(browser: Any, width: int = 1920, height: int = 1080,
                init_script: str | None = None) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def seen_within(page: Any, expression: str, limit: float) -> float:
    """Seconds until ``expression`` is true in the page (measured from now)."""
    started = time.monotonic()
    page.wait_for_function(f"() => {expression}", timeout=limit * 1000 + 5000, polling=20)
    return time.monotonic() - started


def open_hall(hall: Any) -> None:
    """Three windows staffed, one paused with its whereabouts, a notice, people waiting."""
    HallNotice.objects.create(centre=hall.centre,
                              text="本中心周六上午提供延时服务，欢迎预约办理。")
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    services.window_sign_in(user=hall.clerk2, window=hall.windows["02"])
    services.window_sign_in(user=hall.clerk3, window=hall.windows["03"])
    services.window_pause(user=hall.clerk3, reason=PauseReason.BUSINESS,
                          whereabouts="前往档案室调取材料")
    for _ in range(4):
        services.ticket_take(centre=hall.centre, category=hall.general)
    for _ in range(2):
        services.ticket_take(centre=hall.centre, category=hall.social)


def test_a_call_shows_on_the_screen_within_a_second(
    hall: Any, live_server: Any, browser: Any, artifacts: Path
) -> None:
    open_hall(hall)
    page = screen_page(browser)
    page.goto(f"{live_server.url}/hall/{hall.centre.pk}/screen/?voice=1")
    page.wait_for_function("() => window.hallScreen && window.hallScreen.state().streaming")
    assert page.locator("#latest-empty").is_visible()
    assert page.locator("#categories li").count() == 3
    assert "前往档案室调取材料" in page.locator("#windows").inner_text()
    page.wait_for_timeout(300)  # the stream is open and has sent its first snapshot

    first = services.ticket_call_next(user=hall.clerk)  # committed when it returns
    elapsed = seen_within(page, f"{LATEST} === '{first.number}'", 1.0)
    assert first.number == "A001"
    assert elapsed < 1.0, f"the screen showed the call after {elapsed:.2f} s"
    assert page.locator("#latest-window").inner_text() == "01"
    assert page.locator("#latest").get_attribute("class") == "latest flash"

    second = services.ticket_call_next(user=hall.clerk2)
    elapsed2 = seen_within(page, f"{LATEST} === '{second.number}'", 1.0)
    assert elapsed2 < 1.0, f"the second call showed after {elapsed2:.2f} s"
    rows = page.locator("#calling-rows tr")
    assert rows.count() == 2
    assert "A002" in rows.nth(0).inner_text() and "02 号窗口" in rows.nth(0).inner_text()
    waiting_a = page.locator("#categories li").nth(0).inner_text()
    assert "综合受理" in waiting_a and "2" in waiting_a

    services.ticket_recall(user=hall.clerk)  # A001 again: it becomes the latest call
    elapsed3 = seen_within(page, f"{LATEST} === 'A001'", 1.0)
    assert elapsed3 < 1.0
    state = page.evaluate("window.hallScreen.state()")
    assert state["streaming"] and not state["polling"]
    assert state["announced"] == 3  # two calls and one recall, each announced once
    assert page.locator("#link-state").is_hidden()
    page.wait_for_timeout(400)
    page.screenshot(path=str(artifacts / "hall-screen-1920.png"))

    small = screen_page(browser, 1280, 720)
    small.goto(f"{live_server.url}/hall/{hall.centre.pk}/screen/")
    small.wait_for_function(f"() => {LATEST} === 'A001'")
    for selector in ("#latest-number", "#latest-window", "#windows", "#notices"):
        box = small.locator(selector).bounding_box()
        assert box is not None and box["y"] + min(box["height"], 40) <= 720, selector
    small.screenshot(path=str(artifacts / "hall-screen-1280.png"))
    small.context.close()
    page.context.close()


def test_without_event_source_the_screen_polls_and_keeps_up(
    hall: Any, live_server: Any, browser: Any, artifacts: Path
) -> None:
    open_hall(hall)
    page = screen_page(browser, init_script="delete window.EventSource;")
    page.goto(f"{live_server.url}/hall/{hall.centre.pk}/screen/")
    page.wait_for_function("() => window.hallScreen && window.hallScreen.state().polling")
    assert page.evaluate("typeof window.EventSource") == "undefined"
    called = services.ticket_call_next(user=hall.clerk)
    elapsed = seen_within(page, f"{LATEST} === '{called.number}'", 3.0)
    assert elapsed < 3.0, f"polling showed the call after {elapsed:.2f} s"  # every 2 s
    assert page.locator("#link-state").is_hidden()
    page.context.close()


def test_a_network_blip_shows_the_marker_and_the_screen_recovers(
    hall: Any, live_server: Any, browser: Any, artifacts: Path
) -> None:
    open_hall(hall)
    page = screen_page(browser)
    page.goto(f"{live_server.url}/hall/{hall.centre.pk}/screen/")
    page.wait_for_function("() => window.hallScreen && window.hallScreen.state().streaming")
    page.context.set_offline(True)
    hub.close_streams()  # the open connection drops (offline emulation spares open ones)
    page.wait_for_selector("#link-state", state="visible", timeout=15_000)
    assert page.locator("#latest-empty").is_visible()  # the last content stays, never blank
    page.screenshot(path=str(artifacts / "hall-screen-offline.png"))
    hub.reset()  # the server is back
    called = services.ticket_call_next(user=hall.clerk)
    page.context.set_offline(False)
    page.wait_for_function(f"() => {LATEST} === '{called.number}'", timeout=15_000)
    page.wait_for_selector("#link-state", state="hidden", timeout=10_000)
    page.context.close()
