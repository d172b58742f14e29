"""Reads of work orders: scoped lists with filters and key pagination, one order, duplicates,
the caller's data as the reader may see it, the public follow page.

Scope: the hotline centre (``HOTLINE_OPERATE``) sees the orders located in its region subtree;
a department (``WORKORDER_HANDLE``) sees the orders dispatched to it. "Not found" and "not
yours" raise the same :class:`NotFound`.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.core import clock
from onewindow.core.errors import NotFound, PermissionDenied, ValidationFailed
from onewindow.core.masking import mask_name, mask_phone
from onewindow.hotline import retrieval
from onewindow.hotline.models import (
    OPEN_ORDER_STATES,
    DispatchCategory,
    OrderState,
    WorkOrder,
    WorkOrderEvent,
)
from onewindow.regions.models import Department, Region

MAX_PAGE = 100
DUPLICATE_DAYS = 30
DUPLICATE_THRESHOLD = 0.3

_RELATED = ("category", "region", "department", "department__region")
_DEPARTMENTS_ATTR = "_onewindow_order_departments"


# --- scope ------------------------------------------------------------------------------------


def centre_q(user: Any) -> Q:
    return access.scope_q(user, Perm.HOTLINE_OPERATE, region_field="region",
                          department_field=None)


def handled_department_ids(user: Any) -> list[int]:
    """The departments whose orders ``user`` handles (one small query, cached on the user)."""
    cached = getattr(user, _DEPARTMENTS_ATTR, None)
    if cached is None:
        cached = list(Department.objects.filter(
            access.department_scope_q(user, Perm.WORKORDER_HANDLE)).values_list("pk", flat=True))
        if getattr(user, "is_authenticated", False):
            setattr(user, _DEPARTMENTS_ATTR, cached)
    return cached


def department_q(user: Any) -> Q:
    """Orders dispatched to one of the user's departments: a plain ``department_id IN (…)`` so
    the list is one range scan of the (department, created_at) index."""
    ids = handled_department_ids(user)
    return Q(department_id__in=ids) if ids else Q(pk__in=[])


def is_centre(user: Any) -> bool:
    return access.has_any(user, Perm.HOTLINE_OPERATE)


def is_department(user: Any) -> bool:
    return access.has_any(user, Perm.WORKORDER_HANDLE)


def require_order_staff(user: Any) -> None:
    if not (is_centre(user) or is_department(user)):
        raise PermissionDenied(_("您没有处理 12345 工单的权限。"))


def work_orders_for_user(*, user: Any, scope: str = "all") -> QuerySet[WorkOrder]:
    """Orders ``user`` may see: ``centre``, ``department`` or ``all`` of both."""
    q = Q(pk__in=[])
    if scope in ("all", "centre"):
        q |= centre_q(user)
    if scope in ("all", "department"):
        q |= department_q(user)
    return (WorkOrder.objects.filter(q).select_related(*_RELATED)
            .annotate(merged_no=F("merged_into__order_no")))


def can_see_caller(user: Any, order: WorkOrder) -> bool:
    """The centre sees the caller; a department only when the caller agreed (not anonymous)."""
    if access.can(user, Perm.HOTLINE_OPERATE, region=order.region):
        return True
    return order.consent and not order.anonymous


@dataclass(frozen=True)
class Caller:
    name: str
    phone: str
    masked: bool


def caller_for(user: Any, order: WorkOrder) -> Caller:
    anon = _("匿名")
    if can_see_caller(user, order):
        return Caller(name=order.caller_name or (anon if order.anonymous else ""),
                      phone=order.caller_phone, masked=False)
    return Caller(name=anon if order.anonymous else mask_name(order.caller_name),
                  phone="" if order.anonymous else mask_phone(order.caller_phone), masked=True)


# --- lists ------------------------------------------------------------------------------------


@dataclass
class OrderFilters:
    state: str | None = None
    states: tuple[str, ...] = ()
    category: str | None = None  # category code (with its children)
    department_id: int | None = None
    region: str | None = None  # region code: the order's place within that subtree
    overdue: bool | None = None
    urgent: bool | None = None
    channel: str | None = None
    q: str | None = None  # order number, or words of the title / location
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    phone: str | None = None  # the centre only: the same caller's earlier requests


@dataclass
class OrderPage:
    items: list[WorkOrder]
    next_cursor: str | None


def _filter(qs: QuerySet[WorkOrder], f: OrderFilters, user: Any) -> QuerySet[WorkOrder]:
    if f.state:
        qs = qs.filter(state=f.state)
    if f.states:
        qs = qs.filter(state__in=f.states)
    if f.category:
        qs = qs.filter(Q(category__code=f.category) | Q(category__parent__code=f.category))
    if f.department_id:
        qs = qs.filter(department_id=f.department_id)
    if f.region:
        region = Region.objects.filter(code=f.region).first()
        if region is None:
            raise ValidationFailed(_("区划代码不存在。"), field_errors={
                "region": [_("区划代码不存在。")]})
        qs = qs.filter(region__prefix__startswith=region.prefix)
    if f.overdue is not None:
        qs = qs.filter(overdue=f.overdue)
    if f.urgent is not None:
        qs = qs.filter(urgency="urgent" if f.urgent else "normal")
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.q:
        text = f.q.strip()[:50]
        qs = qs.filter(Q(order_no=text.upper()) | Q(title__contains=text)
                       | Q(location__contains=text))
    if f.created_from:
        qs = qs.filter(created_at__gte=_day_start(f.created_from))
    if f.created_to:
        qs = qs.filter(created_at__lt=_day_start(f.created_to + dt.timedelta(days=1)))
    if f.phone:
        if not is_centre(user):
            raise PermissionDenied(_("只有热线中心可以按来电号码查询。"))
        qs = qs.filter(caller_phone=f.phone.strip())
    return qs


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def encode_cursor(order: WorkOrder) -> str:
    raw = json.dumps([order.created_at.isoformat(), order.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        at, pk = json.loads(raw)
        moment = dt.datetime.fromisoformat(at)
        if timezone.is_naive(moment) or not isinstance(pk, int):
            raise ValueError
        return moment, pk
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(_("分页游标无效。"), field_errors={
            "cursor": [_("分页游标无效，请从第一页重新查询。")]}) from exc


def work_orders_page(*, user: Any, scope: str = "all", filters: OrderFilters | None = None,
                     cursor: str | None = None, limit: int = 50) -> OrderPage:
    """Newest first, paginated by key (``created_at``, ``id``) — no OFFSET on large tables."""
    require_order_staff(user)
    limit = max(1, min(int(limit), MAX_PAGE))
    qs = _filter(work_orders_for_user(user=user, scope=scope), filters or OrderFilters(), user)
    if cursor:
        at, pk = decode_cursor(cursor)
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    rows = list(qs.order_by("-created_at", "-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return OrderPage(items=rows, next_cursor=encode_cursor(rows[-1]) if more and rows else None)


def department_inbox(*, user: Any, limit: int = 200) -> list[WorkOrder]:
    """待办: the department's orders to sign (by ``sign_due``), then to reply (``reply_due``)."""
    require_order_staff(user)
    base = WorkOrder.objects.filter(department_q(user)).select_related(*_RELATED)
    to_sign = list(base.filter(state=OrderState.DISPATCHED).order_by("sign_due", "pk")[:limit])
    to_reply = list(base.filter(state=OrderState.SIGNED).order_by("reply_due", "pk")[:limit])
    return to_sign + to_reply


def centre_queue(*, user: Any, limit: int = 200) -> dict[str, list[WorkOrder]]:
    """The centre's work: to dispatch, objections and extensions to decide, visits to make."""
    qs = WorkOrder.objects.filter(centre_q(user)).select_related(*_RELATED)
    return {
        "registered": list(qs.filter(state=OrderState.REGISTERED).order_by("created_at")[:limit]),
        "objected": list(qs.filter(state=OrderState.OBJECTED).order_by("updated_at")[:limit]),
        "extensions": list(qs.filter(state=OrderState.SIGNED, extension_state="pending")
                           .order_by("updated_at")[:limit]),
        "overdue": list(qs.filter(state__in=OPEN_ORDER_STATES, overdue=True)
                        .order_by("updated_at")[:limit]),
        "visits": list(qs.filter(state=OrderState.REPLIED).order_by("replied_at")[:limit]),
    }


def work_order_get_for_user(*, user: Any, order_no: str) -> WorkOrder:
    order = work_orders_for_user(user=user).filter(
        order_no=str(order_no or "").strip().upper()[:24]).first()
    if order is None:
        raise NotFound(_("工单不存在。"))
    return order


def events_of(order: WorkOrder, *, public_only: bool = False) -> list[WorkOrderEvent]:
    qs = order.events.select_related("actor").order_by("seq")
    if public_only:
        qs = qs.filter(public=True)
    return list(qs)


# --- the due chip -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Chip:
    level: str  # ok / yellow / red / none
    text: str


def due_chip(order: WorkOrder, now: dt.datetime | None = None) -> Chip:
    """Red when past due, yellow within the last quarter (at least 2 hours), green otherwise."""
    now = now or clock.now()
    due = (order.sign_due if order.state == OrderState.DISPATCHED
           else order.reply_due if order.state == OrderState.SIGNED else None)
    if due is None:
        return Chip("none", "—")
    local = timezone.localtime(due).strftime("%m-%d %H:%M")
    if due < now:
        return Chip("red", _("已超期 %(due)s") % {"due": local})
    start = order.dispatched_at or order.created_at
    warn = max((due - start) / 4, dt.timedelta(hours=2))
    if due - now <= warn:
        return Chip("yellow", _("将到期 %(due)s") % {"due": local})
    return Chip("ok", _("%(due)s 前") % {"due": local})


# --- duplicates -------------------------------------------------------------------------------


def _tokens(text: str) -> set[str]:
    return {t for t in retrieval.tokenize(text) if len(t) > 1}


def similar_open_orders(*, category: DispatchCategory, region: Region, description: str,
                        location: str = "", exclude_pk: int | None = None, limit: int = 5
                        ) -> list[tuple[WorkOrder, float]]:
    """重复诉求: open orders of the same category at the same place in the last 30 days whose
    words overlap (Jaccard of the segmented description and location), most similar first."""
    since = clock.now() - dt.timedelta(days=DUPLICATE_DAYS)
    qs = (WorkOrder.objects.filter(category=category, region=region, state__in=OPEN_ORDER_STATES,
                                   merged_into__isnull=True, created_at__gte=since)
          .select_related(*_RELATED).order_by("-created_at")[:200])
    mine = _tokens(f"{location} {description}")
    if not mine:
        return []
    scored = []
    for order in qs:
        if order.pk == exclude_pk:
            continue
        theirs = _tokens(f"{order.location} {order.title} {order.description}")
        if not theirs:
            continue
        score = len(mine & theirs) / len(mine | theirs)
        if order.location and location and order.location == location:
            score = min(1.0, score + 0.2)
        if score >= DUPLICATE_THRESHOLD:
            scored.append((order, round(score, 3)))
    scored.sort(key=lambda pair: -pair[1])
    return scored[:limit]


def repeat_count(order: WorkOrder) -> int:
    """Earlier requests of the same caller in the same category (重复来电)."""
    if not order.caller_phone:
        return 0
    return WorkOrder.objects.filter(caller_phone=order.caller_phone, category=order.category,
                                    created_at__lt=order.created_at).count()


# --- public -----------------------------------------------------------------------------------


def work_order_public(*, order_no: str, phone: str) -> WorkOrder:
    """The caller's own order by number and mobile (anything else is the same 404)."""
    number = str(order_no or "").strip().upper()[:24]
    phone = "".join(ch for ch in str(phone or "") if ch.isdigit())[-11:]
    order = (WorkOrder.objects.filter(order_no=number).select_related(*_RELATED).first()
             if number and len(phone) == 11 else None)
    if order is None or order.caller_phone != phone:
        raise NotFound(_("没有找到这个工单，请核对工单编号和手机号码。"))
    return order


def categories(*, active_only: bool = True) -> list[DispatchCategory]:
    qs = DispatchCategory.objects.select_related("parent").order_by("sort_order", "code")
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs)


def category_by_code(code: str | None) -> DispatchCategory | None:
    if not code:
        return None
    return DispatchCategory.objects.filter(code=str(code).strip()[:40], is_active=True).first()
