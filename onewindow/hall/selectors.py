"""Reads of the hall: a ticket's place and wait, what a window is doing, the display screen's
snapshot of a centre, and the figures for supervision."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.core import clock
from onewindow.core.errors import NotFound, PermissionDenied
from onewindow.core.masking import mask_name
from onewindow.hall.models import (
    HallNotice,
    PauseReason,
    Priority,
    ServiceCategory,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketState,
    WindowSession,
    WindowStatus,
)
from onewindow.hall.services import calling_order, settings_for, window_category_ids
from onewindow.regions.models import ServiceCentre, Window

RECENT_SERVED = 20  # served tickets that make the average service time of a category


# --- a ticket's place in the queue -----------------------------------------------------------


@dataclass(frozen=True)
class Place:
    ahead: int
    wait_minutes: int
    windows_open: int
    service_minutes: float


SERVICE_TIME_TTL = 60  # seconds an average service time is reused before it is read again


def average_service_minutes(category: ServiceCategory) -> float:
    """Mean service time of the category's last served tickets (default when none yet); kept
    in the cache for a minute, since every ticket taken asks for it."""
    key = f"hall:service-minutes:{category.pk}"
    cached = cache.get(key)
    if cached is not None:
        return float(cached)
    value = _average_service_minutes(category)
    cache.set(key, value, SERVICE_TIME_TTL)
    return value


def _average_service_minutes(category: ServiceCategory) -> float:
    rows = list(
        Ticket.objects.filter(
            category_id=category.pk, state=TicketState.SERVED,
            serving_at__isnull=False, finished_at__isnull=False,
        ).order_by("-finished_at").values_list("serving_at", "finished_at")[:RECENT_SERVED]
    )
    if not rows:
        return float(category.default_service_minutes)
    total = sum((b - a).total_seconds() for a, b in rows if a is not None and b is not None)
    return max(0.5, total / len(rows) / 60)


OPEN_WINDOWS_TTL = 10  # seconds; windows open and pause far less often than tickets come


def open_windows_for(category: ServiceCategory) -> int:
    """How many windows serving the category are open now (cached for a few seconds)."""
    key = f"hall:open-windows:{category.pk}"
    cached = cache.get(key)
    if cached is not None:
        return int(cached)
    n = WindowSession.objects.filter(window__categories=category, status=WindowStatus.OPEN).count()
    cache.set(key, n, OPEN_WINDOWS_TTL)
    return n


def ticket_place(ticket: Ticket) -> Place:
    """How many are ahead of ``ticket`` by the centre's calling rule, and the estimated wait:
    those ahead times the recent mean service time, shared by the windows open for it."""
    category = ticket.category
    minutes = average_service_minutes(category)
    windows = open_windows_for(category)
    if ticket.state not in (TicketState.WAITING, TicketState.RESERVED):
        return Place(0, 0, windows, minutes)
    rules = settings_for(ticket.centre_id)
    now = clock.now()
    waiting = Ticket.objects.filter(
        category_id=ticket.category_id, day=ticket.day, state=TicketState.WAITING
    )
    ahead_q = Q(queue_at__lt=ticket.queue_at) | Q(queue_at=ticket.queue_at, id__lt=ticket.pk)
    if rules.priority_first:
        if ticket.priority:
            ahead_q &= ~Q(priority="")
        else:
            ahead_q |= ~Q(priority="")
    if rules.appointments_first:
        due = now + dt.timedelta(minutes=rules.appointment_early_minutes)
        if ticket.appointment_at is None or ticket.appointment_at > due:
            ahead_q |= Q(appointment_at__lte=due)
    ahead = waiting.filter(ahead_q).exclude(pk=ticket.pk).count()
    wait = math.ceil(ahead * minutes / max(1, windows))
    return Place(ahead, wait, windows, minutes)


def next_in_line(window: Window, limit: int = 5) -> list[Ticket]:
    """The next tickets a window would call, in order (for the clerk's panel)."""
    categories = window_category_ids(window.pk)
    rules = settings_for(window.centre_id)
    return list(
        Ticket.objects.filter(
            category_id__in=categories, day=clock.today(), state=TicketState.WAITING
        ).select_related("category").order_by(*calling_order(rules, clock.now()))[:limit]
    )


def window_current(window_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_related("category")
        .filter(window_id=window_id, state__in=(TicketState.CALLED, TicketState.SERVING))
        .order_by("-called_at").first()
    )


def waiting_counts(centre_id: int, day: dt.date | None = None) -> dict[int, int]:
    rows = (
        Ticket.objects.filter(centre_id=centre_id, day=day or clock.today(),
                              state=TicketState.WAITING)
        .values("category_id").annotate(n=Count("id"))
    )
    return {r["category_id"]: r["n"] for r in rows}


def cases_started_by(user: Any, *, since: dt.datetime, until: dt.datetime) -> list[str]:
    """Case numbers the clerk submitted or accepted at the window between two moments (the
    cases of one visit)."""
    from onewindow.cases.models import CaseEvent

    return list(
        CaseEvent.objects.filter(
            actor=user, created_at__gte=since, created_at__lte=until,
            action__in=("create", "submit", "accept", "accept_tolerant", "decide_on_spot"),
        ).order_by("case_id").values_list("case__case_no", flat=True).distinct()
    )


# --- the display screen's snapshot -----------------------------------------------------------

CALLING_SHOWN = 8


def last_event_id(centre_id: int) -> int:
    found = (
        TicketEvent.objects.filter(centre_id=centre_id).order_by("-id")
        .values_list("id", flat=True).first()
    )
    return int(found or 0)


def display_snapshot(centre: ServiceCentre) -> dict[str, Any]:
    """Everything a hall screen shows, as plain data (also the JSON of the polling fallback):
    the tickets being called (latest first, with their call events for announcements),
    waiting counts per category, the windows with who is on duty, the centre's notices."""
    today = clock.today()
    version = last_event_id(centre.pk)
    calling = list(
        Ticket.objects.filter(
            centre_id=centre.pk, day=today,
            state__in=(TicketState.CALLED, TicketState.SERVING),
        ).select_related("window", "category").order_by("-called_at")[:CALLING_SHOWN]
    )
    calls = list(
        TicketEvent.objects.filter(
            centre_id=centre.pk, kind__in=(TicketEventKind.CALLED, TicketEventKind.RECALLED),
            at__date=today,
        ).order_by("-id").values("id", "data", "at")[:CALLING_SHOWN]
    )
    counts = waiting_counts(centre.pk, today)
    categories = [
        {"letter": c.letter, "name": c.name, "waiting": counts.get(c.pk, 0)}
        for c in ServiceCategory.objects.filter(centre_id=centre.pk, is_active=True)
    ]
    sessions = {
        s.window_id: s
        for s in WindowSession.objects.filter(window__centre_id=centre.pk)
        .exclude(status=WindowStatus.CLOSED).select_related("user__staff_profile")
    }
    windows = []
    for w in Window.objects.filter(centre_id=centre.pk, is_active=True).order_by("number"):
        s = sessions.get(w.pk)
        windows.append(window_card(w, s))
    notices = [
        n.text for n in HallNotice.objects.filter(centre_id=centre.pk, is_active=True)
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)).order_by("-id")[:5]
    ]
    return {
        "centre": {"id": centre.pk, "name": centre.name},
        "version": version,
        "calling": [
            {"number": t.number, "window": t.window.number if t.window else "",
             "window_name": t.window.name if t.window else "", "state": t.state,
             "category": t.category.name}
            for t in calling
        ],
        "calls": [
            {"id": c["id"], "number": c["data"].get("number", ""),
             "window": c["data"].get("window", ""), "at": c["at"].isoformat()}
            for c in calls
        ],
        "categories": categories,
        "windows": windows,
        "notices": notices,
    }


def window_card(window: Window, session: WindowSession | None) -> dict[str, Any]:
    """The public card of a window (挂牌上岗): who is on duty, or where they are."""
    card: dict[str, Any] = {
        "number": window.number, "name": window.name, "status": "closed",
        "status_label": "暂停服务", "staff_name": "", "staff_number": "", "whereabouts": "",
        "back_at": "",
    }
    if session is None:
        card["status_label"] = "无人值守"
        return card
    staff = getattr(session.user, "staff_profile", None)
    card["staff_name"] = session.user.display_name or mask_name(session.user.get_username())
    card["staff_number"] = staff.staff_number if staff else ""
    card["status"] = session.status
    if session.status == WindowStatus.PAUSED:
        card["status_label"] = str(PauseReason(session.pause_reason).label) \
            if session.pause_reason else "暂停服务"
        card["whereabouts"] = session.whereabouts
        card["back_at"] = session.back_at.strftime("%H:%M") if session.back_at else ""
    else:
        card["status_label"] = "服务中"
    return card


# --- figures for supervision -------------------------------------------------------------------


def _minutes(td: dt.timedelta | None) -> float | None:
    return None if td is None else round(td.total_seconds() / 60, 1)


def queue_figures(
    *, centre_ids: list[int], start: dt.date, end: dt.date, by: str = "category"
) -> list[dict[str, Any]]:
    """Waiting and service time, abandoned-ticket rate per category, window or hour.

    Waiting = called − joined the queue; service = finished − service started; abandoned
    (弃号) = no-show + void (never called or never checked in) over all tickets taken."""
    base = Ticket.objects.filter(centre_id__in=centre_ids, day__gte=start, day__lte=end)
    wait = ExpressionWrapper(F("called_at") - F("queue_at"), output_field=DurationField())
    service = ExpressionWrapper(F("finished_at") - F("serving_at"), output_field=DurationField())
    keys = {
        "category": ["category__letter", "category__name"],
        "window": ["window__centre__name", "window__number"],
        "day": ["day"],
    }[by]
    rows = (
        base.values(*keys)
        .annotate(
            taken=Count("id"),
            served=Count("id", filter=Q(state=TicketState.SERVED)),
            abandoned=Count("id", filter=Q(state__in=(TicketState.NO_SHOW,
                                                       TicketState.EXPIRED))),
            avg_wait=Avg(wait, filter=Q(called_at__isnull=False)),
            avg_service=Avg(service, filter=Q(state=TicketState.SERVED,
                                              serving_at__isnull=False,
                                              finished_at__isnull=False)),
            priority=Count("id", filter=~Q(priority=Priority.NONE)),
        ).order_by(*keys)
    )
    out = []
    for r in rows:
        taken = r["taken"] or 0
        out.append({
            "key": " ".join(str(r[k]) for k in keys if r[k] is not None) or "—",
            "taken": taken, "served": r["served"], "abandoned": r["abandoned"],
            "abandon_rate": round(r["abandoned"] / taken, 4) if taken else 0.0,
            "avg_wait_minutes": _minutes(r["avg_wait"]),
            "avg_service_minutes": _minutes(r["avg_service"]),
            "priority": r["priority"],
        })
    return out


def hourly_figures(*, centre_ids: list[int], start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Tickets taken and mean wait per hour of the day (when the hall is busiest)."""
    buckets: dict[int, list[float]] = {}
    taken: dict[int, int] = {}
    tz = timezone.get_current_timezone()
    for queue_at, called_at in Ticket.objects.filter(
        centre_id__in=centre_ids, day__gte=start, day__lte=end
    ).values_list("queue_at", "called_at").iterator(chunk_size=2000):
        hour = queue_at.astimezone(tz).hour
        taken[hour] = taken.get(hour, 0) + 1
        if called_at is not None:
            buckets.setdefault(hour, []).append((called_at - queue_at).total_seconds() / 60)
    return [
        {"hour": h, "taken": taken[h],
         "avg_wait_minutes": round(sum(buckets.get(h, [0])) / max(1, len(buckets.get(h, []))), 1)}
        for h in sorted(taken)
    ]


def presence_figures(
    *, centre_ids: list[int], start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """Hours on duty per window and member of staff (for window assessment)."""
    out: dict[tuple[str, str, str], float] = {}
    now = clock.now()
    for s in WindowSession.objects.filter(
        window__centre_id__in=centre_ids, day__gte=start, day__lte=end
    ).select_related("window__centre", "user"):
        end_at = s.ended_at or now
        hours = max(0.0, (end_at - s.started_at).total_seconds() - s.paused_seconds) / 3600
        key = (s.window.centre.name, s.window.number, s.user.display_name or s.user.username)
        out[key] = out.get(key, 0.0) + hours
    return [
        {"centre": c, "window": w, "staff": u, "hours": round(h, 2)}
        for (c, w, u), h in sorted(out.items())
    ]


# --- look-ups ------------------------------------------------------------------------------------


def ticket_by_token(token: str) -> Ticket | None:
    if not token or len(token) > 24:
        return None
    return (
        Ticket.objects.select_related("centre__region", "category", "window")
        .filter(token=token).first()
    )


def tickets_of_user(user: Any) -> list[Ticket]:
    return list(
        Ticket.objects.select_related("centre", "category", "window")
        .filter(user=user, day=clock.today()).order_by("-taken_at")
    )


def figure_centre_ids(user: Any, centre_id: int | None = None) -> list[int]:
    """Centres whose figures ``user`` may read (supervisors and the management office of a
    region see every centre beneath it); one centre when asked and in scope."""
    q = access.scope_q(user, Perm.SUPERVISE, department_field=None) | access.scope_q(
        user, Perm.HALL_MANAGE, department_field=None
    )
    if not (access.has_any(user, Perm.SUPERVISE) or access.has_any(user, Perm.HALL_MANAGE)):
        raise PermissionDenied(_("您没有查看大厅统计的权限。"))
    qs = ServiceCentre.objects.filter(q)
    if centre_id is not None:
        qs = qs.filter(pk=centre_id)
        ids = list(qs.values_list("id", flat=True))
        if not ids:
            raise NotFound(_("没有找到这个服务中心。"), code="centre_not_found")
        return ids
    return list(qs.values_list("id", flat=True))


def appointment_figures(*, centre_ids: list[int], start: dt.date, end: dt.date) -> dict[str, Any]:
    """Bookings of the period by outcome, and the no-show rate (爽约率) over the bookings whose
    time has passed (checked in + no-show)."""
    from onewindow.hall.models import Appointment, AppointmentState

    rows = dict(
        Appointment.objects.filter(
            slot__category__centre_id__in=centre_ids, slot__day__gte=start, slot__day__lte=end
        ).values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    checked = rows.get(AppointmentState.CHECKED_IN, 0)
    missed = rows.get(AppointmentState.NO_SHOW, 0)
    return {
        "booked": sum(rows.values()), "checked_in": checked, "no_show": missed,
        "cancelled": rows.get(AppointmentState.CANCELLED, 0),
        "no_show_rate": round(missed / (checked + missed), 4) if checked + missed else 0.0,
    }
