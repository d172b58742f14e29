"""Demo work orders: a dispatch catalogue for the demo city and about 100 orders in every state,
created through the services with :func:`onewindow.core.clock.travel` placing each step in the
past (so deadlines, late signings, overdue marks and metrics look like a real month).

:func:`load_demo_orders` is idempotent: the catalogue is upserted, and orders are only made
when the demo city has none yet.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.accounts.models import Role, RoleAssignment, User
from onewindow.core import clock
from onewindow.hotline import orders
from onewindow.hotline.models import (
    Article,
    ArticleStatus,
    DispatchCategory,
    DispatchRule,
    OrderChannel,
    WorkOrder,
)
from onewindow.regions.models import Department, Region

CITY = "379900000000"

# code, name, parent, urgency, rules [(level, department code)], sign hours, reply days
CATALOGUE: list[dict[str, Any]] = [
    {"code": "CS", "name": "城市管理", "rules": [("district", "CGJ"), ("city", "CGJ")]},
    {"code": "CS-ZY", "name": "噪声扰民", "parent": "CS",
     "rules": [("district", "STHJJ"), ("city", "STHJJ")]},
    {"code": "CS-YY", "name": "油烟污染", "parent": "CS",
     "rules": [("district", "CGJ"), ("city", "CGJ")]},
    {"code": "CS-LD", "name": "路灯及市政设施", "parent": "CS",
     "rules": [("town", "ZF"), ("district", "CGJ"), ("city", "CGJ")]},
    {"code": "SC", "name": "市场监管", "rules": [("district", "SCJG"), ("city", "SCJG")]},
    {"code": "SC-SP", "name": "食品安全", "parent": "SC",
     "rules": [("district", "SCJG"), ("city", "SCJG")]},
    {"code": "SC-XF", "name": "消费维权", "parent": "SC",
     "rules": [("district", "SCJG"), ("city", "SCJG")]},
    {"code": "ZJ", "name": "住房与物业", "rules": [("district", "ZJJ"), ("city", "ZJJ")]},
    {"code": "ZJ-WY", "name": "物业服务", "parent": "ZJ",
     "rules": [("town", "ZF"), ("district", "ZJJ"), ("city", "ZJJ")]},
    {"code": "RS", "name": "劳动与社保", "rules": [("district", "RSJ"), ("city", "RSJ")]},
    {"code": "RS-QX", "name": "拖欠工资", "parent": "RS", "reply_days": 3,
     "rules": [("district", "RSJ"), ("city", "RSJ")]},
    {"code": "WS", "name": "医疗卫生", "rules": [("district", "WJW"), ("city", "WJW")]},
    {"code": "JT", "name": "交通出行", "rules": [("district", "JTJ"), ("city", "JTJ")]},
    {"code": "JY", "name": "教育", "rules": [("district", "JYJ"), ("city", "JYJ")]},
    {"code": "AQ-RQ", "name": "燃气安全", "urgency": "urgent", "urgent_sign_hours": "0.5",
     "urgent_reply_hours": 24, "rules": [("district", "ZJJ"), ("city", "ZJJ")]},
    {"code": "ZX", "name": "政策咨询", "rules": [("district", "ZWB"), ("city", "ZWB")]},
]

STORIES: dict[str, list[tuple[str, str]]] = {
    "CS-ZY": [("小区旁工地夜间施工，噪音很大影响休息", "幸福里小区东侧工地"),
              ("广场舞音响太响，晚上十点还不停", "湖滨公园南门广场")],
    "CS-YY": [("楼下烧烤店油烟直排，窗户都不敢开", "文昌路 88 号"),
              ("夜市摊点油烟扰民", "西岭夜市")],
    "CS-LD": [("路灯坏了好几天，晚上很黑不安全", "湖滨街道滨河路"),
              ("人行道井盖缺失，有安全隐患", "石门路与建设路交叉口")],
    "SC-SP": [("小吃店后厨卫生很差，有老鼠", "湖滨路 12 号"),
              ("超市出售过期牛奶", "文昌路华联超市")],
    "SC-XF": [("健身房突然关门，预付卡无法退费", "东湖区万达广场三楼"),
              ("手机维修店乱收费", "西岭区电子市场")],
    "ZJ-WY": [("物业不作为，电梯坏了一周没人修", "翠湖苑 3 栋"),
              ("小区垃圾清运不及时，气味很大", "荷花湾安置小区")],
    "RS-QX": [("工地拖欠农民工工资三个月", "岭南镇产业园项目工地"),
              ("公司拖欠工资并拒绝签劳动合同", "东湖区科技园")],
    "WS": [("诊所收费不透明，怀疑过度医疗", "东湖镇卫生院对面诊所")],
    "JT": [("公交 12 路班次太少，等车一小时", "西岭公交站"),
           ("路口红绿灯时间太短，老人过不去", "建设路口")],
    "JY": [("学校周边交通拥堵，接送孩子不安全", "文昌路小学门口")],
    "AQ-RQ": [("楼道里有很浓的燃气味", "翠湖苑 5 栋二单元")],
    "ZX": [("想咨询个体户营业执照怎么办理", ""), ("公积金提取需要什么材料", "")],
}


@dataclass
class DemoOrders:
    categories: int = 0
    orders: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    skipped: str = ""

    def summary(self) -> str:
        if self.skipped:
            return f"12345 工单：{self.skipped}"
        states = "，".join(f"{k} {v}" for k, v in sorted(self.by_state.items()))
        return f"12345 工单：派单目录 {self.categories} 类，工单 {self.orders} 张（{states}）"


def load_catalogue() -> int:
    """Upsert the demo dispatch catalogue (派单目录) and its rules."""
    made = 0
    by_code: dict[str, DispatchCategory] = {}
    for i, row in enumerate(CATALOGUE):
        cat, _created = DispatchCategory.objects.update_or_create(
            code=row["code"], defaults={
                "name": row["name"], "parent": by_code.get(row.get("parent", "")),
                "urgency": row.get("urgency", "normal"), "reply_days": row.get("reply_days"),
                "urgent_sign_hours": Decimal(row["urgent_sign_hours"])
                if row.get("urgent_sign_hours") else None,
                "urgent_reply_hours": row.get("urgent_reply_hours"), "sort_order": i,
            })
        by_code[cat.code] = cat
        cat.rules.all().delete()
        DispatchRule.objects.bulk_create([
            DispatchRule(category=cat, level=level, department_code=code)
            for level, code in row["rules"]])
        made += 1
    return made


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _handler(department: Department) -> Any:
    assignment = (RoleAssignment.objects.filter(
        department=department, is_active=True, role__in=[Role.REVIEWER, Role.DEPARTMENT_HEAD])
        .select_related("user").first())
    return assignment.user if assignment else None


def _handlers_or_make(department: Department, cache: dict[int, Any]) -> Any:
    if department.pk in cache:
        return cache[department.pk]
    user = _handler(department)
    if user is None:  # a demo handler for departments without staff in the demo data
        from onewindow.accounts.models import StaffMember

        name = f"wo_{department.region.code[:9]}_{department.code}".lower()
        user, _c = User.objects.get_or_create(username=name, defaults={
            "display_name": f"{department.short_name or department.name}工单员"})
        user.set_unusable_password()
        user.save()
        StaffMember.objects.get_or_create(user=user, defaults={
            "staff_number": f"WO{department.pk:05d}", "region": department.region,
            "department": department})
        RoleAssignment.objects.get_or_create(user=user, role=Role.REVIEWER,
                                             region=department.region, department=department)
    cache[department.pk] = user
    return user


def load_demo_orders(*, count: int = 100, seed: int = 12345) -> DemoOrders:
    """The catalogue, then ``count`` orders spread over the last four weeks in every state."""
    result = DemoOrders()
    with transaction.atomic():
        result.categories = load_catalogue()
    city = Region.objects.filter(code=CITY).first()
    operator = _user("operator_city")
    if city is None or operator is None:
        result.skipped = "缺少演示城市或话务员 operator_city，跳过"
        return result
    if WorkOrder.objects.filter(region__prefix__startswith=city.prefix).exists():
        result.skipped = "已有工单，跳过"
        return result
    rng = random.Random(seed)  # noqa: S311 - demo data
    places = list(Region.objects.filter(prefix__startswith=city.prefix,
                                        level__in=["district", "town", "village"]))
    cats = {c.code: c for c in DispatchCategory.objects.all()}
    articles = list(Article.objects.filter(status=ArticleStatus.PUBLISHED)[:20])
    handlers: dict[int, Any] = {}
    today = clock.today()
    for i in range(count):
        code = rng.choice(list(STORIES))
        text, location = rng.choice(STORIES[code])
        region = rng.choice(places)
        days_ago = rng.randint(0, 27)
        day = today - dt.timedelta(days=days_ago)
        while day.weekday() >= 5 and code != "AQ-RQ":
            day -= dt.timedelta(days=1)
        start = _at(day, rng.randint(8, 16), rng.choice([0, 10, 25, 40, 55]))
        if start > clock.now():
            start = clock.now() - dt.timedelta(minutes=30 + i)
        phone = f"139{rng.randint(0, 99999999):08d}" if i % 7 else "13905399999"
        with clock.travel(start):
            order = orders.work_order_create(
                actor=operator, channel=OrderChannel.PHONE, category=cats[code], region=region,
                description=text, location=location, caller_phone=phone,
                caller_name=rng.choice(["王先生", "李女士", "张阿姨", "", "刘师傅"]),
                consent=rng.random() < 0.3)
        _play(order, rng=rng, start=start, operator=operator, articles=articles,
              handlers=handlers, fate=i % 10)
    orders.work_orders_mark_overdue()
    for state in WorkOrder.objects.filter(region__prefix__startswith=city.prefix).values_list(
            "state", flat=True):
        result.by_state[state] = result.by_state.get(state, 0) + 1
    result.orders = sum(result.by_state.values())
    return result


def _play(order: WorkOrder, *, rng: random.Random, start: dt.datetime, operator: Any,
          articles: list[Article], handlers: dict[int, Any], fate: int) -> None:
    """Take ``order`` along one of ten paths, each step a little later than the last."""
    t = start
    now = clock.now()

    def step(minutes: int) -> dt.datetime:
        nonlocal t
        t = min(t + dt.timedelta(minutes=minutes), now - dt.timedelta(minutes=1))
        return t

    if fate == 0:  # stays with the centre
        return
    if fate == 1:  # answered on the call
        with clock.travel(step(5)):
            orders.work_order_answer(actor=operator, order=order,
                                     answer=(articles[0].answer if articles else
                                             "已按知识库口径答复来电人。"),
                                     article=articles[0] if articles else None)
        return
    with clock.travel(step(10)):
        try:
            orders.work_order_dispatch(actor=operator, order=order)
        except Exception:  # noqa: BLE001 - no rule for this place: leave it for the centre
            return
    order.refresh_from_db()
    assert order.department is not None
    dept = _handlers_or_make(order.department, handlers)
    if fate == 2:  # waiting to be signed
        return
    if fate == 3:  # objected
        with clock.travel(step(60)):
            orders.work_order_object(actor=dept, order=order, reason="该事项不属于本部门职责范围")
        return
    late = rng.random() < 0.2
    with clock.travel(step(60 * (30 if late else rng.randint(1, 3) * 20))):
        orders.work_order_sign(actor=dept, order=order)
    if fate == 4:  # being handled
        if rng.random() < 0.5:
            with clock.travel(step(120)):
                orders.work_order_request_extension(actor=dept, order=order, days=5,
                                                    reason="需要协调相关单位现场处理")
        return
    with clock.travel(step(60 * 24 * rng.randint(1, 4))):
        orders.work_order_reply(actor=dept, order=order,
                                reply="经现场核查，已责令相关责任人整改，我单位将持续跟踪。")
    if fate == 5:  # waiting for the visit
        return
    solved = fate != 6
    with clock.travel(step(60 * 20)):
        orders.work_order_visit(actor=operator, order=order, solved=solved,
                                satisfaction=rng.choice([4, 5, 5]) if solved else 2)
    if fate == 6:  # reopened, then replied again and closed
        with clock.travel(step(60 * 24)):
            orders.work_order_reply(actor=dept, order=order, reply="再次核查，问题已彻底解决。")
        with clock.travel(step(60 * 10)):
            orders.work_order_visit(actor=operator, order=order, solved=True, satisfaction=4)
