"""A known data set for October 2026 in 东湖区 (d1), built row by row so that every figure can
be counted by hand (see test_compute.py for the expected numbers and their derivation).

Calendar facts used (2026 official schedule): Oct 1–7 National Day off, Sat Oct 10 worked
(调休), Sep 25 Mid-Autumn off.

Centre 东湖区政务服务中心 (d1) with windows
  W1 "A01" general (no department), W2 "B05" d1_market, W3 "B07" d1_health.
Staff: ``clerk`` (general, no department) signed in at W1 on Oct 12; ``clerk2`` (d1_health)
signed in at W3 on Oct 16 and Oct 21; ``chief`` (d1_market) never signed in: their cases fall
back to W2, the departmental window of the case's department in the accepting centre.

Cases (legal / promised limits in working days):
  A  d1_market  clerk@W1   acc Oct 12  decided Oct 15  completed Oct 16  due Oct 26  legal 20
  B  d1_market  clerk@W1   acc Oct 12  decided Oct 22  completed Oct 23  due Oct 20  legal 20
     stopped 2 days; a yellow card (Oct 19) and a red card (Oct 21) raised on it
  C  d1_market  chief→W2   acc Oct 14  decided on the spot (event), not an instant item,
                           completed Oct 14, due Oct 15, legal 5
  D  d1_market  chief→W2   acc Sep 28  decided Oct 13  completed Oct 13  due Oct 16  legal 20
  E  d1_health  clerk2@W3  acc Oct 16  decided Oct 19  completed Oct 20  due Oct 23  legal 10,
                           an instant item (即办件)
  H  d1_health  clerk2@W3  acc Oct 21, still in review
  F  d2_market  otherclerk acc Oct 13  completed Oct 15 (other district: city run only)
  G  d1_market  clerk@W1   acc Oct 30  completed Nov 2 (next month)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from onewindow.accounts.models import Role, StaffMember, User
from onewindow.cases.models import Case, CaseEvent, Channel
from onewindow.cases.tests.conftest import World
from onewindow.cases.tests.conftest import world as world  # noqa: F401 - fixture
from onewindow.cases.workflow import Action, CaseState, Decision
from onewindow.evaluation.models import Complaint, Evaluation
from onewindow.hall.models import ServiceCategory, Ticket, TicketState, WindowSession
from onewindow.regions.models import (
    CentreKind,
    Department,
    ServiceCentre,
    Window,
    WindowKind,
)
from onewindow.supervision.models import Alert, AlertKind, AlertState

TZ = ZoneInfo("Asia/Shanghai")
OCTOBER = dt.date(2026, 10, 1)
TODAY = dt.datetime(2026, 11, 10, 10, 0, tzinfo=TZ)
PASSWORD = "Correct-Horse-9"  # noqa: S105 - make_staff's test password


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _november(time_machine: Any) -> Any:
    time_machine.move_to(TODAY, tick=False)
    return time_machine


@dataclass
class Known:
    w: World
    centre: ServiceCentre
    w1: Window
    w2: Window
    w3: Window
    health: Department
    clerk: User
    clerk2: User
    chief: User
    admin: User  # 政管办 of d1 (assessment.manage)
    city_admin: User
    supervisor: User  # 监察室 of d1
    city_supervisor: User
    other_supervisor: User  # 监察室 of d2
    head: User  # head of d1_market
    health_head: User
    other_head: User  # head of d2_market
    cases: dict[str, Case]


_serial = {"n": 0}


def make_case(w: World, *, key: str, region: Any, department: Any, accepted_by: Any,
              accepted: dt.datetime, decided: dt.datetime | None = None,
              completed: dt.datetime | None = None, promised_due: dt.date | None = None,
              legal: int = 20, promised: int = 10, stopped: int = 0, instant: bool = False,
              centre: Any = None) -> Case:
    _serial["n"] += 1
    return Case.objects.create(
        case_no=f"ASSESS{_serial['n']:06d}{key}", query_code="123456", item=w.item,
        version=w.item.current_version, region=region, department=department, centre=centre,
        applicant=w.applicant, channel=Channel.WINDOW,
        state=CaseState.COMPLETED if completed else CaseState.IN_REVIEW,
        decision=Decision.APPROVED if decided else Decision.NONE, is_instant=instant,
        created_at=accepted - dt.timedelta(hours=1), submitted_at=accepted,
        accepted_at=accepted, accepted_on=accepted.date(), accepted_by=accepted_by,
        decided_at=decided, completed_at=completed, legal_limit_days=legal,
        promised_limit_days=promised, stopped_days=stopped, promised_due=promised_due,
        legal_due=promised_due,
    )


def session(window: Window, user: User, start: dt.datetime, end: dt.datetime) -> None:
    WindowSession.objects.create(window=window, user=user, day=start.date(), started_at=start,
                                 ended_at=end, status="closed")


def ticket(centre: ServiceCentre, category: ServiceCategory, window: Window, clerk: User,
           finished: dt.datetime) -> None:
    _serial["n"] += 1
    Ticket.objects.create(
        centre=centre, day=finished.date(), category=category, number=f"A{_serial['n']:03d}",
        source="kiosk", state=TicketState.SERVED, taken_at=finished - dt.timedelta(minutes=20),
        queue_at=finished - dt.timedelta(minutes=20), called_at=finished - dt.timedelta(minutes=9),
        serving_at=finished - dt.timedelta(minutes=8), finished_at=finished, window=window,
        clerk=clerk,
    )


def rating(*, ref: str, level: int, when: dt.datetime, region: Any, department: Any = None,
           window: Any = None, staff: Any = None, excluded: bool = False,
           kind: str = "ticket") -> None:
    Evaluation.objects.create(
        service_kind=kind, service_ref=ref, service_label=ref, region=region,
        department=department, window=window, staff=staff, level=level, channel="qr",
        created_at=when, excluded=excluded,
    )


def complaint(*, when: dt.datetime, region: Any, department: Any = None, window: Any = None,
              staff: Any = None, upheld: bool | None = None) -> None:
    Complaint.objects.create(
        channel="online", target_kind="window" if window else "staff", target_window=window,
        target_staff=staff, department=department, region=region, subject="投诉",
        content="内容", complainant_mobile="13905398888", created_at=when,
        due=when.date() + dt.timedelta(days=7), substantiated=upheld,
        state="answered" if upheld is not None else "received",
    )


def alert(case: Case, *, kind: str, level: int, when: dt.datetime,
          state: str = AlertState.OPEN) -> None:
    Alert.objects.create(key=f"{kind}:{case.pk}:{when:%d%H%M}", kind=kind, level=level,
                         case=case, region=case.region, department=case.department,
                         raised_at=when, state=state)


@pytest.fixture
def known(world: World, make_staff: Any) -> Known:
    r, d = world.regions, world.departments
    market = d["d1_market"]
    health = Department.objects.create(region=r["d1"], code="WJW", name="东湖区卫生健康局")
    centre = ServiceCentre.objects.create(region=r["d1"], kind=CentreKind.SERVICE_CENTRE,
                                          name="东湖区政务服务中心")
    w1 = Window.objects.create(centre=centre, number="A01", name="综合受理窗口",
                               kind=WindowKind.GENERAL)
    w2 = Window.objects.create(centre=centre, number="B05", name="市场监管窗口",
                               kind=WindowKind.DEPARTMENTAL, department=market)
    w3 = Window.objects.create(centre=centre, number="B07", name="卫生健康窗口",
                               kind=WindowKind.DEPARTMENTAL, department=health)
    category = ServiceCategory.objects.create(centre=centre, letter="A", name="综合受理")
    clerk, chief = world.clerk, world.chief
    clerk2 = make_staff(Role.CLERK, r["d1"], health, username="clerk2")

    session(w1, clerk, at(10, 12, 8, 30), at(10, 12, 17, 30))
    session(w3, clerk2, at(10, 16, 8, 30), at(10, 16, 17, 30))
    session(w3, clerk2, at(10, 21, 8, 30), at(10, 21, 17, 30))
    # The clerk at W2 on Oct 14 afternoon: the chief's morning case must not fall to the clerk.
    session(w2, clerk, at(10, 14, 13, 30), at(10, 14, 17, 30))

    cases = {
        "A": make_case(world, key="A", region=r["d1"], department=market, accepted_by=clerk,
                       accepted=at(10, 12, 10), decided=at(10, 15), completed=at(10, 16),
                       promised_due=dt.date(2026, 10, 26), centre=centre),
        "B": make_case(world, key="B", region=r["d1"], department=market, accepted_by=clerk,
                       accepted=at(10, 12, 11), decided=at(10, 22), completed=at(10, 23),
                       promised_due=dt.date(2026, 10, 20), stopped=2, centre=centre),
        "C": make_case(world, key="C", region=r["d1"], department=market, accepted_by=chief,
                       accepted=at(10, 14, 9, 30), decided=at(10, 14, 9, 40),
                       completed=at(10, 14, 9, 45), promised_due=dt.date(2026, 10, 15),
                       legal=5, promised=1, centre=centre),
        "D": make_case(world, key="D", region=r["d1"], department=market, accepted_by=chief,
                       accepted=at(9, 28), decided=at(10, 13), completed=at(10, 13, 16),
                       promised_due=dt.date(2026, 10, 16), centre=centre),
        "E": make_case(world, key="E", region=r["d1"], department=health, accepted_by=clerk2,
                       accepted=at(10, 16, 9), decided=at(10, 19), completed=at(10, 20),
                       promised_due=dt.date(2026, 10, 23), legal=10, promised=5,
                       instant=True, centre=centre),
        "H": make_case(world, key="H", region=r["d1"], department=health, accepted_by=clerk2,
                       accepted=at(10, 21, 9), promised_due=dt.date(2026, 11, 4),
                       centre=centre),
        "F": make_case(world, key="F", region=r["d2"], department=d["d2_market"],
                       accepted_by=world.other_clerk, accepted=at(10, 13), decided=at(10, 15),
                       completed=at(10, 15, 15), promised_due=dt.date(2026, 10, 27)),
        "G": make_case(world, key="G", region=r["d1"], department=market, accepted_by=clerk,
                       accepted=at(10, 30), decided=at(11, 2), completed=at(11, 2, 15),
                       promised_due=dt.date(2026, 11, 13), centre=centre),
    }
    CaseEvent.objects.create(case=cases["C"], seq=1, action=Action.DECIDE_ON_SPOT,
                             created_at=at(10, 14, 9, 40), hash="x" * 64)
    CaseEvent.objects.create(case=cases["A"], seq=1, action=Action.ACCEPT,
                             created_at=at(10, 12), hash="y" * 64)

    for day in (12, 13, 14):
        ticket(centre, category, w1, clerk, at(10, day, 15))
    ticket(centre, category, w2, chief, at(10, 15, 15))
    ticket(centre, category, w1, clerk, at(11, 2, 10))  # next month

    d1 = r["d1"]
    rating(ref="t1", level=1, when=at(10, 12, 16), region=d1, window=w1, staff=clerk)
    rating(ref="t2", level=2, when=at(10, 31, 23, 30), region=d1, window=w1, staff=clerk)
    rating(ref=cases["A"].case_no, kind="case", level=4, when=at(10, 17), region=d1,
           department=market, staff=clerk)
    rating(ref=cases["B"].case_no, kind="case", level=5, when=at(10, 24), region=d1,
           department=market, staff=clerk, excluded=True)  # upheld appeal: not counted
    rating(ref="t5", level=3, when=at(10, 15, 16), region=d1, department=market, window=w2,
           staff=chief)
    rating(ref="t6", level=1, when=at(10, 16, 11), region=d1, department=health, window=w3,
           staff=clerk2)
    rating(ref="t7", level=5, when=at(9, 30, 23, 59), region=d1, window=w1, staff=clerk)
    rating(ref="t8", level=5, when=at(11, 1, 0, 0), region=d1, window=w1, staff=clerk)

    clerk_profile = StaffMember.objects.get(user=clerk)
    complaint(when=at(10, 20), region=d1, department=market, window=w2, upheld=True)
    complaint(when=at(10, 21), region=d1, staff=clerk_profile, upheld=False)
    complaint(when=at(11, 1, 0, 0), region=d1, department=market, window=w2, upheld=True)

    alert(cases["B"], kind=AlertKind.YELLOW, level=2, when=at(10, 19, 0, 10))
    alert(cases["B"], kind=AlertKind.RED, level=3, when=at(10, 21, 0, 10))
    alert(cases["B"], kind=AlertKind.REMINDER, level=1, when=at(10, 16, 0, 10))
    alert(cases["A"], kind=AlertKind.RED, level=3, when=at(10, 28, 0, 10),
          state=AlertState.WITHDRAWN)

    return Known(
        w=world, centre=centre, w1=w1, w2=w2, w3=w3, health=health, clerk=clerk,
        clerk2=clerk2, chief=chief,
        admin=make_staff(Role.ADMIN, d1, username="admin_d1"),
        city_admin=make_staff(Role.ADMIN, r["city"], username="admin_city"),
        supervisor=make_staff(Role.SUPERVISOR, d1, username="sup_d1"),
        city_supervisor=make_staff(Role.SUPERVISOR, r["city"], username="sup_city"),
        other_supervisor=make_staff(Role.SUPERVISOR, r["d2"], username="sup_d2"),
        head=world.head,
        health_head=make_staff(Role.DEPARTMENT_HEAD, d1, health, username="head_health"),
        other_head=make_staff(Role.DEPARTMENT_HEAD, r["d2"], d["d2_market"],
                              username="head_d2"),
        cases=cases,
    )
