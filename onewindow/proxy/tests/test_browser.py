"""A village agent applies for a villager, on a phone (390×844), in headless Chromium (Debian's,
never `playwright install`): signs in, registers the villager, records the consent by the SMS
code the villager reads out (taken from the outbox here), picks the item of the published list,
fills the form and the paper materials, submits; then records delivering the materials.
The public list is checked on the phone too. Screenshots go to /tmp/shots_proxy/.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import time_machine

from onewindow.cases.models import Case, Channel
from onewindow.proxy.models import ProxyConsent
from onewindow.proxy.tests.conftest import MORNING, PASSWORD, last_code, sms_to
from onewindow.proxy.workflow import Stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = os.environ.get("ONEWINDOW_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("ONEWINDOW_SHOTS", "/tmp/shots_proxy"))  # noqa: S108
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36")
NEW_ID = "370102195603150249"  # a valid resident ID number (GB 11643 check digit)
NEW_MOBILE = "13905391066"


@pytest.fixture(autouse=True)
def _morning() -> Any:
    """A ticking clock from Tuesday morning (the live server's requests need time to pass)."""
    with time_machine.travel(MORNING, tick=True):
        yield


# ``browser``: the session's one Chromium (the project's conftest.py).


def _phone(browser: Any, problems: list[str]) -> Any:
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                              device_scale_factor=2, is_mobile=True, has_touch=True,
                              user_agent=PHONE_UA, timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # A refused form answers 422 on purpose (the wrong code below); anything else is a problem.
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and "favicon" not in m.location.get("url", "")
            and "status of 422" not in m.text else None)
    return page


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"


def _big_enough(locator: Any) -> None:
    box = locator.bounding_box()
    assert box is not None and box["height"] >= 48, box  # a touch target


def test_a_village_agent_applies_for_a_villager(live_server: Any, browser: Any, pw: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    base = live_server.url
    page = _phone(browser, problems)

    page.goto(f"{base}/accounts/login/?next=/workbench/proxy/")
    page.locator("#id_username").fill(pw.agent.username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation(url=lambda u: u.endswith("/workbench/proxy/")):
        page.get_by_role("button", name="登录", exact=True).click()
    assert "我的代办" in page.locator("h1").inner_text()
    _shot(page, "01-my-proxy-cases-empty")
    new = page.get_by_role("link", name="新建代办申请")
    _big_enough(new)
    new.click()

    # 1. The villager is not registered yet: search by ID number, then register.
    page.get_by_label("身份证号码或手机号码").fill(NEW_ID)
    page.get_by_role("button", name="查找", exact=True).click()
    assert "没有找到这个号码登记的群众" in page.locator("main").inner_text()
    assert page.get_by_label("公民身份号码").input_value() == NEW_ID  # carried over
    page.get_by_label("姓名", exact=True).fill("赵春花")
    page.get_by_label("手机号码", exact=True).fill(NEW_MOBILE)
    _shot(page, "02-register-villager")
    page.get_by_role("button", name="登记并继续").click()
    page.wait_for_url(lambda u: "villager=" in u)
    assert "已登记群众 赵**" in page.locator(".messages").inner_text()

    # 2. Consent by SMS: the agent types the villager's mobile; a code goes out.
    assert "委托" in page.locator(".px-consent-text").inner_text()
    page.get_by_label("群众的手机号码").fill(NEW_MOBILE)
    _shot(page, "03-consent-methods")
    send = page.get_by_role("button", name="发送验证码")
    _big_enough(send)
    send.click()
    page.wait_for_url(lambda u: u.endswith("/consent/"))
    assert "同意委托请把验证码" in sms_to(NEW_MOBILE)[-1]
    # A wrong code first: refused beside the field.
    page.get_by_label("群众告知的6位验证码").fill("000001" if last_code(NEW_MOBILE) != "000001"
                                               else "000002")
    page.get_by_role("button", name="确认委托").click()
    assert "验证码不正确" in page.locator(".field-error").inner_text()
    _shot(page, "04-consent-wrong-code")
    page.get_by_label("群众告知的6位验证码").fill(last_code(NEW_MOBILE))
    page.get_by_role("button", name="确认委托").click()
    page.wait_for_url(lambda u: u.endswith("/apply/"))
    assert "群众已委托" in page.locator(".px-ok").inner_text()

    # 3. Pick the item from the published list (search narrows it).
    page.get_by_placeholder("搜索事项，如：养老保险").fill("养老")
    page.get_by_role("button", name="搜索").click()
    _shot(page, "05-pick-item")
    page.get_by_role("link", name="城乡居民基本养老保险参保登记").click()
    page.wait_for_url(lambda u: "item=" in u)

    # 4. The form (prefilled from the villager) and the paper materials carried.
    assert page.get_by_label("姓名").input_value() == "赵春花"
    assert page.get_by_label("公民身份号码").input_value() == NEW_ID
    page.get_by_label("缴费档次").select_option("500元")
    page.get_by_label("银行卡复印件").fill("2")
    page.get_by_label("其他材料名称").first.fill("结婚证复印件")
    page.locator("#extra_copies_0").fill("1")
    _shot(page, "06-form-and-materials")
    _no_sideways_scroll(page)
    submit = page.get_by_role("button", name="提交代办申请")
    _big_enough(submit)
    submit.click()
    page.wait_for_url(lambda u: u.rstrip("/").split("/")[-1].isdigit())
    consent = ProxyConsent.objects.select_related("case", "villager").get()
    case = consent.case
    assert case is not None and case.channel == Channel.AGENT
    assert case.applicant == consent.villager and case.created_by == pw.agent
    assert consent.stage == Stage.MATERIALS_RECEIVED
    assert case.case_no in page.locator(".messages").inner_text()
    assert "结婚证复印件" in page.locator(".px-log").inner_text()
    assert any("已收取您的纸质材料共5份" in t for t in sms_to(NEW_MOBILE))
    _shot(page, "07-submitted-steps")
    _no_sideways_scroll(page)

    # 5. The next step: the materials reach the centre.
    page.get_by_label("说明（选填）").fill("交东湖区政务服务中心综合窗口")
    page.get_by_role("button", name="材料已递交服务中心").click()
    page.wait_for_load_state()
    assert "已登记：材料递交服务中心" in page.locator(".messages").inner_text()
    consent.refresh_from_db()
    assert consent.stage == Stage.DELIVERED
    _shot(page, "08-delivered")
    page.goto(f"{base}/workbench/proxy/")
    assert "等待审批" in page.locator(".px-cards").inner_text()
    _shot(page, "09-my-proxy-cases")
    assert Case.objects.count() == 1

    # The public list on the phone.
    page.goto(f"{base}/proxy/items/?region={pw.regions['v1'].code}")
    assert "城乡居民基本养老保险参保登记" in page.locator("main").inner_text()
    _no_sideways_scroll(page)
    _shot(page, "10-public-list")

    # The town's management office reads the case on a desk screen, without the agent's buttons.
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                               timezone_id="Asia/Shanghai").new_page()
    desk.set_default_timeout(15_000)
    desk.on("pageerror", lambda e: problems.append(str(e)))
    desk.goto(f"{base}/accounts/login/?next=/workbench/proxy/")
    desk.locator("#id_username").fill(pw.town_supervisor.username)
    desk.locator("#id_password").fill(PASSWORD)
    with desk.expect_navigation(url=lambda u: u.endswith("/workbench/proxy/")):
        desk.get_by_role("button", name="登录", exact=True).click()
    assert "代办情况" in desk.locator("h1").inner_text()
    assert "测试agent_v1" in desk.locator(".px-cards").inner_text()
    _shot(desk, "11-town-office-list")
    desk.get_by_role("link", name="城乡居民基本养老保险参保登记").click()
    desk.wait_for_url(lambda u: u.rstrip("/").split("/")[-1].isdigit())
    assert desk.get_by_role("button", name="材料已递交服务中心").count() == 0
    assert "材料递交服务中心" in desk.locator(".px-log").inner_text()
    _shot(desk, "12-town-office-detail")
    assert problems == []
