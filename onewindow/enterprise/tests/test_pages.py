"""Workbench pages: a permission matrix for every page, refused actions change nothing, the
figures export, and bad input is a 4xx with the reason beside its field."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest

from onewindow.enterprise.models import Concern, EnterpriseFile, EnterpriseVisit, KeyProject
from onewindow.enterprise.workflow import ConcernState


@dataclass
class Scene:
    ent: Any
    c_health: Concern  # recorded by the market bureau, assigned to the health bureau
    c_office: Concern  # recorded by the office, assigned to the health bureau
    c_west: Concern  # company B in the other district


@pytest.fixture
def scene(ent) -> Scene:
    return Scene(
        ent=ent,
        c_health=ent.concern(actor=ent.head, assign_to=ent.d1_health,
                             description="新招工人健康证办理慢"),
        c_office=ent.concern(actor=ent.admin, assign_to=ent.d1_health,
                             description="食堂卫生许可延续咨询"),
        c_west=ent.concern(actor=ent.other_head, file=ent.file_b,
                           description="西岭园区污水管网未接通"),
    )


USERS = ["admin", "city_admin", "other_admin", "head", "reviewer", "health_reviewer",
         "other_head", "agent", "clerk", "supervisor"]


def status_of(client, user, url: str) -> int:
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url).status_code


def check(client, scene: Scene, url: str, expected: dict[str, int]) -> None:
    """``expected`` maps user attribute names to statuses; "anon" is signed out (302)."""
    assert set(expected) == {"anon", *USERS}, url
    got = {"anon": status_of(client, None, url)}
    for name in USERS:
        got[name] = status_of(client, getattr(scene.ent, name), url)
    assert got == expected, url


def test_permission_matrix_of_every_page(client, scene):
    e = scene.ent
    fa = e.file_a.pk
    base = {"anon": 302, "clerk": 403, "supervisor": 403}
    check(client, scene, "/workbench/enterprise/", {
        **base, "admin": 200, "city_admin": 200, "other_admin": 200, "head": 200,
        "reviewer": 200, "health_reviewer": 200, "other_head": 200, "agent": 200})
    check(client, scene, f"/workbench/enterprise/files/{fa}/", {
        **base, "admin": 200, "city_admin": 200, "other_admin": 404, "head": 200,
        "reviewer": 200, "health_reviewer": 200, "other_head": 404, "agent": 404})
    check(client, scene, f"/workbench/enterprise/files/{fa}/visit/", {
        **base, "admin": 200, "city_admin": 200, "other_admin": 404, "head": 200,
        "reviewer": 200, "health_reviewer": 403, "other_head": 404, "agent": 404})
    check(client, scene, "/workbench/enterprise/projects/", {
        **base, "admin": 200, "city_admin": 200, "other_admin": 200, "head": 200,
        "reviewer": 200, "health_reviewer": 200, "other_head": 200, "agent": 200})
    check(client, scene, "/workbench/enterprise/concerns/", {
        **base, "admin": 200, "city_admin": 200, "other_admin": 200, "head": 200,
        "reviewer": 200, "health_reviewer": 200, "other_head": 200, "agent": 200})
    # Department staff see only their own department's concerns.
    check(client, scene, f"/workbench/enterprise/concerns/{scene.c_office.number}/", {
        **base, "admin": 200, "city_admin": 200, "other_admin": 404, "head": 404,
        "reviewer": 404, "health_reviewer": 200, "other_head": 404, "agent": 404})
    check(client, scene, f"/workbench/enterprise/concerns/{scene.c_health.number}/", {
        **base, "admin": 200, "city_admin": 200, "other_admin": 404, "head": 200,
        "reviewer": 200, "health_reviewer": 200, "other_head": 404, "agent": 404})
    check(client, scene, "/workbench/enterprise/concerns/QY-NOPE/", {
        **base, "admin": 404, "city_admin": 404, "other_admin": 404, "head": 404,
        "reviewer": 404, "health_reviewer": 404, "other_head": 404, "agent": 404})
    # Figures: the office (enterprise.manage) and stats.view (heads, supervisors).
    check(client, scene, "/workbench/enterprise/figures/", {
        "anon": 302, "clerk": 403, "supervisor": 200, "admin": 200, "city_admin": 200,
        "other_admin": 200, "head": 200, "reviewer": 403, "health_reviewer": 403,
        "other_head": 200, "agent": 403})


def test_lists_show_only_what_is_in_scope(client, scene):
    e = scene.ent
    n_health, n_office, n_west = (scene.c_health.number, scene.c_office.number,
                                  scene.c_west.number)
    for user, present, absent in (
        (e.admin, {n_health, n_office}, {n_west}),
        (e.health_reviewer, {n_health, n_office}, {n_west}),
        (e.head, {n_health}, {n_office, n_west}),
        (e.other_admin, {n_west}, {n_health, n_office}),
        (e.agent, set(), {n_health, n_office, n_west}),
    ):
        client.force_login(user)
        html = client.get("/workbench/enterprise/concerns/").content.decode()
        assert all(n in html for n in present), user
        assert not any(n in html for n in absent), user
    client.force_login(e.head)
    html = client.get("/workbench/enterprise/").content.decode()
    assert e.company_a.name in html and e.company_b.name not in html
    # Personal data is masked in the list and on the file.
    assert "李**" in html and "139****1002" in html and "13905391002" not in html
    page = client.get(f"/workbench/enterprise/files/{e.file_a.pk}/").content.decode()
    assert "王**" in page and "王建国" not in page and "13905391002" not in page
    # The market head's file page lists its own department's concern, not the office's.
    assert n_health in page and n_office not in page


def test_refused_actions_change_nothing(client, scene):
    e = scene.ent
    fa = f"/workbench/enterprise/files/{e.file_a.pk}/"
    client.force_login(e.head)
    r = client.post(fa, {"action": "designate", "is_key": "1", "green_channel": ""})
    assert r.status_code == 403 and "营商环境" in r.content.decode()
    f = EnterpriseFile.objects.get(pk=e.file_a.pk)
    assert f.green_channel and f.is_key
    client.force_login(e.other_admin)
    assert client.post(fa, {"action": "designate"}).status_code == 404
    assert EnterpriseFile.objects.get(pk=e.file_a.pk).green_channel

    url = f"/workbench/enterprise/concerns/{scene.c_health.number}/"
    client.force_login(e.health_reviewer)  # assigned, but not the recorder nor the office
    r = client.post(url, {"action": "assign", "department": e.departments["d1_market"].pk})
    assert r.status_code == 403
    client.force_login(e.head)  # the recorder: may not close another department's concern
    r = client.post(url, {"action": "resolve", "resolution": "我们已经解决了"})
    assert r.status_code == 403
    client.force_login(e.other_admin)
    assert client.post(url, {"action": "resolve", "resolution": "已经解决了"}).status_code == 404
    client.force_login(e.clerk)
    assert client.post(url, {"action": "resolve", "resolution": "已经解决了"}).status_code == 403
    client.logout()
    assert client.post(url, {"action": "resolve", "resolution": "已经解决了"}).status_code == 302
    c = Concern.objects.get(pk=scene.c_health.pk)
    assert (c.state, c.assigned_department_id, c.event_count) == (
        ConcernState.ASSIGNED, e.d1_health.pk, 2)

    client.force_login(e.head)
    r = client.post("/workbench/enterprise/projects/", {
        "action": "designate", "region": e.regions["d1"].pk, "code": "X-1", "name": "不应建立",
        "lead_department": e.departments["d1_market"].pk, "stage": "signed"})
    assert r.status_code == 403 and not KeyProject.objects.exists()
    client.force_login(e.health_reviewer)
    r = client.post(f"{fa}visit/", {"visited_on": "2026-11-24", "summary": "不应登记"})
    assert r.status_code == 403 and not EnterpriseVisit.objects.exists()


def test_the_assigned_department_closes_a_concern_on_its_page(client, scene):
    e = scene.ent
    url = f"/workbench/enterprise/concerns/{scene.c_health.number}/"
    client.force_login(e.health_reviewer)
    page = client.get(url).content.decode()
    assert "办结：已解决" in page and "改派" not in page
    r = client.post(url, {"action": "explain", "reason": ""})
    assert r.status_code == 422
    html = r.content.decode()
    assert 'class="field-error"' in html and "解释说明办结须写明理由" in html
    r = client.post(url, {"action": "resolve", "resolution": "开设企业专场，当日出证"})
    assert r.status_code == 302
    c = Concern.objects.get(pk=scene.c_health.pk)
    assert c.state == ConcernState.RESOLVED and c.resolution == "开设企业专场，当日出证"
    client.force_login(e.head)
    r = client.post(url, {"action": "rate", "satisfaction": "satisfied", "note": "企业满意"})
    assert r.status_code == 302
    assert Concern.objects.get(pk=c.pk).satisfaction == "satisfied"


def test_the_visit_form_reports_row_errors_and_records_concerns(client, scene):
    e = scene.ent
    url = f"/workbench/enterprise/files/{e.file_a.pk}/visit/"
    client.force_login(e.head)
    page = client.get(url).content.decode()
    assert "东湖区市场监督管理局" in page  # the acting department
    r = client.post(url, {"visited_on": "2099-01-01", "summary": "",
                          "c0_description": "好", "c0_category": "labour",
                          "c1_description": "", "c2_description": "用电增容审批慢",
                          "c2_category": "utilities", "c2_days": "0"})
    assert r.status_code == 422
    html = r.content.decode()
    assert "走访日期不能晚于今天" in html and "请至少填写 4 个字" in html
    assert "办理期限应为 1 至 60 个工作日" in html
    assert not EnterpriseVisit.objects.exists()
    r = client.post(url, {"visited_on": "2026-11-24", "summary": "走访生产车间",
                          "attendees": "总经理", "c0_description": "用电增容审批慢",
                          "c0_category": "utilities", "c0_assign_to": e.d1_health.pk,
                          "c0_days": "5"})
    assert r.status_code == 302
    v = EnterpriseVisit.objects.get()
    c = v.concerns.get()
    assert (c.assigned_department, c.category, c.state) == (e.d1_health, "utilities",
                                                            ConcernState.ASSIGNED)


def test_the_office_opens_a_file_and_designates_a_project_with_its_secretary(client, scene):
    e = scene.ent
    client.force_login(e.admin)
    page = client.get("/workbench/enterprise/?company=湖滨物流").content.decode()
    assert e.company_c.name in page
    r = client.post("/workbench/enterprise/?company=湖滨物流", {
        "company": e.company_c.pk, "region": e.regions["d1"].pk, "is_key": "1",
        "contact_phone": "13905391003"})
    assert r.status_code == 302
    f = EnterpriseFile.objects.get(company=e.company_c)
    assert f.is_key and not f.green_channel
    r = client.post("/workbench/enterprise/projects/", {
        "action": "designate", "region": e.regions["d1"].pk, "code": "DH-9", "name": "物流园",
        "lead_department": e.departments["d1_market"].pk, "stage": "signed",
        "company_credit_code": e.company_c.credit_code, "investment": "abc",
        "green_channel": "1"})
    assert r.status_code == 422 and "总投资请填写数字" in r.content.decode()
    r = client.post("/workbench/enterprise/projects/", {
        "action": "designate", "region": e.regions["d1"].pk, "code": "DH-9", "name": "物流园",
        "lead_department": e.departments["d1_market"].pk, "stage": "signed",
        "company_credit_code": e.company_c.credit_code, "investment": "3000",
        "green_channel": "1"})
    assert r.status_code == 302
    p = KeyProject.objects.get()
    r = client.post("/workbench/enterprise/projects/", {
        "action": "secretary", "project": p.pk, "username": e.clerk.username})
    assert r.status_code == 422 and "具有企业服务职责" in r.content.decode()
    r = client.post("/workbench/enterprise/projects/", {
        "action": "secretary", "project": p.pk, "username": e.reviewer.username})
    assert r.status_code == 302
    assert p.secretaries.get().user == e.reviewer


def test_figures_page_and_excel_export_show_the_same_numbers(client, scene):
    from openpyxl import load_workbook

    from onewindow.enterprise import services

    e = scene.ent
    services.concern_resolve(actor=e.health_reviewer, concern=scene.c_health,
                             resolution="开设企业专场")
    client.force_login(e.admin)
    page = client.get("/workbench/enterprise/figures/?start=2026-11-01&end=2026-11-30")
    assert page.status_code == 200
    html = page.content.decode()
    assert "东湖区卫生健康局" in html and "50.0%" in html
    r = client.get("/workbench/enterprise/figures/?start=2026-11-01&end=2026-11-30&format=xlsx")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows[0][:9] == ("东湖区卫生健康局", 2, 1, 1, 0, 1, 0, 1, 50.0)
    assert rows[-1][0] == "合计" and rows[-1][1] == 2  # company B's concern is not ours
    bad = client.get("/workbench/enterprise/figures/?start=2026-13-01")
    assert bad.status_code == 422 and "日期格式" in bad.content.decode()
    junk = client.get("/workbench/enterprise/concerns/?state=moon&after=xx&department=abc")
    assert junk.status_code == 200
