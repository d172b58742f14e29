"""Demo data of 代办服务 (call after the cases demo): the published lists of 荷花湾村, 东湖镇 and
东湖区, and three proxy cases of the village agent 韩春梅 (``agent_hehuawan``) at different steps,
made through the same services an agent uses (codes read from the outbox, as the villager
would read them out):

1. the last working day: consented by SMS code, materials received, application submitted;
2. two working days ago: consented before a witness, applied, materials delivered to the centre;
3. a week ago: applied, decided at the centre, result collected and handed over (confirmed by
   the villager's code).
"""

from __future__ import annotations

import datetime as dt
import random
import re

from django.db import transaction
from django.utils import timezone

from onewindow.accounts import services as account_services
from onewindow.accounts.models import Applicant, ApplicantKind, RoleAssignment, User
from onewindow.cases import services as case_services
from onewindow.cases.demo import form_data_for
from onewindow.cases.models import Case, CaseMaterialStatus, DeliveryMethod
from onewindow.cases.workflow import CaseState
from onewindow.catalog.models import Authorisation, ServiceItem, VersionStatus
from onewindow.core import clock
from onewindow.core.identity import make_id_number
from onewindow.notifications.models import Notification
from onewindow.proxy import selectors, services
from onewindow.proxy.models import ProxyConsent, ProxyItem
from onewindow.proxy.workflow import Step
from onewindow.regions.models import Region
from onewindow.workdays.selectors import get_calendar

AGENT = "agent_hehuawan"
VILLAGE = "379902100203"
# (region code, item name, full proxy, note)
LISTS = [
    (VILLAGE, "城乡居民基本养老保险参保登记", True,
     "村便民服务站代办，材料由代办员送镇便民服务中心"),
    ("379902100000", "老年人优待证办理", True, "代办员代交照片和身份证复印件，证件送到家"),
    ("379902100000", "临时救助", True, ""),
    ("379902100000", "农村宅基地用地审批", False, "四邻意见确认时需本人到场签字"),
    ("379902000000", "个体工商户设立登记", True, "经营者身份证原件由代办员当面核对后复印"),
    ("379902000000", "城乡居民基本医疗保险参保登记", True, ""),
    ("379902000000", "社会保障卡申领", True, "需提供近期白底证件照"),
    ("379902000000", "最低生活保障审核确认", True, ""),
    ("379902000000", "残疾人证核发", False, "残疾评定时需本人到指定医院"),
]
VILLAGERS = [
    ("韩桂芝", "13905391201", "37010219520314042"),
    ("周德福", "13905391202", "37010219580822051"),
    ("孙秀兰", "13905391203", "37010219650109062"),
]


def _at(days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment ``days_ago`` working days before the last working day before today (0: that
    day) — every moment lies in the past, whatever the time of day the demo is loaded."""
    tz = timezone.get_current_timezone()
    cal = get_calendar()
    last = clock.today() - dt.timedelta(days=1)
    while not cal.is_workday(last):
        last -= dt.timedelta(days=1)
    day = cal.add_workdays(last, -days_ago).date if days_ago else last
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def _code(mobile: str) -> str:
    """What the villager reads out: the code of the latest SMS to ``mobile``."""
    for body in Notification.objects.filter(phone=mobile, channel="sms").order_by(
            "-id").values_list("body", flat=True)[:5]:
        m = re.search(r"验证码(\d{6})", body)
        if m:
            return m.group(1)
    raise RuntimeError("no code SMS in the outbox")


def _lists(admin: User) -> int:
    made = 0
    regions = {r.code: r for r in Region.objects.filter(code__in={c for c, *_r in LISTS})}
    for n, (code, name, full, note) in enumerate(LISTS):
        region = regions.get(code)
        item = (ServiceItem.objects.filter(region=region, basic__name=name,
                                           current_version__status=VersionStatus.PUBLISHED)
                .select_related("region").first() if region else None)
        if item is None or ProxyItem.objects.filter(item=item, region=region).exists():
            continue
        assert region is not None
        row = services.proxy_item_save(actor=admin, item=item, region=region, full_proxy=full,
                                       note=note, sort_order=n)
        services.proxy_item_publish(actor=admin, row=row)
        made += 1
    return made


def _villager(agent: User, region: Region, name: str, mobile: str, body: str) -> Applicant:
    found = Applicant.objects.filter(mobile=mobile, kind=ApplicantKind.PERSON).first()
    if found is not None:
        return found
    return account_services.applicant_register(
        actor=agent, kind=ApplicantKind.PERSON, name=name, mobile=mobile,
        id_number=make_id_number(body), region=region)


def _by_sms(agent: User, villager: Applicant) -> ProxyConsent:
    consent = services.consent_send_code(actor=agent, villager=villager, mobile=villager.mobile)
    return services.consent_confirm_code(actor=agent, consent=consent,
                                         code=_code(villager.mobile))


def _apply(agent: User, consent: ProxyConsent, row: ProxyItem, rng: random.Random) -> Case:
    item = row.item
    version = item.current_version
    assert version is not None
    form = form_data_for(item, version, consent.villager, on=clock.today(), rng=rng)
    paper = [{"name": m.name, "copies": 1 if m.required else rng.choice([0, 1, 2])}
             for m in version.materials.all()]
    return services.proxy_apply(actor=agent, consent=consent, proxy_item=row, form_data=form,
                                materials=paper, note="")


def _counter_staff(case: Case) -> User | None:
    """A window clerk (or chief) whose grant covers the case."""
    for ra in (RoleAssignment.objects.filter(is_active=True, role__in=["clerk", "chief"])
               .select_related("user", "region").order_by("role", "id")):
        if case.region.prefix.startswith(ra.region.prefix) and ra.department_id in (
                None, case.department_id):
            return ra.user
    return None


def _authorised_chief(item: ServiceItem) -> User | None:
    today = clock.today()
    auth = (Authorisation.objects.filter(items=item, revoked_at__isnull=True,
                                         valid_from__lte=today, valid_to__gte=today)
            .select_related("holder").first())
    return auth.holder if auth else None


def _finish_at_centre(case: Case, clerk: User) -> None:
    """The centre checks the originals and decides: on the spot when a chief representative is
    authorised for the (instant) item, otherwise it refuses with reasons (the demo has no
    reviewer for every village department)."""
    chief = _authorised_chief(case.item) if case.is_instant else None
    if chief is not None:
        for m in case.materials.all():
            if m.required:
                case_services.case_check_material(actor=chief, case=case, material_id=m.pk,
                                                  verdict=CaseMaterialStatus.VERIFIED)
        case_services.case_decide_on_spot(actor=chief, case=case, approve=True,
                                          opinion="材料齐全，符合条件，当场办结")
        case.refresh_from_db()
        if case.state == CaseState.DECIDED:  # handed out at the window to the agent
            case_services.case_deliver(actor=chief, case=case, method=DeliveryMethod.WINDOW,
                                       identity_checked=True)
        return
    case_services.case_refuse(actor=clerk, case=case,
                              reason="经核实，申请人已按月领取城镇职工基本养老金，不符合参保条件",
                              refer_to="")


def load_demo_proxy(*, seed: int = 20261124) -> str:
    agent = User.objects.filter(username=AGENT).first()
    village = Region.objects.filter(code=VILLAGE).first()
    admin = (RoleAssignment.objects.filter(role="admin", region__code="379902000000")
             .select_related("user").first())
    if agent is None or village is None or admin is None:
        return "代办：演示数据缺少代办员或区划，已跳过"
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    with transaction.atomic():
        listed = _lists(admin.user)
        rows = selectors.items_for_agent(agent, village)
        if not rows:
            return f"代办清单 {listed} 项；代办员无可代办事项"
        by_name = {r.item.basic.name: r for r in rows}
        fallback = by_name.get("城乡居民基本养老保险参保登记", rows[0])
        people = [_villager(agent, village, *v) for v in VILLAGERS]

        # 3. A week ago: applied, decided, collected and handed over.
        row = by_name.get("个体工商户设立登记", fallback)
        with clock.travel(_at(6, 9, 20)):
            consent = _by_sms(agent, people[0])
            case = _apply(agent, consent, row, rng)
        with clock.travel(_at(5, 10, 5)):
            services.proxy_step_record(actor=agent, consent=consent, step=Step.DELIVERED,
                                       note="送东湖区政务服务中心综合窗口")
        clerk = _counter_staff(case)
        if clerk is not None:
            with clock.travel(_at(5, 14, 30)):
                _finish_at_centre(case, clerk)
            with clock.travel(_at(2, 15, 10)):
                services.proxy_step_record(actor=agent, consent=consent, step=Step.COLLECTED,
                                           note="领取办理结果")
            with clock.travel(_at(1, 16, 0)):
                services.handover_code_send(actor=agent, consent=consent)
                services.proxy_hand_over(actor=agent, consent=consent, method="sms",
                                         code=_code(people[0].mobile), note="送到家中")

        # 2. Two working days ago: consented before a witness, applied, delivered.
        row = by_name.get("临时救助", fallback)
        with clock.travel(_at(2, 9, 40)):
            consent = services.consent_record_witness(
                actor=agent, villager=people[1], witness_name="李建军",
                witness_relation="荷花湾村委会委员")
            _apply(agent, consent, row, rng)
        with clock.travel(_at(1, 9, 15)):
            services.proxy_step_record(actor=agent, consent=consent, step=Step.DELIVERED,
                                       note="送东湖镇便民服务中心")

        # 1. Today: consented by SMS code, materials received, application submitted.
        row = by_name.get("老年人优待证办理", fallback)
        with clock.travel(_at(0, 9, 45)):
            consent = _by_sms(agent, people[2])
            _apply(agent, consent, row, rng)
    return f"代办清单 {listed} 项，代办件 3 件（{agent.display_name}，{village.name}）"
