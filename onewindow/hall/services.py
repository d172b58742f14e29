"""Services of the hall's queue: taking, calling and serving tickets; windows' presence.

Every function is one transaction and appends :class:`~onewindow.hall.models.TicketEvent` rows
for what it changed (the hall's log, and the signal its display screens follow).

Concurrency:

- Ticket numbers come from :class:`~onewindow.hall.models.DayCounter`, bumped by one upsert in
  its own short transaction when the caller is not already inside one: a hundred kiosks taking
  numbers at once wait on each other for the length of one statement, never for a commit. Gaps
  (a number whose ticket failed to save) are allowed; duplicates are not (unique constraint).
- Calling the next ticket claims it with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
  two windows serving the same category never get the same ticket and never wait for each
  other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.core import clock
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.core.identity import IdentityError, validate_id_number, validate_mobile
from onewindow.hall.models import (
    OPEN_TICKET_STATES,
    DayCounter,
    HallSettings,
    PauseReason,
    Priority,
    ServiceCategory,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketSource,
    TicketState,
    WindowSession,
    WindowStatus,
)
from onewindow.notifications.models import Channel as NoteChannel
from onewindow.notifications.services import Message, notifications_enqueue
from onewindow.regions.models import ServiceCentre, Window

# --- settings and helpers ------------------------------------------------------------------------


RULES_TTL = 30  # seconds a centre's rules are reused from the cache (saving one clears it)


def settings_for(centre_id: int) -> HallSettings:
    """The centre's queue rules; the defaults are saved the first time they are asked for
    (so that the centre's kiosk key is stable). Every ticket asks for them: they are cached,
    and saving them clears the cache."""
    key = HallSettings.cache_key(centre_id)
    cached = cache.get(key)
    if isinstance(cached, HallSettings):
        return cached
    found = HallSettings.objects.filter(centre_id=centre_id).first()
    if found is None:
        try:
            with transaction.atomic():
                found = HallSettings.objects.create(centre_id=centre_id)
        except IntegrityError:  # created at the same moment by another request
            found = HallSettings.objects.get(centre_id=centre_id)
    cache.set(key, found, RULES_TTL)
    return found


def kiosk_key_valid(centre_id: int, key: str) -> bool:
    """Whether ``key`` is the centre's kiosk key (the hall's ticket machines carry it)."""
    expected = settings_for(centre_id).kiosk_key
    return bool(key) and hmac.compare_digest(expected.encode(), key.encode())


def holder_key(*, id_number: str = "", mobile: str = "") -> str:
    """A keyed hash that identifies a person across tickets without storing a lookup on the
    number itself (used for the per-person daily limit)."""
    raw = id_number or mobile
    if not raw:
        return ""
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, f"hall:{raw}".encode(), hashlib.sha256).hexdigest()


def age_on(id_number: str, day: dt.date) -> int:
    born = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _event(
    ticket: Ticket | None,
    kind: str,
    *,
    centre_id: int,
    actor: Any = None,
    window_id: int | None = None,
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        centre_id=centre_id, ticket=ticket, kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        window_id=window_id, data=data or {}, at=at or clock.now(),
    )


def _next_serial(category_id: int, day: dt.date) -> int:
    """The next number of a category on a day: one upsert, committed at once when possible."""
    table = DayCounter._meta.db_table  # our own constant, not input
    sql = (
        f"INSERT INTO {table} (category_id, day, last) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT (category_id, day) DO UPDATE SET last = {table}.last + 1 RETURNING last"
    )
    own_transaction = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql" and own_transaction:
            # The bump need not wait for its own disk flush: the ticket's commit right after
            # flushes the log up to and including it. Lost in a crash before that, the number
            # is given again — and no ticket holds it.
            cur.execute("SET LOCAL synchronous_commit TO OFF")
        cur.execute(sql, [category_id, day])
        row = cur.fetchone()
    assert row is not None
    return int(row[0])


# --- taking a ticket -----------------------------------------------------------------------------


def ticket_take(
    *,
    centre: ServiceCentre,
    category: ServiceCategory,
    source: str = TicketSource.KIOSK,
    mobile: str = "",
    id_number: str = "",
    priority: str = "",
    user: Any = None,
    actor: Any = None,
    appointment_id: int | None = None,
    appointment_at: dt.datetime | None = None,
) -> Ticket:
    """Give the next number of ``category`` today.

    - ``source`` online: the ticket waits for check-in (``reserved``) and needs a signed-in
      ``user``; kiosk, desk and appointment tickets join the queue at once.
    - ``priority`` is given by staff at the desk (导服台); at the kiosk an ID number of a person
      of the centre's elderly age gives the elderly priority by itself.
    - The per-person daily limit counts the tickets of the same ID number or mobile today.
    """
    errors: dict[str, list[str]] = {}
    if category.centre_id != centre.pk or not category.is_active or not centre.is_active:
        raise NotFound(_("该业务类别不在本中心办理或已停用。"), code="category_not_found")
    if source not in TicketSource.values:
        errors["source"] = [_("取号方式不正确。")]
    if priority and priority not in Priority.values:
        errors["priority"] = [_("优先类别不正确。")]
    if priority and source not in (TicketSource.DESK,):
        # Only staff grant priority by hand; the kiosk derives the elderly priority itself.
        errors["priority"] = [_("优先号请到导服台由工作人员办理。")]
    if mobile:
        try:
            mobile = validate_mobile(mobile)
        except IdentityError as exc:
            errors["mobile"] = [str(exc)]
    if id_number:
        try:
            id_number = validate_id_number(id_number)
        except IdentityError as exc:
            errors["id_number"] = [str(exc)]
    if source == TicketSource.ONLINE:
        if user is None or not getattr(user, "is_authenticated", False):
            raise PermissionDenied(_("网上取号请先登录。"), code="login_required")
        if not mobile:
            mobile = getattr(user, "phone", "") or ""
    if source == TicketSource.DESK:
        access.require(actor, Perm.HALL_CALL, region=centre.region)
    if errors:
        raise ValidationFailed(_("取号信息有误，请检查后重试。"), field_errors=errors)

    rules = settings_for(centre.pk)
    now = clock.now()
    today = clock.today()
    if not priority and id_number and age_on(id_number, today) >= rules.elderly_age:
        priority = Priority.ELDERLY
    key = holder_key(id_number=id_number, mobile=mobile)
    if key and rules.daily_limit_per_person and source != TicketSource.APPOINTMENT:
        taken = Ticket.objects.filter(holder_key=key, day=today, centre=centre).exclude(
            state=TicketState.CANCELLED
        ).count()
        if taken >= rules.daily_limit_per_person:
            raise Conflict(
                _("您今天在本中心已取号 %(n)d 次，已达每日上限。如需帮助请到导服台。")
                % {"n": taken},
                code="daily_limit",
            )
    serial = _next_serial(category.pk, today)
    number = f"{category.letter}{serial:03d}"
    reserved = source == TicketSource.ONLINE
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                centre=centre, day=today, category=category, number=number, source=source,
                priority=priority, state=TicketState.RESERVED if reserved else TicketState.WAITING,
                holder_mobile=mobile, holder_id_number=id_number, holder_key=key,
                user=user if getattr(user, "is_authenticated", False) else None,
                appointment_id=appointment_id, appointment_at=appointment_at,
                taken_at=now, queue_at=now, checked_in_at=None if reserved else now,
            )
            _event(ticket, TicketEventKind.TAKEN, centre_id=centre.pk, actor=actor or user,
                   data={"number": number, "source": source, "priority": priority}, at=now)
    except IntegrityError as exc:  # a number given twice would be a bug in the counter
        raise Conflict(_("取号失败，请重试。"), code="number_taken") from exc
    return ticket


def ticket_check_in(*, ticket: Ticket, actor: Any = None) -> Ticket:
    """An online ticket's holder arrives: it joins the queue in its original place when within
    the centre's check-in window, otherwise it is void (a new number must be taken)."""
    rules = settings_for(ticket.centre_id)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.state != TicketState.RESERVED:
            raise Conflict(_("该号码无需签到或已失效。"), code="not_reserved")
        now = clock.now()
        late = ticket.day != clock.today() or now > ticket.taken_at + dt.timedelta(
            minutes=rules.online_checkin_minutes
        )
        if late:  # void it; the refusal is raised after the commit so this is kept
            _set_state(ticket, TicketState.EXPIRED, ["state"])
            _event(ticket, TicketEventKind.EXPIRED, centre_id=ticket.centre_id, actor=actor,
                   data={"reason": "checkin_late"})
        else:
            ticket.state = TicketState.WAITING
            ticket.checked_in_at = now
            _save(ticket, ["state", "checked_in_at"])
            _event(ticket, TicketEventKind.CHECKED_IN, centre_id=ticket.centre_id, actor=actor)
    if late:
        raise Conflict(
            _("网上取号须在取号后 %(m)d 分钟内签到，该号已作废，请重新取号。")
            % {"m": rules.online_checkin_minutes},
            code="checkin_late",
        )
    return ticket


def ticket_cancel(*, ticket: Ticket, user: Any) -> Ticket:
    """The holder gives up a ticket that has not been called yet (online)."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.user_id is None or ticket.user_id != getattr(user, "pk", None):
            raise NotFound(_("没有找到这个号码。"), code="ticket_not_found")
        if ticket.state not in (TicketState.RESERVED, TicketState.WAITING):
            raise Conflict(_("该号码已被呼叫或已结束，不能取消。"), code="not_cancellable")
        _set_state(ticket, TicketState.CANCELLED, ["state"])
        _event(ticket, TicketEventKind.CANCELLED, centre_id=ticket.centre_id, actor=user)
    return ticket


def _save(ticket: Ticket, fields: list[str]) -> None:
    ticket.version += 1
    ticket.save(update_fields=[*fields, "version"])


def _set_state(ticket: Ticket, state: str, fields: list[str]) -> None:
    ticket.state = state
    _save(ticket, fields)


# --- windows: presence ---------------------------------------------------------------------------


def current_session(user: Any) -> WindowSession | None:
    """The user's open session at a window (at most one), with its window and centre."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        WindowSession.objects.select_related("window__centre__region")
        .filter(user=user).exclude(status=WindowStatus.CLOSED).first()
    )


def current_session_of_window(window_id: int) -> WindowSession | None:
    """Who is signed in at a window now (with the user's staff profile)."""
    return (
        WindowSession.objects.select_related("user__staff_profile")
        .filter(window_id=window_id).exclude(status=WindowStatus.CLOSED).first()
    )


def _windows_changed(window_id: int) -> None:
    """A window opened, paused or closed: forget the cached open-window counts (the estimated
    waits) of the categories it serves, now and again after the commit."""
    keys = [f"hall:open-windows:{c}" for c in window_category_ids(window_id)]

    def forget() -> None:
        cache.delete_many(keys)

    forget()
    transaction.on_commit(forget)


def _require_window(user: Any, window: Window) -> None:
    if not access.can(user, Perm.HALL_CALL, region=window.centre.region,
                      department=window.department):
        raise PermissionDenied(_("您不能在该窗口办理业务。"), code="forbidden")


def window_sign_in(*, user: Any, window: Window) -> WindowSession:
    """挂牌上岗: the user takes a window (one window per person, one person per window)."""
    _require_window(user, window)
    if not window.is_active:
        raise Conflict(_("该窗口已停用。"), code="window_inactive")
    now = clock.now()
    try:
        with transaction.atomic():
            session = WindowSession.objects.create(
                window=window, user=user, day=clock.today(), started_at=now
            )
            _event(None, TicketEventKind.WINDOW, centre_id=window.centre_id, actor=user,
                   window_id=window.pk, data={"status": WindowStatus.OPEN}, at=now)
            _windows_changed(window.pk)
    except IntegrityError as exc:
        mine = current_session(user)
        if mine is not None:
            raise Conflict(
                _("您已在 %(w)s 号窗口签到，请先签退。") % {"w": mine.window.number},
                code="already_signed_in",
            ) from exc
        raise Conflict(_("该窗口已有工作人员在岗。"), code="window_taken") from exc
    return session


def _my_session(user: Any, *, lock: bool = True) -> WindowSession:
    qs = WindowSession.objects.select_related("window__centre__region").filter(user=user)
    if lock:
        qs = qs.select_for_update(of=("self",)) if connection.features.has_select_for_update_of \
            else qs.select_for_update()
    session = qs.exclude(status=WindowStatus.CLOSED).first()
    if session is None:
        raise Conflict(_("请先在窗口签到。"), code="not_signed_in")
    _require_window(user, session.window)
    return session


def window_pause(
    *, user: Any, reason: str, whereabouts: str = "", back_at: dt.datetime | None = None
) -> WindowSession:
    """Pause the window (break, out on business …); the reason is shown publicly."""
    if reason not in PauseReason.values:
        message = _("请选择暂停原因。")
        raise ValidationFailed(message, field_errors={"reason": [message]})
    if len(whereabouts) > 100:
        raise ValidationFailed(_("去向说明过长。"),
                               field_errors={"whereabouts": [_("请不超过100个字。")]})
    with transaction.atomic():
        session = _my_session(user)
        if _window_ticket(session.window_id) is not None:
            raise Conflict(_("请先办结或过号当前号码，再暂停服务。"), code="ticket_open")
        if session.status == WindowStatus.PAUSED:
            raise Conflict(_("窗口已暂停。"), code="already_paused")
        now = clock.now()
        session.status = WindowStatus.PAUSED
        session.pause_reason = reason
        session.whereabouts = whereabouts.strip()
        session.paused_at = now
        session.back_at = back_at
        session.save(update_fields=["status", "pause_reason", "whereabouts", "paused_at",
                                    "back_at"])
        _event(None, TicketEventKind.WINDOW, centre_id=session.window.centre_id, actor=user,
               window_id=session.window_id,
               data={"status": WindowStatus.PAUSED, "reason": reason}, at=now)
        _windows_changed(session.window_id)
    return session


def window_resume(*, user: Any) -> WindowSession:
    with transaction.atomic():
        session = _my_session(user)
        if session.status != WindowStatus.PAUSED:
            raise Conflict(_("窗口未暂停。"), code="not_paused")
        _close_pause(session, clock.now())
        session.status = WindowStatus.OPEN
        session.save(update_fields=["status", "pause_reason", "whereabouts", "paused_at",
                                    "back_at", "paused_seconds"])
        _event(None, TicketEventKind.WINDOW, centre_id=session.window.centre_id, actor=user,
               window_id=session.window_id, data={"status": WindowStatus.OPEN})
        _windows_changed(session.window_id)
    return session


def _close_pause(session: WindowSession, now: dt.datetime) -> None:
    if session.paused_at is not None:
        session.paused_seconds += max(0, int((now - session.paused_at).total_seconds()))
    session.paused_at = None
    session.pause_reason = ""
    session.whereabouts = ""
    session.back_at = None


def window_sign_out(*, user: Any) -> WindowSession:
    with transaction.atomic():
        session = _my_session(user)
        if _window_ticket(session.window_id) is not None:
            raise Conflict(_("请先办结或过号当前号码，再签退。"), code="ticket_open")
        now = clock.now()
        _close_pause(session, now)
        session.status = WindowStatus.CLOSED
        session.ended_at = now
        session.save()
        _event(None, TicketEventKind.WINDOW, centre_id=session.window.centre_id, actor=user,
               window_id=session.window_id, data={"status": WindowStatus.CLOSED}, at=now)
        _windows_changed(session.window_id)
    return session


# --- calling -------------------------------------------------------------------------------------


def _window_ticket(window_id: int, *, lock: bool = False) -> Ticket | None:
    qs = Ticket.objects.filter(
        window_id=window_id, state__in=(TicketState.CALLED, TicketState.SERVING)
    )
    if lock:
        qs = qs.select_for_update()
    # At most one per window (calling needs the window free); no ORDER BY to compile.
    found = list(qs[:1])
    return found[0] if found else None


WINDOW_CATEGORIES_TTL = 60  # seconds; a category's save or window change clears it at once


def window_categories_key(window_id: int) -> str:
    return f"hall:window-categories:{window_id}"


def window_category_ids(window_id: int) -> list[int]:
    """The active categories a window serves (cached; see hall.signals for invalidation)."""
    key = window_categories_key(window_id)
    cached = cache.get(key)
    if cached is not None:
        return list(cached)
    ids = list(
        ServiceCategory.windows.through.objects.filter(
            window_id=window_id, servicecategory__is_active=True
        ).values_list("servicecategory_id", flat=True)
    )
    cache.set(key, ids, WINDOW_CATEGORIES_TTL)
    return ids


def calling_order(rules: HallSettings, now: dt.datetime) -> list[Any]:
    """The centre's calling rule as an ORDER BY: priority, then due appointments, then order."""
    order: list[Any] = []
    if rules.priority_first:
        order.append(Case(When(priority="", then=Value(1)), default=Value(0),
                          output_field=IntegerField()))
    if rules.appointments_first:
        due = now + dt.timedelta(minutes=rules.appointment_early_minutes)
        order.append(Case(When(appointment_at__lte=due, then=Value(0)), default=Value(1),
                          output_field=IntegerField()))
        order.append(Case(When(appointment_at__lte=due, then=F("appointment_at")),
                          default=None).asc(nulls_last=True))
    order += ["queue_at", "id"]
    return order


def ticket_call_next(*, user: Any) -> Ticket | None:
    """Call the next ticket for the user's window by the centre's rule; None when nobody
    waits. A window with a ticket still called or being served must finish it first."""
    with transaction.atomic():
        session = _my_session(user)
        if session.status != WindowStatus.OPEN:
            raise Conflict(_("窗口暂停中，请先恢复服务。"), code="window_paused")
        on_pg = connection.vendor == "postgresql"
        if not on_pg and _window_ticket(session.window_id) is not None:
            raise Conflict(_("请先办结或过号当前号码。"), code="ticket_open")
        categories = window_category_ids(session.window_id)
        if not categories:
            raise Conflict(_("该窗口尚未设置服务的业务类别，请联系管理员。"),
                           code="no_categories")
        now = clock.now()
        rules = settings_for(session.window.centre_id)
        if on_pg:
            ticket = _claim_next_pg(categories, rules, now, session.window_id, user.pk,
                                    session.window.number)
            if ticket is None and _window_ticket(session.window_id) is not None:
                raise Conflict(_("请先办结或过号当前号码。"), code="ticket_open")
        else:
            ticket = Ticket.objects.filter(
                category_id__in=categories, day=clock.today(), state=TicketState.WAITING
            ).order_by(*calling_order(rules, now)).select_for_update().first()
            if ticket is not None:
                ticket.state = TicketState.CALLED
                ticket.window_id = session.window_id
                ticket.clerk = user
                ticket.called_at = now
                ticket.call_count = 1
                _save(ticket, ["state", "window", "clerk", "called_at", "call_count"])
        if ticket is None:
            return None
        if not on_pg:  # on PostgreSQL the claim wrote the event in the same statement
            _event(ticket, TicketEventKind.CALLED, centre_id=ticket.centre_id, actor=user,
                   window_id=session.window_id,
                   data={"number": ticket.number, "window": session.window.number}, at=now)
        if ticket.holder_mobile:  # 叫号提醒: written with the call, sent after the commit
            notifications_enqueue(messages=[Message(
                channel=NoteChannel.SMS, phone=ticket.holder_mobile,
                dedupe_key=f"hall-call-{ticket.pk}",
                body=_("【%(c)s】您的 %(n)s 号已叫到，请到 %(w)s 号窗口办理。")
                % {"c": session.window.centre.name, "n": ticket.number,
                   "w": session.window.number},
            )])
    return ticket


_CLAIM_SQL = """
WITH next AS (
    SELECT id FROM hall_ticket
    WHERE category_id = ANY(%(categories)s) AND day = %(day)s AND state = 'waiting'
      AND NOT EXISTS (SELECT 1 FROM hall_ticket b WHERE b.window_id = %(window)s
                      AND b.state IN ('called', 'serving'))
    ORDER BY {order} queue_at, id
    LIMIT 1 FOR UPDATE SKIP LOCKED
), upd AS (
    UPDATE hall_ticket t SET state = 'called', window_id = %(window)s, clerk_id = %(clerk)s,
        called_at = %(now)s, call_count = 1, version = t.version + 1
    FROM next WHERE t.id = next.id
    RETURNING t.id, t.centre_id, t.day, t.category_id, t.number, t.token, t.source,
        t.priority, t.holder_mobile, t.appointment_at, t.taken_at, t.queue_at, t.version
), ev AS (
    INSERT INTO hall_ticketevent (centre_id, ticket_id, kind, window_id, actor_id, data, at)
    SELECT centre_id, id, 'called', %(window)s, %(clerk)s,
           jsonb_build_object('number', number, 'window', %(window_no)s::text), %(now)s
    FROM upd
)
SELECT * FROM upd
"""
_PRIORITY_ORDER = "CASE WHEN priority = '' THEN 1 ELSE 0 END,"
_APPOINTMENT_ORDER = ("CASE WHEN appointment_at <= %(due)s THEN 0 ELSE 1 END, "
                      "CASE WHEN appointment_at <= %(due)s THEN appointment_at END NULLS LAST,")


def _claim_next_pg(categories: list[int], rules: HallSettings, now: dt.datetime,
                   window_id: int, clerk_id: int, window_no: str) -> Ticket | None:
    """The calling rule (:func:`calling_order`) as one statement on PostgreSQL: choose the
    next waiting ticket (none while the window still has one), skip those another window
    holds, mark it called, write its event, return it. The ORM's version costs several round
    trips and milliseconds of query compiling on every call."""
    order = (_PRIORITY_ORDER if rules.priority_first else "") + (
        _APPOINTMENT_ORDER if rules.appointments_first else "")
    due = now + dt.timedelta(minutes=rules.appointment_early_minutes)
    with connection.cursor() as cur:
        cur.execute(_CLAIM_SQL.format(order=order), {  # noqa: S608 - fixed fragments only
            "categories": categories, "day": clock.today(), "window": window_id,
            "clerk": clerk_id, "now": now, "due": due, "window_no": window_no,
        })
        row = cur.fetchone()
    if row is None:
        return None
    (pk, centre_id, day, category_id, number, token, source, priority, mobile, appointment_at,
     taken_at, queue_at, version) = row
    return Ticket(
        pk=pk, centre_id=centre_id, day=day, category_id=category_id, number=number,
        token=token, source=source, priority=priority, holder_mobile=mobile,
        appointment_at=appointment_at, taken_at=taken_at, queue_at=queue_at, version=version,
        state=TicketState.CALLED, window_id=window_id, clerk_id=clerk_id, called_at=now,
        call_count=1,
    )


def _current(user: Any, *states: str) -> tuple[WindowSession, Ticket]:
    session = _my_session(user)
    ticket = _window_ticket(session.window_id, lock=True)
    if ticket is None or (states and ticket.state not in states):
        raise Conflict(_("当前没有正在呼叫或办理的号码。"), code="no_current_ticket")
    return session, ticket


def ticket_recall(*, user: Any) -> Ticket:
    """重呼: call the current ticket once more (the screens announce it again)."""
    with transaction.atomic():
        session, ticket = _current(user, TicketState.CALLED)
        ticket.call_count += 1
        ticket.called_at = clock.now()
        _save(ticket, ["call_count", "called_at"])
        _event(ticket, TicketEventKind.RECALLED, centre_id=ticket.centre_id, actor=user,
               window_id=session.window_id,
               data={"number": ticket.number, "window": session.window.number,
                     "count": ticket.call_count})
    return ticket


def ticket_no_show(*, user: Any) -> Ticket:
    """过号: the holder did not come after the centre's number of calls."""
    with transaction.atomic():
        session, ticket = _current(user, TicketState.CALLED)
        rules = settings_for(ticket.centre_id)
        if ticket.call_count < rules.no_show_after_calls:
            raise Conflict(
                _("呼叫 %(n)d 次仍未到方可过号（已呼叫 %(c)d 次）。")
                % {"n": rules.no_show_after_calls, "c": ticket.call_count},
                code="too_few_calls",
            )
        ticket.finished_at = clock.now()
        _set_state(ticket, TicketState.NO_SHOW, ["state", "finished_at"])
        _event(ticket, TicketEventKind.NO_SHOW, centre_id=ticket.centre_id, actor=user,
               window_id=session.window_id, data={"number": ticket.number})
    return ticket


def ticket_start(*, user: Any) -> Ticket:
    """The holder has come to the window: service starts."""
    with transaction.atomic():
        session, ticket = _current(user, TicketState.CALLED)
        ticket.serving_at = clock.now()
        _set_state(ticket, TicketState.SERVING, ["state", "serving_at"])
        _event(ticket, TicketEventKind.SERVING, centre_id=ticket.centre_id, actor=user,
               window_id=session.window_id, data={"number": ticket.number})
    return ticket


def ticket_finish(*, user: Any, case_numbers: Iterable[str] = ()) -> Ticket:
    """办结: the visit is over. Cases the clerk registered during the visit are linked."""
    from onewindow.hall.selectors import cases_started_by

    with transaction.atomic():
        session, ticket = _current(user)
        now = clock.now()
        if ticket.serving_at is None:
            ticket.serving_at = ticket.called_at or now
        numbers = list(dict.fromkeys([
            *ticket.case_numbers, *case_numbers,
            *cases_started_by(user, since=ticket.serving_at, until=now),
        ]))
        ticket.case_numbers = numbers
        ticket.finished_at = now
        _set_state(ticket, TicketState.SERVED,
                   ["state", "serving_at", "finished_at", "case_numbers"])
        _event(ticket, TicketEventKind.SERVED, centre_id=ticket.centre_id, actor=user,
               window_id=session.window_id, data={"number": ticket.number, "cases": numbers},
               at=now)
    return ticket


def ticket_transfer(*, user: Any, category: ServiceCategory) -> Ticket:
    """转移: send the current ticket to another category's queue, keeping its place."""
    with transaction.atomic():
        session, ticket = _current(user)
        if category.centre_id != ticket.centre_id or not category.is_active:
            raise ValidationFailed(
                _("只能转到本中心启用的业务类别。"),
                field_errors={"category": [_("只能转到本中心启用的业务类别。")]},
            )
        if category.pk == ticket.category_id:
            raise ValidationFailed(
                _("该号码已在此业务类别中。"),
                field_errors={"category": [_("请选择其他业务类别。")]},
            )
        source = ticket.category_id
        ticket.transferred_from_id = source
        ticket.category = category
        ticket.window = None
        ticket.clerk = None
        ticket.called_at = None
        ticket.serving_at = None
        ticket.call_count = 0
        _set_state(ticket, TicketState.WAITING,
                   ["state", "category", "transferred_from", "window", "clerk", "called_at",
                    "serving_at", "call_count"])
        _event(ticket, TicketEventKind.TRANSFERRED, centre_id=ticket.centre_id, actor=user,
               window_id=session.window_id,
               data={"number": ticket.number, "from": source, "to": category.pk})
    return ticket


# --- the end of a day ----------------------------------------------------------------------------


def hall_close_days(*, before: dt.date | None = None) -> dict[str, int]:
    """Close what the past days left open (idempotent; the nightly job runs it).

    Tickets never called or never come are void (counted as abandoned, 弃号); a ticket left
    being served is closed as served without a service time; windows left signed in are signed
    out at the end of their day.
    """
    day = before or clock.today()
    now = clock.now()
    counts = {"expired": 0, "served": 0, "sessions": 0}
    with transaction.atomic():
        stale = Ticket.objects.filter(day__lt=day, state__in=OPEN_TICKET_STATES)
        for ticket in stale.select_for_update().only("id", "centre_id", "state", "version"):
            if ticket.state == TicketState.SERVING:
                ticket.state = TicketState.SERVED
                counts["served"] += 1
            else:
                ticket.state = TicketState.EXPIRED
                counts["expired"] += 1
            _save(ticket, ["state"])
            _event(ticket, ticket.state if ticket.state == TicketState.EXPIRED
                   else TicketEventKind.SERVED, centre_id=ticket.centre_id,
                   data={"closed_by": "day_end"}, at=now)
        for session in WindowSession.objects.filter(day__lt=day).exclude(
            status=WindowStatus.CLOSED
        ).select_for_update():
            end = dt.datetime.combine(session.day, dt.time(23, 59, 59),
                                      tzinfo=timezone.get_current_timezone())
            _close_pause(session, min(end, now))
            session.status = WindowStatus.CLOSED
            session.ended_at = min(end, now)
            session.save()
            _windows_changed(session.window_id)
            counts["sessions"] += 1
    return counts
