"""Every change to a case (办件): keyword-only functions, one transaction each.

Each service locks the case (``select_for_update``), asks :func:`workflow.check` whether the
action is allowed in the current state, writes, appends a hash-chained event and writes outbox
rows for the applicant. Two people acting on one case at once: the second waits for the lock,
then finds the state changed and gets a :class:`Conflict` — nothing is applied twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Applicant, Role, User
from onewindow.cases import (
    audit,
    deadlines,
    files,
    green_channel,
    guards,
    notices,
    numbers,
    process,
)
from onewindow.cases.forms_schema import clean_form_data
from onewindow.cases.models import (
    Case,
    CaseEvent,
    CaseHop,
    CaseMaterial,
    CaseMaterialStatus,
    Certificate,
    Channel,
    ClockStop,
    DeliveryMethod,
    HopKind,
    MaterialOrigin,
    Notice,
    NoticeKind,
    StopKind,
    Task,
    TaskKind,
)
from onewindow.cases.signals import case_decided
from onewindow.cases.workflow import Action, CaseState, Decision, TaskState, check
from onewindow.catalog.codes import CaseType
from onewindow.catalog.models import Authorisation, ServiceItem, VersionStatus
from onewindow.core import clock
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.core.masking import mask_phone
from onewindow.notifications.models import Channel as NoteChannel
from onewindow.notifications.services import Message, notifications_enqueue
from onewindow.regions.models import Region
from onewindow.workdays.selectors import add_workdays, get_calendar

logger = logging.getLogger(__name__)

SUPPLEMENT_NOTICE_WORKDAYS = 5  # 行政许可法 art. 32: tell everything missing within 5 days
MAX_EXTENSION_DAYS = 10  # art. 42: extendable by 10 working days with the head's approval
MAX_REASON = 2000


@dataclass(frozen=True, slots=True)
class Upload:
    """A file handed to a service: its bytes and the name the applicant gave it."""

    name: str
    data: bytes


# --- helpers ----------------------------------------------------------------------------------


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


def _text(value: str | None, field: str, *, required: bool, limit: int = MAX_REASON) -> str:
    text = (value or "").strip()
    if required and not text:
        raise _field_error(field, _("请填写此项。"))
    if len(text) > limit:
        raise _field_error(field, _("不能超过 %(n)d 个字。") % {"n": limit})
    return text


def _lock(case: Case) -> Case:
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("region", "department", "applicant", "item__basic", "version", "centre",
                        "intake_region")
        .filter(pk=case.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("没有找到这个办件。"))
    return locked


def _expect_version(case: Case, expected: int | None) -> None:
    if expected is not None and expected != case.row_version:
        raise Conflict(
            _("办件已被其他人更新，请刷新后查看最新状态再操作。"), code="stale_version"
        )


def _staff_unit(actor: User) -> str:
    profile = getattr(actor, "staff_profile", None)
    if profile is None:
        return ""
    if profile.department_id:
        return profile.department.name
    return profile.region.name


def _is_owner(actor: Any, case: Case) -> bool:
    return bool(actor and actor.is_authenticated and (
        case.applicant.user_id == actor.pk
        or (case.channel == Channel.ONLINE and case.created_by_id == actor.pk)
    ))


def _require_staff(actor: Any, perm: Perm, case: Case) -> None:
    if access.can(actor, perm, region=case.region, department=case.department):
        return
    # 就近办: the lower-level station that took the case in does the counter's work on it.
    if perm == Perm.CASE_ACCEPT and at_intake(actor, case):
        return
    raise PermissionDenied(_("您没有权限办理这个办件。"))


def station_prefixes(actor: Any) -> dict[str, int]:
    """就近办: the regions below the city where ``actor`` does counter work (prefix → region
    id) — stations and centres that may take in items of the levels above them."""
    return {g.region_prefix: g.region_id for g in access.grants_for(actor, Perm.CASE_ACCEPT)
            if g.department_id is None and len(g.region_prefix) > 4}


def intake_region_for(actor: Any, item: ServiceItem) -> Region | None:
    """The station where ``actor`` takes this item in for a higher level, or None when the
    actor accepts it at the item's own level (or may not take it in at all)."""
    if access.can(actor, Perm.CASE_ACCEPT, region=item.region, department=item.department):
        return None
    for prefix, region_id in sorted(station_prefixes(actor).items(), key=lambda kv: -len(kv[0])):
        if prefix != item.region.prefix and prefix.startswith(item.region.prefix):
            return Region.objects.get(pk=region_id)
    return None


def at_intake(actor: Any, case: Case) -> bool:
    """Whether ``actor`` is counter staff of the station that took this case in."""
    return bool(case.intake_region_id) and access.can(actor, Perm.CASE_ACCEPT,
                                                      region=case.intake_region)


def _event(
    case: Case,
    *,
    action: Action,
    actor: Any,
    role: str,
    to_state: str | None = None,
    data: dict[str, Any] | None = None,
    public: bool = True,
    ip: str | None = None,
) -> CaseEvent:
    """The next event of the case's chain (not saved), with the case moved to ``to_state`` and
    its chain head advanced in memory; :func:`_record` saves both."""
    from_state = case.state
    if to_state is not None:
        case.state = to_state
    seq = case.event_count + 1
    at = clock.now()
    actor_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None
    unit = _staff_unit(actor) if actor_id and role not in (_("申请人"),) else ""
    payload = audit.event_payload(
        case_no=case.case_no, seq=seq, action=action.value, actor_id=actor_id,
        actor_role=role, actor_unit=unit, from_state=from_state, to_state=case.state,
        data=data or {}, public=public, ip=ip, created_at=at,
    )
    digest = audit.chain_hash(case.head_hash, payload)
    event = CaseEvent(
        case=case, seq=seq, action=action.value, actor_id=actor_id, actor_role=role,
        actor_unit=unit, from_state=from_state, to_state=case.state, data=data or {},
        public=public, ip=ip, created_at=at, prev_hash=case.head_hash, hash=digest,
    )
    case.event_count = seq
    case.head_hash = digest
    case.row_version += 1
    return event


def _record(
    case: Case,
    *,
    action: Action,
    actor: Any,
    role: str,
    to_state: str | None = None,
    data: dict[str, Any] | None = None,
    public: bool = True,
    ip: str | None = None,
    notify: str | None = None,
) -> CaseEvent:
    """Append the event, move the case to ``to_state`` and save it; queue the applicant's SMS."""
    event = _event(case, action=action, actor=actor, role=role, to_state=to_state, data=data,
                   public=public, ip=ip)
    event.save(force_insert=True)
    case.save()
    if notify:
        _notify(case, event.seq, notify)
    return event


def _notify(case: Case, seq: int, text: str) -> None:
    body = _("【一窗通】您的办件 %(no)s（%(item)s）%(text)s") % {
        "no": case.case_no, "item": case.item.basic.name, "text": text,
    }
    link = f"/my/cases/{case.case_no}/"
    messages = [
        Message(channel=NoteChannel.SMS, phone=case.applicant.mobile, body=body,
                dedupe_key=f"case:{case.pk}:{seq}:sms:{case.applicant.mobile}", link=link)
    ]
    if case.applicant.user_id:
        messages.append(
            Message(channel=NoteChannel.IN_APP, user_id=case.applicant.user_id,
                    subject=str(text)[:200], body=body, link=link,
                    dedupe_key=f"case:{case.pk}:{seq}:app:{case.applicant.user_id}")
        )
    notifications_enqueue(messages=messages)
    logger.info("case %s: notified %s", case.case_no, mask_phone(case.applicant.mobile))


def _issue_notice(case: Case, kind: NoticeKind, actor: Any, extra: dict[str, Any] | None = None
                  ) -> Notice:
    today = clock.today()
    content = notices.build(kind, case, issued_on=today, extra=extra)
    count = Notice.objects.filter(case=case, kind=kind).count() + 1
    return Notice.objects.create(
        case=case, kind=kind, number=f"{case.case_no}-{notices.NUMBER_TAGS[kind]}{count}",
        verify_code=numbers.verify_code(), issued_at=clock.now(),
        issued_by=actor if getattr(actor, "pk", None) else None,
        content=content, digest=notices.digest(content),
    )


def _material(case: Case, material_id: int) -> CaseMaterial:
    row = CaseMaterial.objects.filter(case=case, pk=material_id).first()
    if row is None:
        raise _field_error("material", _("这份材料不属于本办件。"))
    return row


def _store_upload(row: CaseMaterial, upload: Upload) -> None:
    info = files.inspect(upload.data, field=f"materials.{row.pk}")
    name = (upload.name or "").strip()[:200] or f"{row.name}.{info.extension}"
    row.file.save(f"{info.sha256[:16]}.{info.extension}", ContentFile(upload.data), save=False)
    row.file_name = name
    row.content_type = info.content_type
    row.size = info.size
    row.sha256 = info.sha256
    row.origin = MaterialOrigin.UPLOAD
    row.reused_from = None
    row.certificate = None
    row.provided_at = clock.now()


# --- creating and applying ---------------------------------------------------------------------


def _public_version(item: ServiceItem) -> Any:
    version = item.current_version
    if version is None or version.status != VersionStatus.PUBLISHED:
        raise NotFound(_("没有找到这个事项，或它尚未公开。"))
    if version.effective_from and version.effective_from > clock.today():
        raise NotFound(_("没有找到这个事项，或它尚未公开。"))
    return version


def _applicant_for(actor: Any, applicant: Applicant, channel: str, item: ServiceItem,
                   intake_region: Region | None = None,
                   agent_region: Region | None = None) -> None:
    if channel == Channel.ONLINE:
        if applicant.user_id != getattr(actor, "pk", None):
            raise NotFound(_("没有找到这个申请人。"))
        return
    if channel == Channel.AGENT and agent_region is not None:
        # 代办服务: a village agent applies, in their own region, for an item exercised there or
        # above it (the proxy app has checked the villager's consent and its published list);
        # the agent carries the file to the item's own centre, so there are no hops.
        if not (agent_region.is_within(item.region)
                and access.can(actor, Perm.CASE_APPLY_AS_AGENT, region=agent_region)):
            raise PermissionDenied(_("您没有权限代办这个事项。"))
        return
    perm = Perm.CASE_APPLY_AS_AGENT if channel == Channel.AGENT else Perm.CASE_ACCEPT
    if channel == Channel.API:
        perm = Perm.CASE_ACCEPT
    if intake_region is not None:
        # 就近办: a town centre or village station takes in an item of a level above it.
        if intake_region.pk == item.region_id or not intake_region.is_within(item.region):
            raise _field_error("intake_region", _("就近受理只适用于上级区划实施的事项，"
                                                  "且受理站点须在其辖区内。"))
        if not access.can(actor, perm, region=intake_region):
            raise PermissionDenied(_("您没有权限在此受理这个事项。"))
        return
    if not access.can(actor, perm, region=item.region, department=item.department):
        raise PermissionDenied(_("您没有权限在此受理这个事项。"))


def case_create(
    *,
    actor: Any,
    item: ServiceItem,
    applicant: Applicant,
    channel: str = Channel.ONLINE,
    form_data: dict[str, Any] | None = None,
    submit: bool = False,
    centre_id: int | None = None,
    ip: str | None = None,
    intake_region: Region | None = None,
    agent_region: Region | None = None,
) -> Case:
    """Start a case (a draft, or submitted at once with ``submit``) under the item's current
    version. Online: the applicant for themself; at the window or by an agent: staff in scope.
    """
    if channel not in Channel.values:
        raise _field_error("channel", _("申请渠道不正确。"))
    version = _public_version(item)
    if channel == Channel.ONLINE and not version.online:
        raise Conflict(_("该事项暂不支持网上办理，请到窗口申请。"), code="not_online")
    if channel == Channel.ONLINE:
        intake_region = None
    _applicant_for(actor, applicant, channel, item, intake_region, agent_region)
    data = clean_form_data(version.form_schema, form_data or {}, complete=submit)
    now = clock.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        serial = numbers.next_serial()
        case = Case(
            case_no=numbers.case_number(region_code=item.region.code, on=today, serial=serial),
            query_code=numbers.query_code(), item=item, version=version, region=item.region,
            department=item.department, centre_id=centre_id, applicant=applicant,
            intake_region=intake_region,
            created_by=actor if getattr(actor, "pk", None) else None, channel=channel,
            state=CaseState.DRAFT, form_data=data, created_at=now,
            is_instant=version.case_type == CaseType.INSTANT,
            limit_unit=item.basic.legal_limit_unit, legal_limit_days=item.basic.legal_limit,
            promised_limit_days=version.promised_limit,
        )
        # Every material of the checklist, in the catalogue's order.
        materials = [
            CaseMaterial(material_id=m.pk, sort_order=m.sort_order, name=m.name,
                         required=m.required, tolerable=m.tolerable)
            for m in version.materials.all()
        ]
        role = _("申请人") if channel == Channel.ONLINE else _role_label(actor, case)
        # The first event is made before the row is written, so that the case is inserted once
        # in its final state (no UPDATE right after the INSERT).
        notify = None
        if submit:
            event, notify = _submit(case, actor=actor, role=role, ip=ip, creating=True,
                                    materials=materials)
        else:
            event = _event(case, action=Action.CREATE, actor=actor, role=role, ip=ip,
                           data={"channel": channel, "version": version.number})
        case.save(force_insert=True)
        for row in materials:
            row.case = case
        CaseMaterial.objects.bulk_create(materials)
        event.case = case
        event.save(force_insert=True)
        if notify:
            _notify(case, event.seq, notify)
    return case


def _role_label(actor: Any, case: Case) -> str:
    """The role label a staff actor acts in on ``case`` (shown in the timeline)."""
    order = (Role.CHIEF, Role.DEPARTMENT_HEAD, Role.REVIEWER, Role.CLERK, Role.AGENT,
             Role.SUPERVISOR, Role.ADMIN)
    held = access.roles(actor)
    for role in order:
        if role in held:
            return str(role.label)
    return _("申请人")


def case_save_form(*, actor: Any, case: Case, form_data: dict[str, Any],
                   expected_version: int | None = None) -> Case:
    """Save the draft's form (partial data allowed; each value still checked)."""
    with transaction.atomic():
        case = _lock(case)
        _can_edit_application(actor, case)
        _expect_version(case, expected_version)
        check(case.state, Action.SAVE)
        case.form_data = clean_form_data(case.version.form_schema, form_data, complete=False)
        case.row_version += 1
        case.save(update_fields=["form_data", "row_version"])
    return case


def _can_edit_application(actor: Any, case: Case) -> None:
    if _is_owner(actor, case):
        return
    if case.channel != Channel.ONLINE and (access.can(
        actor, Perm.CASE_ACCEPT, region=case.region, department=case.department
    ) or at_intake(actor, case)):
        return
    # A proxy agent (代办员) prepares the application they started for a villager.
    if (case.channel == Channel.AGENT and case.created_by_id == getattr(actor, "pk", None)
            and access.has_any(actor, Perm.CASE_APPLY_AS_AGENT)):
        return
    raise NotFound(_("没有找到这个办件。"))


def case_attach_material(
    *, actor: Any, case: Case, material_id: int, upload: Upload
) -> CaseMaterial:
    """Upload one material (checked by content). Allowed while drafting and when asked for it."""
    with transaction.atomic():
        case = _lock(case)
        _can_edit_application(actor, case)
        check(case.state, Action.ATTACH)
        row = _material(case, material_id)
        if case.state != CaseState.DRAFT and row.status not in (
            CaseMaterialStatus.MISSING, CaseMaterialStatus.TOLERATED
        ):
            raise Conflict(_("这份材料现在不需要补正。"), code="material_not_requested")
        _store_upload(row, upload)
        if case.state == CaseState.DRAFT:
            row.status = CaseMaterialStatus.PROVIDED
        row.save()
        case.row_version += 1
        case.save(update_fields=["row_version"])
    return row


def reusable_sources(
    *, applicant: Applicant, name: str
) -> tuple[list[CaseMaterial], list[Certificate]]:
    """Earlier materials of the same name and valid certificates of the applicant (一套材料)."""
    earlier = list(
        CaseMaterial.objects.filter(
            case__applicant=applicant, name=name, sha256__gt="",
            status__in=[CaseMaterialStatus.VERIFIED, CaseMaterialStatus.PROVIDED],
            origin__in=[MaterialOrigin.UPLOAD, MaterialOrigin.REUSE],
        ).select_related("case").order_by("-provided_at")[:5]
    )
    certificates = list(
        Certificate.objects.filter(holder=applicant, revoked_at__isnull=True)
        .select_related("case").order_by("-issued_on")[:5]
    )
    return earlier, certificates


def case_reuse_material(*, actor: Any, case: Case, material_id: int,
                        source_material_id: int | None = None,
                        certificate_id: int | None = None) -> CaseMaterial:
    """Use a material handed in for an earlier case, or a certificate, instead of uploading."""
    with transaction.atomic():
        case = _lock(case)
        _can_edit_application(actor, case)
        check(case.state, Action.ATTACH)
        row = _material(case, material_id)
        if certificate_id:
            cert = Certificate.objects.filter(
                pk=certificate_id, holder=case.applicant, revoked_at__isnull=True
            ).first()
            if cert is None:
                raise _field_error("certificate", _("没有找到这份证照。"))
            row.origin, row.certificate, row.reused_from = MaterialOrigin.CERTIFICATE, cert, None
            row.file_name = f"{cert.name}（{cert.number}）"
            row.file, row.sha256, row.size, row.content_type = "", "", 0, ""
        else:
            src = CaseMaterial.objects.filter(
                pk=source_material_id or 0, case__applicant=case.applicant, sha256__gt=""
            ).exclude(case=case).first()
            if src is None:
                raise _field_error("source", _("没有找到可复用的材料。"))
            row.origin, row.reused_from, row.certificate = MaterialOrigin.REUSE, src, None
            row.file, row.file_name = src.file.name, src.file_name
            row.sha256, row.size, row.content_type = src.sha256, src.size, src.content_type
        row.provided_at = clock.now()
        if case.state == CaseState.DRAFT:
            row.status = CaseMaterialStatus.PROVIDED
        row.save()
        case.row_version += 1
        case.save(update_fields=["row_version"])
    return row


def _submit(case: Case, *, actor: Any, role: str, ip: str | None, creating: bool,
            materials: list[CaseMaterial] | None = None) -> tuple[CaseEvent, str]:
    """Check the application is complete and make the submit event (not saved); returns the
    event and the applicant's message."""
    if not creating:  # a new case's form was checked as complete a moment ago
        case.form_data = clean_form_data(case.version.form_schema, case.form_data, complete=True)
    if case.channel == Channel.ONLINE:
        missing = [
            m.name for m in (case.materials.all() if materials is None else materials)
            if m.required and not m.tolerable and not m.has_content
        ]
        if missing:
            raise ValidationFailed(
                _("还有必要材料未上传：%(names)s。") % {"names": "、".join(missing)},
                code="materials_missing",
                field_errors={"materials": [_("请上传：%(n)s") % {"n": "、".join(missing)}]},
            )
    now = clock.now()
    case.submitted_at = now
    case.received_on = timezone.localdate(now)
    check(CaseState.DRAFT, Action.SUBMIT)
    event = _event(case, action=Action.SUBMIT, actor=actor, role=role, ip=ip,
                   to_state=CaseState.SUBMITTED,
                   data={"channel": case.channel, "version": case.version.number,
                         "new": creating})
    return event, _("已提交，等待窗口受理。查询码：%(code)s") % {"code": case.query_code}


def case_submit(*, actor: Any, case: Case, ip: str | None = None,
                expected_version: int | None = None) -> Case:
    with transaction.atomic():
        case = _lock(case)
        _can_edit_application(actor, case)
        _expect_version(case, expected_version)
        check(case.state, Action.SUBMIT)
        role = _("申请人") if _is_owner(actor, case) else _role_label(actor, case)
        event, notify = _submit(case, actor=actor, role=role, ip=ip, creating=False)
        event.save(force_insert=True)
        case.save()
        _notify(case, event.seq, notify)
    return case


def case_withdraw(*, actor: Any, case: Case, reason: str = "") -> Case:
    with transaction.atomic():
        case = _lock(case)
        if not _is_owner(actor, case):
            raise NotFound(_("没有找到这个办件。"))
        check(case.state, Action.WITHDRAW)
        _record(case, action=Action.WITHDRAW, actor=actor, role=_("申请人"),
                to_state=CaseState.WITHDRAWN,
                data={"reason": _text(reason, "reason", required=False, limit=500)},
                notify=_("已撤回。"))
    return case


# --- the window: pre-review, acceptance, refusal, supplements ------------------------------------


def case_check_material(*, actor: Any, case: Case, material_id: int, verdict: str,
                        note: str = "") -> CaseMaterial:
    """核验材料: the clerk marks one material verified, missing, or not needed."""
    allowed = {CaseMaterialStatus.VERIFIED, CaseMaterialStatus.MISSING,
               CaseMaterialStatus.NOT_NEEDED}
    if verdict not in allowed:
        raise _field_error("verdict", _("核验结果应为已核验、需补正或无需提交。"))
    with transaction.atomic():
        case = _lock(case)
        _require_staff(actor, Perm.CASE_ACCEPT, case)
        check(case.state, Action.CHECK_MATERIAL)
        row = _material(case, material_id)
        if verdict == CaseMaterialStatus.NOT_NEEDED and row.required:
            raise _field_error("verdict", _("必要材料不能标记为无需提交。"))
        if verdict == CaseMaterialStatus.VERIFIED and not row.has_content:
            row.origin = MaterialOrigin.PAPER  # the paper original seen at the window
            row.provided_at = clock.now()
        row.status = verdict
        row.note = _text(note, "note", required=verdict == CaseMaterialStatus.MISSING, limit=500)
        row.save()
        _record(case, action=Action.CHECK_MATERIAL, actor=actor,
                role=_role_label(actor, case), public=False,
                data={"material": row.name, "verdict": verdict, "note": row.note})
    return row


def _supplement_window_closed(case: Case) -> bool:
    if case.received_on is None:
        return False
    cal = get_calendar()
    last = cal.add_workdays(case.received_on, SUPPLEMENT_NOTICE_WORKDAYS).date
    return clock.today() > last


def case_request_supplement(*, actor: Any, case: Case, materials: Sequence[dict[str, Any]],
                            other: str = "", expected_version: int | None = None) -> Notice:
    """补齐补正 before acceptance: one notice listing everything missing (一次性告知)."""
    with transaction.atomic():
        case = _lock(case)
        _require_staff(actor, Perm.CASE_ACCEPT, case)
        _expect_version(case, expected_version)
        check(case.state, Action.REQUEST_SUPPLEMENT)
        if _supplement_window_closed(case):
            raise Conflict(
                _("已超过收到材料后5个工作日的一次性告知期限，依法视为自收到材料之日起受理，"
                  "请直接受理后在审查中要求补正。"),
                code="notice_period_expired",
            )
        listed = _mark_missing(case, materials)
        other = _text(other, "other", required=False, limit=1000)
        if not listed and not other:
            raise _field_error("materials", _("请至少列出一项需要补正的材料或说明。"))
        case.supplement_requested_at = clock.now()
        notice = _issue_notice(case, NoticeKind.SUPPLEMENT, actor,
                               {"materials": listed, "other": other})
        _record(case, action=Action.REQUEST_SUPPLEMENT, actor=actor,
                role=_role_label(actor, case), to_state=CaseState.AWAITING_SUPPLEMENT,
                data={"materials": listed, "other": other, "notice": notice.number},
                notify=_("需要补正材料，请查看补正材料通知书（一次性告知）并补齐后提交。"))
    return notice


def _mark_missing(case: Case, materials: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    listed: list[dict[str, str]] = []
    rows = {m.pk: m for m in case.materials.all()}
    already = [m for m in rows.values() if m.status == CaseMaterialStatus.MISSING]
    chosen: dict[int, str] = {}
    for entry in materials:
        try:
            pk = int(entry.get("id") or entry.get("material") or 0)
        except (TypeError, ValueError):
            pk = 0
        if pk not in rows:
            raise _field_error("materials", _("所列材料不属于本办件。"))
        chosen[pk] = _text(entry.get("note"), "materials", required=False, limit=500)
    for m in already:
        chosen.setdefault(m.pk, m.note)
    for pk, note in chosen.items():
        row = rows[pk]
        row.status, row.note = CaseMaterialStatus.MISSING, note or _("请补正")
        row.save(update_fields=["status", "note"])
        listed.append({"name": row.name, "note": row.note})
    return listed


def case_supply(*, actor: Any, case: Case, ip: str | None = None) -> Case:
    """The applicant (or the window, for paper) hands in everything the notice asked for."""
    with transaction.atomic():
        case = _lock(case)
        _can_edit_application(actor, case)
        missing = [m for m in case.materials.all() if m.status == CaseMaterialStatus.MISSING]
        asked = case.supplement_requested_at
        still = [
            m.name for m in missing
            if not (m.provided_at and m.has_content and asked and m.provided_at >= asked)
        ]
        if still:
            raise ValidationFailed(
                _("还有材料未补正：%(n)s。") % {"n": "、".join(still)}, code="materials_missing",
                field_errors={"materials": [_("请补正：%(n)s") % {"n": "、".join(still)}]},
            )
        for m in missing:
            m.status = CaseMaterialStatus.PROVIDED
            m.save(update_fields=["status"])
        role = _("申请人") if _is_owner(actor, case) else _role_label(actor, case)
        if case.state == CaseState.SUSPENDED:
            _end_stop(case, actor=actor, role=role, result=_("申请人已补正材料"),
                      kind=StopKind.SUPPLEMENT)
            return case
        check(case.state, Action.SUPPLY)
        case.received_on = clock.today()  # the 5-day notice period starts again
        _record(case, action=Action.SUPPLY, actor=actor, role=role, ip=ip,
                to_state=CaseState.SUBMITTED, data={"materials": [m.name for m in missing]},
                notify=_("补正材料已收到，等待窗口受理。"))
    return case


def case_accept(*, actor: Any, case: Case, tolerated: Sequence[dict[str, Any]] = (),
                expected_version: int | None = None, deemed: bool = False) -> Case:
    """受理 (or 容缺受理 with ``tolerated`` = [{"id", "promised_by"}]): deadlines, tasks,
    the acceptance notice.
    """
    with transaction.atomic():
        case = _lock(case)
        if not deemed:
            _require_staff(actor, Perm.CASE_ACCEPT, case)
        _expect_version(case, expected_version)
        action = Action.DEEM_ACCEPTED if deemed else (
            Action.ACCEPT_TOLERANT if tolerated else Action.ACCEPT
        )
        check(case.state, action)
        promised = _apply_tolerance(case, tolerated)
        unverified = [
            m.name for m in case.materials.all()
            if m.required and m.status not in (
                CaseMaterialStatus.VERIFIED, CaseMaterialStatus.TOLERATED
            ) and not (deemed and m.has_content)
        ]
        if unverified:
            raise ValidationFailed(
                _("以下必要材料尚未核验：%(n)s。请逐项核验，或对可容缺材料选择容缺受理。")
                % {"n": "、".join(unverified)},
                code="materials_unverified",
                field_errors={"materials": [_("未核验：%(n)s") % {"n": "、".join(unverified)}]},
            )
        _start_clock(case, actor=actor, deemed=deemed or _supplement_window_closed(case))
        notice = _issue_notice(case, NoticeKind.ACCEPTANCE, actor)
        data: dict[str, Any] = {
            "notice": notice.number, "accepted_on": f"{case.accepted_on:%Y-%m-%d}",
            "legal_due": case.legal_due.isoformat() if case.legal_due else None,
            "promised_due": case.promised_due.isoformat() if case.promised_due else None,
            "deemed": case.deemed_accepted,
        }
        if promised:
            tol = _issue_notice(case, NoticeKind.TOLERANCE, actor, {"materials": promised})
            data.update(tolerated=promised, tolerance_notice=tol.number)
        role = _("系统") if deemed else _role_label(actor, case)
        _record(case, action=action, actor=actor, role=role, to_state=CaseState.IN_REVIEW,
                data=data,
                notify=_("已受理，承诺于%(d)s前办结。") % {"d": case.promised_due})
    return case


def _apply_tolerance(case: Case, tolerated: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    rows = {m.pk: m for m in case.materials.all()}
    promised: list[dict[str, str]] = []
    today = clock.today()
    for entry in tolerated:
        try:
            pk = int(entry.get("id") or 0)
        except (TypeError, ValueError):
            pk = 0
        row = rows.get(pk)
        if row is None:
            raise _field_error("tolerated", _("所列材料不属于本办件。"))
        if not row.tolerable:
            raise _field_error(
                "tolerated", _("“%(n)s”不在容缺材料清单内，不能容缺受理。") % {"n": row.name}
            )
        by = entry.get("promised_by")
        try:
            when = by if isinstance(by, dt.date) else dt.date.fromisoformat(str(by))
        except ValueError as exc:
            raise _field_error("tolerated", _("请填写承诺补交日期（YYYY-MM-DD）。")) from exc
        if when < today:
            raise _field_error("tolerated", _("承诺补交日期不能早于今天。"))
        row.status, row.promised_by = CaseMaterialStatus.TOLERATED, when
        row.save(update_fields=["status", "promised_by"])
        promised.append({"name": row.name, "promised_by": when.isoformat()})
    return promised


def _start_clock(case: Case, *, actor: Any, deemed: bool) -> None:
    now = clock.now()
    cal = get_calendar()
    case.accepted_at = now
    case.accepted_by = actor if getattr(actor, "pk", None) else None
    case.deemed_accepted = deemed
    case.accepted_on = (
        case.received_on if (deemed and case.received_on) else timezone.localdate(now)
    )
    deadlines.set_case_dues(case, cal)
    specs = process.steps_for(case.item, case.version)
    today = clock.today()
    # 绿色通道 (key projects and companies): every review task is marked and seen first.
    green = green_channel.is_green_channel(case.applicant_id, case.region)
    tasks = []
    for seq, spec in enumerate(specs, start=1):
        task = Task(case=case, seq=seq, name=spec.name, role=spec.role,
                    department_id=spec.department_id, limit_days=spec.limit_days,
                    green_channel=green)
        if seq == 1:
            task.state, task.started_on = TaskState.ACTIVE, today
            deadlines.set_task_due(task, cal)
        tasks.append(task)
    # 并联审批: every participating department gets its opinion task at once (抄告相关、同步审批),
    # on the same case and materials, with its own time limit.
    for i, p in enumerate(process.participants_for(case.item), start=1):
        task = Task(case=case, seq=OPINION_SEQ + i, kind=TaskKind.OPINION,
                    name=p.subject or _("并联审查意见"), role=Role.REVIEWER,
                    department_id=p.department_id, limit_days=p.limit_days,
                    deemed_consent=p.deemed_consent, state=TaskState.ACTIVE, started_on=today,
                    green_channel=green)
        deadlines.set_task_due(task, cal)
        tasks.append(task)
    Task.objects.bulk_create(tasks)


def case_refuse(*, actor: Any, case: Case, reason: str, refer_to: str = "",
                expected_version: int | None = None) -> Notice:
    """不予受理: a reason is required, and where to apply instead when it is not ours."""
    reason = _text(reason, "reason", required=True, limit=1000)
    refer_to = _text(refer_to, "refer_to", required=False, limit=300)
    with transaction.atomic():
        case = _lock(case)
        _require_staff(actor, Perm.CASE_ACCEPT, case)
        _expect_version(case, expected_version)
        check(case.state, Action.REFUSE)
        case.refusal_reason, case.refer_to = reason, refer_to
        notice = _issue_notice(case, NoticeKind.REFUSAL, actor,
                               {"reason": reason, "refer_to": refer_to})
        _record(case, action=Action.REFUSE, actor=actor, role=_role_label(actor, case),
                to_state=CaseState.REFUSED,
                data={"reason": reason, "refer_to": refer_to, "notice": notice.number},
                notify=_("不予受理，原因及救济途径见不予受理通知书。"))
    return notice


def cases_deem_accepted(*, batch: int = 500) -> int:
    """Job: accept cases whose 5-working-day notice period ran out (行政许可法 art. 32)."""
    cal = get_calendar()
    cutoff = cal.add_workdays(clock.today(), -SUPPLEMENT_NOTICE_WORKDAYS).date
    ids = list(
        Case.objects.filter(state=CaseState.SUBMITTED, received_on__lt=cutoff)
        .values_list("pk", flat=True)[:batch]
    )
    done = 0
    for pk in ids:
        try:
            case_accept(actor=None, case=Case(pk=pk), deemed=True)
        except (Conflict, ValidationFailed) as exc:
            logger.info("case %s not deemed accepted: %s", pk, exc)
            continue
        done += 1
    return done


# --- the chief representative ---------------------------------------------------------------------


def _authorised_on_spot(actor: Any, case: Case) -> bool:
    today = clock.today()
    return Authorisation.objects.filter(
        holder=actor, department=case.department, items=case.item, revoked_at__isnull=True,
        valid_from__lte=today, valid_to__gte=today,
    ).exists()


def case_decide_on_spot(*, actor: Any, case: Case, approve: bool = True, opinion: str = "",
                        delivery_method: str = DeliveryMethod.WINDOW,
                        expected_version: int | None = None) -> Case:
    """首席代表当场办结: an instant item within the chief's authorisation, in one visit."""
    opinion = _text(opinion, "opinion", required=not approve, limit=1000)
    with transaction.atomic():
        case = _lock(case)
        _require_staff(actor, Perm.CASE_DECIDE_ON_SPOT, case)
        _expect_version(case, expected_version)
        check(case.state, Action.DECIDE_ON_SPOT)
        if not case.is_instant:
            raise Conflict(_("只有即办件可以当场办结。"), code="not_instant")
        if not _authorised_on_spot(actor, case):
            raise PermissionDenied(
                _("您的首席代表授权不包括这个事项（或授权已过期、已撤销）。"),
                code="not_authorised",
            )
        unverified = [m.name for m in case.materials.all()
                      if m.required and m.status != CaseMaterialStatus.VERIFIED]
        if unverified:
            raise ValidationFailed(
                _("以下必要材料尚未核验：%(n)s。") % {"n": "、".join(unverified)},
                code="materials_unverified",
                field_errors={"materials": [_("未核验：%(n)s") % {"n": "、".join(unverified)}]},
            )
        now = clock.now()
        case.accepted_at, case.accepted_on, case.accepted_by = now, clock.today(), actor
        deadlines.set_case_dues(case)
        role = _role_label(actor, case)
        acceptance = _issue_notice(case, NoticeKind.ACCEPTANCE, actor)
        decision = _decide(case, actor=actor, approve=approve, reason=opinion)
        _record(case, action=Action.DECIDE_ON_SPOT, actor=actor, role=role,
                to_state=CaseState.DECIDED,
                data={"decision": case.decision, "opinion": opinion,
                      "notices": [acceptance.number, decision.number]})
        _deliver(case, actor=actor, role=role, method=delivery_method, tracking_no="",
                 identity_checked=True)
    return case


# --- the back office: tasks -------------------------------------------------------------------


def _lock_task(task: Task) -> tuple[Case, Task]:
    case = _lock(Case(pk=task.case_id))
    locked = Task.objects.select_for_update().select_related("department__region").get(pk=task.pk)
    return case, locked


def may_work_on(actor: Any, task: Task) -> bool:
    """Whether ``actor`` holds the task's role for its department (and region)."""
    region = task.department.region
    for grant in access.grants(actor):
        if grant.department_id == task.department_id and (
            grant.role == task.role or (grant.role == Role.CHIEF and task.role == Role.REVIEWER)
            or (task.kind == TaskKind.OPINION and grant.role == Role.DEPARTMENT_HEAD)
        ) and region.prefix.startswith(grant.region_prefix):
            return True
    return False


def _active_task(actor: Any, task: Task, case: Case, action: Action) -> None:
    check(case.state, action)
    if not may_work_on(actor, task):
        raise NotFound(_("没有找到这个任务。"))
    if task.state != TaskState.ACTIVE:
        raise Conflict(
            _("这个环节已办理（或尚未开始），可能已被其他人处理，请刷新后查看。"),
            code="task_not_active",
        )


def _finish(task: Task, *, actor: Any, outcome: str, opinion: str) -> None:
    task.state, task.finished_at, task.actor = TaskState.DONE, clock.now(), actor
    task.outcome, task.opinion = outcome, opinion
    task.save()


def _activate(case: Case, task: Task) -> None:
    task.state, task.started_on, task.stopped_days = TaskState.ACTIVE, clock.today(), 0
    task.finished_at, task.actor, task.outcome, task.opinion = None, None, "", ""
    deadlines.set_task_due(task)
    task.save()


def task_pass(*, actor: Any, task: Task, opinion: str = "") -> Task:
    """通过本环节: the next step becomes active (the last step decides instead)."""
    opinion = _text(opinion, "opinion", required=False)
    with transaction.atomic():
        case, task = _lock_task(task)
        _active_task(actor, task, case, Action.PASS)
        following = Task.objects.select_for_update().filter(case=case, seq__gt=task.seq,
                                                             kind=TaskKind.STEP)
        nxt = following.order_by("seq").first()
        if nxt is None:
            raise Conflict(_("这是最后一个环节，请作出准予或不予许可的决定。"), code="last_step")
        _finish(task, actor=actor, outcome="pass", opinion=opinion)
        _activate(case, nxt)
        _record(case, action=Action.PASS, actor=actor, role=_task_role(task),
                data={"step": task.name, "next": nxt.name, "opinion": opinion},
                notify=None)
    return nxt


def _task_role(task: Task) -> str:
    return str(Role(task.role).label)


def task_return(*, actor: Any, task: Task, to_seq: int, reason: str) -> Task:
    """退回 to an earlier step, with a reason; the steps between start over."""
    reason = _text(reason, "reason", required=True)
    with transaction.atomic():
        case, task = _lock_task(task)
        _active_task(actor, task, case, Action.RETURN)
        target = Task.objects.select_for_update().filter(case=case, seq=to_seq,
                                                          kind=TaskKind.STEP).first()
        if target is None or to_seq >= task.seq:
            raise _field_error("to_seq", _("只能退回到之前的环节。"))
        _finish(task, actor=actor, outcome="return", opinion=reason)
        Task.objects.filter(case=case, seq__gt=to_seq, kind=TaskKind.STEP).update(
            state=TaskState.PENDING, due=None)
        _activate(case, target)
        _record(case, action=Action.RETURN, actor=actor, role=_task_role(task),
                data={"step": task.name, "to": target.name, "reason": reason}, public=False)
    return target


def _stop_clock(case: Case, *, actor: Any, kind: str, reason: str, expected_days: int) -> ClockStop:
    today = clock.today()
    stop = ClockStop.objects.create(case=case, kind=kind, reason=reason, started_on=today,
                                    expected_days=expected_days, started_by=actor)
    case.clock_stopped_since = today
    return stop


def task_request_more(*, actor: Any, task: Task, materials: Sequence[dict[str, Any]],
                      other: str = "", days: int = 0) -> Notice:
    """审查中要求补正: the clock stops until the applicant supplies everything listed."""
    with transaction.atomic():
        case, task = _lock_task(task)
        _active_task(actor, task, case, Action.REQUEST_MORE)
        listed = _mark_missing(case, materials)
        other = _text(other, "other", required=False, limit=1000)
        if not listed and not other:
            raise _field_error("materials", _("请至少列出一项需要补正的材料或说明。"))
        case.supplement_requested_at = clock.now()
        _stop_clock(case, actor=actor, kind=StopKind.SUPPLEMENT,
                    reason=other or "、".join(m["name"] for m in listed), expected_days=days)
        notice = _issue_notice(case, NoticeKind.SUPPLEMENT, actor,
                               {"materials": listed, "other": other})
        _record(case, action=Action.REQUEST_MORE, actor=actor, role=_task_role(task),
                to_state=CaseState.SUSPENDED,
                data={"materials": listed, "other": other, "notice": notice.number},
                notify=_("审查中需要补正材料，办理时限暂停计算，请查看补正材料通知书。"))
    return notice


def task_start_special(*, actor: Any, task: Task, kind: str, reason: str,
                       expected_days: int) -> Notice:
    """启动特别程序 (听证、专家评审、现场勘查、检验检测 …): the clock stops; written notice."""
    if kind not in StopKind.values or kind == StopKind.SUPPLEMENT:
        raise _field_error("kind", _("请选择特别程序的种类。"))
    reason = _text(reason, "reason", required=True, limit=1000)
    if not isinstance(expected_days, int) or not 1 <= expected_days <= 365:
        raise _field_error("expected_days", _("预计所需时间应为 1 至 365 个工作日。"))
    with transaction.atomic():
        case, task = _lock_task(task)
        _active_task(actor, task, case, Action.START_SPECIAL)
        stop = _stop_clock(case, actor=actor, kind=kind, reason=reason,
                           expected_days=expected_days)
        notice = _issue_notice(case, NoticeKind.SPECIAL, actor, {
            "procedure": StopKind(kind).label, "reason": reason,
            "started_on": f"{stop.started_on:%Y-%m-%d}", "expected_days": expected_days,
        })
        _record(case, action=Action.START_SPECIAL, actor=actor, role=_task_role(task),
                to_state=CaseState.SUSPENDED,
                data={"procedure": kind, "reason": reason, "expected_days": expected_days,
                      "notice": notice.number},
                notify=_("进入%(p)s程序，所需时间不计入办理时限，请查看特别程序告知书。")
                % {"p": StopKind(kind).label})
    return notice


def _end_stop(case: Case, *, actor: Any, role: str, result: str, kind: str | None = None) -> None:
    stop = ClockStop.objects.select_for_update().filter(case=case, ended_on__isnull=True).first()
    if stop is None or (kind is not None and stop.kind != kind):
        raise Conflict(_("办件当前没有可以结束的暂停。"), code="no_open_stop")
    check(case.state, Action.RESUME)
    cal = get_calendar()
    today = clock.today()
    stop.ended_on, stop.result = today, result
    stop.days = deadlines.days_between(cal, stop.started_on, today, case.limit_unit)
    stop.save()
    case.stopped_days += stop.days
    case.clock_stopped_since = None
    deadlines.set_case_dues(case, cal)
    # Every running task's clock stood still too: the lead's step and parallel opinions.
    for task in Task.objects.select_for_update().filter(case=case, state=TaskState.ACTIVE):
        task.stopped_days += deadlines.days_between(cal, stop.started_on, today,
                                                    "workday")
        deadlines.set_task_due(task, cal)
        task.save(update_fields=["stopped_days", "due"])
    _record(case, action=Action.RESUME, actor=actor, role=role, to_state=CaseState.IN_REVIEW,
            data={"kind": stop.kind, "days": stop.days, "result": result,
                  "legal_due": case.legal_due.isoformat() if case.legal_due else None,
                  "promised_due": case.promised_due.isoformat() if case.promised_due else None},
            notify=_("恢复办理，办结日期顺延至%(d)s。") % {"d": case.promised_due})


def case_resume(*, actor: Any, case: Case, result: str) -> Case:
    """End a special procedure (its result recorded); the clock runs again."""
    result = _text(result, "result", required=True, limit=1000)
    with transaction.atomic():
        case = _lock(case)
        _require_staff(actor, Perm.CASE_REVIEW, case)
        _end_stop(case, actor=actor, role=_role_label(actor, case), result=result)
    return case


def case_extend(*, actor: Any, case: Case, days: int, reason: str) -> Notice:
    """延期: once, approved by the department head, up to the legal maximum; applicant told."""
    reason = _text(reason, "reason", required=True, limit=1000)
    if not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        message = _("延长期限应为 1 至 %(n)d 个工作日。") % {"n": MAX_EXTENSION_DAYS}
        raise _field_error("days", message)
    with transaction.atomic():
        case = _lock(case)
        if not any(g.role == Role.DEPARTMENT_HEAD and g.department_id == case.department_id
                   for g in access.grants(actor)):
            raise PermissionDenied(_("延期须经本部门负责人批准。"), code="head_required")
        check(case.state, Action.EXTEND)
        if case.extension_days:
            raise Conflict(_("本办件已延期一次，不能再次延期。"), code="already_extended")
        case.extension_days, case.extension_reason = days, reason
        deadlines.set_case_dues(case)
        notice = _issue_notice(case, NoticeKind.EXTENSION, actor, {"days": days, "reason": reason})
        _record(case, action=Action.EXTEND, actor=actor, role=str(Role.DEPARTMENT_HEAD.label),
                data={"days": days, "reason": reason, "notice": notice.number,
                      "legal_due": case.legal_due.isoformat() if case.legal_due else None},
                notify=_("经批准延期%(n)d个工作日，新的办结日期为%(d)s。")
                % {"n": days, "d": case.legal_due})
    return notice


# --- 并联审批: participants' opinions --------------------------------------------------------

#: Opinion tasks are numbered after the lead's steps (which never reach this many).
OPINION_SEQ = 100


def task_opinion(*, actor: Any, task: Task, agree: bool, opinion: str = "") -> Task:
    """A participating department's opinion: agree (conditions optional) or disagree (reasons
    required). The lead department sees it on the case and decides when all are in."""
    opinion = _text(opinion, "opinion", required=not agree, limit=MAX_REASON)
    with transaction.atomic():
        case, task = _lock_task(task)
        _active_task(actor, task, case, Action.OPINION)
        if task.kind != TaskKind.OPINION:
            raise Conflict(_("这是审批环节，不是并联审查意见，请使用通过、退回或决定。"),
                           code="not_an_opinion")
        _finish(task, actor=actor, outcome="agree" if agree else "disagree", opinion=opinion)
        _record(case, action=Action.OPINION, actor=actor, role=_task_role(task),
                data={"department": task.department.name, "subject": task.name,
                      "agree": agree, "opinion": opinion, "task": task.pk},
                public=False, notify=None)
    return task


def _close_opinions(case: Case, *, actor: Any, approve: bool) -> None:
    """Before the lead decides: every participant has answered, or its time is up — then it
    is closed as 超时默认同意 where configured, else flagged as given no opinion in time."""
    today = clock.today()
    waiting = list(Task.objects.select_for_update().select_related("department")
                   .filter(case=case, kind=TaskKind.OPINION, state=TaskState.ACTIVE)
                   .order_by("seq"))
    running = [t for t in waiting if t.due is None or t.due >= today]
    if running:
        names = "、".join(f"{t.department.name}（{t.due:%m月%d日}前）" if t.due
                         else t.department.name for t in running)
        raise Conflict(
            _("并联审批的参与部门尚未反馈意见：%(names)s。须待其意见，或其时限届满后再作决定。")
            % {"names": names}, code="opinions_pending")
    for t in waiting:
        outcome = "deemed_consent" if t.deemed_consent else "timed_out"
        note = _("时限届满未反馈意见，视为同意") if t.deemed_consent else _("时限届满未反馈意见")
        _finish(t, actor=None, outcome=outcome, opinion=str(note))
        _record(case, action=Action.OPINION_TIMEOUT, actor=actor, role=_("牵头部门"),
                data={"department": t.department.name, "subject": t.name,
                      "due": t.due.isoformat() if t.due else None,
                      "deemed_consent": t.deemed_consent, "task": t.pk},
                public=False, notify=None)
    if approve:
        against = list(Task.objects.select_related("department").filter(
            case=case, kind=TaskKind.OPINION, outcome="disagree"))
        if against:
            raise Conflict(
                _("参与部门不同意：%(names)s。不能准予许可，请依其意见作出不予许可决定，"
                  "或协调一致后由其重新出具意见。")
                % {"names": "、".join(t.department.name for t in against)},
                code="participant_disagrees")


def _decide(case: Case, *, actor: Any, approve: bool, reason: str) -> Notice:
    now = clock.now()
    case.decided_at = now
    case.decision = Decision.APPROVED if approve else Decision.DENIED
    case.decision_reason = reason
    extra: dict[str, Any] = {"reason": reason}
    cert_id: int | None = None
    if approve and case.version.result_name:
        cert = Certificate.objects.create(
            case=case, number=f"{case.region.code[:6]}{now:%Y}{numbers.next_serial():010d}",
            verify_code=numbers.verify_code(), name=case.version.result_name,
            holder=case.applicant, issued_on=timezone.localdate(now),
            content={"item": case.item.basic.name, "holder": case.applicant.name,
                     "department": case.department.name, "case_no": case.case_no},
        )
        extra.update(certificate_no=cert.number, certificate_name=cert.name)
        cert_id = cert.pk
    kind = NoticeKind.APPROVAL if approve else NoticeKind.DENIAL
    notice = _issue_notice(case, kind, actor, extra)
    if case.intake_region_id and case.intake_region_id != case.region_id:
        # The result flows back down to where the applicant will collect it.
        station = case.intake_region
        assert station is not None
        _send_hop(case, kind=HopKind.RETURN, actor=actor, from_region=case.region,
                  to_region=station, note=str(_("决定书及证照下送")))
    transaction.on_commit(lambda: case_decided.send(
        sender=Case, case_id=case.pk, approved=approve, certificate_id=cert_id))
    return notice


def task_decide(*, actor: Any, task: Task, approve: bool, reason: str = "") -> Notice:
    """准予 / 不予许可 at the last step; a denial needs its reasons (remedies are stated)."""
    reason = _text(reason, "reason", required=not approve, limit=MAX_REASON)
    with transaction.atomic():
        case, task = _lock_task(task)
        _active_task(actor, task, case, Action.APPROVE if approve else Action.DENY)
        if Task.objects.filter(case=case, seq__gt=task.seq, kind=TaskKind.STEP).exists():
            raise Conflict(_("还有后续环节，只有最后一个环节可以作出决定。"), code="not_last_step")
        blocked = guards.reasons_not_to_decide(case)
        if blocked:
            raise Conflict("；".join(blocked), code="not_ready_to_decide")
        _close_opinions(case, actor=actor, approve=approve)
        _finish(task, actor=actor, outcome="approve" if approve else "deny", opinion=reason)
        notice = _decide(case, actor=actor, approve=approve, reason=reason)
        _record(case, action=Action.APPROVE if approve else Action.DENY, actor=actor,
                role=_task_role(task), to_state=CaseState.DECIDED,
                data={"decision": case.decision, "reason": reason, "notice": notice.number},
                notify=_("已作出%(d)s决定，请查看决定书并按约定方式领取结果。")
                % {"d": _("准予许可") if approve else _("不予许可")})
    return notice


# --- 四级联动: hops between levels ---------------------------------------------------------------


def _hop_days(kind: str) -> int:
    if kind == HopKind.PRELIMINARY:
        return 20  # 行政许可法 art. 43: a lower level's preliminary review
    return int(getattr(settings, "ONEWINDOW_HOP_DAYS", 2))


def _send_hop(case: Case, *, kind: str, actor: Any, from_region: Region, to_region: Region,
              note: str) -> CaseHop:
    seq = (CaseHop.objects.filter(case=case).aggregate(m=Max("seq"))["m"] or 0) + 1
    days = _hop_days(kind)
    return CaseHop.objects.create(
        case=case, seq=seq, kind=kind, from_region=from_region, to_region=to_region,
        sent_at=clock.now(), sent_by=actor if getattr(actor, "pk", None) else None,
        limit_days=days, due=add_workdays(clock.today(), days).date, note=note)


def case_forward(*, actor: Any, case: Case, note: str = "", preliminary: bool = False) -> CaseHop:
    """The station that took the case in sends the accepted file (and paper materials) up to
    the item's level; with ``preliminary`` it has reviewed it first (20 working days)."""
    note = _text(note, "note", required=False, limit=500)
    with transaction.atomic():
        case = _lock(case)
        station = case.intake_region
        if station is None:
            raise Conflict(_("本办件由实施机关直接受理，无需转报。"), code="not_intake")
        if not at_intake(actor, case):
            raise PermissionDenied(_("只有就近受理的站点可以转报这个办件。"))
        check(case.state, Action.FORWARD)
        if CaseHop.objects.filter(case=case, kind__in=[HopKind.FORWARD, HopKind.PRELIMINARY]
                                  ).exists():
            raise Conflict(_("这个办件已经转报，请勿重复转报。"), code="already_forwarded")
        kind = HopKind.PRELIMINARY if preliminary else HopKind.FORWARD
        hop = _send_hop(case, kind=kind, actor=actor, from_region=station,
                        to_region=case.region, note=note)
        _record(case, action=Action.FORWARD, actor=actor, role=_role_label(actor, case),
                data={"hop": hop.seq, "kind": kind, "from": station.name,
                      "to": case.region.name, "due": hop.due.isoformat(), "note": note},
                notify=_("已由%(f)s转报%(t)s办理。") % {"f": station.name,
                                                     "t": case.region.name})
    return hop


def hop_receive(*, actor: Any, hop: CaseHop) -> CaseHop:
    """The other end confirms the file (or the result) arrived; late arrivals stay on record."""
    with transaction.atomic():
        case = _lock(Case(pk=hop.case_id))
        hop = CaseHop.objects.select_for_update().select_related("to_region").get(pk=hop.pk)
        if not access.can(actor, Perm.CASE_ACCEPT, region=hop.to_region):
            raise NotFound(_("没有找到这个流转件。"))
        if hop.received_at is not None:
            raise Conflict(_("这个流转件已经接收。"), code="already_received")
        check(case.state, Action.RECEIVE_HOP)
        hop.received_at, hop.received_by = clock.now(), actor
        hop.save(update_fields=["received_at", "received_by"])
        late = clock.today() > hop.due
        _record(case, action=Action.RECEIVE_HOP, actor=actor, role=_role_label(actor, case),
                data={"hop": hop.seq, "kind": hop.kind, "at": hop.to_region.name,
                      "late": late},
                notify=(_("办理结果已送达%(at)s，请到该处领取。") % {"at": hop.to_region.name}
                        if hop.kind == HopKind.RETURN else None))
    return hop


# --- delivery (统一出件) ------------------------------------------------------------------------


def case_supply_tolerated(*, actor: Any, case: Case, material_id: int,
                          upload: Upload | None = None) -> CaseMaterial:
    """补交容缺材料: online by the applicant, or as paper at the window."""
    with transaction.atomic():
        case = _lock(case)
        staff = access.can(actor, Perm.CASE_ACCEPT, region=case.region, department=case.department)
        if not (staff or _is_owner(actor, case)):
            raise NotFound(_("没有找到这个办件。"))
        check(case.state, Action.SUPPLY_TOLERATED)
        row = _material(case, material_id)
        if row.status != CaseMaterialStatus.TOLERATED:
            raise Conflict(_("这份材料不是容缺待补材料。"), code="not_tolerated")
        if upload is not None:
            _store_upload(row, upload)
        elif staff:
            row.origin, row.provided_at = MaterialOrigin.PAPER, clock.now()
        else:
            raise _field_error(f"materials.{row.pk}", _("请选择要上传的文件。"))
        row.status = CaseMaterialStatus.VERIFIED if staff else CaseMaterialStatus.PROVIDED
        row.save()
        role = _role_label(actor, case) if staff else _("申请人")
        _record(case, action=Action.SUPPLY_TOLERATED, actor=actor, role=role,
                data={"material": row.name})
    return row


def _deliver(case: Case, *, actor: Any, role: str, method: str, tracking_no: str,
             identity_checked: bool) -> None:
    if method not in DeliveryMethod.values:
        raise _field_error("method", _("请选择送达方式。"))
    if method == DeliveryMethod.POST and not tracking_no:
        raise _field_error("tracking_no", _("邮寄送达须填写快递单号。"))
    if method == DeliveryMethod.WINDOW and not identity_checked:
        raise _field_error("identity_checked", _("窗口领取须核验领取人身份。"))
    if case.decision == Decision.APPROVED:
        owed = [m.name for m in case.materials.all() if m.status == CaseMaterialStatus.TOLERATED]
        if owed:
            raise Conflict(
                _("容缺材料尚未补齐（%(n)s），补齐后方可出件。") % {"n": "、".join(owed)},
                code="tolerated_outstanding",
            )
    check(case.state, Action.DELIVER)
    now = clock.now()
    case.delivery_method, case.tracking_no = method, tracking_no
    case.delivered_at = case.completed_at = now
    notify = {
        DeliveryMethod.WINDOW: _("结果已在窗口领取，办件已办结。"),
        DeliveryMethod.POST: _("结果已寄出，快递单号 %(t)s。") % {"t": tracking_no},
        DeliveryMethod.ELECTRONIC: _("结果已电子送达，可在“我的办件”下载。"),
    }[DeliveryMethod(method)]
    _record(case, action=Action.DELIVER, actor=actor, role=role, to_state=CaseState.COMPLETED,
            data={"method": method, "tracking_no": tracking_no,
                  "identity_checked": identity_checked}, notify=notify)


def case_deliver(*, actor: Any, case: Case, method: str, tracking_no: str = "",
                 identity_checked: bool = False, expected_version: int | None = None) -> Case:
    """统一出件: at the window (identity checked), by post (tracking number) or electronically."""
    tracking_no = _text(tracking_no, "tracking_no", required=False, limit=40)
    with transaction.atomic():
        case = _lock(case)
        _require_staff(actor, Perm.CASE_ACCEPT, case)
        _expect_version(case, expected_version)
        _deliver(case, actor=actor, role=_role_label(actor, case), method=method,
                 tracking_no=tracking_no, identity_checked=identity_checked)
    return case


def active_tasks_of(case: Case) -> Iterable[Task]:
    return case.tasks.filter(state=TaskState.ACTIVE)


__all__ = [
    "Upload", "case_create", "case_save_form", "case_attach_material", "case_reuse_material",
    "case_submit", "case_withdraw", "case_check_material", "case_request_supplement",
    "case_supply", "case_accept", "case_refuse", "cases_deem_accepted", "case_decide_on_spot",
    "task_pass", "task_return", "task_request_more", "task_start_special", "case_resume",
    "case_extend", "task_decide", "case_supply_tolerated", "case_deliver", "reusable_sources",
    "may_work_on", "task_opinion", "case_forward", "hop_receive", "at_intake",
]
