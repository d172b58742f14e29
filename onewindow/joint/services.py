"""Joint site inspection (联合踏勘) and joint review meeting (联席会议): keyword-only functions,
one transaction each.

Inspection::

    lead schedules ──► scheduled ──(a department proposes another time)──► rescheduling
                          ▲   │                                                │
                          └───┼──────────── lead reschedules (invites reset) ◄─┘
                              │ time reached: each department records findings (+ photos)
                              ▼
                lead closes (every invited department recorded) ──► done: PDF on the case
    lead cancels (scheduled / rescheduling) ──► cancelled

If the item says so (:attr:`JointSettings.inspection_stops_clock`), scheduling starts the
site-inspection special procedure on the case (:func:`cases.services.task_start_special`,
the clock stops and the applicant is told in writing) and closing or cancelling resumes it
(:func:`cases.services.case_resume`); otherwise the case's clock keeps running.

Meeting: the lead convenes it (every parallel participant invited), conclusions are recorded
per department (by the lead or by the department itself) once the meeting time is reached, the
lead records the minutes and closes it when every department's conclusion is in (PDF minutes).

Every service checks who acts (:mod:`onewindow.joint.selectors`), validates everything before
writing, locks the row it changes and writes in-app notices to the people concerned through the
outbox. Errors are Chinese, field by field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts.models import RoleAssignment
from onewindow.cases import files
from onewindow.cases import services as case_services
from onewindow.cases.models import Case, ClockStop, StopKind
from onewindow.cases.services import Upload
from onewindow.cases.workflow import CaseState
from onewindow.core import clock
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.core.masking import mask_phone
from onewindow.joint import selectors
from onewindow.joint.models import (
    InspectionFinding,
    InspectionInvite,
    InspectionPhoto,
    JointInspection,
    JointMeeting,
    MeetingConclusion,
)
from onewindow.joint.workflow import (
    FindingConclusion,
    InspectionAction,
    InspectionState,
    InviteState,
    MeetingAction,
    MeetingConclusionKind,
    inspection_next,
    meeting_next,
)
from onewindow.notifications.models import Channel as NoteChannel
from onewindow.notifications.services import Message, notifications_enqueue
from onewindow.regions.models import Department
from onewindow.workdays.selectors import get_calendar

logger = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_PLACE = 200
MAX_NOTE = 500
#: An inspection or meeting is scheduled at most this far ahead.
MAX_AHEAD = dt.timedelta(days=180)
#: Photos per department's findings.
MAX_PHOTOS = 12
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})


def photo_max_bytes() -> int:
    return int(getattr(django_settings, "ONEWINDOW_JOINT_PHOTO_MAX_BYTES", 8 * 1024 * 1024))


# --- helpers ------------------------------------------------------------------------------------


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


def _text(value: str | None, field: str, *, required: bool, limit: int = MAX_TEXT,
          minimum: int = 0, missing: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        raise _field_error(field, missing or _("请填写此项。"))
    if text and len(text) < minimum:
        raise _field_error(field, _("请写清楚一些（至少 %(n)d 个字）。") % {"n": minimum})
    if len(text) > limit:
        raise _field_error(field, _("不能超过 %(n)d 个字。") % {"n": limit})
    return text


def _collect(errors: dict[str, list[str]], check: Any, *args: Any, **kw: Any) -> Any:
    """Run one field's check; its error goes into ``errors`` (all fields are reported)."""
    try:
        return check(*args, **kw)
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
        return None


def _future(value: Any, field: str) -> dt.datetime:
    """A time in the future and not too far ahead (aware; naive = local time)."""
    if not isinstance(value, dt.datetime):
        raise _field_error(field, _("请填写正确的日期和时间。"))
    when = timezone.make_aware(value) if timezone.is_naive(value) else value
    now = clock.now()
    if when <= now:
        raise _field_error(field, _("时间不能早于现在，请选择今后的日期和时间。"))
    if when > now + MAX_AHEAD:
        raise _field_error(field, _("时间不能晚于 %(d)s（最多提前 180 天安排）。")
                           % {"d": f"{timezone.localdate(now + MAX_AHEAD):%Y-%m-%d}"})
    return when


def _lock_case(case: Case) -> Case:
    locked = (Case.objects.select_for_update(of=("self",))
              .select_related("region", "department", "item__basic", "applicant")
              .filter(pk=case.pk).first())
    if locked is None:
        raise NotFound(_("没有找到这个办件。"))
    return locked


def _working(case: Case) -> None:
    if case.state not in selectors.WORKING_STATES:
        raise Conflict(
            _("办件当前状态为“%(s)s”，已不在审批中，不能再安排联合踏勘或联席会议。")
            % {"s": case.get_state_display()}, code="case_not_in_review")


def _require_lead(actor: Any, case: Case, departments: set[int]) -> None:
    """404 when ``actor`` may not see the case; 403 when they see it but do not lead it."""
    if not selectors.may_view(actor, case, departments):
        raise NotFound(_("没有找到这个办件。"))
    if not selectors.is_lead(actor, case):
        raise PermissionDenied(
            _("只有牵头部门当前审批环节的办理人可以安排、改期和形成记录。"), code="not_lead")


def _department_people(department_ids: set[int]) -> list[int]:
    return sorted(set(
        RoleAssignment.objects.filter(department_id__in=department_ids, is_active=True,
                                      role__in=list(selectors.DEPARTMENT_ROLES))
        .values_list("user_id", flat=True)))


def _notify_staff(user_ids: Sequence[int], *, subject: str, body: str, link: str,
                  key: str) -> None:
    notifications_enqueue(messages=[
        Message(channel=NoteChannel.IN_APP, user_id=uid, subject=subject, body=body, link=link,
                dedupe_key=f"{key}:{uid}")
        for uid in user_ids
    ])


def _notify_departments(department_ids: set[int], **kw: Any) -> None:
    _notify_staff(_department_people(department_ids), **kw)


def _notify_applicant(case: Case, *, text: str, key: str) -> None:
    """The applicant's site is inspected: tell them when, so that somebody is there."""
    body = _("【一窗通】您的办件 %(no)s（%(item)s）%(text)s") % {
        "no": case.case_no, "item": case.item.basic.name, "text": text}
    messages = [Message(channel=NoteChannel.SMS, phone=case.applicant.mobile, body=body,
                        dedupe_key=f"{key}:sms")]
    if case.applicant.user_id:
        messages.append(Message(channel=NoteChannel.IN_APP, user_id=case.applicant.user_id,
                                subject=_("联合踏勘"), body=body,
                                link=f"/my/cases/{case.case_no}/", dedupe_key=f"{key}:app"))
    notifications_enqueue(messages=messages)
    logger.info("joint: case %s applicant told (%s)", case.case_no,
                mask_phone(case.applicant.mobile))


def _at(value: dt.datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def _inspection_link(inspection: JointInspection) -> str:
    return f"/workbench/joint/inspections/{inspection.pk}/"


def _meeting_link(meeting: JointMeeting) -> str:
    return f"/workbench/joint/meetings/{meeting.pk}/"


def _lock_inspection(inspection: JointInspection) -> JointInspection:
    locked = (JointInspection.objects.select_for_update(of=("self",))
              .select_related("case", "department__region").filter(pk=inspection.pk).first())
    if locked is None:
        raise NotFound(_("没有找到这次联合踏勘。"), code="inspection_not_found")
    return locked


def _invited(inspection: JointInspection) -> list[InspectionInvite]:
    return list(InspectionInvite.objects.select_related("department__region")
                .filter(inspection=inspection).order_by("sort_order", "id"))


def _open_stop_is_ours(inspection: JointInspection) -> bool:
    return bool(inspection.stop_id and ClockStop.objects.filter(
        pk=inspection.stop_id, ended_on__isnull=True).exists())


def _expected_days(scheduled_at: dt.datetime) -> int:
    """Working days the special procedure is expected to take: until the inspection, plus the
    days the departments have to record their findings."""
    cal = get_calendar()
    today, day = clock.today(), timezone.localdate(scheduled_at)
    until = cal.workdays_between(today, day).days if day > today else 0
    return max(1, min(365, until + selectors.RECORD_WORKDAYS))


# --- inspection ---------------------------------------------------------------------------------


def inspection_schedule(*, actor: Any, case: Case, scheduled_at: Any, place: str,
                        purpose: str = "") -> JointInspection:
    """安排联合踏勘: invite every participant the item asks to inspect; stop the clock if the
    item says so."""
    with transaction.atomic():
        case = _lock_case(case)
        invitees = selectors.inspection_departments(case)
        _require_lead(actor, case, {t.department_id for t, _note in invitees})
        settings = selectors.settings_of(case)
        if settings is None or not settings.needs_inspection:
            raise Conflict(_("该事项未设置联合踏勘。"), code="inspection_not_configured")
        _working(case)
        errors: dict[str, list[str]] = {}
        when = _collect(errors, _future, scheduled_at, "scheduled_at")
        place = _collect(errors, _text, place, "place", required=True, limit=MAX_PLACE,
                         minimum=2, missing=_("请填写踏勘地点。"))
        purpose = _collect(errors, _text, purpose, "purpose", required=False)
        if errors:
            raise ValidationFailed(_("联合踏勘的安排有误，请按提示修改。"), field_errors=errors)
        if not invitees:
            raise Conflict(_("本办件没有需要参加踏勘的并联审批部门，请先在事项设置中指定。"),
                           code="no_invitees")
        if JointInspection.objects.filter(case=case, state__in=[
                InspectionState.SCHEDULED, InspectionState.RESCHEDULING]).exists():
            raise Conflict(_("本办件已有一次联合踏勘在进行，请在该次踏勘中改期。"),
                           code="inspection_open")
        stops = settings.inspection_stops_clock
        if stops and case.state != CaseState.IN_REVIEW:
            raise Conflict(
                _("办件当前已暂停计时（%(s)s），请恢复计时后再安排需要暂停计时的联合踏勘。")
                % {"s": case.get_state_display()}, code="clock_already_stopped")
        task = selectors.lead_task(case)
        assert task is not None
        count = JointInspection.objects.filter(case=case).count() + 1
        try:
            with transaction.atomic():
                inspection = JointInspection.objects.create(
                    number=f"{case.case_no}-KC{count}", case=case, department=task.department,
                    organiser=actor, scheduled_at=when, place=place, purpose=purpose,
                    stops_clock=stops, created_at=clock.now(),
                )
        except IntegrityError as exc:
            raise Conflict(_("本办件已有一次联合踏勘在进行，请刷新后查看。"),
                           code="inspection_open") from exc
        InspectionInvite.objects.bulk_create([
            InspectionInvite(inspection=inspection, department_id=t.department_id,
                             subject=note or t.name, sort_order=i)
            for i, (t, note) in enumerate(invitees, start=1)
        ])
        if stops:
            reason = _("联合踏勘：%(at)s 在%(place)s，%(n)d个部门参加") % {
                "at": _at(when), "place": place, "n": len(invitees)}
            notice = case_services.task_start_special(
                actor=actor, task=task, kind=StopKind.SITE_INSPECTION, reason=reason,
                expected_days=_expected_days(when))
            inspection.special_notice = notice
            inspection.stop = ClockStop.objects.get(case=case, ended_on__isnull=True)
            inspection.save(update_fields=["special_notice", "stop"])
        body = _("联合踏勘邀请：办件 %(no)s（%(item)s），%(at)s 在%(place)s。"
                 "请确认参加或提议改期。") % {
            "no": case.case_no, "item": case.item.basic.name, "at": _at(when), "place": place}
        _notify_departments({t.department_id for t, _n in invitees}, subject=_("联合踏勘邀请"),
                            body=body, link=_inspection_link(inspection),
                            key=f"joint:insp:{inspection.pk}:0")
        _notify_applicant(case, key=f"joint:insp:{inspection.pk}:0:applicant",
                          text=_("将于 %(at)s 在%(place)s进行联合踏勘，请安排人员到场配合。")
                          % {"at": _at(when), "place": place})
    return inspection


def invite_respond(*, actor: Any, invite: InspectionInvite, confirm: bool,
                   proposed_at: Any = None, note: str = "") -> InspectionInvite:
    """An invited department confirms, or proposes another time with its reason."""
    with transaction.atomic():
        inspection = _lock_inspection(invite.inspection)
        invite = InspectionInvite.objects.select_related("department__region").get(pk=invite.pk)
        invites = _invited(inspection)
        if not selectors.may_view(actor, inspection.case, {i.department_id for i in invites}):
            raise NotFound(_("没有找到这次联合踏勘。"), code="inspection_not_found")
        if not selectors.acts_for(actor, invite.department):
            raise PermissionDenied(_("只有受邀部门的审批人员可以回复邀请。"), code="not_invited")
        inspection_next(inspection.state, InspectionAction.RESPOND)
        if InspectionFinding.objects.filter(inspection=inspection,
                                            department=invite.department).exists():
            raise Conflict(_("本部门已记录踏勘意见，不能再更改回复。"), code="already_recorded")
        if confirm:
            note = _text(note, "note", required=False, limit=MAX_NOTE)
            invite.state, invite.proposed_at = InviteState.CONFIRMED, None
        else:
            errors: dict[str, list[str]] = {}
            when = _collect(errors, _future, proposed_at, "proposed_at")
            if when is not None and when == inspection.scheduled_at:
                errors["proposed_at"] = [_("提议的时间与现定时间相同。")]
            note = _collect(errors, _text, note, "note", required=True, limit=MAX_NOTE,
                            minimum=4, missing=_("请说明不能按时参加的理由。"))
            if errors:
                raise ValidationFailed(_("提议改期须填写新的时间和理由。"), field_errors=errors)
            if InspectionFinding.objects.filter(inspection=inspection).exists():
                raise Conflict(_("踏勘已开始记录意见，不能再提议改期。"), code="already_started")
            invite.state, invite.proposed_at = InviteState.PROPOSED_OTHER, when
        invite.note, invite.responded_by, invite.responded_at = note, actor, clock.now()
        invite.save(update_fields=["state", "proposed_at", "note", "responded_by",
                                   "responded_at"])
        states = {i.pk: i.state for i in invites} | {invite.pk: invite.state}
        before = inspection.state
        inspection.state = (InspectionState.RESCHEDULING
                            if InviteState.PROPOSED_OTHER in states.values()
                            else InspectionState.SCHEDULED)
        if inspection.state != before:
            inspection.save(update_fields=["state"])
        if not confirm and inspection.organiser_id:
            _notify_staff([inspection.organiser_id], subject=_("联合踏勘提议改期"),
                          body=_("%(dep)s提议将联合踏勘 %(no)s 改到 %(at)s：%(why)s") % {
                              "dep": invite.department.name, "no": inspection.number,
                              "at": _at(invite.proposed_at or inspection.scheduled_at),
                              "why": note},
                          link=_inspection_link(inspection),
                          key=f"joint:insp:{inspection.pk}:propose:{invite.pk}:"
                              f"{len(inspection.reschedules)}")
    return invite


def inspection_reschedule(*, actor: Any, inspection: JointInspection, scheduled_at: Any,
                          place: str = "", reason: str = "") -> JointInspection:
    """改期: a new time (and place); every invite starts again from 待确认."""
    with transaction.atomic():
        case = _lock_case(inspection.case)
        inspection = _lock_inspection(inspection)
        invites = _invited(inspection)
        _require_lead(actor, case, {i.department_id for i in invites})
        inspection_next(inspection.state, InspectionAction.RESCHEDULE)
        if InspectionFinding.objects.filter(inspection=inspection).exists():
            raise Conflict(
                _("已有部门记录了踏勘意见，不能再改期；如需重新踏勘，请取消后重新安排。"),
                code="already_started")
        errors: dict[str, list[str]] = {}
        when = _collect(errors, _future, scheduled_at, "scheduled_at")
        new_place = _collect(errors, _text, place, "place", required=False, limit=MAX_PLACE)
        reason = _collect(errors, _text, reason, "reason", required=False, limit=MAX_NOTE)
        if errors:
            raise ValidationFailed(_("改期的时间或地点有误，请按提示修改。"), field_errors=errors)
        proposals = [f"{i.department.name}：{i.note}" for i in invites
                     if i.state == InviteState.PROPOSED_OTHER]
        inspection.reschedules = [*inspection.reschedules, {
            "from": _at(inspection.scheduled_at), "to": _at(when),
            "place": new_place or inspection.place,
            "reason": reason or "；".join(proposals), "by": actor.pk,
            "at": clock.now().isoformat(),
        }]
        inspection.scheduled_at = when
        inspection.place = new_place or inspection.place
        inspection.state = inspection_next(inspection.state, InspectionAction.RESCHEDULE)
        inspection.save(update_fields=["reschedules", "scheduled_at", "place", "state"])
        InspectionInvite.objects.filter(inspection=inspection).update(
            state=InviteState.INVITED, proposed_at=None, note="", responded_by=None,
            responded_at=None)
        n = len(inspection.reschedules)
        _notify_departments({i.department_id for i in invites}, subject=_("联合踏勘改期"),
                            body=_("联合踏勘 %(no)s 改期至 %(at)s 在%(place)s，请重新确认。") % {
                                "no": inspection.number, "at": _at(when),
                                "place": inspection.place},
                            link=_inspection_link(inspection),
                            key=f"joint:insp:{inspection.pk}:{n}")
        _notify_applicant(case, key=f"joint:insp:{inspection.pk}:{n}:applicant",
                          text=_("联合踏勘改期至 %(at)s 在%(place)s进行，请安排人员到场配合。")
                          % {"at": _at(when), "place": inspection.place})
    return inspection


def _check_photos(photos: Sequence[Upload], already: int) -> list[tuple[Upload, files.Inspected]]:
    if already + len(photos) > MAX_PHOTOS:
        raise _field_error("photos", _("每个部门最多上传 %(n)d 张照片（已有 %(k)d 张）。")
                           % {"n": MAX_PHOTOS, "k": already})
    checked = []
    limit = photo_max_bytes()
    for upload in photos:
        name = (upload.name or "").strip()[:200] or _("照片")
        if len(upload.data) > limit:
            raise _field_error("photos", _("照片“%(f)s”超过 %(mb)d MB，请压缩后再上传。")
                               % {"f": name, "mb": limit // (1024 * 1024)})
        try:
            info = files.inspect(upload.data, field="photos")
        except ValidationFailed as exc:
            raise _field_error("photos", _("照片“%(f)s”：%(m)s") % {"f": name, "m": exc.message}
                               ) from exc
        if info.content_type not in PHOTO_TYPES:
            raise _field_error("photos", _("照片“%(f)s”不是 JPG 或 PNG 图片（按文件内容识别）。")
                               % {"f": name})
        checked.append((upload, info))
    return checked


def finding_record(*, actor: Any, inspection: JointInspection, department: Department,
                   findings: str, conclusion: str,
                   photos: Sequence[Upload] = ()) -> InspectionFinding:
    """记录踏勘意见: one department's findings and conclusion, with photos; may be updated (and
    photos added) until the record is closed."""
    with transaction.atomic():
        inspection = _lock_inspection(inspection)
        invites = _invited(inspection)
        invited = {i.department_id for i in invites}
        if not selectors.may_view(actor, inspection.case, invited):
            raise NotFound(_("没有找到这次联合踏勘。"), code="inspection_not_found")
        if department.pk not in invited | {inspection.department_id}:
            raise _field_error("department", _("这个部门没有受邀参加本次踏勘。"))
        if not selectors.acts_for(actor, department):
            raise PermissionDenied(_("只能记录本部门的踏勘意见。"), code="not_your_department")
        inspection_next(inspection.state, InspectionAction.RECORD)
        if clock.now() < inspection.scheduled_at:
            raise Conflict(_("踏勘时间（%(at)s）还没到，踏勘后再记录意见。")
                           % {"at": _at(inspection.scheduled_at)}, code="not_yet_held")
        existing = InspectionFinding.objects.filter(inspection=inspection,
                                                    department=department).first()
        errors: dict[str, list[str]] = {}
        findings = _collect(errors, _text, findings, "findings", required=True, minimum=4,
                            missing=_("请填写本部门的踏勘情况。"))
        if conclusion not in FindingConclusion.values:
            errors["conclusion"] = [_("请选择踏勘结论：符合要求、整改后符合或不符合要求。")]
        checked = _collect(errors, _check_photos, photos,
                           existing.photos.count() if existing else 0) or []
        if errors:
            raise ValidationFailed(_("踏勘意见填写有误，请按提示修改。"), field_errors=errors)
        now = clock.now()
        if existing is None:
            finding = InspectionFinding.objects.create(
                inspection=inspection, department=department, findings=findings,
                conclusion=conclusion, recorded_by=actor, recorded_at=now)
        else:
            finding = existing
            finding.findings, finding.conclusion = findings, conclusion
            finding.recorded_by, finding.recorded_at = actor, now
            finding.save(update_fields=["findings", "conclusion", "recorded_by", "recorded_at"])
        for upload, info in checked:
            photo = InspectionPhoto(finding=finding, file_name=(upload.name or "").strip()[:200],
                                    content_type=info.content_type, size=info.size,
                                    sha256=info.sha256, uploaded_by=actor, uploaded_at=now)
            photo.image.save(f"{info.sha256[:16]}.{info.extension}", ContentFile(upload.data),
                             save=False)
            photo.save()
        have = set(InspectionFinding.objects.filter(inspection=inspection)
                   .values_list("department_id", flat=True))
        if existing is None and invited <= have and inspection.organiser_id:
            _notify_staff([inspection.organiser_id], subject=_("踏勘意见已齐全"),
                          body=_("联合踏勘 %(no)s 的各部门意见已齐全，请形成踏勘记录。")
                          % {"no": inspection.number}, link=_inspection_link(inspection),
                          key=f"joint:insp:{inspection.pk}:complete")
    return finding


def photo_remove(*, actor: Any, photo: InspectionPhoto) -> None:
    """Remove a photo of one's own department before the record is closed."""
    with transaction.atomic():
        finding = InspectionFinding.objects.select_related("department__region").get(
            pk=photo.finding_id)
        inspection = _lock_inspection(JointInspection(pk=finding.inspection_id))
        if not selectors.acts_for(actor, finding.department):
            raise PermissionDenied(_("只能删除本部门上传的照片。"), code="not_your_department")
        inspection_next(inspection.state, InspectionAction.RECORD)
        row = InspectionPhoto.objects.filter(pk=photo.pk, finding=finding).first()
        if row is None:
            raise NotFound(_("没有找到这张照片。"), code="photo_not_found")
        name = row.image.name
        row.delete()
    if name:
        transaction.on_commit(lambda: row.image.storage.delete(name))


def _store_record(obj: JointInspection | JointMeeting, pdf: bytes) -> None:
    digest = hashlib.sha256(pdf).hexdigest()
    obj.record.save(f"{obj.number}-{digest[:8]}.pdf", ContentFile(pdf), save=False)
    obj.record_sha256, obj.record_size = digest, len(pdf)


def inspection_close(*, actor: Any, inspection: JointInspection, summary: str
                     ) -> JointInspection:
    """形成踏勘记录: every invited department has recorded findings; the record is frozen as a
    PDF attached to the case, and a stopped clock runs again."""
    from onewindow.joint import pdf as joint_pdf

    with transaction.atomic():
        case = _lock_case(inspection.case)
        inspection = _lock_inspection(inspection)
        invites = _invited(inspection)
        _require_lead(actor, case, {i.department_id for i in invites})
        inspection_next(inspection.state, InspectionAction.CLOSE)
        have = set(InspectionFinding.objects.filter(inspection=inspection)
                   .values_list("department_id", flat=True))
        missing = [i.department.name for i in invites if i.department_id not in have]
        if missing:
            raise Conflict(_("以下部门尚未记录踏勘意见：%(n)s。各部门意见齐全后才能形成踏勘记录。")
                           % {"n": "、".join(missing)}, code="findings_missing")
        summary = _text(summary, "summary", required=True, minimum=4)
        inspection.state = inspection_next(inspection.state, InspectionAction.CLOSE)
        inspection.summary, inspection.closed_at, inspection.closed_by = summary, clock.now(), actor
        inspection.case = case
        _store_record(inspection, joint_pdf.render_inspection(inspection))
        inspection.save(update_fields=["state", "summary", "closed_at", "closed_by", "record",
                                       "record_sha256", "record_size"])
        if _open_stop_is_ours(inspection):
            case_services.case_resume(actor=actor, case=case,
                                      result=(_("联合踏勘已完成：") + summary)[:1000])
        _notify_departments({i.department_id for i in invites}, subject=_("踏勘记录已形成"),
                            body=_("联合踏勘 %(no)s 的踏勘记录已形成并归入办件 %(c)s。")
                            % {"no": inspection.number, "c": case.case_no},
                            link=_inspection_link(inspection),
                            key=f"joint:insp:{inspection.pk}:done")
    return inspection


def inspection_cancel(*, actor: Any, inspection: JointInspection, reason: str
                      ) -> JointInspection:
    """取消踏勘 (with a reason); a stopped clock runs again."""
    with transaction.atomic():
        case = _lock_case(inspection.case)
        inspection = _lock_inspection(inspection)
        invites = _invited(inspection)
        _require_lead(actor, case, {i.department_id for i in invites})
        inspection_next(inspection.state, InspectionAction.CANCEL)
        reason = _text(reason, "reason", required=True, limit=MAX_NOTE, minimum=4)
        inspection.state = inspection_next(inspection.state, InspectionAction.CANCEL)
        inspection.cancel_reason, inspection.closed_at, inspection.closed_by = (
            reason, clock.now(), actor)
        inspection.save(update_fields=["state", "cancel_reason", "closed_at", "closed_by"])
        if _open_stop_is_ours(inspection):
            case_services.case_resume(actor=actor, case=case,
                                      result=(_("联合踏勘取消：") + reason)[:1000])
        _notify_departments({i.department_id for i in invites}, subject=_("联合踏勘取消"),
                            body=_("联合踏勘 %(no)s 已取消：%(r)s") % {
                                "no": inspection.number, "r": reason},
                            link=_inspection_link(inspection),
                            key=f"joint:insp:{inspection.pk}:cancel")
        _notify_applicant(case, key=f"joint:insp:{inspection.pk}:cancel:applicant",
                          text=_("原定的联合踏勘已取消。"))
    return inspection


# --- meeting ------------------------------------------------------------------------------------


def meeting_convene(*, actor: Any, case: Case, held_at: Any, place: str,
                    topic: str = "") -> JointMeeting:
    """召集联席会议: every parallel participant of the case is invited."""
    with transaction.atomic():
        case = _lock_case(case)
        participants = selectors.participant_departments(case)
        _require_lead(actor, case, {t.department_id for t in participants})
        settings = selectors.settings_of(case)
        if settings is None or not settings.needs_meeting:
            raise Conflict(_("该事项未设置联席会议。"), code="meeting_not_configured")
        _working(case)
        errors: dict[str, list[str]] = {}
        when = _collect(errors, _future, held_at, "held_at")
        place = _collect(errors, _text, place, "place", required=True, limit=MAX_PLACE,
                         minimum=2, missing=_("请填写会议地点。"))
        topic = _collect(errors, _text, topic, "topic", required=False)
        if errors:
            raise ValidationFailed(_("会议安排有误，请按提示修改。"), field_errors=errors)
        if not participants:
            raise Conflict(_("本办件没有并联审批部门，无需召开联席会议。"), code="no_participants")
        task = selectors.lead_task(case)
        assert task is not None
        count = JointMeeting.objects.filter(case=case).count() + 1
        try:
            with transaction.atomic():
                meeting = JointMeeting.objects.create(
                    number=f"{case.case_no}-HY{count}", case=case, department=task.department,
                    convened_by=actor, held_at=when, place=place, topic=topic,
                    created_at=clock.now())
        except IntegrityError as exc:
            raise Conflict(_("本办件已召集了一次联席会议，请在该次会议中记录。"),
                           code="meeting_open") from exc
        MeetingConclusion.objects.bulk_create([
            MeetingConclusion(meeting=meeting, department_id=t.department_id, sort_order=i)
            for i, t in enumerate(participants, start=1)
        ])
        _notify_departments({t.department_id for t in participants}, subject=_("联席会议通知"),
                            body=_("联席会议：办件 %(no)s（%(item)s），%(at)s 在%(place)s集中会审，"
                                   "请派员参加并提出本部门结论。") % {
                                "no": case.case_no, "item": case.item.basic.name,
                                "at": _at(when), "place": place},
                            link=_meeting_link(meeting), key=f"joint:meet:{meeting.pk}:0")
    return meeting


def _lock_meeting(meeting: JointMeeting) -> JointMeeting:
    locked = (JointMeeting.objects.select_for_update(of=("self",))
              .select_related("case", "department").filter(pk=meeting.pk).first())
    if locked is None:
        raise NotFound(_("没有找到这次联席会议。"), code="meeting_not_found")
    return locked


def _conclusions(meeting: JointMeeting) -> list[MeetingConclusion]:
    return list(MeetingConclusion.objects.select_related("department__region")
                .filter(meeting=meeting).order_by("sort_order", "id"))


def _held(meeting: JointMeeting) -> None:
    if clock.now() < meeting.held_at:
        raise Conflict(_("会议时间（%(at)s）还没到，会后再记录。") % {"at": _at(meeting.held_at)},
                       code="not_yet_held")


def meeting_conclude(*, actor: Any, meeting: JointMeeting, department: Department,
                     conclusion: str, text: str = "") -> MeetingConclusion:
    """A department's conclusion (agree / conditional / disagree; reasons required for the
    latter two), recorded by the lead or by the department itself."""
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        rows = _conclusions(meeting)
        if not selectors.may_view(actor, meeting.case, {c.department_id for c in rows}):
            raise NotFound(_("没有找到这次联席会议。"), code="meeting_not_found")
        row = next((c for c in rows if c.department_id == department.pk), None)
        if row is None:
            raise _field_error("department", _("这个部门没有受邀参加本次会议。"))
        if not (selectors.acts_for(actor, department) or selectors.is_lead(actor, meeting.case)):
            raise PermissionDenied(_("只能由牵头部门或该部门记录会审结论。"),
                                   code="not_your_department")
        meeting_next(meeting.state, MeetingAction.CONCLUDE)
        _held(meeting)
        errors: dict[str, list[str]] = {}
        if conclusion not in (MeetingConclusionKind.AGREE, MeetingConclusionKind.CONDITIONAL,
                              MeetingConclusionKind.DISAGREE):
            errors["conclusion"] = [_("请选择结论：同意、附条件同意或不同意。")]
        text = _collect(errors, _text, text, "text", required=conclusion in (
            MeetingConclusionKind.CONDITIONAL, MeetingConclusionKind.DISAGREE),
            missing=_("附条件同意须写明条件，不同意须写明理由。"))
        if errors:
            raise ValidationFailed(_("会审结论填写有误，请按提示修改。"), field_errors=errors)
        row.conclusion, row.text = conclusion, text
        row.recorded_by, row.recorded_at = actor, clock.now()
        row.save(update_fields=["conclusion", "text", "recorded_by", "recorded_at"])
    return row


def meeting_record_minutes(*, actor: Any, meeting: JointMeeting, minutes: str) -> JointMeeting:
    """Save the minutes (the lead; after the meeting started)."""
    with transaction.atomic():
        case = _lock_case(meeting.case)
        meeting = _lock_meeting(meeting)
        _require_lead(actor, case, {c.department_id for c in _conclusions(meeting)})
        meeting_next(meeting.state, MeetingAction.MINUTES)
        _held(meeting)
        meeting.minutes = _text(minutes, "minutes", required=True, limit=10_000, minimum=10)
        meeting.save(update_fields=["minutes"])
    return meeting


def meeting_close(*, actor: Any, meeting: JointMeeting, minutes: str | None = None
                  ) -> JointMeeting:
    """形成会议纪要: minutes and every department's conclusion are in; frozen as a PDF."""
    from onewindow.joint import pdf as joint_pdf

    with transaction.atomic():
        case = _lock_case(meeting.case)
        meeting = _lock_meeting(meeting)
        rows = _conclusions(meeting)
        _require_lead(actor, case, {c.department_id for c in rows})
        meeting_next(meeting.state, MeetingAction.CLOSE)
        _held(meeting)
        if minutes is not None:
            meeting.minutes = _text(minutes, "minutes", required=True, limit=10_000, minimum=10)
        if not meeting.minutes.strip():
            raise _field_error("minutes", _("请填写会议纪要。"))
        missing = [c.department.name for c in rows
                   if c.conclusion == MeetingConclusionKind.PENDING]
        if missing:
            raise Conflict(_("以下部门的会审结论尚未记录：%(n)s。") % {"n": "、".join(missing)},
                           code="conclusions_missing")
        meeting.state = meeting_next(meeting.state, MeetingAction.CLOSE)
        meeting.closed_at, meeting.closed_by = clock.now(), actor
        meeting.case = case
        _store_record(meeting, joint_pdf.render_meeting(meeting))
        meeting.save(update_fields=["minutes", "state", "closed_at", "closed_by", "record",
                                    "record_sha256", "record_size"])
        _notify_departments({c.department_id for c in rows}, subject=_("会议纪要已形成"),
                            body=_("联席会议 %(no)s 的会议纪要已形成并归入办件 %(c)s。")
                            % {"no": meeting.number, "c": case.case_no},
                            link=_meeting_link(meeting), key=f"joint:meet:{meeting.pk}:done")
    return meeting


def meeting_cancel(*, actor: Any, meeting: JointMeeting, reason: str) -> JointMeeting:
    with transaction.atomic():
        case = _lock_case(meeting.case)
        meeting = _lock_meeting(meeting)
        rows = _conclusions(meeting)
        _require_lead(actor, case, {c.department_id for c in rows})
        meeting_next(meeting.state, MeetingAction.CANCEL)
        reason = _text(reason, "reason", required=True, limit=MAX_NOTE, minimum=4)
        meeting.state = meeting_next(meeting.state, MeetingAction.CANCEL)
        meeting.cancel_reason, meeting.closed_at, meeting.closed_by = reason, clock.now(), actor
        meeting.save(update_fields=["state", "cancel_reason", "closed_at", "closed_by"])
        _notify_departments({c.department_id for c in rows}, subject=_("联席会议取消"),
                            body=_("联席会议 %(no)s 已取消：%(r)s") % {
                                "no": meeting.number, "r": reason},
                            link=_meeting_link(meeting), key=f"joint:meet:{meeting.pk}:cancel")
    return meeting


__all__ = [
    "Upload", "inspection_schedule", "invite_respond", "inspection_reschedule", "finding_record",
    "photo_remove", "inspection_close", "inspection_cancel", "meeting_convene",
    "meeting_conclude", "meeting_record_minutes", "meeting_close", "meeting_cancel",
]
