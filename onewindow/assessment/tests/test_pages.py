"""Pages: who may see which runs and rows, who may compute, publish and withdraw; the public
ranking shows published window and department rows only; bad input is a 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.models import StaffMember
from onewindow.assessment import services
from onewindow.assessment.models import AssessmentRun, RunState

pytestmark = pytest.mark.django_db

W1, W2, W3 = "A01 综合受理窗口", "B05 市场监管窗口", "B07 卫生健康窗口"
MARKET, HEALTH, D2_MARKET = "东湖区市场监督管理局", "东湖区卫生健康局", "西岭区市场监督管理局"


def number(user: Any) -> str:
    return StaffMember.objects.get(user=user).staff_number


@pytest.fixture
def d1_run(known: Any) -> AssessmentRun:
    return services.assessment_compute(actor=known.admin, region=known.w.regions["d1"],
                                       month="2026-10")


@pytest.fixture
def city_run(known: Any) -> AssessmentRun:
    return services.assessment_compute(actor=known.city_admin, region=known.w.regions["city"],
                                       month="2026-10")


def page(client: Any, user: Any, url: str) -> Any:
    client.force_login(user)
    return client.get(url)


def text(resp: Any) -> str:
    return resp.content.decode()


def test_anonymous_is_sent_to_sign_in_and_clerks_and_applicants_are_refused(client, known,
                                                                           d1_run):
    for url in ("/workbench/assessment/", f"/workbench/assessment/{d1_run.pk}/",
                f"/workbench/assessment/{d1_run.pk}/export.xlsx",
                f"/workbench/assessment/{d1_run.pk}/export.pdf"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")
        for user in (known.clerk, known.clerk2, known.w.applicant_user, known.w.reviewer):
            resp = page(client, user, url)
            assert resp.status_code == 403, (url, user)
            assert "仅对政管办、监察室和部门负责人开放" in text(resp)
        client.logout()
    client.force_login(known.clerk)
    resp = client.post("/workbench/assessment/", {"region": known.w.regions["d1"].pk,
                                                  "month": "2026-10"})
    assert resp.status_code == 403


def test_run_list_by_scope(client, known, d1_run, city_run):
    resp = page(client, known.admin, "/workbench/assessment/")
    body = text(resp)
    assert resp.status_code == 200 and 'name="month"' in body  # the compute form
    assert f"/workbench/assessment/{d1_run.pk}/" in body
    assert f"/workbench/assessment/{city_run.pk}/" in body  # the city's run, with d1 rows
    body = text(page(client, known.other_supervisor, "/workbench/assessment/"))
    assert f"/workbench/assessment/{city_run.pk}/" in body
    assert f"/workbench/assessment/{d1_run.pk}/" not in body  # another district's run
    assert 'name="month"' not in body  # supervisors view, they do not compute
    body = text(page(client, known.head, "/workbench/assessment/"))
    assert f"/workbench/assessment/{d1_run.pk}/" in body and 'name="month"' not in body
    body = text(page(client, known.other_head, "/workbench/assessment/"))
    assert f"/workbench/assessment/{d1_run.pk}/" not in body


@pytest.mark.parametrize(("who", "kind", "shown", "hidden"), [
    ("admin", "window", [W1, W2, W3], []),
    ("supervisor", "department", [MARKET, HEALTH], []),
    ("city_supervisor", "window", [W1, W2, W3], []),
    ("head", "window", [W2], [W1, W3]),
    ("head", "department", [MARKET], [HEALTH]),
    ("health_head", "window", [W3], [W1, W2]),
    ("health_head", "department", [HEALTH], [MARKET]),
])
def test_rows_of_the_d1_run_by_reader(client, known, d1_run, who, kind, shown, hidden):
    resp = page(client, getattr(known, who), f"/workbench/assessment/{d1_run.pk}/?kind={kind}")
    assert resp.status_code == 200
    body = text(resp)
    assert all(s in body for s in shown), shown
    assert not any(h in body for h in hidden), hidden


def test_staff_rows_are_seen_by_the_office_and_by_their_own_department_only(client, known,
                                                                            d1_run):
    url = f"/workbench/assessment/{d1_run.pk}/?kind=staff"
    body = text(page(client, known.admin, url))
    assert all(number(u) in body for u in (known.clerk, known.chief, known.clerk2))
    assert "内部，不公开" in body
    assert "测试clerk" not in body  # names are masked
    body = text(page(client, known.head, url))
    assert number(known.chief) in body
    assert number(known.clerk) not in body and number(known.clerk2) not in body
    body = text(page(client, known.health_head, url))
    assert number(known.clerk2) in body and number(known.chief) not in body


def test_out_of_scope_runs_are_404(client, known, d1_run, city_run):
    for user in (known.other_supervisor, known.other_head):
        for suffix in ("", "export.xlsx", "export.pdf"):
            resp = page(client, user, f"/workbench/assessment/{d1_run.pk}/{suffix}")
            assert resp.status_code == 404, (user, suffix)
    resp = page(client, known.admin, "/workbench/assessment/99999999999999999999/")
    assert resp.status_code == 404
    # The d2 office reads the city's run, with d2's rows only.
    body = text(page(client, known.other_supervisor,
                     f"/workbench/assessment/{city_run.pk}/?kind=department"))
    assert D2_MARKET in body and MARKET not in body and HEALTH not in body
    resp = page(client, known.admin, f"/workbench/assessment/{d1_run.pk}/?kind=bogus")
    assert resp.status_code == 200 and W1 in text(resp)  # unknown tab: windows


def test_compute_from_the_page(client, known):
    client.force_login(known.admin)
    resp = client.post("/workbench/assessment/", {"region": known.w.regions["d1"].pk,
                                                  "month": "2026-10"})
    run = AssessmentRun.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/workbench/assessment/{run.pk}/"
    assert run.rows.count() == 8
    resp = client.post("/workbench/assessment/", {"region": known.w.regions["d1"].pk,
                                                  "month": "2026-13"})
    assert resp.status_code == 422 and "格式应为 年-月" in text(resp)
    resp = client.post("/workbench/assessment/", {"region": known.w.regions["city"].pk,
                                                  "month": "2026-10"})
    assert resp.status_code == 422 and "请选择要考核的区划" in text(resp)
    resp = client.post("/workbench/assessment/", {"region": "x" * 500, "month": "\x00"})
    assert resp.status_code in (400, 422)
    assert AssessmentRun.objects.count() == 1
    client.force_login(known.supervisor)
    resp = client.post("/workbench/assessment/", {"region": known.w.regions["d1"].pk,
                                                  "month": "2026-09"})
    assert resp.status_code == 403 and AssessmentRun.objects.count() == 1


def test_publish_and_withdraw_on_the_run_page(client, known, d1_run):
    url = f"/workbench/assessment/{d1_run.pk}/"
    for user in (known.supervisor, known.head, known.city_supervisor):
        client.force_login(user)
        resp = client.post(url, {"action": "publish"})
        assert resp.status_code == 403
        assert "发布考核结果" not in text(page(client, user, url))
    assert AssessmentRun.objects.get().state == RunState.DRAFT
    client.force_login(known.admin)
    assert "发布考核结果" in text(client.get(url))
    resp = client.post(url, {"action": "publish"})
    assert resp.status_code == 302
    run = AssessmentRun.objects.get()
    assert run.state == RunState.PUBLISHED and run.published_by == known.admin
    resp = client.post(url, {"action": "recompute"})
    assert resp.status_code == 409 and "请先撤回发布" in text(resp)
    resp = client.post(url, {"action": "unpublish", "reason": "  "})
    assert resp.status_code == 422 and "请填写撤回理由" in text(resp)
    assert AssessmentRun.objects.get().state == RunState.PUBLISHED
    client.force_login(known.supervisor)
    assert client.post(url, {"action": "unpublish", "reason": "x"}).status_code == 403
    client.force_login(known.city_admin)  # the city's office reaches the district
    resp = client.post(url, {"action": "unpublish", "reason": "复核后更正投诉结论"})
    assert resp.status_code == 302
    run = AssessmentRun.objects.get()
    assert (run.state, run.withdraw_reason, run.withdrawn_by) == (
        RunState.DRAFT, "复核后更正投诉结论", known.city_admin)
    assert "复核后更正投诉结论" in text(client.get(url))
    assert client.post(url, {"action": "nonsense"}).status_code == 422


def test_publishing_a_month_that_is_not_over_is_refused(client, known):
    run = services.assessment_compute(actor=known.admin, region=known.w.regions["d1"],
                                      month="2026-11")
    client.force_login(known.admin)
    resp = client.post(f"/workbench/assessment/{run.pk}/", {"action": "publish"})
    assert resp.status_code == 409 and "月份结束后才能发布" in text(resp)
    assert AssessmentRun.objects.get().state == RunState.DRAFT


def test_public_pages_show_published_windows_and_departments_only(client, known, d1_run,
                                                                  city_run):
    assert client.get("/assessment/").status_code == 200
    assert "东湖区 2026年10月" not in text(client.get("/assessment/"))
    assert client.get("/assessment/379902000000/2026-10/").status_code == 404  # a draft
    services.assessment_publish(actor=known.admin, run=d1_run)
    body = text(client.get("/assessment/"))
    assert "/assessment/379902000000/2026-10/" in body and "/379900000000/" not in body
    resp = client.get("/assessment/379902000000/2026-10/")
    body = text(resp)
    assert resp.status_code == 200
    assert all(s in body for s in (W1, W2, W3, MARKET, HEALTH))
    assert "本月红旗窗口" in body and 'class="as-red-flag"' in body
    for user in (known.clerk, known.chief, known.clerk2):  # no staff, no names
        assert number(user) not in body
    assert "测试" not in body and "工作人员" not in body.split("<main", 1)[1].split(
        "</main>", 1)[0]
    for bad in ("/assessment/379902000000/2026-13/", "/assessment/379902000000/2026-9/",
                "/assessment/3799/2026-10/", "/assessment/379902000000/2026-09/",
                "/assessment/379900000000/2026-10/", "/assessment/%00/2026-10/"):
        assert client.get(bad).status_code == 404, bad


def test_the_public_page_hides_what_a_withdrawal_took_back(client, known, d1_run):
    services.assessment_publish(actor=known.admin, run=d1_run)
    services.assessment_unpublish(actor=known.admin, run=d1_run, reason="数据更正")
    assert client.get("/assessment/379902000000/2026-10/").status_code == 404


def test_the_run_page_does_a_fixed_number_of_queries(client, known, d1_run, city_run):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(known.city_admin)
    counts = []
    for run in (d1_run, city_run):  # 8 and 10 rows
        assert run.rows.count() in (8, 10)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/workbench/assessment/{run.pk}/?kind=staff").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[0] <= 15
