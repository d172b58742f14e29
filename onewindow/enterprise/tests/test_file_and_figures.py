"""一企一档 content (and its fixed number of queries) and the concern figures."""

from __future__ import annotations

import datetime as dt
import random

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onewindow.accounts.models import Role
from onewindow.cases import services as case_services
from onewindow.cases.models import CaseMaterialStatus, Channel
from onewindow.cases.services import Upload
from onewindow.cases.tests.conftest import pdf_bytes
from onewindow.cases.tests.conftest import world as world  # noqa: F401 - fixture
from onewindow.enterprise import selectors, services
from onewindow.enterprise.models import Concern
from onewindow.enterprise.services import ConcernInput
from onewindow.enterprise.workflow import CLOSED_STATES, OPEN_STATES, ConcernState

TZ = timezone.get_default_timezone()


def company_case(world, applicant, *, decide: bool = False):
    """A window case of ``applicant`` (a company) in d1, accepted; decided when asked."""
    case = case_services.case_create(
        actor=world.clerk, item=world.item, applicant=applicant, channel=Channel.WINDOW,
        form_data={"shop_name": "精密机械食堂", "category": "预包装食品"})
    for m in case.materials.all():
        case_services.case_attach_material(actor=world.clerk, case=case, material_id=m.pk,
                                           upload=Upload(f"{m.name}.pdf", pdf_bytes(m.name)))
    case_services.case_submit(actor=world.clerk, case=case)
    for m in case.materials.all():
        case_services.case_check_material(actor=world.clerk, case=case, material_id=m.pk,
                                          verdict=CaseMaterialStatus.VERIFIED)
    case_services.case_accept(actor=world.clerk, case=case)
    if decide:
        review, last = list(case.tasks.order_by("seq"))
        case_services.task_pass(actor=world.reviewer, task=review, opinion="符合条件")
        last.refresh_from_db()
        case_services.task_decide(actor=world.head, task=last, approve=True)
    case.refresh_from_db()
    return case


def file_view_queries(user, pk) -> tuple[int, selectors.FileView]:
    # The calendar and the user's grants are cached per process / user: warm them first.
    selectors.file_view(user, pk)
    with CaptureQueriesContext(connection) as ctx:
        view = selectors.file_view(user, pk)
    return len(ctx.captured_queries), view


def test_the_company_file_holds_cases_certificates_visits_secretaries_concerns_projects(
        ent, world, make_staff, client):
    a = ent.company_a
    older = company_case(world, a)
    decided = company_case(world, a, decide=True)
    other = company_case(world, ent.company_b)  # another company's case is not in A's file
    services.secretary_assign(actor=ent.admin, user=ent.reviewer, file=ent.file_a)
    services.visit_record(actor=ent.head, file=ent.file_a, visited_on=dt.date(2026, 11, 20),
                          summary="了解企业扩产用工需求",
                          concerns=[ConcernInput("缺少熟练焊工", "labour")])
    mine = ent.concern()  # recorded by the market bureau
    theirs = ent.concern(actor=ent.admin, assign_to=ent.d1_health)  # the health bureau's
    p = services.key_project_designate(
        actor=ent.admin, region=ent.regions["d1"], code="DH-01", name="精密机械二期",
        lead_department=ent.departments["d1_market"], company=a, investment=18000)
    services.secretary_assign(actor=ent.admin, user=ent.head, project=p)

    n_admin, view = file_view_queries(ent.admin, ent.file_a.pk)
    client.force_login(ent.admin)
    url = f"/workbench/enterprise/files/{ent.file_a.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as page_before:
        assert client.get(url).status_code == 200
    assert [c.case_no for c in view.cases] == [decided.case_no, older.case_no]  # latest first
    assert other.case_no not in {c.case_no for c in view.cases}
    assert view.case_total == 2
    assert [x.case.case_no for x in view.certificates] == [decided.case_no]
    assert [v.summary for v in view.visits] == ["了解企业扩产用工需求"]
    assert {s.user for s in view.secretaries} == {ent.reviewer, ent.head}
    assert [x.code for x in view.projects] == ["DH-01"]
    assert {d.name for d in view.liaisons} == {"东湖区市场监督管理局"}
    assert len(view.concerns) == 3 and view.can_manage and view.can_record
    assert view.concern_counts == {"raised": 3, "solved": 0, "tracking": 3, "overdue": 0}

    # The market bureau's staff see their own department's concerns only …
    chief = make_staff(Role.CHIEF, ent.regions["d1"], ent.departments["d1_market"])
    _n, market = file_view_queries(chief, ent.file_a.pk)
    assert mine.pk in {c.pk for c in market.concerns}
    assert theirs.pk not in {c.pk for c in market.concerns}
    # … the company's secretaries see all of them (the head through the key project).
    _n, secretary = file_view_queries(ent.reviewer, ent.file_a.pk)
    assert theirs.pk in {c.pk for c in secretary.concerns} and secretary.is_secretary
    _n, head = file_view_queries(ent.head, ent.file_a.pk)
    assert theirs.pk in {c.pk for c in head.concerns} and head.is_secretary

    # A fixed number of queries, however many rows the file holds.
    for _ in range(3):
        company_case(world, a, decide=True)
        services.visit_record(actor=ent.head, file=ent.file_a,
                              visited_on=dt.date(2026, 11, 21), summary="回访企业",
                              concerns=[ConcernInput("电力增容审批慢", "utilities",
                                                     assign_to=ent.d1_health)])
    more, view = file_view_queries(ent.admin, ent.file_a.pk)
    assert len(view.cases) == 5 and len(view.certificates) == 4 and len(view.concerns) == 6
    assert more == n_admin <= 9, (more, n_admin)  # 8 reads, plus a count past 50 cases
    with CaptureQueriesContext(connection) as page_after:
        assert client.get(url).status_code == 200
    assert len(page_after.captured_queries) == len(page_before.captured_queries)


def _mix(ent) -> list[Concern]:
    """~60 concerns over two districts, three departments and two months, in every state."""
    rng = random.Random(4)  # noqa: S311 - test data
    made = []
    deps = [ent.d1_health, ent.departments["d1_market"], None]
    for day in (dt.datetime(2026, 10, 12, 10, 0, tzinfo=TZ),
                dt.datetime(2026, 11, 9, 10, 0, tzinfo=TZ)):
        with time_machine.travel(day, tick=False):
            for i in range(25):
                dep = deps[i % 3]
                c = ent.concern(actor=ent.admin, assign_to=dep, days=rng.choice([3, 10, 30]),
                                category=rng.choice(["land", "labour", "approval"]))
                if dep is not None and i % 4 == 0:
                    services.concern_resolve(actor=ent.admin, concern=c, resolution="协调解决完毕")
                elif dep is not None and i % 4 == 1:
                    services.concern_explain(actor=ent.admin, concern=c,
                                             reason="不属于政府职责范围，已解释")
                made.append(c)
            for _ in range(5):
                made.append(ent.concern(actor=ent.other_admin, file=ent.file_b))
    return made


def _direct(rows: list[Concern], today: dt.date) -> dict[str, int]:
    return {
        "raised": len(rows),
        "resolved": sum(c.state == ConcernState.RESOLVED for c in rows),
        "explained": sum(c.state == ConcernState.EXPLAINED for c in rows),
        "tracking": sum(c.state in OPEN_STATES for c in rows),
        "overdue": sum(c.state in OPEN_STATES and c.deadline < today for c in rows),
        "on_time": sum(c.state in CLOSED_STATES and bool(c.on_time) for c in rows),
    }


def test_concern_figures_equal_a_direct_count_by_department_period_and_scope(ent):
    _mix(ent)
    today = dt.date(2026, 11, 24)
    every = list(Concern.objects.select_related("file__region"))
    d1 = [c for c in every if c.file.region_id == ent.regions["d1"].pk]

    with CaptureQueriesContext(connection) as ctx:
        rows = selectors.concern_figures(user=ent.admin, group_by="department")
    assert len(ctx.captured_queries) <= 2  # one aggregate (plus the grants, once)
    by_dep = {r.key: r for r in rows}
    assert set(by_dep) == {ent.d1_health.pk, ent.departments["d1_market"].pk, None}
    for key, r in by_dep.items():
        expected = _direct([c for c in d1 if c.assigned_department_id == key], today)
        got = {k: getattr(r, k) for k in expected}
        assert got == expected, key
        assert r.solved == expected["resolved"] + expected["explained"]
    total = selectors.figure_totals(rows)
    assert total.raised == len(d1) == 50
    assert total.closure_rate is not None
    assert float(total.closure_rate) == round(total.solved * 100 / total.raised, 1)
    assert by_dep[None].label == "未交办"

    # The period is by the day a concern was recorded; the city office sees both districts.
    period = selectors.Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    [november] = selectors.concern_figures(user=ent.city_admin, period=period, group_by=None)
    in_nov = [c for c in every if timezone.localdate(c.raised_at).month == 11]
    assert {k: getattr(november, k) for k in _direct(in_nov, today)} == _direct(in_nov, today)
    assert november.raised == 30
    months = selectors.concern_figures(user=ent.admin, group_by="month")
    assert [(m.label, m.raised) for m in months] == [("2026-10", 25), ("2026-11", 25)]
    # Another district's office sees only its own; a department head only its department's.
    [west] = selectors.concern_figures(user=ent.other_admin, group_by=None)
    assert west.raised == 10
    health_head_rows = selectors.concern_figures(user=ent.health_reviewer, group_by=None)
    assert health_head_rows[0].raised == 0  # a reviewer holds no stats.view
    cats = selectors.concern_figures(user=ent.admin, group_by="category")
    assert sum(r.raised for r in cats) == 50
    assert {r.label for r in cats} <= {"用地用房", "用工招聘", "审批服务", "基础设施配套"}
