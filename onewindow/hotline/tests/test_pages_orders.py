"""Work-order pages: public form and follow page, the operator's and the department's pages,
the supervision page and the metrics behind it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from onewindow.accounts.models import Role
from onewindow.hotline import order_metrics, orders
from onewindow.hotline.models import OrderState, WorkOrder
from onewindow.hotline.tests.order_factories import at, catalogue, new_order, travel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def world(regions: Any, departments: Any, make_staff: Any) -> dict[str, Any]:
    return {
        "cat": catalogue(regions), "regions": regions, "departments": departments,
        "op": make_staff(Role.OPERATOR, regions["city"], username="op"),
        "d1": make_staff(Role.REVIEWER, regions["d1"], departments["d1_market"], username="d1"),
        "d2": make_staff(Role.REVIEWER, regions["d2"], departments["d2_market"], username="d2"),
        "sup": make_staff(Role.SUPERVISOR, regions["city"], username="sup"),
        "clerk": make_staff(Role.CLERK, regions["city"], username="clerk"),
    }


def as_(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_public_form_prefills_the_robots_question_and_files(world: dict[str, Any]) -> None:
    c = Client()
    r = c.get("/hotline/new/?q=楼下烧烤摊半夜太吵")
    assert r.status_code == 200 and "楼下烧烤摊半夜太吵" in r.content.decode()
    r = c.post("/hotline/new/", {"category": "SC-SP", "region": "379902001000",
                                 "description": "短", "caller_phone": "1"})
    assert r.status_code == 422 and "11 位手机号码" in r.content.decode()
    assert not WorkOrder.objects.exists()
    r = c.post("/hotline/new/", {"category": "SC-SP", "region": "379902001000",
                                 "description": "楼下烧烤摊半夜太吵，油烟也大",
                                 "caller_phone": "13905391021"})
    order = WorkOrder.objects.get()
    assert r.status_code == 200 and order.order_no in r.content.decode()
    r = c.get("/hotline/follow/", {"no": order.order_no, "phone": "13905391021"})
    assert r.status_code == 200 and "待派单" in r.content.decode()
    r = c.get("/hotline/follow/", {"no": order.order_no, "phone": "13905391022"})
    assert r.status_code == 404


def test_staff_pages_permissions(world: dict[str, Any]) -> None:
    order = new_order(world["op"], world["cat"]["food"], world["regions"]["t1"])
    orders.work_order_dispatch(actor=world["op"], order=order)
    anon = Client()
    assert anon.get("/workbench/hotline/").status_code == 302
    assert as_(world["clerk"]).get("/workbench/hotline/").status_code == 403
    assert as_(world["d1"]).get("/workbench/hotline/").status_code == 403
    assert as_(world["op"]).get("/workbench/hotline/inbox/").status_code == 403
    assert as_(world["d2"]).get(f"/workbench/hotline/{order.order_no}/").status_code == 404
    r = as_(world["d2"]).post(f"/workbench/hotline/{order.order_no}/sign/")
    assert r.status_code == 404
    assert as_(world["clerk"]).get("/workbench/hotline/metrics/").status_code == 403
    assert as_(world["sup"]).get("/workbench/hotline/metrics/").status_code == 200
    order.refresh_from_db()
    assert order.state == OrderState.DISPATCHED


def test_operator_takes_a_call_and_department_signs_and_replies(world: dict[str, Any]) -> None:
    op, d1 = as_(world["op"]), as_(world["d1"])
    assert op.get("/workbench/hotline/new/?kbq=营业执照").status_code == 200
    r = op.post("/workbench/hotline/new/", {"category": "", "description": "x"})
    assert r.status_code == 422 and "请选择诉求类别" in r.content.decode()
    r = op.post("/workbench/hotline/new/", {
        "caller_phone": "13905391001", "caller_name": "王五", "category": "SC-SP",
        "region": "379902001000", "location": "湖滨路 12 号",
        "description": "小吃店后厨有老鼠"})
    order = WorkOrder.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/workbench/hotline/{order.order_no}/")
    page = op.get(r["Location"]).content.decode()
    assert "东湖区市场监督管理局" in page and "13905391001" in page
    op.post(f"/workbench/hotline/{order.order_no}/dispatch/", {"department": ""})
    inbox = d1.get("/workbench/hotline/inbox/").content.decode()
    assert order.order_no in inbox and "chip-" in inbox
    detail = d1.get(f"/workbench/hotline/{order.order_no}/").content.decode()
    assert "139****1001" in detail and "13905391001" not in detail
    d1.post(f"/workbench/hotline/{order.order_no}/sign/")
    d1.post(f"/workbench/hotline/{order.order_no}/reply/", {"reply": "已责令整改，复查合格。"})
    order.refresh_from_db()
    assert order.state == OrderState.REPLIED
    r = d1.post(f"/workbench/hotline/{order.order_no}/frobnicate/")
    assert r.status_code == 404
    assert op.get("/workbench/hotline/").status_code == 200


def test_operator_answers_directly_from_the_intake_page(world: dict[str, Any]) -> None:
    op = as_(world["op"])
    op.post("/workbench/hotline/new/", {
        "caller_phone": "13905391001", "category": "SC-SP", "region": "379902001000",
        "description": "想问个体户执照怎么办", "direct": "1", "answer": "带身份证到窗口办理。"})
    order = WorkOrder.objects.get()
    assert order.state == OrderState.CLOSED and order.direct


def test_metrics_count_rates_and_hot_topics(world: dict[str, Any]) -> None:
    op, d1 = world["op"], world["d1"]
    food, health = world["cat"]["food"], world["cat"]["health"]
    with travel(at(2025, 6, 9, 10)):  # previous week: one food order
        new_order(op, food, world["regions"]["t1"], caller_phone="13905391031")
    with travel(at(2025, 6, 16, 10)):
        a = new_order(op, food, world["regions"]["t1"])
        b = new_order(op, food, world["regions"]["t1"], description="又是那家小吃店，老鼠更多了")
        c = new_order(op, health, world["regions"]["t2"], caller_phone="13905391032",
                      description="诊所收费不透明")
        orders.work_order_answer(actor=op, order=c, answer="请向卫健委反映。")
        orders.work_order_dispatch(actor=op, order=a)
        orders.work_order_sign(actor=d1, order=a)
        orders.work_order_reply(actor=d1, order=a, reply="已经现场处理完毕。")
        orders.work_order_visit(actor=op, order=a, solved=True, satisfaction=5)
        orders.work_order_dispatch(actor=op, order=b)
    with travel(at(2025, 6, 17, 10)):
        orders.work_order_sign(actor=d1, order=b)  # late: due 16 June 12:00
        m = order_metrics.metrics_out(user=world["sup"], date_from=at(2025, 6, 16).date(),
                                      date_to=at(2025, 6, 20).date())
        hot = order_metrics.hot_out(user=op)
    assert m.overall.total == 3
    assert m.overall.direct_rate == round(1 / 3, 4)
    assert m.overall.sign_on_time_rate == 0.5
    assert m.overall.reply_on_time_rate == 1.0
    assert m.overall.resolution_rate == 1.0 and m.overall.satisfaction_rate == 1.0
    assert m.overall.repeated == 1  # the same caller twice about food
    assert [r.key for r in m.by_category] == ["SC-SP", "WS-YL"]
    assert hot.categories[0].key == "SC-SP" and hot.categories[0].count == 2
    assert hot.rising[0].key == "SC-SP" and hot.rising[0].change == 1
    assert {r.name for r in hot.table} == {"东湖区", "西岭区"}
    assert hot.table[0].counts[0] == 2
