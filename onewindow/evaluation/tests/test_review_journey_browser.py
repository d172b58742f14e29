"""差评 → 整改 → 再评价 in headless Chromium (Debian's, never `playwright install`).

The applicant of a completed case signs in with an SMS code on a phone, opens the case, follows
the link to rate, picks 不满意 with a comment and submits. The department head opens the
follow-up inbox, records the verification and call-back, and answers with a rectification.
The applicant comes back through the case page, sees the follow-up's state, the deadline and
the department's answer, and rates again: the second rating is stored and the follow-up is
closed. Screenshots go to /tmp/shots_review/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from onewindow.evaluation.models import EvalChannel, Evaluation, FollowUp
from onewindow.evaluation.workflow import FollowUpState
from onewindow.notifications.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
# itself (building the case, reading the outbox) are synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("ONEWINDOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-dev-shm-usage"]
SHOTS = Path(os.environ.get("ONEWINDOW_REVIEW_SHOTS", "/tmp/shots_review"))  # noqa: S108
PASSWORD = "Correct-Horse-9"  # noqa: S105 - the make_staff fixture's test password
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36")


# ``browser``: the session's one Chromium (the project's conftest.py).


def _watch(page: Any, problems: list[str]) -> Any:
    page.set_default_timeout(15_000)
    # The browser's own request for /favicon.ico is not the pages' business.
    page.on("console", lambda m: problems.append(f"{m.text} {m.location.get('url', '')}")
            if m.type == "error" and "/favicon.ico" not in m.location.get("url", "") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    return page


def phone_page(browser: Any, problems: list[str]) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  user_agent=PHONE_UA, timezone_id="Asia/Shanghai")
    return _watch(context.new_page(), problems)


def desk_page(browser: Any, problems: list[str]) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                  timezone_id="Asia/Shanghai")
    return _watch(context.new_page(), problems)


def fits_width(page: Any) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"))


def sms_code(phone: str) -> str:
    body = Notification.objects.filter(phone=phone).latest("created_at", "id").body
    match = re.search(r"(\d{6})", body)
    assert match, body
    return match.group(1)


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_an_applicant_gives_a_bad_review_and_sees_the_follow_up(live_server, browser, ev):
    SHOTS.mkdir(parents=True, exist_ok=True)
    case = ev.completed_case()
    phone = ev.w.applicant.mobile
    case_url = f"{live_server.url}/my/cases/{case.case_no}/"
    problems: list[str] = []

    # 1. The applicant signs in with an SMS code and lands on the case page.
    app = phone_page(browser, problems)
    app.goto(case_url)
    assert "/accounts/applicant/login/" in app.url
    app.get_by_label("手机号码").fill(phone)
    with app.expect_navigation():
        app.get_by_role("button", name="获取验证码").tap()
    app.get_by_label("短信验证码").fill(sms_code(phone))
    with app.expect_navigation():
        app.get_by_role("button", name="登录").tap()
    assert app.url == case_url
    assert "已办结" in app.locator("#act").inner_text()
    assert fits_width(app)
    shot(app, "review-1-case.png")

    # 2. Rate: 不满意 with a comment.
    with app.expect_navigation():
        app.get_by_role("link", name="评价本次服务").tap()
    assert app.locator("h1").inner_text() == "服务评价"
    assert app.locator(".rate-level").count() == 5
    assert fits_width(app)
    shot(app, "review-2-rate.png")
    app.locator("label[for=level-4]").tap()
    assert app.get_by_role("radio", name="不满意", exact=True).is_checked()
    app.get_by_label("意见建议（选填）").fill("窗口说法前后不一，让我多跑了一趟")
    with app.expect_navigation():
        app.get_by_role("button", name="提交评价").tap()
    done = app.locator(".rate-done").inner_text()
    assert "感谢您的评价" in done and "不满意" in done
    assert "2026年12月1日" in done  # five working days from Tuesday 24 November
    shot(app, "review-3-thanks.png")
    e = Evaluation.objects.get(case=case)
    fu = FollowUp.objects.get(evaluation=e)
    assert (e.level, e.channel, e.second_level) == (4, EvalChannel.MOBILE, None)
    assert e.comment == "窗口说法前后不一，让我多跑了一趟"
    assert fu.state == FollowUpState.OPEN and fu.department_id == case.department_id

    # While the department works on it: the state and the deadline, no second rating yet.
    with app.expect_navigation():
        app.get_by_role("link", name="查看整改进度").tap()
    follow = app.locator("#follow-up").inner_text()
    assert "待核实" in follow and "2026-12-01" in follow and case.department.name in follow
    assert app.locator(".rate-level").count() == 0
    shot(app, "review-4-waiting.png")

    # 3. The department head: inbox, call-back, answer.
    desk = desk_page(browser, problems)
    desk.goto(f"{live_server.url}/workbench/evaluation/follow-ups/")
    assert "/accounts/login/" in desk.url
    desk.get_by_label("用户名").fill(ev.w.head.username)
    desk.get_by_label("密码").fill(PASSWORD)
    with desk.expect_navigation():
        desk.get_by_role("button", name="登录").click()
    assert desk.url.endswith("/workbench/evaluation/follow-ups/")
    row = desk.locator("tbody tr")
    assert row.count() == 1 and "待核实" in row.inner_text()
    shot(desk, "review-5-inbox.png")
    with desk.expect_navigation():
        row.get_by_role("link", name="不满意").click()
    assert "窗口说法前后不一" in desk.locator("main").inner_text()
    desk.get_by_label("核实情况").fill("经核实，窗口对补正要求的解释确有前后不一")
    desk.get_by_label("回访记录").fill("已电话回访申请人，当面致歉")
    with desk.expect_navigation():
        desk.get_by_role("button", name="保存核实回访").click()
    fu.refresh_from_db()
    assert fu.state == FollowUpState.CALLED
    desk.get_by_label("已整改").check()
    desk.get_by_label("答复内容").fill("已统一补正告知口径，并对窗口人员进行了培训。感谢您的监督！")
    with desk.expect_navigation():
        desk.get_by_role("button", name="提交答复").click()
    shot(desk, "review-6-answered.png")
    fu.refresh_from_db()
    assert fu.state == FollowUpState.ANSWERED and fu.on_time is True

    # 4. The applicant comes back through the case page and sees the answer.
    app.goto(case_url)
    with app.expect_navigation():
        app.get_by_role("link", name="评价本次服务").tap()
    assert app.locator("h1").inner_text() == "整改后再评价"
    follow = app.locator("#follow-up").inner_text()
    assert "已答复，待再评价" in follow
    assert "2026-12-01" in follow and "按期答复" in follow and "已整改" in follow
    assert "已统一补正告知口径，并对窗口人员进行了培训" in follow
    assert "当面致歉" not in app.content()  # the call-back record is internal
    mine = app.locator(".rate-mine").inner_text()
    assert "不满意" in mine and "窗口说法前后不一" in mine
    assert app.locator(".rate-level").count() == 5
    assert fits_width(app)
    shot(app, "review-7-second.png")

    # 5. The second rating.
    app.locator("label[for=level-2]").tap()
    app.get_by_label("意见建议（选填）").fill("答复及时，态度很好")
    with app.expect_navigation():
        app.get_by_role("button", name="提交再评价").tap()
    assert "您的再评价：满意" in app.locator(".rate-done").inner_text()
    shot(app, "review-8-thanks-again.png")
    e.refresh_from_db()
    fu.refresh_from_db()
    assert (e.level, e.second_level, e.second_channel) == (4, 2, EvalChannel.MOBILE)
    assert e.second_comment == "答复及时，态度很好"
    assert (fu.state, fu.closed_reason) == (FollowUpState.CLOSED, "second_rating")
    assert fu.closed_at is not None

    # The record afterwards: closed, both ratings, no more form.
    with app.expect_navigation():
        app.get_by_role("link", name="查看评价记录").tap()
    assert "已办结" in app.locator("#follow-up").inner_text()
    assert app.locator(".rate-second .review-level").inner_text() == "满意"
    assert "答复及时，态度很好" in app.locator(".rate-mine").inner_text()
    assert app.locator(".rate-level").count() == 0
    shot(app, "review-9-closed.png")
    assert problems == []
    app.context.close()
    desk.context.close()
