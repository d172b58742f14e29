"""An applicant fills a package's combined form once and tracks the package — in headless
Chromium (Debian's, never `playwright install`) on a phone-sized screen.

They open 开餐馆一件事, sign in with an SMS code, fill the combined form once (a wrong mobile
number is shown beside its field first), upload each material of the combined list once,
choose electronic delivery and submit; the tracking page shows the application number, the
two cases that started with their numbers and the two items waiting for their prerequisites.
Screenshots go to /tmp/shots_pkg/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from onewindow.cases.tests.conftest import pdf_bytes
from onewindow.notifications.models import Notification
from onewindow.packages.design import load_design
from onewindow.packages.models import PackageApplication, PackageCase
from onewindow.packages.workflow import ItemState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# ``browser`` is the project's one shared Chromium (root conftest.py).
SHOTS = Path(os.environ.get("ONEWINDOW_PKG_SHOTS", "/tmp/shots_pkg"))  # noqa: S108
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36")


def phone_page(browser: Any, problems: list[str], expected: set[int]) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  user_agent=PHONE_UA, timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: problems.append(f"{m.text} {m.location.get('url', '')}")
            if m.type == "error" and "/favicon.ico" not in m.location.get("url", "")
            and "status of 422" not in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.status not in expected else None)
    return page


def fits_width(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def sms_code(phone: str) -> str:
    body = Notification.objects.filter(phone=phone).latest("created_at", "id").body
    match = re.search(r"(\d{6})", body)
    assert match, body
    return match.group(1)


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_an_applicant_fills_the_combined_form_once_and_tracks_the_package(
        live_server, browser, w, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    expected = {422}  # the wrong mobile number on purpose
    page = phone_page(browser, problems, expected)

    # 1. The package's guide: the order items run in and the one material list.
    page.goto(f"{live_server.url}/packages/")
    shot(page, "pkg-0-list.png")
    with page.expect_navigation():
        page.get_by_role("link", name="开餐馆一件事", exact=True).tap()
    assert page.locator("h1").inner_text() == "开餐馆一件事"
    assert page.locator(".chain-level").count() == 3
    assert fits_width(page)
    shot(page, "pkg-1-guide.png")

    # 2. 在线申请 → sign in with an SMS code → back to choosing the identity.
    with page.expect_navigation():
        page.get_by_role("link", name="在线申请").tap()
    assert "/accounts/applicant/login/" in page.url
    phone = w.applicant.mobile
    page.get_by_label("手机号码").fill(phone)
    with page.expect_navigation():
        page.get_by_role("button", name="获取验证码").tap()
    page.get_by_label("短信验证码").fill(sms_code(phone))
    with page.expect_navigation():
        page.get_by_role("button", name="登录").tap()
    assert page.url.endswith("/packages/restaurant/apply/")
    page.locator("label.choice-card").first.tap()
    with page.expect_navigation():
        page.get_by_role("button", name="开始填写联合申请表").tap()
    application = PackageApplication.objects.get()
    assert application.number in page.locator(".case-meta").inner_text()

    # 3. The combined form, once: a wrong mobile number is shown beside its field.
    page.get_by_label("经营者名称").fill("东湖小馆餐饮店")
    page.get_by_label("法定代表人").fill("张三丰")
    page.get_by_label("联系电话").fill("1390539")
    page.get_by_label("主体业态").select_option("餐饮服务经营者")
    page.get_by_label("营业面积（平方米）").fill("120")
    page.get_by_label("招牌设置地点").fill("政通路88号门头")
    with page.expect_navigation():
        page.get_by_role("button", name="下一步：上传材料").tap()
    error = page.locator("#fld-mobile .field-error")
    assert error.count() == 1 and "手机" in error.inner_text()
    assert page.get_by_label("经营者名称").input_value() == "东湖小馆餐饮店"  # kept
    assert fits_width(page)
    shot(page, "pkg-2-form-error.png")
    page.get_by_label("联系电话").fill("13905391001")
    with page.expect_navigation():
        page.get_by_role("button", name="下一步：上传材料").tap()
    assert "step=2" in page.url

    # 4. Each material of the combined list once (the shared one says so).
    materials = load_design(w.package).materials
    assert page.locator("form.mat-upload").count() == len(materials)
    assert "3 个事项共用" in page.locator(".mat-list").inner_text()
    for m in materials:
        path = tmp_path / f"{m.key}.pdf"
        path.write_bytes(pdf_bytes(m.name))
        row = page.locator(f"#m-{m.key}")
        row.locator("input[type=file]").set_input_files(str(path))
        with page.expect_navigation():
            row.get_by_role("button", name=re.compile("^上传")).tap()
        assert page.locator(f"#m-{m.key} .pill").inner_text() == "已上传"
    assert fits_width(page)
    shot(page, "pkg-3-materials.png")

    # 5. Delivery once for all results, then submit.
    with page.expect_navigation():
        page.get_by_role("link", name="下一步：送达方式与提交").tap()
    page.get_by_label("电子送达").check()
    assert page.locator(".alert-error").count() == 0  # nothing missing
    assert fits_width(page)
    shot(page, "pkg-4-confirm.png")
    with page.expect_navigation():
        page.get_by_role("button", name="确认提交全部事项").tap()

    # 6. Tracking: one number, each item's case or what it waits for.
    assert page.url.endswith(f"/my/packages/{application.number}/")
    assert page.locator(".track-number").inner_text() == application.number
    items = page.locator(".track-item")
    assert items.count() == 4
    started = PackageCase.objects.filter(application=application, state=ItemState.STARTED)
    assert started.count() == 2
    text = page.locator(".track-list").inner_text()
    for pc in started.select_related("case"):
        assert pc.case.case_no in text
    assert "等待“公司设立登记”办结" in text and "等待“食品经营许可”办结" in text
    assert fits_width(page)
    shot(page, "pkg-5-tracking.png")
    # The case of a started item opens from the tracking page.
    with page.expect_navigation():
        page.locator(".track-item").first.locator("a.mono").tap()
    assert "/my/cases/" in page.url

    # 7. The window's workbench lists the application in its scope, items side by side.
    from onewindow.packages.tests.conftest import PASSWORD

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                  timezone_id="Asia/Shanghai")
    desk = context.new_page()
    desk.goto(f"{live_server.url}/workbench/packages/")
    desk.get_by_label("用户名").fill(w.clerk.username)
    desk.get_by_label("密码").fill(PASSWORD)
    with desk.expect_navigation():
        desk.get_by_role("button", name="登录").click()
    assert desk.url.endswith("/workbench/packages/")
    row = desk.locator("tbody tr")
    assert row.count() == 1 and application.number in row.inner_text()
    shot(desk, "pkg-6-workbench.png")
    with desk.expect_navigation():
        row.get_by_role("link", name=application.number).click()
    assert desk.locator(".track-item").count() == 4
    shot(desk, "pkg-7-workbench-detail.png")
    assert problems == []
