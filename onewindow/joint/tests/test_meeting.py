"""联席会议 through the services: the lead convenes every participant, conclusions are recorded
per department once the meeting is on, the minutes close it into a PDF on the case."""

from __future__ import annotations

import datetime as dt

import pytest

from onewindow.cases.workflow import CaseState
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.joint import services
from onewindow.joint.models import JointMeeting, MeetingConclusion
from onewindow.joint.tests.conftest import MORNING, THURSDAY
from onewindow.joint.tests.test_inspection import pdf_text
from onewindow.joint.workflow import MeetingState
from onewindow.notifications.models import Notification

pytestmark = pytest.mark.django_db

MINUTES = "会议听取了牵头部门关于申请事项的审查情况汇报，各参与部门逐一发表意见，形成会审结论如下。"


def convene(jw, case, at=THURSDAY, **kw):
    return services.meeting_convene(actor=kw.pop("actor", jw.lead), case=case, held_at=at,
                                    place=kw.pop("place", "政务服务中心三楼会议室"),
                                    topic=kw.pop("topic", "湖滨小吃店食品经营许可集中会审"))


def test_meeting_life_from_convening_to_the_minutes(jw, travel):
    case = jw.case()
    meeting = convene(jw, case)
    # Every parallel participant is invited (ecology too: the meeting is for all opinions).
    rows = list(meeting.conclusions.order_by("sort_order"))
    assert [r.department for r in rows] == [jw.fire, jw.housing, jw.ecology]
    assert all(r.conclusion == "" for r in rows)
    told = set(Notification.objects.filter(subject="联席会议通知").values_list("user_id",
                                                                              flat=True))
    assert {jw.fire_reviewer.pk, jw.housing_reviewer.pk, jw.ecology_reviewer.pk} <= told
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW  # a meeting does not stop the clock

    # Before the meeting nothing is recorded.
    with pytest.raises(Conflict) as exc:
        services.meeting_conclude(actor=jw.fire_reviewer, meeting=meeting, department=jw.fire,
                                  conclusion="agree")
    assert exc.value.code == "not_yet_held"

    travel.move_to(THURSDAY + dt.timedelta(hours=1))
    services.meeting_conclude(actor=jw.fire_reviewer, meeting=meeting, department=jw.fire,
                              conclusion="agree", text="同意")
    # The lead records for a department at the meeting; reasons are required for conditions.
    with pytest.raises(ValidationFailed) as exc:
        services.meeting_conclude(actor=jw.lead, meeting=meeting, department=jw.housing,
                                  conclusion="conditional", text=" ")
    assert exc.value.field_errors["text"] == ["附条件同意须写明条件，不同意须写明理由。"]
    services.meeting_conclude(actor=jw.lead, meeting=meeting, department=jw.housing,
                              conclusion="conditional", text="开业前提交二层楼板加固验收报告")
    with pytest.raises(Conflict) as exc:
        services.meeting_close(actor=jw.lead, meeting=meeting, minutes=MINUTES)
    assert exc.value.code == "conclusions_missing" and "生态环境分局" in exc.value.message
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CONVENED and meeting.minutes == ""  # nothing written
    services.meeting_conclude(actor=jw.ecology_reviewer, meeting=meeting,
                              department=jw.ecology, conclusion="agree")
    services.meeting_record_minutes(actor=jw.lead, meeting=meeting, minutes=MINUTES)
    services.meeting_close(actor=jw.lead, meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.HELD and meeting.record and meeting.minutes == MINUTES
    with meeting.record.open("rb") as handle:
        flat = "".join(pdf_text(handle.read()).split())
    assert "联席会议纪要" in flat and "".join(MINUTES.split()) in flat
    for words in ("东湖区消防救援大队", "附条件同意", "开业前提交二层楼板加固验收报告",
                  "东湖区生态环境分局"):
        assert words in flat
    with pytest.raises(Conflict):
        services.meeting_conclude(actor=jw.fire_reviewer, meeting=meeting, department=jw.fire,
                                  conclusion="disagree", text="改变主意")
    # A new meeting may be convened after this one (e.g. for a changed application).
    assert convene(jw, case, at=THURSDAY + dt.timedelta(days=7)).number.endswith("-HY2")


def test_meeting_permissions_and_bad_input(jw, travel):
    case = jw.case()
    with pytest.raises(ValidationFailed) as exc:
        convene(jw, case, at=MORNING - dt.timedelta(minutes=5), place="")
    assert set(exc.value.field_errors) == {"held_at", "place"}
    assert not JointMeeting.objects.exists()
    for user, error in ((jw.fire_reviewer, PermissionDenied), (jw.health_reviewer, NotFound),
                        (jw.w.other_reviewer, NotFound)):
        with pytest.raises(error):
            convene(jw, case, actor=user)
    meeting = convene(jw, case)
    with pytest.raises(Conflict):
        convene(jw, case, at=THURSDAY + dt.timedelta(days=1))
    travel.move_to(THURSDAY + dt.timedelta(hours=1))
    # A department records only its own conclusion; the uninvolved do not see the meeting.
    with pytest.raises(PermissionDenied):
        services.meeting_conclude(actor=jw.fire_reviewer, meeting=meeting,
                                  department=jw.housing, conclusion="agree")
    with pytest.raises(NotFound):
        services.meeting_conclude(actor=jw.health_reviewer, meeting=meeting,
                                  department=jw.fire, conclusion="agree")
    with pytest.raises(ValidationFailed) as exc:
        services.meeting_conclude(actor=jw.fire_reviewer, meeting=meeting, department=jw.fire,
                                  conclusion="whatever")
    assert "conclusion" in exc.value.field_errors
    with pytest.raises(PermissionDenied):
        services.meeting_record_minutes(actor=jw.fire_reviewer, meeting=meeting,
                                        minutes=MINUTES)
    with pytest.raises(ValidationFailed) as exc:
        services.meeting_record_minutes(actor=jw.lead, meeting=meeting, minutes="太短")
    assert "minutes" in exc.value.field_errors
    assert set(MeetingConclusion.objects.values_list("conclusion", flat=True)) == {""}
    services.meeting_cancel(actor=jw.lead, meeting=meeting, reason="申请人撤回申请前暂缓")
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CANCELLED


def test_meeting_only_when_the_item_needs_one(jw):
    jw.settings.needs_meeting = False
    jw.settings.save()
    with pytest.raises(Conflict) as exc:
        convene(jw, jw.case())
    assert exc.value.code == "meeting_not_configured"


def test_the_lead_cannot_decide_while_a_meeting_is_open(jw):
    """A decision guard the joint app registers in cases: no decision before the minutes (or a
    cancelled meeting); opinions given, the decision then goes through."""
    from onewindow.cases import services as case_services
    from onewindow.cases.models import Task, TaskKind

    case = jw.case()
    meeting = convene(jw, case)
    for user, dep in ((jw.fire_reviewer, jw.fire), (jw.housing_reviewer, jw.housing),
                      (jw.ecology_reviewer, jw.ecology)):
        case_services.task_opinion(actor=user, task=Task.objects.get(
            case=case, kind=TaskKind.OPINION, department=dep), agree=True)
    case_services.task_pass(actor=jw.lead, task=jw.lead_task(case))
    last = jw.lead_task(case)
    with pytest.raises(Conflict) as exc:
        case_services.task_decide(actor=jw.w.head, task=last, approve=True)
    assert exc.value.code == "not_ready_to_decide" and "联席会议" in exc.value.message
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    services.meeting_cancel(actor=jw.w.head, meeting=meeting, reason="各部门意见一致，无需会审")
    case_services.task_decide(actor=jw.w.head, task=jw.lead_task(case), approve=True)
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED
