"""Demo cases (演示办件) for the demo city 云溪市: a few hundred cases in every state.

:func:`load_demo_cases` runs after the demo's regions, staff, catalogue and applicants exist
(``onewindow demo``). Every case is made and moved **only through the services** in
:mod:`onewindow.cases.services`, by the demo's real staff accounts (looked up by role in the
case's department and region), with :func:`onewindow.core.clock.travel` setting the time of each
call: the history spreads over the last four months, on working days and in office hours, and
every event is hash-chained exactly as in production. At the end the days are anchored
(:func:`onewindow.cases.audit.anchor_days`).

The mix: drafts; online submissions waiting at the window, some after a supplement; cases
waiting for the applicant to supplement (一次性告知); cases in review — on time, due within a
day (黄牌), overdue (红牌), accepted with a tolerated material still owed (容缺受理), extended,
returned, resumed after a special procedure; cases suspended by a supplement request or a
special procedure (现场勘查、专家评审、听证 …); decided and waiting for delivery (approved or
denied); completed by each delivery method (窗口领取、邮寄、电子送达); instant items decided on
the spot by a chief representative within their authorisation (当场办结); refused and withdrawn.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.accounts.models import Applicant, ApplicantKind, Role, RoleAssignment, User
from onewindow.accounts.services import applicant_register
from onewindow.cases import audit, process, services
from onewindow.cases.models import (
    Case,
    CaseMaterial,
    CaseMaterialStatus,
    DeliveryMethod,
    ProcessStep,
    StopKind,
    Task,
)
from onewindow.cases.services import Upload
from onewindow.cases.workflow import CaseState, TaskState
from onewindow.catalog.codes import LimitUnit
from onewindow.catalog.models import Authorisation, ItemVersion, Material, ServiceItem
from onewindow.core import clock
from onewindow.core.identity import make_credit_code, make_id_number
from onewindow.regions.models import ServiceCentre
from onewindow.workdays.calendar import WorkCalendar
from onewindow.workdays.selectors import get_calendar

HISTORY_WORKDAYS = 82  # about four months of working days
MORNING = (dt.time(9, 0), dt.time(12, 0))
AFTERNOON = (dt.time(13, 30), dt.time(17, 30))


@dataclass
class DemoCasesResult:
    total: int = 0
    by_state: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        parts = [f"{CaseState(s).label} {n}" for s, n in sorted(
            self.by_state.items(), key=lambda kv: list(CaseState.values).index(kv[0]))]
        return f"{self.total} 件演示办件（" + "、".join(parts) + "）"


# --- realistic form data ------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯邓曹彭曾田"
GIVEN = ["建华", "秀英", "志强", "丽娟", "海燕", "国平", "红梅", "晓东", "玉兰", "春生", "文静",
         "俊杰", "雪梅", "立新", "桂芳", "宏伟", "淑珍", "子涵", "一鸣", "欣怡", "浩然", "思远",
         "佳琪", "明轩", "雨桐", "德明", "凤英", "永刚", "晓燕", "振华"]
ROADS = ["政通路", "湖滨路", "文昌街", "建设大道", "人民路", "青年路", "书院街", "望湖路",
         "柳岸路", "松岭大街", "石门路", "凤鸣路", "龙泉街", "清河大道", "白沙路", "云台路"]
SHOPS = ["湖畔小厨", "老街坊面馆", "晨光便利店", "康宁大药房", "清河茶社", "悦享烘焙坊",
         "云溪人家餐馆", "四季鲜果行", "松林书店", "望湖足浴", "星辰网咖", "福源粮油店"]
ORG_NAMES = [
    ("云溪市湖畔餐饮管理有限公司", "刘海燕"), ("云溪康宁大药房连锁有限公司", "陈国平"),
    ("云溪市望湖酒店有限公司", "赵立新"), ("东湖区悦享烘焙食品有限公司", "孙丽娟"),
    ("云溪市清河建筑工程有限公司", "周宏伟"), ("云溪市凤鸣养老服务中心", "吴淑珍"),
    ("西岭区星辰网络科技有限公司", "郑浩然"), ("云溪市龙泉农资有限公司", "冯德明"),
    ("云溪市松岭文化传媒有限公司", "韩思远"), ("云溪泰和医院有限公司", "宋振华"),
]
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

TEXT_VALUES: dict[str, list[str]] = {
    "area": ["云溪市东湖区", "云溪市全域", "东湖区、西岭区"],
    "crops": ["小麦、玉米", "水稻", "大豆、花生", "蔬菜种苗"],
    "destination": ["北京市海淀区", "上海市浦东新区", "广州市天河区", "杭州市西湖区"],
    "from_region": ["济南市历下区", "青岛市市南区", "临沂市兰山区"],
    "disposal_site": ["云溪市建筑垃圾消纳场（西岭区石门村）", "清河县再生资源处置中心"],
    "equipment_code": ["31103710020260815", "41203790220261102"],
    "industry": ["餐饮服务", "住宿服务", "美容美发", "商场超市"],
    "institution": ["云溪市人民医院", "东湖区中医院", "云溪泰和医院"],
    "employer": ["云溪市人民医院", "云溪市第一中学", "东湖区湖滨街道社区卫生服务中心"],
    "last_employer": ["云溪市东方纺织有限公司", "云溪市华美家具厂"],
    "contractor": ["云溪市清河建筑工程有限公司", "山东鲁建集团有限公司"],
    "transferee": ["云溪市丰收农业专业合作社", "龙泉镇桃园家庭农场"],
    "measuring_range": ["(0～600)kN", "(0.1～100)MPa", "(0～50)m"],
    "uncertainty": ["U=0.3%（k=2）", "0.5级", "MPE：±0.05%"],
    "scale": ["年产500吨", "日处理200吨", "床位120张"],
    "road_name": ["政通路（建设大道至人民路段）", "湖滨路东段"],
    "size": ["6×3", "10×4", "12×5"],
    "show_name": ["“云溪之夜”民乐音乐会", "湖畔草坪音乐节", "经典话剧《茶馆》"],
    "venue": ["云溪市大剧院", "东湖区文化馆剧场"],
    "venue_name": ["云溪湖畔KTV", "望湖会所", "星辰网咖"],
    "standard_name": ["压力表标准装置", "电子天平检定装置", "出租汽车计价器检定装置"],
    "species": ["杨树", "刺槐", "松树", "泡桐"],
    "subject": ["初中数学", "小学语文", "高中英语", "小学体育"],
    "school_name": ["云溪市博雅外国语学校", "云溪市启明艺术学校"],
    "project_name": ["东湖区湖滨花园二期", "云溪市第三实验小学教学楼", "西岭区物流园仓储中心"],
    "licence_no": ["379900123456", "379902654321"],
    "parcel_no": ["379902001001GB00012F00010001", "379903002003GB00123F00020011"],
    "qualification_no": ["202137110370902199001011234", "202237110370902198805052345"],
    "pharmacist_cert_no": ["37202008120345", "37202106150981"],
    "email": ["demo@example.cn"],
}
NUMBER_RANGES: dict[str, tuple[float, float, int]] = {
    "annual_volume": (5, 200, 1), "area_mu": (5, 300, 1), "area_sqm": (20, 600, 0),
    "audience_size": (200, 3000, 0), "beds": (10, 200, 0), "building_area": (200, 20000, 0),
    "capacity": (200, 2000, 0), "contract_price": (50, 5000, 0), "discharge_year": (2005, 2025, 0),
    "employees": (1, 60, 0), "floor_area": (300, 30000, 0), "floors": (1, 18, 0),
    "household_size": (1, 6, 0), "investment": (100, 20000, 0), "land_area": (500, 50000, 0),
    "manager_count": (1, 5, 0), "monthly_income": (800, 3000, 0), "period_days": (15, 180, 0),
    "price": (300000, 3000000, 0), "registered_capital": (10, 1000, 0), "rooms": (6, 30, 0),
    "staff_count": (1, 4, 0), "term_years": (3, 15, 0), "terminals": (40, 200, 0),
    "vehicles": (2, 30, 0), "volume_m3": (50, 5000, 0),
}
# (name field, ID field) pairs that describe the applicant themself, in order of preference.
OWN_FIELDS = [
    ("applicant_name", "id_number"), ("legal_rep_name", "legal_rep_id"),
    ("male_name", "male_id"), ("husband_name", "husband_id"), ("mother_name", "mother_id"),
    ("seller_name", "seller_id"), ("buyer_name", "buyer_id"), ("female_name", "female_id"),
    ("wife_name", "wife_id"),
]
TEXTAREA_VALUES: dict[str, str] = {
    "business_scope": "餐饮服务；食品销售（仅销售预包装食品）；小食杂。",
    "business_items": "预包装食品（含冷藏冷冻食品）销售；热食类食品制售。",
    "subjects": "内科；外科；全科医疗科；医学检验科；医学影像科。",
    "varieties": "小麦：济麦22、烟农1212；玉米：郑单958。",
    "description": "家庭成员因病致贫，主要劳动力住院治疗，家庭收入无法维持基本生活。",
    "facts": "申请人与用人单位因拖欠工资发生劳动争议，经协商未果，需法律援助。",
    "accident_desc": "申请人在车间操作设备时右手受伤，经云溪市人民医院诊断为右手骨折。",
    "info_description": "请提供本区2026年老旧小区改造项目的资金安排和实施计划。",
    "reason": "因经营需要申请办理，申请材料真实有效，愿意承担相应法律责任。",
}


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _id_number(rng: random.Random, *, born: dt.date | None = None) -> str:
    born = born or dt.date(rng.randint(1960, 2002), rng.randint(1, 12), rng.randint(1, 28))
    return make_id_number(f"{rng.choice(['379902', '379903', '379921', '379981'])}"
                          f"{born:%Y%m%d}{rng.randint(100, 999)}")


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


def _credit_code(rng: random.Random) -> str:
    tail = "".join(rng.choice(CREDIT_ALPHABET) for _ in range(7))
    return make_credit_code(f"91{rng.choice(['379900', '379902', '379903'])}MA{tail}")


def _address(rng: random.Random, item: ServiceItem) -> str:
    name = item.region.name
    place = name if name.startswith("云溪") or name.endswith("市") else f"云溪市{name}"
    return f"{place}{rng.choice(ROADS)}{rng.randint(1, 399)}号"


def form_data_for(item: ServiceItem, version: ItemVersion, applicant: Applicant, *,
                  on: dt.date, rng: random.Random) -> dict[str, Any]:
    """A complete application form for ``version.form_schema``, in the applicant's name."""
    person = applicant.kind == ApplicantKind.PERSON
    data: dict[str, Any] = {}
    names = {str(f.get("name")) for f in version.form_schema or []}
    own = next(((n, i) for n, i in OWN_FIELDS if n in names or i in names), ("", ""))
    for spec in version.form_schema or []:
        name, kind = str(spec.get("name")), spec.get("type", "text")
        label = str(spec.get("label", ""))
        value: Any
        if kind == "select":
            value = rng.choice(spec.get("choices") or [""])
        elif kind == "boolean":
            value = rng.random() < 0.5
        elif kind == "phone":
            value = applicant.mobile
        elif kind == "credit_code":
            value = applicant.credit_code if not person else _credit_code(rng)
        elif kind == "id_number":
            value = applicant.id_number if person and name == own[1] else _id_number(rng)
        elif person and name == own[0]:
            value = applicant.name
        elif kind == "number":
            lo, hi, digits = NUMBER_RANGES.get(name, (1, 100, 0))
            number = rng.uniform(lo, hi)
            value = f"{number:.{digits}f}"
        elif kind == "date":
            value = _date_for(name, item, on, rng).isoformat()
        elif kind == "textarea":
            value = TEXTAREA_VALUES.get(name, f"{label}：按申请人实际情况填写，内容真实有效。")
        else:
            value = _text_for(name, label, item, applicant, rng)
        if isinstance(value, str) and spec.get("max_length"):
            value = value[: int(spec["max_length"])]
        data[name] = value
    return data


def _date_for(name: str, item: ServiceItem, on: dt.date, rng: random.Random) -> dt.date:
    if name == "birth_date":
        if any(word in item.basic.name for word in ("出生", "生育")):
            return on - dt.timedelta(days=rng.randint(3, 60))
        if "首次申领" in item.basic.name:
            return dt.date(on.year - 16, rng.randint(1, 12), rng.randint(1, 28))
        return dt.date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
    if name in ("separation_date", "accident_date"):
        return on - dt.timedelta(days=rng.randint(5, 60))
    if name == "end_date":
        return on + dt.timedelta(days=rng.randint(90, 400))
    return on + dt.timedelta(days=rng.randint(3, 30))  # booking, exam, show, start


def _text_for(name: str, label: str, item: ServiceItem, applicant: Applicant,
              rng: random.Random) -> str:
    person = applicant.kind == ApplicantKind.PERSON
    if name in TEXT_VALUES:
        return rng.choice(TEXT_VALUES[name])
    if name == "applicant_name":
        return applicant.name if person else applicant.legal_representative
    if name in ("org_name", "company_name"):
        if not person:
            return applicant.name
        return f"云溪市{rng.choice(SHOPS)[:4]}{rng.choice(['商贸', '餐饮', '科技'])}有限公司"
    if name == "legal_representative":
        return applicant.legal_representative or applicant.name
    if name in ("trade_name", "shop_name"):
        return f"东湖区{rng.choice(SHOPS)}"
    if name in ("bank_account", "bank_card"):
        return "6217" + "".join(str(rng.randint(0, 9)) for _ in range(15))
    if name == "baby_name":
        return rng.choice(SURNAMES) + rng.choice(["子涵", "一诺", "沐阳", "语桐", "梓萱"])
    if name.endswith("_name") or "姓名" in label:
        return _person_name(rng)
    if "地址" in label or "住所" in label or "场所" in label or "位置" in label or (
        "坐落" in label or "地点" in label
    ) or name.endswith(("address", "location", "premises")):
        return _address(rng, item)
    return f"{label}（详见申请材料）"


# --- materials: one small real PDF per material name ----------------------------------------------

_PDF_CACHE: dict[str, bytes] = {}


def material_pdf(name: str) -> bytes:
    """A one-page PDF titled with the material's name (Chinese, built-in CID font)."""
    cached = _PDF_CACHE.get(name)
    if cached is not None:
        return cached
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4)
    canvas.setTitle(name)
    canvas.setFont("STSong-Light", 16)
    canvas.drawString(72, 770, name[:40])
    canvas.setFont("STSong-Light", 10.5)
    canvas.drawString(72, 740, "云溪市一窗通 · 演示材料（扫描件）")
    canvas.rect(72, 420, 451, 290)
    canvas.drawString(90, 690, "本页为演示数据，内容不具有法律效力。")
    canvas.showPage()
    canvas.save()
    data = buf.getvalue()
    _PDF_CACHE[name] = data
    return data


# --- time: working days and office hours ------------------------------------------------------


def _office_moment(day: dt.date, rng: random.Random, *, latest: dt.time | None = None
                   ) -> dt.datetime:
    """A time on ``day`` when the window is open, early enough for a few more steps."""
    period = MORNING if rng.random() < 0.55 else AFTERNOON
    start = dt.datetime.combine(day, period[0])
    span = int((dt.datetime.combine(day, period[1]) - start).total_seconds() // 60) - 60
    minute = rng.randint(0, max(span, 1))
    moment = start + dt.timedelta(minutes=minute, seconds=rng.randint(0, 59))
    return timezone.make_aware(moment)


def _later(at: dt.datetime, minutes: int, cal: WorkCalendar) -> dt.datetime:
    """``minutes`` later in office hours (over lunch and closing time to the next period)."""
    moment = timezone.localtime(at) + dt.timedelta(minutes=minutes)
    local = moment.time()
    day = moment.date()
    if MORNING[1] <= local < AFTERNOON[0]:
        return timezone.make_aware(dt.datetime.combine(day, AFTERNOON[0])
                                   + dt.timedelta(minutes=minutes % 20))
    if local >= AFTERNOON[1] or local < MORNING[0]:
        nxt = cal.next_workday(day, include=False) if local >= AFTERNOON[1] else day
        return timezone.make_aware(dt.datetime.combine(nxt, MORNING[0])
                                   + dt.timedelta(minutes=5 + minutes % 20))
    return moment


# --- the builder ----------------------------------------------------------------------------------


@dataclass
class Ctx:
    """One case being built: its item, applicant, channel and the people who act on it."""

    item: ServiceItem
    version: ItemVersion
    applicant: Applicant
    channel: str
    clerk: User
    owner: User | None = None  # the applicant's account (online) or agent who applied
    case: Case | None = None
    on: dt.date = field(default_factory=dt.date.today)

    @property
    def c(self) -> Case:
        assert self.case is not None
        return self.case


Action = Callable[[Ctx], Any]


@dataclass
class Plan:
    """A scenario: steps as (working days after the previous step, action); one step is the
    anchor, placed ``anchor_ago`` working days before today."""

    steps: list[tuple[int, Action]]
    anchor: int = -1
    anchor_ago: int = 0


class Builder:
    def __init__(self, *, count: int, seed: int) -> None:
        self.count = count
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        self.cal = get_calendar()
        self.now = timezone.now()
        today = timezone.localdate(self.now)
        self.last_day = today if self.cal.is_workday(today) else self.cal.add_workdays(
            today, -1).date
        self.result = DemoCasesResult()

    # --- people and items ---

    def setup(self) -> None:
        grants = list(RoleAssignment.objects.filter(is_active=True)
                      .select_related("user", "region", "department"))
        self.clerks = [(g.region.prefix, g.user) for g in grants if g.role == Role.CLERK]
        self.agents = [(g.region.prefix, g.user) for g in grants if g.role == Role.AGENT]
        self.by_role: dict[tuple[int, str], list[User]] = {}
        for g in grants:
            if g.department_id is not None:
                self.by_role.setdefault((g.department_id, g.role), []).append(g.user)
        self.items = list(
            ServiceItem.objects.filter(current_version__status="published")
            .select_related("basic", "region", "department", "current_version")
            .order_by("implementation_code")
        )
        self.items = [i for i in self.items if any(c[0] and i.region.prefix.startswith(c[0])
                                                   for c in self.clerks)]
        self.materials: dict[int, list[Material]] = {}
        for m in Material.objects.filter(
            version_id__in=[i.current_version_id for i in self.items]
        ).order_by("sort_order", "id"):
            self.materials.setdefault(m.version_id, []).append(m)
        self._add_three_step_processes()
        self.reviewable = [i for i in self.items if self._staffed(i)]
        self.centres = {c.region_id: c.pk for c in ServiceCentre.objects.order_by("-id")}
        self._applicants()

    def _staff(self, department_id: int, role: str) -> list[User]:
        people = list(self.by_role.get((department_id, role), []))
        if role == Role.REVIEWER:
            people += self.by_role.get((department_id, Role.CHIEF), [])
        return people

    def _staffed(self, item: ServiceItem) -> bool:
        version = item.current_version
        assert version is not None
        return all(self._staff(s.department_id, s.role)
                   for s in process.steps_for(item, version))

    def _add_three_step_processes(self) -> None:
        """审查 → 审核 → 决定 for the most used items whose department has the staff for it."""
        have = set(ProcessStep.objects.values_list("item_id", flat=True))
        candidates = sorted(
            (i for i in self.items
             if i.pk not in have and i.current_version and i.current_version.promised_limit >= 3
             and self.by_role.get((i.department_id, Role.REVIEWER))
             and self.by_role.get((i.department_id, Role.DEPARTMENT_HEAD))),
            key=lambda i: (-i.popularity, i.implementation_code),
        )
        for item in candidates[:4]:
            assert item.current_version is not None
            promised = item.current_version.promised_limit
            first = max(1, round(promised * 0.4))
            second = max(1, round(promised * 0.3))
            ProcessStep.objects.bulk_create([
                ProcessStep(item=item, sort_order=1, name="审查", role=Role.REVIEWER,
                            limit_days=first),
                ProcessStep(item=item, sort_order=2, name="审核", role=Role.REVIEWER,
                            limit_days=second),
                ProcessStep(item=item, sort_order=3, name="决定", role=Role.DEPARTMENT_HEAD,
                            limit_days=max(1, promised - first - second)),
            ])

    def _applicants(self) -> None:
        """The demo's own applicants, plus residents and companies registered at the window
        (some with an account for applying online)."""
        rng = self.rng
        city_clerk = next(u for prefix, u in sorted(self.clerks, key=lambda c: len(c[0])))
        grant = RoleAssignment.objects.filter(user=city_clerk).select_related("region").first()
        assert grant is not None
        city = grant.region
        demo = list(Applicant.objects.filter(user__isnull=False).select_related("user"))
        self.online_persons = [a for a in demo if a.kind == ApplicantKind.PERSON]
        self.online_orgs = [a for a in demo if a.kind == ApplicantKind.ORGANISATION]
        self.demo_applicant_ids = {a.pk for a in demo}
        taken = set(Applicant.objects.values_list("name", flat=True))
        self.window_persons: list[Applicant] = []
        self.window_orgs: list[Applicant] = []
        for n in range(34):
            name = _person_name(rng)
            while name in taken:
                name = _person_name(rng)
            taken.add(name)
            mobile = f"1390539{2000 + n:04d}"
            link: User | None = None
            if n < 12:  # residents who apply online with their own account
                link = User.objects.create_user(username=f"m{mobile}", phone=mobile,
                                                display_name=name)
                link.set_unusable_password()
                link.save(update_fields=["password"])
            applicant = applicant_register(
                actor=city_clerk, kind=ApplicantKind.PERSON, name=name, mobile=mobile,
                id_number=_id_number(rng), region=city, link_user=link,
            )
            (self.online_persons if link else self.window_persons).append(applicant)
        owners = [a for a in self.online_persons if a.pk not in self.demo_applicant_ids][:5]
        for n, (name, rep) in enumerate(ORG_NAMES):
            if Applicant.objects.filter(name=name).exists():
                continue
            owner = owners[n % len(owners)] if n < 5 and owners else None
            applicant = applicant_register(
                actor=city_clerk, kind=ApplicantKind.ORGANISATION, name=name,
                mobile=owner.mobile if owner else f"1390539{3000 + n:04d}",
                credit_code=_credit_code(rng), legal_representative=rep, region=city,
                link_user=owner.user if owner else None,
            )
            (self.online_orgs if owner else self.window_orgs).append(applicant)

    # --- choosing who and what ---

    def _is_org_item(self, item: ServiceItem) -> bool:
        version = item.current_version
        assert version is not None
        return any(f.get("type") == "credit_code" for f in version.form_schema or [])

    def _clerk_for(self, item: ServiceItem) -> User:
        covering = [(p, u) for p, u in self.clerks if item.region.prefix.startswith(p)]
        covering.sort(key=lambda c: -len(c[0]))
        # Mostly the most local window; now and then the city's comprehensive window.
        return covering[0][1] if self.rng.random() < 0.75 else self.rng.choice(covering)[1]

    def _ctx(self, item: ServiceItem, *, channel: str | None = None) -> Ctx:
        rng = self.rng
        version = item.current_version
        assert version is not None
        org = self._is_org_item(item)
        if channel is None:
            r = rng.random()
            channel = "online" if r < 0.5 else ("window" if r < 0.92 else "agent")
        if channel == "online" and not version.online:
            channel = "window"
        if channel == "agent" and not [a for p, a in self.agents
                                       if item.region.prefix.startswith(p)]:
            channel = "window"
        owner: User | None = None
        if channel == "online":
            pool = self.online_orgs if org else self.online_persons
            # The demo's three residents (and their companies) apply most often.
            demo = [a for a in pool if a.pk in self.demo_applicant_ids]
            applicant = rng.choice(demo if demo and rng.random() < 0.25 else pool)
            owner = applicant.user
        else:
            pool = (self.window_orgs + self.online_orgs) if org else (
                self.window_persons + self.online_persons)
            # The demo's own applicants mostly apply online (their "my cases" stays readable).
            pool = [a for a in pool if a.pk not in self.demo_applicant_ids] or pool
            applicant = rng.choice(pool)
            if channel == "agent":
                owner = rng.choice([a for p, a in self.agents
                                    if item.region.prefix.startswith(p)])
        return Ctx(item=item, version=version, applicant=applicant, channel=channel,
                   clerk=self._clerk_for(item), owner=owner)

    def _pick_item(self, pool: list[ServiceItem],
                   test: Callable[[ServiceItem], bool] = lambda i: True) -> ServiceItem | None:
        choices = [i for i in pool if test(i)]
        if not choices:
            return None
        weights = [1 + min(i.popularity, 1000) / 300 for i in choices]
        return self.rng.choices(choices, weights=weights)[0]

    # --- actions (each one or a few service calls at one moment) ---

    def create(self, ctx: Ctx, *, submit: bool, skip: set[str] | None = None,
               partial: bool = False) -> None:
        """Apply: online (the applicant uploads, reusing earlier files of the same name), or at
        the window / through an agent (paper originals, submitted at once)."""
        rng = self.rng
        ctx.on = clock.today()
        form = form_data_for(ctx.item, ctx.version, ctx.applicant, on=ctx.on, rng=rng)
        if partial:
            keep = max(1, len(form) // 2)
            form = dict(list(form.items())[:keep])
        centre = self.centres.get(ctx.item.region_id)
        if ctx.channel != "online":
            # At the window, or by an agent who brings the paper originals: submitted at once,
            # the clerk checks the originals.
            ctx.case = services.case_create(
                actor=ctx.clerk if ctx.channel == "window" else ctx.owner, item=ctx.item,
                applicant=ctx.applicant, channel=ctx.channel, form_data=form, submit=True,
                centre_id=centre,
            )
            return
        actor = ctx.owner
        ctx.case = services.case_create(actor=actor, item=ctx.item, applicant=ctx.applicant,
                                        channel=ctx.channel, form_data=form)
        skip = skip or set()
        for row in ctx.c.materials.all():
            if row.name in skip or (not row.required and rng.random() < 0.6):
                continue
            if partial and rng.random() < 0.5:
                continue
            earlier, _certs = services.reusable_sources(applicant=ctx.applicant, name=row.name)
            if earlier and rng.random() < 0.7:
                services.case_reuse_material(actor=actor, case=ctx.c, material_id=row.pk,
                                             source_material_id=earlier[0].pk)
            else:
                services.case_attach_material(
                    actor=actor, case=ctx.c, material_id=row.pk,
                    upload=Upload(f"{row.name}.pdf", material_pdf(row.name)),
                )
        if submit:
            services.case_submit(actor=actor, case=ctx.c, ip="58.56.10.23")

    def submit(self, ctx: Ctx) -> None:
        assert ctx.owner is not None
        services.case_submit(actor=ctx.owner, case=ctx.c, ip="58.56.10.23")

    def check(self, ctx: Ctx, *, missing: set[str] | None = None,
              tolerate: set[str] | None = None) -> None:
        """The clerk checks every material: verified, needed again, or not needed."""
        missing, tolerate = missing or set(), tolerate or set()
        for row in CaseMaterial.objects.filter(case=ctx.c).order_by("sort_order", "id"):
            if row.name in tolerate or row.name in missing or row.status in (
                CaseMaterialStatus.VERIFIED, CaseMaterialStatus.NOT_NEEDED
            ):
                continue  # tolerated or missing ones go into the acceptance / supplement notice
            paper = ctx.channel != "online" and self.rng.random() < 0.4
            verdict = (CaseMaterialStatus.VERIFIED if row.has_content or row.required or paper
                       else CaseMaterialStatus.NOT_NEEDED)
            services.case_check_material(actor=ctx.clerk, case=ctx.c, material_id=row.pk,
                                         verdict=verdict)

    def request_supplement(self, ctx: Ctx, names: list[str]) -> None:
        rows = [m for m in ctx.c.materials.all() if m.name in names]
        other = self.rng.choice(["", "", "申请表第二页缺少申请人签字，请一并补签。"])
        services.case_request_supplement(
            actor=ctx.clerk, case=ctx.c,
            materials=[{"id": m.pk, "note": self.rng.choice(MISSING_NOTES)} for m in rows],
            other=other or ("" if rows else "请到窗口核对申请表中的联系电话和地址。"),
        )

    def supply(self, ctx: Ctx) -> None:
        """The applicant (online) or the window (paper scanned) hands in what was asked for."""
        actor = ctx.owner if ctx.channel == "online" and ctx.owner else ctx.clerk
        for row in CaseMaterial.objects.filter(case=ctx.c, status=CaseMaterialStatus.MISSING):
            services.case_attach_material(
                actor=actor, case=ctx.c, material_id=row.pk,
                upload=Upload(f"{row.name}（补正）.pdf", material_pdf(row.name)),
            )
        services.case_supply(actor=actor, case=ctx.c,
                             ip="58.56.10.23" if actor is ctx.owner else None)

    def accept(self, ctx: Ctx, *, tolerate: list[str] | None = None) -> None:
        tolerated = []
        for row in ctx.c.materials.all():
            if tolerate and row.name in tolerate:
                by = self.cal.add_workdays(clock.today(), self.rng.randint(5, 15)).date
                tolerated.append({"id": row.pk, "promised_by": by})
        services.case_accept(actor=ctx.clerk, case=ctx.c, tolerated=tolerated)

    def refuse(self, ctx: Ctx) -> None:
        reason, refer = self.rng.choice(REFUSALS)
        services.case_refuse(actor=ctx.clerk, case=ctx.c, reason=reason, refer_to=refer)

    def withdraw(self, ctx: Ctx) -> None:
        assert ctx.owner is not None
        services.case_withdraw(actor=ctx.owner, case=ctx.c,
                               reason=self.rng.choice(WITHDRAW_REASONS))

    def _active(self, ctx: Ctx) -> tuple[Task, User]:
        task = (Task.objects.select_related("department")
                .filter(case=ctx.c, state=TaskState.ACTIVE).get())
        people = self._staff(task.department_id, task.role)
        return task, people[0] if task.role == Role.REVIEWER else self.rng.choice(people)

    def pass_step(self, ctx: Ctx) -> None:
        task, actor = self._active(ctx)
        services.task_pass(actor=actor, task=task, opinion=self.rng.choice(PASS_OPINIONS))

    def return_step(self, ctx: Ctx) -> None:
        task, actor = self._active(ctx)
        services.task_return(actor=actor, task=task, to_seq=1,
                             reason="现场核查记录与平面图不一致，请重新审查。")

    def request_more(self, ctx: Ctx) -> None:
        task, actor = self._active(ctx)
        rows = [m for m in ctx.c.materials.all()
                if m.status == CaseMaterialStatus.VERIFIED and m.required]
        chosen = self.rng.choice(rows)
        services.task_request_more(
            actor=actor, task=task, other="", days=5,
            materials=[{"id": chosen.pk, "note": "请补充加盖公章的原件扫描件"}],
        )

    def start_special(self, ctx: Ctx) -> None:
        task, actor = self._active(ctx)
        kind, reason, days = self.rng.choice(SPECIALS)
        services.task_start_special(actor=actor, task=task, kind=kind, reason=reason,
                                    expected_days=days)

    def resume(self, ctx: Ctx) -> None:
        reviewer = self._staff(ctx.item.department_id, Role.REVIEWER)[0]
        services.case_resume(actor=reviewer, case=ctx.c,
                             result=self.rng.choice(SPECIAL_RESULTS))

    def extend(self, ctx: Ctx) -> None:
        head = self._staff(ctx.item.department_id, Role.DEPARTMENT_HEAD)[0]
        services.case_extend(actor=head, case=ctx.c, days=self.rng.choice([5, 10]),
                             reason="情况复杂，需组织相关部门会商，经本部门负责人批准延期。")

    def decide(self, ctx: Ctx, *, approve: bool) -> None:
        while True:
            task, actor = self._active(ctx)
            if not Task.objects.filter(case=ctx.c, seq__gt=task.seq).exists():
                break
            services.task_pass(actor=actor, task=task, opinion=self.rng.choice(PASS_OPINIONS))
        reason = "" if approve else self.rng.choice(DENIALS)
        services.task_decide(actor=actor, task=task, approve=approve, reason=reason)

    def supply_tolerated(self, ctx: Ctx) -> None:
        for row in CaseMaterial.objects.filter(case=ctx.c, status=CaseMaterialStatus.TOLERATED):
            if ctx.owner is not None and ctx.channel == "online" and self.rng.random() < 0.5:
                services.case_supply_tolerated(
                    actor=ctx.owner, case=ctx.c, material_id=row.pk,
                    upload=Upload(f"{row.name}.pdf", material_pdf(row.name)),
                )
            else:
                services.case_supply_tolerated(actor=ctx.clerk, case=ctx.c, material_id=row.pk)

    def deliver(self, ctx: Ctx, method: str) -> None:
        tracking = f"SF{self.rng.randint(10**12, 10**13 - 1)}" if method == "post" else ""
        services.case_deliver(actor=ctx.clerk, case=ctx.c, method=method, tracking_no=tracking,
                              identity_checked=method == DeliveryMethod.WINDOW)

    def on_the_spot(self, ctx: Ctx) -> None:
        """A chief representative accepts, checks and decides an instant item in one visit."""
        chief = ctx.clerk
        ctx.case = services.case_create(
            actor=chief, item=ctx.item, applicant=ctx.applicant, channel="window",
            form_data=form_data_for(ctx.item, ctx.version, ctx.applicant, on=clock.today(),
                                    rng=self.rng),
            submit=True, centre_id=self.centres.get(ctx.item.region_id),
        )
        for row in ctx.c.materials.all():
            if row.required or self.rng.random() < 0.5:
                services.case_check_material(actor=chief, case=ctx.c, material_id=row.pk,
                                             verdict=CaseMaterialStatus.VERIFIED)
            else:
                services.case_check_material(actor=chief, case=ctx.c, material_id=row.pk,
                                             verdict=CaseMaterialStatus.NOT_NEEDED)
        services.case_decide_on_spot(actor=chief, case=ctx.c, approve=True,
                                     opinion="材料齐全，符合法定形式，当场准予。",
                                     delivery_method=DeliveryMethod.WINDOW)

    # --- scenarios ---

    def scenarios(self) -> list[tuple[str, float]]:
        return [
            ("draft", 0.04), ("submitted", 0.05), ("submitted_after_supply", 0.015),
            ("awaiting_supplement", 0.04), ("refused", 0.03), ("refused_unsupplied", 0.01),
            ("withdrawn", 0.03), ("in_review", 0.09), ("in_review_yellow", 0.035),
            ("in_review_red", 0.03), ("in_review_tolerated", 0.03), ("in_review_extended", 0.01),
            ("in_review_resumed", 0.015), ("in_review_returned", 0.01),
            ("suspended_supplement", 0.03), ("suspended_special", 0.03),
            ("decided_approved", 0.03), ("decided_denied", 0.015),
            ("completed_window", 0.12), ("completed_post", 0.08),
            ("completed_electronic", 0.12), ("completed_denied", 0.03),
            ("completed_tolerated", 0.03), ("completed_after_special", 0.02),
            ("on_the_spot", 0.05),
        ]

    def run(self) -> DemoCasesResult:
        names: list[str] = []
        table = self.scenarios()
        total = sum(w for _, w in table)
        for name, weight in table:
            names += [name] * max(1, round(self.count * weight / total))
        self.rng.shuffle(names)
        for name in names:
            plan_ctx = self._plan(name)
            if plan_ctx is None:
                continue
            plan, ctx = plan_ctx
            self._execute(plan, ctx)
            ctx.c.refresh_from_db(fields=["state"])
            self.result.total += 1
            self.result.by_state[ctx.c.state] += 1
        return self.result

    def _front(self, ctx: Ctx, *, skip: set[str] | None = None) -> list[tuple[int, Action]]:
        """From application to the clerk's check, as the channel goes (``skip``: materials
        the online applicant leaves out)."""
        rng = self.rng
        if ctx.channel != "online":
            return [(0, lambda c: self.create(c, submit=True)), (0, self.check)]
        steps: list[tuple[int, Action]] = []
        if rng.random() < 0.3:  # drafted one day, submitted a later one
            steps += [(0, lambda c: self.create(c, submit=False, skip=skip)),
                      (rng.randint(1, 3), self.submit)]
        else:
            steps.append((0, lambda c: self.create(c, submit=True, skip=skip)))
        steps.append((rng.choice([0, 1, 1, 2]), self.check))
        return steps

    def _review(self, ctx: Ctx, *, upto_last: bool) -> list[tuple[int, Action]]:
        """Pass the steps before the last one (each takes a working day or two)."""
        specs = process.steps_for(ctx.item, ctx.version)
        count = len(specs) - 1 if upto_last else 0
        return [(self.rng.randint(1, 2), self.pass_step) for _ in range(count)]

    def _plan(self, name: str) -> tuple[Plan, Ctx] | None:  # noqa: C901 - one table of scenarios
        rng = self.rng
        r = rng.randint
        front_pool = self.items

        def tolerable(i: ServiceItem) -> bool:
            return any(m.tolerable and m.required
                       for m in self.materials.get(i.current_version_id or 0, []))

        def workday(i: ServiceItem) -> bool:
            promised = i.current_version.promised_limit if i.current_version else 0
            return i.basic.legal_limit_unit == LimitUnit.WORKDAY and promised >= 2

        def online(i: ServiceItem) -> bool:
            return bool(i.current_version and i.current_version.online)

        def tolerable_workday(i: ServiceItem) -> bool:
            return tolerable(i) and workday(i)

        def anything(i: ServiceItem) -> bool:
            return True

        if name == "on_the_spot":
            chosen = self._chief_item()
            if chosen is None:
                return None
            item, chief, reach = chosen
            ctx = self._ctx(item, channel="window")
            ctx.clerk = chief
            return Plan([(0, self.on_the_spot)],
                        anchor_ago=r(0, max(0, min(HISTORY_WORKDAYS, reach) - 1))), ctx

        if name in ("draft", "submitted", "submitted_after_supply", "awaiting_supplement",
                    "refused", "refused_unsupplied", "withdrawn"):
            picked = self._pick_item(front_pool, online)
            if picked is None:
                return None
            item = picked
            ctx = self._ctx(item, channel="online")
            if ctx.channel != "online":
                return None
            listed = self.materials.get(item.current_version_id or 0, [])
            one = [m.name for m in sorted(listed, key=lambda m: not m.required)][:1]
            if name == "draft":
                return Plan([(0, lambda c: self.create(c, submit=False, partial=True))],
                            anchor_ago=r(0, 20)), ctx
            if name == "submitted":
                return Plan([(0, lambda c: self.create(c, submit=True))], anchor_ago=r(0, 3)), ctx
            if name == "withdrawn":
                steps: list[tuple[int, Action]] = [(0, lambda c: self.create(c, submit=True))]
                if rng.random() < 0.5:
                    steps += [(r(0, 1), lambda c: self.check(c, missing=set(one))),
                              (0, lambda c: self.request_supplement(c, one))]
                steps.append((r(1, 3), self.withdraw))
                return Plan(steps, anchor_ago=r(2, HISTORY_WORKDAYS - 10)), ctx
            steps = [(0, lambda c: self.create(c, submit=True)),
                     (r(0, 1), lambda c: self.check(c, missing=set(one)))]
            if name == "refused":  # refused at pre-review
                return Plan([(0, lambda c: self.create(c, submit=True)),
                             (r(0, 2), self.refuse)], anchor_ago=r(1, HISTORY_WORKDAYS - 5)), ctx
            steps.append((0, lambda c: self.request_supplement(c, one)))
            if name == "awaiting_supplement":
                return Plan(steps, anchor_ago=r(0, 12)), ctx
            if name == "refused_unsupplied":
                steps.append((r(3, 5), self.refuse))
                return Plan(steps, anchor_ago=r(2, HISTORY_WORKDAYS - 15)), ctx
            steps.append((r(1, 3), self.supply))  # submitted again after the supplement
            return Plan(steps, anchor_ago=r(0, 2)), ctx

        # From here on the case is accepted: items whose department has the reviewers.
        pool = self.reviewable
        test: Callable[[ServiceItem], bool] = anything
        if name in ("in_review_yellow", "in_review_red", "in_review", "in_review_extended",
                    "in_review_returned", "in_review_resumed", "suspended_supplement",
                    "suspended_special"):
            test = workday
        if name in ("in_review_tolerated", "completed_tolerated"):
            test = tolerable_workday
        picked = self._pick_item(pool, test)
        if picked is None:
            return None
        ctx = self._ctx(picked)
        promised = ctx.version.promised_limit
        tol = [m.name for m in self.materials.get(ctx.version.pk, [])
               if m.tolerable and m.required][:1]
        # Tolerated: applied without the tolerable material; the window accepts on a promise.
        steps = self._front(ctx, skip=set(tol) if name.endswith("tolerated") else None)
        if name.endswith("tolerated"):
            steps[-1] = (steps[-1][0], lambda c: self.check(c, tolerate=set(tol)))
            steps.append((0, lambda c: self.accept(c, tolerate=tol)))
        elif ctx.channel == "online" and rng.random() < 0.2:
            one = [m.name for m in self.materials.get(ctx.version.pk, []) if m.required][-1:]
            steps[-1] = (steps[-1][0], lambda c: self.check(c, missing=set(one)))
            steps += [(0, lambda c: self.request_supplement(c, one)), (r(1, 3), self.supply),
                      (r(0, 1), self.check), (0, self.accept)]
        else:
            steps.append((0, self.accept))
        accept_at = len(steps) - 1

        def after(ago: int, later: list[tuple[int, Action]]) -> Plan:
            # Steps after acceptance, as many as fit between the acceptance day and today.
            kept, used = [], 0
            for days, action in later:
                if used + days > ago:
                    break
                kept.append((days, action))
                used += days
            return Plan(steps + kept, anchor=accept_at, anchor_ago=ago)

        if name == "in_review_yellow":
            return after(promised - r(0, 1), self._review(ctx, upto_last=rng.random() < 0.5)), ctx
        if name == "in_review_red":
            return after(promised + r(1, 6), self._review(ctx, upto_last=True)), ctx
        if name in ("in_review", "in_review_tolerated"):
            return after(r(0, max(0, promised - 2)), self._review(ctx, upto_last=True)), ctx
        if name == "in_review_extended":
            ago = promised + r(0, 2)
            return after(ago, [*self._review(ctx, upto_last=True)[:1], (1, self.extend)]), ctx
        if name == "in_review_returned":
            return Plan(steps + [(1, self.pass_step), (1, self.return_step)],
                        anchor=accept_at, anchor_ago=r(2, max(2, promised - 1))), ctx
        if name == "in_review_resumed":
            return Plan(steps + [(1, self.start_special), (r(3, 8), self.resume)],
                        anchor=accept_at, anchor_ago=r(5, promised + 8)), ctx
        if name == "suspended_supplement":
            return Plan(steps + [(r(1, 2), self.request_more)],
                        anchor=accept_at, anchor_ago=r(2, 12)), ctx
        if name == "suspended_special":
            return Plan(steps + [(r(1, 2), self.start_special)],
                        anchor=accept_at, anchor_ago=r(2, 20)), ctx

        approve = name not in ("decided_denied", "completed_denied")
        span = max(1, promised)
        review = [(r(1, max(1, span // 2)), self.pass_step)
                  for _ in range(len(process.steps_for(ctx.item, ctx.version)) - 1)]
        decide: list[tuple[int, Action]] = [(r(0, 2) if promised else 0,
                                             lambda c: self.decide(c, approve=approve))]
        if name == "completed_after_special":
            review = [(1, self.start_special), (r(3, 10), self.resume), *review]
        if rng.random() < 0.12 and not name.endswith("tolerated"):
            review = [(1, self.request_more), (r(1, 4), self.supply), *review]
        if name.startswith("decided"):
            return Plan(steps + review + decide, anchor_ago=r(0, 2)), ctx
        extra: list[tuple[int, Action]] = []
        if name == "completed_tolerated":
            extra = [(r(1, 4), self.supply_tolerated)]
        method = {"completed_window": DeliveryMethod.WINDOW, "completed_post": DeliveryMethod.POST,
                  "completed_electronic": DeliveryMethod.ELECTRONIC}.get(
            name, rng.choice(list(DeliveryMethod.values)))
        deliver = [(r(0, 3), lambda c: self.deliver(c, method))]
        return Plan(steps + review + extra + decide + deliver,
                    anchor_ago=r(1, HISTORY_WORKDAYS - 30)), ctx

    def _chief_item(self) -> tuple[ServiceItem, User, int] | None:
        """An instant item within a chief representative's authorisation, the chief, and how
        many working days back the authorisation reaches."""
        options = []
        by_pk = {i.pk: i for i in self.items}
        for auth in Authorisation.objects.filter(
            revoked_at__isnull=True, valid_to__gte=self.last_day, valid_from__lte=self.last_day
        ).select_related("holder").prefetch_related("items"):
            reach = self.cal.workdays_between(auth.valid_from, self.last_day).days
            for item in auth.items.all():
                version = item.current_version
                if version is not None and version.case_type == "1" and item.pk in by_pk:
                    options.append((by_pk[item.pk], auth.holder, reach))
        return self.rng.choice(options) if options else None

    # --- running a plan at the right moments ---

    def _schedule(self, plan: Plan) -> list[dt.datetime]:
        """Moments for each step: office hours on working days, the anchor step on its day."""
        anchor = plan.anchor if plan.anchor >= 0 else len(plan.steps) - 1
        days_before = sum(d for d, _ in plan.steps[1: anchor + 1])
        ago = plan.anchor_ago
        for _attempt in range(30):
            anchor_day = self.cal.add_workdays(self.last_day, -ago).date
            day = self.cal.add_workdays(anchor_day, -days_before).date
            moments: list[dt.datetime] = []
            at: dt.datetime | None = None
            for days, _action in plan.steps:
                if at is None:
                    at = _office_moment(day, self.rng)
                elif days:
                    day = self.cal.add_workdays(timezone.localdate(at), days).date
                    at = _office_moment(day, self.rng)
                else:
                    at = _later(at, self.rng.randint(3, 25), self.cal)
                moments.append(at)
            if moments[-1] < self.now - dt.timedelta(minutes=2):
                return moments
            ago += 1  # the last step would be in the future: start one working day earlier
        raise RuntimeError("cannot schedule a demo case")

    def _execute(self, plan: Plan, ctx: Ctx) -> None:
        for (_, action), moment in zip(plan.steps, self._schedule(plan), strict=True):
            with clock.travel(moment):
                action(ctx)


MISSING_NOTES = [
    "复印件不清晰，请重新扫描上传", "缺少申请人签字", "需加盖单位公章",
    "证件已过有效期，请提供有效证件", "平面图未标注尺寸和功能分区",
    "与原件核对不一致，请提供原件扫描件",
]
REFUSALS = [
    ("申请事项依法不需要取得行政许可。", ""),
    ("申请事项不属于本机关职权范围。", "请向云溪市自然资源和规划局申请。"),
    ("申请人不具备申请资格（经营场所位于规划禁设区域）。", ""),
    ("经一次性告知后，申请人未在规定期限内补正材料。", ""),
]
WITHDRAW_REASONS = ["经营计划调整，暂不办理", "材料准备不全，准备齐全后重新申请",
                    "已在其他区办理", ""]
PASS_OPINIONS = ["材料齐全，符合法定条件，建议准予。", "经审查符合要求，同意。",
                 "现场核查符合要求。", "同意，报负责人决定。"]
DENIALS = [
    "经现场核查，经营场所与申报材料不一致，不符合《食品经营许可和备案管理办法》第十二条规定的条件。",
    "申请人提交的检测报告不能证明场所符合卫生标准，依法不予许可。",
    "申请事项不符合本区域规划要求，依法不予许可。",
]
SPECIALS = [
    (StopKind.SITE_INSPECTION, "需对经营场所进行现场勘查，核实布局与申报一致。", 5),
    (StopKind.EXPERT_REVIEW, "涉及专业技术问题，组织专家评审。", 10),
    (StopKind.HEARING, "申请事项直接关系他人重大利益，应利害关系人要求举行听证。", 15),
    (StopKind.PUBLIC_NOTICE, "依法对拟许可事项进行公示。", 5),
    (StopKind.TESTING, "需对设备进行检验检测。", 8),
]
SPECIAL_RESULTS = ["现场勘查完毕，符合要求。", "专家评审通过。", "听证结束，无异议。",
                   "公示期满无异议。", "检验检测合格。"]


def load_demo_cases(*, count: int = 300, seed: int = 20261123) -> DemoCasesResult:
    """Create about ``count`` demo cases through the services; anchor the audit days."""
    builder = Builder(count=count, seed=seed)
    with transaction.atomic():
        builder.setup()
        result = builder.run()
        audit.anchor_days(until=timezone.localdate())
    return result


__all__ = ["DemoCasesResult", "form_data_for", "load_demo_cases", "material_pdf"]
