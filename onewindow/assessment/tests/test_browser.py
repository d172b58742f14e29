"""Window assessment in headless Chromium: the management office computes October, reads the
ranking (the red-flag window first), looks at the staff tab, publishes; the public ranking shows
the red-flag window highlighted and no staff, on a desktop and on a phone.

Screenshots go to /tmp/shots_assess/ (override with ONEWINDOW_SHOTS).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from onewindow.assessment.models import AssessmentRun, RunState
from onewindow.assessment.tests.conftest import PASSWORD, TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = os.environ.get("ONEWINDOW_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("ONEWINDOW_SHOTS", "/tmp/shots_assess"))
PHONE_WIDTH = 375


@pytest.fixture(autouse=True)
def _november(time_machine: Any) -> Any:
    time_machine.move_to(TODAY, tick=True)  # a ticking clock for the live server
    return time_machine


# ``browser``: the session's one Chromium (the project's conftest.py).


def test_compute_read_publish_and_the_public_ranking(live_server: Any, browser: Any,
                                                     known: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    p = ctx.new_page()
    p.set_default_timeout(15_000)
    p.goto(f"{base}/accounts/login/?next=/workbench/assessment/")
    p.locator("#id_username").fill(known.admin.username)
    p.locator("#id_password").fill(PASSWORD)
    with p.expect_navigation(url=lambda u: u.endswith("/workbench/assessment/")):
        p.get_by_role("button", name="登录", exact=True).click()
    assert p.get_by_label("考核月份").input_value() == "2026-10"
    p.get_by_label("考核区划").select_option(label="东湖区（区县）")
    with p.expect_navigation():
        p.get_by_role("button", name="计算", exact=True).click()
    run = AssessmentRun.objects.get()
    assert p.url.endswith(f"/workbench/assessment/{run.pk}/")
    assert "考核结果已计算（草稿）" in p.locator(".messages").inner_text()
    first = p.locator(".as-table tbody tr").first
    assert "B07 卫生健康窗口" in first.inner_text() and "红旗窗口" in first.inner_text()
    assert "as-red-flag" in (first.get_attribute("class") or "")
    assert p.locator(".as-table tbody tr").count() == 3
    p.screenshot(path=str(SHOTS / "assessment-run-windows.png"), full_page=True)

    p.get_by_role("link", name="工作人员 3").click()
    p.wait_for_url(lambda u: u.endswith("?kind=staff"))
    assert "内部，不公开" in p.locator("#ranking-title").inner_text()
    assert p.locator(".as-table tbody tr").count() == 3
    p.screenshot(path=str(SHOTS / "assessment-run-staff.png"), full_page=True)

    with p.expect_navigation():
        p.get_by_role("button", name="发布考核结果").click()
    assert "考核结果已发布" in p.locator(".messages").inner_text()
    assert AssessmentRun.objects.get().state == RunState.PUBLISHED
    with p.expect_navigation():
        p.get_by_role("link", name="查看公开页面").click()
    ctx.close()

    public = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    q = public.new_page()
    q.goto(f"{base}/assessment/")
    q.get_by_role("link", name="东湖区 2026年10月窗口考核结果").click()
    q.wait_for_url(lambda u: u.endswith("/assessment/379902000000/2026-10/"))
    flags = q.locator(".as-flags")
    assert "本月红旗窗口" in flags.inner_text() and "B07 卫生健康窗口" in flags.inner_text()
    assert q.locator("tr.as-red-flag").count() == 1
    body = q.locator("main").inner_text()
    assert "工作人员" not in body and "测试" not in body
    q.screenshot(path=str(SHOTS / "assessment-public.png"), full_page=True)
    public.close()

    phone_ctx = browser.new_context(locale="zh-CN", viewport={"width": PHONE_WIDTH, "height": 812},
                                    device_scale_factor=2, is_mobile=True, has_touch=True)
    phone = phone_ctx.new_page()
    phone.goto(f"{base}/assessment/379902000000/2026-10/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the public ranking scrolls sideways on a phone ({width}px)"
    phone.screenshot(path=str(SHOTS / "assessment-public-phone.png"), full_page=True)
    phone_ctx.close()
