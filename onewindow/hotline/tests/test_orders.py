"""Work orders: the full life with every branch, deadlines, merging, masking and scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.models import Role
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.hotline import order_audit, order_selectors, orders
from onewindow.hotline.models import (
    DispatchCategory,
    OrderChannel,
    OrderState,
    WorkOrder,
    WorkOrderEvent,
)
from onewindow.hotline.tests.order_factories import at, catalogue, new_order, travel
from onewindow.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def cat(regions: dict[str, Any]) -> dict[str, DispatchCategory]:
    return catalogue(regions)


@pytest.fixture
def staff(regions: dict[str, Any], departments: dict[str, Any], make_staff: Any) -> dict[str, Any]:
    return {
        "op": make_staff(Role.OPERATOR, regions["city"], username="op"),
        "op_d2": make_staff(Role.OPERATOR, regions["d2"], username="op_d2"),
        "d1": make_staff(Role.REVIEWER, regions["d1"], departments["d1_market"], username="rv_d1"),
        "d1_head": make_staff(Role.DEPARTMENT_HEAD, regions["d1"], departments["d1_market"],
                              username="hd_d1"),
        "d2": make_staff(Role.REVIEWER, regions["d2"], departments["d2_market"], username="rv_d2"),
        "health": make_staff(Role.REVIEWER, regions["city"], departments["city_health"],
                             username="rv_h"),
        "clerk": make_staff(Role.CLERK, regions["city"], username="clerk"),
    }


def sms_to(phone: str) -> list[str]:
    return list(Notification.objects.filter(channel="sms", phone=phone).order_by("id")
                .values_list("body", flat=True))


def actions(order: WorkOrder) -> list[str]:
    return list(order.events.order_by("seq").values_list("action", flat=True))


MON = (2025, 6, 9)  # an ordinary Monday


def test_intake_numbers_the_order_and_texts_the_caller(cat: Any, staff: Any, regions: Any) -> None:
    with travel(at(*MON, 10)):
        order = new_order(staff["op"], cat["food"], regions["t1"])
    assert order.state == OrderState.REGISTERED
    assert order.order_no.startswith("GD20250609-")
    assert order.title.startswith("湖滨路小吃店")
    assert "已受理" in sms_to("13905391001")[0] and order.order_no in sms_to("13905391001")[0]
    assert actions(order) == ["create"]


def test_intake_refuses_bad_input_field_by_field_and_saves_nothing(cat: Any, staff: Any,
                                                                   regions: Any) -> None:
    with pytest.raises(ValidationFailed) as err:
        orders.work_order_create(actor=staff["op"], channel=OrderChannel.WEB, category=None,
                                 region=None, description="短", caller_phone="123")
    assert set(err.value.field_errors) >= {"category", "region", "description", "caller_phone"}
    assert WorkOrder.objects.count() == 0


def test_intake_by_phone_needs_an_operator(cat: Any, staff: Any, regions: Any) -> None:
    for who in (staff["clerk"], staff["d1"], None):
        with pytest.raises(PermissionDenied):
            new_order(who, cat["food"], regions["t1"])
    with pytest.raises(PermissionDenied):  # outside the operator's region
        new_order(staff["op_d2"], cat["food"], regions["t1"])
    assert WorkOrder.objects.count() == 0


def test_web_intake_needs_no_staff_but_a_mobile(cat: Any, regions: Any) -> None:
    order = orders.work_order_create(actor=None, channel=OrderChannel.WEB, category=cat["food"],
                                     region=regions["t1"], description="小区门口夜市油烟扰民严重",
                                     caller_phone="13905391009")
    assert order.channel == "web" and order.caller_user is None


def test_direct_answer_closes_and_texts_the_answer(cat: Any, staff: Any, regions: Any) -> None:
    order = new_order(staff["op"], cat["food"], regions["t1"])
    orders.work_order_answer(actor=staff["op"], order=order, answer="请拨打市场监管投诉电话。")
    order.refresh_from_db()
    assert order.state == OrderState.CLOSED and order.direct and order.closed_at
    assert "已答复" in sms_to("13905391001")[-1]
    with pytest.raises(Conflict):
        orders.work_order_dispatch(actor=staff["op"], order=order)


def test_dispatch_suggests_the_district_department_by_catalogue(cat: Any, staff: Any,
                                                               regions: Any, departments: Any
                                                               ) -> None:
    order = new_order(staff["op"], cat["food"], regions["v1"])  # a village in 东湖区
    assert orders.suggest_department(category=cat["food"], region=regions["v1"]) == \
        departments["d1_market"]
    assert orders.suggest_department(category=cat["health"], region=regions["v1"]) == \
        departments["city_health"]
    orders.work_order_dispatch(actor=staff["op"], order=order)
    order.refresh_from_db()
    assert order.state == OrderState.DISPATCHED and order.department == departments["d1_market"]


def test_full_life_sign_extension_approved_reply_visit_solved(cat: Any, staff: Any,
                                                              regions: Any) -> None:
    with travel(at(*MON, 10)):
        order = new_order(staff["op"], cat["food"], regions["t1"])
        orders.work_order_dispatch(actor=staff["op"], order=order)
    order.refresh_from_db()
    assert order.sign_due == at(*MON, 12)  # 2 working hours
    assert order.reply_due == at(2025, 6, 16, 17, 30)  # 5 working days, end of the office day
    with travel(at(*MON, 11)):
        orders.work_order_sign(actor=staff["d1"], order=order)
        orders.work_order_request_extension(actor=staff["d1"], order=order, days=3,
                                            reason="需要现场检查和抽样")
        with pytest.raises(Conflict):  # only one extension
            orders.work_order_request_extension(actor=staff["d1"], order=order, days=2,
                                                reason="还要再等等结果")
        orders.work_order_decide_extension(actor=staff["op"], order=order, approved=True)
    order.refresh_from_db()
    assert order.reply_due == at(2025, 6, 19, 17, 30) and order.extension_state == "approved"
    with travel(at(2025, 6, 18, 9)):
        orders.work_order_reply(actor=staff["d1"], order=order, reply="已现场检查，责令整改。")
        orders.work_order_visit(actor=staff["op"], order=order, solved=True, satisfaction=5)
    order.refresh_from_db()
    assert order.state == OrderState.CLOSED and order.satisfaction == 5 and order.solved
    assert not order.sign_late and not order.reply_late
    assert actions(order) == ["create", "dispatch", "sign", "extend", "extend_approve",
                              "reply", "visit"]
    assert "承办部门已答复" in sms_to("13905391001")[-1]
    assert order_audit.verify_order(order, list(order.events.order_by("seq"))) is None


def test_extension_refused_keeps_the_limit_and_needs_a_reason(cat: Any, staff: Any,
                                                              regions: Any) -> None:
    with travel(at(*MON, 10)):
        order = new_order(staff["op"], cat["food"], regions["t1"])
        orders.work_order_dispatch(actor=staff["op"], order=order)
        orders.work_order_sign(actor=staff["d1"], order=order)
        orders.work_order_request_extension(actor=staff["d1"], order=order, days=10,
                                            reason="需要协调多个部门")
        with pytest.raises(ValidationFailed):
            orders.work_order_decide_extension(actor=staff["op"], order=order, approved=False)
        orders.work_order_decide_extension(actor=staff["op"], order=order, approved=False,
                                           note="时限内可以办结")
    order.refresh_from_db()
    assert order.extension_state == "refused" and order.reply_due == at(2025, 6, 16, 17, 30)
    with pytest.raises(ValidationFailed):
        orders.work_order_request_extension(actor=staff["d1"], order=order, days=11,
                                            reason="太久了吧")


def test_objection_upheld_redispatches_and_rejected_goes_back(cat: Any, staff: Any,
                                                              regions: Any, departments: Any
                                                              ) -> None:
    order = new_order(staff["op"], cat["food"], regions["t1"])
    orders.work_order_dispatch(actor=staff["op"], order=order, department=departments["d1_market"])
    orders.work_order_object(actor=staff["d1"], order=order, reason="属于卫生健康部门职责")
    order.refresh_from_db()
    assert order.state == OrderState.OBJECTED
    with pytest.raises(PermissionDenied):
        orders.work_order_decide_objection(actor=staff["d1"], order=order, upheld=True,
                                           note="自己说了算")
    orders.work_order_decide_objection(actor=staff["op"], order=order, upheld=True,
                                       note="改派卫健委", department=departments["city_health"])
    order.refresh_from_db()
    assert order.state == OrderState.DISPATCHED and order.department == departments["city_health"]
    assert order.dispatch_count == 2
    orders.work_order_object(actor=staff["health"], order=order, reason="不是我们的职责")
    orders.work_order_decide_objection(actor=staff["op"], order=order, upheld=False,
                                       note="属于你单位职责，请办理")
    order.refresh_from_db()
    assert order.state == OrderState.DISPATCHED and order.department == departments["city_health"]
    assert actions(order) == ["create", "dispatch", "object", "uphold", "dispatch", "object",
                              "reject"]


def test_return_within_two_working_days_then_redispatch(cat: Any, staff: Any, regions: Any,
                                                       departments: Any) -> None:
    with travel(at(*MON, 10)):
        order = new_order(staff["op"], cat["food"], regions["t1"])
        orders.work_order_dispatch(actor=staff["op"], order=order)
    with travel(at(2025, 6, 11, 17)):  # Wednesday: still within 2 working days
        orders.work_order_return(actor=staff["d1"], order=order, reason="地址不在本辖区")
    order.refresh_from_db()
    assert order.state == OrderState.REGISTERED and order.department is None
    with pytest.raises(NotFound):  # the department no longer sees it
        order_selectors.work_order_get_for_user(user=staff["d1"], order_no=order.order_no)
    with travel(at(2025, 6, 12, 9)):
        orders.work_order_dispatch(actor=staff["op"], order=order,
                                   department=departments["d1_market"])
    with travel(at(2025, 6, 17, 9)), pytest.raises(Conflict) as err:
        orders.work_order_return(actor=staff["d1"], order=order, reason="还是不想办")
    assert err.value.code == "return_too_late"


def test_supervision_overdue_scan_is_idempotent_and_notifies(cat: Any, staff: Any,
                                                             regions: Any) -> None:
    with travel(at(*MON, 10)):
        order = new_order(staff["op"], cat["food"], regions["t1"])
        orders.work_order_dispatch(actor=staff["op"], order=order)
    with travel(at(*MON, 15)):
        assert orders.work_orders_mark_overdue() == 1
        assert orders.work_orders_mark_overdue() == 0
        orders.work_order_supervise(actor=staff["op"], order=order, note="请立即签收")
        orders.work_order_sign(actor=staff["d1"], order=order)
    order.refresh_from_db()
    assert order.sign_late and not order.overdue and order.supervise_count == 1
    notes = Notification.objects.filter(channel="in_app", user_id=staff["d1"].pk)
    assert notes.filter(subject__contains="超期").exists()
    assert notes.filter(subject__contains="督办").exists()
    with pytest.raises(PermissionDenied):
        orders.work_order_supervise(actor=staff["d1"], order=order, note="自己督办自己")


def test_unsolved_visit_reopens_once_and_second_unsolved_closes(cat: Any, staff: Any,
                                                               regions: Any) -> None:
    order = new_order(staff["op"], cat["food"], regions["t1"])
    orders.work_order_dispatch(actor=staff["op"], order=order)
    orders.work_order_sign(actor=staff["d1"], order=order)
    orders.work_order_reply(actor=staff["d1"], order=order, reply="已经处理完毕了。")
    orders.work_order_visit(actor=staff["op"], order=order, solved=False, satisfaction=2)
    order.refresh_from_db()
    assert order.state == OrderState.SIGNED and order.reopen_count == 1
    orders.work_order_reply(actor=staff["d1"], order=order, reply="再次处理，已整改到位。")
    orders.work_order_visit(actor=staff["op"], order=order, solved=False, satisfaction=1)
    order.refresh_from_db()
    assert order.state == OrderState.CLOSED and order.solved is False and order.reopen_count == 1


def test_sms_visit_reply_closes_the_order(cat: Any, staff: Any, regions: Any) -> None:
    order = new_order(staff["op"], cat["food"], regions["t1"])
    orders.work_order_dispatch(actor=staff["op"], order=order)
    orders.work_order_sign(actor=staff["d1"], order=order)
    orders.work_order_reply(actor=staff["d1"], order=order, reply="已经处理完毕了。")
    orders.work_order_visit_sms(actor=staff["op"], order=order)
    assert "回复" in sms_to("13905391001")[-1]
    assert orders.work_order_visit_sms_reply(phone="13905391001", text="胡说") is None
    done = orders.work_order_visit_sms_reply(phone="13905391001", text="1 4")
    assert done is not None and done.state == OrderState.CLOSED and done.satisfaction == 4


def test_deadlines_cross_the_night_and_a_holiday(cat: Any, staff: Any, regions: Any) -> None:
    # Tuesday 30 September 2025, 17:00: half an hour left that day, then National Day
    # (1–8 October); working again on Thursday 9 October.
    with travel(at(2025, 9, 30, 17)):
        order = new_order(staff["op"], cat["food"], regions["t1"])
        orders.work_order_dispatch(actor=staff["op"], order=order)
    order.refresh_from_db()
    assert order.sign_due == at(2025, 10, 9, 10, 30)
    assert order.return_due == at(2025, 10, 10, 17, 30)
    # an ordinary night: Monday 17:00 + 2 h → Tuesday 10:30
    with travel(at(*MON, 17)):
        night = new_order(staff["op"], cat["food"], regions["t1"])
        orders.work_order_dispatch(actor=staff["op"], order=night)
    night.refresh_from_db()
    assert night.sign_due == at(2025, 6, 10, 10, 30)


def test_urgent_orders_count_clock_hours(cat: Any, staff: Any, regions: Any) -> None:
    with travel(at(2025, 6, 14, 22)):  # Saturday night
        order = new_order(staff["op"], cat["gas"], regions["t1"],
                          description="楼道里有很浓的燃气味")
        orders.work_order_dispatch(actor=staff["op"], order=order)
    order.refresh_from_db()
    assert order.urgency == "urgent"
    assert order.sign_due == at(2025, 6, 14, 22, 30)
    assert order.reply_due == at(2025, 6, 15, 22)


def test_duplicates_are_found_and_merged_reply_reaches_every_caller(cat: Any, staff: Any,
                                                                    regions: Any) -> None:
    first = new_order(staff["op"], cat["food"], regions["t1"])
    orders.work_order_dispatch(actor=staff["op"], order=first)
    second = new_order(staff["op"], cat["food"], regions["t1"], caller_phone="13905391002",
                       description="湖滨路12号小吃店后厨有老鼠，卫生太差")
    other = new_order(staff["op"], cat["food"], regions["t1"], caller_phone="13905391003",
                      description="超市卖过期牛奶", location="文昌路超市")
    similar = order_selectors.similar_open_orders(
        category=cat["food"], region=regions["t1"], description=second.description,
        location=second.location, exclude_pk=second.pk)
    assert [o.pk for o, _s in similar] == [first.pk]
    assert other.pk not in [o.pk for o, _s in similar]
    orders.work_order_merge(actor=staff["op"], order=second, into=first)
    second.refresh_from_db()
    assert second.state == OrderState.MERGED and second.merged_into == first
    orders.work_order_sign(actor=staff["d1"], order=first)
    orders.work_order_reply(actor=staff["d1"], order=first, reply="已责令小吃店停业整顿。")
    assert "已责令" in sms_to("13905391001")[-1]
    assert "已责令" in sms_to("13905391002")[-1] and second.order_no in sms_to("13905391002")[-1]
    assert not any("已责令" in b for b in sms_to("13905391003"))
    second.refresh_from_db()
    assert second.reply.startswith("已责令") and actions(second)[-1] == "shared_reply"
    with pytest.raises(Conflict):  # a merged order cannot be dispatched
        orders.work_order_dispatch(actor=staff["op"], order=second)


def test_department_sees_only_its_orders_and_masked_callers(cat: Any, staff: Any,
                                                            regions: Any) -> None:
    mine = new_order(staff["op"], cat["food"], regions["t1"])
    orders.work_order_dispatch(actor=staff["op"], order=mine)
    agreed = new_order(staff["op"], cat["food"], regions["t1"], consent=True,
                       caller_phone="13905391005", description="另一家饭店油烟扰民很严重")
    orders.work_order_dispatch(actor=staff["op"], order=agreed)
    theirs = new_order(staff["op"], cat["food"], regions["t2"], description="岭南镇菜市场卫生差")
    orders.work_order_dispatch(actor=staff["op"], order=theirs)
    page = order_selectors.work_orders_page(user=staff["d1"])
    assert {o.pk for o in page.items} == {mine.pk, agreed.pk}
    with pytest.raises(NotFound):
        order_selectors.work_order_get_for_user(user=staff["d1"], order_no=theirs.order_no)
    assert order_selectors.caller_for(staff["d1"], mine).phone == "139****1001"
    assert order_selectors.caller_for(staff["d1"], mine).name == "王*"
    assert order_selectors.caller_for(staff["d1"], agreed).phone == "13905391005"
    assert order_selectors.caller_for(staff["op"], mine).phone == "13905391001"
    assert [o.pk for o in order_selectors.department_inbox(user=staff["d2"])] == [theirs.pk]
    with pytest.raises(PermissionDenied):
        order_selectors.work_orders_page(user=staff["clerk"])
    with pytest.raises(PermissionDenied):  # another department cannot act on it
        orders.work_order_sign(actor=staff["d2"], order=mine)
    mine.refresh_from_db()
    assert mine.state == OrderState.DISPATCHED and mine.event_count == 2


def test_keyset_pages_cover_everything_once(cat: Any, staff: Any, regions: Any) -> None:
    made = set()
    for i in range(7):
        with travel(at(*MON, 9) + dt.timedelta(minutes=i)):
            made.add(new_order(staff["op"], cat["food"], regions["t1"]).pk)
    seen: list[int] = []
    cursor = None
    while True:
        page = order_selectors.work_orders_page(user=staff["op"], cursor=cursor, limit=3)
        seen += [o.pk for o in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == 7 and set(seen) == made
    with pytest.raises(ValidationFailed):
        order_selectors.work_orders_page(user=staff["op"], cursor="garbage!!")


def test_public_follow_needs_the_callers_mobile(cat: Any, staff: Any, regions: Any) -> None:
    order = new_order(staff["op"], cat["food"], regions["t1"])
    assert order_selectors.work_order_public(order_no=order.order_no,
                                             phone="13905391001").pk == order.pk
    with pytest.raises(NotFound):
        order_selectors.work_order_public(order_no=order.order_no, phone="13905391002")


def test_tampered_event_breaks_the_chain(cat: Any, staff: Any, regions: Any) -> None:
    order = new_order(staff["op"], cat["food"], regions["t1"])
    orders.work_order_dispatch(actor=staff["op"], order=order)
    assert order_audit.verify_all_orders() == (1, None)
    WorkOrderEvent.objects.filter(order=order, seq=1).update(data={"channel": "web"})
    checked, broken = order_audit.verify_all_orders()
    assert broken is not None and broken.seq == 1


def test_stale_version_is_a_conflict(cat: Any, staff: Any, regions: Any) -> None:
    order = new_order(staff["op"], cat["food"], regions["t1"])
    version = order.row_version
    orders.work_order_dispatch(actor=staff["op"], order=order, expected_version=version)
    with pytest.raises(Conflict):
        orders.work_order_dispatch(actor=staff["op"], order=order, expected_version=version)
    assert timezone.is_aware(WorkOrder.objects.get(pk=order.pk).sign_due)
