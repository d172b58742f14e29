"""The incremental refresh case by case: dates, deltas, lag, ratings, alerts, scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onewindow.accounts.models import Role
from onewindow.cases import services
from onewindow.cases.models import Case, Task
from onewindow.cases.workflow import TaskState
from onewindow.core import clock
from onewindow.core.errors import NotFound, PermissionDenied
from onewindow.evaluation.models import Evaluation
from onewindow.evaluation.selectors import Period
from onewindow.stats import selectors
from onewindow.stats.models import CaseFact, DailyFigures, OpenFigures
from onewindow.stats.rollup import stats_refresh
from onewindow.supervision.models import Alert, AlertKind, AlertState

NOW = dt.timedelta(0)
pytestmark = pytest.mark.django_db


def active_task(case: Case) -> Task:
    return Task.objects.get(case=case, state=TaskState.ACTIVE)


def scope_of(world: Any, department: bool = False) -> selectors.Scope:
    return selectors.Scope(region=world.regions["d1"],
                           department=world.departments["d1_market"] if department else None)


def year(today: dt.date | None = None) -> Period:
    return selectors.period_of(None, None, today=today or clock.today())


def test_a_case_moves_through_the_counters(world):
    case = world.accepted_case()
    stats_refresh(lag=NOW)
    scope = scope_of(world)
    t = selectors.totals(scope, year())
    assert (t.received, t.accepted, t.decided, t.in_progress) == (1, 1, 0, 1)
    assert selectors.live(scope).in_progress == 1

    services.task_pass(actor=world.reviewer, task=active_task(case), opinion="符合条件")
    services.task_decide(actor=world.head, task=active_task(case), approve=True)
    case.refresh_from_db()
    assert stats_refresh(lag=NOW).cases == 1
    t = selectors.totals(scope, year())
    assert (t.received, t.accepted, t.decided, t.on_time, t.in_progress) == (1, 1, 1, 1, 0)
    assert t.legal_days == case.legal_limit_days and t.used_days == 0  # decided the same day
    assert t.days_saved == case.legal_limit_days
    assert selectors.live(scope).awaiting_delivery == 1
    # Nothing moved since: the second refresh reads nothing and changes nothing.
    before = list(DailyFigures.objects.values())
    assert stats_refresh(lag=NOW).cases == 0
    assert list(DailyFigures.objects.values()) == before


def test_counters_of_other_scopes_stay_apart(world):
    world.accepted_case()
    stats_refresh(lag=NOW)
    other = selectors.Scope(region=world.regions["d2"])
    assert selectors.totals(other, year()).received == 0
    dep_scope = scope_of(world, department=True)
    assert selectors.totals(dep_scope, year()).received == 1
    city = selectors.Scope(region=world.regions["city"])
    assert selectors.totals(city, year()).received == 1
    rows = {f.key: f for f in selectors.by_child_region(city, year())}
    assert rows[world.regions["d1"].code].in_progress == 1
    assert rows[world.regions["d2"].code].in_progress == 0


def test_young_events_wait_for_the_lag(world):
    """Events younger than the lag are left for the next run (a transaction that took its
    id earlier may still be committing); they are read once old enough."""
    world.accepted_case()
    assert stats_refresh(lag=dt.timedelta(minutes=5)).cases == 0
    assert not CaseFact.objects.exists()
    assert stats_refresh(lag=NOW).cases == 1


def test_overdue_follows_the_date_without_a_job(world, time_machine):
    case = world.accepted_case()
    stats_refresh(lag=NOW)
    scope = scope_of(world)
    assert selectors.live(scope).overdue == 0
    after_due = case.promised_due + dt.timedelta(days=1)
    assert selectors.live(scope, today=after_due).overdue == 1
    assert [f.overdue for f in selectors.top_overdue_departments(scope, today=after_due)] == [1]
    assert OpenFigures.objects.get().due == case.promised_due


def test_refusal_counts_on_its_day_and_leaves_the_open_counts(world):
    case = world.new_case()
    stats_refresh(lag=NOW)
    assert selectors.live(scope_of(world)).waiting == 1
    services.case_refuse(actor=world.clerk, case=case, reason="不属于本机关职权范围")
    stats_refresh(lag=NOW)
    t = selectors.totals(scope_of(world), year())
    assert (t.received, t.refused, t.accepted) == (1, 1, 0)
    assert selectors.live(scope_of(world)).waiting == 0
    assert not OpenFigures.objects.exists()  # empty rows are removed


def _rating(world: Any, case: Case, level: int) -> Evaluation:
    return Evaluation.objects.create(
        service_kind="case", service_ref=case.case_no, service_label="x", case=case,
        region=case.region, department=case.department, level=level, channel="pc",
        created_at=clock.now())


def test_ratings_and_excluded_reviews(world):
    case = world.accepted_case()
    good = _rating(world, case, 1)
    _rating(world, world.accepted_case(), 5)
    stats_refresh(lag=NOW)
    t = selectors.totals(scope_of(world), year())
    assert (t.rated, t.satisfied, t.satisfaction_rate) == (2, 1, 50)
    # An upheld appeal excludes a review: the day is recounted on the next run.
    Evaluation.objects.filter(level=5).update(excluded=True)
    from onewindow.evaluation.models import Appeal, AppealState

    Appeal.objects.create(evaluation=Evaluation.objects.get(level=5), state=AppealState.UPHELD,
                          reason="恶意差评", filed_at=clock.now(), decided_at=clock.now())
    stats_refresh(lag=NOW)
    t = selectors.totals(scope_of(world), year())
    assert (t.rated, t.satisfied) == (1, 1)
    assert selectors.ratings(scope_of(world), year()) == {1: 1, 2: 0, 3: 0, 4: 0, 5: 0}
    assert good.pk


def test_alerts_by_kind_and_withdrawn_ones_leave(world):
    case = world.accepted_case()
    for kind in (AlertKind.YELLOW, AlertKind.RED):
        Alert.objects.create(key=f"{kind}:{case.pk}", kind=kind, case=case, region=case.region,
                             department=case.department, raised_at=clock.now())
    stats_refresh(lag=NOW)
    got = selectors.alerts(scope_of(world), year())
    assert (got["yellow"], got["red"], got["reminder"]) == (1, 1, 0)
    Alert.objects.filter(kind=AlertKind.RED).update(state=AlertState.WITHDRAWN,
                                                    closed_at=clock.now())
    stats_refresh(lag=NOW)
    assert selectors.alerts(scope_of(world), year())["red"] == 0


# --- who sees what ------------------------------------------------------------------------------


def test_scope_for_each_role(world, make_staff):
    city_sup = make_staff(Role.SUPERVISOR, world.regions["city"], username="sup_city")
    d1_sup = make_staff(Role.SUPERVISOR, world.regions["d1"], username="sup_d1")
    admin_d2 = make_staff(Role.ADMIN, world.regions["d2"], username="admin_d2")

    assert selectors.scope_for(city_sup).region == world.regions["city"]
    assert selectors.scope_for(city_sup, region_code=world.regions["d2"].code).region == (
        world.regions["d2"])
    assert selectors.scope_for(d1_sup).region == world.regions["d1"]
    with pytest.raises(PermissionDenied):
        selectors.scope_for(d1_sup, region_code=world.regions["d2"].code)
    with pytest.raises(PermissionDenied):
        selectors.scope_for(d1_sup, region_code=world.regions["city"].code)
    assert selectors.scope_for(admin_d2).region == world.regions["d2"]

    # A department head sees their own department, never the whole region or another one.
    s = selectors.scope_for(world.head)
    assert (s.region, s.department) == (world.regions["d1"], world.departments["d1_market"])
    with pytest.raises(PermissionDenied):
        selectors.scope_for(world.head, region_code=world.regions["d1"].code)
    other_dep = world.departments["d2_market"]
    with pytest.raises((PermissionDenied, NotFound)):
        selectors.scope_for(world.head, region_code=world.regions["d2"].code,
                            department_id=other_dep.pk)
    # No stats.view at all: clerks and reviewers.
    for user in (world.clerk, world.reviewer):
        with pytest.raises(PermissionDenied):
            selectors.scope_for(user)
    with pytest.raises(NotFound):
        selectors.scope_for(city_sup, region_code="999999999999")
