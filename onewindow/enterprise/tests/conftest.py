"""Fixtures of 一企一档 and 企忧档案: two districts, companies on file, staff of every side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from onewindow.accounts.models import Applicant, ApplicantKind, Role, User
from onewindow.core.identity import make_credit_code
from onewindow.enterprise import services
from onewindow.enterprise.models import Concern, EnterpriseFile
from onewindow.regions.models import Department

# A Tuesday morning, far from holidays: due dates are easy to state.
MORNING = dt.datetime(2026, 11, 24, 9, 30, tzinfo=timezone.get_default_timezone())
PASSWORD = "Correct-Horse-9"  # noqa: S105 - make_staff's test password


@pytest.fixture(autouse=True)
def _morning() -> Any:
    cache.clear()
    with time_machine.travel(MORNING, tick=True):
        yield
    cache.clear()


def company(name: str, body: str) -> Applicant:
    return Applicant.objects.create(
        kind=ApplicantKind.ORGANISATION, name=name, credit_code=make_credit_code(body),
        legal_representative="王建国", mobile="13905391001",
    )


@dataclass
class Ent:
    regions: dict[str, Any]
    departments: dict[str, Any]
    d1_health: Department
    admin: User  # 东湖区营商环境（政管办）: enterprise.manage over d1
    city_admin: User
    other_admin: User  # 西岭区 (d2)
    head: User  # head of d1_market (liaison of company A)
    reviewer: User  # reviewer of d1_market
    health_reviewer: User  # reviewer of d1_health (a department a concern is assigned to)
    other_head: User  # head of d2_market
    agent: User  # village agent of t1: eligible as secretary, nothing by itself
    clerk: User  # window clerk of d1: no enterprise duty
    supervisor: User  # supervision office of d1: figures only (stats.view)
    company_a: Applicant
    company_b: Applicant
    company_c: Applicant  # not on file
    file_a: EnterpriseFile  # company A in d1, key company with the green channel
    file_b: EnterpriseFile  # company B in d2

    def concern(self, *, actor: Any = None, file: EnterpriseFile | None = None,
                assign_to: Department | None = None, **kw: Any) -> Concern:
        return services.concern_raise(
            actor=actor or self.head, file=file or self.file_a,
            description=kw.pop("description", "厂区道路未硬化，雨天货车无法进出"),
            category=kw.pop("category", "infrastructure"), assign_to=assign_to, **kw)


@pytest.fixture
def ent(regions: dict[str, Any], departments: dict[str, Any], make_staff: Any) -> Ent:
    r, d = regions, departments
    d1_health = Department.objects.create(region=r["d1"], code="WJW", name="东湖区卫生健康局")
    admin = make_staff(Role.ADMIN, r["d1"], username="entadmin")
    a = company("云溪市东湖精密机械有限公司", "91379902MA3D1A2B3")
    b = company("西岭新材料科技有限公司", "91379903MA3E5F6G7")
    c = company("湖滨物流有限公司", "91379902MA3H8J9K1")
    file_a = services.enterprise_file_open(
        actor=admin, company=a, region=r["d1"], is_key=True, green_channel=True,
        industry="装备制造", contact_name="李秀英", contact_phone="13905391002",
        liaison_departments=[d["d1_market"]])
    other_admin = make_staff(Role.ADMIN, r["d2"], username="otheradmin")
    file_b = services.enterprise_file_open(actor=other_admin, company=b, region=r["d2"],
                                           liaison_departments=[d["d2_market"]])
    return Ent(
        regions=r, departments=d, d1_health=d1_health, admin=admin,
        city_admin=make_staff(Role.ADMIN, r["city"], username="cityadmin"),
        other_admin=other_admin,
        head=make_staff(Role.DEPARTMENT_HEAD, r["d1"], d["d1_market"], username="enthead"),
        reviewer=make_staff(Role.REVIEWER, r["d1"], d["d1_market"], username="entreviewer"),
        health_reviewer=make_staff(Role.REVIEWER, r["d1"], d1_health, username="health"),
        other_head=make_staff(Role.DEPARTMENT_HEAD, r["d2"], d["d2_market"],
                              username="otherhead"),
        agent=make_staff(Role.AGENT, r["t1"], username="entagent"),
        clerk=make_staff(Role.CLERK, r["d1"], username="entclerk"),
        supervisor=make_staff(Role.SUPERVISOR, r["d1"], username="entsupervisor"),
        company_a=a, company_b=b, company_c=c, file_a=file_a, file_b=file_b,
    )
