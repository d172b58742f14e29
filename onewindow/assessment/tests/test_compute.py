"""Assessment arithmetic on the known data set of conftest.py: every figure, rate, score, rank,
grade and red flag equals the number counted by hand below.

Working days (2026 calendar): A Oct 12→15 = 3; B Oct 12→22 = 8, minus 2 stopped = 6;
C Oct 14→14 = 0; D Sep 28→Oct 13 = Sep 29, 30, Oct 8, 9, 10 (调休), 12, 13 = 7 (weekday counting
would say 11); E Oct 16→19 = 1. G is accepted in October (at W2 by fallback: the clerk was not
signed in on Oct 30) but completed in November.

Default scheme: weights 30 on time / 10 on the spot / 15 提速 / 30 satisfaction / 15 workload,
deductions 2 per bad review, 5 per upheld complaint, 1 per yellow card, 3 per red card.

W1  on time 1/2, on spot 0/2, 提速 1−9/40, satisfied 2/2, workload 2/2:
    15 + 0 + 11.625 + 30 + 15 = 71.625 − (1 + 3) = 67.625 → 67.63 合格
W2  2/2, 1/2, 1−7/25, 1/1, 2/2: 30 + 5 + 10.8 + 30 + 15 = 90.8 − 5 = 85.80 良好 → 合格 (属实投诉)
W3  1/1, 1/1, 1−1/10, 1/1, 1/2: 30 + 10 + 13.5 + 30 + 7.5 = 91.00 优秀, 红旗窗口
市场监管 3/4, 1/4, 1−16/65, 1/2, 4/4: 22.5 + 2.5 + 11.3077 + 15 + 15 = 66.3077 − 11 = 55.31 不合格
卫健    1/1, 1/1, 1−1/10, 1/1, 1/4: 30 + 10 + 13.5 + 30 + 3.75 = 87.25 良好
clerk   1/2, 0/2, 1−9/40, 2/3, 2/2: 15 + 0 + 11.625 + 20 + 15 = 61.625 − 6 = 55.63 不合格
chief   2/2, 1/2, 1−7/25, 1/1, 2/2: 90.80 优秀
clerk2  1/1, 1/1, 1−1/10, 1/1, 1/2: 91.00 优秀
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onewindow.accounts.models import StaffMember
from onewindow.assessment import selectors, services
from onewindow.assessment.models import AssessmentRow, AssessmentRun, RunState, ScoringScheme
from onewindow.assessment.tests.conftest import OCTOBER, at, make_case, session
from onewindow.core.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

FIGURES = ["accepted", "completed", "on_time", "on_spot", "speed_cases", "used_days",
           "legal_days", "tickets_served", "rated", "satisfied", "bad_reviews", "complaints",
           "complaints_upheld", "alerts", "red_cards"]


def figures(row: AssessmentRow) -> tuple[int, ...]:
    return tuple(getattr(row, f) for f in FIGURES)


def d(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def compute(known: Any, region: str = "d1") -> AssessmentRun:
    return services.assessment_compute(actor=known.admin if region != "city" else
                                       known.city_admin, region=known.w.regions[region],
                                       month="2026-10")


def rows(run: AssessmentRun, kind: str) -> dict[Any, AssessmentRow]:
    key = {"window": "window_id", "department": "department_id", "staff": "staff_id"}[kind]
    return {getattr(r, key): r for r in run.rows.filter(kind=kind)}


def test_window_figures_rates_scores_grades_and_red_flag(known):
    run = compute(known)
    w = rows(run, "window")
    assert set(w) == {known.w1.pk, known.w2.pk, known.w3.pk}
    #                       acc done ontime spot speed used legal tix rated sat bad cmp up yel red
    assert figures(w[known.w1.pk]) == (2, 2, 1, 0, 2, 9, 40, 3, 2, 2, 0, 0, 0, 1, 1)
    assert figures(w[known.w2.pk]) == (2, 2, 2, 1, 2, 7, 25, 1, 1, 1, 0, 1, 1, 0, 0)
    assert figures(w[known.w3.pk]) == (2, 1, 1, 1, 1, 1, 10, 0, 1, 1, 0, 0, 0, 0, 0)
    w1, w2, w3 = w[known.w1.pk], w[known.w2.pk], w[known.w3.pk]
    assert (w1.on_time_rate, w1.on_spot_rate, w1.speedup_rate, w1.satisfaction_rate) == (
        d("50.0"), d("0.0"), d("77.5"), d("100.0"))
    assert (w1.avg_used_days, w1.avg_legal_days) == (d("4.50"), d("20.00"))
    assert (w2.on_time_rate, w2.on_spot_rate, w2.speedup_rate) == (d("100.0"), d("50.0"),
                                                                   d("72.0"))
    assert (w2.avg_used_days, w2.avg_legal_days) == (d("3.50"), d("12.50"))
    assert [(r.score, r.deduction, r.rank, r.grade, r.grade_note, r.red_flag)
            for r in (w3, w2, w1)] == [
        (d("91.00"), d("0"), 1, "excellent", "", True),
        (d("85.80"), d("5"), 2, "pass", "属实投诉一票否决", False),
        (d("67.63"), d("4"), 3, "pass", "", False),
    ]
    assert (w1.label, w1.unit, w1.department_id, w1.region_id) == (
        "A01 综合受理窗口", "东湖区政务服务中心", None, known.w.regions["d1"].pk)
    assert w2.department_id == known.w.departments["d1_market"].pk


def test_department_figures_and_scores(known):
    run = compute(known)
    market, health = known.w.departments["d1_market"], known.health
    dep = rows(run, "department")
    assert set(dep) == {market.pk, health.pk}
    assert figures(dep[market.pk]) == (4, 4, 3, 1, 4, 16, 65, 1, 2, 1, 1, 1, 1, 1, 1)
    assert figures(dep[health.pk]) == (2, 1, 1, 1, 1, 1, 10, 0, 1, 1, 0, 0, 0, 0, 0)
    m = dep[market.pk]
    assert (m.on_time_rate, m.on_spot_rate, m.speedup_rate, m.satisfaction_rate) == (
        d("75.0"), d("25.0"), d("75.4"), d("50.0"))
    assert (m.avg_used_days, m.avg_legal_days) == (d("4.00"), d("16.25"))
    assert (m.score, m.deduction, m.rank, m.grade) == (d("55.31"), d("11"), 2, "fail")
    h = dep[health.pk]
    assert (h.score, h.rank, h.grade, h.red_flag) == (d("87.25"), 1, "good", False)
    assert (m.label, m.unit) == ("东湖区市场监督管理局", "东湖区")


def test_staff_figures_and_scores(known):
    run = compute(known)
    st = rows(run, "staff")
    assert set(st) == {known.clerk.pk, known.chief.pk, known.clerk2.pk}
    assert figures(st[known.clerk.pk]) == (3, 2, 1, 0, 2, 9, 40, 3, 3, 2, 1, 1, 0, 1, 1)
    assert figures(st[known.chief.pk]) == (1, 2, 2, 1, 2, 7, 25, 1, 1, 1, 0, 0, 0, 0, 0)
    assert figures(st[known.clerk2.pk]) == (2, 1, 1, 1, 1, 1, 10, 0, 1, 1, 0, 0, 0, 0, 0)
    assert [(st[u.pk].score, st[u.pk].rank, st[u.pk].grade, st[u.pk].red_flag)
            for u in (known.clerk2, known.chief, known.clerk)] == [
        (d("91.00"), 1, "excellent", False), (d("90.80"), 2, "excellent", False),
        (d("55.63"), 3, "fail", False)]
    number = StaffMember.objects.get(user=known.chief).staff_number
    chief = st[known.chief.pk]
    assert chief.label == f"{number} 测******"  # the name is masked in every list
    assert (chief.unit, chief.department_id) == ("东湖区市场监督管理局",
                                                 known.w.departments["d1_market"].pk)
    assert st[known.clerk.pk].department_id is None


def test_counts_equal_a_direct_count_of_the_month(known):
    """The completed figure of a department equals a direct count; the month is local time."""
    from onewindow.cases.models import Case

    run = compute(known)
    market = known.w.departments["d1_market"]
    start, end, _last = selectors.month_bounds(OCTOBER)
    direct = Case.objects.filter(department=market, completed_at__gte=start,
                                 completed_at__lt=end).count()
    assert rows(run, "department")[market.pk].completed == direct == 4
    # Ratings at Oct 31 23:30 count, at Sep 30 23:59 and Nov 1 00:00 do not (W1: t1, t2 only).
    assert rows(run, "window")[known.w1.pk].rated == 2


def test_the_window_is_where_the_acceptor_was_signed_in(known):
    """B was accepted by the clerk signed in at W1; the clerk's session at W2 later that week
    does not move it; G (no session) falls back to the department's window W2."""
    data = selectors.month_figures(region=known.w.regions["d1"], month=OCTOBER)
    assert data.windows[known.w1.pk].accepted == 2
    assert data.windows[known.w2.pk].accepted == 2  # C and G by fallback
    case = make_case(known.w, key="X", region=known.w.regions["d1"],
                     department=known.w.departments["d1_market"], accepted_by=known.clerk,
                     accepted=at(10, 14, 15), centre=known.centre)
    assert case.accepted_at == at(10, 14, 15)
    data = selectors.month_figures(region=known.w.regions["d1"], month=OCTOBER)
    assert data.windows[known.w2.pk].accepted == 3  # the clerk sat at W2 that afternoon


def test_city_run_covers_both_districts_and_district_run_only_its_own(known):
    city = compute(known, "city")
    d2_market = known.w.departments["d2_market"]
    dep = rows(city, "department")
    assert d2_market.pk in dep and dep[d2_market.pk].completed == 1
    assert known.w.other_clerk.pk in rows(city, "staff")
    # The d1 figures are the same in the city's run.
    assert figures(dep[known.w.departments["d1_market"].pk]) == (
        4, 4, 3, 1, 4, 16, 65, 1, 2, 1, 1, 1, 1, 1, 1)
    d1 = compute(known, "d1")
    assert d2_market.pk not in rows(d1, "department")
    assert known.w.other_clerk.pk not in rows(d1, "staff")


def test_recompute_while_draft_is_idempotent(known):
    first = compute(known)
    before = sorted((r.kind, r.label, r.score, r.rank, r.grade, figures(r))
                    for r in first.rows.all())
    again = compute(known)
    assert again.pk == first.pk and AssessmentRun.objects.count() == 1
    after = sorted((r.kind, r.label, r.score, r.rank, r.grade, figures(r))
                   for r in again.rows.all())
    assert after == before and AssessmentRow.objects.count() == 8
    assert again.row_version > first.row_version


def test_recompute_sees_new_data(known):
    compute(known)
    make_case(known.w, key="Y", region=known.w.regions["d1"], department=known.health,
              accepted_by=known.clerk2, accepted=at(10, 21, 10), decided=at(10, 22),
              completed=at(10, 22, 11), promised_due=at(10, 30).date(), legal=10,
              centre=known.centre)
    run = compute(known)
    assert rows(run, "window")[known.w3.pk].completed == 2


def test_published_run_is_not_recomputed_until_withdrawn(known):
    run = services.assessment_publish(actor=known.admin, run=compute(known))
    with pytest.raises(Conflict) as exc:
        compute(known)
    assert exc.value.message == ("东湖区 2026-10 的考核结果已发布，不能重新计算。"
                                 "如需更正，请先撤回发布。")
    assert AssessmentRun.objects.get().state == RunState.PUBLISHED
    services.assessment_unpublish(actor=known.admin, run=run, reason="投诉复核结论更正")
    assert compute(known).state == RunState.DRAFT


def test_queries_do_not_grow_with_the_data(known):
    """Set-based: the number of queries is the same with twice the cases, windows and staff."""
    compute(known)
    with CaptureQueriesContext(connection) as small:
        compute(known)
    r = known.w.regions
    for i in range(6):
        clerk = known.clerk2 if i % 2 else known.clerk
        session(known.w3 if i % 2 else known.w1, clerk, at(10, 26 + i % 3, 8),
                at(10, 26 + i % 3, 18))
        make_case(known.w, key=f"Q{i}", region=r["d1"], department=known.health,
                  accepted_by=clerk, accepted=at(10, 26 + i % 3, 9 + i),
                  decided=at(10, 29), completed=at(10, 30), promised_due=at(10, 30).date(),
                  centre=known.centre)
    with CaptureQueriesContext(connection) as big:
        compute(known)
    assert len(big.captured_queries) == len(small.captured_queries)
    assert len(small.captured_queries) <= 20


def test_nearest_scheme_up_the_tree_applies(known):
    r = known.w.regions
    ScoringScheme.objects.create(region=r["city"], name="市方案", red_flag_count=0)
    scheme, source = selectors.scheme_for(r["d2"])
    assert source is not None and source.name == "市方案" and scheme.red_flag_count == 0
    ScoringScheme.objects.create(region=r["d1"], name="区方案", w_on_time=Decimal(40),
                                 w_workload=Decimal(5))
    scheme, source = selectors.scheme_for(r["t1"])
    assert source is not None and source.name == "区方案" and scheme.w_on_time == 40
    run = compute(known)
    assert run.scheme_source == "区方案" and run.scheme["w_on_time"] == "40.0"
    # W1 with 40 / 10 / 15 / 30 / 5: 20 + 0 + 11.625 + 30 + 5 = 66.625 − 4 = 62.625 → 62.63
    assert rows(run, "window")[known.w1.pk].score == d("62.63")
    ScoringScheme.objects.all().delete()
    assert selectors.scheme_for(r["d1"])[1] is None
    assert compute(known).scheme_source == "系统默认方案"


def test_scheme_validation_in_admin_forms(known):
    bad = ScoringScheme(region=known.w.regions["d1"], w_on_time=Decimal(50))
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert "各项权重之和应为 100（现为 120）。" in exc.value.message_dict["w_on_time"]
    bad = ScoringScheme(region=known.w.regions["d1"], good_min=Decimal(95))
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert exc.value.message_dict["good_min"] == ["分数线应依次降低：优秀 > 良好 > 合格。"]
    ScoringScheme(region=known.w.regions["d1"]).full_clean()


@pytest.mark.parametrize(("month", "code"), [
    ("2026-12", "future_month"), ("2026/10", "bad_month"), ("", "bad_month"),
    ("2026-13", "bad_month"), ("1999-01", "bad_month"), ("x" * 50, "bad_month"),
])
def test_compute_refuses_bad_months(known, month, code):
    with pytest.raises(ValidationFailed) as exc:
        services.assessment_compute(actor=known.admin, region=known.w.regions["d1"],
                                    month=month)
    assert exc.value.code == code and exc.value.field_errors["month"]
    assert not AssessmentRun.objects.exists()


def test_compute_refuses_villages_and_people_without_the_permission(known):
    r = known.w.regions
    with pytest.raises(ValidationFailed) as exc:
        services.assessment_compute(actor=known.city_admin, region=r["v1"], month="2026-10")
    assert exc.value.field_errors["region"] == ["请选择市、区县或镇街。"]
    for user in (known.supervisor, known.head, known.clerk):
        with pytest.raises(PermissionDenied):
            services.assessment_compute(actor=user, region=r["d1"], month="2026-10")
    with pytest.raises(PermissionDenied):  # the d1 office cannot compute the city or d2
        services.assessment_compute(actor=known.admin, region=r["d2"], month="2026-10")
    assert not AssessmentRun.objects.exists()
    # The current month may be previewed as a draft.
    assert compute_month(known, "2026-11").state == RunState.DRAFT


def compute_month(known: Any, month: str) -> AssessmentRun:
    return services.assessment_compute(actor=known.admin, region=known.w.regions["d1"],
                                       month=month)


def test_demo_hook_computes_and_publishes_last_month(known):
    from onewindow.assessment.demo import load_demo_assessment

    run = load_demo_assessment(region_code=known.w.regions["d1"].code)
    assert run is not None and run.state == RunState.PUBLISHED
    assert run.month.isoformat() == "2026-10-01" and run.published_by == known.admin
    assert AssessmentRun.objects.get(region=known.w.regions["city"]).state == RunState.DRAFT
    assert load_demo_assessment(region_code="000000000000") is None


def test_monthly_job_drafts_last_month_for_cities_and_districts(known):
    from onewindow.assessment.tasks import compute_last_month

    assert compute_last_month.delay().get() == {"computed": 3, "skipped": 0}
    runs = {r.region.code: r for r in AssessmentRun.objects.select_related("region")}
    assert set(runs) == {"379900000000", "379902000000", "379903000000"}
    assert all(r.state == RunState.DRAFT and r.computed_by is None for r in runs.values())
    services.assessment_publish(actor=known.admin, run=runs["379902000000"])
    assert compute_last_month() == {"computed": 2, "skipped": 1}
    assert AssessmentRun.objects.count() == 3 and AssessmentRow.objects.filter(
        run=runs["379902000000"]).count() == 8
