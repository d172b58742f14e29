"""Fixtures of the dashboards: a small city's history built through the real services.

Two districts' market regulators (东湖区 d1 with the cases fixture's staff, 西岭区 d2), cases
accepted and decided on time over the past months, one decided late, ratings, one case in d1
past its promised date (超期, with the supervision scan's red card), cases in progress and one
waiting; then the roll-up job. Dates are relative to ``today`` so that the browser test can
build the same history up to the real date.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from onewindow.accounts.models import Role, User
from onewindow.cases import services as case_services
from onewindow.cases.models import Case, CaseMaterialStatus, DeliveryMethod
from onewindow.cases.services import Upload
from onewindow.cases.tests.conftest import World, pdf_bytes
from onewindow.cases.tests.conftest import world as world  # noqa: F401 - fixture
from onewindow.catalog.models import ItemVersion, ServiceItem
from onewindow.catalog.tests.test_services import make_item
from onewindow.evaluation import services as eval_services
from onewindow.stats.rollup import stats_refresh
from onewindow.supervision.services import supervision_scan
from onewindow.workdays.selectors import get_calendar

PASSWORD = "Correct-Horse-9"  # noqa: S105 - the make_staff fixture's test password
#: A Tuesday morning, far from holidays (page and API tests run frozen at this time).
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=timezone.get_default_timezone())


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_default_timezone())


def workday(day: dt.date) -> dt.date:
    """``day`` or the last working day before it."""
    cal = get_calendar()
    while not cal.is_workday(day):
        day -= dt.timedelta(days=1)
    return day


@dataclass
class Dash:
    w: World
    item2: ServiceItem
    city_supervisor: User
    d1_supervisor: User
    d2_supervisor: User
    d2_head: User
    today: dt.date
    overdue: Case | None = None
    decided: list[Case] = field(default_factory=list)
    late: Case | None = None

    @property
    def d1(self) -> Any:
        return self.w.regions["d1"]

    @property
    def d2(self) -> Any:
        return self.w.regions["d2"]

    @property
    def d1_market(self) -> Any:
        return self.w.departments["d1_market"]

    @property
    def d2_market(self) -> Any:
        return self.w.departments["d2_market"]


class _Builder:
    def __init__(self, d: Dash, latest: dt.datetime) -> None:
        self.d = d
        self.latest = latest  # nothing happens after this moment

    def travel(self, day: dt.date, hour: int = 10) -> Any:
        when = min(at(day, hour), self.latest)
        return time_machine.travel(when, tick=False)

    def staff(self, district: str) -> tuple[Any, Any, Any, ServiceItem]:
        """(clerk, reviewer, head, item) of a district's market regulator."""
        w = self.d.w
        if district == "d1":
            return w.clerk, w.reviewer, w.head, w.item
        return w.other_clerk, w.other_reviewer, self.d.d2_head, self.d.item2

    def new_case(self, district: str) -> Case:
        w = self.d.w
        _clerk, _rev, _head, item = self.staff(district)
        case = case_services.case_create(
            actor=w.applicant_user, item=item, applicant=w.applicant,
            form_data={"shop_name": "湖滨小吃店", "category": "预包装食品"},
        )
        for m in case.materials.all():
            case_services.case_attach_material(
                actor=w.applicant_user, case=case, material_id=m.pk,
                upload=Upload(f"{m.name}.pdf", pdf_bytes(m.name)))
        case_services.case_submit(actor=w.applicant_user, case=case)
        case.refresh_from_db()
        return case

    def accepted(self, district: str, day: dt.date) -> Case:
        clerk = self.staff(district)[0]
        with self.travel(day, 9):
            case = self.new_case(district)
            for m in case.materials.all():
                case_services.case_check_material(actor=clerk, case=case, material_id=m.pk,
                                                  verdict=CaseMaterialStatus.VERIFIED)
            case_services.case_accept(actor=clerk, case=case)
        case.refresh_from_db()
        return case

    def decide(self, case: Case, district: str, day: dt.date, level: int | None) -> Case:
        clerk, reviewer, head, _item = self.staff(district)
        with self.travel(day, 15):
            review, decide = list(case.tasks.order_by("seq"))
            case_services.task_pass(actor=reviewer, task=review, opinion="符合条件")
            decide.refresh_from_db()
            case_services.task_decide(actor=head, task=decide, approve=True)
            case.refresh_from_db()
            case_services.case_deliver(actor=clerk, case=case, method=DeliveryMethod.ELECTRONIC)
            case.refresh_from_db()
            if level is not None:
                service = eval_services.rateable_case(actor=self.d.w.applicant_user,
                                                      case_no=case.case_no)
                eval_services.evaluation_submit(service=service, level=level, channel="pc",
                                                rater=self.d.w.applicant_user)
        return case


def build_city(w: World, make_staff: Any, *, today: dt.date,
               latest: dt.datetime | None = None) -> Dash:
    """The history described in this module's docstring, ending ``today``."""
    latest = latest or at(today, 9, 30)
    r, deps = w.regions, w.departments
    d = Dash(
        w=w, item2=make_item(deps, code="IMPL-0002", dep="d2_market"),
        city_supervisor=make_staff(Role.SUPERVISOR, r["city"], username="citysup"),
        d1_supervisor=make_staff(Role.SUPERVISOR, r["d1"], username="d1sup"),
        d2_supervisor=make_staff(Role.SUPERVISOR, r["d2"], username="d2sup"),
        d2_head=make_staff(Role.DEPARTMENT_HEAD, r["d2"], deps["d2_market"], username="d2head"),
        today=today,
    )
    # The items were published "today": let them have been in force all along.
    ItemVersion.objects.filter(item__in=[w.item, d.item2]).update(
        effective_from=dt.date(2020, 1, 1))
    b = _Builder(d, latest)
    first = today.replace(day=1)
    levels_d1 = [1, 2, 1, 3, 2]
    levels_d2 = [1, 4, 2, 1, 5]
    for k in range(1, 6):  # one case a month in each district, decided within the promise
        month = (first - dt.timedelta(days=28 * k)).replace(day=6)
        for district, levels in (("d1", levels_d1), ("d2", levels_d2)):
            start = workday(month)
            case = b.accepted(district, start)
            d.decided.append(b.decide(case, district, workday(start + dt.timedelta(days=5)),
                                      levels[k - 1]))
    # One decided late: 24 days after acceptance is past the 10-working-day promise.
    late_start = workday((first - dt.timedelta(days=60)).replace(day=3))
    d.late = b.decide(b.accepted("d1", late_start), "d1",
                      workday(late_start + dt.timedelta(days=24)), 3)
    # This month: one decided in each district (before today).
    for district in ("d1", "d2"):
        start = workday(today - dt.timedelta(days=8))
        d.decided.append(b.decide(b.accepted(district, start), district,
                                  workday(today - dt.timedelta(days=1)), 1))
    # Past its promised date, still in review: 超期.
    d.overdue = b.accepted("d1", workday(today - dt.timedelta(days=30)))
    # In progress, within the promise; one waiting at the window, received today.
    b.accepted("d1", workday(today - dt.timedelta(days=2)))
    b.accepted("d2", workday(today - dt.timedelta(days=3)))
    b.accepted("d2", workday(today - dt.timedelta(days=1)))
    with b.travel(today, 9):
        b.new_case("d1")
    with time_machine.travel(latest, tick=False):
        supervision_scan()
    return d


def refresh() -> None:
    stats_refresh(lag=dt.timedelta(0))


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dash(frozen: None, world: World, make_staff: Any) -> Dash:
    d = build_city(world, make_staff, today=NOW.date())
    refresh()
    return d


# --- browser ------------------------------------------------------------------------------------

CHROMIUM = os.environ.get("ONEWINDOW_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("ONEWINDOW_SHOTS", "/tmp/shots_dash"))  # noqa: S108 - screenshots


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


# ``browser``: the session's one Chromium (the project's conftest.py).


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
