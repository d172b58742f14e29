"""评价器: the small tablet at each window where the applicant rates the visit just served.

``/hall/<centre>/tablet/<window>/?key=<kiosk key>`` — a device of the hall, so it carries the
centre's kiosk key like the ticket machines; possession of the tablet (and its key) stands in
for the ticket's token (docs/decisions/0011-evaluation.md, "who may rate").

What is offered for rating: the latest ticket served at this window, finished within the last
``ONEWINDOW_TABLET_RATE_MINUTES`` (default 10) minutes and not rated by any channel — and only
while the counter has not moved on: once a later ticket of this window has been called for
:data:`NEXT_VISIT_GRACE` seconds, the next applicant stands there and the offer is withdrawn
(the previous one can still rate by the ticket's QR code or the SMS invitation).

The page is server-rendered and works by reloading alone; ``tablet.js`` polls
``…/state.json`` every few seconds and reloads when what should be shown has changed. A bad
rating (不满意, 非常不满意) asks on a second screen for optional quick reasons and a comment.
The rating is recorded by :func:`~onewindow.evaluation.services.evaluation_submit` with channel
``tablet``; a ticket can be rated once, ever, whatever the channel (database constraint).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.core import clock
from onewindow.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from onewindow.evaluation import services
from onewindow.evaluation.models import BAD_LEVELS, EvalChannel, Evaluation, Level, ServiceKind
from onewindow.evaluation.throttle import throttle
from onewindow.hall import selectors as hall_selectors
from onewindow.hall import services as hall_services
from onewindow.hall.models import Ticket, TicketState
from onewindow.regions.models import ServiceCentre, Window

NEXT_VISIT_GRACE = 60  # seconds the next applicant may be at the counter before the offer ends
THANKS_SECONDS = 6  # the thank-you screen, then back to idle
REASONS_IDLE_SECONDS = 120  # an abandoned reasons screen goes back to idle
NOSCRIPT_RELOAD_SECONDS = 10  # without JavaScript the idle screen reloads itself

QUICK_REASONS = (
    "等候时间太长",
    "服务态度不好",
    "业务不熟练",
    "没有一次性告知",
    "办事效率低",
    "材料要求多",
)


def rate_minutes() -> int:
    """Minutes after the visit during which the tablet offers it for rating
    (``ONEWINDOW_TABLET_RATE_MINUTES``, default 10)."""
    return int(getattr(settings, "ONEWINDOW_TABLET_RATE_MINUTES", 10))


def poll_seconds() -> int:
    """How often the page asks whether a visit awaits rating
    (``ONEWINDOW_TABLET_POLL_SECONDS``, default 3)."""
    return max(1, int(getattr(settings, "ONEWINDOW_TABLET_POLL_SECONDS", 3)))


# --- reads ---------------------------------------------------------------------------------------


def _already_rated(ticket: Ticket) -> bool:
    return Evaluation.objects.filter(service_kind=ServiceKind.TICKET,
                                     service_ref=str(ticket.pk)).exists()


def offered_ticket(window: Window, *, now: dt.datetime | None = None) -> Ticket | None:
    """The visit this window's tablet offers for rating now, if any (see the module's doc)."""
    now = now or clock.now()
    since = now - dt.timedelta(minutes=rate_minutes())
    days = {timezone.localdate(since), timezone.localdate(now)}
    today = Ticket.objects.filter(centre_id=window.centre_id, day__in=days, window_id=window.pk)
    latest = (today.filter(state=TicketState.SERVED, finished_at__gte=since,
                           finished_at__lte=now)
              .order_by("-finished_at", "-id").first())
    if latest is None or latest.finished_at is None or _already_rated(latest):
        return None
    moved_on = today.filter(
        called_at__gt=latest.finished_at,
        called_at__lte=now - dt.timedelta(seconds=NEXT_VISIT_GRACE),
    ).exclude(pk=latest.pk).exists()
    return None if moved_on else latest


def _rate_target(centre: ServiceCentre, window: Window, ticket_id: Any) -> Ticket:
    """The ticket a posted rating is for, if this tablet may rate it now; else why not."""
    raw = str(ticket_id or "")
    ticket = Ticket.objects.filter(pk=int(raw), centre=centre).first() \
        if raw.isdigit() and len(raw) < 12 else None
    if ticket is None or ticket.window_id != window.pk:
        raise NotFound(_("没有找到本窗口可以评价的服务。"), code="not_found")
    if _already_rated(ticket):
        raise Conflict(
            _("您已经评价过这次服务了。每次服务只能评价一次（一次一评、一事一评）。"),
            code="already_rated",
        )
    if ticket.state != TicketState.SERVED:
        raise Conflict(_("本次服务尚未办结，办结后才能评价。"), code="service_unfinished")
    offered = offered_ticket(window)
    if offered is None or offered.pk != ticket.pk:
        raise Conflict(
            _("这次服务的评价器评价时间已过，您可以扫描排队小票上的二维码或通过短信邀请评价。"),
            code="tablet_expired",
        )
    return ticket


def _card(window: Window) -> dict[str, Any]:
    return hall_selectors.window_card(window, hall_services.current_session_of_window(window.pk))


def _tag(card: dict[str, Any], ticket: Ticket | None) -> str:
    """What the screen shows, in one string: the page reloads when it changes."""
    return "|".join([str(ticket.pk if ticket else 0), card["status"], card["staff_number"],
                     card["staff_name"]])


# --- pages ---------------------------------------------------------------------------------------


def _tablet(request: HttpRequest, centre_id: int, window_id: int) -> tuple[
        ServiceCentre, Window, str] | HttpResponse:
    """The centre (404), the key (403), then the window of that centre (404)."""
    centre = ServiceCentre.objects.select_related("region").filter(
        pk=centre_id, is_active=True).first()
    if centre is None:
        raise Http404(_("没有找到这个服务中心。"))
    key = str(request.GET.get("key", "") or request.POST.get("key", ""))[:100]
    if not hall_services.kiosk_key_valid(centre.pk, key):
        return render(request, "evaluation/tablet_denied.html", {"centre": centre}, status=403)
    window = Window.objects.select_related("centre", "department").filter(
        pk=window_id, centre=centre, is_active=True).first()
    if window is None:
        raise Http404(_("没有找到这个窗口。"))
    return centre, window, key


def _urls(request: HttpRequest, key: str) -> dict[str, str]:
    query = urlencode({"key": key})
    return {"idle_url": f"{request.path}?{query}",
            "state_url": f"{request.path}state.json?{query}"}


def _levels() -> list[dict[str, Any]]:
    return [{"value": v, "label": label, "bad": v in BAD_LEVELS} for v, label in Level.choices]


@require_http_methods(["GET", "POST"])
def tablet(request: HttpRequest, centre_id: int, window_id: int) -> HttpResponse:
    """评价器: idle (window and staff on duty), five faces when a visit awaits rating, the
    reasons of a bad rating, thank you."""
    found = _tablet(request, centre_id, window_id)
    if isinstance(found, HttpResponse):
        return found
    centre, window, key = found
    card = _card(window)
    ctx: dict[str, Any] = {
        "centre": centre, "window": window, "card": card, "key": key, "levels": _levels(),
        "reasons": QUICK_REASONS, "poll_ms": poll_seconds() * 1000,
        "thanks_seconds": THANKS_SECONDS, "reasons_idle_seconds": REASONS_IDLE_SECONDS,
        "noscript_reload": NOSCRIPT_RELOAD_SECONDS, **_urls(request, key),
    }
    if request.method == "POST":
        return _post(request, centre, window, key, ctx)
    if request.GET.get("thanks") == "1":
        ctx.update(mode="thanks", bad=request.GET.get("bad") == "1")
        return render(request, "evaluation/tablet.html", ctx)
    ticket = offered_ticket(window)
    ctx.update(mode="rate" if ticket else "idle", ticket=ticket, tag=_tag(card, ticket))
    return render(request, "evaluation/tablet.html", ctx)


def _post(request: HttpRequest, centre: ServiceCentre, window: Window, key: str,
          ctx: dict[str, Any]) -> HttpResponse:
    level = str(request.POST.get("level", ""))[:2]
    reasons = [r for r in request.POST.getlist("reason") if r in QUICK_REASONS]
    comment = str(request.POST.get("comment", ""))
    ticket: Ticket | None = None
    try:
        throttle(f"tablet:{window.pk}", 30, 60)
        ticket = _rate_target(centre, window, request.POST.get("ticket"))
        if level not in {str(v) for v in Level.values}:
            message = _("请选择评价等级（非常满意、满意、基本满意、不满意、非常不满意）。")
            raise ValidationFailed(message, field_errors={"level": [message]})
        if int(level) in BAD_LEVELS and request.POST.get("step") != "reasons":
            # 差评: ask why (optional) before recording.
            ctx.update(mode="reasons", ticket=ticket, level=int(level),
                       level_label=Level(int(level)).label, chosen=[], comment="")
            return render(request, "evaluation/tablet.html", ctx)
        text = "；".join(reasons)
        if comment.strip():
            text = f"{text}；{comment.strip()}" if text else comment.strip()
        service = services.rateable_ticket(token=ticket.token)
        evaluation = services.evaluation_submit(service=service, level=level,
                                                channel=EvalChannel.TABLET, comment=text)
    except DomainError as exc:
        reasons_step = (ticket is not None and exc.status == 422 and level.isdigit()
                        and int(level) in BAD_LEVELS)
        if reasons_step and ticket is not None:
            ctx.update(mode="reasons", ticket=ticket, level=int(level),
                       level_label=Level(int(level)).label, chosen=reasons, comment=comment,
                       error=exc.message, errors=exc.field_errors)
        else:
            ctx.update(mode="message", error=exc.message, code=exc.code)
        return render(request, "evaluation/tablet.html", ctx, status=exc.status)
    query = {"key": key, "thanks": "1"}
    if evaluation.is_bad:
        query["bad"] = "1"
    return redirect(f"{request.path}?{urlencode(query)}")


@require_GET
def tablet_state(request: HttpRequest, centre_id: int, window_id: int) -> JsonResponse:
    """What the tablet should show (polled by tablet.js): the window card and the visit
    awaiting rating. The same key check as the page; errors as problem JSON."""
    try:
        found = _tablet(request, centre_id, window_id)
    except Http404:
        return JsonResponse(NotFound(_("没有找到这个窗口。")).as_problem(), status=404)
    if isinstance(found, HttpResponse):
        return JsonResponse({"code": "forbidden", "message": _("评价器密钥不正确。")}, status=403)
    _centre, window, _key = found
    card = _card(window)
    ticket = offered_ticket(window)
    response = JsonResponse({
        "tag": _tag(card, ticket),
        "window": {k: card[k] for k in ("number", "name", "status", "status_label",
                                        "staff_name", "staff_number")},
        "pending": {"ticket": ticket.pk, "number": ticket.number} if ticket else None,
    })
    response["Cache-Control"] = "no-store"
    return response
