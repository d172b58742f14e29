"""An operator takes a call, searches the knowledge base beside the form and dispatches; the
department signs for the order and replies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

PASSWORD = "Correct-Horse-9"  # noqa: S105 - test account


@pytest.fixture
def seeded(transactional_db: Any) -> dict[str, Any]:
    from onewindow.accounts.models import Role, RoleAssignment, StaffMember, User
    from onewindow.hotline import selectors
    from onewindow.hotline.demo import load_demo_articles
    from onewindow.hotline.demo_orders import load_catalogue
    from onewindow.regions.models import Department, Region, RegionLevel

    city = Region.objects.create(code="379900000000", name="云溪市", level=RegionLevel.CITY)
    d1 = Region.objects.create(code="379902000000", name="东湖区", level=RegionLevel.DISTRICT,
                               parent=city)
    Region.objects.create(code="379902001000", name="湖滨街道", level=RegionLevel.TOWN,
                          parent=d1)
    for code, name in (("SCJG", "云溪市市场监督管理局"), ("GAJ", "云溪市公安局")):
        Department.objects.create(region=city, code=code, name=name)
    market = Department.objects.create(region=d1, code="SCJG", name="东湖区市场监督管理局")
    load_demo_articles()
    load_catalogue()
    selectors.forget_index()

    def staff(username: str, role: str, region: Any, dep: Any = None) -> Any:
        user = User.objects.create_user(username=username, password=PASSWORD,
                                        display_name=username)
        StaffMember.objects.create(user=user, staff_number=username[:10], region=region,
                                   department=dep)
        RoleAssignment.objects.create(user=user, role=role, region=region, department=dep)
        return user

    return {"op": staff("operator1", Role.OPERATOR, city),
            "dept": staff("reviewer1", Role.REVIEWER, d1, market)}


def sign_in(page: Any, base: str, username: str, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"**{next_url}")


def test_operator_dispatches_and_department_signs_and_replies(
    browser: Any, live_server: Any, seeded: dict[str, Any], artifacts: Path
) -> None:
    base = live_server.url
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    sign_in(page, base, "operator1", "/workbench/hotline/new/")
    # the caller describes the problem; the operator looks it up in the knowledge base
    page.fill("#o-phone", "13905391001")
    page.fill("#o-name", "王先生")
    page.select_option("#o-cat", "SC-SP")
    page.select_option("#o-region", "379902001000")
    page.fill("#o-loc", "湖滨路 12 号")
    page.fill("#o-desc", "湖滨路一家小吃店后厨卫生很差，看到有老鼠，想投诉。")
    page.fill("#kbq", "食品经营许可")
    page.click("#kb-form button[type=submit]")
    page.locator("#kb-results .result").first.wait_for()
    assert page.locator("#o-desc").input_value().startswith("湖滨路")  # the form was kept
    page.screenshot(path=str(artifacts / "hotline-order-call.png"), full_page=True)
    page.get_by_role("button", name="登记工单").click()
    page.wait_for_url("**/workbench/hotline/GD*/")
    order_no = page.locator("#order-no").inner_text().strip()
    assert "东湖区市场监督管理局" in page.locator("#a-dep").inner_text()  # the suggestion
    page.click("#act-dispatch")
    page.locator(".msg-success").wait_for()
    assert "待签收" in page.content()
    page.screenshot(path=str(artifacts / "hotline-order-dispatched.png"), full_page=True)
    ctx.close()

    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    sign_in(page, base, "reviewer1", "/workbench/hotline/inbox/")
    row = page.locator("tr", has_text=order_no)
    assert row.locator(".chip").count() == 1
    page.screenshot(path=str(artifacts / "hotline-order-inbox.png"), full_page=True)
    row.get_by_role("link", name=order_no).click()
    assert "139****1001" in page.content() and "13905391001" not in page.content()
    page.click("#act-sign")
    page.locator(".msg-success").wait_for()
    page.fill("#a-reply", "已到现场检查，责令该店停业整改，复查合格后方可营业。")
    page.get_by_role("button", name="提交答复").click()
    page.locator(".msg-success").wait_for()
    assert "待回访" in page.content()
    page.screenshot(path=str(artifacts / "hotline-order-replied.png"), full_page=True)
    ctx.close()
