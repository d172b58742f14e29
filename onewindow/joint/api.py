"""Joint inspection and meeting API (联合踏勘与联席会议接口): the same services as the pages.

Staff only (session or ``Authorization: Bearer`` token). Signed in without any staff permission
on cases → 403; an inspection, meeting or case outside the user's scope → 404 (the same as one
that does not exist); in scope but not the user's to do (a participant scheduling, the lead
answering for a department) → 403. Errors are JSON problems ``{code, message, errors}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from onewindow.accounts import access
from onewindow.accounts.tokens import staff_auth
from onewindow.cases import selectors as case_selectors
from onewindow.cases.models import Case
from onewindow.cases.services import Upload
from onewindow.core.errors import NotFound, PermissionDenied, ValidationFailed
from onewindow.joint import selectors, services
from onewindow.joint.models import (
    InspectionFinding,
    InspectionInvite,
    JointInspection,
    JointMeeting,
    MeetingConclusion,
)
from onewindow.joint.workflow import (
    FindingConclusion,
    InspectionState,
    InviteState,
    MeetingConclusionKind,
    MeetingState,
)
from onewindow.regions.models import Department

router = Router(tags=["联合踏勘与联席会议"], auth=staff_auth)

PREFIX = "/api/v1/joint"


def _require(request: HttpRequest) -> None:
    if not any(access.has_any(request.user, p) for p in case_selectors.STAFF_VIEW_PERMS):
        raise PermissionDenied(_("您没有使用联合踏勘与联席会议的权限。"))


def _field(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={name: [message]})


# --- output ------------------------------------------------------------------------------------


class InviteOut(Schema):
    department_id: int
    department: str
    subject: str
    state: str
    state_label: str
    proposed_at: dt.datetime | None
    note: str
    responded_at: dt.datetime | None


class PhotoOut(Schema):
    id: int
    file_name: str
    content_type: str
    size: int
    url: str


class FindingOut(Schema):
    department_id: int
    department: str
    findings: str
    conclusion: str
    conclusion_label: str
    recorded_at: dt.datetime
    photos: list[PhotoOut]


class InspectionOut(Schema):
    id: int
    number: str
    case_no: str
    department: str = Field(description="牵头部门")
    state: str = Field(description="scheduled 已安排 / rescheduling 待改期 / done / cancelled")
    state_label: str
    scheduled_at: dt.datetime
    place: str
    purpose: str
    stops_clock: bool = Field(description="踏勘期间暂停计时（现场勘查特别程序）")
    clock_stop_id: int | None
    special_notice: str | None = Field(description="特别程序告知书编号")
    findings_due: dt.date = Field(description="意见记录期限（踏勘后若干工作日）")
    invites: list[InviteOut]
    findings: list[FindingOut]
    reschedules: list[dict[str, Any]]
    summary: str
    cancel_reason: str
    closed_at: dt.datetime | None
    record_url: str | None = Field(description="踏勘记录 PDF（形成记录后）")
    record_sha256: str


class ConclusionOut(Schema):
    department_id: int
    department: str
    conclusion: str
    conclusion_label: str
    text: str
    recorded_at: dt.datetime | None


class MeetingOut(Schema):
    id: int
    number: str
    case_no: str
    department: str
    state: str
    state_label: str
    held_at: dt.datetime
    place: str
    topic: str
    minutes: str
    conclusions: list[ConclusionOut]
    cancel_reason: str
    closed_at: dt.datetime | None
    record_url: str | None
    record_sha256: str


class CaseJointOut(Schema):
    case_no: str
    needs_inspection: bool
    inspection_stops_clock: bool
    needs_meeting: bool
    lead: bool = Field(description="当前用户是牵头部门当前环节的办理人")
    can_schedule: bool
    can_convene: bool
    inspections: list[InspectionOut]
    meetings: list[MeetingOut]


class RowOut(Schema):
    kind: str = Field(description="inspection / meeting")
    id: int
    number: str
    case_no: str
    item: str
    department: str
    at: dt.datetime
    place: str
    todo: str
    due: dt.date | None
    lead: bool


class MineOut(Schema):
    invited: list[RowOut]
    meetings: list[RowOut]
    leading: list[RowOut]


def _invite_out(i: InspectionInvite) -> InviteOut:
    return InviteOut(department_id=i.department_id, department=i.department.name,
                     subject=i.subject, state=i.state,
                     state_label=str(InviteState(i.state).label), proposed_at=i.proposed_at,
                     note=i.note, responded_at=i.responded_at)


def _finding_out(inspection: JointInspection, f: InspectionFinding) -> FindingOut:
    return FindingOut(
        department_id=f.department_id, department=f.department.name, findings=f.findings,
        conclusion=f.conclusion, conclusion_label=str(FindingConclusion(f.conclusion).label),
        recorded_at=f.recorded_at,
        photos=[PhotoOut(id=p.pk, file_name=p.file_name, content_type=p.content_type,
                         size=p.size,
                         url=f"/workbench/joint/inspections/{inspection.pk}/photos/{p.pk}/")
                for p in f.photos.all()])


def inspection_out(i: JointInspection) -> InspectionOut:
    done = i.state == InspectionState.DONE and bool(i.record)
    return InspectionOut(
        id=i.pk, number=i.number, case_no=i.case.case_no, department=i.department.name,
        state=i.state, state_label=str(InspectionState(i.state).label),
        scheduled_at=i.scheduled_at, place=i.place, purpose=i.purpose,
        stops_clock=i.stops_clock, clock_stop_id=i.stop_id,
        special_notice=i.special_notice.number if i.special_notice_id and i.special_notice
        else None,
        findings_due=selectors.findings_due(i),
        invites=[_invite_out(v) for v in i.invites.all()],
        findings=[_finding_out(i, f) for f in i.findings.all()],
        reschedules=[{k: v for k, v in r.items() if k != "by"} for r in i.reschedules],
        summary=i.summary, cancel_reason=i.cancel_reason, closed_at=i.closed_at,
        record_url=f"{PREFIX}/inspections/{i.pk}/record.pdf" if done else None,
        record_sha256=i.record_sha256,
    )


def meeting_out(m: JointMeeting) -> MeetingOut:
    done = m.state == MeetingState.HELD and bool(m.record)
    return MeetingOut(
        id=m.pk, number=m.number, case_no=m.case.case_no, department=m.department.name,
        state=m.state, state_label=str(MeetingState(m.state).label), held_at=m.held_at,
        place=m.place, topic=m.topic, minutes=m.minutes,
        conclusions=[ConclusionOut(
            department_id=c.department_id, department=c.department.name,
            conclusion=c.conclusion,
            conclusion_label=str(MeetingConclusionKind(c.conclusion).label), text=c.text,
            recorded_at=c.recorded_at) for c in m.conclusions.all()],
        cancel_reason=m.cancel_reason, closed_at=m.closed_at,
        record_url=f"{PREFIX}/meetings/{m.pk}/minutes.pdf" if done else None,
        record_sha256=m.record_sha256,
    )


# --- input -------------------------------------------------------------------------------------


class ScheduleIn(Schema):
    scheduled_at: dt.datetime = Field(description="踏勘时间（无时区时按本地时间）")
    place: str = Field(..., max_length=300)
    purpose: str = Field("", max_length=3000)


class RespondIn(Schema):
    confirm: bool = Field(description="true 确认参加；false 提议改期（须填 proposed_at 和 note）")
    proposed_at: dt.datetime | None = None
    note: str = Field("", max_length=1000)
    department_id: int | None = Field(None, description="代表多个受邀部门时指明部门")


class RescheduleIn(Schema):
    scheduled_at: dt.datetime
    place: str = Field("", max_length=300)
    reason: str = Field("", max_length=1000)


class CloseIn(Schema):
    summary: str = Field(..., max_length=3000)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=1000)


class ConveneIn(Schema):
    held_at: dt.datetime
    place: str = Field(..., max_length=300)
    topic: str = Field("", max_length=3000)


class ConcludeIn(Schema):
    department_id: int
    conclusion: Literal["agree", "conditional", "disagree"]
    text: str = Field("", max_length=3000)


class MinutesIn(Schema):
    minutes: str = Field(..., max_length=12000)


class MeetingCloseIn(Schema):
    minutes: str | None = Field(None, max_length=12000)


# --- helpers ------------------------------------------------------------------------------------


def _case(request: HttpRequest, case_no: str) -> Case:
    return case_selectors.case_get_for_staff(user=request.user, case_no=case_no)


def _inspection(request: HttpRequest, pk: int) -> JointInspection:
    return selectors.inspection_get(user=request.user, pk=pk)


def _meeting(request: HttpRequest, pk: int) -> JointMeeting:
    return selectors.meeting_get(user=request.user, pk=pk)


def _fresh_inspection(request: HttpRequest, pk: int) -> InspectionOut:
    return inspection_out(_inspection(request, pk))


def _fresh_meeting(request: HttpRequest, pk: int) -> MeetingOut:
    return meeting_out(_meeting(request, pk))


def _pdf(field: Any, name: str) -> HttpResponse:
    with field.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- endpoints ---------------------------------------------------------------------------------


@router.get("/mine", response=MineOut,
            summary="本部门受邀的踏勘、参加的会议、牵头组织的踏勘和会议（待办与期限）")
def mine(request: HttpRequest) -> MineOut:
    _require(request)
    rows = selectors.joint_inbox(user=request.user)

    def out(r: selectors.Row) -> RowOut:
        at = r.obj.scheduled_at if r.kind == "inspection" else r.obj.held_at
        due = timezone.localdate(r.due) if isinstance(r.due, dt.datetime) else r.due
        return RowOut(kind=r.kind, id=r.obj.pk, number=r.obj.number, case_no=r.case.case_no,
                      item=r.case.item.basic.name,
                      department=r.department.name if r.department else "", at=at,
                      place=r.obj.place, todo=r.todo, due=due, lead=r.lead)

    return MineOut(**{k: [out(r) for r in v] for k, v in rows.items()})


@router.get("/cases/{case_no}", response=CaseJointOut, summary="办件的联合踏勘与联席会议")
def case_joint(request: HttpRequest, case_no: str) -> CaseJointOut:
    _require(request)
    case = _case(request, case_no)
    joint = selectors.joint_for_case(case, request.user)
    s = joint.settings
    return CaseJointOut(
        case_no=case.case_no, needs_inspection=bool(s and s.needs_inspection),
        inspection_stops_clock=bool(s and s.inspection_stops_clock),
        needs_meeting=bool(s and s.needs_meeting), lead=joint.lead,
        can_schedule=joint.can_schedule, can_convene=joint.can_convene,
        inspections=[_fresh_inspection(request, i.pk) for i in joint.inspections],
        meetings=[_fresh_meeting(request, m.pk) for m in joint.meetings],
    )


@router.post("/cases/{case_no}/inspections", response={201: InspectionOut},
             summary="安排联合踏勘（牵头部门）：邀请需踏勘的并联审批部门；事项要求时暂停计时")
def schedule(request: HttpRequest, case_no: str, payload: ScheduleIn) -> tuple[int, InspectionOut]:
    _require(request)
    inspection = services.inspection_schedule(
        actor=request.user, case=_case(request, case_no), scheduled_at=payload.scheduled_at,
        place=payload.place, purpose=payload.purpose)
    return 201, _fresh_inspection(request, inspection.pk)


@router.get("/inspections/{inspection_id}", response=InspectionOut, summary="联合踏勘详情")
def inspection(request: HttpRequest, inspection_id: int) -> InspectionOut:
    _require(request)
    return _fresh_inspection(request, inspection_id)


@router.post("/inspections/{inspection_id}/respond", response=InspectionOut,
             summary="受邀部门确认参加，或提议另选时间（须说明理由）")
def respond(request: HttpRequest, inspection_id: int, payload: RespondIn) -> InspectionOut:
    _require(request)
    found = _inspection(request, inspection_id)
    invites = list(found.invites.all())
    mine_ = [i for i in invites if selectors.acts_for(request.user, i.department)]
    if payload.department_id is not None:
        invite = next((i for i in invites if i.department_id == payload.department_id), None)
        if invite is None:
            raise _field("department_id", _("这个部门没有受邀参加本次踏勘。"))
    elif len(mine_) > 1:
        raise _field("department_id", _("您代表多个受邀部门，请指明代表哪个部门回复。"))
    elif mine_:
        invite = mine_[0]
    elif invites:
        invite = invites[0]  # not invited: the service refuses (403)
    else:
        raise NotFound(_("没有找到这份邀请。"))
    services.invite_respond(actor=request.user, invite=invite, confirm=payload.confirm,
                            proposed_at=payload.proposed_at, note=payload.note)
    return _fresh_inspection(request, inspection_id)


@router.post("/inspections/{inspection_id}/reschedule", response=InspectionOut,
             summary="改期（牵头部门）：各受邀部门重新确认")
def reschedule(request: HttpRequest, inspection_id: int, payload: RescheduleIn) -> InspectionOut:
    _require(request)
    services.inspection_reschedule(actor=request.user,
                                   inspection=_inspection(request, inspection_id),
                                   scheduled_at=payload.scheduled_at, place=payload.place,
                                   reason=payload.reason)
    return _fresh_inspection(request, inspection_id)


@router.post("/inspections/{inspection_id}/findings", response=InspectionOut,
             summary="记录本部门踏勘意见（multipart：findings、conclusion、photos 多张 JPG/PNG）")
def findings(request: HttpRequest, inspection_id: int,
             findings: Form[str] = "", conclusion: Form[str] = "",
             department_id: Form[int | None] = None,
             photos: File[list[UploadedFile]] = None) -> InspectionOut:  # type: ignore[assignment]
    _require(request)
    found = _inspection(request, inspection_id)
    candidates = [found.department, *[i.department for i in found.invites.all()]]
    department: Department | None
    if department_id is not None:
        department = next((d for d in candidates if d.pk == department_id), None)
        if department is None:
            raise _field("department_id", _("这个部门没有受邀参加本次踏勘。"))
    else:
        mine_ = [d for d in candidates if selectors.acts_for(request.user, d)]
        if len(mine_) > 1:
            raise _field("department_id", _("您代表多个部门，请指明代表哪个部门记录。"))
        department = mine_[0] if mine_ else found.department
    limit = services.photo_max_bytes() + 1
    uploads = [Upload(name=f.name or "", data=f.read(limit)) for f in (photos or [])]
    services.finding_record(actor=request.user, inspection=found, department=department,
                            findings=findings, conclusion=conclusion, photos=uploads)
    return _fresh_inspection(request, inspection_id)


@router.post("/inspections/{inspection_id}/close", response=InspectionOut,
             summary="形成踏勘记录（牵头部门）：各部门意见齐全，生成 PDF 归入办件，恢复计时")
def close(request: HttpRequest, inspection_id: int, payload: CloseIn) -> InspectionOut:
    _require(request)
    services.inspection_close(actor=request.user, inspection=_inspection(request, inspection_id),
                              summary=payload.summary)
    return _fresh_inspection(request, inspection_id)


@router.post("/inspections/{inspection_id}/cancel", response=InspectionOut,
             summary="取消踏勘（牵头部门，须说明理由）")
def cancel(request: HttpRequest, inspection_id: int, payload: ReasonIn) -> InspectionOut:
    _require(request)
    services.inspection_cancel(actor=request.user,
                               inspection=_inspection(request, inspection_id),
                               reason=payload.reason)
    return _fresh_inspection(request, inspection_id)


@router.get("/inspections/{inspection_id}/record.pdf", summary="联合踏勘记录（PDF）")
def inspection_record(request: HttpRequest, inspection_id: int) -> HttpResponse:
    _require(request)
    found = _inspection(request, inspection_id)
    if found.state != InspectionState.DONE or not found.record:
        raise NotFound(_("踏勘记录尚未形成。"), code="record_not_ready")
    return _pdf(found.record, found.number)


@router.post("/cases/{case_no}/meetings", response={201: MeetingOut},
             summary="召集联席会议（牵头部门）：全部并联审批部门参会")
def convene(request: HttpRequest, case_no: str, payload: ConveneIn) -> tuple[int, MeetingOut]:
    _require(request)
    meeting = services.meeting_convene(actor=request.user, case=_case(request, case_no),
                                       held_at=payload.held_at, place=payload.place,
                                       topic=payload.topic)
    return 201, _fresh_meeting(request, meeting.pk)


@router.get("/meetings/{meeting_id}", response=MeetingOut, summary="联席会议详情")
def meeting(request: HttpRequest, meeting_id: int) -> MeetingOut:
    _require(request)
    return _fresh_meeting(request, meeting_id)


@router.post("/meetings/{meeting_id}/conclusions", response=MeetingOut,
             summary="记录部门会审结论（牵头部门或该部门）")
def conclude(request: HttpRequest, meeting_id: int, payload: ConcludeIn) -> MeetingOut:
    _require(request)
    found = _meeting(request, meeting_id)
    row: MeetingConclusion | None = next(
        (c for c in found.conclusions.all() if c.department_id == payload.department_id), None)
    if row is None:
        raise _field("department_id", _("这个部门没有受邀参加本次会议。"))
    services.meeting_conclude(actor=request.user, meeting=found, department=row.department,
                              conclusion=payload.conclusion, text=payload.text)
    return _fresh_meeting(request, meeting_id)


@router.post("/meetings/{meeting_id}/minutes", response=MeetingOut, summary="保存会议纪要")
def minutes(request: HttpRequest, meeting_id: int, payload: MinutesIn) -> MeetingOut:
    _require(request)
    services.meeting_record_minutes(actor=request.user, meeting=_meeting(request, meeting_id),
                                    minutes=payload.minutes)
    return _fresh_meeting(request, meeting_id)


@router.post("/meetings/{meeting_id}/close", response=MeetingOut,
             summary="形成会议纪要（各部门结论齐全），生成 PDF 归入办件")
def meeting_close(request: HttpRequest, meeting_id: int, payload: MeetingCloseIn) -> MeetingOut:
    _require(request)
    services.meeting_close(actor=request.user, meeting=_meeting(request, meeting_id),
                           minutes=payload.minutes)
    return _fresh_meeting(request, meeting_id)


@router.post("/meetings/{meeting_id}/cancel", response=MeetingOut, summary="取消联席会议")
def meeting_cancel(request: HttpRequest, meeting_id: int, payload: ReasonIn) -> MeetingOut:
    _require(request)
    services.meeting_cancel(actor=request.user, meeting=_meeting(request, meeting_id),
                            reason=payload.reason)
    return _fresh_meeting(request, meeting_id)


@router.get("/meetings/{meeting_id}/minutes.pdf", summary="联席会议纪要（PDF）")
def meeting_record(request: HttpRequest, meeting_id: int) -> HttpResponse:
    _require(request)
    found = _meeting(request, meeting_id)
    if found.state != MeetingState.HELD or not found.record:
        raise NotFound(_("会议纪要尚未形成。"), code="record_not_ready")
    return _pdf(found.record, found.number)
