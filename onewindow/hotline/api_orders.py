"""Work-order API (12345 工单接口), mounted at ``/api/v1/hotline/orders`` — the same services
as the pages. Problems are JSON ``{"code", "message", "errors"}`` with stable codes.

- Public (no sign-in, limited per address): ``POST /orders/public`` files a request,
  ``GET /orders/public/{order_no}?phone=`` follows it, ``GET /orders/categories``.
- Staff (token or session): the list with filters and key pagination, one order, the
  catalogue's suggestion, duplicates, and one endpoint per action.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from onewindow.accounts.tokens import staff_auth
from onewindow.core.errors import DomainError, ValidationFailed
from onewindow.hotline import order_metrics, order_selectors, orders, throttle
from onewindow.hotline.models import Article, ArticleStatus, OrderChannel, WorkOrder
from onewindow.hotline.order_selectors import OrderFilters
from onewindow.regions.models import Department, Region

router = Router(tags=["12345 工单"], auth=staff_auth)


class Throttled(DomainError):
    status = 429
    code = "throttled"


# --- schemas ----------------------------------------------------------------------------------


class CategoryOut(Schema):
    code: str
    name: str
    parent: str | None
    urgency: str


class EventOut(Schema):
    seq: int
    action: str
    label: str
    role: str
    unit: str
    from_state: str
    to_state: str
    data: dict[str, Any]
    at: dt.datetime


class OrderBrief(Schema):
    order_no: str
    state: str
    state_label: str
    channel: str
    urgency: str
    category: str
    category_name: str
    region: str
    region_name: str
    title: str
    location: str
    department_id: int | None
    department: str | None
    created_at: dt.datetime
    sign_due: dt.datetime | None
    reply_due: dt.datetime | None
    overdue: bool
    merged_into: str | None


class OrderOut(OrderBrief):
    description: str
    caller_name: str
    caller_phone: str
    caller_masked: bool
    anonymous: bool
    consent: bool
    latitude: Decimal | None
    longitude: Decimal | None
    reply: str
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    direct: bool
    objection_reason: str
    extension_state: str
    extension_days: int
    extension_reason: str
    supervise_count: int
    reopen_count: int
    solved: bool | None
    satisfaction: int | None
    version: int
    events: list[EventOut]


class OrderPageOut(Schema):
    items: list[OrderBrief]
    next_cursor: str | None


class PublicOrderOut(Schema):
    order_no: str
    state: str
    state_label: str
    title: str
    created_at: dt.datetime
    department: str | None
    reply: str
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    events: list[EventOut]


class OrderIn(Schema):
    category: str = Field(..., max_length=40, description="派单目录编码")
    region: str = Field(..., max_length=12, description="发生地区划代码（12 位）")
    description: str = Field(..., max_length=2000)
    location: str = Field("", max_length=200)
    title: str = Field("", max_length=100)
    caller_phone: str = Field("", max_length=20)
    caller_name: str = Field("", max_length=50)
    anonymous: bool = False
    consent: bool = False
    urgency: Literal["normal", "urgent"] | None = None
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    longitude: Decimal | None = Field(None, ge=-180, le=180)


class PublicOrderIn(Schema):
    category: str = Field(..., max_length=40)
    region: str = Field(..., max_length=12)
    description: str = Field(..., max_length=2000)
    location: str = Field("", max_length=200)
    caller_phone: str = Field(..., max_length=20, description="手机号码，用于接收编号和答复")
    caller_name: str = Field("", max_length=50)
    consent: bool = False


class FiledOut(Schema):
    order_no: str
    state: str
    message: str
    follow_url: str


class ListParams(Schema):
    scope: Literal["all", "centre", "department"] = "all"
    state: str | None = Field(None, max_length=12)
    category: str | None = Field(None, max_length=40)
    department_id: int | None = None
    region: str | None = Field(None, max_length=12)
    overdue: bool | None = None
    urgent: bool | None = None
    channel: str | None = Field(None, max_length=10)
    q: str | None = Field(None, max_length=50)
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    phone: str | None = Field(None, max_length=20)
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=100)


class SimilarParams(Schema):
    category: str = Field(..., max_length=40)
    region: str = Field(..., max_length=12)
    description: str = Field(..., max_length=2000)
    location: str = Field("", max_length=200)
    exclude: str | None = Field(None, max_length=24)


class SimilarOut(Schema):
    score: float
    order: OrderBrief


class VersionIn(Schema):
    version: int | None = Field(None, description="乐观锁：工单的 version，不一致时返回 409")


class AnswerIn(VersionIn):
    answer: str = Field("", max_length=4000)
    article_key: str | None = Field(None, max_length=80)


class DispatchIn(VersionIn):
    department_id: int | None = Field(None, description="为空时按派单目录建议")
    note: str = Field("", max_length=500)


class ReasonIn(VersionIn):
    reason: str = Field(..., max_length=500)


class DecideIn(VersionIn):
    upheld: bool
    note: str = Field(..., max_length=500)
    department_id: int | None = None


class ExtensionIn(VersionIn):
    days: int = Field(..., ge=1, le=10)
    reason: str = Field(..., max_length=500)


class ExtensionDecideIn(VersionIn):
    approved: bool
    note: str = Field("", max_length=500)


class NoteIn(Schema):
    note: str = Field(..., max_length=500)


class ReplyIn(VersionIn):
    reply: str = Field(..., max_length=4000)


class VisitIn(Schema):
    solved: bool
    satisfaction: int | None = Field(None, ge=1, le=5)
    note: str = Field("", max_length=500)


class MergeIn(Schema):
    into: str = Field(..., max_length=24, description="并入的工单编号")


class SuggestOut(Schema):
    department_id: int | None
    department: str | None


class MetricsParams(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None


# --- helpers ----------------------------------------------------------------------------------


def _event(e: Any) -> EventOut:
    from onewindow.hotline.order_workflow import label

    return EventOut(seq=e.seq, action=e.action, label=label(e.action), role=e.actor_role,
                    unit=e.actor_unit, from_state=e.from_state, to_state=e.to_state,
                    data=e.data, at=e.created_at)


def _brief_fields(o: WorkOrder) -> dict[str, Any]:
    return dict(
        order_no=o.order_no, state=o.state, state_label=o.get_state_display(),
        channel=o.channel, urgency=o.urgency, category=o.category.code,
        category_name=o.category.name, region=o.region.code, region_name=o.region.name,
        title=o.title, location=o.location, department_id=o.department_id,
        department=o.department.name if o.department else None, created_at=o.created_at,
        sign_due=o.sign_due, reply_due=o.reply_due, overdue=o.overdue,
        merged_into=_merged_no(o),
    )


def _merged_no(o: WorkOrder) -> str | None:
    if hasattr(o, "merged_no"):  # annotated by the list selectors (no extra query)
        return o.merged_no  # type: ignore[no-any-return]
    return o.merged_into.order_no if o.merged_into_id and o.merged_into else None


def brief(o: WorkOrder) -> OrderBrief:
    return OrderBrief(**_brief_fields(o))


def order_out(user: Any, o: WorkOrder) -> OrderOut:
    caller = order_selectors.caller_for(user, o)
    return OrderOut(
        **_brief_fields(o), description=o.description, caller_name=caller.name,
        caller_phone=caller.phone, caller_masked=caller.masked, anonymous=o.anonymous,
        consent=o.consent, latitude=o.latitude, longitude=o.longitude, reply=o.reply,
        replied_at=o.replied_at, closed_at=o.closed_at, direct=o.direct,
        objection_reason=o.objection_reason, extension_state=o.extension_state,
        extension_days=o.extension_days, extension_reason=o.extension_reason,
        supervise_count=o.supervise_count, reopen_count=o.reopen_count, solved=o.solved,
        satisfaction=o.satisfaction, version=o.row_version,
        events=[_event(e) for e in order_selectors.events_of(o)],
    )


def public_out(o: WorkOrder) -> PublicOrderOut:
    shown = o.merged_into or o
    return PublicOrderOut(
        order_no=o.order_no, state=shown.state if o.merged_into else o.state,
        state_label=shown.get_state_display(), title=o.title, created_at=o.created_at,
        department=shown.department.name if shown.department else None,
        reply=o.reply or shown.reply, replied_at=o.replied_at or shown.replied_at,
        closed_at=o.closed_at or shown.closed_at,
        events=[_event(e) for e in order_selectors.events_of(o, public_only=True)
                if e.action not in ("overdue",)],
    )


def category(code: str) -> Any:
    found = order_selectors.category_by_code(code)
    if found is None:
        raise ValidationFailed(_("诉求类别不存在。"), field_errors={
            "category": [_("请从派单目录中选择诉求类别。")]})
    return found


def region(code: str) -> Region:
    found = Region.objects.filter(code=str(code).strip()).first()
    if found is None:
        raise ValidationFailed(_("区划代码不存在。"), field_errors={
            "region": [_("区划代码不存在，请填写 12 位行政区划代码。")]})
    return found


def department(pk: int | None) -> Department | None:
    if pk is None:
        return None
    found = Department.objects.select_related("region").filter(pk=pk).first()
    if found is None:
        raise ValidationFailed(_("部门不存在。"), field_errors={
            "department_id": [_("所选部门不存在。")]})
    return found


def _get(request: HttpRequest, order_no: str) -> WorkOrder:
    return order_selectors.work_order_get_for_user(user=request.user, order_no=order_no)


def _done(request: HttpRequest, order_no: str) -> OrderOut:
    return order_out(request.user, _get(request, order_no))


# --- public -----------------------------------------------------------------------------------


@router.get("/categories", response=list[CategoryOut], auth=None, summary="派单目录（诉求类别）")
def categories(request: HttpRequest) -> list[CategoryOut]:
    return [CategoryOut(code=c.code, name=c.name, parent=c.parent.code if c.parent else None,
                        urgency=c.urgency) for c in order_selectors.categories()]


@router.post("/public", response={201: FiledOut}, auth=None,
             summary="群众在线提交诉求（无需登录，按地址限流）")
def file_public(request: HttpRequest, payload: PublicOrderIn) -> tuple[int, FiledOut]:
    if not throttle.order_allowed(request):
        raise Throttled(_("提交太频繁了，请稍后再试或拨打 12345。"))
    order = orders.work_order_create(
        actor=request.user, channel=OrderChannel.WEB, category=category(payload.category),
        region=region(payload.region), description=payload.description,
        location=payload.location, caller_phone=payload.caller_phone,
        caller_name=payload.caller_name, consent=payload.consent,
    )
    return Status(201, FiledOut(  # type: ignore[return-value]
        order_no=order.order_no, state=order.state,
        message=_("诉求已受理，工单编号已发送到您的手机。"), follow_url="/hotline/follow/"))


@router.get("/public/{order_no}", response=PublicOrderOut, auth=None,
            summary="凭工单编号和手机号码查询办理情况")
def follow_public(request: HttpRequest, order_no: str,
                  phone: str = Query(..., max_length=20)) -> PublicOrderOut:
    if not throttle.follow_allowed(request):
        raise Throttled(_("查询太频繁了，请稍后再试。"))
    return public_out(order_selectors.work_order_public(order_no=order_no, phone=phone))


# --- staff: lists -----------------------------------------------------------------------------


@router.get("", response=OrderPageOut, summary="工单列表（按权限范围，按编号游标分页）")
def list_orders(request: HttpRequest, params: Query[ListParams]) -> OrderPageOut:
    filters = OrderFilters(
        state=params.state, category=params.category, department_id=params.department_id,
        region=params.region, overdue=params.overdue, urgent=params.urgent,
        channel=params.channel, q=params.q, created_from=params.created_from,
        created_to=params.created_to, phone=params.phone,
    )
    page = order_selectors.work_orders_page(user=request.user, scope=params.scope,
                                            filters=filters, cursor=params.cursor,
                                            limit=params.limit)
    return OrderPageOut(items=[brief(o) for o in page.items], next_cursor=page.next_cursor)


@router.post("", response={201: OrderOut}, summary="话务员登记工单（通话中）")
def create_order(request: HttpRequest, payload: OrderIn) -> tuple[int, OrderOut]:
    order = orders.work_order_create(
        actor=request.user, channel=OrderChannel.PHONE, category=category(payload.category),
        region=region(payload.region), description=payload.description,
        location=payload.location, title=payload.title, caller_phone=payload.caller_phone,
        caller_name=payload.caller_name, anonymous=payload.anonymous, consent=payload.consent,
        urgency=payload.urgency, latitude=payload.latitude, longitude=payload.longitude,
    )
    # The operator just created it in a region they operate: answer from the object itself.
    return Status(201, order_out(request.user, order))  # type: ignore[return-value]


@router.get("/similar", response=list[SimilarOut], summary="疑似重复诉求（同类别、同地点）")
def similar(request: HttpRequest, params: Query[SimilarParams]) -> list[SimilarOut]:
    if not order_selectors.is_centre(request.user):
        order_selectors.require_order_staff(request.user)
        from onewindow.core.errors import PermissionDenied

        raise PermissionDenied(_("只有热线中心可以查询重复诉求。"))
    exclude = None
    if params.exclude:
        exclude = _get(request, params.exclude).pk
    hits = order_selectors.similar_open_orders(
        category=category(params.category), region=region(params.region),
        description=params.description, location=params.location, exclude_pk=exclude)
    visible = set(order_selectors.work_orders_for_user(user=request.user, scope="centre")
                  .filter(pk__in=[o.pk for o, _s in hits]).values_list("pk", flat=True))
    return [SimilarOut(score=s, order=brief(o)) for o, s in hits if o.pk in visible]


@router.get("/metrics", response=order_metrics.MetricsOut, summary="工单考核指标")
def metrics(request: HttpRequest, params: Query[MetricsParams]) -> order_metrics.MetricsOut:
    return order_metrics.metrics_out(user=request.user, date_from=params.date_from,
                                     date_to=params.date_to)


@router.get("/hot", response=order_metrics.HotOut, summary="热点诉求（按周）")
def hot(request: HttpRequest, week: dt.date | None = None) -> order_metrics.HotOut:
    return order_metrics.hot_out(user=request.user, week=week)


# --- staff: one order -------------------------------------------------------------------------


@router.get("/{order_no}", response=OrderOut, summary="工单详情（含日志）")
def get_order(request: HttpRequest, order_no: str) -> OrderOut:
    return _done(request, order_no)


@router.get("/{order_no}/suggest", response=SuggestOut, summary="派单目录建议的承办部门")
def suggest(request: HttpRequest, order_no: str) -> SuggestOut:
    order = _get(request, order_no)
    dep = orders.suggest_department(category=order.category, region=order.region)
    return SuggestOut(department_id=dep.pk if dep else None, department=dep.name if dep else None)


@router.post("/{order_no}/answer", response=OrderOut, summary="直接办结（知识库答复）")
def answer(request: HttpRequest, order_no: str, payload: AnswerIn) -> OrderOut:
    article = None
    if payload.article_key:
        article = Article.objects.filter(key=payload.article_key,
                                         status=ArticleStatus.PUBLISHED).first()
        if article is None:
            raise ValidationFailed(_("知识库条目不存在。"), field_errors={
                "article_key": [_("知识库条目不存在或未发布。")]})
    orders.work_order_answer(actor=request.user, order=_get(request, order_no),
                             answer=payload.answer, article=article,
                             expected_version=payload.version)
    return _done(request, order_no)


@router.post("/{order_no}/dispatch", response=OrderOut, summary="派单 / 改派")
def dispatch(request: HttpRequest, order_no: str, payload: DispatchIn) -> OrderOut:
    orders.work_order_dispatch(actor=request.user, order=_get(request, order_no),
                               department=department(payload.department_id), note=payload.note,
                               expected_version=payload.version)
    return _done(request, order_no)


@router.post("/{order_no}/merge", response=OrderOut, summary="重复诉求并单")
def merge(request: HttpRequest, order_no: str, payload: MergeIn) -> OrderOut:
    orders.work_order_merge(actor=request.user, order=_get(request, order_no),
                            into=_get(request, payload.into))
    return _done(request, order_no)


@router.post("/{order_no}/sign", response=OrderOut, summary="签收")
def sign(request: HttpRequest, order_no: str, payload: VersionIn) -> OrderOut:
    orders.work_order_sign(actor=request.user, order=_get(request, order_no),
                           expected_version=payload.version)
    return _done(request, order_no)


@router.post("/{order_no}/object", response=OrderOut, summary="派单异议")
def object_(request: HttpRequest, order_no: str, payload: ReasonIn) -> OrderOut:
    orders.work_order_object(actor=request.user, order=_get(request, order_no),
                             reason=payload.reason, expected_version=payload.version)
    return _done(request, order_no)


@router.post("/{order_no}/objection", response=OrderOut, summary="审核派单异议")
def decide_objection(request: HttpRequest, order_no: str, payload: DecideIn) -> OrderOut:
    orders.work_order_decide_objection(
        actor=request.user, order=_get(request, order_no), upheld=payload.upheld,
        note=payload.note, department=department(payload.department_id),
        expected_version=payload.version)
    return _done(request, order_no)


@router.post("/{order_no}/return", response=OrderOut, summary="退单")
def return_(request: HttpRequest, order_no: str, payload: ReasonIn) -> OrderOut:
    # After a return the order leaves the department's scope: answer with the result itself.
    order = orders.work_order_return(actor=request.user, order=_get(request, order_no),
                                     reason=payload.reason, expected_version=payload.version)
    return order_out(request.user, order)


@router.post("/{order_no}/extension", response=OrderOut, summary="申请延期")
def extension(request: HttpRequest, order_no: str, payload: ExtensionIn) -> OrderOut:
    orders.work_order_request_extension(actor=request.user, order=_get(request, order_no),
                                        days=payload.days, reason=payload.reason,
                                        expected_version=payload.version)
    return _done(request, order_no)


@router.post("/{order_no}/extension/decide", response=OrderOut, summary="审批延期")
def decide_extension(request: HttpRequest, order_no: str, payload: ExtensionDecideIn
                     ) -> OrderOut:
    orders.work_order_decide_extension(actor=request.user, order=_get(request, order_no),
                                       approved=payload.approved, note=payload.note,
                                       expected_version=payload.version)
    return _done(request, order_no)


@router.post("/{order_no}/supervise", response=OrderOut, summary="督办")
def supervise(request: HttpRequest, order_no: str, payload: NoteIn) -> OrderOut:
    orders.work_order_supervise(actor=request.user, order=_get(request, order_no),
                                note=payload.note)
    return _done(request, order_no)


@router.post("/{order_no}/reply", response=OrderOut, summary="答复")
def reply(request: HttpRequest, order_no: str, payload: ReplyIn) -> OrderOut:
    orders.work_order_reply(actor=request.user, order=_get(request, order_no),
                            reply=payload.reply, expected_version=payload.version)
    return _done(request, order_no)


@router.post("/{order_no}/visit", response=OrderOut, summary="回访")
def visit(request: HttpRequest, order_no: str, payload: VisitIn) -> OrderOut:
    orders.work_order_visit(actor=request.user, order=_get(request, order_no),
                            solved=payload.solved, satisfaction=payload.satisfaction,
                            note=payload.note)
    return _done(request, order_no)


@router.post("/{order_no}/visit-sms", response=OrderOut, summary="短信回访")
def visit_sms(request: HttpRequest, order_no: str) -> OrderOut:
    orders.work_order_visit_sms(actor=request.user, order=_get(request, order_no))
    return _done(request, order_no)
