"""代办服务: every change a village agent makes, one transaction each.

The agent (代办员, ``case.apply_as_agent``) applies on a villager's behalf — 群众动嘴、干部跑腿:

1. the villager consents: a code sent to the villager's registered mobile and told to the agent
   (:func:`consent_send_code` → :func:`consent_confirm_code`), a photo of the signed paper form
   (:func:`consent_record_paper`) or in person before a witness (:func:`consent_record_witness`);
2. the agent applies for an item of the published list with the villager as the case's
   applicant, recording the paper materials carried (:func:`proxy_apply` — the case is made by
   :func:`onewindow.cases.services.case_create` with channel ``agent``, submitted at once);
3. the agent records delivering the materials to the centre, collecting the result and handing
   it over, confirmed by the villager's code or signature (:func:`proxy_step_record`,
   :func:`handover_code_send`, :func:`proxy_hand_over`).

Every step is a :class:`ProxyStep`, allowed only in the order of :mod:`workflow`; the villager
gets an SMS at each step (through the outbox, in the same transaction), besides the case's own
SMS on every state change (the villager is the case's applicant).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Applicant
from onewindow.cases import files as case_files
from onewindow.cases import services as case_services
from onewindow.cases.models import Case, Channel
from onewindow.cases.services import Upload
from onewindow.catalog.models import ServiceItem
from onewindow.core import clock, ratelimit
from onewindow.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from onewindow.core.identity import IdentityError, validate_mobile
from onewindow.core.masking import mask_phone
from onewindow.notifications.models import Channel as NoteChannel
from onewindow.notifications.services import Message, notifications_enqueue
from onewindow.proxy import selectors
from onewindow.proxy.models import (
    CodePurpose,
    ConsentMethod,
    ProxyCode,
    ProxyConsent,
    ProxyItem,
    ProxyStep,
)
from onewindow.proxy.workflow import CANCELLABLE, RESULT_STATES, Stage, Step, check
from onewindow.regions.models import Region
from onewindow.workdays.calendar import CalendarRangeError
from onewindow.workdays.selectors import get_calendar

logger = logging.getLogger(__name__)

CONSENT_TEXT_VERSION = "2026.1"
CONSENT_TEXT = _(
    "本人%(villager)s（证件号码 %(identity)s）委托%(region)s代办员%(agent)s，代为申请办理政务服务"
    "事项：代为填写并提交申请、递交纸质材料、领取办理结果并交给本人。本人对所提供材料的真实性"
    "负责。本委托仅用于一件事项，自确认之日起%(days)d日内有效。"
)
MAX_NOTE = 500
MAX_MATERIALS = 30
MAX_COPIES = 99


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def consent_valid_days() -> int:
    """A consent not used for an application within this many days lapses (local)."""
    return _setting("ONEWINDOW_PROXY_CONSENT_VALID_DAYS", 30)


def deliver_workdays() -> int:
    """Working days to deliver the paper materials to the centre after receiving them (local)."""
    return _setting("ONEWINDOW_PROXY_DELIVER_WORKDAYS", 2)


def handover_workdays() -> int:
    """Working days to hand the collected result over to the villager (local)."""
    return _setting("ONEWINDOW_PROXY_HANDOVER_WORKDAYS", 2)


def code_sends_per_hour() -> int:
    """Codes one agent may have sent in an hour (an SMS gateway is no toy)."""
    return _setting("ONEWINDOW_PROXY_CODES_PER_HOUR", 20)


@dataclass(frozen=True, slots=True)
class PaperMaterial:
    """A paper material the agent carries: its name and how many copies (份数)."""

    name: str
    copies: int


# --- helpers ----------------------------------------------------------------------------------


def _field_error(field: str, message: str, code: str | None = None) -> ValidationFailed:
    return ValidationFailed(message, code=code, field_errors={field: [message]})


def _text(value: str | None, field: str, *, required: bool = False,
          limit: int = MAX_NOTE) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise _field_error(field, _("格式不正确。"))
    if required and not text:
        raise _field_error(field, _("请填写此项。"))
    if len(text) > limit:
        raise _field_error(field, _("不能超过 %(n)d 个字。") % {"n": limit})
    return text


def _due(start: dt.date, days: int) -> dt.date | None:
    try:
        return get_calendar().add_workdays(start, days).date
    except CalendarRangeError:  # a year the calendar does not cover yet: no due date, no crash
        return None


def _require_agent(actor: Any, region: Region | None = None) -> Region:
    """The agent's region (or ``region`` when given and within their grants)."""
    if region is not None:
        if not access.can(actor, Perm.CASE_APPLY_AS_AGENT, region=region):
            raise PermissionDenied(_("您不是这个村（社区）的代办员。"))
        return region
    own = selectors.agent_region(actor)
    if own is None:
        raise PermissionDenied(_("只有代办员可以代办申请。"))
    return own


def _lock(consent: ProxyConsent, actor: Any) -> ProxyConsent:
    """The consent, locked, when ``actor`` is its agent; otherwise not found."""
    row = (
        ProxyConsent.objects.select_for_update(of=("self",))
        .select_related("villager", "agent", "region", "case__item__basic", "case__region",
                        "proxy_item__item__basic", "proxy_item__item__region",
                        "proxy_item__item__department")
        .filter(pk=consent.pk).first()
    )
    if row is None or not selectors.is_agent_of(actor, row):
        raise NotFound(_("没有找到这件代办。"))
    return row


def _agent_name(consent: ProxyConsent) -> str:
    user = consent.agent
    return str(getattr(user, "display_name", "") or user.get_username())


def _item_name(consent: ProxyConsent) -> str:
    if consent.case_id:
        return consent.case.item.basic.name  # type: ignore[union-attr]
    if consent.proxy_item_id:
        return consent.proxy_item.item.basic.name  # type: ignore[union-attr]
    return ""


def _sms(consent: ProxyConsent, key: str, body: str) -> None:
    """The villager's SMS (and an in-app message when they have an account), via the outbox."""
    villager = consent.villager
    link = f"/my/cases/{consent.case.case_no}/" if consent.case_id else ""  # type: ignore[union-attr]
    messages = [Message(channel=NoteChannel.SMS, phone=villager.mobile, body=body, link=link,
                        dedupe_key=f"proxy:{consent.pk}:{key}:sms")]
    if villager.user_id:
        messages.append(Message(channel=NoteChannel.IN_APP, user_id=villager.user_id,
                                subject=_("代办进度"), body=body, link=link,
                                dedupe_key=f"proxy:{consent.pk}:{key}:app"))
    notifications_enqueue(messages=messages)
    logger.info("proxy %s: %s notified %s", consent.pk, key, mask_phone(villager.mobile))


def _append(consent: ProxyConsent, step: Step, *, actor: Any, note: str = "",
            data: dict[str, Any] | None = None, at: dt.datetime | None = None,
            file: tuple[Upload, case_files.Inspected] | None = None) -> ProxyStep:
    """Record ``step`` (checked against the order), move the stage and the next due date."""
    consent.stage = check(consent.stage, step)
    now = at or clock.now()
    consent.step_count += 1
    row = ProxyStep(consent=consent, seq=consent.step_count, step=step, actor=actor, at=now,
                    note=note, data=data or {})
    if file is not None:
        upload, info = file
        row.file.save(f"{info.sha256[:16]}.{info.extension}", ContentFile(upload.data),
                      save=False)
        row.file_type = info.content_type
    row.save(force_insert=True)
    today = timezone.localdate(now)
    consent.stage_at = now
    consent.next_due = {
        Stage.MATERIALS_RECEIVED: _due(today, deliver_workdays()),
        Stage.COLLECTED: _due(today, handover_workdays()),
    }.get(Stage(consent.stage))
    if consent.stage == Stage.CONSENT:
        consent.next_due = today + dt.timedelta(days=consent_valid_days())
    consent.save(update_fields=["stage", "stage_at", "next_due", "step_count"])
    return row


def _consent_text(*, villager: Applicant, agent: Any, region: Region) -> str:
    return CONSENT_TEXT % {
        "villager": villager.masked_name, "identity": villager.masked_identity,
        "region": region.name, "agent": str(getattr(agent, "display_name", "") or agent),
        "days": consent_valid_days(),
    }


def _new_consent(*, actor: Any, villager: Applicant, region: Region, method: str,
                 mobile: str = "") -> ProxyConsent:
    now = clock.now()
    return ProxyConsent.objects.create(
        villager=villager, agent=actor, region=region, method=method,
        text_version=CONSENT_TEXT_VERSION,
        text=_consent_text(villager=villager, agent=actor, region=region),
        mobile=mobile, stage=Stage.PENDING, stage_at=now, created_at=now,
    )


def _villager(villager: Applicant | None) -> Applicant:
    if villager is None:
        raise _field_error("villager", _("请先查找或登记委托人（群众）。"))
    return villager


# --- one-time codes -------------------------------------------------------------------------


def _send_code(consent: ProxyConsent, *, purpose: str, actor: Any, body: str,
               params: dict[str, Any]) -> ProxyCode:
    """A fresh code to the villager's mobile (``body`` % ``params`` with ``code`` and ``m``, the
    minutes it is valid); refused within the resend interval."""
    now = clock.now()
    resend = int(settings.OTP_RESEND_SECONDS)
    recent = ProxyCode.objects.filter(
        consent=consent, purpose=purpose, created_at__gt=now - dt.timedelta(seconds=resend)
    ).exists()
    if recent:
        raise _field_error("code", _("验证码已发送，请%(s)d秒后再试。") % {"s": resend},
                           code="code_too_soon")
    ratelimit.throttle(f"proxy-code:{actor.pk}", code_sends_per_hour(), 3600,
                       message=_("发送验证码过于频繁，请稍后再试。"))
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = ProxyCode.objects.create(
        consent=consent, purpose=purpose, phone=consent.villager.mobile,
        code_hash=make_password(code), sent_by=actor, created_at=now,
        expires_at=now + dt.timedelta(seconds=int(settings.OTP_TTL_SECONDS)),
    )
    minutes = max(int(settings.OTP_TTL_SECONDS) // 60, 1)
    notifications_enqueue(messages=[Message(
        channel=NoteChannel.SMS, phone=consent.villager.mobile,
        body=body % {**params, "code": code, "m": minutes}, dedupe_key=f"proxycode:{row.pk}",
    )])
    return row


def _verify_code(consent: ProxyConsent, *, purpose: str, code: str) -> tuple[ProxyCode | None,
                                                                              DomainError | None]:
    """Check ``code`` against the latest unused code: (the code row, None) when right, else
    (None, the error to raise *after* the wrong attempt has been committed)."""
    now = clock.now()
    code = re.sub(r"\s", "", code or "")
    row = (ProxyCode.objects.select_for_update()
           .filter(consent=consent, purpose=purpose, used_at__isnull=True)
           .order_by("-created_at").first())
    if row is None:
        return None, _field_error("code", _("请先发送验证码。"), code="code_missing")
    if row.expires_at <= now:
        return None, _field_error("code", _("验证码已过期，请重新发送。"), code="code_expired")
    limit = int(settings.OTP_MAX_ATTEMPTS)
    if row.attempts >= limit:
        return None, _field_error("code", _("验证码错误次数过多，请重新发送。"),
                                  code="code_locked")
    if not (code.isdigit() and len(code) == 6 and check_password(code, row.code_hash)):
        ProxyCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        left = limit - row.attempts - 1
        message = (_("验证码不正确，还可以再试 %(n)d 次。") % {"n": left} if left > 0
                   else _("验证码错误次数过多，请重新发送。"))
        return None, _field_error("code", message, code="code_wrong")
    row.used_at = now
    row.save(update_fields=["used_at"])
    return row, None


# --- consent ------------------------------------------------------------------------------------


def consent_send_code(*, actor: Any, villager: Applicant | None, mobile: str,
                      consent: ProxyConsent | None = None) -> ProxyConsent:
    """委托确认（短信）: send a code to the villager's registered mobile, which the agent typed
    again; the villager tells the agent the code to consent. Resending reuses the consent."""
    try:
        mobile = validate_mobile(mobile)
    except IdentityError as exc:
        raise _field_error("mobile", str(exc)) from exc
    with transaction.atomic():
        if consent is not None:
            consent = _lock(consent, actor)
            if consent.method != ConsentMethod.SMS or consent.stage != Stage.PENDING:
                raise Conflict(_("这件代办的委托已经确认或已取消。"), code="consent_not_pending")
            villager = consent.villager
        else:
            villager = _villager(villager)
            region = _require_agent(actor)
        if mobile != villager.mobile:
            raise _field_error("mobile", _("手机号码与委托人登记的号码（%(m)s）不一致。验证码只发到"
                                           "登记的号码；号码已更换的，请先到窗口更新。")
                               % {"m": villager.masked_mobile}, code="mobile_mismatch")
        if consent is None:
            consent = _new_consent(actor=actor, villager=villager, region=region,
                                   method=ConsentMethod.SMS, mobile=mobile)
        body = _("【一窗通】%(region)s代办员%(agent)s申请代您办理政务服务事项。同意委托请把验证码"
                 "%(code)s告诉代办员，%(m)s分钟内有效；不同意请勿告知他人。")
        _send_code(consent, purpose=CodePurpose.CONSENT, actor=actor, body=body,
                   params={"region": consent.region.name, "agent": _agent_name(consent)})
    return consent


def consent_confirm_code(*, actor: Any, consent: ProxyConsent, code: str) -> ProxyConsent:
    """The villager told the agent the code: the consent is recorded."""
    failure: DomainError | None = None
    with transaction.atomic():
        consent = _lock(consent, actor)
        if consent.stage != Stage.PENDING or consent.method != ConsentMethod.SMS:
            raise Conflict(_("这件代办的委托已经确认或已取消。"), code="consent_not_pending")
        row, failure = _verify_code(consent, purpose=CodePurpose.CONSENT, code=code)
        if row is not None:
            consent.recorded_at = clock.now()
            consent.save(update_fields=["recorded_at"])
            _append(consent, Step.CONSENT, actor=actor, at=consent.recorded_at,
                    data={"method": ConsentMethod.SMS, "code_id": row.pk,
                          "mobile": mask_phone(row.phone),
                          "code_sent_at": row.created_at.isoformat(),
                          "text_version": consent.text_version})
    if failure is not None:
        raise failure
    return consent


def consent_record_paper(*, actor: Any, villager: Applicant | None,
                         upload: Upload | None) -> ProxyConsent:
    """委托确认（纸质）: a photo or scan of the consent form the villager signed."""
    villager = _villager(villager)
    if upload is None or not upload.data:
        raise _field_error("file", _("请拍照上传群众签字的委托书。"))
    info = case_files.inspect(upload.data, field="file")
    with transaction.atomic():
        region = _require_agent(actor)
        consent = _new_consent(actor=actor, villager=villager, region=region,
                               method=ConsentMethod.PAPER)
        consent.file.save(f"{info.sha256[:16]}.{info.extension}", ContentFile(upload.data),
                          save=False)
        consent.file_type, consent.file_sha256 = info.content_type, info.sha256
        consent.recorded_at = clock.now()
        consent.save(update_fields=["file", "file_type", "file_sha256", "recorded_at"])
        _append(consent, Step.CONSENT, actor=actor, at=consent.recorded_at,
                data={"method": ConsentMethod.PAPER, "sha256": info.sha256,
                      "text_version": consent.text_version})
    return consent


def consent_record_witness(*, actor: Any, villager: Applicant | None, witness_name: str,
                           witness_relation: str) -> ProxyConsent:
    """委托确认（当面）: the villager consented in person before a named witness."""
    villager = _villager(villager)
    errors: dict[str, list[str]] = {}
    name = (witness_name or "").strip()
    relation = (witness_relation or "").strip()
    if not name:
        errors["witness_name"] = [_("请填写见证人姓名。")]
    elif len(name) > 50 or "\x00" in name:
        errors["witness_name"] = [_("见证人姓名不能超过50个字。")]
    if not relation:
        errors["witness_relation"] = [_("请填写见证人身份（如：村委会委员、邻居）。")]
    elif len(relation) > 50 or "\x00" in relation:
        errors["witness_relation"] = [_("见证人身份不能超过50个字。")]
    if errors:
        raise ValidationFailed(_("请检查标红的字段。"), field_errors=errors)
    with transaction.atomic():
        region = _require_agent(actor)
        consent = _new_consent(actor=actor, villager=villager, region=region,
                               method=ConsentMethod.WITNESS)
        consent.witness_name, consent.witness_relation = name, relation
        consent.recorded_at = clock.now()
        consent.save(update_fields=["witness_name", "witness_relation", "recorded_at"])
        _append(consent, Step.CONSENT, actor=actor, at=consent.recorded_at,
                data={"method": ConsentMethod.WITNESS, "witness": name,
                      "relation": relation, "text_version": consent.text_version})
    return consent


def consent_cancel(*, actor: Any, consent: ProxyConsent, reason: str = "") -> ProxyConsent:
    """Cancel a proxy case that has no application yet (the villager changed their mind)."""
    reason = _text(reason, "reason", limit=300)
    with transaction.atomic():
        consent = _lock(consent, actor)
        if consent.stage not in CANCELLABLE or consent.case_id:
            raise Conflict(_("申请已经提交，不能取消；如需撤回请联系受理窗口。"),
                           code="not_cancellable")
        consent.stage, consent.stage_at = Stage.CANCELLED, clock.now()
        consent.cancel_reason, consent.next_due = reason, None
        consent.save(update_fields=["stage", "stage_at", "cancel_reason", "next_due"])
    return consent


# --- applying -----------------------------------------------------------------------------------


def _clean_materials(item: ServiceItem, materials: Sequence[PaperMaterial | dict[str, Any]]
                     ) -> list[dict[str, Any]]:
    """The paper materials carried: names and copies; the required ones must be among them."""
    rows: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    if len(materials) > MAX_MATERIALS:
        raise _field_error("materials", _("材料不能超过 %(n)d 项。") % {"n": MAX_MATERIALS})
    for i, raw in enumerate(materials):
        name: Any
        copies: Any
        if isinstance(raw, PaperMaterial):
            name, copies = raw.name, raw.copies
        elif isinstance(raw, dict):
            name, copies = raw.get("name"), raw.get("copies")
        else:
            errors[f"materials.{i}"] = [_("格式不正确。")]
            continue
        name = str(name or "").strip()
        if not name or len(name) > 100 or "\x00" in name:
            errors[f"materials.{i}.name"] = [_("请填写材料名称（不超过100个字）。")]
            continue
        if isinstance(copies, bool) or not isinstance(copies, int | str):
            errors[f"materials.{i}.copies"] = [_("请输入份数。")]
            continue
        try:
            count = int(str(copies).strip() or "0")
        except ValueError:
            errors[f"materials.{i}.copies"] = [_("请输入整数。")]
            continue
        if not 0 <= count <= MAX_COPIES:
            errors[f"materials.{i}.copies"] = [_("份数应在 0 到 %(n)d 之间。") % {"n": MAX_COPIES}]
            continue
        if count:
            rows.append({"name": name, "copies": count})
    if errors:
        raise ValidationFailed(_("材料清单有误，请检查。"), field_errors=errors)
    version = item.current_version
    carried = {r["name"] for r in rows}
    missing = [m.name for m in (version.materials.all() if version else [])
               if m.required and not m.tolerable and m.name not in carried]
    if missing:
        message = _("还没有收取必要材料：%(n)s。") % {"n": "、".join(missing)}
        raise ValidationFailed(message, code="materials_missing",
                               field_errors={"materials": [message]})
    if not rows:
        raise _field_error("materials", _("请登记从群众处收取的纸质材料及份数。"),
                           code="materials_missing")
    return rows


def consent_choose_item(*, actor: Any, consent: ProxyConsent,
                        proxy_item: ProxyItem) -> ProxyConsent:
    """Which item of the published list the villager wants (may change until applied)."""
    with transaction.atomic():
        consent = _lock(consent, actor)
        if consent.stage != Stage.CONSENT:
            check(consent.stage, Step.MATERIALS_RECEIVED)  # says what is wrong
        item = selectors.item_for_agent(actor, consent.region, proxy_item.pk)
        consent.proxy_item = item
        consent.save(update_fields=["proxy_item"])
    return consent


def proxy_apply(*, actor: Any, consent: ProxyConsent, proxy_item: ProxyItem | None = None,
                form_data: dict[str, Any] | None = None,
                materials: Sequence[PaperMaterial | dict[str, Any]] = (),
                note: str = "", ip: str | None = None) -> Case:
    """提交代办申请: with the villager's recorded consent, the case is made with the villager as
    applicant, channel ``agent``, submitted at once; the materials received are recorded."""
    note = _text(note, "note")
    with transaction.atomic():
        consent = _lock(consent, actor)
        if consent.stage == Stage.PENDING or consent.recorded_at is None:
            raise Conflict(_("还没有取得群众的委托确认，不能代为申请。"), code="consent_missing")
        check(consent.stage, Step.MATERIALS_RECEIVED)
        if consent.recorded_at < clock.now() - dt.timedelta(days=consent_valid_days()):
            raise Conflict(_("群众的委托确认已超过 %(d)d 日，请重新确认委托。")
                           % {"d": consent_valid_days()}, code="consent_lapsed")
        chosen = proxy_item or consent.proxy_item
        if chosen is None:
            raise _field_error("item", _("请选择代办事项。"))
        chosen = selectors.item_for_agent(actor, consent.region, chosen.pk)
        item = chosen.item
        carried = _clean_materials(item, materials)
        case = case_services.case_create(
            actor=actor, item=item, applicant=consent.villager, channel=Channel.AGENT,
            form_data=form_data or {}, submit=True, ip=ip, agent_region=consent.region,
        )
        consent.case, consent.proxy_item = case, chosen
        consent.save(update_fields=["case", "proxy_item"])
        total = sum(r["copies"] for r in carried)
        _append(consent, Step.MATERIALS_RECEIVED, actor=actor, note=note,
                data={"materials": carried, "total": total, "case_no": case.case_no})
        listed = "、".join(f"{r['name']}{r['copies']}份" for r in carried)
        _sms(consent, "materials", _(
            "【一窗通】代办员%(agent)s已收取您的纸质材料共%(n)d份（%(list)s），已代您申请“%(item)s”，"
            "办件编号%(no)s，查询码%(code)s。") % {
            "agent": _agent_name(consent), "n": total, "list": listed[:120],
            "item": item.basic.name, "no": case.case_no, "code": case.query_code})
    return case


# --- the agent's steps after applying ---------------------------------------------------------


def proxy_step_record(*, actor: Any, consent: ProxyConsent, step: str,
                      note: str = "") -> ProxyStep:
    """Record 材料递交服务中心 or 领取办理结果 (hand-over has its own confirmation)."""
    note = _text(note, "note")
    if step not in (Step.DELIVERED, Step.COLLECTED):
        raise _field_error("step", _("请选择要登记的环节。"))
    with transaction.atomic():
        consent = _lock(consent, actor)
        case = consent.case
        check(consent.stage, Step(step))
        assert case is not None  # a case exists from MATERIALS_RECEIVED on
        if step == Step.COLLECTED and case.state not in RESULT_STATES:
            raise Conflict(
                _("办件当前状态为“%(s)s”，还没有办理结果可领取。")
                % {"s": case.get_state_display()},
                code="no_result_yet",
            )
        data: dict[str, Any] = {"case_state": case.state}
        if step == Step.DELIVERED:
            row = _append(consent, Step.DELIVERED, actor=actor, note=note, data=data)
            _sms(consent, "delivered", _(
                "【一窗通】代办员已将您办件%(no)s（%(item)s）的纸质材料递交受理窗口，可凭查询码%(code)s"
                "查询办理进度。") % {"no": case.case_no, "item": case.item.basic.name,
                                 "code": case.query_code})
        else:
            data["decision"] = case.decision
            row = _append(consent, Step.COLLECTED, actor=actor, note=note, data=data)
            _sms(consent, "collected", _(
                "【一窗通】代办员已领取您办件%(no)s（%(item)s）的办理结果，将尽快交给您。")
                % {"no": case.case_no, "item": case.item.basic.name})
    return row


def handover_code_send(*, actor: Any, consent: ProxyConsent) -> ProxyCode:
    """交付确认码: the villager gets a code and tells it to the agent on receiving the result."""
    with transaction.atomic():
        consent = _lock(consent, actor)
        check(consent.stage, Step.HANDED_OVER)
        case = consent.case
        assert case is not None
        body = _("【一窗通】代办员%(agent)s将把您办件%(no)s的办理结果交给您。确认收到后请把验证码"
                 "%(code)s告诉代办员，%(m)s分钟内有效。")
        return _send_code(consent, purpose=CodePurpose.HANDOVER, actor=actor, body=body,
                          params={"agent": _agent_name(consent), "no": case.case_no})


def proxy_hand_over(*, actor: Any, consent: ProxyConsent, method: str, code: str = "",
                    upload: Upload | None = None, note: str = "") -> ProxyStep:
    """结果交付群众, confirmed by the villager's code (``sms``) or a photo of their signature on
    the receipt (``signature``)."""
    note = _text(note, "note")
    info = None
    if method == "signature":
        if upload is None or not upload.data:
            raise _field_error("file", _("请拍照上传群众签收的回执。"))
        info = case_files.inspect(upload.data, field="file")
    elif method != "sms":
        raise _field_error("method", _("请选择确认方式：短信验证码或签收回执。"))
    failure: DomainError | None = None
    row: ProxyStep | None = None
    with transaction.atomic():
        consent = _lock(consent, actor)
        check(consent.stage, Step.HANDED_OVER)
        case = consent.case
        assert case is not None
        data: dict[str, Any] = {"method": method}
        if method == "sms":
            code_row, failure = _verify_code(consent, purpose=CodePurpose.HANDOVER, code=code)
            if code_row is not None:
                data.update(code_id=code_row.pk, mobile=mask_phone(code_row.phone))
        if failure is None:
            row = _append(consent, Step.HANDED_OVER, actor=actor, note=note, data=data,
                          file=(upload, info) if upload is not None and info else None)
            _sms(consent, "handed_over", _(
                "【一窗通】您办件%(no)s（%(item)s）的办理结果已由代办员交到您手中，代办服务完成。"
                "如有问题请拨打12345。") % {"no": case.case_no, "item": case.item.basic.name})
    if failure is not None:
        raise failure
    assert row is not None
    return row


# --- the published list (management office) ---------------------------------------------------


def proxy_item_save(*, actor: Any, item: ServiceItem, region: Region, full_proxy: bool = True,
                    note: str = "", sort_order: int = 0,
                    row: ProxyItem | None = None) -> ProxyItem:
    """Add an item to a region's list, or change it (``row``). The item must be exercised at
    the region or above it; the actor publishes catalogue entries there (catalog.publish)."""
    note = _text(note, "note", limit=300)
    if not access.can(actor, Perm.CATALOG_PUBLISH, region=region):
        raise PermissionDenied(_("您没有权限维护这个区划的代办清单。"))
    if not region.is_within(item.region):
        raise _field_error("item", _("事项由%(r)s实施，不能列入%(l)s的代办清单（只能列入本级或上级"
                                     "实施的事项）。") % {"r": item.region.name, "l": region.name})
    with transaction.atomic():
        if row is None:
            if ProxyItem.objects.filter(item=item, region=region).exists():
                raise _field_error("item", _("这个事项已在本区划的代办清单中。"))
            row = ProxyItem(item=item, region=region)
        row.full_proxy, row.note, row.sort_order = full_proxy, note, max(sort_order, 0)
        row.item, row.region = item, region
        row.save()
    return row


def proxy_item_publish(*, actor: Any, row: ProxyItem, published: bool = True) -> ProxyItem:
    if not access.can(actor, Perm.CATALOG_PUBLISH, region=row.region):
        raise PermissionDenied(_("您没有权限维护这个区划的代办清单。"))
    with transaction.atomic():
        row.published = published
        row.published_at = clock.now() if published else None
        row.save(update_fields=["published", "published_at", "updated_at"])
    return row


__all__ = [
    "PaperMaterial", "Upload", "consent_send_code", "consent_confirm_code",
    "consent_record_paper", "consent_record_witness", "consent_cancel", "consent_choose_item",
    "proxy_apply", "proxy_step_record", "handover_code_send", "proxy_hand_over",
    "proxy_item_save", "proxy_item_publish",
]
