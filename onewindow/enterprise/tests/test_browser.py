"""企忧事项 through the real pages in headless Chromium.

The market bureau's head (包联部门) finds the company in 一企一档, records a visit with a
problem the company raised, assigns it to the bureau, resolves it, and sees the company file
with the concern closed. Screenshots go to /tmp/shots_ent/ (ONEWINDOW_SHOTS to change it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from onewindow.enterprise import services
from onewindow.enterprise.models import Concern, EnterpriseVisit
from onewindow.enterprise.workflow import ConcernState
from tests.e2e.conftest import page as page  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-9"  # noqa: S105 - the make_staff fixture's test password
SHOTS = Path(os.environ.get("ONEWINDOW_SHOTS", "/tmp/shots_ent"))  # noqa: S108


def at(path: str) -> Any:
    return lambda url: urlsplit(url).path == path


def test_a_department_head_records_a_visit_assigns_and_resolves_the_concern(
        live_server: Any, page: Any, ent: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    services.key_project_designate(
        actor=ent.admin, region=ent.regions["d1"], code="DH-2026-01", name="精密机械二期扩产",
        lead_department=ent.departments["d1_market"], company=ent.company_a,
        investment="18000", stage="approval")
    services.secretary_assign(actor=ent.admin, user=ent.reviewer, file=ent.file_a)

    # 1. Sign in and find the company in 一企一档.
    page.goto(f"{base}/accounts/login/?next=/workbench/enterprise/")
    page.locator("#id_username").fill(ent.head.username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation(url=at("/workbench/enterprise/")):
        page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_label("企业名称或统一社会信用代码").fill("精密")
    with page.expect_navigation():
        page.get_by_role("button", name="查找", exact=True).click()
    file_path = f"/workbench/enterprise/files/{ent.file_a.pk}/"
    with page.expect_navigation(url=at(file_path)):
        page.get_by_role("link", name=ent.company_a.name).click()
    assert page.locator("h1").inner_text() == ent.company_a.name

    # 2. Record a visit with one problem the company raised.
    with page.expect_navigation(url=at(file_path + "visit/")):
        page.get_by_role("link", name="登记走访").first.click()
    page.get_by_label("企业参加人员").fill("总经理、人事主管")
    page.get_by_label("走访情况", exact=True).fill("走访生产车间，了解二期扩产和用工需求。")
    page.locator("#c0_description").fill("新招工人健康证办理排队时间长，影响上岗")
    page.locator("#c0_category").select_option(label="用工招聘")
    page.screenshot(path=str(SHOTS / "visit-form.png"), full_page=True)
    with page.expect_navigation(url=at(file_path)):
        page.get_by_role("button", name="保存走访记录").click()
    assert "企业反映的问题 1 项" in page.locator(".messages").inner_text()
    assert page.get_by_role("tab", name=re.compile("走访")).get_attribute(
        "aria-selected") == "true"
    concern = Concern.objects.get()
    assert concern.state == ConcernState.RAISED and EnterpriseVisit.objects.count() == 1

    # 3. Open the concern, assign it to the bureau, resolve it.
    page.get_by_role("tab", name=re.compile("企忧事项")).click()
    concern_path = f"/workbench/enterprise/concerns/{concern.number}/"
    with page.expect_navigation(url=at(concern_path)):
        page.get_by_role("link", name=concern.number).click()
    page.get_by_label("责任部门").select_option(label="东湖区市场监督管理局")
    with page.expect_navigation(url=at(concern_path)):
        page.get_by_role("button", name="交办", exact=True).click()
    assert "已交办" in page.locator(".messages").inner_text()
    # Explaining without a reason is refused beside the field.
    with page.expect_navigation(url=at(concern_path)):
        page.get_by_role("button", name="解释说明办结").click()
    assert "写明理由" in page.locator(".field-error").first.inner_text()
    page.get_by_label("办理结果").fill("与区体检中心协调，每周三下午开设企业健康证专场，当日出证。")
    with page.expect_navigation(url=at(concern_path)):
        page.get_by_role("button", name="办结", exact=True).click()
    assert "已办结（已解决）" in page.locator(".messages").inner_text()
    assert "已解决" in page.locator(".badges").inner_text()
    page.screenshot(path=str(SHOTS / "concern-resolved.png"), full_page=True)
    concern.refresh_from_db()
    assert concern.state == ConcernState.RESOLVED and concern.on_time

    # 4. The company file shows it closed; the overview shows secretaries and the project.
    page.goto(f"{base}{file_path}?tab=concerns")
    panel = page.locator("#panel-concerns")
    assert panel.is_visible() and "已解决" in panel.inner_text()
    assert page.locator(".ent-kpis").inner_text().split()[:4] == ["1", "反映问题", "1", "已办结"]
    page.screenshot(path=str(SHOTS / "company-file-concerns.png"), full_page=True)
    page.get_by_role("tab", name="概况").click()
    overview = page.locator("#panel-overview")
    assert str(ent.reviewer) in overview.inner_text()
    assert not page.locator("#panel-concerns").is_visible()
    page.screenshot(path=str(SHOTS / "company-file.png"), full_page=True)
    page.goto(f"{base}/workbench/enterprise/concerns/?state=")
    page.screenshot(path=str(SHOTS / "concern-inbox.png"), full_page=True)
