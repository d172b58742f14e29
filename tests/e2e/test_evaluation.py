"""好差评 through the real pages in headless Chromium.

An applicant signs in on a phone-sized screen and rates their completed case 不满意 with a
comment; the bad review appears in the department head's follow-up inbox (差评整改), who records
the verification and call-back and answers; the applicant sees the answer on the rate page and
rates again; the answer is published on the public reviews page without the applicant's name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from onewindow.evaluation.models import Evaluation, FollowUp
from onewindow.evaluation.tests import conftest as eval_fixtures
from onewindow.notifications.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

world = eval_fixtures.world
ev = eval_fixtures.ev

STAFF_PASSWORD = "Correct-Horse-9"  # noqa: S105 - the make_staff fixture's test password
PHONE_WIDTH = 375


def no_sideways_scroll(page: Any, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{where} scrolls sideways on a phone ({width}px)"


def sms_code(phone: str) -> str:
    body = Notification.objects.filter(phone=phone).order_by("-id").values_list(
        "body", flat=True).first()
    match = re.search(r"验证码是(\d{6})", body or "")
    assert match, body
    return match.group(1)


def test_an_applicant_rates_badly_on_a_phone_and_the_handler_follows_up(
    live_server: Any, phone_page: Any, browser: Any, ev: Any, artifacts: Path
) -> None:
    base = live_server.url
    case = ev.completed_case()
    rate_path = f"/evaluate/case/{case.case_no}/"
    phone = phone_page

    # 1. The applicant signs in by SMS code and opens the rate page of the completed case.
    phone.goto(f"{base}{rate_path}")
    phone.wait_for_url(re.compile(r"/accounts/applicant/login/"))
    phone.get_by_label("手机号码").fill(ev.w.applicant.mobile)
    phone.get_by_role("button", name="获取验证码").click()
    phone.get_by_label("短信验证码").fill(sms_code(ev.w.applicant.mobile))
    with phone.expect_navigation(url=re.compile(re.escape(rate_path) + "$")):
        phone.get_by_role("button", name="登录", exact=True).click()
    assert phone.locator("h1").inner_text() == "服务评价"
    faces = phone.locator(".rate-level label")
    assert faces.count() == 5
    box = faces.first.bounding_box()
    assert box and box["height"] >= 56 and box["width"] >= 300  # a full-width row to tap
    no_sideways_scroll(phone, "the rate page")
    phone.screenshot(path=str(artifacts / "evaluation-rate-phone.png"), full_page=True)

    # Submitting without a choice says what is missing, beside the choice.
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交评价").click()
    assert "请选择评价等级" in phone.locator("#err-level").inner_text()
    phone.locator("label[for=level-4]").click()
    assert phone.get_by_role("radio", name="不满意", exact=True).is_checked()
    phone.get_by_label("意见建议（选填）").fill("补正要求前后说法不一，跑了两趟")
    with phone.expect_navigation(url=re.compile(r"\?done=1$")):
        phone.get_by_role("button", name="提交评价").click()
    assert "感谢您的评价" in phone.locator(".rate-done").inner_text()
    no_sideways_scroll(phone, "the thank-you page")
    phone.screenshot(path=str(artifacts / "evaluation-rated-phone.png"), full_page=True)
    e = Evaluation.objects.get()
    assert (e.level, e.channel) == (4, "mobile")
    fu = FollowUp.objects.get(evaluation=e)

    # 2. The department head finds it in the follow-up inbox and answers.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    desk = context.new_page()
    desk.set_default_timeout(15_000)
    inbox = "/workbench/evaluation/follow-ups/"
    desk.goto(f"{base}/accounts/login/?next={inbox}")
    desk.locator("#id_username").fill(ev.w.head.username)
    desk.locator("#id_password").fill(STAFF_PASSWORD)
    with desk.expect_navigation(url=re.compile(re.escape(inbox) + "$")):
        desk.get_by_role("button", name="登录", exact=True).click()
    row = desk.locator("tr", has_text=case.case_no)
    assert row.count() == 1 and "不满意" in row.inner_text()
    desk.screenshot(path=str(artifacts / "evaluation-follow-up-inbox.png"), full_page=True)
    with desk.expect_navigation():
        row.get_by_role("link", name="不满意").click()
    assert "13905391001" in desk.locator(".kv").inner_text()  # the number to call back
    desk.get_by_label("核实情况").fill("经核实，两次补正要求确有不一致。")
    desk.get_by_label("回访记录").fill("已电话回访申请人并致歉。")
    with desk.expect_navigation():
        desk.get_by_role("button", name="保存核实回访").click()
    desk.get_by_label("已整改").check()
    desk.get_by_label("答复内容").fill("已统一补正口径，今后一次性告知全部材料。")
    with desk.expect_navigation():
        desk.get_by_role("button", name="提交答复").click()
    assert "已答复" in desk.locator("main").inner_text()
    desk.screenshot(path=str(artifacts / "evaluation-follow-up-answered.png"), full_page=True)
    context.close()
    fu.refresh_from_db()
    assert fu.state == "answered" and fu.on_time

    # 3. The applicant sees the answer and rates again.
    phone.goto(f"{base}{rate_path}")
    assert "整改后再评价" in phone.locator("h1").inner_text()
    assert "已统一补正口径" in phone.locator(".rate-response").inner_text()
    phone.locator("label[for=level-2]").click()
    with phone.expect_navigation(url=re.compile(r"\?done=1$")):
        phone.get_by_role("button", name="提交再评价").click()
    assert "再评价：满意" in phone.locator(".rate-done").inner_text()
    phone.screenshot(path=str(artifacts / "evaluation-second-rating-phone.png"), full_page=True)
    e.refresh_from_db()
    assert e.second_level == 2

    # 4. The review and the answer are public, anonymised.
    phone.goto(f"{base}/reviews/")
    text = phone.locator("main").inner_text()
    assert "已统一补正口径" in text and "张三丰" not in text and "13905391001" not in text
    no_sideways_scroll(phone, "the reviews page")
    phone.screenshot(path=str(artifacts / "evaluation-reviews-phone.png"), full_page=True)
