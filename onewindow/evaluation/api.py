"""好差评 and 投诉 API (/api/v1/evaluation): the same services as the pages.

- Public, no sign-in: published reviews; rating a window visit by its ticket token (the QR on
  the ticket page) or a service by its invitation link token; online complaints (anonymous,
  with a mobile number; throttled per address and per mobile); a complaint's follow page by its
  token and the complainant's rating; the SMS gateway's reply hook (shared secret).
- Applicants (session or token): rate their own completed case.
- Staff: follow-ups of their unit; appeals, complaints and figures for the supervision office
  (``supervise`` over the region subtree); a department's statements on complaints it was
  asked to explain (without the complainant, ever).

Errors are JSON problems ``{code, message, errors}``; scope misses are 404s.
"""

from __future__ import annotations

import datetime as dt
import hmac
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import User
from onewindow.accounts.tokens import staff_auth
from onewindow.core import clock
from onewindow.core.errors import NotFound, PermissionDenied, ValidationFailed
from onewindow.core.masking import mask_phone
from onewindow.evaluation import selectors, services
from onewindow.evaluation.models import (
    Appeal,
    Complaint,
    EvalChannel,
    Evaluation,
    FollowUp,
    Level,
)
from onewindow.evaluation.throttle import throttle_complaint, throttle_rating
from onewindow.regions.models import Region

router = Router(tags=["好差评与投诉"], auth=staff_auth)

MAX_PAGE = 100


def _ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


# --- schemas -------------------------------------------------------------------------------------


class RateIn(Schema):
    level: int = Field(
        ..., description="1 非常满意 · 2 满意 · 3 基本满意 · 4 不满意 · 5 非常不满意")
    comment: str = Field("", max_length=500)
    channel: Literal["pc", "mobile", "qr", "tablet", "terminal"] = "pc"


class RateStatusOut(Schema):
    service: str
    kind: str
    finished: bool
    rated: bool
    level: int | None
    level_label: str
    awaiting_second: bool = Field(description="差评已整改答复，可再次评价")
    second_level: int | None
    response: str = Field(description="部门的整改答复（公开）")
    levels: list[dict[str, Any]]


class RatedOut(Schema):
    id: int
    level: int
    level_label: str
    second_level: int | None
    follow_up_id: int | None = Field(description="差评生成的整改单（申请人只见编号）")


class ReviewOut(Schema):
    created_at: dt.datetime
    service: str
    department: str
    window: str
    level: int
    level_label: str
    comment: str
    rater: str
    response: str
    response_at: dt.datetime | None
    second_level_label: str


class ReviewsOut(Schema):
    items: list[ReviewOut]
    next_before: int | None


class ReviewParams(Schema):
    department: int | None = Field(None, ge=1)
    bad_only: bool = False
    before: int | None = Field(None, ge=1)
    limit: int = Field(20, ge=1, le=MAX_PAGE)


class FollowUpOut(Schema):
    id: int
    state: str
    state_label: str
    responsible: str
    department: str
    service: str
    level: int
    level_label: str
    comment: str
    channel_label: str
    rated_at: dt.datetime
    rater_phone: str = Field(description="用于回访（列表中脱敏）")
    window: str
    due: dt.date
    overdue: bool
    verification: str
    callback_note: str
    outcome: str
    response: str
    rectify_by: dt.date | None
    answered_at: dt.datetime | None
    on_time: bool | None
    second_level: int | None
    appeal_state: str


class FollowUpListOut(Schema):
    items: list[FollowUpOut]


class FollowUpParams(Schema):
    state: str = Field("", max_length=10)
    overdue: bool = False
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class CallBackIn(Schema):
    verification: str = Field(..., max_length=2000)
    callback_note: str = Field(..., max_length=2000)


class RespondIn(Schema):
    outcome: Literal["rectified", "plan", "explained"]
    response: str = Field(..., max_length=2000)
    rectify_by: dt.date | None = None


class AppealIn(Schema):
    reason: str = Field(..., max_length=2000)


class AppealOut(Schema):
    id: int
    state: str
    state_label: str
    reason: str
    filed_at: dt.datetime
    department: str
    service: str
    level_label: str
    comment: str
    decided_at: dt.datetime | None
    decision_note: str


class DecideIn(Schema):
    uphold: bool
    note: str = Field(..., max_length=2000)


class ComplaintIn(Schema):
    target_kind: Literal["window", "staff", "department", "case"]
    window_id: int | None = Field(None, ge=1)
    staff_number: str = Field("", max_length=20)
    department_id: int | None = Field(None, ge=1)
    case_no: str = Field("", max_length=40)
    query_code: str = Field("", max_length=24)
    subject: str = Field(..., max_length=100)
    content: str = Field(..., max_length=2000)
    mobile: str = Field("", max_length=20)
    name: str = Field("", max_length=50)


class DeskComplaintIn(ComplaintIn):
    channel: Literal["desk", "phone"]


class ComplaintCreatedOut(Schema):
    number: str
    follow_url: str = Field(description="凭此链接查看进度并评价答复（请妥善保存）")
    due: dt.date


class ComplaintFollowOut(Schema):
    number: str
    state: str
    state_label: str
    subject: str
    created_at: dt.datetime
    due: dt.date
    answer: str
    answered_at: dt.datetime | None
    rating: int | None
    can_rate: bool


class ComplaintOut(Schema):
    number: str
    channel: str
    state: str
    state_label: str
    target_kind: str
    target: str
    department: str
    region: str
    subject: str
    content: str
    complainant_name: str = Field(description="仅监察室可见")
    complainant_mobile: str = Field(description="仅监察室可见")
    created_at: dt.datetime
    due: dt.date
    overdue: bool
    assignee: str
    department_asked: bool
    department_statement: str
    investigation: str
    substantiated: bool | None
    answer: str
    answered_at: dt.datetime | None
    on_time: bool | None
    rating: int | None
    rating_comment: str
    files: list[str]


class ComplaintListOut(Schema):
    items: list[ComplaintOut]


class ComplaintParams(Schema):
    state: str = Field("", max_length=16)
    overdue: bool = False
    q: str = Field("", max_length=24)
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class AssignIn(Schema):
    assignee: str = Field(..., max_length=150, description="承办人用户名")
    ask_department: bool = False


class AnswerIn(Schema):
    answer: str = Field(..., max_length=2000)
    investigation: str = Field(..., max_length=2000)
    substantiated: bool | None = None


class ReasonIn(Schema):
    reason: str = Field(..., max_length=2000)


class StatementIn(Schema):
    statement: str = Field(..., max_length=2000)


class StatementOut(Schema):
    number: str
    state: str
    state_label: str
    target: str
    department: str
    subject: str
    content: str
    created_at: dt.datetime
    due: dt.date
    statement: str
    statement_at: dt.datetime | None


class ComplaintRateIn(Schema):
    level: int
    comment: str = Field("", max_length=500)


class SmsReplyIn(Schema):
    phone: str = Field(..., max_length=20)
    text: str = Field("", max_length=1000)


class SmsReplyOut(Schema):
    ok: bool
    code: str


class FiguresParams(Schema):
    region: str = Field("", max_length=12, description="区划代码（默认为本人监察范围）")
    department: int | None = Field(None, ge=1)
    group_by: Literal["", "department", "window", "staff", "region", "month"] = ""
    start: dt.date | None = None
    end: dt.date | None = None


class FigureRow(Schema):
    key: str | None
    label: str
    total: int
    levels: dict[str, int]
    satisfied: int
    bad: int
    satisfaction_rate: Decimal | None = Field(
        description="满意率（%）= 1–3 级评价 / 全部计入统计的评价")


class ComplaintFigureRow(Schema):
    key: str | None
    label: str
    received: int
    answered: int
    answered_on_time: int
    open_overdue: int
    substantiated: int
    rated: int
    rated_satisfied: int


class FiguresOut(Schema):
    region: str
    evaluations: list[FigureRow]
    complaints: list[ComplaintFigureRow]
    follow_ups: dict[str, Any]


# --- helpers -------------------------------------------------------------------------------------


def _levels() -> list[dict[str, Any]]:
    return [{"level": v, "label": str(label)} for v, label in Level.choices]


def _status(service: services.Service) -> RateStatusOut:
    e = selectors.evaluation_of(service.kind, service.ref)
    fu = getattr(e, "follow_up", None) if e else None
    return RateStatusOut(
        service=service.label, kind=service.kind, finished=service.finished,
        rated=e is not None, level=e.level if e else None,
        level_label=e.get_level_display() if e else "",
        awaiting_second=bool(fu and fu.state == "answered" and e and e.second_level is None),
        second_level=e.second_level if e else None,
        response=fu.response if fu and fu.answered_at else "", levels=_levels(),
    )


def _rated(e: Evaluation) -> RatedOut:
    fu = FollowUp.objects.filter(evaluation=e).values_list("pk", flat=True).first()
    return RatedOut(id=e.pk, level=e.level, level_label=e.get_level_display(),
                    second_level=e.second_level, follow_up_id=fu)


def _follow_up_out(fu: FollowUp, *, full: bool) -> FollowUpOut:
    e = fu.evaluation
    appeal = getattr(e, "appeal", None) if hasattr(e, "appeal") else None
    return FollowUpOut(
        id=fu.pk, state=fu.state, state_label=fu.get_state_display(),
        responsible=fu.responsible,
        department=fu.department.name if fu.department else fu.region.name,
        service=e.service_label, level=e.level, level_label=e.get_level_display(),
        comment=e.comment, channel_label=e.get_channel_display(), rated_at=e.created_at,
        rater_phone=e.rater_phone if full else mask_phone(e.rater_phone),
        window=f"{e.window.number} {e.window.name}" if e.window else "",
        due=fu.due, overdue=fu.state in selectors.OPEN_FOLLOW_UP and fu.due < clock.today(),
        verification=fu.verification, callback_note=fu.callback_note, outcome=fu.outcome,
        response=fu.response, rectify_by=fu.rectify_by, answered_at=fu.answered_at,
        on_time=fu.on_time, second_level=e.second_level,
        appeal_state=appeal.state if appeal else "",
    )


def _appeal_out(a: Appeal) -> AppealOut:
    e = a.evaluation
    return AppealOut(
        id=a.pk, state=a.state, state_label=a.get_state_display(), reason=a.reason,
        filed_at=a.filed_at, department=e.department.name if e.department else e.region.name,
        service=e.service_label, level_label=e.get_level_display(), comment=e.comment,
        decided_at=a.decided_at, decision_note=a.decision_note,
    )


def _complaint_out(c: Complaint, *, files: bool = False) -> ComplaintOut:
    return ComplaintOut(
        number=c.number or "", channel=c.channel, state=c.state,
        state_label=c.get_state_display(), target_kind=c.target_kind,
        target=selectors.target_label(c),
        department=c.department.name if c.department else "", region=c.region.name,
        subject=c.subject, content=c.content, complainant_name=c.complainant_name,
        complainant_mobile=c.complainant_mobile, created_at=c.created_at, due=c.due,
        overdue=c.state in selectors.OPEN_COMPLAINT and c.due < clock.today(),
        assignee=str(c.assignee) if c.assignee_id else "", department_asked=c.department_asked,
        department_statement=c.department_statement, investigation=c.investigation,
        substantiated=c.substantiated, answer=c.answer, answered_at=c.answered_at,
        on_time=c.on_time, rating=c.rating, rating_comment=c.rating_comment,
        files=[f.file_name for f in c.files.all()] if files else [],
    )


def _statement_out(r: selectors.DepartmentComplaint) -> StatementOut:
    return StatementOut(
        number=r.number, state=r.state, state_label=r.state_label, target=r.target_label,
        department=r.department, subject=r.subject, content=r.content, created_at=r.created_at,
        due=r.due, statement=r.statement, statement_at=r.statement_at,
    )


def _follow_out(c: Complaint) -> ComplaintFollowOut:
    return ComplaintFollowOut(
        number=c.number or "", state=c.state, state_label=c.get_state_display(),
        subject=c.subject, created_at=c.created_at, due=c.due,
        answer=c.answer if c.answered_at else "", answered_at=c.answered_at, rating=c.rating,
        can_rate=c.state in ("answered", "dismissed"),
    )


# --- public --------------------------------------------------------------------------------------


@router.get("/reviews", response=ReviewsOut, auth=None, summary="评价公开（匿名化，附部门答复）")
def reviews(request: HttpRequest, params: Query[ReviewParams]) -> ReviewsOut:
    items, nxt = selectors.published_reviews(
        department_id=params.department, bad_only=params.bad_only, before_id=params.before,
        limit=params.limit)
    return ReviewsOut(items=[ReviewOut(**vars(r)) for r in items], next_before=nxt)


@router.get("/tickets/{token}", response=RateStatusOut, auth=None,
            summary="窗口服务的评价状态（凭排队号跟踪码）")
def ticket_status(request: HttpRequest, token: str) -> RateStatusOut:
    return _status(services.rateable_ticket(token=token))


@router.post("/tickets/{token}/rate", response={201: RatedOut}, auth=None,
             summary="评价一次窗口服务（扫码 / 评价器，凭排队号跟踪码）")
def ticket_rate(request: HttpRequest, token: str, body: RateIn) -> Status[RatedOut]:
    throttle_rating(_ip(request))
    service = services.rateable_ticket(token=token)
    channel = body.channel if body.channel != "pc" else EvalChannel.QR
    e = services.rate_or_rerate(service=service, level=body.level, channel=channel,
                                comment=body.comment)
    return Status(201, _rated(e))


@router.get("/invitations/{token}", response=RateStatusOut, auth=None,
            summary="评价邀请链接对应服务的评价状态")
def invitation_status(request: HttpRequest, token: str) -> RateStatusOut:
    service, _inv = services.rateable_invitation(token=token)
    return _status(service)


@router.post("/invitations/{token}/rate", response={201: RatedOut}, auth=None,
             summary="凭评价邀请链接评价（短信 / 站内消息）")
def invitation_rate(request: HttpRequest, token: str, body: RateIn) -> Status[RatedOut]:
    throttle_rating(_ip(request))
    service, inv = services.rateable_invitation(token=token)
    channel = body.channel if body.channel != "pc" else EvalChannel.MOBILE
    e = services.rate_or_rerate(service=service, level=body.level, channel=channel,
                                comment=body.comment, purpose=inv.purpose)
    return Status(201, _rated(e))


@router.post("/complaints", response={201: ComplaintCreatedOut}, auth=None,
             summary="网上投诉（无需登录，须留手机号码；按来源地址和手机号限频）")
def complaint_create(request: HttpRequest, body: ComplaintIn) -> Status[ComplaintCreatedOut]:
    throttle_complaint(_ip(request), body.mobile)
    c = services.complaint_submit(actor=None, channel="online", **body.dict())
    return Status(201, ComplaintCreatedOut(number=c.number or "",
                                           follow_url=f"/complaints/f/{c.token}/", due=c.due))


@router.get("/complaints/follow/{token}", response=ComplaintFollowOut, auth=None,
            summary="投诉进度（凭投诉时给出的链接）")
def complaint_follow(request: HttpRequest, token: str) -> ComplaintFollowOut:
    return _follow_out(services.complaint_by_token(token))


@router.post("/complaints/follow/{token}/rate", response=ComplaintFollowOut, auth=None,
             summary="投诉人评价答复")
def complaint_rate(request: HttpRequest, token: str, body: ComplaintRateIn) -> ComplaintFollowOut:
    throttle_rating(_ip(request))
    return _follow_out(services.complaint_rate(token=token, level=body.level,
                                               comment=body.comment))


@router.post("/sms-reply", response=SmsReplyOut, auth=None, include_in_schema=True,
             summary="短信网关上行回调：回复 1～5 评价（须带 X-OneWindow-Secret）")
def sms_reply(request: HttpRequest, body: SmsReplyIn) -> SmsReplyOut:
    secret = str(getattr(settings, "ONEWINDOW_SMS_REPLY_SECRET", "") or "")
    given = request.headers.get("X-OneWindow-Secret", "")
    if not secret or not hmac.compare_digest(secret, given):
        raise PermissionDenied(_("短信网关未授权。"), code="gateway_forbidden")
    result = services.evaluation_from_sms(phone=body.phone, text=body.text)
    return SmsReplyOut(ok=result.ok, code=result.code)


# --- applicants ----------------------------------------------------------------------------------


@router.get("/cases/{case_no}", response=RateStatusOut, summary="我的办件的评价状态")
def case_status(request: HttpRequest, case_no: str) -> RateStatusOut:
    return _status(services.rateable_case(actor=request.user, case_no=case_no))


@router.post("/cases/{case_no}/rate", response={201: RatedOut},
             summary="评价我的办件（办结后；整改答复后可再评价一次）")
def case_rate(request: HttpRequest, case_no: str, body: RateIn) -> Status[RatedOut]:
    service = services.rateable_case(actor=request.user, case_no=case_no)
    channel = body.channel if body.channel in ("pc", "mobile") else EvalChannel.PC
    e = services.rate_or_rerate(service=service, level=body.level, channel=channel,
                                comment=body.comment, rater=request.user)
    return Status(201, _rated(e))


# --- follow-ups ----------------------------------------------------------------------------------


def _follow_up(user: Any, pk: int) -> FollowUp:
    return selectors.follow_up_get(user, pk)


@router.get("/follow-ups", response=FollowUpListOut, summary="差评整改（本单位；监察室看辖区）")
def follow_ups(request: HttpRequest, params: Query[FollowUpParams]) -> FollowUpListOut:
    rows = selectors.follow_ups_for_user(request.user, state=params.state,
                                         overdue=params.overdue)[: params.limit]
    return FollowUpListOut(items=[_follow_up_out(fu, full=False) for fu in rows])


@router.get("/follow-ups/{pk}", response=FollowUpOut, summary="差评整改详情（含回访电话）")
def follow_up_detail(request: HttpRequest, pk: int) -> FollowUpOut:
    return _follow_up_out(_follow_up(request.user, pk), full=True)


@router.post("/follow-ups/{pk}/call-back", response=FollowUpOut, summary="登记核实情况与回访记录")
def follow_up_call_back(request: HttpRequest, pk: int, body: CallBackIn) -> FollowUpOut:
    fu = services.follow_up_call_back(actor=request.user, follow_up=_follow_up(request.user, pk),
                                      verification=body.verification,
                                      callback_note=body.callback_note)
    return _follow_up_out(selectors.follow_up_get(request.user, fu.pk), full=True)


@router.post("/follow-ups/{pk}/respond", response=FollowUpOut,
             summary="整改答复（已整改 / 整改计划 / 解释说明），答复随评价公开")
def follow_up_respond(request: HttpRequest, pk: int, body: RespondIn) -> FollowUpOut:
    fu = services.follow_up_respond(actor=request.user, follow_up=_follow_up(request.user, pk),
                                    outcome=body.outcome, response=body.response,
                                    rectify_by=body.rectify_by)
    return _follow_up_out(selectors.follow_up_get(request.user, fu.pk), full=True)


@router.post("/follow-ups/{pk}/appeal", response={201: AppealOut},
             summary="对恶意差评提出申诉（由监察室复核）")
def follow_up_appeal(request: HttpRequest, pk: int, body: AppealIn) -> Status[AppealOut]:
    fu = _follow_up(request.user, pk)
    appeal = services.appeal_file(actor=request.user, evaluation=fu.evaluation,
                                  reason=body.reason)
    return Status(201, _appeal_out(Appeal.objects.select_related(
        "evaluation__department", "evaluation__region").get(pk=appeal.pk)))


# --- supervision office --------------------------------------------------------------------------


def _require_supervisor(user: Any) -> None:
    if not access.has_any(user, Perm.SUPERVISE):
        raise PermissionDenied(_("只有监察室工作人员可以查看。"))


@router.get("/appeals", response=list[AppealOut], summary="申诉复核（监察室）")
def appeals(request: HttpRequest, state: str = "") -> list[AppealOut]:
    _require_supervisor(request.user)
    return [_appeal_out(a) for a in selectors.appeals_for_supervisor(
        request.user, state=state[:10])[:MAX_PAGE]]


@router.post("/appeals/{pk}/decide", response=AppealOut,
             summary="复核申诉：成立（不计入统计）或不成立")
def appeal_decide(request: HttpRequest, pk: int, body: DecideIn) -> AppealOut:
    appeal = selectors.appeal_get(request.user, pk)
    services.appeal_decide(actor=request.user, appeal=appeal, uphold=body.uphold, note=body.note)
    return _appeal_out(selectors.appeal_get(request.user, pk))


@router.get("/complaints", response=ComplaintListOut, summary="投诉（监察室，辖区内）")
def complaints(request: HttpRequest, params: Query[ComplaintParams]) -> ComplaintListOut:
    _require_supervisor(request.user)
    rows = selectors.complaints_for_supervisor(
        request.user, state=params.state, overdue=params.overdue, q=params.q)[: params.limit]
    return ComplaintListOut(items=[_complaint_out(c) for c in rows])


@router.post("/complaints/desk", response={201: ComplaintOut},
             summary="登记大厅投诉台 / 监督电话的投诉（监察室）")
def complaint_desk(request: HttpRequest, body: DeskComplaintIn) -> Status[ComplaintOut]:
    data = body.dict()
    channel = data.pop("channel")
    c = services.complaint_submit(actor=request.user, channel=channel, **data)
    return Status(201, _complaint_out(
        selectors.complaint_get_for_supervisor(request.user, c.number or ""), files=True))


@router.get("/complaints/{number}", response=ComplaintOut, summary="投诉详情（含投诉人，仅监察室）")
def complaint_detail(request: HttpRequest, number: str) -> ComplaintOut:
    return _complaint_out(selectors.complaint_get_for_supervisor(request.user, number),
                          files=True)


def _complaint_action(request: HttpRequest, number: str, fn: Any, **kw: Any) -> ComplaintOut:
    c = selectors.complaint_get_for_supervisor(request.user, number)
    fn(actor=request.user, complaint=c, **kw)
    return _complaint_out(selectors.complaint_get_for_supervisor(request.user, number),
                          files=True)


@router.post("/complaints/{number}/assign", response=ComplaintOut, summary="分派承办人")
def complaint_assign(request: HttpRequest, number: str, body: AssignIn) -> ComplaintOut:
    assignee = User.objects.filter(username=body.assignee, is_active=True).first()
    if assignee is None:
        message = _("没有这个用户。")
        raise ValidationFailed(message, field_errors={"assignee": [message]})
    return _complaint_action(request, number, services.complaint_assign, assignee=assignee,
                             ask_department=body.ask_department)


@router.post("/complaints/{number}/answer", response=ComplaintOut, summary="答复投诉人")
def complaint_answer(request: HttpRequest, number: str, body: AnswerIn) -> ComplaintOut:
    return _complaint_action(request, number, services.complaint_answer, answer=body.answer,
                             investigation=body.investigation,
                             substantiated=body.substantiated)


@router.post("/complaints/{number}/dismiss", response=ComplaintOut, summary="不予受理")
def complaint_dismiss(request: HttpRequest, number: str, body: ReasonIn) -> ComplaintOut:
    return _complaint_action(request, number, services.complaint_dismiss, reason=body.reason)


@router.get("/statements", response=list[StatementOut],
            summary="要求本部门说明情况的投诉（不含投诉人信息）")
def statements(request: HttpRequest) -> list[StatementOut]:
    return [_statement_out(r) for r in selectors.complaints_for_department(request.user)]


@router.post("/statements/{number}", response=StatementOut, summary="部门说明情况")
def statement_submit(request: HttpRequest, number: str, body: StatementIn) -> StatementOut:
    row = selectors.complaint_get_for_department(request.user, number)
    services.complaint_department_statement(actor=request.user,
                                            complaint=Complaint(pk=row.pk),
                                            statement=body.statement)
    return _statement_out(selectors.complaint_get_for_department(request.user, number))


@router.get("/figures", response=FiguresOut,
            summary="好差评、差评整改、投诉统计（监察室，按部门/窗口/人员/区划/月份）")
def figures(request: HttpRequest, params: Query[FiguresParams]) -> FiguresOut:
    region = _figures_region(request.user, params.region)
    period = selectors.Period(params.start, params.end)
    group = params.group_by or None
    if group == "region":
        rows = selectors.evaluation_figures_by_child_region(parent=region, period=period)
    else:
        rows = selectors.evaluation_figures(region=region, department_id=params.department,
                                            period=period, group_by=group)
    complaints_rows = selectors.complaint_figures(region=region, department_id=params.department,
                                                  period=period, group_by=group)
    fu = selectors.follow_up_figures(region=region, department_id=params.department,
                                     period=period)
    return FiguresOut(
        region=region.name,
        evaluations=[FigureRow(
            key=None if r.key is None else str(r.key), label=r.label, total=r.total,
            levels={str(k): v for k, v in r.levels.items()}, satisfied=r.satisfied, bad=r.bad,
            satisfaction_rate=r.satisfaction_rate) for r in rows],
        complaints=[ComplaintFigureRow(
            key=None if r.key is None else str(r.key), label=r.label, received=r.received,
            answered=r.answered, answered_on_time=r.answered_on_time,
            open_overdue=r.open_overdue, substantiated=r.substantiated, rated=r.rated,
            rated_satisfied=r.rated_satisfied) for r in complaints_rows],
        follow_ups=vars(fu),
    )


def _figures_region(user: Any, code: str) -> Region:
    grants = [g for g in access.grants_for(user, Perm.SUPERVISE) if g.department_id is None]
    if not grants:
        raise PermissionDenied(_("只有监察室工作人员可以查看统计。"))
    if code:
        region = Region.objects.filter(code=code).first()
        if region is None or not access.can(user, Perm.SUPERVISE, region=region):
            raise NotFound(_("没有找到这个区划。"))
        return region
    return Region.objects.get(pk=min(grants, key=lambda g: len(g.region_prefix)).region_id)
