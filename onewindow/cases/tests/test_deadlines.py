"""Deadlines: computed at acceptance on the working-day calendar, moved by stops and extensions.

Around National Day 2026: 1–7 October are off, Saturday 10 October is a make-up working day.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onewindow.cases import deadlines, selectors, services
from onewindow.cases.models import StopKind
from onewindow.cases.workflow import CaseState
from onewindow.workdays.selectors import get_calendar

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


@pytest.fixture
def sep28(time_machine):
    time_machine.move_to(at("2026-09-28"), tick=False)
    return time_machine


def test_acceptance_computes_both_dues_skipping_the_national_day_holiday(sep28, world):
    case = world.accepted_case()
    assert case.accepted_on == dt.date(2026, 9, 28)
    # 10 working days after Mon 28 Sep: 29, 30 Sep, 8, 9, 10 (Sat, make-up), 12–16 Oct.
    assert case.promised_due == dt.date(2026, 10, 16)
    # 20 working days: … 16 Oct is the 10th; 19–23 and 26–30 Oct the next ten.
    assert case.legal_due == dt.date(2026, 10, 30)
    task = case.tasks.get(seq=1)
    assert task.started_on == dt.date(2026, 9, 28) and task.due is not None


def test_a_special_procedure_across_the_holiday_moves_the_dues_by_its_working_days(sep28, world):
    case = world.accepted_case()
    task = case.tasks.get(seq=1)
    due_before = task.due
    sep28.move_to(at("2026-09-30"), tick=False)
    services.task_start_special(actor=world.reviewer, task=task, kind=StopKind.SITE_INSPECTION,
                                reason="需要现场核查经营场所", expected_days=3)
    case.refresh_from_db()
    assert case.state == CaseState.SUSPENDED and case.clock_stopped_since == dt.date(2026, 9, 30)
    sep28.move_to(at("2026-10-09"), tick=False)
    services.case_resume(actor=world.reviewer, case=case, result="现场核查符合要求")
    case.refresh_from_db()
    stop = case.stops.get()
    # Working days in (30 Sep, 9 Oct]: 8 and 9 Oct — the holiday week is not counted twice.
    assert stop.days == 2 and case.stopped_days == 2
    assert case.promised_due == dt.date(2026, 10, 20)  # 16 Oct + 2 working days (19, 20)
    assert case.legal_due == dt.date(2026, 11, 3)  # 30 Oct + 2 (2, 3 Nov)
    task.refresh_from_db()
    assert task.due == get_calendar().add_workdays(due_before, 2).date
    assert case.state == CaseState.IN_REVIEW


def test_a_supplement_requested_in_review_stops_the_clock_until_the_applicant_supplies(
    sep28, world,
):
    case = world.accepted_case()
    task = case.tasks.get(seq=1)
    material = case.materials.first()
    sep28.move_to(at("2026-10-12"), tick=False)
    services.task_request_more(actor=world.reviewer, task=task,
                               materials=[{"id": material.pk, "note": "请提供清晰扫描件"}])
    case.refresh_from_db()
    assert case.state == CaseState.SUSPENDED
    sep28.move_to(at("2026-10-15"), tick=False)
    from onewindow.cases.services import Upload
    from onewindow.cases.tests.conftest import pdf_bytes

    services.case_attach_material(actor=world.applicant_user, case=case, material_id=material.pk,
                                  upload=Upload("清晰件.pdf", pdf_bytes("clear")))
    services.case_supply(actor=world.applicant_user, case=case)
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    assert case.stopped_days == 3  # 13, 14, 15 Oct
    assert case.promised_due == dt.date(2026, 10, 21)


def test_an_extension_adds_its_days_once_and_only_with_the_heads_approval(sep28, world):
    case = world.accepted_case()
    with pytest.raises(services.PermissionDenied):
        services.case_extend(actor=world.reviewer, case=case, days=10, reason="情况复杂")
    with pytest.raises(services.ValidationFailed):
        services.case_extend(actor=world.head, case=case, days=11, reason="情况复杂")
    notice = services.case_extend(actor=world.head, case=case, days=10, reason="情况复杂")
    case.refresh_from_db()
    assert case.legal_due == dt.date(2026, 11, 13)  # 30 Oct + 10 working days
    assert notice.content["title"] == "延期告知书"
    with pytest.raises(services.Conflict) as err:
        services.case_extend(actor=world.head, case=case, days=1, reason="再延")
    assert err.value.code == "already_extended"


def test_cases_due_within_n_working_days_is_a_lookup_of_stored_dates(sep28, world, make_staff):
    case = world.accepted_case()  # promised 16 Oct
    sep28.move_to(at("2026-10-14"), tick=False)
    found = selectors.cases_due_within(user=world.clerk, workdays=1)
    assert found == []
    found = selectors.cases_due_within(user=world.clerk, workdays=2)
    assert [c.pk for c in found] == [case.pk]
    assert selectors.cases_due_within(user=world.other_clerk, workdays=30) == []
    assert selectors.urgency(case.promised_due).level == "ok"
    sep28.move_to(at("2026-10-15"), tick=False)
    assert selectors.urgency(case.promised_due) == selectors.Urgency(1, "yellow")
    sep28.move_to(at("2026-10-19"), tick=False)
    assert selectors.urgency(case.promised_due) == selectors.Urgency(-1, "red")


def test_recompute_after_a_calendar_change_moves_stored_dues(
    sep28, world, django_capture_on_commit_callbacks,
):
    from onewindow.workdays.services import calendar_override_set

    case = world.accepted_case()
    assert case.promised_due == dt.date(2026, 10, 16)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_override_set(day=dt.date(2026, 10, 14), kind="holiday", reason="台风停工")
    case.refresh_from_db()
    assert case.promised_due == dt.date(2026, 10, 19)


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 6, 30)),
    limit=st.integers(min_value=0, max_value=60),
    stop_start=st.integers(min_value=0, max_value=40),
    stop_len=st.integers(min_value=0, max_value=40),
)
def test_a_stop_moves_the_due_date_by_exactly_the_working_days_it_covers(
    start, limit, stop_start, stop_len,
):
    cal = get_calendar()
    a = start + dt.timedelta(days=stop_start)
    b = a + dt.timedelta(days=stop_len)
    stopped = deadlines.days_between(cal, a, b, "workday")
    plain, _ = deadlines.add_days(cal, start, limit, "workday")
    moved, _ = deadlines.add_days(cal, start, limit + stopped, "workday")
    assert cal.workdays_between(plain, moved).days == stopped
    assert moved >= plain
    assert cal.is_workday(moved) or limit + stopped == 0
