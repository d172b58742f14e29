"""Writes of 好差评 and 投诉: plain functions, keyword-only, one transaction each.

Who may rate a service is decided by the resolvers (``rateable_*``), which return a
:class:`Service` only to someone entitled to rate it: the case's applicant (signed in), the
holder of a ticket's token (the QR code on the ticket page), the holder of an invitation's link
token, or the phone an invitation was sent to (SMS reply). :func:`evaluation_submit` then
applies the rules (finished service, 一次一评 by a database constraint) and opens the follow-up
of a bad review.

Work orders: a resolver for ``ServiceKind.WORK_ORDER`` plus a scan in
:func:`invitations_send_recent` is all it takes (see :data:`RESOLVERS`).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import ROLE_PERMISSIONS, Perm
from onewindow.accounts.models import RoleAssignment, StaffMember
from onewindow.cases import files as case_files
from onewindow.cases.models import Case
from onewindow.cases.workflow import CaseState
from onewindow.core import clock
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.core.masking import mask_phone, mask_text
from onewindow.evaluation.models import (
    BAD_LEVELS,
    Appeal,
    AppealState,
    Complaint,
    ComplaintChannel,
    ComplaintFile,
    EvalChannel,
    Evaluation,
    FollowUp,
    FollowUpOutcome,
    Invitation,
    InvitationPurpose,
    Level,
    Responsible,
    ServiceKind,
    TargetKind,
)
from onewindow.evaluation.sms import normalise_phone, parse_reply
from onewindow.evaluation.workflow import (
    ComplaintAction,
    FollowUpAction,
    FollowUpState,
    complaint_next,
    follow_up_next,
)
from onewindow.hall.models import Ticket, TicketState
from onewindow.notifications.models import Channel as NoteChannel
from onewindow.notifications.services import Message, notifications_enqueue
from onewindow.regions.models import Department, Region, Window
from onewindow.workdays.selectors import add_workdays

logger = logging.getLogger(__name__)

MAX_COMMENT = 500
MAX_TEXT = 2000
MAX_FILES = 5


# --- settings (documented in docs/decisions/0011-evaluation.md) ----------------------------------


def follow_up_days() -> int:
    """Working days to answer a bad review (``ONEWINDOW_FOLLOW_UP_DAYS``, default 5)."""
    return int(getattr(settings, "ONEWINDOW_FOLLOW_UP_DAYS", 5))


def complaint_days() -> int:
    """Working days to answer a complaint (``ONEWINDOW_COMPLAINT_ANSWER_DAYS``, default 5)."""
    return int(getattr(settings, "ONEWINDOW_COMPLAINT_ANSWER_DAYS", 5))


def invite_lookback_days() -> int:
    """Services finished this many days ago or less get an invitation (default 7)."""
    return int(getattr(settings, "ONEWINDOW_EVALUATION_INVITE_DAYS", 7))


def invite_valid_days() -> int:
    """An invitation (reply code and link) is valid this many days (default 15)."""
    return int(getattr(settings, "ONEWINDOW_EVALUATION_INVITE_VALID_DAYS", 15))


def site_url() -> str:
    return str(getattr(settings, "ONEWINDOW_SITE_URL", "")).rstrip("/")


# --- helpers -------------------------------------------------------------------------------------


def _field(field: str, message: str, code: str = "validation_failed") -> ValidationFailed:
    return ValidationFailed(message, code=code, field_errors={field: [message]})


def _text(value: Any, field: str, *, required: bool, limit: int) -> str:
    text = str(value or "").replace("\x00", "").strip()
    if required and not text:
        raise _field(field, _("请填写此项。"))
    if len(text) > limit:
        raise _field(field, _("内容不能超过 %(n)d 个字。") % {"n": limit})
    return text


def _level(value: Any, field: str = "level") -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = 0
    if level not in Level.values:
        raise _field(field, _("请选择评价等级（非常满意、满意、基本满意、不满意、非常不满意）。"))
    return level


def _channel(value: Any) -> str:
    if value not in EvalChannel.values:
        raise _field("channel", _("评价渠道不正确。"))
    return str(value)


def _mobile(value: Any, field: str = "mobile", *, required: bool = True) -> str:
    phone = normalise_phone(str(value or ""))
    if not phone and not required:
        return ""
    if len(phone) != 11 or not phone.startswith("1") or phone[1] not in "3456789":
        raise _field(field, _("请输入 11 位手机号码。"))
    return phone


def _due(days: int) -> tuple[dt.date, bool]:
    due = add_workdays(clock.today(), days)
    return due.date, due.provisional


def _staff_of(actor: Any) -> StaffMember | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return StaffMember.objects.filter(user_id=actor.pk).first()


def _users_with(perm: Perm, *, region: Region, department: Department | None) -> list[int]:
    """Ids of active users holding ``perm`` over ``region`` (and ``department``)."""
    roles = [r.value for r, perms in ROLE_PERMISSIONS.items() if perm in perms]
    prefixes = [region.prefix[:n] for n in range(1, len(region.prefix) + 1)]
    q = RoleAssignment.objects.filter(
        role__in=roles, is_active=True, user__is_active=True, region__prefix__in=prefixes
    )
    if department is not None:
        q = q.filter(Q(department__isnull=True) | Q(department=department))
    else:
        q = q.filter(department__isnull=True)
    return sorted(set(q.values_list("user_id", flat=True)))


def _in_app(user_ids: Sequence[int], *, subject: str, body: str, link: str, key: str) -> None:
    notifications_enqueue(messages=[
        Message(channel=NoteChannel.IN_APP, user_id=uid, subject=subject, body=body, link=link,
                dedupe_key=f"{key}:app:{uid}")
        for uid in user_ids
    ])


# --- the service being rated ---------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    """A rateable service and who handled it (captured into the evaluation)."""

    kind: str
    ref: str
    label: str
    region: Region
    department: Department | None
    window: Window | None
    staff_id: int | None
    finished: bool
    unfinished_message: str
    phone: str
    user_id: int | None
    case: Case | None = None
    ticket: Ticket | None = None


def _case_service(case: Case) -> Service:
    return Service(
        kind=ServiceKind.CASE, ref=case.case_no,
        label=_("办件 %(no)s %(item)s") % {"no": case.case_no, "item": case.item.basic.name},
        region=case.region, department=case.department, window=None,
        staff_id=case.accepted_by_id, finished=case.state == CaseState.COMPLETED,
        unfinished_message=_("办件尚未办结，办结后才能评价。"),
        phone=case.applicant.mobile, user_id=case.applicant.user_id, case=case,
    )


def _ticket_service(ticket: Ticket) -> Service:
    window = ticket.window
    return Service(
        kind=ServiceKind.TICKET, ref=str(ticket.pk),
        label=_("%(day)s %(centre)s %(no)s 号") % {
            "day": ticket.day.isoformat(), "centre": ticket.centre.name, "no": ticket.number},
        region=ticket.centre.region, department=window.department if window else None,
        window=window, staff_id=ticket.clerk_id, finished=ticket.state == TicketState.SERVED,
        unfinished_message=_("本次服务尚未办结，办结后才能评价。"),
        phone=ticket.holder_mobile, user_id=ticket.user_id, ticket=ticket,
    )


_CASE_RELATED = ("item__basic", "region", "department", "applicant")
_TICKET_RELATED = ("centre__region", "window__department")


def _case_by_no(case_no: str) -> Case | None:
    return Case.objects.select_related(*_CASE_RELATED).filter(case_no=str(case_no)[:32]).first()


def _ticket_by_pk(ref: str) -> Ticket | None:
    if not str(ref).isdigit():
        return None
    return Ticket.objects.select_related(*_TICKET_RELATED).filter(pk=int(ref)).first()


# Kind -> how to build the Service from its reference (used by invitations and SMS replies).
RESOLVERS: dict[str, Callable[[str], Service | None]] = {
    ServiceKind.CASE: lambda ref: (lambda c: _case_service(c) if c else None)(_case_by_no(ref)),
    ServiceKind.TICKET: lambda ref: (lambda t: _ticket_service(t) if t else None)(
        _ticket_by_pk(ref)),
}


def register_service_kind(kind: str, resolver: Callable[[str], Service | None]) -> None:
    """The hook for another kind of service (12345 work orders): ``resolver(ref)``."""
    RESOLVERS[kind] = resolver


def _service_not_found() -> NotFound:
    return NotFound(_("没有找到可以评价的服务，请核对链接或办件编号。"))


def rateable_case(*, actor: Any, case_no: str) -> Service:
    """A case the signed-in ``actor`` applied for (else the same 404 as an unknown number)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请先登录后再评价。"), code="unauthenticated")
    case = _case_by_no(case_no)
    if case is None or not (
        case.applicant.user_id == actor.pk
        or (case.channel == "online" and case.created_by_id == actor.pk)
    ):
        raise _service_not_found()
    return _case_service(case)


def rateable_ticket(*, token: str) -> Service:
    """The window visit of a ticket, by its public token (the QR on the ticket page)."""
    token = str(token or "")
    ticket = None
    if 0 < len(token) <= 24:
        ticket = Ticket.objects.select_related(*_TICKET_RELATED).filter(token=token).first()
    if ticket is None:
        raise _service_not_found()
    return _ticket_service(ticket)


def invitation_by_token(token: str) -> Invitation:
    token = str(token or "")
    inv = Invitation.objects.filter(token=token).first() if 0 < len(token) <= 32 else None
    if inv is None:
        raise _service_not_found()
    return inv


def rateable_invitation(*, token: str) -> tuple[Service, Invitation]:
    """The service of an invitation link (SMS / in-app)."""
    inv = invitation_by_token(token)
    if inv.expires_at < clock.now():
        raise Conflict(_("评价链接已过期。"), code="invitation_expired")
    resolver = RESOLVERS.get(inv.service_kind)
    service = resolver(inv.service_ref) if resolver else None
    if service is None:
        raise _service_not_found()
    return service, inv


# --- rating --------------------------------------------------------------------------------------


def evaluation_submit(
    *,
    service: Service,
    level: Any,
    channel: str,
    comment: str = "",
    rater: Any = None,
    rater_phone: str = "",
) -> Evaluation:
    """评价: one rating of one finished service; a bad review opens its follow-up."""
    level = _level(level)
    channel = _channel(channel)
    comment = mask_text(_text(comment, "comment", required=False, limit=MAX_COMMENT))
    if not service.finished:
        raise Conflict(service.unfinished_message, code="service_unfinished")
    rater_id = rater.pk if rater is not None and getattr(rater, "is_authenticated", False) else None
    phone = rater_phone or service.phone
    now = clock.now()
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                service_kind=service.kind, service_ref=service.ref,
                service_label=service.label[:200], case=service.case, ticket=service.ticket,
                region=service.region, department=service.department, window=service.window,
                staff_id=service.staff_id, level=level, comment=comment, channel=channel,
                rater_id=rater_id or service.user_id, rater_phone=phone[:11],
                real_name=bool(rater_id or service.user_id or phone), created_at=now,
            )
            Invitation.objects.filter(
                service_kind=service.kind, service_ref=service.ref,
                purpose=InvitationPurpose.FIRST, used_at__isnull=True,
            ).update(used_at=now)
            if level in BAD_LEVELS:
                _open_follow_up(evaluation, now)
    except IntegrityError as exc:
        if Evaluation.objects.filter(service_kind=service.kind, service_ref=service.ref).exists():
            raise Conflict(
                _("您已经评价过这次服务了。每次服务只能评价一次（一次一评、一事一评）。"),
                code="already_rated",
            ) from exc
        raise
    logger.info("evaluation %s of %s:%s level %s", evaluation.pk, service.kind, service.ref, level)
    return evaluation


def _open_follow_up(evaluation: Evaluation, now: dt.datetime) -> FollowUp:
    """差评: whoever handled the service answers — the department that decided the case or
    staffs the window; a general window's visit goes to its centre's management."""
    due, provisional = _due(follow_up_days())
    department = evaluation.department
    fu = FollowUp.objects.create(
        evaluation=evaluation, state=FollowUpState.OPEN,
        responsible=Responsible.DEPARTMENT if department else Responsible.CENTRE,
        region=evaluation.region, department=department, opened_at=now, due=due,
        due_provisional=provisional,
    )
    perm = Perm.CASE_REVIEW if department else Perm.HALL_MANAGE
    handlers = _users_with(perm, region=evaluation.region, department=department)
    _in_app(
        handlers, subject=_("收到差评，请在 %(d)s 前核实整改") % {"d": due.isoformat()},
        body=_("%(s)s 收到“%(l)s”评价，请核实回访并答复。") % {
            "s": evaluation.service_label, "l": evaluation.get_level_display()},
        link=f"/workbench/evaluation/follow-ups/{fu.pk}/", key=f"eval:fu:{fu.pk}",
    )
    return fu


def evaluation_rerate(
    *, service: Service, level: Any, channel: str, comment: str = ""
) -> Evaluation:
    """整改后再评价: the applicant's second rating, once the follow-up has been answered."""
    level = _level(level)
    channel = _channel(channel)
    comment = mask_text(_text(comment, "comment", required=False, limit=MAX_COMMENT))
    with transaction.atomic():
        evaluation = (
            Evaluation.objects.select_for_update()
            .filter(service_kind=service.kind, service_ref=service.ref).first()
        )
        fu = FollowUp.objects.select_for_update().filter(evaluation=evaluation).first() \
            if evaluation else None
        if evaluation is None or fu is None:
            raise Conflict(_("这次服务没有需要再评价的差评。"), code="no_follow_up")
        if evaluation.second_level is not None:
            raise Conflict(_("您已经再评价过了。"), code="already_rerated")
        fu.state = follow_up_next(fu.state, FollowUpAction.RERATE)
        now = clock.now()
        evaluation.second_level, evaluation.second_comment = level, comment
        evaluation.second_channel, evaluation.second_at = channel, now
        evaluation.save(update_fields=["second_level", "second_comment", "second_channel",
                                       "second_at"])
        fu.closed_at, fu.closed_reason = now, "second_rating"
        fu.save(update_fields=["state", "closed_at", "closed_reason"])
        Invitation.objects.filter(
            service_kind=service.kind, service_ref=service.ref,
            purpose=InvitationPurpose.SECOND, used_at__isnull=True,
        ).update(used_at=now)
    return evaluation


def rate_or_rerate(*, service: Service, level: Any, channel: str, comment: str = "",
                   rater: Any = None, purpose: str = InvitationPurpose.FIRST) -> Evaluation:
    """The rate page's one entry: first rating, or the second one after a follow-up answer."""
    if purpose == InvitationPurpose.SECOND or _awaiting_second(service):
        return evaluation_rerate(service=service, level=level, channel=channel, comment=comment)
    return evaluation_submit(service=service, level=level, channel=channel, comment=comment,
                             rater=rater)


def _awaiting_second(service: Service) -> bool:
    return FollowUp.objects.filter(
        evaluation__service_kind=service.kind, evaluation__service_ref=service.ref,
        state=FollowUpState.ANSWERED,
    ).exists()


@dataclass(frozen=True, slots=True)
class SmsReplyResult:
    ok: bool
    code: str
    evaluation: Evaluation | None = None


def evaluation_from_sms(*, phone: str, text: str) -> SmsReplyResult:
    """短信评价: a reply "1"…"5" (optionally with the invitation's code and a comment) from the
    phone an invitation went to. Junk and unknown phones change nothing; a reply that could
    not be understood gets one help SMS per invitation."""
    phone = normalise_phone(phone)
    if len(phone) != 11:
        return SmsReplyResult(False, "bad_phone")
    now = clock.now()
    open_invites = Invitation.objects.filter(phone=phone, used_at__isnull=True,
                                             expires_at__gte=now).order_by("-sent_at", "-id")
    parsed = parse_reply(text)
    if parsed is None:
        inv = open_invites.first()
        if inv is not None:
            notifications_enqueue(messages=[Message(
                channel=NoteChannel.SMS, phone=phone, dedupe_key=f"eval:help:{inv.pk}",
                body=_("【一窗通】未能识别您的评价。请回复数字：1非常满意 2满意 3基本满意 "
                       "4不满意 5非常不满意，可在数字后附上意见。"),
            )])
        return SmsReplyResult(False, "unparsed")
    if parsed.code:
        open_invites = open_invites.filter(code=parsed.code)
    inv = open_invites.first()
    if inv is None:
        return SmsReplyResult(False, "no_invitation")
    resolver = RESOLVERS.get(inv.service_kind)
    service = resolver(inv.service_ref) if resolver else None
    if service is None:
        return SmsReplyResult(False, "no_service")
    try:
        if inv.purpose == InvitationPurpose.SECOND:
            evaluation = evaluation_rerate(service=service, level=parsed.level,
                                           channel=EvalChannel.SMS, comment=parsed.comment)
        else:
            evaluation = evaluation_submit(service=service, level=parsed.level,
                                           channel=EvalChannel.SMS, comment=parsed.comment,
                                           rater_phone=phone)
    except Conflict as exc:
        Invitation.objects.filter(pk=inv.pk, used_at__isnull=True).update(used_at=now)
        return SmsReplyResult(False, exc.code)
    notifications_enqueue(messages=[Message(
        channel=NoteChannel.SMS, phone=phone, dedupe_key=f"eval:thanks:{inv.pk}",
        body=_("【一窗通】已收到您的评价（%(l)s），感谢您的监督。") % {
            "l": Level(parsed.level).label},
    )])
    logger.info("sms evaluation from %s: %s", mask_phone(phone), parsed.level)
    return SmsReplyResult(True, "rated", evaluation)


# --- invitations (periodic, idempotent) ---------------------------------------------------------


def _invite_body(service: Service, inv: Invitation, *, second: bool) -> str:
    link = f"{site_url()}/evaluate/i/{inv.token}/"
    if second:
        head = _("【一窗通】您对%(s)s的差评已整改答复，欢迎再次评价。") % {"s": service.label}
    else:
        head = _("【一窗通】您的%(s)s已办结，请对本次服务评价。") % {"s": service.label}
    return head + _("回复数字：1非常满意 2满意 3基本满意 4不满意 5非常不满意（评价码 %(c)s），"
                    "或打开 %(u)s") % {"c": inv.code, "u": link}


def _invite(service: Service, *, purpose: str, now: dt.datetime) -> Invitation | None:
    """Write one invitation and its messages; an existing one is left alone (idempotent)."""
    if not service.phone and not service.user_id:
        return None
    inv, created = Invitation.objects.get_or_create(
        service_kind=service.kind, service_ref=service.ref, purpose=purpose,
        defaults={
            "phone": service.phone[:11], "user_id": service.user_id,
            "code": f"{secrets.randbelow(10_000):04d}", "sent_at": now,
            "expires_at": now + dt.timedelta(days=invite_valid_days()),
        },
    )
    if not created:
        return None
    second = purpose == InvitationPurpose.SECOND
    body = _invite_body(service, inv, second=second)
    messages = []
    if service.phone:
        messages.append(Message(channel=NoteChannel.SMS, phone=service.phone, body=body,
                                dedupe_key=f"eval:inv:{inv.pk}:sms"))
    if service.user_id:
        messages.append(Message(
            channel=NoteChannel.IN_APP, user_id=service.user_id, body=body,
            subject=_("请对再次整改的服务评价") if second else _("请对本次服务评价"),
            link=f"/evaluate/i/{inv.token}/", dedupe_key=f"eval:inv:{inv.pk}:app",
        ))
    notifications_enqueue(messages=messages)
    return inv


def invitations_send_recent(*, batch: int = 500) -> int:
    """邀请评价: cases completed and tickets served in the last days, not yet invited nor
    rated, get an SMS + in-app invitation. Running it again writes nothing more."""
    now = clock.now()
    since = now - dt.timedelta(days=invite_lookback_days())
    invited = Invitation.objects.filter(purpose=InvitationPurpose.FIRST)
    rated = Evaluation.objects.all()
    cases = (
        Case.objects.select_related(*_CASE_RELATED)
        .filter(state=CaseState.COMPLETED, completed_at__gte=since)
        .annotate(
            invited=Exists(invited.filter(service_kind=ServiceKind.CASE,
                                          service_ref=OuterRef("case_no"))),
            rated=Exists(rated.filter(service_kind=ServiceKind.CASE,
                                      service_ref=OuterRef("case_no"))),
        )
        .filter(invited=False, rated=False).order_by("completed_at")[:batch]
    )
    sent = 0
    for case in cases:
        with transaction.atomic():
            inv = _invite(_case_service(case), purpose=InvitationPurpose.FIRST, now=now)
            sent += inv is not None
    tickets = _tickets_to_invite(since, batch)
    for ticket in tickets:
        with transaction.atomic():
            inv = _invite(_ticket_service(ticket), purpose=InvitationPurpose.FIRST, now=now)
            sent += inv is not None
    return sent


def _tickets_to_invite(since: dt.datetime, batch: int) -> list[Ticket]:
    # service_ref holds the ticket's id as text: compare in Python over the recent window only.
    candidates = list(
        Ticket.objects.select_related(*_TICKET_RELATED)
        .filter(state=TicketState.SERVED, finished_at__gte=since)
        .filter(Q(user__isnull=False) | ~Q(holder_mobile=""))
        .order_by("finished_at")[: batch * 4]
    )
    refs = [str(t.pk) for t in candidates]
    done = set(Invitation.objects.filter(
        service_kind=ServiceKind.TICKET, purpose=InvitationPurpose.FIRST, service_ref__in=refs,
    ).values_list("service_ref", flat=True)) | set(Evaluation.objects.filter(
        service_kind=ServiceKind.TICKET, service_ref__in=refs,
    ).values_list("service_ref", flat=True))
    return [t for t in candidates if str(t.pk) not in done][:batch]


# --- follow-ups ----------------------------------------------------------------------------------


def may_handle_follow_up(user: Any, fu: FollowUp) -> bool:
    """The responsible unit: the department's case handlers (审核、首席代表、部门负责人), or the
    centre's management (大厅管理) for a general window."""
    if fu.department_id:
        return access.can(user, Perm.CASE_REVIEW, region=fu.region, department=fu.department)
    return access.can(user, Perm.HALL_MANAGE, region=fu.region)


def _lock_follow_up(fu: FollowUp, actor: Any) -> FollowUp:
    locked = (FollowUp.objects.select_for_update(of=("self",))
              .select_related("region", "department").filter(pk=fu.pk).first())
    if locked is None or not may_handle_follow_up(actor, locked):
        raise NotFound(_("没有找到这条差评整改。"))
    return locked


def follow_up_call_back(*, actor: Any, follow_up: FollowUp, verification: str,
                        callback_note: str) -> FollowUp:
    """核实回访: what was found and what the applicant said on the phone."""
    verification = _text(verification, "verification", required=True, limit=MAX_TEXT)
    callback_note = _text(callback_note, "callback_note", required=True, limit=MAX_TEXT)
    with transaction.atomic():
        fu = _lock_follow_up(follow_up, actor)
        fu.state = follow_up_next(fu.state, FollowUpAction.CALL_BACK)
        fu.verification, fu.callback_note = verification, callback_note
        fu.called_at, fu.called_by = clock.now(), actor
        fu.save(update_fields=["state", "verification", "callback_note", "called_at",
                               "called_by"])
    return fu


def follow_up_respond(*, actor: Any, follow_up: FollowUp, outcome: str, response: str,
                      rectify_by: dt.date | None = None) -> FollowUp:
    """整改答复: rectified, a dated rectification plan, or an explanation (no legal ground).
    The answer is published with the review; the applicant is invited to rate again."""
    if outcome not in FollowUpOutcome.values:
        raise _field("outcome", _("请选择整改结果。"))
    response = _text(response, "response", required=True, limit=MAX_TEXT)
    if outcome == FollowUpOutcome.PLAN:
        if rectify_by is None:
            raise _field("rectify_by", _("制定整改计划须填写整改完成日期。"))
        if rectify_by < clock.today():
            raise _field("rectify_by", _("整改完成日期不能早于今天。"))
    with transaction.atomic():
        fu = _lock_follow_up(follow_up, actor)
        if not fu.verification:
            raise _field("verification", _("请先登记核实情况和回访记录。"), code="not_called")
        fu.state = follow_up_next(fu.state, FollowUpAction.RESPOND)
        now = clock.now()
        fu.outcome, fu.response = outcome, mask_text(response)
        fu.rectify_by = rectify_by if outcome == FollowUpOutcome.PLAN else None
        fu.answered_at, fu.answered_by = now, actor
        fu.on_time = clock.today() <= fu.due
        fu.save(update_fields=["state", "outcome", "response", "rectify_by", "answered_at",
                               "answered_by", "on_time"])
        evaluation = Evaluation.objects.get(pk=fu.evaluation_id)
        resolver = RESOLVERS.get(evaluation.service_kind)
        service = resolver(evaluation.service_ref) if resolver else None
        if service is not None:
            _invite(service, purpose=InvitationPurpose.SECOND, now=now)
    return fu


# --- appeals (申诉复核) -------------------------------------------------------------------------


def appeal_file(*, actor: Any, evaluation: Evaluation, reason: str) -> Appeal:
    """The responsible department appeals a bad review it holds to be mistaken or malicious."""
    reason = _text(reason, "reason", required=True, limit=MAX_TEXT)
    with transaction.atomic():
        fu = FollowUp.objects.select_related("region", "department").filter(
            evaluation_id=evaluation.pk).first()
        if fu is None or not may_handle_follow_up(actor, fu):
            raise NotFound(_("没有找到这条差评整改。"))
        if fu.state == FollowUpState.CLOSED:
            raise Conflict(_("这条差评已经办结，不能再申诉。"), code="closed")
        if Appeal.objects.filter(evaluation_id=evaluation.pk).exists():
            raise Conflict(_("这条评价已经申诉过了，每条评价只能申诉一次。"),
                           code="already_appealed")
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(evaluation_id=evaluation.pk, reason=reason,
                                               filed_by=actor, filed_at=clock.now())
        except IntegrityError as exc:
            raise Conflict(_("这条评价已经申诉过了，每条评价只能申诉一次。"),
                           code="already_appealed") from exc
        supervisors = _users_with(Perm.SUPERVISE, region=fu.region, department=fu.department)
        _in_app(supervisors, subject=_("差评申诉待复核"),
                body=_("%(s)s 的差评被申诉，请复核。") % {"s": evaluation.service_label},
                link="/workbench/evaluation/appeals/", key=f"eval:appeal:{appeal.pk}")
    return appeal


def may_supervise(user: Any, *, region: Region, department: Department | None) -> bool:
    return access.can(user, Perm.SUPERVISE, region=region, department=department)


def appeal_decide(*, actor: Any, appeal: Appeal, uphold: bool, note: str) -> Appeal:
    """监察室复核: upheld — the review stays on record but leaves the figures;
    rejected — nothing changes."""
    note = _text(note, "note", required=True, limit=MAX_TEXT)
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().filter(pk=appeal.pk).first()
        evaluation = (Evaluation.objects.select_related("region", "department")
                      .filter(pk=locked.evaluation_id).first() if locked else None)
        if locked is None or evaluation is None or not may_supervise(
                actor, region=evaluation.region, department=evaluation.department):
            raise NotFound(_("没有找到这条申诉。"))
        if locked.state != AppealState.PENDING:
            raise Conflict(_("这条申诉已经复核过了。"), code="decided")
        now = clock.now()
        locked.state = AppealState.UPHELD if uphold else AppealState.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, now, note
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        if uphold:
            Evaluation.objects.filter(pk=evaluation.pk).update(excluded=True)
            fu = FollowUp.objects.select_for_update().filter(evaluation_id=evaluation.pk).first()
            if fu is not None and fu.state != FollowUpState.CLOSED:
                fu.state = follow_up_next(fu.state, FollowUpAction.CLOSE_BY_APPEAL)
                fu.closed_at, fu.closed_reason = now, "appeal_upheld"
                fu.save(update_fields=["state", "closed_at", "closed_reason"])
        if locked.filed_by_id:
            _in_app([locked.filed_by_id], subject=_("申诉复核结果"),
                    body=_("%(s)s 的差评申诉：%(r)s。") % {
                        "s": evaluation.service_label, "r": locked.get_state_display()},
                    link="/workbench/evaluation/follow-ups/", key=f"eval:appeal-done:{locked.pk}")
    return locked


# --- complaints ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Upload:
    name: str
    data: bytes


@dataclass(frozen=True)
class _Target:
    kind: str
    region: Region
    department: Department | None
    window: Window | None = None
    staff: StaffMember | None = None
    case: Case | None = None


def _resolve_target(*, actor: Any, kind: str, window_id: Any, staff_number: str,
                    department_id: Any, case_no: str, query_code: str) -> _Target:
    if kind not in TargetKind.values:
        raise _field("target_kind", _("请选择投诉对象（窗口、工作人员、部门或办件）。"))
    if kind == TargetKind.WINDOW:
        window = None
        if str(window_id or "").isdigit():
            window = Window.objects.select_related("centre__region", "department").filter(
                pk=int(window_id), is_active=True).first()
        if window is None:
            raise _field("window", _("请选择被投诉的窗口。"))
        return _Target(kind, window.centre.region, window.department, window=window)
    if kind == TargetKind.STAFF:
        number = str(staff_number or "").strip()[:20]
        staff = StaffMember.objects.select_related("region", "department").filter(
            staff_number=number).first() if number else None
        if staff is None:
            raise _field("staff_number", _("没有找到这个工号，请核对窗口桌牌上的工号。"))
        return _Target(kind, staff.region, staff.department, staff=staff)
    if kind == TargetKind.DEPARTMENT:
        dept = None
        if str(department_id or "").isdigit():
            dept = Department.objects.select_related("region").filter(
                pk=int(department_id), is_active=True).first()
        if dept is None:
            raise _field("department", _("请选择被投诉的部门。"))
        return _Target(kind, dept.region, dept)
    case = _case_by_no(str(case_no or "").strip())
    owner = bool(case and actor is not None and getattr(actor, "is_authenticated", False) and (
        case.applicant.user_id == actor.pk or access.can(actor, Perm.SUPERVISE,
                                                         region=case.region)))
    code_ok = bool(case and query_code and secrets.compare_digest(
        case.query_code.upper(), str(query_code).strip().upper()))
    if case is None or not (owner or code_ok):
        raise _field("case_no", _("没有找到这个办件，请核对办件编号和查询码。"))
    return _Target(kind, case.region, case.department, case=case)


def complaint_submit(
    *,
    actor: Any,
    channel: str,
    target_kind: str,
    subject: str,
    content: str,
    mobile: str = "",
    name: str = "",
    window_id: Any = None,
    staff_number: str = "",
    department_id: Any = None,
    case_no: str = "",
    query_code: str = "",
    uploads: Sequence[Upload] = (),
) -> Complaint:
    """投诉: online by anyone (signed in, or with a mobile number), or entered by the hall's
    complaint desk / supervision phone (staff holding ``supervise``). Reaches the supervision
    office of the target's region; the complainant gets the number and a follow link."""
    if channel not in ComplaintChannel.values:
        raise _field("channel", _("投诉渠道不正确。"))
    errors: dict[str, list[str]] = {}

    def collect(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ValidationFailed as exc:
            for k, v in exc.field_errors.items():
                errors.setdefault(k, []).extend(v)
            return None

    signed_in = actor is not None and getattr(actor, "is_authenticated", False)
    subject = collect(lambda: _text(subject, "subject", required=True, limit=100))
    content = collect(lambda: _text(content, "content", required=True, limit=MAX_TEXT))
    name = collect(lambda: _text(name, "name", required=False, limit=50)) or ""
    default_mobile = getattr(actor, "phone", "") if signed_in and channel == "online" else ""
    mobile = collect(lambda: _mobile(mobile or default_mobile))
    target = collect(lambda: _resolve_target(
        actor=actor, kind=target_kind, window_id=window_id, staff_number=staff_number,
        department_id=department_id, case_no=case_no, query_code=query_code))
    if len(uploads) > MAX_FILES:
        errors.setdefault("files", []).append(_("证据材料最多 %(n)d 个文件。") % {"n": MAX_FILES})
    checked = []
    for up in uploads[:MAX_FILES]:
        data = up.data
        info = collect(lambda: case_files.inspect(data, field="files"))  # noqa: B023
        if info is not None:
            checked.append((up, info))
    if errors:
        raise ValidationFailed(_("投诉内容有误，请按提示修改。"), field_errors=errors)
    assert target is not None  # noqa: S101 - errors would be set otherwise
    if channel != ComplaintChannel.ONLINE and not may_supervise(
            actor, region=target.region, department=target.department):
        raise PermissionDenied(_("只有监察室工作人员可以登记大厅投诉台、监督电话的投诉。"))
    now = clock.now()
    due, provisional = _due(complaint_days())
    with transaction.atomic():
        c = Complaint.objects.create(
            channel=channel, target_kind=target.kind, target_window=target.window,
            target_staff=target.staff, target_case=target.case, department=target.department,
            region=target.region, subject=subject, content=content,
            complainant_user=actor if signed_in and channel == "online" else None,
            complainant_name=name, complainant_mobile=mobile,
            entered_by=actor if channel != ComplaintChannel.ONLINE else None,
            created_at=now, due=due, due_provisional=provisional,
        )
        # The number comes from the row's id (a database sequence), never MAX()+1.
        c.number = f"TS{clock.today():%Y%m%d}{c.pk:06d}"
        c.save(update_fields=["number"])
        for up, info in checked:
            row = ComplaintFile(
                complaint=c, file_name=up.name[:200] or f"evidence.{info.extension}",
                content_type=info.content_type, size=info.size, sha256=info.sha256,
                uploaded_at=now,
            )
            row.file.save(f"{info.sha256[:16]}.{info.extension}", ContentFile(up.data),
                          save=False)
            row.save()
        supervisors = _users_with(Perm.SUPERVISE, region=target.region,
                                  department=target.department)
        _in_app(supervisors, subject=_("收到新投诉 %(n)s") % {"n": c.number},
                body=_("投诉事由：%(s)s；请在 %(d)s 前答复。") % {
                    "s": subject, "d": due.isoformat()},
                link=f"/workbench/evaluation/complaints/{c.number}/", key=f"eval:cp:{c.pk}:new")
        notifications_enqueue(messages=[Message(
            channel=NoteChannel.SMS, phone=mobile, dedupe_key=f"eval:cp:{c.pk}:ack",
            body=_("【一窗通】您的投诉已受理，编号 %(n)s，我们将于 %(d)s 前答复。"
                   "查看进度：%(u)s") % {
                "n": c.number, "d": due.isoformat(),
                "u": f"{site_url()}/complaints/f/{c.token}/"},
        )])
    logger.info("complaint %s from %s", c.number, mask_phone(mobile))
    return c


def _lock_complaint(complaint: Complaint, actor: Any) -> Complaint:
    c = (Complaint.objects.select_for_update(of=("self",)).select_related("region", "department")
         .filter(pk=complaint.pk).first())
    if c is None or not may_supervise(actor, region=c.region, department=c.department):
        raise NotFound(_("没有找到这件投诉。"))
    return c


def complaint_assign(*, actor: Any, complaint: Complaint, assignee: Any,
                     ask_department: bool = False) -> Complaint:
    """分派: to a member of the supervision office; optionally ask the department to explain
    (the department sees the complaint without the complainant's identity)."""
    with transaction.atomic():
        c = _lock_complaint(complaint, actor)
        if assignee is None or not may_supervise(assignee, region=c.region,
                                                 department=c.department):
            raise _field("assignee", _("承办人须为本辖区监察室工作人员。"))
        c.state = complaint_next(c.state, ComplaintAction.ASSIGN)
        c.assignee, c.assigned_at = assignee, clock.now()
        asked = bool(ask_department and c.department_id)
        c.department_asked = c.department_asked or asked
        c.row_version += 1
        c.save(update_fields=["state", "assignee", "assigned_at", "department_asked",
                              "row_version"])
        _in_app([assignee.pk], subject=_("投诉 %(n)s 已分派给您") % {"n": c.number},
                body=c.subject, link=f"/workbench/evaluation/complaints/{c.number}/",
                key=f"eval:cp:{c.pk}:assign:{c.row_version}")
        if asked:
            handlers = _users_with(Perm.CASE_REVIEW, region=c.region, department=c.department)
            _in_app(handlers, subject=_("请就投诉 %(n)s 说明情况") % {"n": c.number},
                    body=c.subject, link=f"/workbench/evaluation/statements/{c.number}/",
                    key=f"eval:cp:{c.pk}:ask")
    return c


def may_state_for_department(user: Any, c: Complaint) -> bool:
    return bool(c.department_id and c.department_asked and access.can(
        user, Perm.CASE_REVIEW, region=c.region, department=c.department))


def complaint_department_statement(*, actor: Any, complaint: Complaint,
                                   statement: str) -> Complaint:
    """部门说明情况 (the department never sees who complained)."""
    statement = _text(statement, "statement", required=True, limit=MAX_TEXT)
    with transaction.atomic():
        c = (Complaint.objects.select_for_update(of=("self",))
             .select_related("region", "department").filter(pk=complaint.pk).first())
        if c is None or not may_state_for_department(actor, c):
            raise NotFound(_("没有找到这件投诉。"))
        complaint_next(c.state, ComplaintAction.STATEMENT)
        c.department_statement, c.statement_at = statement, clock.now()
        c.row_version += 1
        c.save(update_fields=["department_statement", "statement_at", "row_version"])
        if c.assignee_id:
            _in_app([c.assignee_id], subject=_("投诉 %(n)s：部门已说明情况") % {"n": c.number},
                    body=c.subject, link=f"/workbench/evaluation/complaints/{c.number}/",
                    key=f"eval:cp:{c.pk}:stmt:{c.row_version}")
    return c


def _tell_complainant(c: Complaint, text: str, key: str) -> None:
    link = f"/complaints/f/{c.token}/"
    messages = [Message(channel=NoteChannel.SMS, phone=c.complainant_mobile,
                        dedupe_key=f"eval:cp:{c.pk}:{key}:sms",
                        body=_("【一窗通】您的投诉 %(n)s %(t)s 查看并评价：%(u)s") % {
                            "n": c.number, "t": text, "u": site_url() + link})]
    if c.complainant_user_id:
        messages.append(Message(channel=NoteChannel.IN_APP, user_id=c.complainant_user_id,
                                subject=_("投诉 %(n)s %(t)s") % {"n": c.number, "t": text},
                                body=text, link=link, dedupe_key=f"eval:cp:{c.pk}:{key}:app"))
    notifications_enqueue(messages=messages)


def complaint_answer(*, actor: Any, complaint: Complaint, answer: str, investigation: str,
                     substantiated: bool | None) -> Complaint:
    """答复: the finding (internal), whether it was substantiated, the answer to the complainant."""
    answer = _text(answer, "answer", required=True, limit=MAX_TEXT)
    investigation = _text(investigation, "investigation", required=True, limit=MAX_TEXT)
    with transaction.atomic():
        c = _lock_complaint(complaint, actor)
        c.state = complaint_next(c.state, ComplaintAction.ANSWER)
        now = clock.now()
        c.answer, c.investigation, c.substantiated = answer, investigation, substantiated
        c.answered_at, c.answered_by, c.on_time = now, actor, clock.today() <= c.due
        c.row_version += 1
        c.save(update_fields=["state", "answer", "investigation", "substantiated",
                              "answered_at", "answered_by", "on_time", "row_version"])
        _tell_complainant(c, _("已答复。"), "answer")
    return c


def complaint_dismiss(*, actor: Any, complaint: Complaint, reason: str) -> Complaint:
    """不予受理 (not a matter for the supervision office); the reason is told to the
    complainant."""
    reason = _text(reason, "reason", required=True, limit=MAX_TEXT)
    with transaction.atomic():
        c = _lock_complaint(complaint, actor)
        c.state = complaint_next(c.state, ComplaintAction.DISMISS)
        now = clock.now()
        c.answer, c.answered_at, c.answered_by = reason, now, actor
        c.on_time = clock.today() <= c.due
        c.row_version += 1
        c.save(update_fields=["state", "answer", "answered_at", "answered_by", "on_time",
                              "row_version"])
        _tell_complainant(c, _("不予受理。"), "dismiss")
    return c


def complaint_by_token(token: str) -> Complaint:
    token = str(token or "")
    c = Complaint.objects.filter(token=token).first() if 0 < len(token) <= 32 else None
    if c is None:
        raise NotFound(_("没有找到这件投诉，请核对链接。"))
    return c


def complaint_rate(*, token: str, level: Any, comment: str = "") -> Complaint:
    """The complainant rates the answer (by the follow link sent to them)."""
    level = _level(level)
    comment = mask_text(_text(comment, "comment", required=False, limit=MAX_COMMENT))
    with transaction.atomic():
        found = complaint_by_token(token)
        c = Complaint.objects.select_for_update().get(pk=found.pk)
        c.state = complaint_next(c.state, ComplaintAction.RATE)
        c.rating, c.rating_comment, c.rated_at = level, comment, clock.now()
        c.row_version += 1
        c.save(update_fields=["state", "rating", "rating_comment", "rated_at", "row_version"])
    return c
