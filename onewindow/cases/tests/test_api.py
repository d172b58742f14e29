"""The cases API over HTTP: the whole journey, a permission matrix for every endpoint, field
errors for bad input, key-set pagination, Bearer tokens, fixed query counts, the OpenAPI document.
"""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onewindow.accounts.models import Applicant, ApplicantKind, Role, User
from onewindow.accounts.tokens import token_create
from onewindow.cases import services
from onewindow.cases.models import Case, CaseMaterial, CaseMaterialStatus, Notice, Task
from onewindow.cases.services import Upload
from onewindow.cases.tests.conftest import pdf_bytes
from onewindow.cases.workflow import CaseState, TaskState
from onewindow.catalog import services as catalog_services
from onewindow.catalog.tests.test_services import basic_data, make_item
from onewindow.core.identity import make_id_number

pytestmark = pytest.mark.django_db

BASE = "/api/v1/cases"
FORM = {"shop_name": "湖滨小吃店", "category": "预包装食品"}


# --- helpers -------------------------------------------------------------------------------------


def send(client: Any, method: str, url: str, body: Any = None, *, user: Any = None,
         token: str | None = None, upload: bytes | None = None, name: str = "材料.pdf") -> Any:
    """One request as ``user`` (session), with ``token`` (Bearer), or anonymously."""
    client.logout()
    if user is not None:
        client.force_login(user)
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if upload is not None:
        return client.post(url, {"file": SimpleUploadedFile(name, upload)}, **extra)
    if method == "get":
        return client.get(url, body or {}, **extra)
    return getattr(client, method)(
        url, data=json.dumps(body if body is not None else {}),
        content_type="application/json", **extra,
    )


def snapshot(case_no: str) -> tuple[Any, ...]:
    case = Case.objects.get(case_no=case_no)
    return (
        case.state, case.row_version, case.event_count,
        Notice.objects.filter(case=case).count(),
        sorted(case.materials.values_list("pk", "status", "sha256", "origin")),
        sorted(Task.objects.filter(case=case).values_list("pk", "state")),
    )


def materials(case: Case) -> list[CaseMaterial]:
    return list(case.materials.order_by("sort_order", "id"))


def active_task(case: Case) -> Task:
    return Task.objects.get(case=case, state=TaskState.ACTIVE)


@pytest.fixture
def other(world: Any) -> User:
    """Another applicant, with an account of their own."""
    user = User.objects.create_user(username="13905391002", phone="13905391002")
    Applicant.objects.create(
        kind=ApplicantKind.PERSON, name="李四光", id_number=make_id_number("11010519800101001"),
        mobile="13905391002", user=user,
    )
    return user


@pytest.fixture
def operator(world: Any, make_staff: Any) -> User:
    """Staff in the case's district whose role (hotline) gives no access to cases."""
    return make_staff(Role.OPERATOR, world.regions["d1"], username="operator")


def instant_item(world: Any) -> Any:
    """An instant item (即办件) the chief representative is authorised to approve on the spot."""
    item = make_item(world.departments, code="IMPL-0002", case_type="1", promised_limit=0,
                     basic=basic_data(basic_code="B0002", name="食品小作坊登记"))
    catalog_services.authorisation_issue(
        actor=world.head, holder=world.chief, department=world.departments["d1_market"],
        items=[item], valid_from=date.today() - timedelta(days=1),
        valid_to=date.today() + timedelta(days=300), number="SQ-2026-002",
    )
    return item


def decided_case(world: Any) -> Case:
    case = world.accepted_case()
    services.task_pass(actor=world.reviewer, task=active_task(case), opinion="符合条件")
    services.task_decide(actor=world.head, task=active_task(case), approve=True)
    case.refresh_from_db()
    return case


# --- the journey ---------------------------------------------------------------------------------


def test_journey_apply_upload_supplement_accept_review_decide_deliver_lookup(client, world):
    applicant = world.applicant_user
    created = send(client, "post", BASE, {"item": world.item.implementation_code, "form": FORM},
                   user=applicant)
    assert created.status_code == 201, created.content
    body = created.json()
    case_no, query_code = body["case_no"], body["query_code"]
    assert body["state"] == CaseState.DRAFT and len(query_code) == 8

    detail = send(client, "get", f"{BASE}/{case_no}", user=applicant).json()
    assert detail["query_code"] == query_code  # shown to the owner
    ids = [m["id"] for m in detail["materials"]]
    for material_id in ids:
        up = send(client, "post", f"{BASE}/{case_no}/materials/{material_id}", user=applicant,
                  upload=pdf_bytes(str(material_id)))
        assert up.status_code == 200, up.content
        assert up.json()["material"]["content_type"] == "application/pdf"
    submitted = send(client, "post", f"{BASE}/{case_no}/submit", {}, user=applicant)
    assert submitted.json()["state"] == CaseState.SUBMITTED

    # The window verifies one material and asks for the other, once (一次性告知).
    clerk = world.clerk
    ok = send(client, "post", f"{BASE}/{case_no}/materials/{ids[0]}/check",
              {"verdict": "verified"}, user=clerk)
    assert ok.status_code == 200 and ok.json()["material"]["status"] == "verified"
    asked = send(client, "post", f"{BASE}/{case_no}/request-supplement",
                 {"materials": [{"id": ids[1], "note": "需加盖公章"}]}, user=clerk)
    assert asked.status_code == 200, asked.content
    assert asked.json()["state"] == CaseState.AWAITING_SUPPLEMENT
    assert asked.json()["notice"]["title"] == "补正材料通知书"

    mine = send(client, "get", f"{BASE}/{case_no}", user=applicant).json()
    assert [m["status"] for m in mine["materials"]] == ["verified", "missing"]
    assert {"attach", "supply", "withdraw"} <= {a["action"] for a in mine["allowed_actions"]}
    assert mine["notices"][0]["pdf_url"].endswith(f"/notices/{mine['notices'][0]['id']}.pdf")
    send(client, "post", f"{BASE}/{case_no}/materials/{ids[1]}", user=applicant,
         upload=pdf_bytes("plan v2"))
    supplied = send(client, "post", f"{BASE}/{case_no}/supply", user=applicant)
    assert supplied.json()["state"] == CaseState.SUBMITTED

    send(client, "post", f"{BASE}/{case_no}/materials/{ids[1]}/check", {"verdict": "verified"},
         user=clerk)
    accepted = send(client, "post", f"{BASE}/{case_no}/accept", {}, user=clerk)
    assert accepted.json()["state"] == CaseState.IN_REVIEW, accepted.content
    staff_view = send(client, "get", f"{BASE}/{case_no}", user=clerk).json()
    assert staff_view["query_code"] is None  # never shown to staff
    deadlines = staff_view["deadlines"]
    assert deadlines["legal_due"] and deadlines["promised_due"] <= deadlines["legal_due"]
    assert deadlines["urgency"] == "ok" and deadlines["days_left"] > 1
    assert deadlines["stopped"] is False

    # Back office: the reviewer passes, the head decides.
    inbox = send(client, "get", f"{BASE}/inbox", user=world.reviewer).json()
    [task] = [t for t in inbox["items"] if t["case_no"] == case_no]
    assert task["applicant"] == "张**" and task["urgency"] == "ok"
    passed = send(client, "post", f"{BASE}/tasks/{task['task_id']}/pass",
                  {"opinion": "符合条件"}, user=world.reviewer)
    assert passed.status_code == 200, passed.content
    head_inbox = send(client, "get", f"{BASE}/inbox", user=world.head).json()
    [decide] = [t for t in head_inbox["items"] if t["case_no"] == case_no]
    assert decide["task_id"] == passed.json()["task_id"]
    decided = send(client, "post", f"{BASE}/tasks/{decide['task_id']}/decide",
                   {"approve": True}, user=world.head)
    assert decided.json()["state"] == CaseState.DECIDED
    assert decided.json()["notice"]["title"] == "准予许可决定书"

    delivered = send(client, "post", f"{BASE}/{case_no}/deliver",
                     {"method": "window", "identity_checked": True}, user=clerk)
    assert delivered.json()["state"] == CaseState.COMPLETED, delivered.content

    # The applicant's view: public events only, with role and unit but no staff names.
    mine = send(client, "get", f"{BASE}/{case_no}", user=applicant).json()
    actions = [e["action"] for e in mine["events"]]
    assert "check_material" not in actions and actions[-1] == "deliver"
    assert all(e["public"] for e in mine["events"])
    accept_event = next(e for e in mine["events"] if e["action"] == "accept")
    assert accept_event["actor_role"] == "窗口受理人员" and accept_event["actor_unit"] == "东湖区"
    assert "测试" not in json.dumps(mine, ensure_ascii=False)  # staff display names
    pass_event = next(e for e in mine["events"] if e["action"] == "pass")
    assert "opinion" not in pass_event["data"]
    staff_view = send(client, "get", f"{BASE}/{case_no}", user=clerk).json()
    assert "check_material" in [e["action"] for e in staff_view["events"]]
    assert len(staff_view["events"]) == Case.objects.get(case_no=case_no).event_count

    # Lookup without signing in: number + query code; a wrong pair is an unknown number.
    found = send(client, "get", f"{BASE}/lookup",
                 {"case_no": case_no, "query_code": query_code.lower()})
    assert found.status_code == 200, found.content
    assert found.json()["state"] == CaseState.COMPLETED and found.json()["applicant"] == "张**"
    wrong = send(client, "get", f"{BASE}/lookup", {"case_no": case_no, "query_code": "ZZZZZZZZ"})
    unknown = send(client, "get", f"{BASE}/lookup",
                   {"case_no": "379902-20200101-00000001", "query_code": query_code})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()


def test_tolerated_material_is_accepted_then_supplied_before_delivery(client, world):
    case = world.new_case()
    licence, plan = materials(case)
    services.case_check_material(actor=world.clerk, case=case, material_id=plan.pk,
                                 verdict=CaseMaterialStatus.VERIFIED)
    promised = (date.today() + timedelta(days=7)).isoformat()
    accepted = send(client, "post", f"{BASE}/{case.case_no}/accept",
                    {"tolerated": [{"id": licence.pk, "promised_by": promised}]}, user=world.clerk)
    assert accepted.status_code == 200, accepted.content
    detail = send(client, "get", f"{BASE}/{case.case_no}", user=world.clerk).json()
    assert detail["materials"][0]["status"] == "tolerated"
    assert detail["materials"][0]["promised_by"] == promised
    assert {n["title"] for n in detail["notices"]} == {"受理通知书", "容缺受理告知承诺书"}

    supplied = send(client, "post",
                    f"{BASE}/{case.case_no}/materials/{licence.pk}/supply-tolerated",
                    user=world.applicant_user, upload=pdf_bytes("licence"))
    assert supplied.status_code == 200, supplied.content
    assert supplied.json()["material"]["status"] == "provided"


def test_window_records_a_tolerated_paper_original_without_a_file(client, world):
    case = world.new_case()
    licence, plan = materials(case)
    services.case_check_material(actor=world.clerk, case=case, material_id=plan.pk,
                                 verdict=CaseMaterialStatus.VERIFIED)
    services.case_accept(actor=world.clerk, case=case, tolerated=[
        {"id": licence.pk, "promised_by": date.today() + timedelta(days=3)}])
    url = f"{BASE}/{case.case_no}/materials/{licence.pk}/supply-tolerated"
    # The applicant must upload something; the window may record the paper original.
    assert send(client, "post", url, user=world.applicant_user).status_code == 422
    response = send(client, "post", url, user=world.clerk)
    assert response.status_code == 200, response.content
    assert response.json()["material"]["status"] == "verified"
    assert response.json()["material"]["origin"] == "paper"


def test_actions_without_options_accept_an_empty_body(client, world):
    case = world.new_case(submit=False)
    client.force_login(world.applicant_user)
    response = client.post(f"{BASE}/{case.case_no}/submit", data="",
                           content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == CaseState.SUBMITTED


def test_window_clerk_creates_and_submits_for_a_registered_applicant(client, world):
    response = send(client, "post", BASE, {
        "item": world.item.implementation_code, "applicant_id": world.applicant.pk,
        "form": FORM, "submit": True, "channel": "window",
    }, user=world.clerk)
    assert response.status_code == 201, response.content
    case = Case.objects.get(case_no=response.json()["case_no"])
    assert case.channel == "window" and case.state == CaseState.SUBMITTED
    assert case.created_by == world.clerk and case.applicant == world.applicant
    # The owner sees the query code on their case; the list never carries it.
    mine = send(client, "get", f"{BASE}/{case.case_no}", user=world.applicant_user).json()
    assert mine["query_code"] == case.query_code
    listed = send(client, "get", BASE, user=world.applicant_user).json()
    assert case.query_code not in json.dumps(listed)


def test_chief_decides_an_instant_item_on_the_spot(client, world):
    item = instant_item(world)
    case = services.case_create(actor=world.applicant_user, item=item, applicant=world.applicant,
                                form_data=FORM)
    for m in materials(case):
        services.case_attach_material(actor=world.applicant_user, case=case, material_id=m.pk,
                                      upload=Upload("a.pdf", pdf_bytes()))
    services.case_submit(actor=world.applicant_user, case=case)
    world.verify_all(case)
    response = send(client, "post", f"{BASE}/{case.case_no}/decide-on-spot",
                    {"approve": True, "delivery_method": "window"}, user=world.chief)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == CaseState.COMPLETED


# --- the permission matrix -----------------------------------------------------------------------

# Who asks; the last entry of each row is the one allowed.
ANON, OWNER, OTHER = "anonymous", "applicant", "other_applicant"


@dataclass
class Endpoint:
    method: str
    setup: Callable[[Any], tuple[Case, str, Any]]  # world -> (case, url, body or upload bytes)
    actors: list[tuple[str, int]]  # (actor, status), denied first, then the allowed one
    multipart: bool = False


def _draft(world: Any, upload: bool = False) -> Case:
    return world.new_case(submit=False, upload=upload)


def _form(world):
    case = _draft(world)
    return case, f"{BASE}/{case.case_no}/form", {"form": {"shop_name": "新店名"}}


def _upload(world):
    case = _draft(world)
    return case, f"{BASE}/{case.case_no}/materials/{materials(case)[0].pk}", pdf_bytes("x")


def _reuse(world):
    earlier = world.new_case()
    source = materials(earlier)[0]
    case = _draft(world)
    url = f"{BASE}/{case.case_no}/materials/{materials(case)[0].pk}/reuse"
    return case, url, {"source_material_id": source.pk}


def _submit(world):
    case = _draft(world, upload=True)
    return case, f"{BASE}/{case.case_no}/submit", {}


def _withdraw(world):
    case = world.new_case()
    return case, f"{BASE}/{case.case_no}/withdraw", {"reason": "不办了"}


def _supply(world):
    case = world.new_case()
    plan = materials(case)[1]
    services.case_request_supplement(actor=world.clerk, case=case,
                                     materials=[{"id": plan.pk, "note": "需加盖公章"}])
    services.case_attach_material(actor=world.applicant_user, case=case, material_id=plan.pk,
                                  upload=Upload("v2.pdf", pdf_bytes("v2")))
    return case, f"{BASE}/{case.case_no}/supply", {}


def _supply_tolerated(world):
    case = world.new_case()
    licence, plan = materials(case)
    services.case_check_material(actor=world.clerk, case=case, material_id=plan.pk,
                                 verdict=CaseMaterialStatus.VERIFIED)
    services.case_accept(actor=world.clerk, case=case, tolerated=[
        {"id": licence.pk, "promised_by": date.today() + timedelta(days=5)}])
    url = f"{BASE}/{case.case_no}/materials/{licence.pk}/supply-tolerated"
    return case, url, pdf_bytes("licence")


def _check(world):
    case = world.new_case()
    url = f"{BASE}/{case.case_no}/materials/{materials(case)[0].pk}/check"
    return case, url, {"verdict": "verified"}


def _request_supplement(world):
    case = world.new_case()
    body = {"materials": [{"id": materials(case)[1].pk, "note": "需加盖公章"}]}
    return case, f"{BASE}/{case.case_no}/request-supplement", body


def _accept(world):
    case = world.new_case()
    world.verify_all(case)
    return case, f"{BASE}/{case.case_no}/accept", {}


def _refuse(world):
    case = world.new_case()
    body = {"reason": "不属于本机关职权范围", "refer_to": "西岭区市场监督管理局"}
    return case, f"{BASE}/{case.case_no}/refuse", body


def _decide_on_spot(world):
    item = instant_item(world)
    case = services.case_create(actor=world.applicant_user, item=item, applicant=world.applicant,
                                form_data=FORM)
    for m in materials(case):
        services.case_attach_material(actor=world.applicant_user, case=case, material_id=m.pk,
                                      upload=Upload("a.pdf", pdf_bytes()))
    services.case_submit(actor=world.applicant_user, case=case)
    world.verify_all(case)
    return case, f"{BASE}/{case.case_no}/decide-on-spot", {"approve": True}


def _resume(world):
    case = world.accepted_case()
    services.task_start_special(actor=world.reviewer, task=active_task(case), kind="hearing",
                                reason="涉及重大公共利益", expected_days=10)
    return case, f"{BASE}/{case.case_no}/resume", {"result": "听证结束，同意"}


def _extend(world):
    case = world.accepted_case()
    return case, f"{BASE}/{case.case_no}/extend", {"days": 5, "reason": "情况复杂"}


def _deliver(world):
    case = decided_case(world)
    return case, f"{BASE}/{case.case_no}/deliver", {"method": "electronic"}


def _task_pass(world):
    case = world.accepted_case()
    return case, f"{BASE}/tasks/{active_task(case).pk}/pass", {"opinion": "符合条件"}


def _second_step(world: Any) -> Case:
    case = world.accepted_case()
    services.task_pass(actor=world.reviewer, task=active_task(case))
    return case


def _task_return(world):
    case = _second_step(world)
    return case, f"{BASE}/tasks/{active_task(case).pk}/return", {"to_seq": 1, "reason": "补充审查"}


def _task_request_more(world):
    case = world.accepted_case()
    body = {"materials": [{"id": materials(case)[1].pk, "note": "请补充"}]}
    return case, f"{BASE}/tasks/{active_task(case).pk}/request-more", body


def _task_special(world):
    case = world.accepted_case()
    body = {"kind": "site_inspection", "reason": "需现场核查经营场所", "expected_days": 5}
    return case, f"{BASE}/tasks/{active_task(case).pk}/special", body


def _task_decide(world):
    case = _second_step(world)
    return case, f"{BASE}/tasks/{active_task(case).pk}/decide", {"approve": True}


# Applicant side: nobody else can even find the case. Staff side: out of scope is a 404 too;
# in scope without the role is a 403.
APPLICANT_SIDE = [(ANON, 401), (OTHER, 404), ("other_clerk", 404), ("reviewer", 404),
                  (OWNER, 200)]


def staff_side(no_role: str, role: str, far: str = "other_clerk") -> list[tuple[str, int]]:
    return [(ANON, 401), (OWNER, 404), (OTHER, 404), (far, 404), (no_role, 403), (role, 200)]


ENDPOINTS: dict[str, Endpoint] = {
    "save_form": Endpoint("put", _form, APPLICANT_SIDE),
    "upload": Endpoint("post", _upload, APPLICANT_SIDE, multipart=True),
    "reuse": Endpoint("post", _reuse, APPLICANT_SIDE),
    "submit": Endpoint("post", _submit, APPLICANT_SIDE),
    "withdraw": Endpoint("post", _withdraw,
                         [(ANON, 401), (OTHER, 404), ("other_clerk", 404), ("clerk", 404),
                          (OWNER, 200)]),
    "supply": Endpoint("post", _supply, APPLICANT_SIDE),
    "supply_tolerated": Endpoint("post", _supply_tolerated, APPLICANT_SIDE, multipart=True),
    "check": Endpoint("post", _check, staff_side("reviewer", "clerk")),
    "request_supplement": Endpoint("post", _request_supplement, staff_side("reviewer", "clerk")),
    "accept": Endpoint("post", _accept, staff_side("reviewer", "clerk")),
    "refuse": Endpoint("post", _refuse, staff_side("reviewer", "clerk")),
    "decide_on_spot": Endpoint("post", _decide_on_spot, staff_side("clerk", "chief")),
    "resume": Endpoint("post", _resume, staff_side("clerk", "reviewer", "other_reviewer")),
    "extend": Endpoint("post", _extend, staff_side("reviewer", "head", "other_reviewer")),
    "deliver": Endpoint("post", _deliver, staff_side("reviewer", "clerk")),
    "task_pass": Endpoint("post", _task_pass, staff_side("clerk", "reviewer", "other_reviewer")),
    "task_return": Endpoint("post", _task_return,
                            staff_side("reviewer", "head", "other_reviewer")),
    "task_request_more": Endpoint("post", _task_request_more,
                                  staff_side("clerk", "reviewer", "other_reviewer")),
    "task_special": Endpoint("post", _task_special,
                             staff_side("clerk", "reviewer", "other_reviewer")),
    "task_decide": Endpoint("post", _task_decide,
                            staff_side("reviewer", "head", "other_reviewer")),
}


def _actor(name: str, world: Any, other: User) -> Any:
    if name == ANON:
        return None
    if name == OWNER:
        return world.applicant_user
    if name == OTHER:
        return other
    return getattr(world, name)


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_permission_matrix_denied_requests_change_nothing(client, world, other, name):
    endpoint = ENDPOINTS[name]
    case, url, body = endpoint.setup(world)
    before = snapshot(case.case_no)
    *denied, (allowed, allowed_status) = endpoint.actors
    kw: dict[str, Any] = {"upload": body} if endpoint.multipart else {}
    for actor, status in denied:
        response = send(client, endpoint.method, url, None if endpoint.multipart else body,
                        user=_actor(actor, world, other), **kw)
        assert response.status_code == status, (actor, response.content)
        assert "code" in response.json() and "message" in response.json()
        assert snapshot(case.case_no) == before, f"{actor} changed the case"
    response = send(client, endpoint.method, url, None if endpoint.multipart else body,
                    user=_actor(allowed, world, other), **kw)
    assert response.status_code == allowed_status, (allowed, response.content)
    after = Case.objects.get(pk=case.pk)
    assert after.row_version > before[1]
    assert response.json()["row_version"] == after.row_version


def test_permission_matrix_for_creating_a_case(client, world, other):
    item = world.item.implementation_code
    online = {"item": item, "form": FORM}
    at_window = {**online, "applicant_id": world.applicant.pk, "channel": "window"}
    denied = [
        (None, online, 401),
        (other, {**online, "applicant_id": world.applicant.pk}, 404),  # not their applicant
        (other, at_window, 403),  # applicants cannot act at the window
        (world.other_clerk, at_window, 403),  # another district's window
        (world.reviewer, at_window, 403),  # in scope, without the clerk's role
    ]
    for user, body, status in denied:
        response = send(client, "post", BASE, body, user=user)
        assert response.status_code == status, (user, response.content)
    assert Case.objects.count() == 0
    assert send(client, "post", BASE, online, user=world.applicant_user).status_code == 201
    assert send(client, "post", BASE, at_window, user=world.clerk).status_code == 201
    assert Case.objects.count() == 2


def test_permission_matrix_for_reads(client, world, other, operator):
    case = world.accepted_case()
    no = case.case_no
    notice = Notice.objects.filter(case=case).first()
    assert notice is not None
    before = snapshot(no)

    def status(url: str, user: Any, params: Any = None) -> int:
        return send(client, "get", url, params, user=user).status_code

    detail = f"{BASE}/{no}"
    pdf = f"{BASE}/{no}/notices/{notice.pk}.pdf"
    sources = f"{BASE}/{no}/materials/{materials(case)[0].pk}/sources"
    for url in (detail, pdf, sources):
        assert status(url, None) == 401
        for user in (other, world.other_clerk, world.other_reviewer, operator):
            assert status(url, user) == 404, (url, user)
    for user in (world.applicant_user, world.clerk, world.reviewer, world.head):
        assert status(detail, user) == 200
        assert status(sources, user) == 200

    # Lists: everyone signed in gets one, narrowed to what they may see.
    assert status(BASE, None) == 401
    for user, sees in ((world.applicant_user, True), (other, False), (world.other_clerk, False),
                       (operator, False), (world.clerk, True), (world.reviewer, True)):
        response = send(client, "get", BASE, user=user)
        assert response.status_code == 200
        assert (no in [c["case_no"] for c in response.json()["items"]]) is sees, user

    # Inbox: reviewers only; another district's reviewer sees none of ours.
    assert status(f"{BASE}/inbox", None) == 401
    for user in (world.applicant_user, world.clerk, operator):
        assert status(f"{BASE}/inbox", user) == 403
    assert send(client, "get", f"{BASE}/inbox", user=world.other_reviewer).json()["items"] == []
    mine = send(client, "get", f"{BASE}/inbox", user=world.reviewer).json()["items"]
    assert [t["case_no"] for t in mine] == [no]

    # Due within N working days: staff in scope.
    due = f"{BASE}/due"
    assert status(due, None, {"within": 30}) == 401
    for user in (world.applicant_user, operator):
        assert status(due, user, {"within": 30}) == 403
    far = send(client, "get", due, {"within": 30}, user=world.other_clerk).json()
    assert far == {"total": 0, "items": [], "next_cursor": None}
    page = send(client, "get", due, {"within": 30}, user=world.clerk).json()
    assert [r["case_no"] for r in page["items"]] == [no] and page["total"] == 1
    assert send(client, "get", due, {"within": 0}, user=world.clerk).json()["items"] == []
    assert snapshot(no) == before


def test_staff_list_masks_applicant_identity_and_mobile(client, world):
    world.new_case()
    [row] = send(client, "get", BASE, user=world.clerk).json()["items"]
    assert row["applicant"]["name"] == "张**"
    assert row["applicant"]["identity"] == "110105********002X"
    assert row["applicant"]["mobile"] == "139****1001"
    body = json.dumps(send(client, "get", BASE, user=world.clerk).json(), ensure_ascii=False)
    assert "11010519491231002X" not in body and "13905391001" not in body
    detail = send(client, "get", f"{BASE}/{row['case_no']}", user=world.clerk).json()
    assert detail["applicant"]["name"] == "张三丰"  # full name on the case screen
    assert detail["applicant"]["identity"] == "110105********002X"


# --- bad input: 422 with field errors, never a 500 -----------------------------------------------


def test_bad_input_is_422_with_errors_by_field(client, world):
    clerk, applicant = world.clerk, world.applicant_user

    def errors(method: str, url: str, body: Any, user: Any, **kw: Any) -> dict[str, Any]:
        response = send(client, method, url, body, user=user, **kw)
        assert response.status_code == 422, (url, response.status_code, response.content)
        return response.json()["errors"]

    assert "item" in errors("post", BASE, {"form": FORM}, applicant)
    assert "applicant_id" in errors("post", BASE, {"item": "IMPL-0001", "applicant_id": "x"},
                                    applicant)
    assert "channel" in errors("post", BASE, {"item": "IMPL-0001", "channel": "fax"}, applicant)
    assert "form" in errors("post", BASE, {"item": "IMPL-0001", "form": [1, 2]}, applicant)
    bad_form = errors("post", BASE, {"item": "IMPL-0001", "submit": True,
                                     "form": {"shop_name": "店", "category": "烟草"}}, applicant)
    assert bad_form["form.category"] == ["请从选项中选择。"]
    assert Case.objects.count() == 0

    assert "limit" in errors("get", BASE, {"limit": 1000}, clerk)
    assert "cursor" in errors("get", BASE, {"cursor": "%%%"}, clerk)
    assert "cursor" in errors("get", BASE, {"cursor": "bm90LWEtY3Vyc29y"}, clerk)
    assert "state" in errors("get", BASE, {"state": "bogus"}, clerk)
    assert "due_before" in errors("get", f"{BASE}/inbox", {"due_before": "tomorrow"},
                                  world.reviewer)
    assert "within" in errors("get", f"{BASE}/due", {"within": -1}, clerk)
    assert "case_no" in errors("get", f"{BASE}/lookup", {"query_code": "X"}, None)

    case = world.new_case()
    no, (licence, plan) = case.case_no, materials(case)
    before = snapshot(no)
    assert "verdict" in errors("post", f"{BASE}/{no}/materials/{licence.pk}/check",
                               {"verdict": "maybe"}, clerk)
    assert "note" in errors("post", f"{BASE}/{no}/materials/{licence.pk}/check",
                            {"verdict": "missing"}, clerk)
    assert "tolerated.0.promised_by" in errors(
        "post", f"{BASE}/{no}/accept", {"tolerated": [{"id": licence.pk, "promised_by": "soon"}]},
        clerk)
    assert "tolerated" in errors(
        "post", f"{BASE}/{no}/accept",
        {"tolerated": [{"id": plan.pk, "promised_by": date.today().isoformat()}]}, clerk)
    assert "reason" in errors("post", f"{BASE}/{no}/refuse", {"reason": "  "}, clerk)
    assert "materials" in errors("post", f"{BASE}/{no}/request-supplement", {"materials": []},
                                 clerk)
    raw = client.post(f"{BASE}/{no}/refuse", data="{not json", content_type="application/json")
    assert raw.status_code == 400 and raw.json()["code"]  # unreadable body: a problem, not a 500
    assert snapshot(no) == before

    draft = world.new_case(submit=False, upload=False)
    first = materials(draft)[0].pk
    no_file = client.post(f"{BASE}/{draft.case_no}/materials/{first}", {})
    assert no_file.status_code == 422
    assert [k.split(".")[0] for k in no_file.json()["errors"]] == ["file"]
    fake = send(client, "post", f"{BASE}/{draft.case_no}/materials/{first}", user=applicant,
                upload=b"MZ not really a pdf", name="licence.pdf")
    assert fake.status_code == 422 and fake.json()["code"] == "bad_file"
    assert f"materials.{first}" in fake.json()["errors"]
    assert "source_material_id" in errors(
        "post", f"{BASE}/{draft.case_no}/materials/{first}/reuse", {}, applicant)
    assert "form.category" in errors("put", f"{BASE}/{draft.case_no}/form",
                                     {"form": {"category": "烟草"}}, applicant)

    accepted = world.accepted_case()
    assert "days" in errors("post", f"{BASE}/{accepted.case_no}/extend",
                            {"days": 99, "reason": "复杂"}, world.head)
    task = active_task(accepted)
    assert "kind" in errors("post", f"{BASE}/tasks/{task.pk}/special",
                            {"kind": "supplement", "reason": "x", "expected_days": 3},
                            world.reviewer)
    assert "to_seq" in errors("post", f"{BASE}/tasks/{task.pk}/return",
                              {"to_seq": 1, "reason": "x"}, world.reviewer)
    last = active_task(_second_step(world))
    assert "reason" in errors("post", f"{BASE}/tasks/{last.pk}/decide", {"approve": False},
                              world.head)


def test_wrong_state_and_stale_version_are_409_conflicts(client, world):
    case = world.new_case()
    stale = send(client, "post", f"{BASE}/{case.case_no}/accept",
                 {"expected_version": case.row_version - 1}, user=world.clerk)
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    early = send(client, "post", f"{BASE}/{case.case_no}/deliver", {"method": "electronic"},
                 user=world.clerk)
    assert early.status_code == 409 and early.json()["code"] == "invalid_transition"
    assert Case.objects.get(pk=case.pk).row_version == case.row_version


# --- pagination, tokens, documents, OpenAPI ------------------------------------------------------


def test_key_set_pagination_walks_every_case_once(client, world):
    made = {world.new_case(upload=False, submit=False).case_no for _ in range(5)}
    made |= {world.new_case().case_no for _ in range(2)}
    for user, expected in ((world.applicant_user, made),
                           (world.clerk, {c for c in made
                                          if Case.objects.get(case_no=c).state != "draft"})):
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = send(client, "get", BASE, params, user=user).json()
            assert len(page["items"]) <= 2
            seen += [c["case_no"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) and set(seen) == expected
    drafts = send(client, "get", BASE, {"state": "draft"}, user=world.applicant_user).json()
    assert len(drafts["items"]) == 5


def test_inbox_is_ordered_by_due_date_and_paginates(client, world):
    cases = [world.accepted_case() for _ in range(3)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = send(client, "get", f"{BASE}/inbox", params, user=world.reviewer).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(t["case_no"] for t in seen) == sorted(c.case_no for c in cases)
    assert [(t["due"], t["task_id"]) for t in seen] == sorted((t["due"], t["task_id"])
                                                               for t in seen)


def test_due_list_is_most_urgent_first_paginates_and_counts_all(client, world):
    cases = [world.accepted_case() for _ in range(5)]
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"within": 60, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = send(client, "get", f"{BASE}/due", params, user=world.clerk).json()
        assert page["total"] == 5 and len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(r["case_no"] for r in seen) == sorted(c.case_no for c in cases)
    order = {c.case_no: (c.promised_due, c.pk) for c in cases}
    assert [r["case_no"] for r in seen] == sorted(order, key=order.__getitem__)
    bad = send(client, "get", f"{BASE}/due", {"cursor": "not-a-cursor"}, user=world.clerk)
    assert bad.status_code == 422 and "cursor" in json.dumps(bad.json())


def test_bearer_token_acts_with_its_users_scope(client, world):
    case = world.new_case()
    world.verify_all(case)
    _row, token = token_create(user=world.clerk, name="综合受理系统")
    listed = send(client, "get", BASE, token=token)
    assert listed.status_code == 200
    assert [c["case_no"] for c in listed.json()["items"]] == [case.case_no]
    far = token_create(user=world.other_clerk)[1]
    assert send(client, "post", f"{BASE}/{case.case_no}/accept", {}, token=far).status_code == 404
    accepted = send(client, "post", f"{BASE}/{case.case_no}/accept", {}, token=token)
    assert accepted.status_code == 200 and accepted.json()["state"] == CaseState.IN_REVIEW
    assert send(client, "get", BASE, token=token[:-3] + "xyz").status_code == 401
    created = send(client, "post", BASE, {
        "item": world.item.implementation_code, "applicant_id": world.applicant.pk,
        "form": FORM, "submit": True, "channel": "api",
    }, token=token)
    assert created.status_code == 201, created.content
    assert Case.objects.get(case_no=created.json()["case_no"]).channel == "api"


def test_notice_pdf_uses_the_renderer_for_owner_and_staff(client, world, monkeypatch):
    case = world.accepted_case()
    notice = Notice.objects.filter(case=case).first()
    assert notice is not None
    fake = types.ModuleType("onewindow.cases.pdf")
    fake.render_notice = lambda n: b"%PDF-1.4 " + n.number.encode()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "onewindow.cases.pdf", fake)
    for user in (world.applicant_user, world.clerk):
        response = send(client, "get", f"{BASE}/{case.case_no}/notices/{notice.pk}.pdf",
                        user=user)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content == b"%PDF-1.4 " + notice.number.encode()
    missing = send(client, "get", f"{BASE}/{case.case_no}/notices/999999.pdf", user=world.clerk)
    assert missing.status_code == 404


def test_notice_pdf_is_a_real_pdf_when_the_renderer_exists(client, world):
    pytest.importorskip("onewindow.cases.pdf")
    case = world.accepted_case()
    notice = Notice.objects.filter(case=case).first()
    assert notice is not None
    response = send(client, "get", f"{BASE}/{case.case_no}/notices/{notice.pk}.pdf",
                    user=world.applicant_user)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_material_sources_offer_earlier_uploads_for_reuse(client, world):
    earlier = world.new_case()
    case = world.new_case(submit=False, upload=False)
    licence = materials(case)[0]
    sources = send(client, "get", f"{BASE}/{case.case_no}/materials/{licence.pk}/sources",
                   user=world.applicant_user).json()
    [source] = sources["materials"]
    assert source["case_no"] == earlier.case_no
    reused = send(client, "post", f"{BASE}/{case.case_no}/materials/{licence.pk}/reuse",
                  {"source_material_id": source["source_material_id"]}, user=world.applicant_user)
    assert reused.status_code == 200, reused.content
    assert reused.json()["material"]["origin"] == "reuse"


def test_openapi_document_is_served_under_v1_with_the_cases_paths(client, world):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/cases", "/api/v1/cases/{case_no}", "/api/v1/cases/lookup",
                 "/api/v1/cases/inbox", "/api/v1/cases/tasks/{task_id}/decide",
                 "/api/v1/cases/{case_no}/materials/{material_id}"):
        assert path in paths, path
    assert paths["/api/v1/cases"]["post"]["summary"].startswith("创建办件")
    assert client.get("/api/openapi.json").json()["paths"] == paths


# --- a fixed number of queries -------------------------------------------------------------------


def _count(client, django_assert_max_num_queries, method, url, body=None, user=None) -> int:
    client.logout()
    if user is not None:
        client.force_login(user)
    with django_assert_max_num_queries(40) as captured:
        if method == "get":
            response = client.get(url, body or {})
        else:
            response = client.post(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 201), response.content
    return len(captured.captured_queries)


def _grow(world: Any, case: Case, *, materials_n: int, checks: int) -> None:
    for i in range(materials_n):
        CaseMaterial.objects.create(case=case, sort_order=10 + i, name=f"附加材料{i}",
                                    required=False)
    first = materials(case)[0]
    for i in range(checks):
        services.case_check_material(actor=world.clerk, case=case, material_id=first.pk,
                                     verdict="missing" if i % 2 else "verified", note=f"第{i}次")
    services.case_request_supplement(actor=world.clerk, case=case,
                                     materials=[{"id": first.pk, "note": "请补正"}])


def test_case_detail_runs_the_same_number_of_queries_for_small_and_large_cases(
    client, world, django_assert_max_num_queries
):
    small, large = world.new_case(), world.new_case()
    services.case_request_supplement(actor=world.clerk, case=small,
                                     materials=[{"id": materials(small)[0].pk, "note": "请补正"}])
    _grow(world, large, materials_n=25, checks=30)
    assert Case.objects.get(pk=large.pk).event_count > 30
    for user in (world.clerk, world.applicant_user):
        _count(client, django_assert_max_num_queries, "get", f"{BASE}/{small.case_no}", user=user)
        n_small = _count(client, django_assert_max_num_queries, "get",
                         f"{BASE}/{small.case_no}", user=user)
        n_large = _count(client, django_assert_max_num_queries, "get",
                         f"{BASE}/{large.case_no}", user=user)
        assert n_small == n_large, (user, n_small, n_large)
    detail = send(client, "get", f"{BASE}/{large.case_no}", user=world.clerk).json()
    assert len(detail["materials"]) == 27 and len(detail["events"]) > 30


def test_lists_run_the_same_number_of_queries_for_few_and_many_cases(
    client, world, django_assert_max_num_queries
):
    world.accepted_case()
    counts = []
    for _ in range(2):
        _count(client, django_assert_max_num_queries, "get", BASE, user=world.clerk)
        counts.append((
            _count(client, django_assert_max_num_queries, "get", BASE, user=world.clerk),
            _count(client, django_assert_max_num_queries, "get", BASE, user=world.applicant_user),
            _count(client, django_assert_max_num_queries, "get", f"{BASE}/inbox",
                   user=world.reviewer),
        ))
        for _ in range(6):
            world.accepted_case()
    assert counts[0] == counts[1]


def test_creating_a_case_does_not_grow_with_the_number_of_cases(
    client, world, django_assert_max_num_queries
):
    body = {"item": world.item.implementation_code, "form": FORM}
    first = _count(client, django_assert_max_num_queries, "post", BASE, body,
                   user=world.applicant_user)
    for _ in range(5):
        world.new_case(upload=False, submit=False)
    later = _count(client, django_assert_max_num_queries, "post", BASE, body,
                   user=world.applicant_user)
    assert first == later
    # Session, user, the item (with its basic item, region, department and version) and the
    # applicant: two queries of the endpoint's own; the rest is the service's insert work.
    assert first <= 16


def test_the_detail_carries_the_certificate_once_approved(world, client):
    from onewindow.cases import services as case_services

    case = world.accepted_case()
    review, decide = list(case.tasks.order_by("seq"))
    case_services.task_pass(actor=world.reviewer, task=review)
    case_services.task_decide(actor=world.head, task=decide, approve=True)
    client.force_login(world.applicant_user)
    body = client.get(f"/api/v1/cases/{case.case_no}").json()
    case.refresh_from_db()
    assert body["certificate"]["number"] == case.certificate.number
    assert body["certificate"]["verify_url"].endswith(f"/verify/{case.certificate.verify_code}/")


def test_a_malformed_json_body_is_a_chinese_400(world, client):
    client.force_login(world.applicant_user)
    response = client.post("/api/v1/cases", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request" and "JSON" in response.json()["message"]


def test_csrf_applies_to_sessions_and_not_to_bearer_tokens(world):
    """Another system posts with a token and no CSRF cookie; a browser session must carry one."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    _row, token = token_create(user=world.clerk, name="综合受理系统")
    body = json.dumps({"item": world.item.implementation_code, "applicant_id": world.applicant.pk,
                       "form": FORM, "submit": True, "channel": "api"})
    created = strict.post(BASE, data=body, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {token}")
    assert created.status_code == 201, created.content
    before = Case.objects.count()
    strict.force_login(world.clerk)
    forged = strict.post(BASE, data=body, content_type="application/json")
    assert forged.status_code == 403
    assert Case.objects.count() == before


def test_token_last_use_is_recorded_at_most_once_a_minute(client, world):
    from onewindow.accounts.models import ApiToken
    from onewindow.core import clock

    row, token = token_create(user=world.clerk)
    assert send(client, "get", BASE, token=token).status_code == 200
    first = ApiToken.objects.get(pk=row.pk).last_used_at
    assert first is not None
    assert send(client, "get", BASE, token=token).status_code == 200
    assert ApiToken.objects.get(pk=row.pk).last_used_at == first
    with clock.travel(clock.now() + timedelta(minutes=2)):
        assert send(client, "get", BASE, token=token).status_code == 200
    assert ApiToken.objects.get(pk=row.pk).last_used_at > first
