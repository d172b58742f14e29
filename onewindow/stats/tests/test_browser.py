"""The dashboards in headless Chromium.

A city supervisor opens 统计分析, sees the charts drawn (canvases with pixels on them), clicks
the red district's bar, switches the department block to its table and follows the department,
opens the overdue case, issues a supervision notice (督办单); the department head signs in and
replies; the supervisor closes it. The hall wall is drawn at 1920×1080 for a signed-in user and
for a centre's screen opened with its kiosk key, and refreshes from the API. Screenshots go to
/tmp/shots_dash/ (ONEWINDOW_SHOTS)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from onewindow.hall import services as hall_services
from onewindow.regions.models import CentreKind, ServiceCentre
from onewindow.stats.tests.conftest import PASSWORD, build_city, refresh
from onewindow.supervision.models import NoticeState, SupervisionNotice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAINTED = """(sel) => {
  const canvases = document.querySelectorAll(sel + ' canvas');
  let n = 0;
  canvases.forEach((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 16) { if (d[i] > 0) { n++; } }
  });
  return n;
}"""

BAR = """([key, series, index]) => {
  const chart = window.statsDashboard.charts[key];
  const l = chart.getModel().getSeriesByIndex(series).getData().getItemLayout(index);
  const box = chart.getDom().getBoundingClientRect();
  return {x: box.left + l.x + l.width / 2, y: box.top + l.y + l.height / 2};
}"""


def sign_in(page: Any, base: str, username: str, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation(url=lambda u: urlsplit(u).path == next_url.split("?")[0]):
        page.get_by_role("button", name="登录", exact=True).click()


def watch_console(page: Any) -> list[str]:
    """Script errors, CSP refusals and failed requests of the page (the favicon aside)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and "Failed to load resource" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
            and r.request.resource_type != "document" and "favicon" not in r.url else None)
    return errors


def assert_charts_drawn(page: Any, keys: list[str]) -> None:
    for key in keys:
        sel = f'[data-chart="{key}"]'
        page.wait_for_selector(f"{sel} canvas")
        assert page.locator(sel).is_visible(), key
        assert page.locator(f'[data-table="{key}"]').is_hidden(), key
        assert page.evaluate(PAINTED, sel) > 500, f"the {key} chart is blank"


@pytest.fixture
def city(world: Any, make_staff: Any) -> Any:
    now = timezone.now() - dt.timedelta(minutes=1)
    d = build_city(world, make_staff, today=timezone.localdate(now), latest=now)
    refresh()
    return d


def test_a_supervisor_drills_down_to_the_overdue_case_and_the_department_replies(
        live_server: Any, browser: Any, shots: Path, city: Any) -> None:
    base = live_server.url
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    errors = watch_console(page)

    # 1. The city's dashboard: KPI cards and every chart drawn.
    sign_in(page, base, city.city_supervisor.username, "/workbench/stats/")
    assert page.locator("h1").inner_text() == "统计分析：云溪市"
    assert page.locator('[data-kpi="overdue"] .st-kpi-n').inner_text() == "1"
    assert_charts_drawn(page, ["trend", "children", "departments", "ratings", "alerts"])
    page.screenshot(path=str(shots / "dashboard-city.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=str(shots / "dashboard-city-top.png"))

    # The table view of a chart shows the same figures.
    page.locator('[data-toggle="children"]').click()
    assert page.locator('[data-table="children"]').is_visible()
    assert page.locator('[data-chart="children"]').is_hidden()
    row = page.locator('[data-table="children"] tr', has_text="东湖区")
    assert "1" in row.locator("td.st-alert").inner_text()
    page.locator('[data-toggle="children"]').click()
    assert page.locator('[data-chart="children"]').is_visible()

    # 2. Click the red bar of 东湖区 (its cases in progress include the overdue one).
    point = page.evaluate(BAR, ["children", 1, 0])
    with page.expect_navigation(url=lambda u: "region=379902000000" in u):
        page.mouse.click(point["x"], point["y"])
    assert page.locator("h1").inner_text() == "统计分析：东湖区"
    assert page.get_by_role("link", name="云溪市").is_visible()  # breadcrumb back up
    assert_charts_drawn(page, ["trend", "children", "departments"])

    # 3. The department, from the department block's table view.
    page.locator('[data-toggle="departments"]').click()
    with page.expect_navigation(url=lambda u: f"department={city.d1_market.pk}" in u):
        page.locator('[data-table="departments"]').get_by_role(
            "link", name="东湖区市场监督管理局").click()
    assert page.locator("h1").inner_text() == "统计分析：东湖区 · 东湖区市场监督管理局"
    assert_charts_drawn(page, ["trend", "ratings", "alerts"])
    assert page.locator('[data-chart="departments"]').count() == 0  # one department: a table
    overdue = page.locator("#overdue-cases")
    assert overdue.get_by_role("link", name=city.overdue.case_no, exact=True).is_visible()
    page.screenshot(path=str(shots / "dashboard-department.png"), full_page=True)

    # 4. The overdue case's screen, then back to issue a supervision notice.
    case_url = f"/workbench/cases/{city.overdue.case_no}/"
    with page.expect_navigation(url=lambda u: u.endswith(case_url)):
        overdue.get_by_role("link", name=city.overdue.case_no, exact=True).click()
    assert city.overdue.case_no in page.content()
    page.go_back()
    with page.expect_navigation(url=lambda u: "/workbench/supervision/notices/" in u):
        page.locator("#overdue-cases").get_by_role("link", name=re.compile("督办")).click()
    assert page.locator("#id_case_no").input_value() == city.overdue.case_no
    page.locator("#id_request").fill("该件已超过承诺办结日期，请于三个工作日内说明原因并加快办理。")
    with page.expect_navigation():
        page.get_by_role("button", name="发出").click()
    assert "已发出" in page.locator(".messages").inner_text()
    notice = SupervisionNotice.objects.get(case=city.overdue)
    assert notice.state == NoticeState.OPEN and notice.department_id == city.d1_market.pk

    # 5. The department head replies.
    head_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    head = head_ctx.new_page()
    head.set_default_timeout(15_000)
    sign_in(head, base, city.w.head.username, "/workbench/supervision/notices/")
    head.locator(f"#rp{notice.pk}").fill("已核实：补充审查材料耽误了时间，本周内作出决定。")
    with head.expect_navigation():
        head.get_by_role("button", name="回复").click()
    assert "已回复" in head.locator(".messages").inner_text()
    notice.refresh_from_db()
    assert notice.state == NoticeState.REPLIED and "本周内作出决定" in notice.reply
    # The head's own dashboard shows the department only, with the overdue case.
    head.goto(f"{base}/workbench/stats/")
    assert head.locator("h1").inner_text() == "统计分析：东湖区 · 东湖区市场监督管理局"
    head_ctx.close()

    # 6. The supervisor reads the reply and closes the notice.
    page.goto(f"{base}/workbench/supervision/notices/")
    assert "本周内作出决定" in page.content()
    with page.expect_navigation():
        page.get_by_role("button", name="办结").click()
    notice.refresh_from_db()
    assert notice.state == NoticeState.CLOSED
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    assert not errors, errors

    # 7. The wall of the city for a signed-in supervisor, refreshed from the API.
    wall_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080},
                                   storage_state=ctx.storage_state())
    wall = wall_ctx.new_page()
    wall_errors = watch_console(wall)
    wall.goto(f"{base}/stats/wall/")
    wall.wait_for_selector("#w-trend canvas")
    wall.evaluate("window.statsWall.refresh()")
    wall.wait_for_function("() => window.statsWall.state().ok >= 1")
    for sel in ("#w-trend", "#w-rank", "#w-regions", "#w-gauge"):
        assert wall.evaluate(PAINTED, sel) > 500, f"{sel} is blank"
    assert wall.locator('[data-k="live.overdue"]').inner_text() == "1"
    assert "is-alert" in (wall.locator("#w-overdue").get_attribute("class") or "")
    assert wall.locator("#w-state").is_hidden()
    assert wall.evaluate("document.documentElement.scrollHeight") <= 1080  # one screen
    wall.wait_for_timeout(300)
    wall.screenshot(path=str(shots / "wall-city-1920.png"))
    assert not wall_errors, wall_errors
    wall_ctx.close()
    ctx.close()


def test_a_centres_wall_with_its_kiosk_key(live_server: Any, browser: Any, shots: Path,
                                           city: Any) -> None:
    centre = ServiceCentre.objects.create(region=city.d1, kind=CentreKind.SERVICE_CENTRE,
                                          name="东湖区政务服务中心")
    key = hall_services.settings_for(centre.pk).kiosk_key
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    wall = ctx.new_page()
    errors = watch_console(wall)
    wall.goto(f"{live_server.url}/stats/wall/{centre.pk}/?key={key}")
    wall.wait_for_selector("#w-rank canvas")
    wall.evaluate("window.statsWall.refresh()")
    wall.wait_for_function("() => window.statsWall.state().ok >= 1")
    assert wall.locator("#w-scope").inner_text() == "东湖区"
    for sel in ("#w-trend", "#w-rank", "#w-regions", "#w-gauge"):
        assert wall.evaluate(PAINTED, sel) > 500, f"{sel} is blank"
    wall.wait_for_timeout(300)
    wall.screenshot(path=str(shots / "wall-centre-1920.png"))
    small = ctx.new_page()
    small.set_viewport_size({"width": 1280, "height": 720})
    small.goto(f"{live_server.url}/stats/wall/{centre.pk}/?key={key}")
    small.wait_for_selector("#w-gauge canvas")
    small.wait_for_timeout(300)
    assert small.evaluate("document.documentElement.scrollHeight") <= 720
    small.screenshot(path=str(shots / "wall-centre-1280.png"))
    # A wrong key: the page refuses, and the API refuses the poll.
    wrong = ctx.new_page()
    resp = wrong.goto(f"{live_server.url}/stats/wall/{centre.pk}/?key=nope")
    assert resp is not None and resp.status == 403
    assert "密钥不正确" in wrong.content()
    api = wrong.request.get(f"{live_server.url}/api/v1/stats/wall/centre/{centre.pk}?key=nope")
    assert api.status == 403
    assert not errors, errors
    ctx.close()
    assert parse_qs(urlsplit(f"/?key={key}").query)["key"] == [key]
