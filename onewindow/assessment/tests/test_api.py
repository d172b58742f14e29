"""Assessment API: the permission matrix of every endpoint, scope of rows, compute / publish /
withdraw over HTTP, and junk input answered with a 4xx problem."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.assessment import services
from onewindow.assessment.models import AssessmentRun, RunState

pytestmark = pytest.mark.django_db
API = "/api/v1/assessment"


@pytest.fixture
def d1_run(known: Any) -> AssessmentRun:
    return services.assessment_compute(actor=known.admin, region=known.w.regions["d1"],
                                       month="2026-10")


def as_user(client: Any, user: Any) -> Any:
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def test_every_endpoint_refuses_anonymous_and_staff_without_the_role(client, known, d1_run):
    calls = [("get", f"{API}/runs", None), ("get", f"{API}/runs/{d1_run.pk}", None),
             ("get", f"{API}/runs/{d1_run.pk}/rows", None),
             ("post", f"{API}/runs", {"region_code": "379902000000", "month": "2026-10"}),
             ("post", f"{API}/runs/{d1_run.pk}/publish", None),
             ("post", f"{API}/runs/{d1_run.pk}/unpublish", {"reason": "x"})]
    for method, url, body in calls:
        resp = getattr(as_user(client, None), method)(url, body, content_type="application/json")
        assert resp.status_code == 401, url
        for user in (known.clerk, known.w.applicant_user, known.w.reviewer):
            resp = getattr(as_user(client, user), method)(url, body,
                                                          content_type="application/json")
            assert resp.status_code == 403, (url, user)
            assert resp.json()["code"] == "forbidden"
    assert AssessmentRun.objects.get().state == RunState.DRAFT


def test_rows_by_reader(client, known, d1_run):
    url = f"{API}/runs/{d1_run.pk}/rows"
    labels = {r["label"] for r in as_user(client, known.supervisor).get(url).json()}
    assert labels == {"A01 综合受理窗口", "B05 市场监管窗口", "B07 卫生健康窗口"}
    body = as_user(client, known.head).get(url, {"kind": "department"}).json()
    assert [r["label"] for r in body] == ["东湖区市场监督管理局"]
    assert body[0]["score"] == "55.31" and body[0]["grade_label"] == "不合格"
    staff = as_user(client, known.head).get(url, {"kind": "staff"}).json()
    assert [r["staff_id"] for r in staff] == [known.chief.pk]
    window = as_user(client, known.admin).get(url).json()
    assert [(r["rank"], r["red_flag"]) for r in window] == [(1, True), (2, False), (3, False)]
    assert (window[2]["speedup_rate"], window[2]["avg_used_days"]) == ("77.5", "4.50")
    assert as_user(client, known.other_supervisor).get(url).status_code == 404
    assert as_user(client, known.other_head).get(f"{API}/runs/{d1_run.pk}").status_code == 404
    assert as_user(client, known.admin).get(url, {"kind": "people"}).status_code == 422
    assert as_user(client, known.admin).get(f"{API}/runs/{2**63}").status_code in (404, 422)
    run = as_user(client, known.head).get(f"{API}/runs/{d1_run.pk}").json()
    assert run["rows"] == {"window": 1, "department": 1, "staff": 1}
    assert run["month"] == "2026-10" and run["state"] == "draft"


def test_run_list_by_scope(client, known, d1_run):
    assert [r["id"] for r in as_user(client, known.city_supervisor).get(f"{API}/runs").json()] \
        == [d1_run.pk]
    assert as_user(client, known.other_supervisor).get(f"{API}/runs").json() == []
    assert [r["region_code"] for r in as_user(client, known.health_head).get(
        f"{API}/runs").json()] == ["379902000000"]


def test_compute_publish_and_withdraw_over_http(client, known):
    c = as_user(client, known.supervisor)
    body = {"region_code": "379902000000", "month": "2026-10"}
    assert c.post(f"{API}/runs", body, content_type="application/json").status_code == 403
    assert not AssessmentRun.objects.exists()
    c = as_user(client, known.admin)
    resp = c.post(f"{API}/runs", body, content_type="application/json")
    assert resp.status_code == 200
    run = resp.json()
    assert run["rows"] == {"window": 3, "department": 2, "staff": 3}
    assert run["scheme"]["w_on_time"] == "30" and run["scheme_source"] == "系统默认方案"
    again = c.post(f"{API}/runs", body, content_type="application/json").json()
    assert again["id"] == run["id"] and AssessmentRun.objects.count() == 1
    resp = c.post(f"{API}/runs", {"region_code": "379903000000", "month": "2026-10"},
                  content_type="application/json")
    assert resp.status_code == 403  # the d1 office cannot compute d2
    for bad in ({"region_code": "000000000000", "month": "2026-10"},
                {"region_code": "379902000000", "month": "2026-1x"},
                {"region_code": "379902000000", "month": "2027-01"},
                {"region_code": "379902000000"}, {"region_code": "x" * 40, "month": "1"}):
        resp = c.post(f"{API}/runs", bad, content_type="application/json")
        assert resp.status_code == 422, bad
    assert c.post(f"{API}/runs", "{", content_type="application/json").status_code in (400, 422)

    url = f"{API}/runs/{run['id']}"
    for user in (known.supervisor, known.head):
        assert as_user(client, user).post(f"{url}/publish").status_code == 403
    c = as_user(client, known.admin)
    published = c.post(f"{url}/publish").json()
    assert published["state"] == "published" and published["published_at"]
    assert c.post(f"{url}/publish").status_code == 409
    assert c.post(f"{API}/runs", body, content_type="application/json").status_code == 409
    resp = c.post(f"{url}/unpublish", {"reason": ""}, content_type="application/json")
    assert resp.status_code == 422 and resp.json()["errors"]["reason"]
    assert c.post(f"{url}/unpublish", {"reason": "x" * 301},
                  content_type="application/json").status_code == 422
    withdrawn = c.post(f"{url}/unpublish", {"reason": "数据更正"},
                       content_type="application/json").json()
    assert withdrawn["state"] == "draft" and withdrawn["withdraw_reason"] == "数据更正"
    assert c.post(f"{url}/unpublish", {"reason": "再撤"},
                  content_type="application/json").status_code == 409


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {f"{API}/runs", f"{API}/runs/{{run_id}}/rows", f"{API}/runs/{{run_id}}/publish"} \
        <= set(paths)
