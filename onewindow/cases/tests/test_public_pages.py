"""The applicants' pages over HTTP: apply wizard, my cases, my case, lookup, messages.

Every page is fetched with Django's test client as its owner, as another applicant (the same 404
as a wrong number) and anonymously (sent to sign in); uploads are real PDFs and a renamed text
file; the lookup is throttled per address.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from onewindow.accounts.models import Applicant, ApplicantKind, User
from onewindow.cases import services
from onewindow.cases.models import Case, CaseMaterialStatus, Certificate, MaterialOrigin
from onewindow.cases.tests.conftest import pdf_bytes
from onewindow.cases.workflow import CaseState
from onewindow.catalog.models import ItemVersion
from onewindow.core import clock
from onewindow.core.identity import make_id_number
from onewindow.notifications.models import Notification

pytestmark = pytest.mark.django_db

SCHEMA = [
    {"name": "shop_name", "label": "店铺名称", "type": "text", "required": True},
    {"name": "category", "label": "经营类别", "type": "select", "required": True,
     "choices": ["预包装食品", "散装食品"]},
    {"name": "holder_id", "label": "负责人身份证号码", "type": "id_number", "required": False},
    {"name": "mobile", "label": "联系电话", "type": "phone", "required": False},
    {"name": "open_date", "label": "开业日期", "type": "date", "required": False},
    {"name": "has_seal", "label": "是否已刻章", "type": "boolean", "required": False},
]
GOOD_FORM = {"shop_name": "湖滨小吃店", "category": "预包装食品"}
NOT_FOUND = "没有找到这个办件，请核对办件编号和查询码。"
BAD_FILE = "只接受 PDF、JPG、PNG 格式的文件（按文件内容识别，改扩展名无效）。"


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(world: Any) -> Any:
    ItemVersion.objects.filter(pk=world.item.current_version_id).update(form_schema=SCHEMA)
    world.item.refresh_from_db()
    return world


@pytest.fixture
def owner(client: Client, world: Any) -> Client:
    client.force_login(world.applicant_user)
    return client


@pytest.fixture
def stranger(world: Any) -> Client:
    """Another signed-in applicant, with cases of their own."""
    user = User.objects.create_user(username="13905391009", phone="13905391009")
    Applicant.objects.create(kind=ApplicantKind.PERSON, name="李四", mobile="13905391009",
                             id_number=make_id_number("11010519800101001"), user=user)
    other = Client()
    other.force_login(user)
    return other


def draft(world: Any, **form: Any) -> Case:
    return services.case_create(actor=world.applicant_user, item=world.item,
                                applicant=world.applicant, form_data=form or GOOD_FORM)


def edit_url(case: Case, step: int = 1) -> str:
    return f"/my/cases/{case.case_no}/edit/?step={step}"


def html(response: Any) -> str:
    return response.content.decode()


def without_tokens(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def field_block(page: str, name: str) -> str:
    """The markup of one form field (its label, input and the errors beside it)."""
    match = re.search(rf'<(?:div|fieldset) class="[^"]*" id="fld-{name}".*?'
                      r'(?=<div class="field|<fieldset class="field|<div class="form-actions")',
                      page, re.S)
    assert match, name
    return match.group(0)


def no_inline_code(page: str) -> None:
    assert "style=" not in page and "<style" not in page and "<script>" not in page


# --- sign-in and scope ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_applicant_sign_in(client: Client, world: Any):
    case = draft(world)
    for url in (f"/items/{world.item.implementation_code}/apply/", "/my/cases/",
                f"/my/cases/{case.case_no}/", edit_url(case), "/my/messages/",
                f"/my/cases/{case.case_no}/submitted/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/applicant/login/?next="), url
    assert client.post(f"/my/cases/{case.case_no}/", {"action": "withdraw"}).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.DRAFT


def test_a_user_without_real_name_identity_goes_to_the_real_name_page(client: Client,
                                                                      world: Any):
    user = User.objects.create_user(username="13905391077", phone="13905391077")
    client.force_login(user)
    response = client.get(f"/items/{world.item.implementation_code}/apply/")
    assert response.status_code == 302 and response["Location"] == "/accounts/applicant/profile/"
    assert not Case.objects.exists()


def test_another_applicants_case_is_the_same_404_as_a_wrong_number(stranger: Client,
                                                                   world: Any):
    case = world.new_case()
    for url in (f"/my/cases/{case.case_no}/", edit_url(case),
                f"/my/cases/{case.case_no}/submitted/"):
        mine, wrong = stranger.get(url), stranger.get(url.replace(case.case_no, "379902-x"))
        assert mine.status_code == wrong.status_code == 404, url
        # Identical pages (apart from the address echoed in the header's links).
        assert without_tokens(html(mine).replace(case.case_no, "#")) == without_tokens(
            html(wrong).replace("379902-x", "#"))
    response = stranger.post(f"/my/cases/{case.case_no}/", {"action": "withdraw"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    assert case.case_no not in html(stranger.get("/my/cases/"))


# --- 1. apply ---------------------------------------------------------------------------------


def test_apply_page_creates_a_draft_and_opens_the_wizard(owner: Client, world: Any):
    url = f"/items/{world.item.implementation_code}/apply/"
    page = owner.get(url)
    assert page.status_code == 200
    text = html(page)
    assert "选择申请人" in text and "张**" in text and "营业执照" in text
    assert 'aria-label="申请步骤"' in text
    no_inline_code(text)
    response = owner.post(url, {"applicant": world.applicant.pk})
    case = Case.objects.get()
    assert case.state == CaseState.DRAFT and case.applicant == world.applicant
    assert response.status_code == 302 and response["Location"] == edit_url(case)
    wizard = html(owner.get(response["Location"]))
    assert "填写申请表" in wizard and "店铺名称" in wizard and case.case_no in wizard
    assert 'aria-current="step"' in wizard
    # The guide's 在线办理 button leads here.
    guide = html(owner.get(f"/items/{world.item.implementation_code}/"))
    assert f'href="{url}"' in guide


def test_apply_page_asks_which_identity_when_there_are_several(owner: Client, world: Any):
    Applicant.objects.create(kind=ApplicantKind.ORGANISATION, name="湖滨餐饮有限公司",
                             mobile="13905391001", credit_code="91350100M000100Y43",
                             legal_representative="张三丰", user=world.applicant_user)
    url = f"/items/{world.item.implementation_code}/apply/"
    response = owner.post(url, {})
    assert response.status_code == 422 and "请选择申请人身份。" in html(response)
    # Somebody else's identity is not a choice.
    stranger = Applicant.objects.create(kind=ApplicantKind.PERSON, name="王五",
                                        mobile="13905391099",
                                        id_number=make_id_number("11010519800101002"))
    assert owner.post(url, {"applicant": stranger.pk}).status_code == 422
    assert not Case.objects.exists()


def test_wizard_saves_the_draft(owner: Client, world: Any):
    case = draft(world, shop_name="旧名字")
    data = {"step": 1, "action": "save", "row_version": case.row_version, "shop_name": "新名字",
            "category": "散装食品", "holder_id": "11010519491231002X", "mobile": "13905391001",
            "open_date": "2026-03-01", "has_seal": "true"}
    response = owner.post(edit_url(case), data)
    assert response.status_code == 302 and response["Location"] == edit_url(case, 1)
    case.refresh_from_db()
    assert case.form_data == {"shop_name": "新名字", "category": "散装食品",
                              "holder_id": "11010519491231002X", "mobile": "13905391001",
                              "open_date": "2026-03-01", "has_seal": True}
    page = html(owner.get(edit_url(case)))
    assert 'value="新名字"' in page and "草稿已保存。" in page
    assert re.search(r'value="true"[^>]*checked|checked[^>]*value="true"', page)


def test_wizard_shows_a_bad_id_number_beside_its_field_and_keeps_the_rest(owner: Client,
                                                                          world: Any):
    case = draft(world, shop_name="旧名字")
    response = owner.post(edit_url(case), {
        "step": 1, "action": "save", "row_version": case.row_version, "shop_name": "新名字",
        "category": "预包装食品", "holder_id": "110105194912310021"})
    assert response.status_code == 422
    page = html(response)
    block = field_block(page, "holder_id")
    assert "field-invalid" in block and 'class="field-error"' in block
    assert "校验" in block or "不正确" in block
    assert "field-error" not in field_block(page, "shop_name")
    assert 'value="110105194912310021"' in page  # what was typed stays on screen
    case.refresh_from_db()
    assert case.form_data["shop_name"] == "新名字" and "holder_id" not in case.form_data


def test_wizard_next_step_needs_every_required_field(owner: Client, world: Any):
    case = draft(world)
    response = owner.post(edit_url(case), {
        "step": 1, "action": "next", "row_version": case.row_version, "shop_name": "",
        "category": "预包装食品"})
    assert response.status_code == 422
    block = field_block(html(response), "shop_name")
    assert "请填写“店铺名称”。" in block
    ok = owner.post(edit_url(case), {
        "step": 1, "action": "next", "row_version": case.row_version + 1,
        "shop_name": "小吃店", "category": "预包装食品"})
    assert ok.status_code == 302 and ok["Location"] == edit_url(case, 2)


def test_wizard_stale_form_says_someone_else_changed_it(owner: Client, world: Any):
    case = draft(world)
    response = owner.post(edit_url(case), {
        "step": 1, "action": "save", "row_version": case.row_version - 1, "shop_name": "甲",
        "category": "预包装食品"})
    assert response.status_code == 409
    assert "已被其他人处理，请刷新" in html(response)


def test_wizard_uploads_a_real_pdf(owner: Client, world: Any):
    case = draft(world)
    licence = case.materials.get(name="营业执照")
    page = html(owner.get(edit_url(case, 2)))
    assert "营业执照" in page and "可容缺" in page and "必要" in page and "待提交" in page
    assert "暂时没有可先提交" in page  # the tolerance hint, while nothing is uploaded
    no_inline_code(page)
    response = owner.post(edit_url(case, 2), {
        "step": 2, "action": "upload", "material": licence.pk,
        "file": SimpleUploadedFile("执照.pdf", pdf_bytes("licence"))})
    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.status == CaseMaterialStatus.PROVIDED
    assert licence.content_type == "application/pdf"
    assert licence.file_name == "执照.pdf" and licence.file
    after = html(owner.get(edit_url(case, 2)))
    assert "执照.pdf" in after and "暂时没有可先提交" not in after


def test_wizard_rejects_a_renamed_text_file_with_the_chinese_message(owner: Client, world: Any):
    case = draft(world)
    licence = case.materials.get(name="营业执照")
    response = owner.post(edit_url(case, 2), {
        "step": 2, "action": "upload", "material": licence.pk,
        "file": SimpleUploadedFile("执照.pdf", b"just some text, not a PDF")})
    assert response.status_code == 422
    page = html(response)
    row = re.search(rf'id="m-{licence.pk}".*?</li>', page, re.S)
    assert row and BAD_FILE in row.group(0)
    licence.refresh_from_db()
    assert licence.status == CaseMaterialStatus.PENDING and not licence.file
    missing = owner.post(edit_url(case, 2), {"step": 2, "action": "upload",
                                             "material": licence.pk})
    assert missing.status_code == 422 and "请选择要上传的文件。" in html(missing)


def test_wizard_reuses_a_material_handed_in_before(owner: Client, world: Any):
    earlier = world.new_case()
    source = earlier.materials.get(name="营业执照")
    case = draft(world)
    licence = case.materials.get(name="营业执照")
    page = html(owner.get(edit_url(case, 2)))
    assert "使用已交材料" in page and earlier.case_no in page
    response = owner.post(edit_url(case, 2), {"step": 2, "action": "reuse",
                                              "material": licence.pk, "source": source.pk})
    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.origin == MaterialOrigin.REUSE and licence.reused_from_id == source.pk
    assert licence.status == CaseMaterialStatus.PROVIDED and licence.sha256 == source.sha256


def test_wizard_submits_and_shows_the_query_code(owner: Client, world: Any):
    case = draft(world)
    summary = html(owner.get(edit_url(case, 3)))
    assert "确认提交申请" in summary and "湖滨小吃店" in summary
    response = owner.post(edit_url(case, 3), {"step": 3, "action": "submit",
                                              "row_version": case.row_version})
    assert response.status_code == 302
    assert response["Location"] == f"/my/cases/{case.case_no}/submitted/"
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    done = html(owner.get(response["Location"]))
    assert case.query_code in done and case.case_no in done and "接下来会怎样" in done
    assert "查询码" in done and "139****1001" in done
    no_inline_code(done)
    # A submitted case is no longer edited in the wizard.
    assert owner.get(edit_url(case)).status_code == 302


def test_wizard_submit_with_an_empty_required_field_returns_to_the_form(owner: Client,
                                                                        world: Any):
    case = draft(world, category="预包装食品")
    response = owner.post(edit_url(case, 3), {"step": 3, "action": "submit",
                                              "row_version": case.row_version})
    assert response.status_code == 422
    assert "请填写“店铺名称”。" in field_block(html(response), "shop_name")
    case.refresh_from_db()
    assert case.state == CaseState.DRAFT


# --- 2. my cases ----------------------------------------------------------------------------------


def test_my_cases_lists_mine_with_state_and_the_next_thing_to_do(owner: Client, world: Any,
                                                                 stranger: Client):
    mine_draft = draft(world)
    waiting = world.new_case()
    services.case_request_supplement(actor=world.clerk, case=waiting, materials=[
        {"id": waiting.materials.first().pk, "note": "请盖章"}])
    accepted = world.accepted_case()
    page = html(owner.get("/my/cases/"))
    for case in (mine_draft, waiting, accepted):
        assert case.case_no in page
    assert "继续填写" in page and "补正材料" in page and "待补正" in page and "审批中" in page
    assert "剩 " in page and "个工作日" in page
    no_inline_code(page)
    assert mine_draft.case_no not in html(stranger.get("/my/cases/"))


def test_my_cases_query_count_does_not_grow_with_the_list(owner: Client, world: Any):
    world.new_case()
    world.accepted_case()
    owner.get("/my/cases/")  # warm the working-day calendar
    with CaptureQueriesContext(connection) as few:
        owner.get("/my/cases/")
    for _ in range(4):
        world.accepted_case()
    with CaptureQueriesContext(connection) as many:
        assert owner.get("/my/cases/").status_code == 200
    assert len(many) == len(few)


def test_my_cases_paginates_by_25(owner: Client, world: Any):
    for _ in range(26):
        draft(world)
    first = html(owner.get("/my/cases/"))
    assert first.count('class="case-card"') == 25 and "第 1 / 2 页" in first
    assert html(owner.get("/my/cases/?page=2")).count('class="case-card"') == 1


# --- 3. my case --------------------------------------------------------------------------------


def test_my_case_shows_state_deadlines_timeline_and_notices_without_staff_names(
        owner: Client, world: Any):
    case = world.accepted_case()
    page = html(owner.get(f"/my/cases/{case.case_no}/"))
    assert "审批中" in page and case.query_code in page
    assert f"{case.promised_due:%Y-%m-%d}" in page and f"{case.legal_due:%Y-%m-%d}" in page
    for label in ("提交申请", "受理", "窗口受理人员", "受理通知书"):
        assert label in page, label
    assert "测试clerk" not in page and "clerk" not in page
    assert "核验材料" not in page  # a staff-only event
    notice = case.notices.get()
    assert f"/my/cases/{case.case_no}/notices/{notice.pk}.pdf" in page
    no_inline_code(page)


def test_notice_pdf_downloads_for_the_owner_only(owner: Client, world: Any, stranger: Client):
    case = world.accepted_case()
    notice = case.notices.get()
    url = f"/my/cases/{case.case_no}/notices/{notice.pk}.pdf"
    response = owner.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert stranger.get(url).status_code == 404
    assert owner.get(f"/my/cases/{case.case_no}/notices/{notice.pk + 999}.pdf").status_code == 404


def test_supplement_upload_then_supply_from_my_case(owner: Client, world: Any):
    case = world.new_case()
    plan = case.materials.get(name="经营场所平面图")
    services.case_request_supplement(actor=world.clerk, case=case,
                                     materials=[{"id": plan.pk, "note": "需加盖公章"}])
    url = f"/my/cases/{case.case_no}/"
    page = html(owner.get(url))
    assert "需要您办理" in page and "需加盖公章" in page and "提交补正" in page
    too_early = owner.post(url, {"action": "supply"})
    assert too_early.status_code == 422 and "还有材料未补正：经营场所平面图。" in html(too_early)
    bad = owner.post(url, {"action": "upload", "material": plan.pk,
                           "file": SimpleUploadedFile("图.pdf", b"")})
    assert bad.status_code in (302, 422)
    assert owner.post(url, {"action": "upload", "material": plan.pk,
                            "file": SimpleUploadedFile("图.pdf", pdf_bytes("plan v2"))}
                      ).status_code == 302
    assert "已重新上传" in html(owner.get(url))
    assert owner.post(url, {"action": "supply"}).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


def test_tolerated_material_is_supplied_from_my_case(owner: Client, world: Any):
    case = world.new_case(upload=False)
    licence = case.materials.get(name="营业执照")
    plan = case.materials.get(name="经营场所平面图")
    services.case_check_material(actor=world.clerk, case=case, material_id=plan.pk,
                                 verdict=CaseMaterialStatus.VERIFIED)
    services.case_accept(actor=world.clerk, case=case, tolerated=[
        {"id": licence.pk, "promised_by": (clock.today() + timedelta(days=10)).isoformat()}])
    url = f"/my/cases/{case.case_no}/"
    page = html(owner.get(url))
    assert "补交容缺材料" in page and "容缺待补" in page
    wrong = owner.post(url, {"action": "upload", "material": licence.pk,
                             "file": SimpleUploadedFile("执照.pdf", b"plain text")})
    assert wrong.status_code == 422 and BAD_FILE in html(wrong)
    assert owner.post(url, {"action": "upload", "material": licence.pk,
                            "file": SimpleUploadedFile("执照.pdf", pdf_bytes("licence"))}
                      ).status_code == 302
    licence.refresh_from_db()
    assert licence.status == CaseMaterialStatus.PROVIDED


def test_withdraw_while_allowed_and_a_conflict_when_no_longer(owner: Client, world: Any):
    case = world.new_case()
    url = f"/my/cases/{case.case_no}/"
    assert "撤回申请" in html(owner.get(url))
    assert owner.post(url, {"action": "withdraw", "reason": "不办了"}).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN
    accepted = world.accepted_case()
    url = f"/my/cases/{accepted.case_no}/"
    assert "撤回申请" not in html(owner.get(url))
    response = owner.post(url, {"action": "withdraw"})
    assert response.status_code == 409 and "已被其他人处理，请刷新" in html(response)
    accepted.refresh_from_db()
    assert accepted.state == CaseState.IN_REVIEW


# --- 4. lookup -------------------------------------------------------------------------------


def test_lookup_with_the_right_pair_shows_the_public_timeline(client: Client, world: Any):
    case = world.accepted_case()
    assert client.get("/cases/lookup/").status_code == 200
    response = client.post("/cases/lookup/", {"case_no": case.case_no,
                                              "query_code": case.query_code.lower()})
    assert response.status_code == 200
    page = html(response)
    assert "审批中" in page and "受理" in page and "张**" in page
    assert "张三丰" not in page and "测试clerk" not in page and "核验材料" not in page
    no_inline_code(page)


def test_lookup_with_a_wrong_pair_gives_one_message(client: Client, world: Any):
    case = world.new_case()
    wrong_code = client.post("/cases/lookup/", {"case_no": case.case_no,
                                                "query_code": "ZZZZZZZZ"})
    wrong_no = client.post("/cases/lookup/", {"case_no": "379902-20000101-00000001",
                                              "query_code": case.query_code})
    assert wrong_code.status_code == wrong_no.status_code == 404
    assert NOT_FOUND in html(wrong_code) and NOT_FOUND in html(wrong_no)
    assert case.get_state_display() not in html(wrong_code).split("<main")[1]


def test_lookup_is_throttled_after_ten_failures_per_address(client: Client, world: Any):
    case = world.new_case()
    for _ in range(10):
        assert client.post("/cases/lookup/", {"case_no": case.case_no,
                                              "query_code": "ZZZZZZZZ"}).status_code == 404
    blocked = client.post("/cases/lookup/", {"case_no": case.case_no,
                                             "query_code": case.query_code})
    assert blocked.status_code == 429 and "10 分钟后再试" in html(blocked)
    elsewhere = client.post("/cases/lookup/", {"case_no": case.case_no,
                                               "query_code": case.query_code},
                            REMOTE_ADDR="10.0.0.9")
    assert elsewhere.status_code == 200


def test_home_page_lookup_box_posts_to_the_lookup_page(client: Client, world: Any):
    page = html(client.get("/"))
    form = re.search(r'<form class="lookup"[^>]*>', page)
    assert form and 'method="post"' in form.group(0) and 'action="/cases/lookup/"' in form.group(0)
    assert "csrfmiddlewaretoken" in page.split('<form class="lookup"')[1].split("</form>")[0]


# --- 5. messages and the header -------------------------------------------------------------


def test_messages_show_newest_first_and_are_marked_read(owner: Client, world: Any,
                                                        stranger: Client):
    case = world.new_case()
    services.case_request_supplement(actor=world.clerk, case=case, materials=[
        {"id": case.materials.first().pk, "note": "请盖章"}])
    notes = Notification.objects.filter(user=world.applicant_user, channel="in_app")
    assert notes.count() == 2 and not notes.filter(read_at__isnull=False).exists()
    page = html(owner.get("/my/messages/"))
    assert page.index("需要补正材料") < page.index("已提交，等待窗口受理")
    assert page.count("未读") >= 2 and f'href="/my/cases/{case.case_no}/"' in page
    assert not notes.filter(read_at__isnull=True).exists()
    assert "未读</span>" not in html(owner.get("/my/messages/"))
    assert "需要补正材料" not in html(stranger.get("/my/messages/"))


def test_header_links_my_cases_for_a_signed_in_applicant_only(owner: Client, world: Any,
                                                              client: Client):
    assert 'href="/my/cases/"' in html(owner.get("/search/"))
    staff = Client()
    staff.force_login(world.clerk)
    assert 'href="/my/cases/">我的办件' not in html(staff.get("/search/"))


def test_header_shows_an_applicants_mobile_user_name_masked(owner: Client, world: Any):
    page = html(owner.get("/my/cases/"))
    assert "139****1001" in page and "13905391001" not in page


def test_wizard_offers_a_matching_electronic_certificate_and_uses_it(owner: Client, world: Any):
    earlier = world.accepted_case()
    cert = Certificate.objects.create(
        case=earlier, number="CERT-0001", verify_code="VERIFY0001", holder=world.applicant,
        name="营业执照（个体工商户）", issued_on=clock.today())
    Certificate.objects.create(
        case=world.accepted_case(), number="CERT-0002", verify_code="VERIFY0002",
        holder=world.applicant, name="出生医学证明", issued_on=clock.today())
    case = draft(world)
    licence = case.materials.get(name="营业执照")
    page = html(owner.get(edit_url(case, 2)))
    row = re.search(rf'id="m-{licence.pk}".*?</li>\s*</ul>', page, re.S)
    assert row and "CERT-0001" in row.group(0) and "使用电子证照" in row.group(0)
    assert "CERT-0002" not in page  # a certificate that is not this material is not offered
    response = owner.post(edit_url(case, 2), {"step": 2, "action": "reuse",
                                              "material": licence.pk, "certificate": cert.pk})
    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.origin == MaterialOrigin.CERTIFICATE and licence.certificate_id == cert.pk


@pytest.mark.parametrize(("material", "certificate", "match"), [
    ("营业执照", "营业执照（个体工商户）", True),
    ("营业执照复印件", "营业执照", True),
    ("经营者居民身份证", "营业执照", False),
    ("医师资格证书", "医师执业证书（电子证照）", False),
])
def test_certificates_stand_for_materials_of_the_same_name(material: str, certificate: str,
                                                           match: bool):
    from onewindow.cases.views_public import _names_match

    assert _names_match(material, certificate) is match
