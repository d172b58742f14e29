"""Fixtures of 代办服务: a village (v1) with its agent and its own list, a neighbouring village
(v2) with another agent, the town (t1) and district (d1) above with their lists, supervisors at
each level, a clerk and the village department's reviewer to decide cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import timezone

from onewindow.accounts.models import Applicant, ApplicantKind, Role, User
from onewindow.cases import services as case_services
from onewindow.cases.models import Case, CaseMaterialStatus
from onewindow.catalog.models import ServiceItem
from onewindow.catalog.tests.test_services import basic_data, make_item
from onewindow.notifications.models import Notification
from onewindow.regions.models import Department, Region, RegionLevel

# Until the project's settings name the app, these tests need ``--ds=onewindow.proxy.tests.
# settings``; without it they are not collected (instead of failing the suite's collection).
if "onewindow.proxy" not in django_settings.INSTALLED_APPS:
    collect_ignore_glob = ["test_*.py"]

# A Tuesday morning, far from holidays: due dates are easy to state.
MORNING = dt.datetime(2026, 11, 24, 9, 30, tzinfo=timezone.get_default_timezone())
PASSWORD = "Correct-Horse-9"  # noqa: S105 - make_staff's test password
VILLAGER_MOBILE = "13905391088"
VILLAGER_ID = "11010519491231002X"

PENSION_FORM = [
    {"name": "applicant_name", "label": "姓名", "type": "text", "required": True},
    {"name": "id_number", "label": "公民身份号码", "type": "id_number", "required": True},
    {"name": "mobile", "label": "联系电话", "type": "phone", "required": True},
    {"name": "grade", "label": "缴费档次", "type": "select", "required": True,
     "choices": ["200元", "500元", "1000元"]},
]
PENSION_MATERIALS = [
    {"name": "居民身份证", "issuing_body": "公安机关", "requirements": "原件", "form": "paper",
     "original_count": 1, "copy_count": 1, "required": True, "tolerable": False, "source": "1",
     "acceptance_standard": "有效期内"},
    {"name": "户口簿", "issuing_body": "公安机关", "requirements": "原件", "form": "paper",
     "original_count": 1, "copy_count": 1, "required": True, "tolerable": False, "source": "1",
     "acceptance_standard": ""},
    {"name": "银行卡复印件", "issuing_body": "", "requirements": "", "form": "paper",
     "original_count": 0, "copy_count": 1, "required": False, "tolerable": False,
     "source": "1", "acceptance_standard": ""},
]
PENSION_FORM_DATA = {"applicant_name": "李桂兰", "id_number": VILLAGER_ID,
                     "mobile": VILLAGER_MOBILE, "grade": "500元"}
PAPER = [{"name": "居民身份证", "copies": 1}, {"name": "户口簿", "copies": 1},
         {"name": "银行卡复印件", "copies": 2}]


@pytest.fixture(autouse=True)
def _morning() -> Any:
    cache.clear()
    with time_machine.travel(MORNING, tick=False):
        yield
    cache.clear()


def sms_to(mobile: str) -> list[str]:
    """The SMS bodies in the outbox for ``mobile``, oldest first."""
    return list(Notification.objects.filter(phone=mobile, channel="sms")
                .order_by("created_at", "id").values_list("body", flat=True))


def last_code(mobile: str) -> str:
    """The 6-digit code of the latest code SMS to ``mobile`` (what the villager reads out)."""
    import re

    for body in reversed(sms_to(mobile)):
        m = re.search(r"验证码(\d{6})", body)
        if m:
            return m.group(1)
    raise AssertionError("no code SMS")


@dataclass
class PW:
    regions: dict[str, Any]
    departments: dict[str, Any]
    v2: Region
    village_item: ServiceItem  # exercised by 湖滨社区 (v1) itself
    district_item: ServiceItem  # exercised by 东湖区 (d1)
    other_district_item: ServiceItem  # exercised by 西岭区 (d2): never on v1's lists
    lists: dict[str, Any]
    villager: Applicant
    villager_user: User  # an applicant with an account of their own
    agent: User  # 湖滨社区 (v1)
    other_agent: User  # 望湖社区 (v2), same town
    town_agent: User  # 湖滨街道 (t1)
    town_supervisor: User
    district_supervisor: User
    other_supervisor: User  # 西岭区 (d2)
    district_admin: User  # publishes d1's catalogue and lists
    clerk: User  # window clerk of 东湖区 (d1): accepts v1's cases too
    reviewer: User  # reviewer of the village's department
    extra: dict[str, Any] = field(default_factory=dict)

    def consent(self, *, agent: User | None = None, villager: Applicant | None = None) -> Any:
        """A consent confirmed by SMS code, the way the agent does it."""
        from onewindow.proxy import services

        villager = villager or self.villager
        consent = services.consent_send_code(actor=agent or self.agent, villager=villager,
                                             mobile=villager.mobile)
        return services.consent_confirm_code(actor=agent or self.agent, consent=consent,
                                             code=last_code(villager.mobile))

    def applied(self, **kw: Any) -> Any:
        from onewindow.proxy import services

        consent = self.consent()
        services.proxy_apply(actor=self.agent, consent=consent, proxy_item=self.lists["v1"],
                             form_data=dict(PENSION_FORM_DATA), materials=PAPER, **kw)
        consent.refresh_from_db()
        return consent

    def decide(self, case: Case, *, approve: bool = True) -> Case:
        """The centre verifies the originals, accepts and decides the case."""
        for m in case.materials.all():
            if m.required:
                case_services.case_check_material(actor=self.clerk, case=case, material_id=m.pk,
                                                  verdict=CaseMaterialStatus.VERIFIED)
        case_services.case_accept(actor=self.clerk, case=case)
        task = case.tasks.get(state="active")
        case_services.task_decide(actor=self.reviewer, task=task, approve=approve,
                                  reason="" if approve else "不符合参保条件")
        case.refresh_from_db()
        return case


@pytest.fixture
def pw(regions: dict[str, Any], departments: dict[str, Any], make_staff: Any) -> PW:
    from onewindow.proxy.models import ProxyItem

    r = regions
    v2 = Region.objects.create(code="379902001002", name="望湖社区", level=RegionLevel.VILLAGE,
                               parent=r["t1"])
    cwh = Department.objects.create(region=r["v1"], code="CWH", name="湖滨社区居民委员会",
                                    short_name="湖滨社区居委会")
    deps = {**departments, "v1_cwh": cwh}
    village_item = make_item(
        deps, code="V1-PENSION-01", dep="v1_cwh",
        basic=basic_data(basic_code="B0300", name="城乡居民基本养老保险参保登记",
                         item_type="20", legal_basis="《社会保险法》第二十条", legal_limit=5),
        exercising_level="6", case_type="2", promised_limit=1, online=False,
        content="城乡居民养老保险参保登记", result_name="参保登记回执", result_type="其他",
        audiences=["1"], person_themes=["elderly"], org_themes=[],
        form_schema=PENSION_FORM, materials=PENSION_MATERIALS,
    )
    district_item = make_item(departments, code="D1-FOOD-01")
    other_item = make_item(departments, code="D2-FOOD-01", dep="d2_market")
    lists = {
        "v1": ProxyItem.objects.create(item=village_item, region=r["v1"], published=True,
                                       published_at=MORNING, note="村便民服务站代办"),
        "d1": ProxyItem.objects.create(item=district_item, region=r["d1"], published=True,
                                       published_at=MORNING, full_proxy=False,
                                       note="现场核查时需本人在场"),
        "t1_draft": ProxyItem.objects.create(item=district_item, region=r["t1"],
                                             published=False),
    }
    villager_user = User.objects.create_user(username="m13905391077", phone="13905391077")
    return PW(
        regions=r, departments=deps, v2=v2, village_item=village_item,
        district_item=district_item, other_district_item=other_item, lists=lists,
        villager=Applicant.objects.create(kind=ApplicantKind.PERSON, name="李桂兰",
                                          id_number=VILLAGER_ID, mobile=VILLAGER_MOBILE),
        villager_user=villager_user,
        agent=make_staff(Role.AGENT, r["v1"], username="agent_v1"),
        other_agent=make_staff(Role.AGENT, v2, username="agent_v2"),
        town_agent=make_staff(Role.AGENT, r["t1"], username="agent_t1"),
        town_supervisor=make_staff(Role.SUPERVISOR, r["t1"], username="sup_t1"),
        district_supervisor=make_staff(Role.SUPERVISOR, r["d1"], username="sup_d1"),
        other_supervisor=make_staff(Role.SUPERVISOR, r["d2"], username="sup_d2"),
        district_admin=make_staff(Role.ADMIN, r["d1"], username="admin_d1"),
        clerk=make_staff(Role.CLERK, r["d1"], username="clerk_d1"),
        reviewer=make_staff(Role.REVIEWER, r["v1"], cwh, username="reviewer_v1"),
    )
