"""Demo data of 好差评 and 投诉, made through the services (call after the cases and hall demos).

Completed demo cases and served demo tickets are rated at the time they finished
(:func:`onewindow.core.clock.travel`), mostly well, some badly; some bad reviews are answered
by their department, one is appealed; a few complaints are filed, one answered.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction

from onewindow.accounts.access import Perm
from onewindow.accounts.models import StaffMember, User
from onewindow.cases.models import Case
from onewindow.cases.workflow import CaseState
from onewindow.core import clock
from onewindow.core.errors import DomainError
from onewindow.evaluation import services
from onewindow.evaluation.models import EvalChannel, FollowUp, FollowUpOutcome
from onewindow.hall.models import Ticket, TicketState
from onewindow.regions.models import Department, Window

GOOD = ["办理很快，工作人员很耐心", "一次就办好了", "材料讲得很清楚", "", "", "网上就能办，方便",
        "窗口服务态度好"]
BAD = ["排队时间太长", "材料要求前后说法不一，跑了两趟", "工作人员态度生硬", "电话一直打不通"]
LEVELS = [1] * 50 + [2] * 28 + [3] * 12 + [4] * 6 + [5] * 4


def _first_user(ids: list[int]) -> User | None:
    return User.objects.filter(pk__in=ids).order_by("pk").first() if ids else None


def _rate(service: services.Service, rng: random.Random, at: dt.datetime,
          channel: str) -> Any:
    level = rng.choice(LEVELS)
    comment = rng.choice(BAD if level >= 4 else GOOD)
    with clock.travel(at):
        return services.evaluation_submit(service=service, level=level, channel=channel,
                                          comment=comment)


def load_demo_evaluations(*, seed: int = 20261124, cases: int = 80,
                          tickets: int = 120) -> dict[str, int]:
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    counts = {"evaluations": 0, "bad": 0, "answered": 0, "appeals": 0, "complaints": 0}
    done: list[Any] = []
    with transaction.atomic():
        for case in (Case.objects.select_related("item__basic", "region", "department",
                                                 "applicant")
                     .filter(state=CaseState.COMPLETED).order_by("completed_at")[:cases]):
            if rng.random() < 0.25 or case.completed_at is None:
                continue  # not everybody rates
            at = case.completed_at + dt.timedelta(hours=rng.randint(1, 30))
            channel = EvalChannel.PC if case.applicant.user_id else EvalChannel.SMS
            try:
                done.append(_rate(services._case_service(case), rng, at, channel))
            except DomainError:
                continue
        for ticket in (Ticket.objects.select_related("centre__region", "window__department")
                       .filter(state=TicketState.SERVED, clerk__isnull=False,
                               window__isnull=False, finished_at__isnull=False)
                       .order_by("finished_at")[:tickets]):
            if rng.random() < 0.5 or ticket.finished_at is None:
                continue
            at = ticket.finished_at + dt.timedelta(minutes=1)
            try:
                done.append(_rate(services._ticket_service(ticket), rng, at,
                                  EvalChannel.TABLET))
            except DomainError:
                continue
        counts["evaluations"] = len(done)
        bad = list(FollowUp.objects.select_related("evaluation", "region", "department")
                   .order_by("opened_at"))
        counts["bad"] = len(bad)
        appealed = False
        for i, fu in enumerate(bad):
            perm = Perm.CASE_REVIEW if fu.department_id else Perm.HALL_MANAGE
            handler = _first_user(services._users_with(perm, region=fu.region,
                                                       department=fu.department))
            if handler is None:
                continue
            at = fu.opened_at + dt.timedelta(days=1)
            if i % 3 == 2 and not appealed:
                with clock.travel(at):
                    services.appeal_file(actor=handler, evaluation=fu.evaluation,
                                         reason="评价内容与本次办理无关，申请人当日未到窗口，疑为误评。")
                appealed = True
                counts["appeals"] += 1
                continue
            if i % 3 == 1 or at > clock.now():
                continue  # left open: the inbox and the overdue list have something to show
            with clock.travel(min(at, clock.now())):
                services.follow_up_call_back(
                    actor=handler, follow_up=fu, verification="已调取办件记录和窗口录像核实。",
                    callback_note="已电话联系申请人，听取意见并致歉。")
                services.follow_up_respond(
                    actor=handler, follow_up=fu,
                    outcome=rng.choice([FollowUpOutcome.RECTIFIED, FollowUpOutcome.EXPLAINED]),
                    response="感谢您的监督。已对窗口人员进行提醒，并在大厅增加导办人员，"
                             "补正要求统一按一次性告知书执行。")
            counts["answered"] += 1
        counts["complaints"] = _complaints(rng)
    return counts


def _complaints(rng: random.Random) -> int:
    window = Window.objects.filter(is_active=True).order_by("pk").first()
    staff = StaffMember.objects.filter(department__isnull=False).order_by("pk").first()
    dept = Department.objects.filter(is_active=True).order_by("pk").first()
    made = []
    specs: list[dict[str, Any]] = []
    if window:
        specs.append({"target_kind": "window", "window_id": window.pk,
                      "subject": "窗口长时间无人",
                      "content": "上午十点左右窗口无人值守，等了二十分钟。"})
    if staff:
        specs.append({"target_kind": "staff", "staff_number": staff.staff_number,
                      "subject": "工作人员态度不好",
                      "content": "询问材料要求时被不耐烦地打断。"})
    if dept:
        specs.append({"target_kind": "department", "department_id": dept.pk,
                      "subject": "办理超时",
                      "content": "承诺 5 个工作日办结，已经过了 8 天还没有结果。"})
    for i, spec in enumerate(specs):
        try:
            made.append(services.complaint_submit(
                actor=None, channel="online", mobile=f"1390539{8000 + i:04d}",
                name=rng.choice(["王先生", "李女士", ""]), **spec))
        except DomainError:
            continue
    if made:
        c = made[0]
        supervisors = services._users_with(Perm.SUPERVISE, region=c.region,
                                           department=c.department)
        sup = _first_user(supervisors)
        if sup is not None:
            services.complaint_assign(actor=sup, complaint=c, assignee=sup,
                                      ask_department=bool(c.department_id))
            services.complaint_answer(actor=sup, complaint=c, investigation="调取录像核实属实。",
                                      answer="投诉属实，已对当事窗口进行通报并落实 AB 岗制度。",
                                      substantiated=True)
    return len(made)
