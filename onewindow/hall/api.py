"""Hall API (大厅接口): categories and queue status, tickets (kiosk, online, desk), the window's
calling panel, windows' presence and the queue figures — the same services as the pages.

Access:

- Public: a centre's categories with waiting counts, a ticket's status by its token (no personal
  data).
- Kiosk tickets need the centre's kiosk key (``X-Kiosk-Key`` header or ``key`` field): the
  kiosk is a device in the hall; numbers cannot be taken remotely as if on the spot.
- Online tickets and cancelling: the signed-in applicant.
- Calling and presence: staff with ``hall.call`` for the window (region subtree and, for a
  departmental window, the department); desk tickets likewise for the centre.
- Figures: ``supervise`` or ``hall.manage`` over the centres of the user's region subtree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.security import SessionAuth

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.tokens import staff_auth
from onewindow.core import ratelimit
from onewindow.core.errors import NotFound, PermissionDenied, ValidationFailed
from onewindow.hall import api_appointments, selectors, services
from onewindow.hall.models import (
    PauseReason,
    Priority,
    ServiceCategory,
    Ticket,
    TicketSource,
    TicketState,
)
from onewindow.regions.models import ServiceCentre, Window

router = Router(tags=["大厅排队"], auth=staff_auth)

def kiosk_rate() -> int:
    """Tickets per minute per kiosk address (``ONEWINDOW_KIOSK_RATE``, default 120: far above a
    hall's busiest minute, far below a script hoarding numbers)."""
    return int(getattr(settings, "ONEWINDOW_KIOSK_RATE", 120))


def throttle(request: HttpRequest, scope: str, limit: int, window: int = 60) -> None:
    ratelimit.throttle(f"hall:{scope}:{ratelimit.client_ip(request)}", limit, window)


def centre_or_404(centre_id: int) -> ServiceCentre:
    centre = ServiceCentre.objects.select_related("region").filter(
        pk=centre_id, is_active=True
    ).first()
    if centre is None:
        raise NotFound(_("没有找到这个服务中心。"), code="centre_not_found")
    return centre


def category_or_422(centre: ServiceCentre, category_id: int | None) -> ServiceCategory:
    found = ServiceCategory.objects.filter(
        pk=category_id or 0, centre=centre, is_active=True
    ).first()
    if found is None:
        message = _("请选择本中心的业务类别。")
        raise ValidationFailed(message, field_errors={"category": [message]})
    return found


def kiosk_key_ok(centre: ServiceCentre, key: str) -> bool:
    return services.kiosk_key_valid(centre.pk, key)


# --- schemas -------------------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    letter: str
    name: str
    description: str
    waiting: int
    wait_minutes: int = Field(description="按近期办理时长与在岗窗口数估算的等候分钟数")
    appointable: bool


class TicketOut(Schema):
    number: str
    token: str = Field(description="跟踪码：用于查询排队进度的链接与二维码")
    centre: str
    category: str
    state: str
    state_label: str
    source: str
    priority: str
    ahead: int = Field(description="前面还有几人")
    wait_minutes: int
    window: str = Field(description="呼叫到的窗口号（已呼叫时）")
    taken_at: dt.datetime
    follow_url: str


class TakeIn(Schema):
    category: int
    mobile: str = Field("", max_length=20)
    id_number: str = Field("", max_length=20)
    key: str = Field("", max_length=40, description="取号机密钥（也可用 X-Kiosk-Key 头）")


class OnlineIn(Schema):
    centre: int
    category: int


class DeskIn(Schema):
    category: int
    priority: Literal["", "elderly", "disabled", "military", "pregnant", "green"] = ""
    mobile: str = Field("", max_length=20)
    id_number: str = Field("", max_length=20)


class CheckInIn(Schema):
    key: str = Field("", max_length=40)


class SignInIn(Schema):
    window: int


class PauseIn(Schema):
    reason: Literal["break", "business", "meeting", "training", "other"]
    whereabouts: str = Field("", max_length=100)
    back_at: dt.datetime | None = None


class FinishIn(Schema):
    case_numbers: list[str] = Field(default_factory=list, max_length=20)


class TransferIn(Schema):
    category: int


class WindowTicketOut(Schema):
    id: int
    number: str
    category: str
    state: str
    state_label: str
    priority: str
    priority_label: str
    call_count: int
    holder_mobile: str = Field(description="已脱敏")
    called_at: dt.datetime | None
    serving_at: dt.datetime | None


class PanelOut(Schema):
    signed_in: bool
    window: str = ""
    window_id: int | None = None
    centre: str = ""
    status: str = ""
    status_label: str = ""
    current: WindowTicketOut | None = None
    next: list[WindowTicketOut] = Field(default_factory=list)
    waiting: dict[str, int] = Field(default_factory=dict)


class FigureRow(Schema):
    key: str
    taken: int
    served: int
    abandoned: int
    abandon_rate: float
    avg_wait_minutes: float | None
    avg_service_minutes: float | None
    priority: int


class FiguresParams(Schema):
    centre: int | None = None
    start: dt.date
    end: dt.date
    by: Literal["category", "window", "day"] = "category"


# --- serialisers ---------------------------------------------------------------------------------


def ticket_out(ticket: Ticket) -> TicketOut:
    place = selectors.ticket_place(ticket)
    return TicketOut(
        number=ticket.number, token=ticket.token, centre=ticket.centre.name,
        category=ticket.category.name, state=ticket.state,
        state_label=str(TicketState(ticket.state).label), source=ticket.source,
        priority=ticket.priority, ahead=place.ahead, wait_minutes=place.wait_minutes,
        window=ticket.window.number if ticket.window_id and ticket.window else "",
        taken_at=ticket.taken_at, follow_url=f"/hall/t/{ticket.token}/",
    )


def window_ticket_out(t: Ticket) -> WindowTicketOut:
    from onewindow.core.masking import mask_phone

    return WindowTicketOut(
        id=t.pk, number=t.number, category=t.category.name, state=t.state,
        state_label=str(TicketState(t.state).label), priority=t.priority,
        priority_label=str(Priority(t.priority).label), call_count=t.call_count,
        holder_mobile=mask_phone(t.holder_mobile) if t.holder_mobile else "",
        called_at=t.called_at, serving_at=t.serving_at,
    )


def panel(user: Any) -> PanelOut:
    session = services.current_session(user)
    if session is None:
        return PanelOut(signed_in=False)
    window = session.window
    counts = selectors.waiting_counts(window.centre_id)
    cats = ServiceCategory.objects.filter(windows=window, is_active=True)
    current = selectors.window_current(window.pk)
    return PanelOut(
        signed_in=True, window=window.number, window_id=window.pk, centre=window.centre.name,
        status=session.status, status_label=session.get_status_display(),
        current=window_ticket_out(current) if current else None,
        next=[window_ticket_out(t) for t in selectors.next_in_line(window)],
        waiting={f"{c.letter} {c.name}": counts.get(c.pk, 0) for c in cats},
    )


# --- public --------------------------------------------------------------------------------------


@router.get("/centres/{centre_id}/categories", response=list[CategoryOut], auth=None,
            summary="服务中心的业务类别、等候人数与预计等候时间（无需登录）")
def categories(request: HttpRequest, centre_id: int) -> list[CategoryOut]:
    centre = centre_or_404(centre_id)
    counts = selectors.waiting_counts(centre.pk)
    out = []
    for c in ServiceCategory.objects.filter(centre=centre, is_active=True):
        waiting = counts.get(c.pk, 0)
        minutes = selectors.average_service_minutes(c)
        windows = max(1, selectors.open_windows_for(c))
        out.append(CategoryOut(
            id=c.pk, letter=c.letter, name=c.name, description=c.description, waiting=waiting,
            wait_minutes=int(-(-waiting * minutes // windows)), appointable=c.appointable,
        ))
    return out


@router.get("/tickets/{token}", response=TicketOut, auth=None,
            summary="凭跟踪码查询排队进度（无需登录，不含个人信息）")
def ticket_status(request: HttpRequest, token: str) -> TicketOut:
    ticket = selectors.ticket_by_token(token)
    if ticket is None:
        raise NotFound(_("没有找到这个号码。"), code="ticket_not_found")
    return ticket_out(ticket)


@router.post("/centres/{centre_id}/tickets", response={201: TicketOut}, auth=None,
             summary="大厅取号机取号（须带取号机密钥）")
def kiosk_take(request: HttpRequest, centre_id: int, body: TakeIn) -> Status[TicketOut]:
    centre = centre_or_404(centre_id)
    key = request.headers.get("X-Kiosk-Key", "") or body.key
    if not kiosk_key_ok(centre, key):
        raise PermissionDenied(_("请在服务中心大厅的取号机上取号。"), code="kiosk_only")
    throttle(request, "kiosk", kiosk_rate())
    category = category_or_422(centre, body.category)
    ticket = services.ticket_take(
        centre=centre, category=category, source=TicketSource.KIOSK, mobile=body.mobile,
        id_number=body.id_number,
    )
    return Status(201, ticket_out(ticket))


@router.post("/tickets/{token}/check-in", response=TicketOut, auth=None,
             summary="网上取号到厅签到（取号机，须带取号机密钥）")
def check_in(request: HttpRequest, token: str, body: CheckInIn) -> TicketOut:
    ticket = selectors.ticket_by_token(token)
    if ticket is None:
        raise NotFound(_("没有找到这个号码。"), code="ticket_not_found")
    key = request.headers.get("X-Kiosk-Key", "") or body.key
    if not kiosk_key_ok(ticket.centre, key):
        raise PermissionDenied(_("请在服务中心大厅的取号机上签到。"), code="kiosk_only")
    return ticket_out(services.ticket_check_in(ticket=ticket))


@router.post("/online-tickets", response={201: TicketOut}, auth=SessionAuth(),
             summary="网上取号：当天有效，到厅后在取号机签到")
def online_take(request: HttpRequest, body: OnlineIn) -> Status[TicketOut]:
    centre = centre_or_404(body.centre)
    category = category_or_422(centre, body.category)
    ticket = services.ticket_take(
        centre=centre, category=category, source=TicketSource.ONLINE, user=request.user
    )
    return Status(201, ticket_out(ticket))


@router.get("/my-tickets", response=list[TicketOut], auth=SessionAuth(),
            summary="我今天的排队号")
def my_tickets(request: HttpRequest) -> list[TicketOut]:
    return [ticket_out(t) for t in selectors.tickets_of_user(request.user)]


@router.post("/tickets/{token}/cancel", response=TicketOut, auth=SessionAuth(),
             summary="取消我的网上取号（未被呼叫前）")
def cancel(request: HttpRequest, token: str) -> TicketOut:
    ticket = selectors.ticket_by_token(token)
    if ticket is None:
        raise NotFound(_("没有找到这个号码。"), code="ticket_not_found")
    return ticket_out(services.ticket_cancel(ticket=ticket, user=request.user))


# --- staff: desk tickets, presence, calling -----------------------------------------------


def _require_caller(request: HttpRequest) -> None:
    if not access.has_any(request.user, Perm.HALL_CALL):
        raise PermissionDenied(_("您没有窗口叫号的权限。"))


@router.post("/centres/{centre_id}/desk-tickets", response={201: TicketOut},
             summary="导服台取号：可给予优先（老年人、残疾人、绿色通道等）")
def desk_take(request: HttpRequest, centre_id: int, body: DeskIn) -> Status[TicketOut]:
    _require_caller(request)
    centre = centre_or_404(centre_id)
    category = category_or_422(centre, body.category)
    ticket = services.ticket_take(
        centre=centre, category=category, source=TicketSource.DESK, priority=body.priority,
        mobile=body.mobile, id_number=body.id_number, actor=request.user,
    )
    return Status(201, ticket_out(ticket))


@router.get("/window", response=PanelOut, summary="我的窗口：在岗状态、当前号码、待叫号码")
def my_window(request: HttpRequest) -> PanelOut:
    _require_caller(request)
    return panel(request.user)


@router.post("/window/sign-in", response=PanelOut, summary="窗口签到（挂牌上岗）")
def sign_in(request: HttpRequest, body: SignInIn) -> PanelOut:
    _require_caller(request)
    window = Window.objects.select_related("centre__region", "department").filter(
        pk=body.window, centre__is_active=True
    ).first()
    # Outside the user's region subtree the window does not exist for them (404); inside it,
    # a departmental window of another department is refused by the service (403).
    if window is None or not any(
        window.centre.region.prefix.startswith(g.region_prefix)
        for g in access.grants_for(request.user, Perm.HALL_CALL)
    ):
        raise NotFound(_("没有找到这个窗口。"), code="window_not_found")
    services.window_sign_in(user=request.user, window=window)
    return panel(request.user)


@router.post("/window/sign-out", response=PanelOut, summary="窗口签退")
def sign_out(request: HttpRequest) -> PanelOut:
    _require_caller(request)
    services.window_sign_out(user=request.user)
    return panel(request.user)


@router.post("/window/pause", response=PanelOut, summary="暂停服务（去向公示）")
def pause(request: HttpRequest, body: PauseIn) -> PanelOut:
    _require_caller(request)
    services.window_pause(user=request.user, reason=PauseReason(body.reason),
                          whereabouts=body.whereabouts, back_at=body.back_at)
    return panel(request.user)


@router.post("/window/resume", response=PanelOut, summary="恢复服务")
def resume(request: HttpRequest) -> PanelOut:
    _require_caller(request)
    services.window_resume(user=request.user)
    return panel(request.user)


@router.post("/window/call-next", response=PanelOut,
             summary="叫下一个号（优先号 → 已到时的预约号 → 取号顺序，按中心规则）")
def call_next(request: HttpRequest) -> PanelOut:
    _require_caller(request)
    services.ticket_call_next(user=request.user)
    return panel(request.user)


@router.post("/window/recall", response=PanelOut, summary="重呼当前号码")
def recall(request: HttpRequest) -> PanelOut:
    _require_caller(request)
    services.ticket_recall(user=request.user)
    return panel(request.user)


@router.post("/window/no-show", response=PanelOut, summary="过号（呼叫满规定次数未到）")
def no_show(request: HttpRequest) -> PanelOut:
    _require_caller(request)
    services.ticket_no_show(user=request.user)
    return panel(request.user)


@router.post("/window/start", response=PanelOut, summary="开始办理（申请人已到窗口）")
def start(request: HttpRequest) -> PanelOut:
    _require_caller(request)
    services.ticket_start(user=request.user)
    return panel(request.user)


@router.post("/window/finish", response=PanelOut,
             summary="办结当前号码（本次接待中登记的办件自动关联）")
def finish(request: HttpRequest, body: FinishIn) -> PanelOut:
    _require_caller(request)
    services.ticket_finish(user=request.user, case_numbers=[n.strip() for n in body.case_numbers
                                                             if n.strip()])
    return panel(request.user)


@router.post("/window/transfer", response=PanelOut,
             summary="转移当前号码到其他业务类别（保留原位次）")
def transfer(request: HttpRequest, body: TransferIn) -> PanelOut:
    _require_caller(request)
    session = services.current_session(request.user)
    centre_id = session.window.centre_id if session else 0
    category = ServiceCategory.objects.filter(pk=body.category, centre_id=centre_id).first()
    if category is None:
        message = _("只能转到本中心启用的业务类别。")
        raise ValidationFailed(message, field_errors={"category": [message]})
    services.ticket_transfer(user=request.user, category=category)
    return panel(request.user)


# --- figures -------------------------------------------------------------------------------------


@router.get("/figures", response=list[FigureRow],
            summary="排队统计：等候时长、办理时长、弃号率（按业务类别、窗口或日期）")
def figures(request: HttpRequest, params: Query[FiguresParams]) -> list[dict[str, Any]]:
    centre_ids = selectors.figure_centre_ids(request.user, params.centre)
    if params.end < params.start or (params.end - params.start).days > 366:
        message = _("统计期间须为一年以内，且结束日期不早于开始日期。")
        raise ValidationFailed(message, field_errors={"end": [message]})
    return selectors.queue_figures(centre_ids=centre_ids, start=params.start, end=params.end,
                                   by=params.by)


router.add_router("/appointments", api_appointments.router)
