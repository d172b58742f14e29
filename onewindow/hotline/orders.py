"""Work orders of the 12345 hotline (工单): keyword-only services, one transaction each.

The life of an order: intake (电话 / 网站 / Open311) → direct answer (直接办结) or dispatch
(派单) → the department signs (签收) within working hours, objects (派单异议, decided by the
hotline centre) or returns it (退单, within 2 working days) → it replies within the limit (one
extension, approved by the centre) → return visit (回访): solved closes, unsolved reopens once.
Every step locks the order, checks the transition table, appends to the order's hash chain and
writes the callers' SMS into the outbox in the same transaction.

Who may act: the hotline centre (``HOTLINE_OPERATE`` over the order's region) for intake by
phone, answers, dispatch, decisions, supervision and visits; the department the order is
dispatched to (``WORKORDER_HANDLE`` for that department) for signing, objections, returns,
extension requests and replies. Open311 and the public form call :func:`work_order_create` with
their channel and no staff actor.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import ROLE_PERMISSIONS, Perm
from onewindow.accounts.models import RoleAssignment
from onewindow.cases import audit
from onewindow.core import clock
from onewindow.core.errors import Conflict, NotFound, ValidationFailed
from onewindow.core.masking import mask_phone
from onewindow.hotline.models import (
    Article,
    DispatchCategory,
    ExtensionState,
    OrderChannel,
    OrderState,
    Urgency,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderSerial,
)
from onewindow.hotline.order_workflow import OrderAction, check
from onewindow.notifications.models import Channel as NoteChannel
from onewindow.notifications.services import Message, notifications_enqueue
from onewindow.regions.models import Department, Region
from onewindow.workdays.selectors import add_work_hours, add_workdays, office_hours

logger = logging.getLogger(__name__)

SEQUENCE = "hotline_order_serial"
DEFAULT_SIGN_HOURS = Decimal(2)
DEFAULT_REPLY_DAYS = 5
DEFAULT_URGENT_SIGN_HOURS = Decimal("0.5")
DEFAULT_URGENT_REPLY_HOURS = 24
RETURN_DAYS = 2
MAX_EXTENSION_DAYS = 10
MAX_REOPEN = 1
MAX_DESCRIPTION = 2000
MAX_REASON = 500
MAX_REPLY = 4000
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_RE = re.compile(r"^[0-9+\-]{5,20}$")

ROLE_CENTRE = "话务员"
ROLE_DEPARTMENT = "承办部门"
ROLE_CALLER = "来电人"
ROLE_SYSTEM = "系统"


# --- numbers and deadlines --------------------------------------------------------------------


def next_serial() -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [SEQUENCE])
            return int(cursor.fetchone()[0])
    row = WorkOrderSerial.objects.create()
    WorkOrderSerial.objects.filter(pk=row.pk).delete()
    return int(row.pk)


def order_number(*, on: dt.date, serial: int) -> str:
    """``GD20260315-00000123``: 工单, the date, a serial (read out easily on the phone)."""
    return f"GD{on:%Y%m%d}-{serial % 100_000_000:08d}"


def _end_of_day(day: dt.date) -> dt.datetime:
    end = office_hours()[-1][1]
    return timezone.make_aware(dt.datetime.combine(day, end))


def sign_due(category: DispatchCategory, urgency: str, at: dt.datetime) -> dt.datetime:
    """签收期限: working hours after dispatch; urgent orders count clock hours."""
    if urgency == Urgency.URGENT:
        hours = category.urgent_sign_hours or DEFAULT_URGENT_SIGN_HOURS
        return at + dt.timedelta(hours=float(hours))
    return add_work_hours(at, category.sign_hours or DEFAULT_SIGN_HOURS).datetime


def reply_due(category: DispatchCategory, urgency: str, at: dt.datetime) -> dt.datetime:
    """答复期限: the end of the office day N working days after ``at`` (urgent: clock hours)."""
    if urgency == Urgency.URGENT:
        return at + dt.timedelta(hours=category.urgent_reply_hours or DEFAULT_URGENT_REPLY_HOURS)
    days = category.reply_days or DEFAULT_REPLY_DAYS
    return _end_of_day(add_workdays(timezone.localdate(at), days).date)


def return_due(at: dt.datetime) -> dt.datetime:
    """退单期限: two working days after dispatch."""
    return _end_of_day(add_workdays(timezone.localdate(at), RETURN_DAYS).date)


# --- helpers ----------------------------------------------------------------------------------


def _unit(actor: Any) -> str:
    profile = getattr(actor, "staff_profile", None)
    if profile is None:
        return ""
    return profile.department.name if profile.department_id else profile.region.name


def order_payload(event: WorkOrderEvent, order_no: str) -> dict[str, Any]:
    """The hashed content of one event (the case log's layout, keyed by the order number)."""
    return {
        "order": order_no, "seq": event.seq, "action": event.action, "actor": event.actor_id,
        "role": event.actor_role, "unit": event.actor_unit, "from": event.from_state,
        "to": event.to_state, "data": event.data, "public": event.public,
        "at": audit.utc_iso(event.created_at),
    }


def _record(order: WorkOrder, *, action: OrderAction, actor: Any, role: str,
            to_state: str | None = None, data: dict[str, Any] | None = None,
            public: bool = True, save_fields: list[str] | None = None) -> WorkOrderEvent:
    """Append the next event of the order's chain, move the order and save both."""
    from_state = order.state
    if to_state is not None:
        order.state = to_state
    actor_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None
    at = clock.now()
    event = WorkOrderEvent(
        order=order, seq=order.event_count + 1, action=action.value, actor_id=actor_id,
        actor_role=role, actor_unit=_unit(actor) if actor_id else "", from_state=from_state,
        to_state=order.state, data=data or {}, public=public, created_at=at,
        prev_hash=order.head_hash,
    )
    event.hash = audit.chain_hash(order.head_hash, order_payload(event, order.order_no))
    order.event_count = event.seq
    order.head_hash = event.hash
    order.row_version += 1
    order.updated_at = at
    if order.pk is None:
        order.save(force_insert=True)
        event.order = order
    else:
        fields = {"state", "event_count", "head_hash", "row_version", "updated_at",
                  *(save_fields or [])}
        order.save(update_fields=sorted(fields))
    event.save(force_insert=True)
    return event


def _lock(order: WorkOrder | int) -> WorkOrder:
    pk = order.pk if isinstance(order, WorkOrder) else order
    try:
        return WorkOrder.objects.select_for_update(of=("self",)).select_related(
            "category", "region", "department", "department__region"
        ).get(pk=pk)
    except WorkOrder.DoesNotExist as exc:
        raise NotFound(_("工单不存在。")) from exc


def _expect(order: WorkOrder, expected: int | None) -> None:
    if expected is not None and expected != order.row_version:
        raise Conflict(_("该工单已被他人处理，请刷新后再操作。"), code="stale")


def _require_centre(actor: Any, order: WorkOrder) -> None:
    access.require(actor, Perm.HOTLINE_OPERATE, region=order.region)


def _require_department(actor: Any, order: WorkOrder) -> None:
    if order.department is None:
        raise Conflict(_("工单尚未派给任何部门。"), code="not_dispatched")
    access.require(actor, Perm.WORKORDER_HANDLE, region=order.department.region,
                   department=order.department)


def _text(value: Any, *, field: str, label: str, minimum: int, maximum: int) -> str:
    text = " ".join(str(value or "").split()) if maximum <= MAX_REASON else str(value or "").strip()
    if len(text) < minimum:
        raise ValidationFailed(
            _("请填写%(label)s。") % {"label": label},
            field_errors={field: [_("请填写%(label)s（至少 %(n)d 个字）。")
                                  % {"label": label, "n": minimum}]})
    if len(text) > maximum:
        raise ValidationFailed(
            _("%(label)s过长。") % {"label": label},
            field_errors={field: [_("%(label)s不能超过 %(n)d 个字。")
                                  % {"label": label, "n": maximum}]})
    return text


def _callers(order: WorkOrder) -> list[tuple[int, str]]:
    """(order id, phone) of the order's caller and of every request merged into it."""
    rows = [(order.pk, order.caller_phone)]
    rows += list(WorkOrder.objects.filter(merged_into=order).values_list("pk", "caller_phone"))
    return [(pk, phone) for pk, phone in rows if phone and _MOBILE_RE.match(phone)]


def _sms(order: WorkOrder, seq: int, text: str, *, everyone: bool = True) -> None:
    if everyone:
        targets = _callers(order)
        numbers = dict(WorkOrder.objects.filter(pk__in=[pk for pk, _p in targets])
                       .values_list("pk", "order_no"))
    else:
        ok = _MOBILE_RE.match(order.caller_phone or "")
        targets = [(order.pk, order.caller_phone)] if ok else []
        numbers = {order.pk: order.order_no}
    messages = [
        Message(channel=NoteChannel.SMS, phone=phone,
                body=_("【12345】您的诉求（工单 %(no)s）%(text)s") % {
                    "no": numbers.get(pk, order.order_no), "text": text},
                dedupe_key=f"order:{order.pk}:{seq}:sms:{pk}", link="/hotline/follow/")
        for pk, phone in targets
    ]
    if messages:
        notifications_enqueue(messages=messages)
        logger.info("order %s: SMS to %s", order.order_no,
                    ",".join(mask_phone(m.phone) for m in messages))


def handlers_of(department: Department) -> list[int]:
    """User ids of the department's staff who handle work orders."""
    roles = [r for r, perms in ROLE_PERMISSIONS.items() if Perm.WORKORDER_HANDLE in perms]
    return list(RoleAssignment.objects.filter(
        department=department, is_active=True, role__in=roles
    ).values_list("user_id", flat=True).distinct())


def _notify_department(order: WorkOrder, seq: int, subject: str) -> None:
    if order.department is None:
        return
    link = f"/workbench/hotline/{order.order_no}/"
    notifications_enqueue(messages=[
        Message(channel=NoteChannel.IN_APP, user_id=uid, subject=subject[:200],
                body=f"{order.order_no} {order.title}：{subject}", link=link,
                dedupe_key=f"order:{order.pk}:{seq}:app:{uid}")
        for uid in handlers_of(order.department)
    ])


# --- the dispatch catalogue -------------------------------------------------------------------


def suggest_department(*, category: DispatchCategory, region: Region) -> Department | None:
    """建议承办部门: from the order's region up to the city, a rule for the very region first,
    then a rule for its level; the department with that code in that region."""
    rules = list(category.rules.all())
    if not rules:
        return None
    chain = [region, *reversed(region.ancestors())]
    for node in chain:
        codes = [r.department_code for r in rules if r.region_id == node.pk]
        codes += [r.department_code for r in rules if r.region_id is None and r.level == node.level]
        for code in codes:
            dep = Department.objects.filter(region=node, code=code, is_active=True).first()
            if dep is not None:
                dep.region = node
                return dep
    return None


# --- intake -----------------------------------------------------------------------------------


def _validate_intake(
    *, channel: str, category: DispatchCategory | None, region: Region | None,
    description: str, location: str, caller_phone: str, caller_name: str, anonymous: bool,
    latitude: Decimal | None, longitude: Decimal | None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if channel not in OrderChannel.values:
        add("channel", _("来源渠道有误。"))
    if category is None or not category.is_active:
        add("category", _("请选择诉求类别。"))
    if region is None:
        add("region", _("请选择发生地所在区划。"))
    if len(description) < 5:
        add("description", _("请把诉求说清楚（至少 5 个字）。"))
    elif len(description) > MAX_DESCRIPTION:
        add("description", _("诉求内容不能超过 %(n)d 个字。") % {"n": MAX_DESCRIPTION})
    if len(location) > 200:
        add("location", _("发生地点不能超过 200 个字。"))
    if len(caller_name) > 50:
        add("caller_name", _("姓名不能超过 50 个字。"))
    if channel == OrderChannel.WEB or channel == OrderChannel.ROBOT:
        if not _MOBILE_RE.match(caller_phone):
            add("caller_phone", _("请填写 11 位手机号码，用于接收工单编号和答复。"))
    elif caller_phone and not _PHONE_RE.match(caller_phone):
        add("caller_phone", _("电话号码有误。"))
    elif channel == OrderChannel.PHONE and not caller_phone and not anonymous:
        add("caller_phone", _("请填写来电号码（来电人不愿留号码时请勾选匿名）。"))
    if latitude is not None and not (-90 <= latitude <= 90):
        add("latitude", _("纬度有误。"))
    if longitude is not None and not (-180 <= longitude <= 180):
        add("longitude", _("经度有误。"))
    return errors


@transaction.atomic
def work_order_create(
    *,
    actor: Any,
    channel: str,
    category: DispatchCategory | None,
    region: Region | None,
    description: str,
    location: str = "",
    title: str = "",
    caller_phone: str = "",
    caller_name: str = "",
    anonymous: bool = False,
    consent: bool = False,
    urgency: str | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> WorkOrder:
    """受理登记: a new order in ``registered``, its number sent to the caller by SMS.

    By phone the actor is an operator of the hotline centre; the web form, the robot and Open311
    have no staff actor (a signed-in citizen is kept as ``caller_user``).
    """
    description = str(description or "").strip()
    location = " ".join(str(location or "").split())
    caller_phone = re.sub(r"[\s-]", "", str(caller_phone or ""))
    caller_name = " ".join(str(caller_name or "").split())
    errors = _validate_intake(
        channel=channel, category=category, region=region, description=description,
        location=location, caller_phone=caller_phone, caller_name=caller_name,
        anonymous=anonymous, latitude=latitude, longitude=longitude,
    )
    if urgency is not None and urgency not in Urgency.values:
        errors.setdefault("urgency", []).append(_("紧急程度有误。"))
    staff = channel == OrderChannel.PHONE
    if staff:
        if region is None:  # reported as a field error to an operator
            if not access.has_any(actor, Perm.HOTLINE_OPERATE):
                access.require(actor, Perm.HOTLINE_OPERATE, region=None)
        else:
            access.require(actor, Perm.HOTLINE_OPERATE, region=region)
    if errors:
        raise ValidationFailed(_("请修改标出的内容。"), field_errors=errors)
    assert category is not None and region is not None
    now = clock.now()
    title = " ".join(str(title or "").split())[:100] or _title(description)
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    order = WorkOrder(
        order_no=order_number(on=timezone.localdate(now), serial=next_serial()),
        channel=channel, urgency=urgency or category.urgency, category=category, region=region,
        location=location, latitude=latitude, longitude=longitude, title=title,
        description=description, caller_phone=caller_phone,
        caller_name="" if anonymous else caller_name, anonymous=anonymous,
        consent=consent and not anonymous, caller_user=None if staff else user,
        created_by=user if staff else None, created_at=now, updated_at=now,
    )
    event = _record(order, action=OrderAction.CREATE, actor=user, role=ROLE_CENTRE if staff
                    else ROLE_CALLER, data={"channel": channel, "category": category.code,
                                            "region": region.code, "urgency": order.urgency})
    _sms(order, event.seq, _("已受理，我们会尽快办理并答复您。"), everyone=False)
    return order


def _title(description: str) -> str:
    first = re.split(r"[。！？!?\n]", description, maxsplit=1)[0].strip()
    return (first or description)[:30]


# --- the hotline centre -----------------------------------------------------------------------


@transaction.atomic
def work_order_answer(*, actor: Any, order: WorkOrder, answer: str = "",
                      article: Article | None = None, expected_version: int | None = None
                      ) -> WorkOrder:
    """直接办结: the operator answers on the call (from the knowledge base) and closes it."""
    order = _lock(order)
    _require_centre(actor, order)
    _expect(order, expected_version)
    target = check(order.state, OrderAction.ANSWER)
    text = (answer or "").strip() or (article.answer if article is not None else "")
    text = _text(text, field="answer", label=_("答复内容"), minimum=2, maximum=MAX_REPLY)
    now = clock.now()
    order.reply, order.article, order.direct = text, article, True
    order.replied_at = order.closed_at = now
    event = _record(order, action=OrderAction.ANSWER, actor=actor, role=ROLE_CENTRE,
                    to_state=target, data={"article": article.key if article else ""},
                    save_fields=["reply", "article", "direct", "replied_at", "closed_at"])
    _close_merged(order, actor, event.seq)
    _sms(order, event.seq, _("已答复：%(text)s") % {"text": text[:200]})
    return order


def _dispatch(order: WorkOrder, *, actor: Any, department: Department | None, note: str,
              fields: list[str]) -> WorkOrderEvent:
    if department is None:
        department = suggest_department(category=order.category, region=order.region)
        if department is None:
            raise ValidationFailed(_("派单目录中没有这个类别在此地的承办部门，请选择部门。"),
                                   field_errors={"department": [_("请选择承办部门。")]})
    if not department.is_active:
        raise ValidationFailed(_("该部门已停用。"), field_errors={
            "department": [_("该部门已停用，请选择其他部门。")]})
    if not access.can(actor, Perm.HOTLINE_OPERATE, region=department.region):
        raise ValidationFailed(_("不能派给本热线管辖范围以外的部门。"), field_errors={
            "department": [_("不能派给本热线管辖范围以外的部门。")]})
    target = check(order.state, OrderAction.DISPATCH)
    now = clock.now()
    previous = order.department.name if order.department_id and order.department else ""
    order.department = department
    order.dispatched_at = now
    order.sign_due = sign_due(order.category, order.urgency, now)
    order.reply_due = reply_due(order.category, order.urgency, now)
    order.return_due = return_due(now)
    order.signed_at = None
    order.overdue = False
    order.sign_late = False
    order.objection_reason = ""
    order.extension_state, order.extension_days, order.extension_reason = "", 0, ""
    order.dispatch_count += 1
    event = _record(order, action=OrderAction.DISPATCH, actor=actor, role=ROLE_CENTRE,
                    to_state=target, data={"department": department.name, "previous": previous,
                                           "note": note, "sign_due": order.sign_due.isoformat(),
                                           "reply_due": order.reply_due.isoformat()},
                    save_fields=[*fields, "department", "dispatched_at", "sign_due",
                                 "reply_due", "return_due", "signed_at", "overdue", "sign_late",
                                 "objection_reason", "extension_state", "extension_days",
                                 "extension_reason", "dispatch_count"])
    _notify_department(order, event.seq, _("新派工单，请在 %(due)s 前签收。") % {
        "due": timezone.localtime(order.sign_due).strftime("%Y-%m-%d %H:%M")})
    return event


@transaction.atomic
def work_order_dispatch(*, actor: Any, order: WorkOrder, department: Department | None = None,
                        note: str = "", expected_version: int | None = None) -> WorkOrder:
    """派单 / 改派: to ``department`` or, when None, to the catalogue's suggestion."""
    order = _lock(order)
    _require_centre(actor, order)
    _expect(order, expected_version)
    note = _text(note, field="note", label=_("派单说明"), minimum=0, maximum=MAX_REASON)
    _dispatch(order, actor=actor, department=department, note=note, fields=[])
    return order


@transaction.atomic
def work_order_merge(*, actor: Any, order: WorkOrder, into: WorkOrder) -> WorkOrder:
    """重复诉求并单: ``order`` (not yet dispatched) is handled as part of ``into``."""
    if order.pk == into.pk:
        raise ValidationFailed(_("不能并入自身。"), field_errors={"into": [_("不能并入自身。")]})
    first, second = sorted([order.pk, into.pk])
    locked = {o.pk: o for o in (_lock(first), _lock(second))}
    order, into = locked[order.pk], locked[into.pk]
    _require_centre(actor, order)
    _require_centre(actor, into)
    if into.merged_into_id:
        raise Conflict(_("目标工单本身已并入其他工单。"), code="invalid_transition")
    target = check(order.state, OrderAction.MERGE)
    check(into.state, OrderAction.MERGE_IN)
    order.merged_into = into
    _record(order, action=OrderAction.MERGE, actor=actor, role=ROLE_CENTRE, to_state=target,
            data={"into": into.order_no}, save_fields=["merged_into"])
    WorkOrder.objects.filter(merged_into=order).update(merged_into=into)
    _record(into, action=OrderAction.MERGE_IN, actor=actor, role=ROLE_CENTRE,
            data={"merged": order.order_no})
    return order


@transaction.atomic
def work_order_decide_objection(*, actor: Any, order: WorkOrder, upheld: bool, note: str,
                                department: Department | None = None,
                                expected_version: int | None = None) -> WorkOrder:
    """异议审核: upheld → back to the centre (or straight to ``department``); rejected → the
    same department signs again, with a new time limit."""
    order = _lock(order)
    _require_centre(actor, order)
    _expect(order, expected_version)
    note = _text(note, field="note", label=_("审核意见"), minimum=2, maximum=MAX_REASON)
    if upheld:
        target = check(order.state, OrderAction.UPHOLD)
        previous = order.department.name if order.department else ""
        order.department = None
        _record(order, action=OrderAction.UPHOLD, actor=actor, role=ROLE_CENTRE,
                to_state=target, data={"note": note, "department": previous},
                save_fields=["department"])
        if department is not None:
            _dispatch(order, actor=actor, department=department, note=note, fields=[])
        return order
    target = check(order.state, OrderAction.REJECT)
    now = clock.now()
    order.sign_due = sign_due(order.category, order.urgency, now)
    order.overdue = False
    event = _record(order, action=OrderAction.REJECT, actor=actor, role=ROLE_CENTRE,
                    to_state=target, data={"note": note, "sign_due": order.sign_due.isoformat()},
                    save_fields=["sign_due", "overdue"])
    _notify_department(order, event.seq, _("派单异议不成立，请签收办理：%(note)s") % {"note": note})
    return order


@transaction.atomic
def work_order_decide_extension(*, actor: Any, order: WorkOrder, approved: bool, note: str = "",
                                expected_version: int | None = None) -> WorkOrder:
    """延期审批 by the hotline centre: approved moves the reply limit by the days asked."""
    order = _lock(order)
    _require_centre(actor, order)
    _expect(order, expected_version)
    if order.extension_state != ExtensionState.PENDING:
        raise Conflict(_("该工单没有待审批的延期申请。"), code="no_extension")
    note = _text(note, field="note", label=_("审批意见"), minimum=0 if approved else 2,
                 maximum=MAX_REASON)
    if approved:
        check(order.state, OrderAction.EXTEND_APPROVE)
        assert order.reply_due is not None
        base = timezone.localdate(order.reply_due)
        order.reply_due = _end_of_day(add_workdays(base, order.extension_days).date)
        order.extension_state = ExtensionState.APPROVED
        if order.reply_due > clock.now():
            order.overdue = False
        event = _record(order, action=OrderAction.EXTEND_APPROVE, actor=actor, role=ROLE_CENTRE,
                        data={"note": note, "reply_due": order.reply_due.isoformat()},
                        save_fields=["reply_due", "extension_state", "overdue"])
    else:
        check(order.state, OrderAction.EXTEND_REFUSE)
        order.extension_state = ExtensionState.REFUSED
        event = _record(order, action=OrderAction.EXTEND_REFUSE, actor=actor, role=ROLE_CENTRE,
                        data={"note": note}, save_fields=["extension_state"])
    _notify_department(order, event.seq, _("延期申请已批准。") if approved
                       else _("延期申请未批准：%(note)s") % {"note": note})
    return order


@transaction.atomic
def work_order_supervise(*, actor: Any, order: WorkOrder, note: str) -> WorkOrder:
    """督办: the centre presses the department on an order falling behind."""
    order = _lock(order)
    _require_centre(actor, order)
    note = _text(note, field="note", label=_("督办意见"), minimum=2, maximum=MAX_REASON)
    check(order.state, OrderAction.SUPERVISE)
    order.supervise_count += 1
    event = _record(order, action=OrderAction.SUPERVISE, actor=actor, role=ROLE_CENTRE,
                    data={"note": note, "count": order.supervise_count},
                    save_fields=["supervise_count"])
    _notify_department(order, event.seq, _("督办：%(note)s") % {"note": note})
    return order


@transaction.atomic
def work_order_visit(*, actor: Any, order: WorkOrder, solved: bool, satisfaction: int | None,
                     note: str = "", by_sms: bool = False) -> WorkOrder:
    """回访: solved → 办结; unsolved → reopened once (the same department, a new reply limit),
    unsolved again → 办结 as unsolved."""
    order = _lock(order)
    if not by_sms:
        _require_centre(actor, order)
    if satisfaction is not None and (
        isinstance(satisfaction, bool) or not isinstance(satisfaction, int)
        or not 1 <= satisfaction <= 5
    ):
        raise ValidationFailed(_("满意度应为 1–5。"), field_errors={
            "satisfaction": [_("满意度请选 1（很不满意）到 5（很满意）。")]})
    note = _text(note, field="note", label=_("回访记录"), minimum=0, maximum=MAX_REASON)
    now = clock.now()
    role = ROLE_CALLER if by_sms else ROLE_CENTRE
    data = {"solved": solved, "satisfaction": satisfaction, "note": note, "sms": by_sms}
    order.solved, order.satisfaction, order.visit_at = solved, satisfaction, now
    fields = ["solved", "satisfaction", "visit_at"]
    if not solved and order.reopen_count < MAX_REOPEN:
        target = check(order.state, OrderAction.REOPEN)
        order.reopen_count += 1
        order.reply_due = reply_due(order.category, order.urgency, now)
        order.overdue = False
        order.solved = None
        event = _record(order, action=OrderAction.REOPEN, actor=actor, role=role,
                        to_state=target, data=data,
                        save_fields=[*fields, "reopen_count", "reply_due", "overdue"])
        _notify_department(order, event.seq, _("回访未解决，工单重新办理。"))
        return order
    target = check(order.state, OrderAction.VISIT)
    order.closed_at = now
    event = _record(order, action=OrderAction.VISIT, actor=actor, role=role, to_state=target,
                    data=data, save_fields=[*fields, "closed_at"])
    _close_merged(order, actor, event.seq)
    return order


@transaction.atomic
def work_order_visit_sms(*, actor: Any, order: WorkOrder) -> WorkOrder:
    """短信回访: ask the caller to reply “1 5” (solved, satisfaction) or “2 …” (unsolved)."""
    order = _lock(order)
    _require_centre(actor, order)
    check(order.state, OrderAction.VISIT_SMS)
    if not _MOBILE_RE.match(order.caller_phone or ""):
        raise Conflict(_("来电人没有留下手机号码，请电话回访。"), code="no_mobile")
    order.visit_sms_at = clock.now()
    event = _record(order, action=OrderAction.VISIT_SMS, actor=actor, role=ROLE_CENTRE,
                    save_fields=["visit_sms_at"])
    _sms(order, event.seq, _("已答复。问题解决了吗？请回复“1 满意度”表示已解决，“2 满意度”表示"
                             "未解决，满意度 1–5 分，例如“1 5”。"), everyone=False)
    return order


_SMS_REPLY_RE = re.compile(r"^\s*([12])\D*([1-5])?\s*$")


def work_order_visit_sms_reply(*, phone: str, text: str) -> WorkOrder | None:
    """The caller's answer to the visit SMS (from the SMS gateway); None when it fits nothing."""
    match = _SMS_REPLY_RE.match(str(text or ""))
    phone = re.sub(r"\D", "", str(phone or ""))[-11:]
    if match is None or not _MOBILE_RE.match(phone):
        return None
    order = (WorkOrder.objects.filter(caller_phone=phone, state=OrderState.REPLIED,
                                      visit_sms_at__isnull=False)
             .order_by("-visit_sms_at").first())
    if order is None:
        return None
    satisfaction = int(match.group(2)) if match.group(2) else None
    return work_order_visit(actor=None, order=order, solved=match.group(1) == "1",
                            satisfaction=satisfaction, by_sms=True)


def _close_merged(order: WorkOrder, actor: Any, seq: int) -> None:
    for child in WorkOrder.objects.select_for_update().filter(merged_into=order).order_by("pk"):
        child.reply = order.reply
        child.replied_at = order.replied_at
        child.closed_at = order.closed_at
        _record(child, action=OrderAction.SHARED_REPLY, actor=actor, role=ROLE_SYSTEM,
                data={"order": order.order_no, "closed": order.closed_at is not None},
                save_fields=["reply", "replied_at", "closed_at"])


# --- the department ---------------------------------------------------------------------------


@transaction.atomic
def work_order_sign(*, actor: Any, order: WorkOrder, expected_version: int | None = None
                    ) -> WorkOrder:
    """签收: the department takes the order on (late when after ``sign_due``)."""
    order = _lock(order)
    _require_department(actor, order)
    _expect(order, expected_version)
    target = check(order.state, OrderAction.SIGN)
    now = clock.now()
    order.signed_at = now
    order.sign_late = bool(order.sign_due and now > order.sign_due)
    order.overdue = False
    _record(order, action=OrderAction.SIGN, actor=actor, role=ROLE_DEPARTMENT, to_state=target,
            data={"late": order.sign_late}, save_fields=["signed_at", "sign_late", "overdue"])
    return order


@transaction.atomic
def work_order_object(*, actor: Any, order: WorkOrder, reason: str,
                      expected_version: int | None = None) -> WorkOrder:
    """派单异议: not ours — the hotline centre decides."""
    order = _lock(order)
    _require_department(actor, order)
    _expect(order, expected_version)
    reason = _text(reason, field="reason", label=_("异议理由"), minimum=4, maximum=MAX_REASON)
    target = check(order.state, OrderAction.OBJECT)
    order.objection_reason = reason
    _record(order, action=OrderAction.OBJECT, actor=actor, role=ROLE_DEPARTMENT,
            to_state=target, data={"reason": reason}, save_fields=["objection_reason"])
    return order


@transaction.atomic
def work_order_return(*, actor: Any, order: WorkOrder, reason: str,
                      expected_version: int | None = None) -> WorkOrder:
    """退单: within 2 working days of dispatch, with a reason; the centre re-dispatches."""
    order = _lock(order)
    _require_department(actor, order)
    _expect(order, expected_version)
    reason = _text(reason, field="reason", label=_("退单理由"), minimum=4, maximum=MAX_REASON)
    target = check(order.state, OrderAction.RETURN)
    if order.return_due and clock.now() > order.return_due:
        raise Conflict(_("已超过退单期限（派单后 2 个工作日内），请办理或提出延期申请。"),
                       code="return_too_late")
    previous = order.department.name if order.department else ""
    order.department = None
    _record(order, action=OrderAction.RETURN, actor=actor, role=ROLE_DEPARTMENT,
            to_state=target, data={"reason": reason, "department": previous},
            save_fields=["department"])
    return order


@transaction.atomic
def work_order_request_extension(*, actor: Any, order: WorkOrder, days: int, reason: str,
                                 expected_version: int | None = None) -> WorkOrder:
    """申请延期: once per order, up to 10 working days, approved by the hotline centre."""
    order = _lock(order)
    _require_department(actor, order)
    _expect(order, expected_version)
    check(order.state, OrderAction.EXTEND)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ValidationFailed(_("延期天数有误。"), field_errors={
            "days": [_("延期天数为 1–%(n)d 个工作日。") % {"n": MAX_EXTENSION_DAYS}]})
    reason = _text(reason, field="reason", label=_("延期理由"), minimum=4, maximum=MAX_REASON)
    if order.extension_state:
        raise Conflict(_("每张工单只能申请一次延期。"), code="extension_used")
    order.extension_state = ExtensionState.PENDING
    order.extension_days, order.extension_reason = days, reason
    _record(order, action=OrderAction.EXTEND, actor=actor, role=ROLE_DEPARTMENT,
            data={"days": days, "reason": reason},
            save_fields=["extension_state", "extension_days", "extension_reason"])
    return order


@transaction.atomic
def work_order_reply(*, actor: Any, order: WorkOrder, reply: str,
                     expected_version: int | None = None) -> WorkOrder:
    """答复: the department's answer, sent to the caller and to every merged caller."""
    order = _lock(order)
    _require_department(actor, order)
    _expect(order, expected_version)
    reply = _text(reply, field="reply", label=_("答复内容"), minimum=5, maximum=MAX_REPLY)
    target = check(order.state, OrderAction.REPLY)
    now = clock.now()
    order.reply, order.replied_at = reply, now
    order.reply_late = order.reply_late or bool(order.reply_due and now > order.reply_due)
    order.overdue = False
    if order.extension_state == ExtensionState.PENDING:
        order.extension_state = ExtensionState.NONE
    event = _record(order, action=OrderAction.REPLY, actor=actor, role=ROLE_DEPARTMENT,
                    to_state=target, data={"late": order.reply_late},
                    save_fields=["reply", "replied_at", "reply_late", "overdue",
                                 "extension_state"])
    _close_merged(order, actor, event.seq)
    _sms(order, event.seq, _("承办部门已答复：%(text)s") % {"text": reply[:200]})
    return order


# --- the periodic scan ------------------------------------------------------------------------


def work_orders_mark_overdue(*, batch: int = 500) -> int:
    """超期扫描: mark orders past ``sign_due`` (not signed) or ``reply_due`` (not replied) and
    tell the department; idempotent (the ``overdue`` flag), one short transaction per order."""
    now = clock.now()
    marked = 0
    for state, due_field in ((OrderState.DISPATCHED, "sign_due"), (OrderState.SIGNED, "reply_due")):
        ids = list(WorkOrder.objects.filter(
            state=state, overdue=False, **{f"{due_field}__lt": now}
        ).order_by(due_field).values_list("pk", flat=True)[:batch])
        for pk in ids:
            with transaction.atomic():
                order = (WorkOrder.objects.select_for_update(skip_locked=True, of=("self",))
                         .select_related("category", "region", "department")
                         .filter(pk=pk, state=state, overdue=False).first())
                due = getattr(order, due_field, None) if order else None
                if order is None or due is None or due >= now:
                    continue
                order.overdue = True
                fields = ["overdue"]
                if due_field == "reply_due":
                    order.reply_late = True
                    fields.append("reply_late")
                event = _record(order, action=OrderAction.OVERDUE, actor=None, role=ROLE_SYSTEM,
                                data={"due": due_field}, public=False, save_fields=fields)
                _notify_department(order, event.seq, _("工单已超期，请尽快办理。"))
                marked += 1
    return marked


def work_order_by_no(order_no: str) -> WorkOrder:
    order = WorkOrder.objects.filter(order_no=str(order_no or "").strip().upper()[:24]).first()
    if order is None:
        raise NotFound(_("工单不存在。"))
    return order
