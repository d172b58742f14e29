"""Concurrency on PostgreSQL: one of two simultaneous accepts wins; numbers never repeat.

SQLite serialises writers and its test database lives in one connection's memory, so these run
in the PostgreSQL pass of the suite.
"""

from __future__ import annotations

import pytest

from onewindow.cases import services
from onewindow.cases.models import Case, CaseEvent
from onewindow.cases.workflow import CaseState
from onewindow.core.errors import Conflict
from onewindow.core.tests.concurrency import postgres_only, run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    postgres_only()




def test_two_clerks_accepting_at_once_one_wins_the_other_gets_a_conflict(world, make_staff):
    from onewindow.accounts.models import Role

    case = world.new_case()
    world.verify_all(case)
    second_clerk = make_staff(Role.CLERK, world.regions["d1"], username="clerk2")
    events_before = CaseEvent.objects.filter(case=case).count()
    results = run_at_once([
        lambda: services.case_accept(actor=world.clerk, case=Case(pk=case.pk)),
        lambda: services.case_accept(actor=second_clerk, case=Case(pk=case.pk)),
    ])
    wins = [r for r in results if isinstance(r, Case)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    assert "不能执行" in conflicts[0].message
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    assert case.tasks.count() == 2 and case.notices.filter(kind="acceptance").count() == 1
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1


def test_a_hundred_simultaneous_submissions_get_distinct_numbers(world):
    def submit() -> str:
        made = []
        for _ in range(5):
            case = services.case_create(
                actor=world.applicant_user, item=world.item, applicant=world.applicant,
                form_data={"shop_name": "并发测试店", "category": "散装食品"},
            )
            made.append(case.case_no)
        return made

    results = run_at_once([submit for _ in range(20)])
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    numbers = [n for batch in results for n in batch]
    assert len(numbers) == 100 and len(set(numbers)) == 100
    assert Case.objects.count() == 100
    assert len(set(Case.objects.values_list("query_code", flat=True))) == 100


def test_two_reviewers_passing_the_same_task_apply_it_once(world, make_staff):
    from onewindow.accounts.models import Role

    case = world.accepted_case()
    task = case.tasks.get(seq=1)
    other = make_staff(Role.REVIEWER, world.regions["d1"], world.departments["d1_market"],
                       username="reviewer2")
    results = run_at_once([
        lambda: services.task_pass(actor=world.reviewer, task=task, opinion="同意"),
        lambda: services.task_pass(actor=other, task=task, opinion="同意"),
    ])
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    assert case.events.filter(action="pass").count() == 1
