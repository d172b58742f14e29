"""Staff pages of cases (工作台): window, case screen, inbox, search — through HTTP.

Every page and action is checked for each kind of caller (anonymous, applicant, staff of another
district, staff in scope without the role, staff with it); a refused POST changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onewindow.accounts.models import Applicant, Role
from onewindow.cases import services, views_staff
from onewindow.cases.models import (
    Case,
    CaseMaterial,
    CaseMaterialStatus,
    Notice,
    NoticeKind,
)
from onewindow.cases.workflow import CaseState, Decision, TaskState
from onewindow.catalog import services as catalog_services
from onewindow.catalog.tests.test_services import basic_data, make_item

pytestmark = pytest.mark.django_db

WORLD_ID = "11010519491231002X"  # the world applicant's ID number
FRESH_ID = "110101199003074477"


def url(case: Case, tail: str = "") -> str:
    return f"/workbench/cases/{case.case_no}/{tail}"


def act(case: Case, action: str) -> str:
    return url(case, f"act/{action}/")


def snapshot(case: Case) -> tuple[str, int, int]:
    row = Case.objects.get(pk=case.pk)
    return row.state, row.row_version, row.event_count


def body(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def operator(world: Any, make_staff: Any) -> Any:
    """Staff in the case's district whose role gives no case permission at all."""
    return make_staff(Role.OPERATOR, world.regions["d1"], username="operator")


# --- pages for the right role ------------------------------------------------------------------


def test_window_lists_the_prereview_queue_with_masked_applicants(client, world):
    case = world.new_case()
    client.force_login(world.clerk)
    response = client.get("/workbench/cases/window/")
    assert response.status_code == 200
    html = body(response)
    assert case.case_no in html and "食品经营许可" in html
    assert "张**" in html and "张三丰" not in html
    assert "110105********002X" in html and WORLD_ID not in html
    assert "一次性告知期限" in html and "autofocus" in html


def test_inbox_lists_active_tasks_by_urgency_with_a_chip_in_words(client, world):
    first = world.accepted_case()
    second = world.accepted_case()
    client.force_login(world.reviewer)
    response = client.get("/workbench/cases/inbox/")
    assert response.status_code == 200
    html = body(response)
    assert html.index(first.case_no) < html.index(second.case_no)
    assert "剩余" in html and "chip-ok" in html
    assert "张**" in html and "张三丰" not in html


def test_inbox_filters_by_item_and_due_date_and_pages_by_key(client, world, monkeypatch):
    cases = [world.accepted_case() for _ in range(3)]
    client.force_login(world.reviewer)
    html = body(client.get("/workbench/cases/inbox/?item=NO-SUCH-CODE"))
    assert not any(c.case_no in html for c in cases) and "没有符合筛选条件的待办" in html
    html = body(client.get(f"/workbench/cases/inbox/?item={world.item.implementation_code}"))
    assert all(c.case_no in html for c in cases)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    html = body(client.get(f"/workbench/cases/inbox/?due_before={yesterday}"))
    assert not any(c.case_no in html for c in cases)
    bad = client.get("/workbench/cases/inbox/?due_before=2026-13-45")
    assert bad.status_code == 200 and "请输入正确的日期" in body(bad)

    monkeypatch.setattr(views_staff, "PAGE", 2)
    page1 = client.get("/workbench/cases/inbox/")
    more = page1.context["more"]
    assert more and [r["case"].pk for r in page1.context["rows"]] == [cases[0].pk, cases[1].pk]
    page2 = client.get("/workbench/cases/inbox/" + more)
    assert [r["case"].pk for r in page2.context["rows"]] == [cases[2].pk]
    assert page2.context["more"] is None


def test_search_finds_cases_in_scope_by_number_and_state_and_due_window(client, world):
    submitted = world.new_case()
    accepted = world.accepted_case()
    client.force_login(world.clerk)
    html = body(client.get(f"/workbench/cases/?q={submitted.case_no}"))
    assert submitted.case_no in html and accepted.case_no not in html
    html = body(client.get("/workbench/cases/?state=in_review"))
    assert accepted.case_no in html and submitted.case_no not in html
    html = body(client.get("/workbench/cases/?within=30"))
    assert accepted.case_no in html and submitted.case_no not in html
    html = body(client.get("/workbench/cases/?within=abc"))
    assert "查询条件有误" in html


def test_case_screen_shows_applicant_materials_form_deadlines_and_actions(client, world):
    case = world.new_case()
    client.force_login(world.clerk)
    response = client.get(url(case))
    assert response.status_code == 200
    html = body(response)
    assert "营业执照" in html and "经营场所平面图" in html  # the checklist
    assert "湖滨小吃店" in html and "预包装食品" in html  # the form data
    assert "一次性告知期限" in html and "法定时限" in html  # deadlines before acceptance
    assert 'accesskey="a"' in html and "核验通过" in html and "一次性告知补正" in html
    assert f'name="expected_version" value="{case.row_version}"' in html
    assert "110105********002X" in html  # identity masked even here
    assert "申请人" in html and "提交申请" in html  # timeline with role


def test_case_screen_for_reviewer_shows_task_actions_not_window_actions(client, world):
    case = world.accepted_case()
    client.force_login(world.reviewer)
    html = body(client.get(url(case)))
    assert 'accesskey="p"' in html and 'accesskey="t"' not in html  # first step: no return
    assert 'accesskey="a"' not in html and "核验通过" not in html
    assert "距承诺办结" in html and "剩余" in html
    assert "受理通知书" in html and ".pdf" in html  # notices listed with PDF links
    assert "测试clerk" in html  # staff names in the timeline


# --- permissions: pages ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/workbench/cases/", "/workbench/cases/window/",
                                  "/workbench/cases/window/new/", "/workbench/cases/inbox/"])
def test_list_pages_send_anonymous_visitors_to_sign_in(client, world, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", ["/workbench/cases/", "/workbench/cases/window/",
                                  "/workbench/cases/window/new/", "/workbench/cases/inbox/"])
def test_list_pages_refuse_applicants_with_403(client, world, path):
    client.force_login(world.applicant_user)
    response = client.get(path)
    assert response.status_code == 403 and "无权访问" in body(response)


def test_window_needs_accept_and_inbox_needs_review(client, world, operator):
    client.force_login(world.reviewer)
    assert client.get("/workbench/cases/window/").status_code == 403
    assert client.get("/workbench/cases/window/new/").status_code == 403
    assert client.get("/workbench/cases/inbox/").status_code == 200
    client.force_login(world.clerk)
    assert client.get("/workbench/cases/inbox/").status_code == 403
    assert client.get("/workbench/cases/window/").status_code == 200
    client.force_login(operator)
    assert client.get("/workbench/cases/").status_code == 403


def test_other_district_sees_none_of_the_cases_in_lists(client, world):
    case = world.new_case()
    accepted = world.accepted_case()
    client.force_login(world.other_clerk)
    assert case.case_no not in body(client.get("/workbench/cases/window/"))
    assert client.get(f"/workbench/cases/?q={case.case_no}").context["rows"] == []
    client.force_login(world.other_reviewer)
    assert accepted.case_no not in body(client.get("/workbench/cases/inbox/"))


def test_case_screen_permission_matrix(client, world, operator):
    case = world.new_case()
    assert client.get(url(case)).status_code == 302
    client.force_login(world.applicant_user)
    assert client.get(url(case)).status_code == 403
    client.force_login(world.other_clerk)
    assert client.get(url(case)).status_code == 404
    client.force_login(operator)
    assert client.get(url(case)).status_code == 403
    client.force_login(world.reviewer)  # may see it (review scope) but not act at the window
    html = body(client.get(url(case)))
    assert 'accesskey="a"' not in html
    client.force_login(world.clerk)
    assert client.get(url(case)).status_code == 200
    assert client.get("/workbench/cases/379902-20200101-99999999/").status_code == 404


# --- permissions: actions ----------------------------------------------------------------------


def _denied_post(client, case, action, data, expected_status):
    before = snapshot(case)
    response = client.post(act(case, action), {"expected_version": case.row_version, **data})
    assert response.status_code == expected_status, body(response)[:400]
    assert snapshot(case) == before
    return response


def test_accept_permission_matrix(client, world, operator):
    case = world.new_case()
    world.verify_all(case)
    case.refresh_from_db()
    response = _denied_post(client, case, "accept", {}, 302)
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(world.applicant_user)
    _denied_post(client, case, "accept", {}, 403)
    client.force_login(world.other_clerk)
    _denied_post(client, case, "accept", {}, 404)
    client.force_login(operator)
    _denied_post(client, case, "accept", {}, 403)
    client.force_login(world.reviewer)  # in scope, without the window role
    response = _denied_post(client, case, "accept", {}, 403)
    assert "没有权限" in body(response)
    client.force_login(world.clerk)
    response = client.post(act(case, "accept"), {"expected_version": case.row_version})
    assert response.status_code == 302 and response["Location"] == url(case)
    assert snapshot(case)[0] == CaseState.IN_REVIEW


def test_pass_permission_matrix(client, world):
    case = world.accepted_case()
    data = {"opinion": "符合条件"}
    client.force_login(world.applicant_user)
    _denied_post(client, case, "pass", data, 403)
    client.force_login(world.other_reviewer)
    _denied_post(client, case, "pass", data, 404)
    client.force_login(world.clerk)  # in scope, no review role
    _denied_post(client, case, "pass", data, 403)
    client.force_login(world.head)  # reviews, but the active step is the reviewer's
    _denied_post(client, case, "pass", data, 403)
    client.force_login(world.reviewer)
    response = client.post(act(case, "pass"), {"expected_version": case.row_version, **data})
    assert response.status_code == 302
    review, decide = case.tasks.order_by("seq")
    assert review.state == TaskState.DONE and decide.state == TaskState.ACTIVE


def test_extend_needs_the_department_head(client, world):
    case = world.accepted_case()
    data = {"days": "5", "reason": "需要现场核查"}
    client.force_login(world.reviewer)
    response = _denied_post(client, case, "extend", data, 403)
    assert "部门负责人" in body(response)
    client.force_login(world.other_clerk)
    _denied_post(client, case, "extend", data, 404)
    client.force_login(world.head)
    _denied_post(client, case, "extend", {"days": "11", "reason": "x"}, 422)
    response = client.post(act(case, "extend"), {"expected_version": case.row_version, **data})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.extension_days == 5
    assert Notice.objects.filter(case=case, kind=NoticeKind.EXTENSION).count() == 1


def test_deliver_permission_matrix_and_fields(client, world):
    case = world.accepted_case()
    review, decide = case.tasks.order_by("seq")
    services.task_pass(actor=world.reviewer, task=review)
    services.task_decide(actor=world.head, task=decide, approve=True)
    case.refresh_from_db()
    data = {"method": "window", "identity_checked": "1"}
    client.force_login(world.applicant_user)
    _denied_post(client, case, "deliver", data, 403)
    client.force_login(world.other_clerk)
    _denied_post(client, case, "deliver", data, 404)
    client.force_login(world.reviewer)
    _denied_post(client, case, "deliver", data, 403)
    client.force_login(world.clerk)
    response = _denied_post(client, case, "deliver", {"method": "post"}, 422)
    assert "邮寄送达须填写快递单号" in body(response)
    response = _denied_post(client, case, "deliver", {"method": "window"}, 422)
    assert "窗口领取须核验领取人身份" in body(response)
    response = client.post(act(case, "deliver"), {"expected_version": case.row_version, **data})
    assert response.status_code == 302
    assert snapshot(case)[0] == CaseState.COMPLETED


def test_unknown_action_is_404_and_get_on_an_action_is_refused(client, world):
    case = world.new_case()
    client.force_login(world.clerk)
    assert client.post(act(case, "nonsense"), {}).status_code == 404
    assert client.get(act(case, "accept")).status_code == 405


# --- the window journey -------------------------------------------------------------------------


def test_window_journey_from_a_new_applicant_to_delivery(client, world):
    client.force_login(world.clerk)
    # Find: the number is not registered yet.
    response = client.get(f"/workbench/cases/window/new/?q={FRESH_ID}")
    assert response.status_code == 200 and "没有找到这个号码登记的申请人" in body(response)
    # Register, with one mistake first (the field is named beside the error).
    bad = client.post("/workbench/cases/window/new/", {
        "kind": "person", "name": "李四", "id_number": "110101199003074478",
        "mobile": "13905392002"})
    assert bad.status_code == 422 and "field-invalid" in body(bad)
    assert not Applicant.objects.filter(name="李四").exists()
    response = client.post("/workbench/cases/window/new/", {
        "kind": "person", "name": "李四", "id_number": FRESH_ID, "mobile": "13905392002"})
    applicant = Applicant.objects.get(id_number=FRESH_ID)
    assert response.status_code == 302 and response["Location"].endswith(
        f"?applicant={applicant.pk}")
    # Choose the item by name, then fill its form.
    html = body(client.get(f"/workbench/cases/window/new/?applicant={applicant.pk}&iq=食品"))
    assert world.item.implementation_code in html and "李*" in html
    form_url = (f"/workbench/cases/window/new/?applicant={applicant.pk}"
                f"&item={world.item.implementation_code}")
    page = client.get(form_url)
    assert page.status_code == 200 and "店铺名称" in body(page) and "autofocus" in body(page)
    bad = client.post(form_url, {"shop_name": "", "category": "预包装食品"})
    assert bad.status_code == 422 and "请填写“店铺名称”" in body(bad)
    response = client.post(form_url, {"shop_name": "李记面馆", "category": "散装食品"})
    case = Case.objects.get(applicant=applicant)
    assert response.status_code == 302 and response["Location"] == url(case)
    assert case.state == CaseState.SUBMITTED and case.channel == "window"
    assert case.form_data == {"shop_name": "李记面馆", "category": "散装食品"}

    # Verify the paper originals one by one and accept.
    first, second = case.materials.order_by("sort_order")
    response = client.post(act(case, "check"), {"material": first.pk, "verdict": "verified"})
    assert response.status_code == 302
    response = client.post(act(case, "check"), {"material": second.pk, "verdict": "verified"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert {m.status for m in case.materials.all()} == {CaseMaterialStatus.VERIFIED}
    response = client.post(act(case, "accept"), {"expected_version": case.row_version})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW and case.promised_due is not None
    review, decide = case.tasks.order_by("seq")
    assert review.state == TaskState.ACTIVE
    follow = client.get(url(case))
    assert "已受理" in body(follow)

    # The reviewer passes, the head approves, the clerk delivers.
    client.force_login(world.reviewer)
    assert case.case_no in body(client.get("/workbench/cases/inbox/"))
    response = client.post(act(case, "pass"), {"expected_version": case.row_version,
                                               "opinion": "材料齐全，符合条件"})
    assert response.status_code == 302
    case.refresh_from_db()
    client.force_login(world.head)
    html = body(client.get(url(case)))
    assert 'accesskey="y"' in html and "材料齐全，符合条件" in html
    response = client.post(act(case, "decide"), {"expected_version": case.row_version,
                                                 "decision": "approve"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED and case.decision == Decision.APPROVED
    client.force_login(world.clerk)
    html = body(client.get(url(case)))
    assert 'accesskey="d"' in html and "电子证照" in html
    response = client.post(act(case, "deliver"), {"expected_version": case.row_version,
                                                  "method": "post", "tracking_no": "SF123456"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED and case.tracking_no == "SF123456"
    html = body(client.get(url(case)))
    assert "办件已办结" in html and "SF123456" in html


def test_new_case_finds_applicants_by_mobile_and_masks_them(client, world):
    client.force_login(world.clerk)
    response = client.get("/workbench/cases/window/new/?q=13905391001")
    assert [a.pk for a in response.context["found"]] == [world.applicant.pk]
    results = body(response).split("查找结果")[1].split("登记新申请人")[0]
    assert "张**" in results and "139****1001" in results
    assert "13905391001" not in results and "张三丰" not in results


def test_new_case_only_offers_items_in_the_clerks_scope(client, world, departments):
    elsewhere = make_item(departments, code="IMPL-0009", dep="d2_market")
    client.force_login(world.clerk)
    html = body(client.get(f"/workbench/cases/window/new/?applicant={world.applicant.pk}&iq=食品"))
    assert world.item.implementation_code in html
    assert elsewhere.implementation_code not in html
    response = client.get(f"/workbench/cases/window/new/?applicant={world.applicant.pk}"
                          f"&item={elsewhere.implementation_code}")
    assert response.status_code == 404


def test_tolerant_acceptance_and_collecting_the_material_later(client, world):
    case = world.new_case()
    licence, plan = case.materials.order_by("sort_order")  # the licence is tolerable
    services.case_check_material(actor=world.clerk, case=case, material_id=plan.pk,
                                 verdict=CaseMaterialStatus.VERIFIED)
    case.refresh_from_db()
    client.force_login(world.clerk)
    html = body(client.get(url(case)))
    assert 'accesskey="r"' in html and "容缺受理告知承诺书" in html
    response = client.post(act(case, "accept_tolerant"), {"expected_version": case.row_version})
    assert response.status_code == 422 and "请勾选容缺的材料" in body(response)
    promised = (date.today() + timedelta(days=10)).isoformat()
    response = client.post(act(case, "accept_tolerant"), {
        "expected_version": case.row_version, "tolerated": [licence.pk],
        f"promised_by_{licence.pk}": promised})
    assert response.status_code == 302
    case.refresh_from_db()
    licence.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW and licence.status == CaseMaterialStatus.TOLERATED
    assert Notice.objects.filter(case=case, kind=NoticeKind.TOLERANCE).exists()
    response = client.post(act(case, "supply_tolerated"), {"material": licence.pk})
    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.status == CaseMaterialStatus.VERIFIED


def test_one_time_supplement_notice_lists_everything_ticked(client, world):
    case = world.new_case()
    first, second = case.materials.order_by("sort_order")
    client.force_login(world.clerk)
    response = client.post(act(case, "check"), {"material": first.pk, "verdict": "missing",
                                                "note": ""})
    assert response.status_code == 422 and "请填写此项" in body(response)
    response = client.post(act(case, "check"), {"material": first.pk, "verdict": "missing",
                                                "note": "需加盖公章"})
    assert response.status_code == 302
    case.refresh_from_db()
    html = body(client.get(url(case)))
    assert "一次性列明" in html
    response = client.post(act(case, "supplement"), {
        "expected_version": case.row_version, "missing": [second.pk],
        f"note_{second.pk}": "请提供彩色平面图", "other": "请同时提供联系人电话"})
    assert response.status_code == 302
    notice = Notice.objects.get(case=case, kind=NoticeKind.SUPPLEMENT)
    # The material ticked now and the one marked earlier, both on the one notice.
    assert sorted(notice.content["lines"]) == sorted([["营业执照", "需加盖公章"],
                                                      ["经营场所平面图", "请提供彩色平面图"],
                                                      ["其他说明", "请同时提供联系人电话"]])
    assert snapshot(case)[0] == CaseState.AWAITING_SUPPLEMENT


def test_refusal_needs_a_reason_shown_beside_the_field(client, world):
    case = world.new_case()
    client.force_login(world.clerk)
    before = snapshot(case)
    response = client.post(act(case, "refuse"), {"expected_version": case.row_version,
                                                 "reason": "  "})
    assert response.status_code == 422 and snapshot(case) == before
    html = body(response)
    assert 'id="act-refuse" open' in html and "请填写此项" in html
    response = client.post(act(case, "refuse"), {
        "expected_version": case.row_version, "reason": "不属于本机关职权范围",
        "refer_to": "云溪市市场监督管理局"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.REFUSED and case.refer_to == "云溪市市场监督管理局"


def test_special_procedure_then_resume_and_return(client, world):
    case = world.accepted_case()
    client.force_login(world.reviewer)
    response = client.post(act(case, "special"), {"expected_version": case.row_version,
                                                  "kind": "site_inspection", "reason": "现场核查",
                                                  "expected_days": ""})
    assert response.status_code == 422 and "预计所需的工作日数" in body(response)
    response = client.post(act(case, "special"), {"expected_version": case.row_version,
                                                  "kind": "site_inspection", "reason": "现场核查",
                                                  "expected_days": "3"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.SUSPENDED
    html = body(client.get(url(case)))
    assert "现场勘查" in html and "暂停计时" in html and 'accesskey="g"' in html
    response = client.post(act(case, "resume"), {"expected_version": case.row_version,
                                                 "result": "现场符合要求"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    review, decide = case.tasks.order_by("seq")
    services.task_pass(actor=world.reviewer, task=review)
    case.refresh_from_db()
    client.force_login(world.head)
    response = client.post(act(case, "return"), {"expected_version": case.row_version,
                                                 "to_seq": "1", "reason": ""})
    assert response.status_code == 422
    response = client.post(act(case, "return"), {"expected_version": case.row_version,
                                                 "to_seq": "1", "reason": "请补充核查记录"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == TaskState.ACTIVE


def test_chief_decides_an_instant_item_on_the_spot(client, world, departments):
    instant = make_item(departments, code="IMPL-0002", case_type="1", promised_limit=0,
                        basic=basic_data(basic_code="B0002", name="食品小摊点备案"))
    catalog_services.authorisation_issue(
        actor=world.head, holder=world.chief, department=departments["d1_market"],
        items=[instant], valid_from=date.today() - timedelta(days=1),
        valid_to=date.today() + timedelta(days=30), number="SQ-2026-002",
    )
    case = services.case_create(actor=world.clerk, item=instant, applicant=world.applicant,
                                channel="window", form_data={"shop_name": "即办小店",
                                                             "category": "预包装食品"},
                                submit=True)
    world.verify_all(case)
    case.refresh_from_db()
    client.force_login(world.clerk)
    assert 'accesskey="s"' not in body(client.get(url(case)))
    _denied_post(client, case, "on_spot", {"decision": "approve"}, 403)
    client.force_login(world.chief)
    assert 'accesskey="s"' in body(client.get(url(case)))
    response = client.post(act(case, "on_spot"), {"expected_version": case.row_version,
                                                  "decision": "approve",
                                                  "delivery_method": "window"})
    assert response.status_code == 302
    assert snapshot(case)[0] == CaseState.COMPLETED


# --- two clerks at once ------------------------------------------------------------------------


def test_a_stale_form_gets_the_conflict_message_and_changes_nothing(client, world):
    case = world.new_case()
    world.verify_all(case)
    case.refresh_from_db()
    stale = case.row_version - 1  # the page was loaded before the last verification
    client.force_login(world.clerk)
    before = snapshot(case)
    response = client.post(act(case, "accept"), {"expected_version": stale})
    assert response.status_code == 409
    assert "已被其他人处理，请刷新后查看" in body(response)
    assert snapshot(case) == before


def test_a_stale_task_form_gets_the_conflict_message(client, world):
    case = world.accepted_case()
    client.force_login(world.reviewer)
    page = client.get(url(case))
    version = page.context["case"].row_version
    services.task_start_special(actor=world.reviewer, task=case.tasks.get(seq=1),
                                kind="hearing", reason="听证", expected_days=5)
    services.case_resume(actor=world.reviewer, case=case, result="听证结束")
    before = snapshot(case)
    response = client.post(act(case, "pass"), {"expected_version": version, "opinion": "同意"})
    assert response.status_code == 409 and "已被其他人处理，请刷新后查看" in body(response)
    assert snapshot(case) == before


def test_acting_on_a_case_another_clerk_already_moved_is_a_conflict(client, world):
    case = world.new_case()
    world.verify_all(case)
    services.case_accept(actor=world.clerk, case=case)
    client.force_login(world.clerk)
    before = snapshot(case)
    response = client.post(act(case, "refuse"), {"reason": "材料不全"})
    assert response.status_code == 409 and "请刷新后查看" in body(response)
    assert snapshot(case) == before


# --- files and notices -------------------------------------------------------------------------


def test_material_files_are_served_to_staff_in_scope_only(client, world, operator):
    case = world.new_case()
    material = case.materials.order_by("sort_order").first()
    path = url(case, f"materials/{material.pk}/file/")
    client.force_login(world.clerk)
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]
    client.force_login(world.other_clerk)
    assert client.get(path).status_code == 404
    client.force_login(world.applicant_user)
    assert client.get(path).status_code == 403
    client.force_login(operator)
    assert client.get(path).status_code == 403
    client.logout()
    assert client.get(path).status_code == 302


def test_notice_pdf_for_staff(client, world):
    case = world.accepted_case()
    notice = Notice.objects.get(case=case, kind=NoticeKind.ACCEPTANCE)
    path = url(case, f"notices/{notice.pk}.pdf")
    client.force_login(world.reviewer)
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    other = world.accepted_case()
    other_notice = Notice.objects.get(case=other, kind=NoticeKind.ACCEPTANCE)
    assert client.get(url(case, f"notices/{other_notice.pk}.pdf")).status_code == 404
    client.force_login(world.other_reviewer)
    assert client.get(path).status_code == 404


# --- a fixed number of queries -----------------------------------------------------------------


def _queries(client, case: Case) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url(case))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_case_screen_query_count_does_not_grow_with_the_case(client, world):
    small = world.accepted_case()
    large = world.new_case()
    # Many more materials and events on the large case.
    extra = [CaseMaterial(case=large, sort_order=10 + i, name=f"补充材料{i}", required=False)
             for i in range(15)]
    CaseMaterial.objects.bulk_create(extra)
    for row in CaseMaterial.objects.filter(case=large):
        for verdict in ("missing", "verified"):
            services.case_check_material(actor=world.clerk, case=large, material_id=row.pk,
                                         verdict=verdict, note="请核对")
    services.case_accept(actor=world.clerk, case=large)
    large.refresh_from_db()
    assert large.event_count > small.event_count + 30
    client.force_login(world.reviewer)
    client.get(url(small))  # warm the working-day calendar
    assert _queries(client, small) == _queries(client, large)


# --- the workbench home -------------------------------------------------------------------------


def test_workbench_home_shows_queue_and_inbox_counts(client, world):
    world.new_case()
    world.accepted_case()
    client.force_login(world.clerk)
    html = body(client.get("/workbench/"))
    assert "窗口受理" in html and "预审队列" in html and "待办审批" not in html
    assert client.get("/workbench/").context["case_counts"][0]["count"] == 1
    client.force_login(world.reviewer)
    response = client.get("/workbench/")
    assert "待办审批" in body(response) and "窗口受理" not in body(response)
    assert response.context["case_counts"] == [
        {"label": "我的待办", "url": "/workbench/cases/inbox/", "count": 1, "capped": 100}]



def test_case_screen_names_the_applicant_masked_not_by_their_mobile_user_name(client, world):
    case = world.new_case()
    client.force_login(world.clerk)
    html = body(client.get(url(case)))
    assert "13905391001" not in html  # the applicant's user name is their mobile number
    assert "张**" in html


def test_applicant_timeline_names_the_step_that_passed(client, world):
    case = world.accepted_case()
    [task] = [t for t in case.tasks.all() if t.state == TaskState.ACTIVE]
    services.task_pass(actor=world.reviewer, task=task, opinion="材料齐全")
    client.force_login(world.applicant_user)
    html = body(client.get(f"/my/cases/{case.case_no}/"))
    assert "审查通过，转入决定" in html and "通过本环节" not in html


@pytest.mark.parametrize("path, who", [("/workbench/cases/?within=30", "clerk"),
                                       ("/workbench/cases/inbox/", "reviewer")])
def test_due_window_and_inbox_pages_take_the_same_queries_for_1_or_4_cases(client, world, path,
                                                                          who):
    client.force_login(getattr(world, who))
    cases = [world.accepted_case()]
    client.get(path)
    with CaptureQueriesContext(connection) as one:
        html = body(client.get(path))
    assert cases[0].case_no in html
    cases += [world.accepted_case() for _ in range(3)]
    with CaptureQueriesContext(connection) as four:
        html = body(client.get(path))
    assert all(c.case_no in html for c in cases)
    assert len(four.captured_queries) == len(one.captured_queries)
