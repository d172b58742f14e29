"""Cases API (办件接口): apply, follow and work on cases — the same services as the pages.

Every endpoint is thin: it parses its input, calls one service or selector and serialises the
result. Scope is decided by :mod:`onewindow.cases.selectors` (reads) and the services (writes):

- Applicants (signed-in session) see and change only their own cases; another person's case is
  the same 404 as an unknown number.
- Staff (session or ``Authorization: Bearer`` token, see :mod:`onewindow.accounts.tokens`) reach
  the cases of their region subtree / department; a case outside it is a 404 as well, while a
  case in scope that needs a role they do not hold is a 403.
- ``GET /lookup`` needs no sign-in: case number plus query code (查询码); a wrong pair is the
  same 404 as an unknown number.

Errors are JSON problems ``{code, message, errors}`` (see :mod:`onewindow.api.urls`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import importlib
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Applicant, Role
from onewindow.accounts.tokens import staff_auth
from onewindow.cases import files, notices, selectors, services
from onewindow.cases.models import (
    Case,
    CaseEvent,
    CaseHop,
    CaseMaterial,
    Certificate,
    Channel,
    ClockStop,
    Notice,
    Task,
)
from onewindow.cases.workflow import Action, CaseState, allowed_actions
from onewindow.catalog.models import ServiceItem
from onewindow.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed

router = Router(tags=["办件"], auth=staff_auth)

API_PREFIX = "/api/v1/cases"
MAX_PAGE = 100

# What an applicant may do themself (the buttons of "my case"); the rest is the staff's.
APPLICANT_ACTIONS = frozenset({
    Action.SAVE, Action.ATTACH, Action.SUBMIT, Action.WITHDRAW, Action.SUPPLY,
    Action.SUPPLY_TOLERATED,
})
STAFF_HIDDEN_ACTIONS = frozenset({Action.WITHDRAW, Action.DEEM_ACCEPTED, Action.SAVE})
# Keys of an event's data an applicant may read (no internal opinions or notes).
PUBLIC_EVENT_DATA = frozenset({
    "channel", "notice", "notices", "tolerance_notice", "tolerated", "accepted_on", "legal_due",
    "promised_due", "deemed", "reason", "refer_to", "materials", "other", "decision", "days",
    "procedure", "expected_days", "result", "method", "tracking_no", "material", "kind",
})

VerdictIn = Literal["verified", "missing", "not_needed"]
DeliveryIn = Literal["window", "post", "electronic"]
SpecialKindIn = Literal[
    "hearing", "expert_review", "site_inspection", "testing", "appraisal", "public_notice", "other"
]


class PdfUnavailable(DomainError):
    status = 503
    code = "pdf_unavailable"


# --- output schemas ------------------------------------------------------------------------------


class ApplicantOut(Schema):
    id: int
    kind: str
    name: str
    identity: str = Field(description="身份证号或统一社会信用代码（脱敏）")
    mobile: str = Field(description="手机号码（脱敏）")


class DeadlinesOut(Schema):
    limit_unit: str
    legal_limit_days: int
    promised_limit_days: int
    legal_due: dt.date | None
    promised_due: dt.date | None
    days_left: int | None = Field(description="距承诺办结日期的剩余工作日（负数为已超期）")
    urgency: str = Field(description="ok 绿 / yellow 黄牌 / red 红牌 / stopped 暂停计时 / none")
    stopped: bool
    stopped_since: dt.date | None
    stopped_days: int
    extension_days: int
    extension_reason: str
    provisional: bool = Field(description="按暂定节假日安排计算，正式安排公布后重算")


class MaterialOut(Schema):
    id: int
    name: str
    required: bool
    tolerable: bool
    status: str
    status_label: str
    origin: str
    file_name: str
    content_type: str
    size: int
    note: str
    promised_by: dt.date | None
    provided_at: dt.datetime | None
    reused_from_id: int | None
    certificate_id: int | None


class TaskOut(Schema):
    id: int
    seq: int
    name: str
    department: str
    role: str
    role_label: str
    state: str
    state_label: str
    limit_days: int
    started_on: dt.date | None
    due: dt.date | None
    days_left: int | None
    urgency: str
    finished_at: dt.datetime | None
    outcome: str
    opinion: str
    green_channel: bool
    kind: str = Field("step", description="step 审批环节 / opinion 并联审查意见")
    deemed_consent: bool = False


class StopOut(Schema):
    id: int
    kind: str
    kind_label: str
    reason: str
    started_on: dt.date
    expected_days: int
    ended_on: dt.date | None
    days: int
    result: str


class NoticeOut(Schema):
    id: int
    kind: str
    title: str
    number: str
    issued_at: dt.datetime
    pdf_url: str
    verify_url: str


class CertificateOut(Schema):
    number: str
    name: str
    issued_on: dt.date
    valid_until: dt.date | None
    revoked: bool
    verify_url: str


class EventOut(Schema):
    seq: int
    action: str
    action_label: str
    actor_role: str
    actor_unit: str
    from_state: str
    to_state: str
    created_at: dt.datetime
    public: bool
    data: dict[str, Any]


class ActionRef(Schema):
    action: str
    label: str


class CaseDetail(Schema):
    case_no: str
    query_code: str | None = Field(description="仅向申请人本人显示")
    viewer: Literal["staff", "applicant"]
    item_code: str
    item_name: str
    version: int
    region_code: str
    region: str
    department: str
    centre: str
    channel: str
    channel_label: str
    state: str
    state_label: str
    decision: str
    is_instant: bool
    form: dict[str, Any]
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    received_on: dt.date | None
    accepted_on: dt.date | None
    deemed_accepted: bool
    decided_at: dt.datetime | None
    completed_at: dt.datetime | None
    refusal_reason: str
    refer_to: str
    decision_reason: str
    delivery_method: str
    tracking_no: str
    delivered_at: dt.datetime | None
    certificate: CertificateOut | None
    deadlines: DeadlinesOut
    applicant: ApplicantOut
    materials: list[MaterialOut]
    tasks: list[TaskOut]
    stops: list[StopOut]
    notices: list[NoticeOut]
    events: list[EventOut]
    allowed_actions: list[ActionRef]
    row_version: int


class CaseListItem(Schema):
    case_no: str
    item_code: str
    item_name: str
    department: str
    channel: str
    state: str
    state_label: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    promised_due: dt.date | None
    days_left: int | None
    urgency: str
    applicant: ApplicantOut | None = Field(description="工作人员列表中显示（脱敏）")


class CaseListOut(Schema):
    items: list[CaseListItem]
    next_cursor: str | None


class CaseCreatedOut(Schema):
    case_no: str
    query_code: str = Field(description="查询码：只在创建时返回一次，凭办件编号和查询码可查询进度")
    state: str
    state_label: str
    row_version: int


class NoticeRef(Schema):
    id: int
    kind: str
    title: str
    number: str
    pdf_url: str


class ActionOut(Schema):
    case_no: str
    state: str
    state_label: str
    row_version: int
    notice: NoticeRef | None = None
    task_id: int | None = Field(None, description="任务操作后当前待办的环节")
    material: MaterialOut | None = None


class InboxItem(Schema):
    task_id: int
    case_no: str
    item_code: str
    item_name: str
    applicant: str = Field(description="申请人（脱敏）")
    step: str
    department: str
    role: str
    role_label: str
    due: dt.date | None
    days_left: int | None
    urgency: str
    green_channel: bool


class InboxOut(Schema):
    items: list[InboxItem]
    next_cursor: str | None


class DueItem(Schema):
    case_no: str
    item_name: str
    department: str
    legal_due: dt.date | None
    promised_due: dt.date | None
    days_left: int | None
    urgency: str


class DueOut(Schema):
    total: int = Field(description="符合条件的办件总数")
    items: list[DueItem]
    next_cursor: str | None


class LookupMaterial(Schema):
    name: str
    status: str
    status_label: str
    note: str


class LookupEvent(Schema):
    seq: int
    action: str
    action_label: str
    actor_role: str
    actor_unit: str
    to_state: str
    created_at: dt.datetime


class LookupOut(Schema):
    case_no: str
    item_name: str
    department: str
    applicant: str = Field(description="申请人（脱敏）")
    state: str
    state_label: str
    submitted_at: dt.datetime | None
    accepted_on: dt.date | None
    promised_due: dt.date | None
    days_left: int | None
    urgency: str
    completed_at: dt.datetime | None
    materials: list[LookupMaterial]
    events: list[LookupEvent]


class SourceOut(Schema):
    source_material_id: int | None
    certificate_id: int | None
    name: str
    case_no: str
    provided_on: dt.date | None


class SourcesOut(Schema):
    materials: list[SourceOut]
    certificates: list[SourceOut]


# --- input schemas -------------------------------------------------------------------------------


class CaseCreateIn(Schema):
    item: str = Field(..., min_length=1, max_length=36, description="事项实施编码")
    applicant_id: int | None = Field(
        None, ge=1, description="申请人编号；申请人本人有多个主体时选择，窗口代为申请时必填"
    )
    form: dict[str, Any] = Field(default_factory=dict, description="申请表（按事项表单定义）")
    submit: bool = Field(False, description="同时提交（否则保存为草稿）")
    channel: Literal["online", "window", "agent", "api"] = "online"


class ListParams(Schema):
    state: str | None = Field(None, max_length=20)
    q: str = Field("", max_length=40, description="办件编号前缀、申请人姓名或证件号（工作人员）")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=MAX_PAGE)


class FormIn(Schema):
    form: dict[str, Any]
    expected_version: int | None = None


class VersionIn(Schema):
    expected_version: int | None = None


class WithdrawIn(Schema):
    reason: str = Field("", max_length=500)


class ReuseIn(Schema):
    source_material_id: int | None = Field(None, ge=1)
    certificate_id: int | None = Field(None, ge=1)


class CheckIn(Schema):
    verdict: VerdictIn
    note: str = Field("", max_length=500)


class MaterialNoteIn(Schema):
    id: int
    note: str = Field("", max_length=500)


class SupplementIn(Schema):
    materials: list[MaterialNoteIn] = Field(default_factory=list, max_length=200)
    other: str = Field("", max_length=1000)
    expected_version: int | None = None


class ToleratedIn(Schema):
    id: int
    promised_by: dt.date


class AcceptIn(Schema):
    tolerated: list[ToleratedIn] = Field(default_factory=list, max_length=200)
    expected_version: int | None = None


class RefuseIn(Schema):
    reason: str = Field(..., max_length=1000)
    refer_to: str = Field("", max_length=300)
    expected_version: int | None = None


class OnSpotIn(Schema):
    approve: bool = True
    opinion: str = Field("", max_length=1000)
    delivery_method: DeliveryIn = "window"
    expected_version: int | None = None


class ResumeIn(Schema):
    result: str = Field(..., max_length=1000)


class ExtendIn(Schema):
    days: int
    reason: str = Field(..., max_length=1000)


class DeliverIn(Schema):
    method: DeliveryIn
    tracking_no: str = Field("", max_length=40)
    identity_checked: bool = False
    expected_version: int | None = None


class PassIn(Schema):
    opinion: str = Field("", max_length=2000)


class ReturnIn(Schema):
    to_seq: int = Field(..., ge=1)
    reason: str = Field(..., max_length=2000)


class RequestMoreIn(Schema):
    materials: list[MaterialNoteIn] = Field(default_factory=list, max_length=200)
    other: str = Field("", max_length=1000)


class SpecialIn(Schema):
    kind: SpecialKindIn
    reason: str = Field(..., max_length=1000)
    expected_days: int


class DecideIn(Schema):
    approve: bool
    reason: str = Field("", max_length=2000)


class ForwardIn(Schema):
    note: str = Field("", max_length=500)
    preliminary: bool = Field(False, description="已经本级初审（20 个工作日）")


class HopOut(Schema):
    id: int
    seq: int
    kind: str
    kind_label: str
    from_region: str
    to_region: str
    sent_at: dt.datetime
    limit_days: int
    due: dt.date
    received_at: dt.datetime | None
    note: str


class OpinionIn(Schema):
    agree: bool
    opinion: str = Field("", max_length=2000, description="不同意时必填理由；同意可附条件")


class InboxParams(Schema):
    item: str | None = Field(None, max_length=36, description="事项实施编码")
    due_before: dt.date | None = None
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class DueParams(Schema):
    within: int = Field(3, ge=0, le=60, description="N 个工作日内到期（含已超期）")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(100, ge=1, le=MAX_PAGE)


class LookupParams(Schema):
    case_no: str = Field(..., max_length=40)
    query_code: str = Field(..., max_length=24)


# --- helpers -------------------------------------------------------------------------------------


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _field(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


def _case_not_found() -> NotFound:
    # The same message as the selectors': "not yours" and "no such number" read alike.
    return NotFound(_("没有找到这个办件，请核对办件编号和查询码。"))


def _is_staff(user: Any) -> bool:
    return any(access.has_any(user, perm) for perm in selectors.STAFF_VIEW_PERMS)


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> list[str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _field("cursor", _("分页游标无效，请从第一页重新查询。")) from exc
    return text.split("|")


def _case_ref(user: Any, case_no: str, *, applicant: bool = False, staff: bool = False) -> Case:
    """The case a write acts on, if the caller can reach it at all (else the same 404).

    The service then decides whether this caller may do this action (403 for staff in scope
    without the role) and locks the row; only the key is loaded here.
    """
    reach = Q(pk__in=[])
    if applicant:
        reach |= selectors.applicant_q(user)
    if staff:
        reach |= selectors.staff_scope_q(user)
    case = Case.objects.filter(reach, case_no=case_no[:32]).only("pk", "case_no").first()
    if case is None:
        raise _case_not_found()
    return case


def _task_ref(user: Any, task_id: int) -> Task:
    """A task the caller may work on; staff who see the case but not this step get a 403."""
    task = (
        Task.objects.select_related("department__region", "case__region", "case__department")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound(_("没有找到这个任务。"))
    if not services.may_work_on(user, task):
        if selectors.can_view_as_staff(user, task.case):
            raise PermissionDenied(_("这个环节不由您办理。"), code="not_your_step")
        raise NotFound(_("没有找到这个任务。"))
    return task


def _viewed_case(user: Any, case_no: str) -> tuple[Case, bool]:
    """(case with everything prefetched, seen as staff?)."""
    if _is_staff(user):
        try:
            return selectors.case_get_for_staff(user=user, case_no=case_no), True
        except NotFound:
            pass  # a member of staff may also be an applicant
    return selectors.case_get_for_applicant(user=user, case_no=case_no), False


def _pdf_url(case_no: str, notice_id: int) -> str:
    return f"{API_PREFIX}/{case_no}/notices/{notice_id}.pdf"


def _case_urgency(case: Case) -> selectors.Urgency:
    if case.state in (CaseState.IN_REVIEW, CaseState.SUSPENDED):
        return selectors.urgency(case.promised_due, stopped=case.state == CaseState.SUSPENDED)
    return selectors.Urgency(None, "none")


def _applicant_out(a: Applicant, *, full_name: bool) -> ApplicantOut:
    return ApplicantOut(
        id=a.pk, kind=a.kind, name=a.name if full_name else a.masked_name,
        identity=a.masked_identity, mobile=a.masked_mobile,
    )


def _material_out(m: CaseMaterial) -> MaterialOut:
    return MaterialOut(
        id=m.pk, name=m.name, required=m.required, tolerable=m.tolerable, status=m.status,
        status_label=m.get_status_display(), origin=m.origin, file_name=m.file_name,
        content_type=m.content_type, size=m.size, note=m.note, promised_by=m.promised_by,
        provided_at=m.provided_at, reused_from_id=m.reused_from_id,
        certificate_id=m.certificate_id,
    )


def _task_out(t: Task, *, staff: bool) -> TaskOut:
    active = t.state == "active"
    u = selectors.urgency(t.due) if active else selectors.Urgency(None, "none")
    return TaskOut(
        id=t.pk, seq=t.seq, name=t.name, department=t.department.name, role=t.role,
        role_label=_role_label(t.role), state=t.state, state_label=t.get_state_display(),
        limit_days=t.limit_days, started_on=t.started_on, due=t.due, days_left=u.days_left,
        urgency=u.level, finished_at=t.finished_at, outcome=t.outcome,
        opinion=t.opinion if staff else "", green_channel=t.green_channel, kind=t.kind,
        deemed_consent=t.deemed_consent,
    )


def _role_label(role: str) -> str:
    return _label(Role, role)


def _stop_out(s: ClockStop) -> StopOut:
    return StopOut(
        id=s.pk, kind=s.kind, kind_label=s.get_kind_display(), reason=s.reason,
        started_on=s.started_on, expected_days=s.expected_days, ended_on=s.ended_on,
        days=s.days, result=s.result,
    )


def _notice_out(n: Notice, case_no: str) -> NoticeOut:
    return NoticeOut(
        id=n.pk, kind=n.kind, title=n.get_kind_display(), number=n.number,
        issued_at=n.issued_at, pdf_url=_pdf_url(case_no, n.pk),
        verify_url=notices.verify_url(n.verify_code),
    )


def _event_out(e: CaseEvent, *, staff: bool) -> EventOut:
    data = dict(e.data or {})
    if not staff:
        data = {k: v for k, v in data.items() if k in PUBLIC_EVENT_DATA}
    return EventOut(
        seq=e.seq, action=e.action, action_label=_label(Action, e.action),
        actor_role=e.actor_role, actor_unit=e.actor_unit, from_state=e.from_state,
        to_state=e.to_state, created_at=e.created_at, public=e.public, data=data,
    )


def _deadlines_out(case: Case) -> DeadlinesOut:
    u = _case_urgency(case)
    return DeadlinesOut(
        limit_unit=case.limit_unit, legal_limit_days=case.legal_limit_days,
        promised_limit_days=case.promised_limit_days, legal_due=case.legal_due,
        promised_due=case.promised_due, days_left=u.days_left, urgency=u.level,
        stopped=case.state == CaseState.SUSPENDED or case.clock_stopped_since is not None,
        stopped_since=case.clock_stopped_since, stopped_days=case.stopped_days,
        extension_days=case.extension_days, extension_reason=case.extension_reason,
        provisional=case.deadlines_provisional,
    )


def _allowed(case: Case, *, staff: bool) -> list[ActionRef]:
    actions = allowed_actions(case.state)
    if staff:
        chosen = [a for a in actions if a not in STAFF_HIDDEN_ACTIONS]
    else:
        chosen = [a for a in actions if a in APPLICANT_ACTIONS]
    return [ActionRef(action=a.value, label=str(a.label)) for a in chosen]


def _certificate_out(case: Case) -> CertificateOut | None:
    cert = selectors.certificate_of(case)
    if cert is None:
        return None
    return CertificateOut(
        number=cert.number, name=cert.name, issued_on=cert.issued_on,
        valid_until=cert.valid_until, revoked=cert.revoked_at is not None,
        verify_url=notices.verify_url(cert.verify_code),
    )


def _detail(case: Case, *, staff: bool) -> CaseDetail:
    """Serialises a case loaded by a detail selector: prefetched rows only, no further query."""
    events = selectors.timeline(case, for_applicant=not staff)
    return CaseDetail(
        case_no=case.case_no,
        query_code=None if staff else case.query_code,
        viewer="staff" if staff else "applicant",
        item_code=case.item.implementation_code, item_name=case.item.basic.name,
        version=case.version.number, region_code=case.region.code, region=case.region.name,
        department=case.department.name, centre=notices.centre_name(case),
        channel=case.channel, channel_label=case.get_channel_display(),
        state=case.state, state_label=case.get_state_display(), decision=case.decision,
        is_instant=case.is_instant, form=case.form_data or {},
        created_at=case.created_at, submitted_at=case.submitted_at,
        received_on=case.received_on, accepted_on=case.accepted_on,
        deemed_accepted=case.deemed_accepted, decided_at=case.decided_at,
        completed_at=case.completed_at, refusal_reason=case.refusal_reason,
        refer_to=case.refer_to, decision_reason=case.decision_reason,
        delivery_method=case.delivery_method, tracking_no=case.tracking_no,
        delivered_at=case.delivered_at,
        deadlines=_deadlines_out(case),
        applicant=_applicant_out(case.applicant, full_name=True),
        materials=[_material_out(m) for m in case.materials.all()],
        tasks=[_task_out(t, staff=staff) for t in case.tasks.all()],
        stops=[_stop_out(s) for s in case.stops.all()],
        notices=[_notice_out(n, case.case_no) for n in case.notices.all()],
        certificate=_certificate_out(case),
        events=[_event_out(e, staff=staff) for e in events],
        allowed_actions=_allowed(case, staff=staff),
        row_version=case.row_version,
    )


def _list_item(case: Case, *, staff: bool) -> CaseListItem:
    u = _case_urgency(case)
    return CaseListItem(
        case_no=case.case_no, item_code=case.item.implementation_code,
        item_name=case.item.basic.name, department=case.department.name,
        channel=case.channel, state=case.state, state_label=case.get_state_display(),
        created_at=case.created_at, submitted_at=case.submitted_at,
        promised_due=case.promised_due, days_left=u.days_left, urgency=u.level,
        applicant=_applicant_out(case.applicant, full_name=False) if staff else None,
    )


def _out(case: Case, *, notice: Notice | None = None, task_id: int | None = None,
         material: CaseMaterial | None = None) -> ActionOut:
    return ActionOut(
        case_no=case.case_no, state=case.state, state_label=case.get_state_display(),
        row_version=case.row_version,
        notice=NoticeRef(id=notice.pk, kind=notice.kind, title=notice.get_kind_display(),
                         number=notice.number, pdf_url=_pdf_url(case.case_no, notice.pk))
        if notice is not None else None,
        task_id=task_id,
        material=_material_out(material) if material is not None else None,
    )


def _fresh(case_pk: int, **kw: Any) -> ActionOut:
    """The case's state after a service that returned another row (material, task)."""
    case = Case.objects.only("case_no", "state", "row_version").get(pk=case_pk)
    return _out(case, **kw)


def _upload(file: UploadedFile) -> services.Upload:
    # Read at most one byte more than allowed: the service reports the size, memory stays bounded.
    return services.Upload(name=file.name or "", data=file.read(files.max_bytes() + 1))


# --- applying: applicants, the window, other systems ---------------------------------------------


def _applicant_for_create(user: Any, payload: CaseCreateIn) -> Applicant:
    if payload.channel == Channel.AGENT:
        # A proxy application needs the villager's recorded consent: the proxy service's API.
        raise _field("channel", _("代办申请须先记录群众的委托确认，请通过代办服务接口"
                                  "（/api/v1/proxy）办理。"))
    if payload.channel == Channel.ONLINE:
        qs = Applicant.objects.filter(user_id=user.pk)
        if payload.applicant_id:
            qs = qs.filter(pk=payload.applicant_id)
        rows = list(qs.order_by("pk")[:2])
        if not rows:
            if payload.applicant_id:
                raise NotFound(_("没有找到这个申请人。"))
            raise _field("applicant_id", _("您的账户还没有申请人信息，请先完善个人信息。"))
        if len(rows) > 1:
            raise _field("applicant_id", _("请选择以哪个申请人（个人或单位）身份申请。"))
        return rows[0]
    if not (access.has_any(user, Perm.CASE_ACCEPT)
            or access.has_any(user, Perm.CASE_APPLY_AS_AGENT)):
        raise PermissionDenied(_("您没有权限在此受理这个事项。"))
    if not payload.applicant_id:
        raise _field("applicant_id", _("请选择申请人。"))
    applicant = next(iter(Applicant.objects.filter(pk=payload.applicant_id).order_by()[:1]), None)
    if applicant is None:
        raise NotFound(_("没有找到这个申请人。"))
    return applicant


@router.post(
    "", response={201: CaseCreatedOut},
    summary="创建办件：申请人网上申请，或窗口、代办员、其他系统代为申请（可同时提交）",
)
def create_case(request: HttpRequest, payload: CaseCreateIn) -> Status[CaseCreatedOut]:
    user = request.user
    item = next(iter(
        ServiceItem.objects.select_related("basic", "region", "department", "current_version")
        .filter(implementation_code=payload.item).order_by()[:1]
    ), None)
    if item is None:
        raise NotFound(_("没有找到这个事项，或它尚未公开。"))
    applicant = _applicant_for_create(user, payload)
    case = services.case_create(
        actor=user, item=item, applicant=applicant, channel=payload.channel,
        form_data=payload.form, submit=payload.submit, ip=_ip(request),
    )
    return Status(201, CaseCreatedOut(
        case_no=case.case_no, query_code=case.query_code, state=case.state,
        state_label=case.get_state_display(), row_version=case.row_version,
    ))


@router.get("", response=CaseListOut,
            summary="办件列表：申请人为“我的办件”，工作人员为辖区内办件（按时间倒序，游标分页）")
def list_cases(request: HttpRequest, params: Query[ListParams]) -> CaseListOut:
    user = request.user
    if params.state and params.state not in CaseState.values:
        raise _field("state", _("状态不正确。"))
    staff = _is_staff(user)
    if staff:
        qs = selectors.cases_for_staff(user=user, state=params.state, q=params.q)
    else:
        qs = selectors.cases_for_applicant(user=user)
        if params.state:
            qs = qs.filter(state=params.state)
    if params.cursor:
        parts = _decode_cursor(params.cursor)
        try:
            at, pk = dt.datetime.fromisoformat(parts[0]), int(parts[1])
            if at.tzinfo is None:
                raise ValueError(parts[0])
        except (IndexError, ValueError) as exc:
            raise _field("cursor", _("分页游标无效，请从第一页重新查询。")) from exc
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    rows = list(qs.order_by("-created_at", "-pk")[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    last = rows[-1] if rows and more else None
    return CaseListOut(
        items=[_list_item(c, staff=staff) for c in rows],
        next_cursor=_encode_cursor(last.created_at.isoformat(), str(last.pk)) if last else None,
    )


# Fixed paths come before /{case_no} so that they are not taken for a case number.


@router.get("/lookup", response=LookupOut, auth=None,
            summary="凭办件编号和查询码查询办理进度（无需登录）")
def lookup(request: HttpRequest, params: Query[LookupParams]) -> LookupOut:
    case = selectors.case_lookup_public(case_no=params.case_no, query_code=params.query_code)
    u = _case_urgency(case)
    return LookupOut(
        case_no=case.case_no, item_name=case.item.basic.name, department=case.department.name,
        applicant=case.applicant.masked_name, state=case.state,
        state_label=case.get_state_display(), submitted_at=case.submitted_at,
        accepted_on=case.accepted_on, promised_due=case.promised_due, days_left=u.days_left,
        urgency=u.level, completed_at=case.completed_at,
        materials=[
            LookupMaterial(name=m.name, status=m.status, status_label=m.get_status_display(),
                           note=m.note if m.status == "missing" else "")
            for m in case.materials.all()
        ],
        events=[
            LookupEvent(seq=e.seq, action=e.action, action_label=_label(Action, e.action),
                        actor_role=e.actor_role, actor_unit=e.actor_unit, to_state=e.to_state,
                        created_at=e.created_at)
            for e in selectors.timeline(case, for_applicant=True)
        ],
    )


@router.get("/inbox", response=InboxOut,
            summary="审批待办：本人可办理的环节，按到期日排序（剩余工作日与黄牌、红牌）")
def inbox(request: HttpRequest, params: Query[InboxParams]) -> dict[str, Any]:
    user = request.user
    if not access.has_any(user, Perm.CASE_REVIEW):
        raise PermissionDenied(_("您没有审批办件的权限。"))
    after: tuple[dt.date, int] | None = None
    if params.cursor:
        parts = _decode_cursor(params.cursor)
        try:
            after = (dt.date.fromisoformat(parts[0]), int(parts[1]))
        except (IndexError, ValueError) as exc:
            raise _field("cursor", _("分页游标无效，请从第一页重新查询。")) from exc
    tasks = selectors.inbox(user=user, item_code=params.item, due_before=params.due_before,
                            limit=params.limit + 1, after=after)
    more = len(tasks) > params.limit
    tasks = tasks[: params.limit]
    last = tasks[-1] if tasks and more else None
    items = []
    for t in tasks:
        u = selectors.urgency(t.due)
        # Plain dicts: the response schema validates them once (a Schema per row would be
        # validated twice).
        items.append({
            "task_id": t.pk, "case_no": t.case.case_no,
            "item_code": t.case.item.implementation_code, "item_name": t.case.item.basic.name,
            "applicant": t.case.applicant.masked_name, "step": t.name,
            "department": t.department.name, "role": t.role, "role_label": _role_label(t.role),
            "due": t.due, "days_left": u.days_left, "urgency": u.level,
            "green_channel": t.green_channel,
        })
    cursor = _encode_cursor(last.due.isoformat(), str(last.pk)) if last and last.due else None
    return {"items": items, "next_cursor": cursor}


@router.get("/due", response=DueOut,
            summary="临期办件：N 个工作日内到期（含已超期）的审批中办件，最紧急的在前（游标分页）")
def due(request: HttpRequest, params: Query[DueParams]) -> dict[str, Any]:
    user = request.user
    if not _is_staff(user):
        raise PermissionDenied(_("您没有查看办件的权限。"))
    after = None
    if params.cursor:
        parts = _decode_cursor(params.cursor)
        try:
            after = (dt.date.fromisoformat(parts[0]), int(parts[1]))
        except (IndexError, ValueError) as exc:
            raise _field("cursor", _("分页游标无效，请从第一页重新查询。")) from exc
    rows = selectors.cases_due_within(user=user, workdays=params.within,
                                      limit=params.limit + 1, after=after)
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    out = []
    for case in rows:
        u = selectors.urgency(case.promised_due)
        out.append({
            "case_no": case.case_no, "item_name": case.item.basic.name,
            "department": case.department.name, "legal_due": case.legal_due,
            "promised_due": case.promised_due, "days_left": u.days_left, "urgency": u.level,
        })
    last = rows[-1] if rows and more else None
    return {
        "total": selectors.count_due_within(user=user, workdays=params.within), "items": out,
        "next_cursor": (_encode_cursor(str(last.promised_due), str(last.pk))
                        if last and last.promised_due else None),
    }


# --- tasks (back office) -------------------------------------------------------------------------


@router.post("/tasks/{task_id}/pass", response=ActionOut, summary="通过本环节，转下一环节")
def task_pass(request: HttpRequest, task_id: int, payload: PassIn) -> ActionOut:
    task = _task_ref(request.user, task_id)
    nxt = services.task_pass(actor=request.user, task=task, opinion=payload.opinion)
    return _fresh(task.case_id, task_id=nxt.pk)


@router.post("/tasks/{task_id}/return", response=ActionOut,
             summary="退回到之前的环节（须说明理由）")
def task_return(request: HttpRequest, task_id: int, payload: ReturnIn) -> ActionOut:
    task = _task_ref(request.user, task_id)
    target = services.task_return(actor=request.user, task=task, to_seq=payload.to_seq,
                                  reason=payload.reason)
    return _fresh(task.case_id, task_id=target.pk)


@router.post("/tasks/{task_id}/request-more", response=ActionOut,
             summary="审查中要求补正材料（暂停计时，出具补正材料通知书）")
def task_request_more(request: HttpRequest, task_id: int, payload: RequestMoreIn) -> ActionOut:
    task = _task_ref(request.user, task_id)
    notice = services.task_request_more(
        actor=request.user, task=task,
        materials=[{"id": m.id, "note": m.note} for m in payload.materials], other=payload.other,
    )
    return _out(notice.case, notice=notice)


@router.post("/tasks/{task_id}/special", response=ActionOut,
             summary="启动特别程序（听证、专家评审、现场勘查等，暂停计时并书面告知）")
def task_special(request: HttpRequest, task_id: int, payload: SpecialIn) -> ActionOut:
    task = _task_ref(request.user, task_id)
    notice = services.task_start_special(actor=request.user, task=task, kind=payload.kind,
                                         reason=payload.reason,
                                         expected_days=payload.expected_days)
    return _out(notice.case, notice=notice)


@router.post("/tasks/{task_id}/decide", response=ActionOut,
             summary="作出准予或不予许可决定（最后环节；不予许可须说明理由）")
def task_decide(request: HttpRequest, task_id: int, payload: DecideIn) -> ActionOut:
    task = _task_ref(request.user, task_id)
    notice = services.task_decide(actor=request.user, task=task, approve=payload.approve,
                                  reason=payload.reason)
    return _out(notice.case, notice=notice)


@router.post("/tasks/{task_id}/opinion", response=ActionOut,
             summary="并联审批：参与部门反馈审查意见（同意 / 不同意，不同意须说明理由）")
def task_opinion(request: HttpRequest, task_id: int, payload: OpinionIn) -> ActionOut:
    task = _task_ref(request.user, task_id)
    services.task_opinion(actor=request.user, task=task, agree=payload.agree,
                          opinion=payload.opinion)
    return _fresh(task.case_id)


def _hop_out(h: CaseHop) -> HopOut:
    return HopOut(id=h.pk, seq=h.seq, kind=h.kind, kind_label=h.get_kind_display(),
                  from_region=h.from_region.name, to_region=h.to_region.name,
                  sent_at=h.sent_at, limit_days=h.limit_days, due=h.due,
                  received_at=h.received_at, note=h.note)


@router.get("/hops/in-transit", response=list[HopOut],
            summary="四级联动：待本窗口接收的转报件与下送结果")
def hops_in_transit(request: HttpRequest) -> list[HopOut]:
    return [_hop_out(h) for h in selectors.hops_in_transit(user=request.user)]


@router.post("/hops/{hop_id}/receive", response=ActionOut,
             summary="四级联动：确认接收转报件或下送结果")
def hop_receive(request: HttpRequest, hop_id: int) -> ActionOut:
    hop = CaseHop.objects.filter(pk=hop_id).first()
    if hop is None:
        raise NotFound(_("没有找到这个流转件。"))
    services.hop_receive(actor=request.user, hop=hop)
    return _fresh(hop.case_id)


# --- one case ------------------------------------------------------------------------------------


@router.get("/{case_no}", response=CaseDetail,
            summary="办件详情：期限、申请人、材料、环节、暂停、文书、日志与当前可执行操作")
def get_case(request: HttpRequest, case_no: str) -> CaseDetail:
    case, staff = _viewed_case(request.user, case_no)
    return _detail(case, staff=staff)


@router.get("/{case_no}/notices/{notice_id}.pdf",
            summary="下载文书 PDF（申请人本人或辖区工作人员）")
def notice_pdf(request: HttpRequest, case_no: str, notice_id: int) -> HttpResponse:
    case, _staff = _viewed_case(request.user, case_no)
    notice = selectors.notice_for_user(user=request.user, case=case, notice_id=notice_id)
    try:
        pdf = importlib.import_module("onewindow.cases.pdf")
    except ModuleNotFoundError as exc:
        if exc.name != "onewindow.cases.pdf":
            raise
        raise PdfUnavailable(_("文书 PDF 暂时无法生成，请稍后再试或到窗口领取纸质文书。")) from exc
    data = pdf.render_notice(notice)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
    return response


@router.put("/{case_no}/form", response=ActionOut, summary="保存申请表（草稿）")
def save_form(request: HttpRequest, case_no: str, payload: FormIn) -> ActionOut:
    case = _case_ref(request.user, case_no, applicant=True, staff=True)
    case = services.case_save_form(actor=request.user, case=case, form_data=payload.form,
                                   expected_version=payload.expected_version)
    return _out(case)


@router.get("/{case_no}/materials/{material_id}/sources", response=SourcesOut,
            summary="可复用的材料：本人以前提交过的同名材料和有效电子证照")
def material_sources(request: HttpRequest, case_no: str, material_id: int) -> SourcesOut:
    case, _staff = _viewed_case(request.user, case_no)
    row = next((m for m in case.materials.all() if m.pk == material_id), None)
    if row is None:
        raise NotFound(_("这份材料不属于本办件。"))
    earlier, certificates = services.reusable_sources(applicant=case.applicant, name=row.name)
    return SourcesOut(
        materials=[
            SourceOut(source_material_id=m.pk, certificate_id=None, name=m.file_name or m.name,
                      case_no=m.case.case_no,
                      provided_on=m.provided_at.date() if m.provided_at else None)
            for m in earlier if m.case_id != case.pk
        ],
        certificates=[_certificate_source(c) for c in certificates],
    )


def _certificate_source(c: Certificate) -> SourceOut:
    return SourceOut(source_material_id=None, certificate_id=c.pk,
                     name=f"{c.name}（{c.number}）", case_no=c.case.case_no,
                     provided_on=c.issued_on)


@router.post("/{case_no}/materials/{material_id}", response=ActionOut,
             summary="上传申请材料或补正材料（PDF、JPG、PNG，按文件内容识别）")
def upload_material(request: HttpRequest, case_no: str, material_id: int,
                    file: File[UploadedFile]) -> ActionOut:
    case = _case_ref(request.user, case_no, applicant=True, staff=True)
    row = services.case_attach_material(actor=request.user, case=case, material_id=material_id,
                                        upload=_upload(file))
    return _fresh(case.pk, material=row)


@router.post("/{case_no}/materials/{material_id}/reuse", response=ActionOut,
             summary="复用以前提交过的材料或电子证照（免于重复提交）")
def reuse_material(request: HttpRequest, case_no: str, material_id: int,
                   payload: ReuseIn) -> ActionOut:
    if bool(payload.source_material_id) == bool(payload.certificate_id):
        raise _field("source_material_id", _("请选择一份以前的材料或一张电子证照（二选一）。"))
    case = _case_ref(request.user, case_no, applicant=True, staff=True)
    row = services.case_reuse_material(
        actor=request.user, case=case, material_id=material_id,
        source_material_id=payload.source_material_id, certificate_id=payload.certificate_id,
    )
    return _fresh(case.pk, material=row)


@router.post("/{case_no}/materials/{material_id}/supply-tolerated", response=ActionOut,
             summary="补交容缺材料（申请人上传；窗口可登记收到纸质件）")
def supply_tolerated(request: HttpRequest, case_no: str, material_id: int,
                     file: File[UploadedFile | None] = None) -> ActionOut:
    case = _case_ref(request.user, case_no, applicant=True, staff=True)
    row = services.case_supply_tolerated(
        actor=request.user, case=case, material_id=material_id,
        upload=_upload(file) if file is not None else None,
    )
    return _fresh(case.pk, material=row)


@router.post("/{case_no}/materials/{material_id}/check", response=ActionOut,
             summary="核验材料：已核验、需补正（须说明）或无需提交")
def check_material(request: HttpRequest, case_no: str, material_id: int,
                   payload: CheckIn) -> ActionOut:
    case = _case_ref(request.user, case_no, staff=True)
    row = services.case_check_material(actor=request.user, case=case, material_id=material_id,
                                       verdict=payload.verdict, note=payload.note)
    return _fresh(case.pk, material=row)


@router.post("/{case_no}/submit", response=ActionOut, summary="提交申请")
def submit(request: HttpRequest, case_no: str, payload: VersionIn | None = None) -> ActionOut:
    payload = payload or VersionIn()
    case = _case_ref(request.user, case_no, applicant=True, staff=True)
    case = services.case_submit(actor=request.user, case=case, ip=_ip(request),
                                expected_version=payload.expected_version)
    return _out(case)


@router.post("/{case_no}/withdraw", response=ActionOut, summary="撤回申请（受理前）")
def withdraw(request: HttpRequest, case_no: str, payload: WithdrawIn | None = None) -> ActionOut:
    payload = payload or WithdrawIn(reason="")
    case = _case_ref(request.user, case_no, applicant=True)
    case = services.case_withdraw(actor=request.user, case=case, reason=payload.reason)
    return _out(case)


@router.post("/{case_no}/supply", response=ActionOut,
             summary="补正完毕，重新提交（受理前补正，或审查中补正后恢复计时）")
def supply(request: HttpRequest, case_no: str) -> ActionOut:
    case = _case_ref(request.user, case_no, applicant=True, staff=True)
    case = services.case_supply(actor=request.user, case=case, ip=_ip(request))
    return _out(case)


@router.post("/{case_no}/request-supplement", response=ActionOut,
             summary="一次性告知补正（出具补正材料通知书）")
def request_supplement(request: HttpRequest, case_no: str, payload: SupplementIn) -> ActionOut:
    case = _case_ref(request.user, case_no, staff=True)
    notice = services.case_request_supplement(
        actor=request.user, case=case,
        materials=[{"id": m.id, "note": m.note} for m in payload.materials],
        other=payload.other, expected_version=payload.expected_version,
    )
    return _out(notice.case, notice=notice)


@router.post("/{case_no}/accept", response=ActionOut,
             summary="受理（或容缺受理：列出容缺材料及承诺补交日期），出具受理通知书")
def accept(request: HttpRequest, case_no: str, payload: AcceptIn | None = None) -> ActionOut:
    payload = payload or AcceptIn()
    case = _case_ref(request.user, case_no, staff=True)
    case = services.case_accept(
        actor=request.user, case=case,
        tolerated=[{"id": t.id, "promised_by": t.promised_by} for t in payload.tolerated],
        expected_version=payload.expected_version,
    )
    return _out(case)


@router.post("/{case_no}/refuse", response=ActionOut,
             summary="不予受理（须说明理由，告知向何机关申请），出具不予受理通知书")
def refuse(request: HttpRequest, case_no: str, payload: RefuseIn) -> ActionOut:
    case = _case_ref(request.user, case_no, staff=True)
    notice = services.case_refuse(actor=request.user, case=case, reason=payload.reason,
                                  refer_to=payload.refer_to,
                                  expected_version=payload.expected_version)
    return _out(notice.case, notice=notice)


@router.post("/{case_no}/forward", response=ActionOut,
             summary="四级联动：就近受理站点将办件转报上级（可注明已初审，时限 20 个工作日）")
def forward(request: HttpRequest, case_no: str, payload: ForwardIn) -> ActionOut:
    case = _case_ref(request.user, case_no, staff=True)
    services.case_forward(actor=request.user, case=case, note=payload.note,
                          preliminary=payload.preliminary)
    return _fresh(case.pk)


@router.post("/{case_no}/decide-on-spot", response=ActionOut,
             summary="首席代表当场办结（即办件，须在授权范围内）")
def decide_on_spot(request: HttpRequest, case_no: str, payload: OnSpotIn) -> ActionOut:
    case = _case_ref(request.user, case_no, staff=True)
    case = services.case_decide_on_spot(
        actor=request.user, case=case, approve=payload.approve, opinion=payload.opinion,
        delivery_method=payload.delivery_method, expected_version=payload.expected_version,
    )
    return _out(case)


@router.post("/{case_no}/resume", response=ActionOut, summary="特别程序结束，恢复计时（记录结果）")
def resume(request: HttpRequest, case_no: str, payload: ResumeIn) -> ActionOut:
    case = _case_ref(request.user, case_no, staff=True)
    case = services.case_resume(actor=request.user, case=case, result=payload.result)
    return _out(case)


@router.post("/{case_no}/extend", response=ActionOut,
             summary="延期（部门负责人批准，一次，最多 10 个工作日），出具延期告知书")
def extend(request: HttpRequest, case_no: str, payload: ExtendIn) -> ActionOut:
    case = _case_ref(request.user, case_no, staff=True)
    notice = services.case_extend(actor=request.user, case=case, days=payload.days,
                                  reason=payload.reason)
    return _out(notice.case, notice=notice)


@router.post("/{case_no}/deliver", response=ActionOut,
             summary="统一出件：窗口领取（核验身份）、邮寄（快递单号）或电子送达")
def deliver(request: HttpRequest, case_no: str, payload: DeliverIn) -> ActionOut:
    case = _case_ref(request.user, case_no, staff=True)
    case = services.case_deliver(
        actor=request.user, case=case, method=payload.method, tracking_no=payload.tracking_no,
        identity_checked=payload.identity_checked, expected_version=payload.expected_version,
    )
    return _out(case)
