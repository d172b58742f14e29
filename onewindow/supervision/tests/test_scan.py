"""The supervision scan: reminder → yellow → red as the due date nears and passes, once each;
alerts close when the case ends; irregularities; withdrawing; supervision notices; and that a
run reads only what changed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from onewindow.accounts.models import Role
from onewindow.cases import services as case_services
from onewindow.cases.models import Case
from onewindow.core.errors import Conflict, PermissionDenied, ValidationFailed
from onewindow.notifications.models import Notification
from onewindow.supervision import services
from onewindow.supervision.models import (
    Alert,
    AlertKind,
    AlertRule,
    AlertState,
    NoticeState,
    ScanState,
)

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


@pytest.fixture
def nov2(time_machine):
    time_machine.move_to(at("2026-11-02"), tick=False)
    return time_machine


def kinds(case: Case, task: bool = False) -> list[str]:
    return sorted(Alert.objects.filter(case=case, task__isnull=not task)
                  .values_list("kind", flat=True))


def test_the_first_run_catches_up_quietly_and_leaves_history_alone(nov2, world):
    case = world.accepted_case()
    nov2.move_to(at("2026-11-17"))  # already overdue when supervision is switched on
    before = Notification.objects.count()
    first = services.supervision_scan()
    assert first.changed_cases == 0  # the log's history is not re-judged
    assert kinds(case) == ["red", "reminder", "yellow"]
    assert Notification.objects.count() == before  # no flood of messages for the catch-up
    later = world.accepted_case()
    case_services.task_pass(actor=world.reviewer, task=later.tasks.get(seq=1), opinion="同意")
    nov2.move_to(at("2026-12-31"))
    services.supervision_scan()
    assert "red" in kinds(later)
    assert Notification.objects.filter(body__contains=later.case_no).exists()


def test_reminder_yellow_red_once_each_as_the_due_date_comes(nov2, world):
    case = world.accepted_case()
    assert case.promised_due == dt.date(2026, 11, 16)  # 10 working days after Mon 2 Nov
    services.supervision_scan()
    assert kinds(case) == []
    nov2.move_to(at("2026-11-11"))  # 3 working days left (12, 13, 16)
    first = services.supervision_scan()
    assert kinds(case) == ["reminder"]
    assert first.raised.get("reminder", 0) >= 1
    again = services.supervision_scan()
    assert again.total == 0 and kinds(case) == ["reminder"]
    nov2.move_to(at("2026-11-13"))  # one working day left
    services.supervision_scan()
    assert kinds(case) == ["reminder", "yellow"]
    nov2.move_to(at("2026-11-17"))  # overdue
    services.supervision_scan()
    services.supervision_scan()
    assert kinds(case) == ["red", "reminder", "yellow"]
    red = Alert.objects.get(case=case, kind=AlertKind.RED, task__isnull=True)
    assert red.level == 3 and red.due == dt.date(2026, 11, 16)
    assert red.department_id == case.department_id
    inbox = Notification.objects.filter(user_id=world.reviewer.pk, body__contains="红牌")
    assert inbox.exists()
    # the head hears of yellow and red cards, not of mere reminders
    head_bodies = list(Notification.objects.filter(user_id=world.head.pk)
                       .values_list("body", flat=True))
    assert any("黄牌" in b for b in head_bodies) and not any("督办提醒" in b for b in head_bodies)


def test_steps_get_their_own_alerts(nov2, world):
    case = world.accepted_case()
    task = case.tasks.get(seq=1)
    nov2.move_to(at("2026-12-31"))
    services.supervision_scan()
    assert Alert.objects.filter(task=task, kind=AlertKind.RED).exists()
    assert task.due is not None


def test_a_finished_case_closes_its_open_alerts(nov2, world):
    case = world.accepted_case()
    nov2.move_to(at("2026-11-13"))
    services.supervision_scan()
    assert Alert.objects.filter(case=case, state=AlertState.OPEN).exists()
    first = case.tasks.get(seq=1)
    case_services.task_pass(actor=world.reviewer, task=first, opinion="材料齐全")
    decide = case.tasks.get(seq=2)
    case_services.task_decide(actor=world.head, task=decide, approve=True, reason="符合条件")
    result = services.supervision_scan()
    assert result.closed >= 1
    assert not Alert.objects.filter(case=case, state=AlertState.OPEN,
                                    kind__in=("reminder", "yellow", "red")).exists()


def test_a_decision_after_the_legal_limit_is_an_irregularity(nov2, world):
    case = world.accepted_case()
    assert case.legal_due == dt.date(2026, 11, 30)
    services.supervision_scan()  # supervision is running while the case is handled
    nov2.move_to(at("2026-12-02"))
    case_services.task_pass(actor=world.reviewer, task=case.tasks.get(seq=1), opinion="同意")
    case_services.task_decide(actor=world.head, task=case.tasks.get(seq=2), approve=True,
                              reason="符合条件")
    services.supervision_scan()
    late = Alert.objects.get(case=case, kind=AlertKind.DECIDED_LATE)
    assert "2026-11-30" in late.detail and late.level == 3


def test_rules_per_region_change_the_thresholds(nov2, world):
    AlertRule.objects.create(region=world.regions["d1"], reminder_days=5, yellow_days=2)
    case = world.accepted_case()
    nov2.move_to(at("2026-11-09"))  # 5 working days left (10, 11, 12, 13, 16)
    services.supervision_scan()
    assert kinds(case) == ["reminder"]
    nov2.move_to(at("2026-11-12"))  # 2 left
    services.supervision_scan()
    assert kinds(case) == ["reminder", "yellow"]


def test_a_run_reads_only_the_cases_that_crossed_a_threshold_or_changed(nov2, world):
    cases = [world.accepted_case() for _ in range(3)]
    services.supervision_scan()
    quiet = services.supervision_scan()
    assert quiet.candidates == 0 and quiet.changed_cases == 0
    case_services.task_pass(actor=world.reviewer, task=cases[0].tasks.get(seq=1), opinion="同意")
    one = services.supervision_scan()
    assert one.changed_cases == 1
    state = ScanState.objects.get()
    assert state.red_through == dt.date(2026, 11, 2) and state.last_run_ms >= 0


def test_withdraw_needs_a_reason_and_the_supervisors_scope(nov2, world, make_staff):
    case = world.accepted_case()
    nov2.move_to(at("2026-11-17"))
    services.supervision_scan()
    alert = Alert.objects.filter(case=case, kind=AlertKind.RED).first()
    far = make_staff(Role.SUPERVISOR, world.regions["d2"])
    near = make_staff(Role.SUPERVISOR, world.regions["d1"])
    with pytest.raises(ValidationFailed):
        services.alert_withdraw(actor=near, alert=alert, reason="")
    with pytest.raises(PermissionDenied):
        services.alert_withdraw(actor=far, alert=alert, reason="系统日历错误导致误报")
    with pytest.raises(PermissionDenied):
        services.alert_withdraw(actor=world.head, alert=alert, reason="系统日历错误导致误报")
    done = services.alert_withdraw(actor=near, alert=alert, reason="系统日历错误导致误报")
    assert done.state == AlertState.WITHDRAWN and done.withdrawn_by == near
    with pytest.raises(Conflict):
        services.alert_withdraw(actor=near, alert=alert, reason="再次撤销试试看")


def test_a_supervision_notice_is_replied_by_the_department_and_closed(nov2, world, make_staff):
    case = world.accepted_case()
    sup = make_staff(Role.SUPERVISOR, world.regions["city"])
    with pytest.raises(PermissionDenied):
        services.notice_issue(actor=world.clerk, case=case, request="请加快办理进度")
    with pytest.raises(ValidationFailed):
        services.notice_issue(actor=sup, case=case, request="", reply_days=99)
    notice = services.notice_issue(actor=sup, case=case, request="请说明延误原因并加快办理")
    assert notice.reply_due == dt.date(2026, 11, 5)
    assert Notification.objects.filter(user_id=world.head.pk, body__contains="督办单").exists()
    with pytest.raises(PermissionDenied):
        services.notice_reply(actor=world.other_reviewer, notice=notice, reply="已经处理完毕了")
    with pytest.raises(Conflict):
        services.notice_close(actor=sup, notice=notice)
    services.notice_reply(actor=world.head, notice=notice, reply="已安排专人，明日办结")
    done = services.notice_close(actor=sup, notice=notice)
    assert done.state == NoticeState.CLOSED and done.reply.startswith("已安排")
