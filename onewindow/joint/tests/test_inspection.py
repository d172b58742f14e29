"""联合踏勘 through the services: scheduling, answers, rescheduling, findings with photos, the
record as a PDF on the case, and the clock — stopped only when the item says so."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from onewindow.cases.models import Case, CaseEvent, ClockStop, Notice, NoticeKind, StopKind
from onewindow.cases.services import Upload
from onewindow.cases.workflow import Action, CaseState
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.joint import services
from onewindow.joint.models import (
    InspectionFinding,
    InspectionInvite,
    InspectionPhoto,
    JointInspection,
)
from onewindow.joint.tests.conftest import FRIDAY, MORNING, THURSDAY, TZ, jpeg_bytes, png_bytes
from onewindow.joint.workflow import InspectionState, InviteState
from onewindow.notifications.models import Notification
from onewindow.workdays.selectors import add_workdays, workdays_between

pytestmark = pytest.mark.django_db

FIRE_FINDINGS = "消防通道畅通，灭火器配置齐全，应急照明可用"
HOUSING_FINDINGS = "房屋结构完好，二层楼板荷载满足餐饮使用，需补充加固说明"
LEAD_FINDINGS = "经营场所与平面图一致，面积约一百二十平方米"


def pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                         check=True)
    return out.stdout.decode("utf-8")


def schedule(jw: Any, case: Case, at: dt.datetime = THURSDAY, **kw: Any) -> JointInspection:
    return services.inspection_schedule(actor=jw.lead, case=case, scheduled_at=at,
                                        place=kw.pop("place", "东湖区湖滨路88号经营场所"),
                                        purpose=kw.pop("purpose", "核查经营场所与消防、建筑安全"),
                                        **kw)


def invite(inspection: JointInspection, department: Any) -> InspectionInvite:
    return InspectionInvite.objects.get(inspection=inspection, department=department)


def media_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_inspection_life_from_schedule_to_the_record_on_the_case(jw, travel, settings):
    case = jw.case()
    promised_before, legal_before = case.promised_due, case.legal_due
    inspection = schedule(jw, case)

    # Invited: the participants the item flags for inspection, not ecology (opinion only).
    invites = list(inspection.invites.order_by("sort_order"))
    assert [i.department for i in invites] == [jw.fire, jw.housing]
    assert invites[0].subject == "消防设施与疏散通道" and invites[1].subject == "建筑安全意见"
    assert all(i.state == InviteState.INVITED for i in invites)
    assert inspection.number == f"{case.case_no}-KC1"
    # The item stops the clock: the site-inspection special procedure, told in writing.
    case.refresh_from_db()
    assert case.state == CaseState.SUSPENDED and case.clock_stopped_since == MORNING.date()
    stop = ClockStop.objects.get(case=case)
    assert stop.kind == StopKind.SITE_INSPECTION and inspection.stop_id == stop.pk
    assert inspection.special_notice.kind == NoticeKind.SPECIAL
    # The invited departments' people and the applicant were told; ecology was not.
    app = Notification.objects.filter(channel="in_app", subject="联合踏勘邀请")
    told = set(app.values_list("user_id", flat=True))
    assert {jw.fire_reviewer.pk, jw.fire_head.pk, jw.housing_reviewer.pk} <= told
    assert jw.ecology_reviewer.pk not in told and jw.lead.pk not in told
    assert Notification.objects.filter(channel="sms", phone=jw.w.applicant.mobile,
                                       body__contains="联合踏勘").exists()

    # Housing cannot come on Thursday: it proposes Friday, with its reason.
    services.invite_respond(actor=jw.housing_reviewer, invite=invite(inspection, jw.housing),
                            confirm=False, proposed_at=FRIDAY, note="周四局里有安全生产检查")
    services.invite_respond(actor=jw.fire_head, invite=invite(inspection, jw.fire), confirm=True)
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.RESCHEDULING
    assert Notification.objects.filter(user=jw.lead, subject="联合踏勘提议改期").exists()
    # While a new time is pending nobody records findings, and the record cannot be closed.
    travel.move_to(THURSDAY + dt.timedelta(hours=1))
    with pytest.raises(Conflict):
        services.finding_record(actor=jw.fire_reviewer, inspection=inspection,
                                department=jw.fire, findings=FIRE_FINDINGS, conclusion="pass")
    travel.move_to(MORNING + dt.timedelta(hours=2))

    # The lead moves it to Friday: every invite starts again.
    services.inspection_reschedule(actor=jw.lead, inspection=inspection, scheduled_at=FRIDAY)
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.SCHEDULED and inspection.scheduled_at == FRIDAY
    assert set(inspection.invites.values_list("state", flat=True)) == {InviteState.INVITED}
    assert inspection.reschedules[0]["reason"] == "东湖区住房和城乡建设局：周四局里有安全生产检查"
    for user, dep in ((jw.fire_reviewer, jw.fire), (jw.housing_reviewer, jw.housing)):
        services.invite_respond(actor=user, invite=invite(inspection, dep), confirm=True)
    assert set(inspection.invites.values_list("state", flat=True)) == {InviteState.CONFIRMED}

    # Findings before the inspection time are refused.
    with pytest.raises(Conflict) as exc:
        services.finding_record(actor=jw.fire_reviewer, inspection=inspection,
                                department=jw.fire, findings=FIRE_FINDINGS, conclusion="pass")
    assert exc.value.code == "not_yet_held"

    # Friday: each department records its findings, fire with two photos.
    travel.move_to(FRIDAY + dt.timedelta(hours=2))
    services.finding_record(
        actor=jw.fire_reviewer, inspection=inspection, department=jw.fire,
        findings=FIRE_FINDINGS, conclusion="pass",
        photos=[Upload("通道.png", png_bytes()), Upload("灭火器.jpg", jpeg_bytes())])
    with pytest.raises(Conflict) as exc:  # housing has not recorded yet
        services.inspection_close(actor=jw.lead, inspection=inspection, summary="同意通过踏勘")
    assert exc.value.code == "findings_missing" and "住房和城乡建设局" in exc.value.message
    services.finding_record(actor=jw.housing_reviewer, inspection=inspection,
                            department=jw.housing, findings=HOUSING_FINDINGS,
                            conclusion="rectify")
    services.finding_record(actor=jw.w.head, inspection=inspection, department=jw.w.departments[
        "d1_market"], findings=LEAD_FINDINGS, conclusion="pass")
    assert Notification.objects.filter(user=jw.lead, subject="踏勘意见已齐全").count() == 1
    photos = list(InspectionPhoto.objects.filter(finding__department=jw.fire).order_by("id"))
    assert [(p.file_name, p.content_type) for p in photos] == [
        ("通道.png", "image/png"), ("灭火器.jpg", "image/jpeg")]

    # Monday: the lead closes the record; the clock runs again.
    monday = dt.datetime(2026, 11, 30, 10, 0, tzinfo=TZ)
    travel.move_to(monday)
    services.inspection_close(actor=jw.lead, inspection=inspection,
                              summary="经营场所符合要求，建筑安全须补充加固说明后通过")
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.DONE and inspection.record
    assert inspection.record_size == inspection.record.size > 0
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW and case.clock_stopped_since is None
    stop.refresh_from_db()
    stopped = workdays_between(MORNING.date(), monday.date()).days
    assert stop.ended_on == monday.date() and stop.days == stopped == 4
    assert case.promised_due == add_workdays(promised_before, stopped).date
    assert case.legal_due == add_workdays(legal_before, stopped).date
    resume = CaseEvent.objects.filter(case=case, action=Action.RESUME).get()
    assert resume.data["result"].startswith("联合踏勘已完成")

    # The PDF reads back with every department's findings.
    with inspection.record.open("rb") as handle:
        text = pdf_text(handle.read())
    flat = "".join(text.split())
    assert "联合踏勘记录" in flat and inspection.number in flat
    for name in ("东湖区消防救援大队", "东湖区住房和城乡建设局", "东湖区市场监督管理局"):
        assert name in flat
    for findings in (FIRE_FINDINGS, HOUSING_FINDINGS, LEAD_FINDINGS):
        assert "".join(findings.split()) in flat
    assert "整改后符合" in flat and "经营场所符合要求" in flat and "改期记录" in flat
    assert "通道.png" in flat  # the photos are in the record with their names

    # Once closed, nothing more is recorded.
    with pytest.raises(Conflict):
        services.finding_record(actor=jw.fire_reviewer, inspection=inspection,
                                department=jw.fire, findings="补充意见内容", conclusion="pass")


def _run_inspection(jw: Any, travel: Any, case: Case) -> JointInspection:
    inspection = schedule(jw, case)
    travel.move_to(THURSDAY + dt.timedelta(hours=1))
    services.finding_record(actor=jw.fire_reviewer, inspection=inspection, department=jw.fire,
                            findings=FIRE_FINDINGS, conclusion="pass")
    services.finding_record(actor=jw.housing_reviewer, inspection=inspection,
                            department=jw.housing, findings=HOUSING_FINDINGS, conclusion="pass")
    travel.move_to(FRIDAY)
    return services.inspection_close(actor=jw.lead, inspection=inspection,
                                     summary="各部门均同意，踏勘通过")


@pytest.mark.parametrize("stops", [True, False])
def test_the_clock_stops_only_when_the_item_says_so(jw, travel, stops):
    jw.settings.inspection_stops_clock = stops
    jw.settings.save()
    case = jw.case()
    promised, legal = case.promised_due, case.legal_due
    task_due = jw.lead_task(case).due
    inspection = _run_inspection(jw, travel, case)
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    stopped = workdays_between(MORNING.date(), FRIDAY.date()).days  # Wed, Thu, Fri
    assert stopped == 3
    if stops:
        assert inspection.stop is not None and inspection.stop.days == stopped
        assert case.promised_due == add_workdays(promised, stopped).date
        assert case.legal_due == add_workdays(legal, stopped).date
        assert jw.lead_task(case).due == add_workdays(task_due, stopped).date
        assert Notice.objects.filter(case=case, kind=NoticeKind.SPECIAL).count() == 1
    else:  # the clock kept running: nothing moved, no special procedure, no notice
        assert inspection.stop is None and inspection.special_notice is None
        assert (case.promised_due, case.legal_due) == (promised, legal)
        assert jw.lead_task(case).due == task_due
        assert not ClockStop.objects.filter(case=case).exists()
        assert not Notice.objects.filter(case=case, kind=NoticeKind.SPECIAL).exists()


def test_cancelling_resumes_the_clock_and_a_new_inspection_may_follow(jw, travel):
    case = jw.case()
    promised = case.promised_due
    inspection = schedule(jw, case)
    with pytest.raises(ValidationFailed) as exc:
        services.inspection_cancel(actor=jw.lead, inspection=inspection, reason="")
    assert "reason" in exc.value.field_errors
    travel.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=TZ))
    services.inspection_cancel(actor=jw.lead, inspection=inspection,
                               reason="申请人申请变更经营场所")
    inspection.refresh_from_db()
    case.refresh_from_db()
    assert inspection.state == InspectionState.CANCELLED
    assert case.state == CaseState.IN_REVIEW and case.promised_due == add_workdays(promised,
                                                                                    1).date
    assert Notification.objects.filter(user=jw.fire_reviewer, subject="联合踏勘取消").exists()
    again = schedule(jw, case, at=FRIDAY)
    assert again.number.endswith("-KC2") and again.state == InspectionState.SCHEDULED


def test_one_open_inspection_per_case_and_only_when_the_item_needs_one(jw):
    case = jw.case()
    schedule(jw, case)
    with pytest.raises(Conflict) as exc:
        schedule(jw, case, at=FRIDAY)
    assert exc.value.code in ("inspection_open", "clock_already_stopped")
    jw.settings.needs_inspection = False
    jw.settings.save()
    other = jw.case()
    with pytest.raises(Conflict) as exc:
        schedule(jw, other)
    assert exc.value.code == "inspection_not_configured"
    assert JointInspection.objects.filter(case=other).count() == 0


def test_who_may_do_what(jw, travel):
    case = jw.case()
    # A participant, the lead department's head (the active step is the reviewer's) and an
    # uninvolved department cannot schedule; the other district does not even see the case.
    for user, error in ((jw.fire_reviewer, PermissionDenied), (jw.w.head, PermissionDenied),
                        (jw.health_reviewer, NotFound), (jw.w.other_reviewer, NotFound),
                        (jw.w.applicant_user, NotFound)):
        with pytest.raises(error):
            services.inspection_schedule(actor=user, case=case, scheduled_at=THURSDAY,
                                         place="东湖区湖滨路88号")
    assert not JointInspection.objects.exists()
    inspection = schedule(jw, case)
    # Only the invited department answers its own invite.
    for user, error in ((jw.lead, PermissionDenied), (jw.housing_reviewer, PermissionDenied),
                        (jw.health_reviewer, NotFound), (jw.w.other_reviewer, NotFound)):
        with pytest.raises(error):
            services.invite_respond(actor=user, invite=invite(inspection, jw.fire), confirm=True)
    assert invite(inspection, jw.fire).state == InviteState.INVITED
    # Only the lead reschedules, closes, cancels.
    for call in (
        lambda u: services.inspection_reschedule(actor=u, inspection=inspection,
                                                 scheduled_at=FRIDAY),
        lambda u: services.inspection_cancel(actor=u, inspection=inspection, reason="不去了吧"),
    ):
        with pytest.raises(PermissionDenied):
            call(jw.fire_reviewer)
    travel.move_to(THURSDAY + dt.timedelta(hours=1))
    # Findings: one's own department only; ecology (not invited) has none to record.
    with pytest.raises(PermissionDenied):
        services.finding_record(actor=jw.fire_reviewer, inspection=inspection,
                                department=jw.housing, findings=HOUSING_FINDINGS,
                                conclusion="pass")
    with pytest.raises(ValidationFailed) as exc:
        services.finding_record(actor=jw.ecology_reviewer, inspection=inspection,
                                department=jw.ecology, findings="环境影响不大", conclusion="pass")
    assert "department" in exc.value.field_errors
    assert not InspectionFinding.objects.exists()
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.SCHEDULED


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(jw, travel, settings):
    case = jw.case()
    past = MORNING - dt.timedelta(hours=1)
    with pytest.raises(ValidationFailed) as exc:
        services.inspection_schedule(actor=jw.lead, case=case, scheduled_at=past, place=" ")
    errors = exc.value.field_errors
    assert errors["scheduled_at"] == ["时间不能早于现在，请选择今后的日期和时间。"]
    assert errors["place"] == ["请填写踏勘地点。"]
    with pytest.raises(ValidationFailed) as exc:
        services.inspection_schedule(actor=jw.lead, case=case, place="东湖区湖滨路88号",
                                     scheduled_at=MORNING + dt.timedelta(days=400))
    assert "最多提前 180 天" in exc.value.field_errors["scheduled_at"][0]
    case.refresh_from_db()
    assert not JointInspection.objects.exists() and case.state == CaseState.IN_REVIEW
    assert not ClockStop.objects.filter(case=case).exists()

    inspection = schedule(jw, case)
    fire_invite = invite(inspection, jw.fire)
    with pytest.raises(ValidationFailed) as exc:
        services.invite_respond(actor=jw.fire_reviewer, invite=fire_invite, confirm=False,
                                proposed_at=past, note="")
    assert set(exc.value.field_errors) == {"proposed_at", "note"}
    assert exc.value.field_errors["note"] == ["请说明不能按时参加的理由。"]
    fire_invite.refresh_from_db()
    assert fire_invite.state == InviteState.INVITED and fire_invite.responded_at is None

    travel.move_to(THURSDAY + dt.timedelta(hours=1))
    before = media_files(settings)
    cases = [
        ({"findings": "  ", "conclusion": "pass"}, "findings", "请填写本部门的踏勘情况。"),
        ({"findings": FIRE_FINDINGS, "conclusion": "maybe"}, "conclusion", "请选择踏勘结论"),
        ({"findings": FIRE_FINDINGS, "conclusion": "pass",
          "photos": [Upload("plan.jpg", b"%PDF-1.4 not an image")]}, "photos", "照片“plan.jpg”"),
        ({"findings": FIRE_FINDINGS, "conclusion": "pass",
          "photos": [Upload("scan.pdf", _pdf())]}, "photos", "不是 JPG 或 PNG"),
        ({"findings": FIRE_FINDINGS, "conclusion": "pass",
          "photos": [Upload("ok.png", png_bytes()), Upload("blank.png", png_bytes("white"))]},
         "photos", "空白"),
    ]
    for kw, field, words in cases:
        with pytest.raises(ValidationFailed) as exc:
            services.finding_record(actor=jw.fire_reviewer, inspection=inspection,
                                    department=jw.fire, **kw)
        assert words in exc.value.field_errors[field][0], (field, exc.value.field_errors)
    settings.ONEWINDOW_JOINT_PHOTO_MAX_BYTES = 100
    with pytest.raises(ValidationFailed) as exc:
        services.finding_record(actor=jw.fire_reviewer, inspection=inspection,
                                department=jw.fire, findings=FIRE_FINDINGS, conclusion="pass",
                                photos=[Upload("big.png", png_bytes())])
    assert "超过" in exc.value.field_errors["photos"][0]
    assert not InspectionFinding.objects.exists() and not InspectionPhoto.objects.exists()
    assert media_files(settings) == before


def _pdf() -> bytes:
    from onewindow.cases.tests.conftest import pdf_bytes

    return pdf_bytes("scan")


def test_a_department_may_correct_its_findings_and_photos_until_closed(jw, travel):
    case = jw.case()
    inspection = schedule(jw, case)
    travel.move_to(THURSDAY + dt.timedelta(hours=1))
    finding = services.finding_record(actor=jw.fire_reviewer, inspection=inspection,
                                      department=jw.fire, findings="初步意见：通道畅通",
                                      conclusion="rectify",
                                      photos=[Upload("a.png", png_bytes())])
    services.finding_record(actor=jw.fire_head, inspection=inspection, department=jw.fire,
                            findings=FIRE_FINDINGS, conclusion="pass",
                            photos=[Upload("b.jpg", jpeg_bytes())])
    finding.refresh_from_db()
    assert InspectionFinding.objects.count() == 1
    assert finding.findings == FIRE_FINDINGS and finding.recorded_by == jw.fire_head
    assert finding.photos.count() == 2
    first = finding.photos.order_by("id").first()
    with pytest.raises(PermissionDenied):
        services.photo_remove(actor=jw.housing_reviewer, photo=first)
    services.photo_remove(actor=jw.fire_reviewer, photo=first)
    assert list(finding.photos.values_list("file_name", flat=True)) == ["b.jpg"]
    # A proposal after findings started is refused: the inspection has taken place.
    with pytest.raises(Conflict):
        services.invite_respond(actor=jw.housing_reviewer, invite=invite(inspection, jw.housing),
                                confirm=False, proposed_at=FRIDAY + dt.timedelta(days=3),
                                note="当天未能到场")
    with pytest.raises(Conflict):
        services.inspection_reschedule(actor=jw.lead, inspection=inspection,
                                       scheduled_at=FRIDAY + dt.timedelta(days=3))
