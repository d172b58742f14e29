"""Dashboard pages (统计分析) and the hall wall (大屏): who sees what, the figures equal direct
counts over the cases, drill-down links, period presets and bad dates, Excel/CSV exports."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from onewindow.accounts.models import Role
from onewindow.cases.models import Case
from onewindow.cases.workflow import CaseState
from onewindow.hall import services as hall_services
from onewindow.regions.models import CentreKind, ServiceCentre
from onewindow.stats.tests.conftest import NOW, Dash

pytestmark = pytest.mark.django_db
URL = "/workbench/stats/"
TODAY = NOW.date()
YEAR_START = TODAY.replace(month=1, day=1)


def kpis(html: str) -> dict[str, str]:
    """The KPI cards of a page: data-kpi key → the number shown."""
    return dict(re.findall(
        r'data-kpi="(\w+)">\s*<span class="st-kpi-label">[^<]*</span>\s*'
        r'<span class="st-kpi-n">([^<]*)</span>', html))


def chart_data(html: str) -> dict[str, Any]:
    m = re.search(r'<script id="stats-data" type="application/json">(.*?)</script>', html, re.S)
    assert m, "the chart data block is missing"
    return json.loads(m.group(1))


def direct(prefix: str, department: Any = None, start: dt.date = YEAR_START,
           end: dt.date = TODAY) -> dict[str, int]:
    """Figures counted straight from the cases (the definitions in stats.selectors)."""
    cases = Case.objects.filter(region__prefix__startswith=prefix)
    if department is not None:
        cases = cases.filter(department=department)
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    decided = cases.filter(state__in=[CaseState.DECIDED, CaseState.COMPLETED],
                           decided_at__gte=lo, decided_at__lt=hi)
    return {
        "received": cases.filter(submitted_at__isnull=False, received_on__gte=start,
                                 received_on__lte=end).count(),
        "accepted": cases.filter(accepted_on__gte=start, accepted_on__lte=end).count(),
        "decided": decided.count(),
        "in_progress": cases.filter(state__in=[CaseState.IN_REVIEW,
                                               CaseState.SUSPENDED]).count(),
        "overdue": cases.filter(state=CaseState.IN_REVIEW, promised_due__lt=TODAY).count(),
    }


def shown(page: dict[str, str]) -> dict[str, int]:
    return {k: int(page[k]) for k in ("received", "accepted", "decided", "in_progress",
                                      "overdue")}


# --- who sees what -----------------------------------------------------------------------------


def test_the_city_supervisor_sees_the_whole_city_with_figures_equal_to_direct_counts(
        client, dash: Dash):
    client.force_login(dash.city_supervisor)
    r = client.get(URL)
    assert r.status_code == 200
    html = r.content.decode()
    assert "统计分析：云溪市" in html
    assert "统计期间 2026-01-01 至 2026-11-24" in html
    page = kpis(html)
    assert shown(page) == direct("3799")
    assert shown(page) == {"received": 18, "accepted": 17, "decided": 13, "in_progress": 4,
                           "overdue": 1}
    assert page["on_time_rate"] == "92.3%"  # 12 of 13 decided on time (one late)
    assert page["satisfaction_rate"] == "84.6%"  # 11 of 13 ratings at levels 1–3
    assert page["red"] == "2"  # the overdue case and its step
    assert 'class="st-kpi st-kpi-alert" href="#block-top_overdue" data-kpi="overdue"' in html
    # Both districts, each a drill-down link; 东湖区 carries the overdue case.
    data = chart_data(html)
    children = {c["label"]: c for c in data["children"]}
    assert set(children) == {"东湖区", "西岭区"}
    assert children["东湖区"]["overdue"] == 1 and children["西岭区"]["overdue"] == 0
    q = parse_qs(urlsplit(children["东湖区"]["url"]).query)
    assert q == {"region": ["379902000000"], "start": ["2026-01-01"], "end": ["2026-11-24"]}
    assert f'href="{children["东湖区"]["url"].replace("&", "&amp;")}">东湖区</a>' in html
    assert sum(c["decided"] for c in data["children"]) == int(page["decided"])
    assert [t["label"] for t in data["trend"]][-1] == "2026-11" and len(data["trend"]) == 12
    assert sum(t["decided"] for t in data["trend"]) == 13
    # The table view is in the HTML (it works without JavaScript); charts are drawn from JSON.
    assert re.search(r'<div class="st-chart" data-chart="trend"[^>]* hidden>', html)
    assert re.search(r'<div class="st-table" id="tbl-trend" data-table="trend">', html)
    assert "vendor/echarts.min.js" in html and "stats/dashboard.js" in html
    assert "<script>" not in html  # CSP: no inline script


def test_drilling_down_from_the_city_to_the_district_to_the_department(client, dash: Dash):
    client.force_login(dash.city_supervisor)
    district = client.get(URL, {"region": "379902000000"})
    assert district.status_code == 200
    html = district.content.decode()
    assert "统计分析：东湖区" in html
    assert shown(kpis(html)) == direct("379902")
    # breadcrumb: the city is a link back, the district is where we are
    assert re.search(r'<a href="\?region=379900000000[^"]*">云溪市</a>', html)
    assert '<span aria-current="page">东湖区</span>' in html
    deps = chart_data(html)["departments"]
    assert [d["label"] for d in deps] == ["东湖区市场监督管理局"]
    dep_url = deps[0]["url"]
    assert parse_qs(urlsplit(dep_url).query)["department"] == [str(dash.d1_market.pk)]

    dep = client.get(URL + dep_url)
    assert dep.status_code == 200
    html = dep.content.decode()
    assert "统计分析：东湖区 · 东湖区市场监督管理局" in html
    assert shown(kpis(html)) == direct("379902", dash.d1_market)
    assert 'href="#overdue-cases" data-kpi="overdue"' in html
    # the overdue case is listed with a link to its case screen and to a supervision notice
    no = dash.overdue.case_no
    assert f'href="/workbench/cases/{no}/"' in html
    assert f'href="/workbench/supervision/notices/?case={no}"' in html
    assert "张三丰" not in html and dash.w.applicant.id_number not in html  # no personal data
    assert 'data-chart="children"' not in html  # no child regions in a department's scope


def test_a_district_supervisor_sees_their_district_and_is_refused_the_other(client, dash: Dash):
    client.force_login(dash.d1_supervisor)
    own = client.get(URL)
    assert own.status_code == 200 and "统计分析：东湖区" in own.content.decode()
    # the city above is plain text in the breadcrumb (not a link they could not open)
    assert '<a href="?region=379900000000' not in own.content.decode()
    for region in ("379903000000", "379900000000"):
        r = client.get(URL, {"region": region})
        assert r.status_code == 403
        assert "您没有查看该区划或部门统计数据的权限" in r.content.decode()
    api = client.get("/api/v1/stats/dashboard", {"region": "379903000000"})
    assert api.status_code == 403


def test_a_department_head_sees_only_their_department(client, dash: Dash):
    w = dash.w
    client.force_login(w.head)
    own = client.get(URL)
    html = own.content.decode()
    assert own.status_code == 200
    assert "统计分析：东湖区 · 东湖区市场监督管理局" in html
    assert shown(kpis(html)) == direct("379902", dash.d1_market)
    assert dash.overdue.case_no in html
    # a head may not issue supervision notices: the overdue row points to 预警与督办 instead
    assert "/workbench/supervision/notices/?case=" not in html
    for params in ({"department": dash.d2_market.pk},
                   {"region": "379903000000", "department": dash.d2_market.pk},
                   {"region": "379902000000"},  # the whole district, not only theirs
                   {"region": "379902000000", "department": w.departments["city_market"].pk}):
        r = client.get(URL, params)
        assert r.status_code == 403, params
        assert "无权访问" in r.content.decode()
    assert client.get(URL, {"region": "379902000000",
                            "department": dash.d1_market.pk}).status_code == 200


def test_staff_without_stats_view_and_anonymous_visitors_are_refused(client, dash: Dash):
    r = client.get(URL)
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next=")
    for user in (dash.w.clerk, dash.w.reviewer, dash.w.applicant_user):
        client.force_login(user)
        r = client.get(URL)
        assert r.status_code == 403
        assert "统计分析页面仅对管理办、监察室和部门负责人开放" in r.content.decode()
        assert client.get(URL, {"format": "xlsx"}).status_code == 403  # nothing leaks


def test_unknown_region_or_department_is_not_found(client, dash: Dash):
    client.force_login(dash.city_supervisor)
    assert client.get(URL, {"region": "379999000000"}).status_code == 404
    assert client.get(URL, {"region": "abc"}).status_code == 404
    assert client.get(URL, {"region": "3799\x00"}).status_code == 404
    assert client.get(URL, {"region": "３７９９０２０００００００"}).status_code == 404
    assert client.get(URL, {"department": "²"}).status_code == 422
    assert client.get(URL, {"department": "999999"}).status_code == 404
    bad = client.get(URL, {"department": "abc"})
    assert bad.status_code == 422 and "部门参数不正确" in bad.content.decode()


# --- the period --------------------------------------------------------------------------------


def test_bad_dates_give_a_chinese_message_and_the_default_period(client, dash: Dash):
    client.force_login(dash.city_supervisor)
    r = client.get(URL, {"start": "2026-13-45", "end": "x"})
    html = r.content.decode()
    assert r.status_code == 422
    assert html.count("日期格式应为 年-月-日") == 2
    assert "统计期间 2026-01-01 至 2026-11-24" in html  # counted over the default period
    assert 'value="2026-13-45"' in html  # what was typed stays in the field
    far = client.get(URL, {"start": "1900-01-01"})
    assert far.status_code == 422
    assert "日期应在 2000-01-01 至 2099-12-31 之间" in far.content.decode()
    junk = client.get(URL, {"start": "2026-01-01\x00", "end": "9" * 400})
    assert junk.status_code == 422
    swapped = client.get(URL, {"start": "2026-11-24", "end": "2026-11-01"})
    html = swapped.content.decode()
    assert swapped.status_code == 422 and "结束日期不能早于开始日期" in html
    assert "统计期间 2026-11-01 至 2026-11-24" in html


def test_presets_and_a_chosen_period(client, dash: Dash):
    client.force_login(dash.city_supervisor)
    html = client.get(URL).content.decode()
    presets = dict((label, href.replace("&amp;", "&")) for href, label in re.findall(
        r'<a class="st-preset[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>', html))
    assert list(presets) == ["本月", "本季度", "本年", "近30天"]
    assert parse_qs(urlsplit(presets["本月"]).query)["start"] == ["2026-11-01"]
    assert parse_qs(urlsplit(presets["本季度"]).query)["start"] == ["2026-10-01"]
    assert parse_qs(urlsplit(presets["近30天"]).query)["start"] == ["2026-10-26"]
    assert 'class="st-preset is-active"' in html  # 本年 is the default period
    month = client.get(URL + presets["本月"]).content.decode()
    got = shown(kpis(month))
    want = direct("3799", start=dt.date(2026, 11, 1))
    assert got == want and got["decided"] == 2 and got["received"] == 6


# --- exports -----------------------------------------------------------------------------------


def test_the_excel_export_has_one_sheet_per_block_and_the_pages_numbers(client, dash: Dash):
    client.force_login(dash.city_supervisor)
    html = client.get(URL).content.decode()
    page = kpis(html)
    r = client.get(URL, {"format": "xlsx"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["主要指标", "月度趋势", "下级区划", "部门办件", "超期最多的部门",
                             "评价分布（好差评）", "预警与违规", "投诉"]
    main = wb["主要指标"]
    assert main["A1"].value == "云溪市 统计期间 2026-01-01 至 2026-11-24"
    assert [c.value for c in main[2]] == ["指标", "数值", "说明"]
    values = {row[0]: row[1] for row in main.iter_rows(min_row=3, values_only=True)}
    assert values["收件"] == int(page["received"]) == 18
    assert values["办结"] == int(page["decided"])
    assert values["超期（实时）"] == int(page["overdue"]) == 1
    assert values["按时办结率"] == pytest.approx(92.3)
    regions = {row[0]: row for row in wb["下级区划"].iter_rows(min_row=3, values_only=True)}
    assert sum(r[3] for r in regions.values()) == values["办结"]
    assert regions["东湖区"][6] == 1  # 超期
    trend = list(wb["月度趋势"].iter_rows(min_row=3, values_only=True))
    assert len(trend) == 12 and sum(t[3] for t in trend) == values["办结"]


def test_csv_per_block_and_the_departments_overdue_list(client, dash: Dash):
    client.force_login(dash.city_supervisor)
    params = {"region": "379902000000", "department": dash.d1_market.pk}
    r = client.get(URL, {**params, "format": "csv", "block": "overdue_cases"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "办件编号,事项,承诺办结日期,超过天数"
    assert lines[1].startswith(dash.overdue.case_no + ",食品经营许可,")
    assert len(lines) == 2
    ratings = client.get(URL, {**params, "format": "csv", "block": "ratings"})
    rows = ratings.content.decode("utf-8-sig").strip().splitlines()
    assert rows[1].startswith("非常满意,") and len(rows) == 6
    assert client.get(URL, {"format": "csv", "block": "nope"}).status_code == 404
    wb = load_workbook(io.BytesIO(client.get(URL, {**params, "format": "xlsx"}).content))
    assert "超期办件" in wb.sheetnames and "下级区划" not in wb.sheetnames


def test_the_page_reads_a_fixed_number_of_queries(client, dash: Dash,
                                                  django_assert_max_num_queries):
    client.force_login(dash.city_supervisor)
    client.get(URL)
    with django_assert_max_num_queries(40):
        assert client.get(URL).status_code == 200


# --- the wall ----------------------------------------------------------------------------------


@pytest.fixture
def centre(dash: Dash) -> ServiceCentre:
    return ServiceCentre.objects.create(region=dash.d1, kind=CentreKind.SERVICE_CENTRE,
                                        name="东湖区政务服务中心")


def wall_data(html: str) -> dict[str, Any]:
    m = re.search(r'<script id="wall-data" type="application/json">(.*?)</script>', html, re.S)
    assert m
    return json.loads(m.group(1))


def test_the_wall_for_a_signed_in_supervisor(client, dash: Dash):
    assert client.get("/stats/wall/").status_code == 302
    client.force_login(dash.w.clerk)
    assert client.get("/stats/wall/").status_code == 403
    client.force_login(dash.city_supervisor)
    r = client.get("/stats/wall/")
    html = r.content.decode()
    assert r.status_code == 200 and "政务服务数据大屏" in html
    data = wall_data(html)
    assert data["scope"] == "云溪市"
    assert data["day"] == {"received": 1, "accepted": 0, "decided": 0}
    assert data["live"] == {"in_progress": 4, "overdue": 1}
    assert data["month"]["decided"] == 2 and data["month"]["on_time_rate"] == 100.0
    assert [x["label"] for x in data["regions"]] == ["东湖区", "西岭区"]
    assert 'data-json-url="/api/v1/stats/wall?region=379900000000"' in html
    assert "<script>" not in html
    client.force_login(dash.d1_supervisor)
    assert client.get("/stats/wall/", {"region": "379903000000"}).status_code == 403


def test_the_centres_wall_opens_with_its_kiosk_key_only(client, dash: Dash, centre):
    key = hall_services.settings_for(centre.pk).kiosk_key
    r = client.get(f"/stats/wall/{centre.pk}/", {"key": key})
    html = r.content.decode()
    assert r.status_code == 200
    data = wall_data(html)
    assert data["scope"] == "东湖区"  # the centre's region
    assert data["live"]["overdue"] == 1
    assert [x["label"] for x in data["regions"]] == ["东湖区本级", "湖滨街道"]
    assert "张三丰" not in html and "13905391001" not in html and dash.overdue.case_no not in html
    assert f"/api/v1/stats/wall/centre/{centre.pk}?key=" in html
    wrong = client.get(f"/stats/wall/{centre.pk}/", {"key": key[:-1] + "x"})
    assert wrong.status_code == 403 and "密钥不正确" in wrong.content.decode()
    assert client.get(f"/stats/wall/{centre.pk}/").status_code == 403
    assert client.get(f"/stats/wall/{centre.pk + 999}/", {"key": key}).status_code == 404
    centre.is_active = False
    centre.save(update_fields=["is_active"])
    assert client.get(f"/stats/wall/{centre.pk}/", {"key": key}).status_code == 404


def test_a_chief_representative_sees_their_department(client, dash: Dash, make_staff):
    chief = dash.w.chief  # 首席代表 of d1_market holds stats.view for the department
    client.force_login(chief)
    html = client.get(URL).content.decode()
    assert "东湖区 · 东湖区市场监督管理局" in html
    other = make_staff(Role.CHIEF, dash.d2, dash.d2_market, username="chief2")
    client.force_login(other)
    assert shown(kpis(client.get(URL).content.decode())) == direct("379903", dash.d2_market)
