"""Work-order API: every action over HTTP, the permission matrix, junk input → 4xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from onewindow.accounts.models import Applicant, ApplicantKind, Role, User
from onewindow.hotline.models import OrderState, WorkOrder
from onewindow.hotline.tests.order_factories import catalogue, new_order

pytestmark = pytest.mark.django_db
BASE = "/api/v1/hotline/orders"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def world(regions: Any, departments: Any, make_staff: Any) -> dict[str, Any]:
    applicant = User.objects.create_user(username="13905391002", phone="13905391002")
    Applicant.objects.create(kind=ApplicantKind.PERSON, name="李四",
                             id_number="11010519491231002X", mobile="13905391002",
                             user=applicant)
    return {
        "cat": catalogue(regions), "regions": regions, "departments": departments,
        "op": make_staff(Role.OPERATOR, regions["city"], username="op"),
        "d1": make_staff(Role.REVIEWER, regions["d1"], departments["d1_market"], username="d1"),
        "d2": make_staff(Role.REVIEWER, regions["d2"], departments["d2_market"], username="d2"),
        "clerk": make_staff(Role.CLERK, regions["city"], username="clerk"),
        "applicant": applicant,
    }


def as_(user: Any) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def post(c: Client, url: str, body: Any) -> Any:
    return c.post(url, data=json.dumps(body) if not isinstance(body, str) else body,
                  content_type="application/json")


def test_operator_and_department_run_an_order_over_http(world: dict[str, Any]) -> None:
    op, d1 = as_(world["op"]), as_(world["d1"])
    r = post(op, BASE, {"category": "SC-SP", "region": "379902001000",
                        "description": "湖滨路小吃店后厨有老鼠", "location": "湖滨路 12 号",
                        "caller_phone": "13905391001", "caller_name": "王五"})
    assert r.status_code == 201, r.content
    no = r.json()["order_no"]
    assert r.json()["caller_phone"] == "13905391001"
    r = op.get(f"{BASE}/{no}/suggest")
    assert r.json()["department"] == "东湖区市场监督管理局"
    r = post(op, f"{BASE}/{no}/dispatch", {"version": r.status_code and None})
    assert r.status_code == 200 and r.json()["state"] == "dispatched", r.content
    body = d1.get(f"{BASE}/{no}").json()
    assert body["caller_phone"] == "139****1001" and body["caller_masked"]
    assert post(d1, f"{BASE}/{no}/sign", {"version": body["version"]}).status_code == 200
    assert post(d1, f"{BASE}/{no}/sign", {}).status_code == 409
    r = post(d1, f"{BASE}/{no}/extension", {"days": 3, "reason": "需要现场检查"})
    assert r.status_code == 200 and r.json()["extension_state"] == "pending"
    r = post(op, f"{BASE}/{no}/extension/decide", {"approved": True})
    assert r.json()["extension_state"] == "approved"
    r = post(op, f"{BASE}/{no}/supervise", {"note": "请尽快答复"})
    assert r.json()["supervise_count"] == 1
    r = post(d1, f"{BASE}/{no}/reply", {"reply": "已责令整改，复查合格。"})
    assert r.json()["state"] == "replied"
    r = post(op, f"{BASE}/{no}/visit", {"solved": True, "satisfaction": 5})
    assert r.json()["state"] == "closed"
    assert [e["action"] for e in r.json()["events"]] == [
        "create", "dispatch", "sign", "extend", "extend_approve", "supervise", "reply", "visit"]
    # the list: the department's own scope, and the centre's
    assert [o["order_no"] for o in d1.get(BASE).json()["items"]] == [no]
    assert as_(world["d2"]).get(BASE).json()["items"] == []
    assert as_(world["d2"]).get(f"{BASE}/{no}").status_code == 404


def test_objection_return_and_answer_over_http(world: dict[str, Any]) -> None:
    op, d1 = as_(world["op"]), as_(world["d1"])
    a = new_order(world["op"], world["cat"]["food"], world["regions"]["t1"])
    post(op, f"{BASE}/{a.order_no}/dispatch", {})
    r = post(d1, f"{BASE}/{a.order_no}/object", {"reason": "不属于本部门职责"})
    assert r.json()["state"] == "objected"
    health = world["departments"]["city_health"].pk
    r = post(op, f"{BASE}/{a.order_no}/objection",
             {"upheld": True, "note": "改派卫健委", "department_id": health})
    assert r.json()["state"] == "dispatched" and r.json()["department_id"] == health
    b = new_order(world["op"], world["cat"]["food"], world["regions"]["t1"],
                  caller_phone="13905391007")
    r = post(op, f"{BASE}/{b.order_no}/dispatch", {})
    assert r.status_code == 200, r.content
    r = post(d1, f"{BASE}/{b.order_no}/return", {"reason": "地址不在本辖区"})
    assert r.status_code == 200
    assert WorkOrder.objects.get(pk=b.pk).state == OrderState.REGISTERED
    c = new_order(world["op"], world["cat"]["food"], world["regions"]["t1"],
                  caller_phone="13905391008")
    r = post(op, f"{BASE}/{c.order_no}/answer", {"answer": "可拨打 12315 投诉。"})
    assert r.json()["state"] == "closed" and r.json()["direct"] is True


def test_public_filing_and_following(world: dict[str, Any]) -> None:
    anon = Client()
    r = post(anon, f"{BASE}/public", {"category": "SC-SP", "region": "379902001000",
                                      "description": "夜市油烟太大，窗户都不敢开",
                                      "caller_phone": "13905391011"})
    assert r.status_code == 201, r.content
    no = r.json()["order_no"]
    r = anon.get(f"{BASE}/public/{no}", {"phone": "13905391011"})
    assert r.status_code == 200 and r.json()["state"] == "registered"
    assert "caller_phone" not in r.json()
    assert anon.get(f"{BASE}/public/{no}", {"phone": "13905391012"}).status_code == 404
    r = post(anon, f"{BASE}/public", {"category": "SC-SP", "region": "379902001000",
                                      "description": "短", "caller_phone": "12"})
    assert r.status_code == 422 and {"description", "caller_phone"} <= set(r.json()["errors"])
    assert anon.get(f"{BASE}/categories").status_code == 200


def test_public_filing_is_rate_limited(world: dict[str, Any]) -> None:
    anon = Client()
    body = {"category": "SC-SP", "region": "379902001000", "description": "夜市油烟太大",
            "caller_phone": "13905391011"}
    codes = [post(anon, f"{BASE}/public", body).status_code for _ in range(11)]
    assert codes[:10] == [201] * 10 and codes[10] == 429
    assert WorkOrder.objects.count() == 10


@pytest.mark.parametrize("who", [None, "applicant", "clerk"])
def test_staff_endpoints_refuse_anonymous_applicants_and_other_staff(world: dict[str, Any],
                                                                      who: str | None) -> None:
    order = new_order(world["op"], world["cat"]["food"], world["regions"]["t1"])
    c = as_(world[who] if who else None)
    expected = {401} if who is None else {403, 404}
    assert c.get(BASE).status_code in (expected | {403})
    assert post(c, BASE, {"category": "SC-SP", "region": "379902001000",
                          "description": "有人乱倒建筑垃圾", "caller_phone": "13905391001"}
                ).status_code in (expected | {403})
    for action, body in (("dispatch", {}), ("answer", {"answer": "好的好的"}),
                         ("sign", {}), ("visit", {"solved": True})):
        assert post(c, f"{BASE}/{order.order_no}/{action}", body).status_code in expected
    order.refresh_from_db()
    assert order.state == OrderState.REGISTERED and order.event_count == 1
    assert WorkOrder.objects.count() == 1


def test_department_cannot_do_centre_actions_and_centre_cannot_sign(world: dict[str, Any]
                                                                     ) -> None:
    order = new_order(world["op"], world["cat"]["food"], world["regions"]["t1"])
    d1, op = as_(world["d1"]), as_(world["op"])
    post(op, f"{BASE}/{order.order_no}/dispatch", {})
    assert post(d1, f"{BASE}/{order.order_no}/supervise", {"note": "自己督办"}).status_code == 403
    assert post(d1, f"{BASE}/{order.order_no}/dispatch", {}).status_code == 403
    assert post(op, f"{BASE}/{order.order_no}/sign", {}).status_code == 403
    assert as_(world["d1"]).get(f"{BASE}/metrics").status_code == 403
    assert op.get(f"{BASE}/metrics").status_code == 200


@pytest.mark.parametrize("url,body", [
    (BASE, "{not json"),
    (BASE, {"category": 5}),
    (BASE, {"category": "NOPE", "region": "x" * 12, "description": "有人乱倒建筑垃圾"}),
    (BASE, {"category": "SC-SP", "region": "379902001000", "description": "x" * 3000}),
    (BASE, {"category": "SC-SP", "region": "379902001000", "description": "有人乱倒建筑垃圾",
            "latitude": "abc"}),
    (f"{BASE}/ORDER/dispatch", {"department_id": "x"}),
    (f"{BASE}/GD00000000-00000000/dispatch", {}),
    ("{order}/dispatch", {"department_id": 999999}),
    ("{order}/extension", {"days": 99, "reason": "x"}),
    ("{order}/visit", {"solved": "maybe"}),
    ("{order}/visit", {"solved": True, "satisfaction": 9}),
    ("{order}/merge", {"into": "\x00" * 5}),
    ("{order}/objection", {"upheld": True}),
])
def test_junk_input_is_a_4xx_problem(world: dict[str, Any], url: str, body: Any) -> None:
    order = new_order(world["op"], world["cat"]["food"], world["regions"]["t1"])
    r = post(as_(world["op"]), url.replace("{order}", f"{BASE}/{order.order_no}"), body)
    assert 400 <= r.status_code < 500, r.content
    assert "code" in r.json() or "detail" in r.json()
    order.refresh_from_db()
    assert order.event_count == 1


@pytest.mark.parametrize("query", ["cursor=%%%", "limit=0", "limit=abc", "created_from=2025-13-01",
                                   "region=999999999999", "scope=everything", "overdue=maybe"])
def test_junk_list_queries_are_4xx(world: dict[str, Any], query: str) -> None:
    r = as_(world["op"]).get(f"{BASE}?{query}")
    assert 400 <= r.status_code < 500, r.content


def test_robot_offers_filing_when_it_does_not_know(world: dict[str, Any]) -> None:
    r = post(Client(), "/api/v1/hotline/robot/ask", {"question": "楼下烧烤摊半夜太吵了怎么办"})
    body = r.json()
    assert body["answered"] is False
    assert body["create_work_order_url"].startswith("/hotline/new/?q=")


def test_list_query_count_does_not_grow(world: dict[str, Any],
                                         django_assert_max_num_queries: Any) -> None:
    for i in range(12):
        new_order(world["op"], world["cat"]["food"], world["regions"]["t1"],
                  caller_phone=f"139053910{i:02d}")
    c = as_(world["op"])
    c.get(BASE)
    with django_assert_max_num_queries(8):
        r = c.get(BASE)
    assert len(r.json()["items"]) == 12
