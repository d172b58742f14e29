"""评价器 in headless Chromium (Debian's, never `playwright install`): a visit is served at the
market window; within the poll interval the tablet shows the five faces; the applicant taps
不满意, picks a reason, writes a comment and submits; thank you; back to idle. The rating is
recorded with channel ``tablet`` and the bad review opens a follow-up. Without JavaScript the
same page works by reloading. Screenshots go to /tmp/shots_tablet/."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.urls import Resolver404, include, path, resolve

from onewindow.evaluation import tablet
from onewindow.evaluation.models import EvalChannel, Evaluation, FollowUp
from onewindow.hall import services as hall_services
from onewindow.hall.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
# itself (serving tickets for the live server) are synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("ONEWINDOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-dev-shm-usage"]
SHOTS = Path(os.environ.get("ONEWINDOW_TABLET_SHOTS", "/tmp/shots_tablet"))
POLL_SECONDS = 1

# The routes the lead adds to onewindow/evaluation/urls.py; used here until they are wired.
urlpatterns = [
    path("hall/<int:centre_id>/tablet/<int:window_id>/", tablet.tablet),
    path("hall/<int:centre_id>/tablet/<int:window_id>/state.json", tablet.tablet_state),
    path("", include("onewindow.urls")),
]


@pytest.fixture(autouse=True)
def _tablet_routes(settings: Any) -> None:
    try:
        wired = resolve("/hall/1/tablet/1/state.json").func is tablet.tablet_state
    except Resolver404:
        wired = False
    if not wired:
        settings.ROOT_URLCONF = __name__
    settings.ONEWINDOW_TABLET_POLL_SECONDS = POLL_SECONDS


# ``browser``: the session's one Chromium (the project's conftest.py).


def tablet_page(browser: Any, *, javascript: bool = True) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800},
                                  has_touch=True, is_mobile=False, timezone_id="Asia/Shanghai",
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def serve(ev: Any, mobile: str) -> Ticket:
    """The clerk at the market window calls and finishes the next visit."""
    ticket = hall_services.ticket_take(centre=ev.centre, category=ev.market, mobile=mobile)
    called = hall_services.ticket_call_next(user=ev.w.chief)
    assert called is not None and called.pk == ticket.pk
    hall_services.ticket_finish(user=ev.w.chief)
    return ticket


def fits(page: Any) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollHeight <= window.innerHeight + 1 && "
        "document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_the_tablet_offers_a_served_visit_and_records_a_bad_rating(live_server, browser, ev):
    SHOTS.mkdir(parents=True, exist_ok=True)
    key = hall_services.settings_for(ev.centre.pk).kiosk_key
    hall_services.window_sign_in(user=ev.w.chief, window=ev.market_window)
    url = f"{live_server.url}/hall/{ev.centre.pk}/tablet/{ev.market_window.pk}/?key={key}"
    page = tablet_page(browser)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)

    # Idle: the window, the staff on duty with the staff number, the waiting message.
    page.goto(url)
    assert page.locator("h1").inner_text() == "请为本次服务评价"
    head = page.locator(".tab-head").inner_text()
    assert "04" in head and "市场监管窗口" in head and ev.w.chief.display_name in head
    assert "工号" in head
    assert page.locator(".tab-level").count() == 0
    assert fits(page)
    page.screenshot(path=str(SHOTS / "tablet-1-idle.png"))

    # A visit is served: the faces appear by themselves within the poll interval.
    ticket = serve(ev, "13905391021")
    page.locator(".tab-level").first.wait_for(state="visible", timeout=(POLL_SECONDS + 4) * 1000)
    assert ticket.number in page.locator("h1").inner_text()
    assert page.locator(".tab-level").count() == 5
    box = page.locator(".tab-level").first.bounding_box()
    assert box and box["width"] >= 180 and box["height"] >= 200  # big touch targets
    assert fits(page)
    page.screenshot(path=str(SHOTS / "tablet-2-rate.png"))
    page.set_viewport_size({"width": 1024, "height": 600})  # a smaller tablet
    assert fits(page)
    page.screenshot(path=str(SHOTS / "tablet-2-rate-1024x600.png"))
    page.set_viewport_size({"width": 1280, "height": 800})

    # 不满意: the reasons screen, then submit.
    with page.expect_navigation():
        page.get_by_role("button", name="不满意", exact=True).tap()
    assert "您选择了“不满意”" in page.locator("h1").inner_text()
    assert not Evaluation.objects.exists()
    page.get_by_text("等候时间太长", exact=True).tap()
    assert page.get_by_role("checkbox", name="等候时间太长").is_checked()
    page.get_by_label("其他意见（选填）").fill("叫号后又等了二十分钟")
    assert fits(page)
    page.screenshot(path=str(SHOTS / "tablet-3-reasons.png"))
    page.set_viewport_size({"width": 1024, "height": 600})
    assert fits(page)
    page.screenshot(path=str(SHOTS / "tablet-3-reasons-1024x600.png"))
    page.set_viewport_size({"width": 1280, "height": 800})
    with page.expect_navigation():
        page.get_by_role("button", name="提交评价").tap()

    assert page.locator("h1").inner_text() == "感谢您的评价！"
    assert "回访" in page.locator(".tab-thanks").inner_text()
    page.screenshot(path=str(SHOTS / "tablet-4-thanks.png"))
    e = Evaluation.objects.get()
    assert (e.level, e.channel, e.ticket_id) == (4, EvalChannel.TABLET, ticket.pk)
    assert e.staff_id == ev.w.chief.pk and e.window_id == ev.market_window.pk
    assert e.department_id == ev.w.departments["d1_market"].pk
    assert e.comment == "等候时间太长；叫号后又等了二十分钟"
    fu = FollowUp.objects.get(evaluation=e)
    assert fu.state == "open" and fu.department_id == e.department_id

    # A few seconds later: back to idle, the rated visit is not offered again.
    page.locator("h1", has_text="请为本次服务评价").wait_for(
        timeout=(tablet.THANKS_SECONDS + 6) * 1000)
    assert page.locator(".tab-level").count() == 0
    page.screenshot(path=str(SHOTS / "tablet-5-idle-again.png"))
    assert problems == []
    page.context.close()


def test_without_javascript_the_tablet_works_by_reloading(live_server, browser, ev):
    SHOTS.mkdir(parents=True, exist_ok=True)
    key = hall_services.settings_for(ev.centre.pk).kiosk_key
    hall_services.window_sign_in(user=ev.w.chief, window=ev.market_window)
    url = f"{live_server.url}/hall/{ev.centre.pk}/tablet/{ev.market_window.pk}/?key={key}"
    page = tablet_page(browser, javascript=False)
    page.goto(url)
    assert page.locator(".tab-level").count() == 0
    ticket = serve(ev, "13905391022")
    page.reload()
    assert page.locator(".tab-level").count() == 5
    stale = tablet_page(browser, javascript=False)  # the same screen, left open elsewhere
    stale.goto(url)
    with page.expect_navigation():
        page.get_by_role("button", name="非常满意").tap()
    assert page.locator("h1").inner_text() == "感谢您的评价！"
    page.screenshot(path=str(SHOTS / "tablet-6-nojs-thanks.png"))
    e = Evaluation.objects.get()
    assert (e.level, e.channel, e.ticket_id) == (1, EvalChannel.TABLET, ticket.pk)
    assert not FollowUp.objects.exists()

    # A second rating of the same visit is refused with a clear message; nothing is written.
    with stale.expect_navigation():
        stale.get_by_role("button", name="非常不满意").tap()
    assert "每次服务只能评价一次" in stale.locator("h1").inner_text()
    stale.screenshot(path=str(SHOTS / "tablet-8-already-rated.png"))
    assert Evaluation.objects.get().level == 1 and not FollowUp.objects.exists()
    stale.context.close()
    # The thank-you screen returns to idle by itself (meta refresh, no script).
    page.locator("h1", has_text="请为本次服务评价").wait_for(
        timeout=(tablet.THANKS_SECONDS + 6) * 1000)
    page.context.close()


def test_a_wrong_key_shows_a_chinese_refusal(live_server, browser, ev):
    page = tablet_page(browser)
    response = page.goto(
        f"{live_server.url}/hall/{ev.centre.pk}/tablet/{ev.market_window.pk}/?key=nope")
    assert response is not None and response.status == 403
    assert page.locator("h1").inner_text() == "此设备未获授权"
    page.screenshot(path=str(SHOTS / "tablet-7-denied.png"))
    page.context.close()
