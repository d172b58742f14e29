"""Demo of the hall: categories for every centre, queue rules, a notice, three weeks of ticket
history for the figures, and this morning's queue in 东湖区政务服务中心 (windows signed in, a
ticket being called, people waiting) so the kiosk, the panel and the screen show something."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.core import clock
from onewindow.hall import services
from onewindow.hall.models import (
    HallNotice,
    Priority,
    ServiceCategory,
    Ticket,
    TicketSource,
    TicketState,
)
from onewindow.regions.models import CentreKind, ServiceCentre, Window
from onewindow.workdays.selectors import is_workday

# letter, name, description, departments whose windows serve it ("" = general windows)
CENTRE_CATEGORIES = [
    ("A", "综合受理", "各类事项一窗受理", [""]),
    ("B", "公安户政", "户籍、身份证、居住证、出入境", ["GAJ"]),
    ("C", "不动产登记", "不动产登记、抵押、查询", ["ZRZYJ"]),
    ("D", "社保医保", "社会保险、医疗保障、公积金", ["RSJ", "YBJ", "GJJ"]),
    ("E", "市场准入", "企业开办、食品经营许可", ["SCJG", "WJW"]),
    ("F", "税务", "税务登记、发票、纳税申报", ["SWJ"]),
]
LOCAL_CATEGORIES = [
    ("A", "综合受理", "便民事项代办、咨询", [""]),
    ("B", "社会事务", "社保、民政、计生", ["SHSW"]),
]


def load_demo_hall(*, seed: int = 12345) -> dict[str, int]:
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    counts = {"categories": 0, "tickets": 0}
    with transaction.atomic():
        for centre in ServiceCentre.objects.filter(is_active=True).exclude(
            kind=CentreKind.CONVENIENCE_STATION
        ):
            spec = CENTRE_CATEGORIES if centre.kind == CentreKind.SERVICE_CENTRE \
                else LOCAL_CATEGORIES
            windows = list(Window.objects.filter(centre=centre, is_active=True)
                           .select_related("department"))
            for order, (letter, name, desc, deps) in enumerate(spec):
                serving = [w for w in windows if w.kind != "delivery" and (
                    (w.department.code if w.department else "") in deps)]
                if not serving:
                    continue
                cat = ServiceCategory.objects.create(
                    centre=centre, letter=letter, name=name, description=desc, sort_order=order,
                    default_service_minutes=6 if letter == "A" else 10,
                )
                # In a town's centre the general windows serve its other category too.
                local = centre.kind != CentreKind.SERVICE_CENTRE and letter != "A"
                cat.windows.set(serving + [w for w in windows if local and w.kind == "general"])
                counts["categories"] += 1
            services.settings_for(centre.pk)
        from onewindow.hall.appointments import load_demo_appointments

        load_demo_appointments()
        main = ServiceCentre.objects.filter(name="东湖区政务服务中心").first()
        if main is not None:
            HallNotice.objects.create(
                centre=main,
                text="本中心工作日 9:00-12:00、13:30-17:30 办公；每周六上午提供预约延时服务。",
            )
            HallNotice.objects.create(
                centre=main,
                text="企业开办一窗通办：营业执照、公章刻制、税务登记、社保登记一次办结。",
            )
            counts["tickets"] += _history(main, rng)
            counts["tickets"] += _today(main, rng)
    return counts


def _history(centre: ServiceCentre, rng: random.Random) -> int:
    """Fifteen working days of served, missed and void tickets (for the figures)."""
    tz = timezone.get_current_timezone()
    cats = list(ServiceCategory.objects.filter(centre=centre).prefetch_related("windows"))
    clerks = list(User.objects.filter(role_assignments__role="clerk").distinct()[:4])
    rows: list[Ticket] = []
    day = clock.today()
    done = 0
    while done < 15:
        day -= dt.timedelta(days=1)
        if not is_workday(day):
            continue
        done += 1
        for cat in cats:
            windows = list(cat.windows.all())
            serial = 0
            for _ in range(rng.randint(12, 40)):
                serial += 1
                hour = rng.choice([9, 9, 10, 10, 10, 11, 14, 14, 15, 15, 16])
                queue_at = dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59)), tzinfo=tz)
                wait = dt.timedelta(minutes=rng.randint(1, 35 if hour in (10, 15) else 15))
                service = dt.timedelta(minutes=rng.randint(3, 18))
                roll = rng.random()
                state = TicketState.SERVED if roll > 0.08 else (
                    TicketState.NO_SHOW if roll > 0.03 else TicketState.EXPIRED)
                called: dt.datetime | None = (
                    queue_at + wait if state != TicketState.EXPIRED else None)
                finished = called + service if called and state == TicketState.SERVED \
                    else called
                rows.append(Ticket(
                    centre=centre, day=day, category=cat, number=f"{cat.letter}{serial:03d}",
                    source=rng.choice([TicketSource.KIOSK] * 6 + [TicketSource.ONLINE,
                                                                  TicketSource.APPOINTMENT]),
                    priority=Priority.ELDERLY if rng.random() < 0.06 else "", state=state,
                    taken_at=queue_at, queue_at=queue_at, checked_in_at=queue_at,
                    called_at=called, call_count=1 if called else 0,
                    window=rng.choice(windows) if called and windows else None,
                    clerk=rng.choice(clerks) if called and clerks else None,
                    serving_at=called if state == TicketState.SERVED else None,
                    finished_at=finished,
                ))
    Ticket.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _today(centre: ServiceCentre, rng: random.Random) -> int:
    """This morning: two clerks at their windows, one ticket called, a queue waiting."""
    general = ServiceCategory.objects.filter(centre=centre, letter="A").first()
    social = ServiceCategory.objects.filter(centre=centre, letter="D").first()
    made = 0
    if general is None:
        return 0
    for _ in range(6):
        services.ticket_take(centre=centre, category=general)
        made += 1
    if social is not None:
        for _ in range(3):
            services.ticket_take(centre=centre, category=social)
            made += 1
    clerk = User.objects.filter(username="clerk_donghu").first()
    window = Window.objects.filter(centre=centre, number="A01").first()
    if clerk is not None and window is not None:
        services.window_sign_in(user=clerk, window=window)
        ticket = services.ticket_call_next(user=clerk)
        if ticket is not None:
            services.ticket_start(user=clerk)
    return made


def demo_summary(counts: dict[str, Any]) -> str:
    return f"{counts['categories']} 个业务类别，{counts['tickets']} 张排队号"

