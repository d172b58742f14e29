"""Supervision API: scope (supervisors by region subtree, departments their own), withdraw,
notices; junk input is a 4xx problem."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from onewindow.accounts.models import Role
from onewindow.supervision import services
from onewindow.supervision.models import Alert, AlertKind, SupervisionNotice

pytestmark = pytest.mark.django_db
API = "/api/v1/supervision"


@pytest.fixture
def nov2(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
                         tick=False)
    return time_machine


@pytest.fixture
def overdue(nov2, world):
    time_machine = nov2
    case = world.accepted_case()
    time_machine.move_to(dt.datetime(2026, 11, 17, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
                         tick=False)
    services.supervision_scan()
    return case


def test_scope_of_the_alert_list(client, overdue, world, make_staff):
    assert client.get(f"{API}/alerts").status_code == 401
    client.force_login(world.applicant_user)
    assert client.get(f"{API}/alerts").status_code == 403
    client.force_login(world.clerk)
    assert client.get(f"{API}/alerts").status_code == 403
    client.force_login(world.reviewer)  # the case's department
    items = client.get(f"{API}/alerts").json()["items"]
    assert {i["kind"] for i in items} >= {"red", "yellow", "reminder"}
    assert all(i["case_no"] == overdue.case_no for i in items)
    client.force_login(world.other_reviewer)  # another department
    assert client.get(f"{API}/alerts").json()["items"] == []
    client.force_login(make_staff(Role.SUPERVISOR, world.regions["d2"]))
    assert client.get(f"{API}/alerts").json()["items"] == []
    client.force_login(make_staff(Role.SUPERVISOR, world.regions["city"]))
    body = client.get(f"{API}/alerts", {"kind": "red", "limit": 1}).json()
    assert len(body["items"]) == 1 and body["items"][0]["kind_label"] == "红牌（超期）"
    assert client.get(f"{API}/alerts/counts").json()["red"] >= 1
    assert client.get(f"{API}/alerts", {"limit": 0}).status_code == 422
    assert client.get(f"{API}/alerts", {"state": "x"}).status_code == 422


def test_withdraw_and_notice_over_http(client, overdue, world, make_staff):
    red = Alert.objects.filter(case=overdue, kind=AlertKind.RED).first()
    client.force_login(world.reviewer)
    r = client.post(f"{API}/alerts/{red.pk}/withdraw", {"reason": "我们想撤销它"},
                    content_type="application/json")
    assert r.status_code == 403  # a department cannot withdraw its own card
    sup = make_staff(Role.SUPERVISOR, world.regions["d1"])
    client.force_login(sup)
    r = client.post(f"{API}/alerts/{red.pk}/withdraw", {"reason": ""},
                    content_type="application/json")
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    r = client.post(f"{API}/alerts/{red.pk}/withdraw", {"reason": "日历数据错误导致误报"},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"
    r = client.post(f"{API}/notices", {"case_no": "nope", "request": "请尽快办理"},
                    content_type="application/json")
    assert r.status_code == 404
    r = client.post(f"{API}/notices", {"case_no": overdue.case_no, "request": "请说明超期原因",
                                       "reply_days": 2}, content_type="application/json")
    assert r.status_code == 201, r.content
    nid = r.json()["id"]
    client.force_login(world.other_reviewer)
    assert client.post(f"{API}/notices/{nid}/reply", {"reply": "与我们无关的回复"},
                       content_type="application/json").status_code == 404
    client.force_login(world.head)
    r = client.post(f"{API}/notices/{nid}/reply", {"reply": "已补办完毕，今日出件"},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "replied"
    client.force_login(sup)
    assert client.post(f"{API}/notices/{nid}/close").json()["state"] == "closed"
    assert SupervisionNotice.objects.get().replied_by == world.head


def test_pages_show_alerts_in_scope_and_withdraw(client, overdue, world, make_staff):
    assert client.get("/workbench/supervision/").status_code == 302
    client.force_login(world.clerk)
    assert client.get("/workbench/supervision/").status_code == 403
    client.force_login(world.reviewer)
    page = client.get("/workbench/supervision/").content.decode()
    assert overdue.case_no in page and "红牌（超期）" in page and "确认撤销" not in page
    sup = make_staff(Role.SUPERVISOR, world.regions["d1"])
    client.force_login(sup)
    red = Alert.objects.filter(case=overdue, kind=AlertKind.RED).first()
    r = client.post("/workbench/supervision/", {"alert": red.pk, "reason": ""})
    assert r.status_code == 422
    r = client.post("/workbench/supervision/", {"alert": red.pk, "reason": "日历数据错误导致误报"})
    assert r.status_code == 302
    red.refresh_from_db()
    assert red.state == "withdrawn"
    r = client.post("/workbench/supervision/notices/", {"action": "issue",
                                                        "case_no": overdue.case_no,
                                                        "request": "请说明原因", "reply_days": 2})
    assert r.status_code == 302 and SupervisionNotice.objects.count() == 1
    client.force_login(world.head)
    page = client.get("/workbench/supervision/notices/").content.decode()
    assert "请说明原因" in page and 'value="reply"' in page
