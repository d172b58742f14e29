"""Statistics API: the dashboard's blocks by scope (401 anonymous, 403 out of scope, 404 unknown,
422 bad input), the same numbers as the page, and the wall with and without a kiosk key."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from onewindow.accounts.tokens import token_create
from onewindow.hall import services as hall_services
from onewindow.regions.models import CentreKind, ServiceCentre
from onewindow.stats.tests.conftest import Dash
from onewindow.stats.tests.test_pages import direct, kpis, shown

pytestmark = pytest.mark.django_db
API = "/api/v1/stats"


def test_anonymous_and_staff_without_stats_view_are_refused(client, dash: Dash):
    for path in ("/dashboard", "/wall"):
        r = client.get(API + path)
        assert r.status_code == 401 and r.json()["code"] == "unauthenticated"
    for user in (dash.w.clerk, dash.w.reviewer, dash.w.applicant_user):
        client.force_login(user)
        for path in ("/dashboard", "/wall"):
            r = client.get(API + path)
            assert r.status_code == 403, (user, path)
            assert r.json()["message"] == "您没有查看统计数据的权限。"


def test_the_city_supervisor_reads_the_same_numbers_as_the_page(client, dash: Dash):
    client.force_login(dash.city_supervisor)
    body = client.get(f"{API}/dashboard").json()
    page = shown(kpis(client.get("/workbench/stats/").content.decode()))
    t = body["totals"]
    assert {k: t[k] for k in page} == page == direct("3799")
    assert body["scope"] == {"label": "云溪市", "region": "379900000000", "region_name": "云溪市",
                             "department": None, "department_name": ""}
    assert body["period"] == {"start": "2026-01-01", "end": "2026-11-24"}
    assert t["on_time_rate"] == 92.3 and t["satisfaction_rate"] == 84.6
    assert body["live"]["waiting"] == 1 and body["live"]["overdue"] == 1
    assert body["ratings"] == {"1": 6, "2": 3, "3": 2, "4": 1, "5": 1}
    assert body["alerts"]["red"] == 2
    assert [c["label"] for c in body["children"]] == ["东湖区", "西岭区"]
    assert sum(c["decided"] for c in body["children"]) == t["decided"]
    assert [d["overdue"] for d in body["top_overdue"]] == [1]
    assert len(body["trend"]) == 12 and body["overdue_cases"] == []
    month = client.get(f"{API}/dashboard", {"start": "2026-11-01", "end": "2026-11-24"}).json()
    nov = dt.date(2026, 11, 1)
    assert month["totals"]["decided"] == 2 == direct("3799", start=nov)["decided"]


def test_scope_by_region_and_department(client, dash: Dash):
    client.force_login(dash.d1_supervisor)
    own = client.get(f"{API}/dashboard").json()
    assert own["scope"]["region"] == "379902000000"
    assert own["totals"]["received"] == direct("379902")["received"]
    r = client.get(f"{API}/dashboard", {"region": "379903000000"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert client.get(f"{API}/dashboard", {"region": "379900000000"}).status_code == 403
    town = client.get(f"{API}/dashboard", {"region": "379902001000"})
    assert town.status_code == 200 and town.json()["scope"]["label"] == "湖滨街道"
    assert client.get(f"{API}/dashboard", {"region": "379999000000"}).status_code == 404
    assert client.get(f"{API}/dashboard", {"department": 99999}).status_code == 404

    client.force_login(dash.w.head)
    mine = client.get(f"{API}/dashboard").json()
    assert mine["scope"]["department"] == dash.d1_market.pk
    assert [o["case_no"] for o in mine["overdue_cases"]] == [dash.overdue.case_no]
    assert set(mine["overdue_cases"][0]) == {"case_no", "item", "promised_due", "days_over"}
    assert mine["children"] == []
    for params in ({"department": dash.d2_market.pk},
                   {"region": "379903000000", "department": dash.d2_market.pk},
                   {"region": "379902000000"}):
        r = client.get(f"{API}/dashboard", params)
        assert r.status_code == 403, params

    client.force_login(dash.d2_head)
    other = client.get(f"{API}/dashboard").json()
    assert other["scope"]["department_name"] == "西岭区市场监督管理局"
    assert other["totals"]["overdue"] == 0 and other["overdue_cases"] == []


def test_bad_input_is_a_422_problem_field_by_field(client, dash: Dash):
    client.force_login(dash.city_supervisor)
    r = client.get(f"{API}/dashboard", {"start": "2026-02-30"})
    assert r.status_code == 422
    assert r.json()["errors"]["start"] == ["请输入正确的日期（YYYY-MM-DD）。"]
    r = client.get(f"{API}/dashboard", {"start": "2026-11-24", "end": "2026-11-01"})
    assert r.status_code == 422 and r.json()["errors"] == {"end": ["结束日期不能早于开始日期。"]}
    r = client.get(f"{API}/dashboard", {"start": "1999-12-31", "end": "2100-01-01"})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"start", "end"}
    for params in ({"department": 0}, {"department": 2**40}, {"department": "x"},
                   {"region": "3" * 13}):
        assert client.get(f"{API}/dashboard", params).status_code == 422, params


def test_a_token_of_another_system_reads_its_owners_scope(client, dash: Dash):
    _row, raw = token_create(user=dash.d1_supervisor, name="区大数据局")
    r = client.get(f"{API}/dashboard", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200 and r.json()["scope"]["label"] == "东湖区"
    other = client.get(f"{API}/dashboard", {"region": "379903000000"},
                       HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert other.status_code == 403
    assert client.get(f"{API}/dashboard", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_the_wall_api_for_staff_and_for_a_centres_screen(client, dash: Dash):
    client.force_login(dash.city_supervisor)
    body = client.get(f"{API}/wall").json()
    assert body["scope"] == "云溪市" and body["live"] == {"in_progress": 4, "overdue": 1}
    assert body["day"]["received"] == 1 and len(body["trend"]) == 12
    assert re.match(r"2026-11-24T10:00:00\+08:00", body["updated_at"])
    assert [r["label"] for r in body["ranking"]] == ["东湖区市场监督管理局", "西岭区市场监督管理局"]
    client.force_login(dash.d1_supervisor)
    assert client.get(f"{API}/wall", {"region": "379903000000"}).status_code == 403
    client.logout()

    centre = ServiceCentre.objects.create(region=dash.d2, kind=CentreKind.SERVICE_CENTRE,
                                          name="西岭区政务服务中心")
    key = hall_services.settings_for(centre.pk).kiosk_key
    ok = client.get(f"{API}/wall/centre/{centre.pk}", {"key": key})
    assert ok.status_code == 200
    assert ok.json()["scope"] == "西岭区" and ok.json()["live"]["overdue"] == 0
    text = ok.content.decode()
    assert "张三丰" not in text and "13905391001" not in text
    wrong = client.get(f"{API}/wall/centre/{centre.pk}", {"key": "x" * 10})
    assert wrong.status_code == 403 and wrong.json()["code"] == "bad_key"
    assert client.get(f"{API}/wall/centre/{centre.pk}").status_code == 403
    assert client.get(f"{API}/wall/centre/{centre.pk + 1000}", {"key": key}).status_code == 404
    assert client.get(f"{API}/wall/centre/{2**40}", {"key": key}).status_code == 422
    assert client.get(f"{API}/wall/centre/0", {"key": key}).status_code == 422
