"""Fixtures of 联合踏勘 and 联席会议: a parallel-approval item led by the market bureau, with
fire safety and housing inspecting, ecology giving an opinion without inspecting, staff of every
side and an accepted case."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from onewindow.accounts.models import Role, User
from onewindow.cases.models import Case, ParallelParticipant, Task, TaskKind
from onewindow.cases.tests.conftest import World
from onewindow.cases.tests.conftest import world as world  # noqa: F401 - fixture
from onewindow.cases.workflow import TaskState
from onewindow.joint.models import InspectionNeed, JointSettings
from onewindow.regions.models import Department

TZ = timezone.get_default_timezone()
# A Tuesday morning, far from holidays: working days are easy to count.
MORNING = dt.datetime(2026, 11, 24, 9, 30, tzinfo=TZ)
THURSDAY = dt.datetime(2026, 11, 26, 9, 30, tzinfo=TZ)  # the inspection
FRIDAY = dt.datetime(2026, 11, 27, 10, 0, tzinfo=TZ)
PASSWORD = "Correct-Horse-9"  # noqa: S105 - make_staff's test password


@pytest.fixture(autouse=True)
def _morning(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller
    cache.clear()


@pytest.fixture
def travel(_morning: Any) -> Any:
    """``travel.move_to(datetime)``: the time every service reads."""
    return _morning


def png_bytes(colour: str = "black", size: int = 64) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(img).rectangle((8, 8, size // 2, size // 2), fill=colour)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def jpeg_bytes() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (96, 64), "#d9e6f2")
    ImageDraw.Draw(img).ellipse((10, 10, 60, 50), fill="#b71c1c")
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    return buf.getvalue()


@dataclass
class Joint:
    w: World
    fire: Department
    housing: Department
    ecology: Department  # a participant that does not inspect
    health: Department  # not involved in the item at all
    fire_reviewer: User
    fire_head: User
    housing_reviewer: User
    ecology_reviewer: User
    health_reviewer: User
    settings: JointSettings

    @property
    def lead(self) -> User:
        return self.w.reviewer  # works on the first step (审查) of the market bureau

    def case(self) -> Case:
        return self.w.accepted_case()

    def lead_task(self, case: Case) -> Task:
        return Task.objects.get(case=case, kind=TaskKind.STEP, state=TaskState.ACTIVE)


@pytest.fixture
def jw(world: World, make_staff: Any) -> Joint:  # noqa: F811 - the cases fixture
    d1 = world.regions["d1"]
    fire = Department.objects.create(region=d1, code="XF", name="东湖区消防救援大队")
    housing = Department.objects.create(region=d1, code="ZJ", name="东湖区住房和城乡建设局")
    ecology = Department.objects.create(region=d1, code="HB", name="东湖区生态环境分局")
    health = Department.objects.create(region=d1, code="WJ", name="东湖区卫生健康局")
    p_fire = ParallelParticipant.objects.create(item=world.item, department=fire, sort_order=1,
                                                subject="消防安全检查", limit_days=5)
    p_housing = ParallelParticipant.objects.create(item=world.item, department=housing,
                                                   sort_order=2, subject="建筑安全意见",
                                                   limit_days=5)
    ParallelParticipant.objects.create(item=world.item, department=ecology, sort_order=3,
                                       subject="环境影响意见", limit_days=5)
    InspectionNeed.objects.create(participant=p_fire, note="消防设施与疏散通道")
    InspectionNeed.objects.create(participant=p_housing)
    settings = JointSettings.objects.create(item=world.item, needs_inspection=True,
                                            inspection_stops_clock=True, needs_meeting=True)
    return Joint(
        w=world, fire=fire, housing=housing, ecology=ecology, health=health,
        fire_reviewer=make_staff(Role.REVIEWER, d1, fire, username="fire_reviewer"),
        fire_head=make_staff(Role.DEPARTMENT_HEAD, d1, fire, username="fire_head"),
        housing_reviewer=make_staff(Role.REVIEWER, d1, housing, username="housing_reviewer"),
        ecology_reviewer=make_staff(Role.REVIEWER, d1, ecology, username="eco_reviewer"),
        health_reviewer=make_staff(Role.REVIEWER, d1, health, username="health_reviewer"),
        settings=settings,
    )
