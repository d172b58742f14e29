"""HTTP API: a permission matrix for every endpoint, a concern's life over HTTP, junk input is
a 4xx never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from onewindow.enterprise import services
from onewindow.enterprise.models import (
    Concern,
    EnterpriseFile,
    EnterpriseVisit,
    KeyProject,
    SecretaryAssignment,
)
from onewindow.enterprise.workflow import ConcernState

API = "/api/v1/enterprise"


def call(client, method: str, url: str, body: Any = None):
    if method == "get":
        return client.get(API + url)
    return getattr(client, method)(API + url, json.dumps(body if body is not None else {}),
                                   content_type="application/json")


@pytest.fixture
def world_api(ent):
    """A concern of company A assigned to the health bureau, a key project, a secretary."""
    c = ent.concern(actor=ent.head, assign_to=ent.d1_health)
    p = services.key_project_designate(
        actor=ent.admin, region=ent.regions["d1"], code="DH-01", name="精密机械二期",
        lead_department=ent.departments["d1_market"], company=ent.company_a)
    sec = services.secretary_assign(actor=ent.admin, user=ent.reviewer, file=ent.file_a)
    return {"concern": c, "project": p, "secretary": sec}


def endpoints(ent, w) -> list[tuple[str, str, Any]]:
    fa, n, p = ent.file_a.pk, w["concern"].number, w["project"].pk
    return [
        ("get", "/files", None),
        ("post", "/files", {"credit_code": ent.company_c.credit_code,
                            "region_code": ent.regions["d1"].code}),
        ("get", f"/files/{fa}", None),
        ("post", f"/files/{fa}/designation", {"is_key": True, "green_channel": False}),
        ("put", f"/files/{fa}/liaisons", {"department_ids": [ent.departments["d1_market"].pk]}),
        ("post", f"/files/{fa}/secretaries", {"username": ent.health_reviewer.username}),
        ("post", f"/secretaries/{w['secretary'].pk}/end", {"reason": "调整"}),
        ("post", f"/files/{fa}/visits", {"visited_on": "2026-11-24", "summary": "走访了解情况"}),
        ("post", f"/files/{fa}/concerns", {"description": "企业反映用电增容慢",
                                           "category": "utilities"}),
        ("get", "/projects", None),
        ("post", "/projects", {"region_code": ent.regions["d1"].code, "code": "DH-02",
                               "name": "新项目", "lead_department_id":
                                   ent.departments["d1_market"].pk}),
        ("post", f"/projects/{p}", {"stage": "construction"}),
        ("post", f"/projects/{p}/secretaries", {"username": ent.health_reviewer.username}),
        ("get", "/concerns", None),
        ("get", f"/concerns/{n}", None),
        ("post", f"/concerns/{n}/assign", {"department_id": ent.d1_health.pk}),
        ("post", f"/concerns/{n}/follow", {"note": "跟踪进度"}),
        ("post", f"/concerns/{n}/resolve", {"resolution": "已经协调解决"}),
        ("post", f"/concerns/{n}/explain", {"reason": "不属于政府职责，已解释"}),
        ("post", f"/concerns/{n}/satisfaction", {"satisfaction": "satisfied"}),
        ("get", "/figures", None),
    ]


def snapshot() -> tuple:
    return (
        list(EnterpriseFile.objects.order_by("pk").values_list("pk", "is_key", "green_channel")),
        list(Concern.objects.order_by("pk").values_list("pk", "state", "assigned_department",
                                                        "event_count", "satisfaction")),
        EnterpriseVisit.objects.count(), KeyProject.objects.count(),
        list(KeyProject.objects.values_list("stage", flat=True)),
        list(SecretaryAssignment.objects.order_by("pk").values_list("pk", "ended_at")),
    )


def test_anonymous_callers_get_401_and_staff_without_a_duty_403_changing_nothing(
        client, ent, world_api):
    before = snapshot()
    for method, url, body in endpoints(ent, world_api):
        r = call(client, method, url, body)
        assert r.status_code == 401, (method, url, r.status_code)
        assert r.json()["code"] == "unauthenticated"
    client.force_login(ent.clerk)
    for method, url, body in endpoints(ent, world_api):
        r = call(client, method, url, body)
        assert r.status_code == 403, (method, url, r.status_code, r.content)
    assert snapshot() == before


def test_another_district_gets_404_and_a_department_without_the_right_403(
        client, ent, world_api):
    before = snapshot()
    client.force_login(ent.other_admin)
    for method, url, body in endpoints(ent, world_api):
        r = call(client, method, url, body)
        if url in ("/files", "/projects", "/concerns", "/figures") and method == "get":
            assert r.status_code == 200, url
            assert ent.company_a.name not in r.content.decode()
        elif url in ("/files", "/projects") and method == "post":
            assert r.status_code == 403, url  # district d1 is not theirs
        else:
            assert r.status_code == 404, (method, url, r.status_code)
    # The market head (liaison, recorder) may not manage nor close the health bureau's concern.
    client.force_login(ent.head)
    n = world_api["concern"].number
    for method, url, body, code in (
        ("post", f"/files/{ent.file_a.pk}/designation", {"is_key": False,
                                                          "green_channel": False}, 403),
        ("post", f"/files/{ent.file_a.pk}/secretaries", {"username": "health"}, 403),
        ("post", f"/concerns/{n}/assign", {"department_id": ent.d1_health.pk}, 403),
        ("post", f"/concerns/{n}/resolve", {"resolution": "我们解决了此事"}, 403),
        ("post", f"/concerns/{n}/explain", {"reason": "我们解释了此事"}, 403),
        ("post", "/projects", {"region_code": ent.regions["d1"].code, "code": "X",
                               "name": "X", "lead_department_id":
                                   ent.departments["d1_market"].pk}, 403),
    ):
        r = call(client, method, url, body)
        assert r.status_code == code, (url, r.status_code, r.content)
    client.force_login(ent.supervisor)  # figures only
    assert call(client, "get", "/figures").status_code == 200
    assert call(client, "get", "/files").status_code == 403
    client.force_login(ent.agent)  # eligible as secretary, reaches nothing by itself
    assert call(client, "get", "/files").json() == []
    assert call(client, "get", f"/files/{ent.file_a.pk}").status_code == 404
    assert call(client, "get", "/figures").status_code == 403
    assert snapshot() == before


def test_every_endpoint_works_for_the_people_it_is_for(client, ent, world_api):
    n = world_api["concern"].number
    fa = ent.file_a.pk
    client.force_login(ent.admin)
    files = call(client, "get", "/files?q=精密").json()
    assert [f["company"] for f in files] == [ent.company_a.name]
    assert files[0]["contact"] == "李** 139****1002" and files[0]["open_concerns"] == 1
    r = call(client, "post", "/files", {"credit_code": ent.company_c.credit_code,
                                        "region_code": ent.regions["d1"].code,
                                        "liaison_department_ids": [ent.d1_health.pk]})
    assert r.status_code == 201, r.content
    again = call(client, "post", "/files", {"credit_code": ent.company_c.credit_code,
                                            "region_code": ent.regions["d1"].code})
    assert again.status_code == 409 and "已在东湖区建档" in again.json()["message"]
    detail = call(client, "get", f"/files/{fa}").json()
    assert detail["legal_representative"] == "王**" and detail["green_channel"]
    assert [s["name"] for s in detail["secretaries"]] == [str(ent.reviewer)]
    assert [p["code"] for p in detail["projects"]] == ["DH-01"]
    assert detail["concern_counts"]["raised"] == 1
    r = call(client, "post", f"/files/{fa}/designation", {"is_key": True,
                                                          "green_channel": False})
    assert r.status_code == 200 and r.json()["green_channel"] is False
    r = call(client, "put", f"/files/{fa}/liaisons",
             {"department_ids": [ent.departments["d1_market"].pk, ent.d1_health.pk]})
    assert sorted(r.json()) == ["东湖区卫生健康局", "东湖区市场监督管理局"]
    r = call(client, "post", f"/files/{fa}/secretaries", {"username": ent.health_reviewer.username,
                                                          "role": "liaison_officer"})
    assert r.status_code == 201 and r.json()["role_label"] == "企业联络员"
    r = call(client, "post", f"/secretaries/{world_api['secretary'].pk}/end", {})
    assert r.status_code == 200 and r.json()["ends_on"] == "2026-11-24"
    r = call(client, "post", "/projects", {
        "region_code": ent.regions["d1"].code, "code": "DH-02", "name": "新材料产业园",
        "lead_department_id": ent.departments["d1_market"].pk, "investment": "52000.5",
        "company_credit_code": ent.company_c.credit_code})
    assert r.status_code == 201 and r.json()["investment"] == "52000.50"
    p2 = r.json()["id"]
    r = call(client, "post", f"/projects/{p2}", {"stage": "construction"})
    assert r.json()["stage_label"] == "开工建设"
    r = call(client, "post", f"/projects/{p2}/secretaries", {"username": ent.head.username})
    assert r.status_code == 201
    assert [x["code"] for x in call(client, "get", "/projects").json()] == ["DH-01", "DH-02"]

    # The concern's life over HTTP: the liaison records a visit with a concern; the office
    # assigns it; the department progresses and resolves it; the company's satisfaction.
    client.force_login(ent.head)
    r = call(client, "post", f"/files/{fa}/visits", {
        "visited_on": "2026-11-24", "summary": "走访了解扩产计划", "attendees": "总经理",
        "concerns": [{"description": "扩建厂房规划许可办理咨询", "category": "approval"}]})
    assert r.status_code == 201, r.content
    number = r.json()["concerns"][0]
    client.force_login(ent.admin)
    r = call(client, "post", f"/concerns/{number}/assign", {"department_id": ent.d1_health.pk,
                                                            "days": 5, "note": "请卫健局牵头"})
    assert r.json()["state"] == "assigned" and r.json()["deadline"] == "2026-12-01"
    client.force_login(ent.health_reviewer)
    mine = call(client, "get", "/concerns?mine=true").json()["items"]
    assert {x["number"] for x in mine} == {n, number}
    r = call(client, "post", f"/concerns/{number}/follow", {"note": "已联系规划部门"})
    assert r.json()["state"] == "in_progress"
    r = call(client, "post", f"/concerns/{number}/explain", {"reason": "短"})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    r = call(client, "post", f"/concerns/{number}/resolve", {"resolution": "已出具规划条件"})
    body = r.json()
    assert body["state"] == "resolved" and body["on_time"] is True
    assert [e["action"] for e in body["events"]] == ["raise", "assign", "progress", "resolve"]
    r = call(client, "post", f"/concerns/{n}/explain", {"reason": "该道路为村集体所有，已解释"})
    assert r.json()["state"] == "explained"
    r = call(client, "post", f"/concerns/{n}/resolve", {"resolution": "再办一次试试"})
    assert r.status_code == 409
    r = call(client, "post", f"/concerns/{number}/satisfaction", {"satisfaction": "basic"})
    assert r.json()["satisfaction"] == "basic"
    client.force_login(ent.head)  # the recorder sees its concern; the figures of its dept
    assert call(client, "get", f"/concerns/{number}").status_code == 200
    client.force_login(ent.admin)
    figures = call(client, "get", "/figures?by=department").json()
    assert figures["total"]["raised"] == 2 and figures["total"]["solved"] == 2
    assert figures["total"]["closure_rate"] == "100.0"
    assert Concern.objects.get(number=number).state == ConcernState.RESOLVED


def test_junk_input_is_a_4xx_never_a_500(client, ent, world_api):
    n = world_api["concern"].number
    fa = ent.file_a.pk
    client.force_login(ent.admin)
    junk = [
        ("get", "/files?q=" + "x" * 300, None),
        ("get", "/files/abc", None),
        ("get", "/files/99999999999999999999", None),
        ("post", "/files", {"credit_code": "NOPE", "region_code": ent.regions["d1"].code}),
        ("post", "/files", {"credit_code": ent.company_c.credit_code, "region_code": "0"}),
        ("post", "/files", [1, 2]),
        ("post", "/files", {"credit_code": ent.company_c.credit_code,
                            "region_code": ent.regions["d1"].code,
                            "liaison_department_ids": [999999]}),
        ("post", f"/files/{fa}/designation", {"is_key": "maybe"}),
        ("post", f"/files/{fa}/secretaries", {"username": "nobody"}),
        ("post", f"/files/{fa}/secretaries", {"username": ent.reviewer.username,
                                              "starts_on": "2026-12-10",
                                              "ends_on": "2026-12-01"}),
        ("post", f"/files/{fa}/secretaries", {"username": ent.health_reviewer.username,
                                              "role": "boss"}),
        ("post", "/secretaries/999999/end", {}),
        ("post", f"/files/{fa}/visits", {"visited_on": "2026-02-30", "summary": "x"}),
        ("post", f"/files/{fa}/visits", {"visited_on": "2026-11-24", "summary": "走访情况",
                                         "concerns": [{"description": "x" * 2001}]}),
        ("post", f"/files/{fa}/visits", {"visited_on": "2026-11-24", "summary": "走访情况",
                                         "concerns": [{"description": "正常问题描述",
                                                       "days": 0}]}),
        ("post", f"/files/{fa}/concerns", {"description": "正常问题描述", "source": "visit"}),
        ("post", f"/files/{fa}/concerns", {"description": "正常问题描述",
                                           "assign_to_department_id":
                                               ent.departments["d2_market"].pk}),
        ("post", "/projects", {"region_code": ent.regions["d1"].code, "code": "Z",
                               "name": "Z", "lead_department_id": 1,
                               "investment": "-5"}),
        ("post", "/projects", {"region_code": ent.regions["d1"].code, "code": "Z",
                               "name": "Z", "lead_department_id": 1,
                               "company_credit_code": "91000000000000000X"}),
        ("post", f"/projects/{world_api['project'].pk}", {"stage": "moon"}),
        ("get", "/concerns?state=moon", None),
        ("get", "/concerns?after=yesterday", None),
        ("get", "/concerns?limit=1000", None),
        ("get", "/concerns/" + "Q" * 200, None),
        ("post", f"/concerns/{n}/assign", {"department_id": "abc"}),
        ("post", f"/concerns/{n}/assign", {"department_id": ent.d1_health.pk, "days": 99}),
        ("post", f"/concerns/{n}/follow", {"note": ""}),
        ("post", f"/concerns/{n}/satisfaction", {"satisfaction": "ecstatic"}),
        ("get", "/figures?by=moon", None),
        ("get", "/figures?start=2026-12-01&end=2026-11-01", None),
        ("get", "/figures?region_code=000000000000", None),
    ]
    for method, url, body in junk:
        r = call(client, method, url, body)
        assert 400 <= r.status_code < 500, (method, url, r.status_code, r.content[:300])
        assert "message" in r.json() or "detail" in r.json(), url
    assert call(client, "get", "/concerns?after=2026-11-24_1").status_code == 200
    r = call(client, "get", "/concerns?limit=1")
    assert r.status_code == 200 and r.json()["next_cursor"] is None  # only one open concern
