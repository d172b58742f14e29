"""A citizen asks the answering robot on a phone-sized screen and sees the answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def seeded(transactional_db: Any) -> None:
    from onewindow.hotline import selectors
    from onewindow.hotline.demo import load_demo_articles
    from onewindow.regions.models import Department, Region, RegionLevel

    city = Region.objects.create(code="379900000000", name="云溪市", level=RegionLevel.CITY)
    for code, name in (("GAJ", "云溪市公安局"), ("GJJ", "云溪市住房公积金管理中心"),
                       ("SCJG", "云溪市市场监督管理局"), ("YBJ", "云溪市医疗保障局")):
        Department.objects.create(region=city, code=code, name=name)
    assert load_demo_articles().created > 20
    selectors.forget_index()


def test_citizen_asks_the_robot_on_a_phone(
    phone_page: Any, live_server: Any, seeded: None, artifacts: Path
) -> None:
    page = phone_page
    page.goto(f"{live_server.url}/robot/")
    assert page.locator("h1").inner_text() == "智能问答"
    page.fill("#id_q", "我的身份证昨天弄丢了，咋补办")
    page.click("button[type=submit]:has-text('发送')")
    answer = page.locator(".bubble-bot .answer-q").last
    answer.wait_for()
    assert "补领" in answer.inner_text()
    bubble = page.locator(".bubble-bot").last
    assert "云溪市公安局" in bubble.inner_text()
    assert bubble.locator(".answer-more li").count() >= 1  # the other candidates
    # the page fits the phone: nothing wider than the screen
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    page.screenshot(path=str(artifacts / "robot-phone.png"), full_page=True)

    page.fill("#id_q", "明天会下雨吗")
    page.keyboard.press("Enter")
    page.locator(".bubble-unknown").last.wait_for()
    assert "12345" in page.locator(".bubble-unknown").last.inner_text()
    page.screenshot(path=str(artifacts / "robot-phone-unknown.png"), full_page=False)
