"""联合踏勘 through the real pages in headless Chromium.

The market bureau's reviewer (the lead) schedules the inspection from the case; the fire
brigade's reviewer finds the invitation in the workbench, confirms, and after the inspection
records the findings with a photo; the lead closes the record. Screenshots go to
/tmp/shots_joint/ (ONEWINDOW_SHOTS to change it), with the record's pages as PNG.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from onewindow.joint import services
from onewindow.joint.models import InspectionInvite, JointInspection
from onewindow.joint.tests.conftest import MORNING, PASSWORD, jpeg_bytes, png_bytes
from onewindow.joint.workflow import InspectionState, InviteState
from tests.e2e.conftest import page as page  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("ONEWINDOW_SHOTS", "/tmp/shots_joint"))  # noqa: S108


def at(path: str) -> Any:
    return lambda url: urlsplit(url).path == path


def sign_in(page: Any, base: str, user: Any, next_path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation(url=at(next_path)):
        page.get_by_role("button", name="登录", exact=True).click()


def test_lead_schedules_participant_confirms_and_records_findings(
        live_server: Any, page: Any, browser: Any, jw: Any, travel: Any,
        tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    case = jw.case()
    case_path = f"/workbench/joint/cases/{case.case_no}/"

    # 1. The lead opens the case's joint page and schedules the inspection (two hours ahead).
    sign_in(page, base, jw.lead, case_path)
    # A time already past is refused beside its field, and nothing is scheduled.
    page.get_by_label("踏勘时间").fill("2026-11-24T08:00")
    with page.expect_navigation(url=at(case_path)):
        page.get_by_role("button", name="安排并通知").click()
    assert "时间不能早于现在" in page.locator("#schedule .field-error").first.inner_text()
    assert "请填写踏勘地点" in page.locator("#schedule").inner_text()
    assert not JointInspection.objects.exists()
    page.screenshot(path=str(SHOTS / "schedule-error.png"), full_page=True)
    page.get_by_label("踏勘时间").fill("2026-11-24T11:30")
    page.get_by_label("踏勘地点").fill("东湖区湖滨路88号湖滨小吃店经营场所")
    page.get_by_label("踏勘内容（可选）").fill("核查经营场所布局、消防设施和建筑结构安全")
    page.screenshot(path=str(SHOTS / "schedule-form.png"), full_page=True)
    inspection_path = "/workbench/joint/inspections/"
    with page.expect_navigation(url=lambda u: urlsplit(u).path.startswith(inspection_path)):
        page.get_by_role("button", name="安排并通知").click()
    assert "已安排联合踏勘" in page.locator(".messages").inner_text()
    inspection = JointInspection.objects.get()
    detail = f"{inspection_path}{inspection.pk}/"
    assert urlsplit(page.url).path == detail
    assert inspection.stops_clock and inspection.stop is not None
    assert "暂停计时" in page.locator("#facts-h + dl").inner_text()

    # 2. The fire brigade's reviewer finds the invitation and confirms.
    other = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    fire = other.new_page()
    fire.set_default_timeout(15_000)
    try:
        sign_in(fire, base, jw.fire_reviewer, "/workbench/joint/")
        row = fire.locator("table tr", has_text=inspection.number)
        assert "确认参加或提议改期" in row.inner_text()
        fire.screenshot(path=str(SHOTS / "inbox.png"), full_page=True)
        with fire.expect_navigation(url=at(detail)):
            fire.get_by_role("link", name=inspection.number).click()
        fire.get_by_text("提议另选时间").click()
        fire.screenshot(path=str(SHOTS / "inspection-invited.png"), full_page=True)
        with fire.expect_navigation(url=at(detail)):
            fire.get_by_role("button", name="确认按时参加").click()
        assert "已确认参加" in fire.locator(".messages").inner_text()
        fire_invite = InspectionInvite.objects.get(inspection=inspection, department=jw.fire)
        assert fire_invite.state == InviteState.CONFIRMED
        services.invite_respond(
            actor=jw.housing_reviewer,
            invite=InspectionInvite.objects.get(inspection=inspection, department=jw.housing),
            confirm=True)

        # 3. After the inspection: findings with a photo.
        travel.move_to(MORNING + dt.timedelta(hours=2, minutes=30))
        fire.goto(f"{base}{detail}")
        form = fire.locator("form.jt-finding-form")
        form.get_by_label("踏勘情况").fill("消防通道畅通，灭火器配置齐全，应急照明和疏散指示标志完好")
        form.get_by_label("符合要求", exact=True).check()
        photo = tmp_path / "消防通道.png"
        photo.write_bytes(png_bytes(size=320))
        form.get_by_label("现场照片（可多选）").set_input_files(str(photo))
        with fire.expect_navigation(url=at(detail)):
            form.get_by_role("button", name="保存踏勘意见").click()
        assert "本部门踏勘意见已保存" in fire.locator(".messages").inner_text()
        finding = fire.locator(".jt-finding", has_text="东湖区消防救援大队")
        assert "符合要求" in finding.inner_text()
        assert finding.locator(".jt-photos img").count() == 1
        natural = finding.locator(".jt-photos img").evaluate("img => img.naturalWidth")
        assert natural == 320  # the photo is served to the page, not broken
        fire.screenshot(path=str(SHOTS / "inspection-findings.png"), full_page=True)
    finally:
        other.close()

    # 4. Housing records too (service); the lead closes the record from the page.
    from onewindow.cases.services import Upload

    services.finding_record(actor=jw.housing_reviewer, inspection=inspection,
                            department=jw.housing, conclusion="rectify",
                            findings="二层楼板荷载满足餐饮使用，须补充加固说明",
                            photos=[Upload("楼板.jpg", jpeg_bytes())])
    page.goto(f"{base}{detail}")
    page.get_by_label("踏勘综合意见").fill("经营场所符合要求；建筑安全须在开业前补充加固说明。")
    with page.expect_navigation(url=at(detail)):
        page.get_by_role("button", name="形成踏勘记录").click()
    assert "踏勘记录已形成" in page.locator(".messages").inner_text()
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.DONE
    assert page.get_by_role("link", name="查看联合踏勘记录（PDF）").is_visible()
    page.screenshot(path=str(SHOTS / "inspection-done.png"), full_page=True)

    # The record's pages, for a look.
    with inspection.record.open("rb") as handle:
        (SHOTS / "record.pdf").write_bytes(handle.read())
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(SHOTS / "record.pdf"),
                        str(SHOTS / "record")], check=True)

    # A joint review meeting on the same case, its page after the conclusions.
    meeting = services.meeting_convene(actor=jw.lead, case=case, place="中心三楼会议室",
                                       held_at=MORNING + dt.timedelta(hours=5),
                                       topic="食品经营许可集中会审")
    travel.move_to(MORNING + dt.timedelta(hours=5, minutes=30))
    services.meeting_conclude(actor=jw.fire_reviewer, meeting=meeting, department=jw.fire,
                              conclusion="agree", text="同意")
    services.meeting_conclude(actor=jw.lead, meeting=meeting, department=jw.housing,
                              conclusion="conditional", text="开业前提交楼板加固验收报告")
    page.goto(f"{base}/workbench/joint/meetings/{meeting.pk}/")
    assert "尚待记录结论的部门：东湖区生态环境分局" in page.locator("#minutes").inner_text()
    page.screenshot(path=str(SHOTS / "meeting.png"), full_page=True)
    page.goto(f"{base}{case_path}")
    page.screenshot(path=str(SHOTS / "case-joint.png"), full_page=True)

    # On a phone (a participant at the site): the record and the findings read in one column.
    phone_ctx = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812},
                                    device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        phone = phone_ctx.new_page()
        sign_in(phone, base, jw.fire_reviewer, detail)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375 + 1, width  # nothing wider than the screen
        phone.screenshot(path=str(SHOTS / "inspection-phone.png"), full_page=True)
    finally:
        phone_ctx.close()
