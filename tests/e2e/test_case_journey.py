"""One case from application to certificate, through the real pages in headless Chromium.

An applicant signs in by SMS code on a phone-sized screen, applies for 食品经营许可 (saving a
draft and coming back), uploads a PDF and a PNG and submits; a window clerk tells at once what
must be corrected (一次性告知补正); the applicant re-uploads and resubmits; the clerk accepts
(受理通知书); the reviewer passes 审查 and the department head decides 准予许可; the applicant
sees every step on "my case", downloads the decision and the certificate as PDF and opens the
certificate's verification page (the address its QR code holds).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from onewindow.accounts.models import User
from onewindow.cases import notices
from onewindow.cases.models import (
    Case,
    CaseMaterialStatus,
    Certificate,
    NoticeKind,
)
from onewindow.cases.tests import conftest as cases_fixtures
from onewindow.cases.tests.conftest import World, pdf_bytes, png_bytes
from onewindow.cases.workflow import CaseState, Decision, TaskState
from onewindow.notifications.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The cases app's data: 食品经营许可 in 东湖区 with two materials, clerk, reviewer and head.
world = cases_fixtures.world

STAFF_PASSWORD = "Correct-Horse-9"  # noqa: S105 - the make_staff fixture's test password
PHONE_WIDTH = 375
LICENCE, FLOOR_PLAN = "营业执照", "经营场所平面图"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    """Uploaded materials go to a directory of this test only."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    """Opens a new desktop browser (its own cookies) per staff member."""
    contexts: list[Any] = []

    def _open() -> Any:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield _open
    for context in contexts:
        context.close()


# --- helpers ------------------------------------------------------------------------------


def no_sideways_scroll(page: Any, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{where} scrolls sideways on a phone ({width}px)"


def sms_code(phone: str) -> str:
    """The sign-in code from the SMS the platform queued (the outbox stands in for the phone)."""
    body = Notification.objects.filter(phone=phone).order_by("-id").values_list(
        "body", flat=True).first()
    assert body, "no SMS was queued"
    match = re.search(r"验证码是(\d{6})", body)
    assert match, body
    return match.group(1)


def staff_sign_in(page: Any, base: str, user: User, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(STAFF_PASSWORD)
    go(page, page.get_by_role("button", name="登录", exact=True), next_url)


def at(path: str, query: str = "") -> Any:
    """A URL matcher: this path (and query, when given), whatever the host and fragment."""

    def match(url: str) -> bool:
        parts = urlsplit(url)
        return parts.path == path and (not query or parts.query == query)

    return match


def go(page: Any, target: Any, path: str, query: str = "") -> None:
    """Click ``target`` and wait for the page it leads to (also when the address is the same:
    a form posted back to the page it is on)."""
    with page.expect_navigation(url=at(path, query)):
        target.click()


def flash(page: Any) -> str:
    """The messages shown after the last action."""
    return " ".join(page.locator(".messages").all_inner_texts())


def case_of(world: World) -> Case:
    return Case.objects.get(applicant=world.applicant)


def material(case: Case, name: str) -> Any:
    return case.materials.get(name=name)


def open_case_from(page: Any, case_no: str) -> None:
    go(page, page.locator("a.case-link", has_text=case_no), f"/workbench/cases/{case_no}/")


# --- the journey --------------------------------------------------------------------------


def test_application_to_certificate_through_the_pages(
    live_server: Any, phone_page: Any, desktop: Any, world: World, artifacts: Path
) -> None:
    base = live_server.url
    code = world.item.implementation_code
    phone = phone_page

    # 1. The applicant, on a phone, reads the guide and applies.
    phone.goto(f"{base}/items/{code}/")
    assert phone.locator("h1.guide-title").inner_text() == "食品经营许可"
    no_sideways_scroll(phone, "the guide page")
    go(phone, phone.get_by_role("link", name="在线办理").first, "/accounts/applicant/login/",
       f"next=/items/{code}/apply/")
    phone.get_by_label("手机号码").fill(world.applicant.mobile)
    phone.get_by_role("button", name="获取验证码").click()
    phone.get_by_label("短信验证码").fill(sms_code(world.applicant.mobile))
    go(phone, phone.get_by_role("button", name="登录", exact=True), f"/items/{code}/apply/")
    no_sideways_scroll(phone, "the apply page")
    assert phone.get_by_role("radio").first.is_checked()  # the only identity is preselected
    phone.get_by_role("button", name="开始填写申请").click()
    phone.wait_for_url(re.compile(r"/my/cases/[^/]+/edit/\?step=1$"))
    case = case_of(world)
    edit = f"/my/cases/{case.case_no}/edit/"
    mine = f"/my/cases/{case.case_no}/"
    assert case.state == CaseState.DRAFT

    # Fill in part of the form, save the draft, leave, come back through 我的办件.
    phone.get_by_label("店铺名称").fill("湖滨小吃店")
    no_sideways_scroll(phone, "wizard step 1")
    go(phone, phone.get_by_role("button", name="保存草稿"), edit, "step=1")
    assert "草稿已保存" in flash(phone)
    case.refresh_from_db()
    assert case.form_data.get("shop_name") == "湖滨小吃店" and case.state == CaseState.DRAFT
    phone.goto(f"{base}/my/cases/")
    no_sideways_scroll(phone, "my cases")
    card = phone.locator(".case-card", has_text=case.case_no)
    go(phone, card.get_by_role("link", name="继续填写"), edit, "step=1")
    assert phone.get_by_label("店铺名称").input_value() == "湖滨小吃店"
    phone.get_by_label("经营类别").select_option("预包装食品")
    go(phone, phone.get_by_role("button", name="下一步：上传材料"), edit, "step=2")

    # Upload the materials: a PDF of the licence, a PNG of the floor plan.
    licence, plan = material(case, LICENCE), material(case, FLOOR_PLAN)
    for row, name, mime, data in (
        (licence, "营业执照.pdf", "application/pdf", pdf_bytes("licence")),
        (plan, "平面图.png", "image/png", png_bytes()),
    ):
        item = phone.locator(f"#m-{row.pk}")
        assert item.locator(".file-face").inner_text().split() == ["选择文件", "未选择文件"]
        item.locator("input[type=file]").set_input_files(
            {"name": name, "mimeType": mime, "buffer": data})
        assert item.locator(".file-face-name").inner_text() == name  # shown before sending
        go(phone, item.get_by_role("button", name="上传"), edit, "step=2")
        assert name in phone.locator(f"#m-{row.pk} .mat-file").inner_text()
    no_sideways_scroll(phone, "wizard step 2")
    phone.screenshot(path=str(artifacts / "apply-phone.png"), full_page=True)
    assert {m.status for m in case.materials.all()} == {CaseMaterialStatus.PROVIDED}

    go(phone, phone.get_by_role("link", name="下一步：确认提交"), edit, "step=3")
    summary = phone.locator("main").inner_text()
    assert "湖滨小吃店" in summary and "预包装食品" in summary
    no_sideways_scroll(phone, "wizard step 3")
    phone.screenshot(path=str(artifacts / "apply-confirm-phone.png"), full_page=True)
    go(phone, phone.get_by_role("button", name="确认提交申请"), mine + "submitted/")
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    assert case.query_code in phone.locator(".done-codes").inner_text()
    no_sideways_scroll(phone, "the submitted page")
    phone.screenshot(path=str(artifacts / "apply-done-phone.png"), full_page=True)

    # 2. The window clerk finds it in the pre-review queue and tells what to correct, at once.
    screen = f"/workbench/cases/{case.case_no}/"
    clerk = desktop()
    staff_sign_in(clerk, base, world.clerk, "/workbench/cases/window/")
    queue = clerk.locator("table", has_text=case.case_no)
    assert "张**" in queue.inner_text() and "张三丰" not in queue.inner_text()
    open_case_from(clerk, case.case_no)
    go(clerk, clerk.locator(f"#mat-{plan.pk}").get_by_role("button", name="核验通过"), screen)
    assert material(case, FLOOR_PLAN).status == CaseMaterialStatus.VERIFIED
    supplement = clerk.locator("#act-supplement")
    supplement.locator("summary").click()
    supplement.get_by_label(LICENCE, exact=True).check()
    supplement.locator(f"#sup-note-{licence.pk}").fill("复印件未加盖公章，请上传加盖公章的复印件")
    supplement.get_by_label("其他需要说明的事项").fill("请同时在复印件上注明“与原件一致”。")
    clerk.screenshot(path=str(artifacts / "clerk-supplement-form.png"), full_page=True)
    go(clerk, supplement.get_by_role("button", name="出具补正材料通知书"), screen)
    assert "补正材料通知书" in clerk.locator(".wbc-docs").inner_text()
    clerk.screenshot(path=str(artifacts / "clerk-supplement.png"), full_page=True)
    case.refresh_from_db()
    assert case.state == CaseState.AWAITING_SUPPLEMENT
    assert case.notices.filter(kind=NoticeKind.SUPPLEMENT).count() == 1
    licence.refresh_from_db()
    assert licence.status == CaseMaterialStatus.MISSING and "加盖公章" in licence.note

    # 3. The applicant sees what to correct on their case page, re-uploads and resubmits.
    phone.goto(base + mine)
    action = phone.locator("#act")
    assert "需要您办理" in action.inner_text()
    assert "复印件未加盖公章" in action.inner_text()
    # The other matter of the same notice is on the page too (the timeline's line for it).
    assert "需补正：营业执照；请同时在复印件上注明" in phone.locator(".timeline").inner_text()
    no_sideways_scroll(phone, "my case awaiting supplement")
    phone.screenshot(path=str(artifacts / "supplement-phone.png"), full_page=True)
    row = action.locator(f"#m-{licence.pk}")
    row.locator("input[type=file]").set_input_files(
        {"name": "营业执照-盖章.pdf", "mimeType": "application/pdf",
         "buffer": pdf_bytes("licence, stamped")})
    go(phone, row.get_by_role("button", name="上传"), mine)
    assert "已重新上传" in phone.locator(f"#m-{licence.pk}").inner_text()
    go(phone, phone.get_by_role("button", name="提交补正"), mine)
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    assert material(case, LICENCE).status == CaseMaterialStatus.PROVIDED

    # 4. The clerk checks the new file and accepts: a 受理通知书 is issued.
    clerk.goto(f"{base}/workbench/cases/window/")
    open_case_from(clerk, case.case_no)
    go(clerk, clerk.locator(f"#mat-{licence.pk}").get_by_role("button", name="核验通过"), screen)
    go(clerk, clerk.locator(".panel-actions").get_by_role("button", name="受理"), screen)
    assert "已受理，已出具受理通知书" in flash(clerk)
    assert "受理通知书" in clerk.locator(".wbc-docs").inner_text()
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW and case.accepted_on is not None
    assert case.notices.filter(kind=NoticeKind.ACCEPTANCE).count() == 1
    review, decide = case.tasks.order_by("seq")
    assert (review.name, review.state) == ("审查", TaskState.ACTIVE)

    # 5. The reviewer passes 审查 from the inbox; the department head decides 准予许可.
    reviewer = desktop()
    staff_sign_in(reviewer, base, world.reviewer, "/workbench/cases/inbox/")
    open_case_from(reviewer, case.case_no)
    passing = reviewer.locator("#act-pass")
    passing.get_by_label("审查意见").fill("材料齐全，符合许可条件。")
    go(reviewer, passing.get_by_role("button", name="通过本环节"), screen)
    review.refresh_from_db()
    decide.refresh_from_db()
    assert review.state == TaskState.DONE and decide.state == TaskState.ACTIVE

    head = desktop()
    staff_sign_in(head, base, world.head, "/workbench/cases/inbox/")
    open_case_from(head, case.case_no)
    deciding = head.locator("#act-decide")
    assert deciding.get_by_label("准予许可").is_checked()
    head.screenshot(path=str(artifacts / "head-decide.png"), full_page=True)
    go(head, deciding.get_by_role("button", name="作出决定"), screen)
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED and case.decision == Decision.APPROVED
    certificate = Certificate.objects.get(case=case)
    assert certificate.holder == world.applicant

    # 6. The applicant sees each step, downloads the decision and the certificate, verifies it.
    phone.goto(base + mine)
    steps = phone.locator(".timeline .tl-title").all_inner_texts()
    assert steps == ["准予许可", "审查通过，转入决定", "受理", "提交补正材料", "一次性告知补正",
                     "提交申请", "创建申请（草稿）"]  # newest first; internal checks left out
    timeline = phone.locator(".timeline").inner_text()
    assert f"承诺办结日期：{case.promised_due:%Y-%m-%d}" in timeline
    assert "部门负责人" in timeline and "审核人员" in timeline and "窗口受理人员" in timeline
    no_sideways_scroll(phone, "my case, decided")
    phone.screenshot(path=str(artifacts / "my-case.png"), full_page=True)

    docs = phone.locator(".doc-list")
    for kind in ("补正材料通知书", "受理通知书", "准予许可决定书"):
        assert kind in docs.inner_text(), kind
    decision_href = docs.get_by_role("link", name=re.compile("准予许可决定书")).get_attribute(
        "href")
    cert_panel = phone.locator("section.cert")
    cert_href = cert_panel.get_by_role("link", name="下载电子证照（PDF）").get_attribute("href")
    for href in (decision_href, cert_href):
        response = phone.request.get(base + href)
        assert response.status == 200, href
        assert response.headers["content-type"] == "application/pdf"
        assert response.body().startswith(b"%PDF"), href

    verify = f"/verify/{certificate.verify_code}/"
    assert notices.verify_url(certificate.verify_code).endswith(verify)  # what the QR holds
    go(phone, cert_panel.get_by_role("link", name="在线核验"), verify)
    card = phone.locator(".verify-card")
    assert "真实有效" in card.inner_text()
    assert certificate.number in card.inner_text() and "张**" in card.inner_text()
    assert "张三丰" not in card.inner_text()
    no_sideways_scroll(phone, "the verification page")
    phone.screenshot(path=str(artifacts / "verify-page.png"), full_page=True)
