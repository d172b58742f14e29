"""Writes of 重点项目 · 一企一档 · 企忧档案: plain functions, keyword-only, one transaction each.

Who may do what (see :mod:`onewindow.enterprise.selectors` for reading):

- open a file, designate key companies / projects, set liaison departments, appoint and
  relieve secretaries, assign and re-assign concerns — ``enterprise.manage`` over the region;
- record a visit and the concerns raised in it, or a concern raised directly — the office,
  the file's secretary, or staff of a liaison department (for their department);
- assign a concern just recorded (state 待交办) — also the department that recorded it;
- progress, resolve (办结) or explain (解释说明, a reason is required) — the assigned
  department's staff, or the office; follow-up notes (跟踪记录) — also the secretary;
- the company's satisfaction after closing — the office, the secretary, the recording or
  assigned department.

Deadlines count working days (``onewindow.workdays``), ``ONEWINDOW_CONCERN_DAYS`` (default 10)
from the day a concern is recorded; re-assigning may set a new limit from that day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import ROLE_PERMISSIONS, Perm
from onewindow.accounts.models import Applicant, ApplicantKind, RoleAssignment
from onewindow.core import clock
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.core.masking import mask_text
from onewindow.enterprise import selectors
from onewindow.enterprise.models import (
    Concern,
    ConcernCategory,
    ConcernEvent,
    ConcernSource,
    EnterpriseFile,
    EnterpriseVisit,
    KeyProject,
    Liaison,
    ProjectStage,
    Satisfaction,
    SecretaryAssignment,
    SecretaryRole,
)
from onewindow.enterprise.workflow import OPEN_STATES, ConcernAction, ConcernState, next_state
from onewindow.notifications.models import Channel as NoteChannel
from onewindow.notifications.services import Message, notifications_enqueue
from onewindow.regions.models import Department, Region
from onewindow.workdays.selectors import add_workdays

logger = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_DAYS = 60


def concern_days() -> int:
    """Working days to handle a concern (``ONEWINDOW_CONCERN_DAYS``, default 10)."""
    return int(getattr(settings, "ONEWINDOW_CONCERN_DAYS", 10))


# --- helpers -------------------------------------------------------------------------------------


def _field(name: str, message: str, code: str = "validation_failed") -> ValidationFailed:
    return ValidationFailed(message, code=code, field_errors={name: [message]})


def _text(value: Any, name: str, *, required: bool, limit: int, min_len: int = 0) -> str:
    text = str(value or "").replace("\x00", "").strip()
    if required and not text:
        raise _field(name, _("请填写此项。"))
    if text and len(text) < min_len:
        raise _field(name, _("请至少填写 %(n)d 个字。") % {"n": min_len})
    if len(text) > limit:
        raise _field(name, _("内容不能超过 %(n)d 个字。") % {"n": limit})
    return text


def _choice(value: Any, name: str, choices: Iterable[str], message: str) -> str:
    if value not in set(choices):
        raise _field(name, message)
    return str(value)


def _days(value: Any, name: str = "days") -> int:
    if value in (None, ""):
        return concern_days()
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise _field(name, _("办理期限应为 1 至 %(n)d 个工作日。") % {"n": MAX_DAYS})
    return days


def _collect(errors: dict[str, list[str]], fn: Any) -> Any:
    try:
        return fn()
    except ValidationFailed as exc:
        for k, v in exc.field_errors.items():
            errors.setdefault(k, []).extend(v)
        return None


def _users_with(perm: Perm, *, region: Region, department: Department | None) -> list[int]:
    """Active users holding ``perm`` over ``region`` (for ``department``, or region-wide)."""
    roles = [r.value for r, perms in ROLE_PERMISSIONS.items() if perm in perms]
    q = RoleAssignment.objects.filter(
        role__in=roles, is_active=True, user__is_active=True,
        region__prefix__in=[region.prefix[:n] for n in range(1, len(region.prefix) + 1)],
    )
    q = q.filter(department=department) if department is not None else q.filter(
        department__isnull=True)
    return sorted(set(q.values_list("user_id", flat=True)))


def _in_app(user_ids: Iterable[int], *, subject: str, body: str, link: str, key: str) -> None:
    notifications_enqueue(messages=[
        Message(channel=NoteChannel.IN_APP, user_id=uid, subject=subject[:200], body=body,
                link=link, dedupe_key=f"{key}:{uid}")
        for uid in sorted(set(user_ids))
    ])


def _link(concern: Concern) -> str:
    return f"/workbench/enterprise/concerns/{concern.number}/"


def _require_manage(actor: Any, region: Region) -> None:
    if not selectors.may_manage(actor, region):
        raise PermissionDenied(_("只有本辖区营商环境（政管办）管理人员可以执行此操作。"))


def _organisation(company: Applicant | None) -> Applicant:
    if company is None or company.kind != ApplicantKind.ORGANISATION:
        raise _field("company", _("请选择企业（法人及其他组织），个人不能建立企业档案。"))
    return company


def _department_in_line(department: Department | None, region: Region, name: str) -> Department:
    if department is None or not department.is_active:
        raise _field(name, _("请选择有效的部门。"))
    if not selectors.related_regions(department.region, region):
        raise _field(name, _("“%(d)s”不属于%(r)s或其上级、下级区划，不能承担此项工作。")
                     % {"d": department.name, "r": region.name})
    return department


# --- files and designation (一企一档 · 重点企业) ------------------------------------------------


def enterprise_file_open(
    *, actor: Any, company: Applicant | None, region: Region, is_key: bool = False,
    green_channel: bool = False, industry: str = "", address: str = "", contact_name: str = "",
    contact_phone: str = "", note: str = "", liaison_departments: Sequence[Department] = (),
) -> EnterpriseFile:
    """建档: put a company on file in ``region`` (optionally as a key company with the green
    channel, with its liaison departments)."""
    _require_manage(actor, region)
    errors: dict[str, list[str]] = {}
    company = _collect(errors, lambda: _organisation(company))
    industry = _collect(errors, lambda: _text(industry, "industry", required=False, limit=50))
    address = _collect(errors, lambda: _text(address, "address", required=False, limit=200))
    contact_name = _collect(errors, lambda: _text(contact_name, "contact_name", required=False,
                                                   limit=50))
    contact_phone = _collect(errors, lambda: _text(contact_phone, "contact_phone",
                                                    required=False, limit=20))
    note = _collect(errors, lambda: _text(note, "note", required=False, limit=MAX_TEXT))
    deps = [_collect(errors, lambda d=d: _department_in_line(d, region, "liaison_departments"))
            for d in liaison_departments]
    if errors:
        raise ValidationFailed(_("企业档案填写有误，请按提示修改。"), field_errors=errors)
    now = clock.now()
    try:
        with transaction.atomic():
            f = EnterpriseFile.objects.create(
                company=company, region=region, is_key=bool(is_key),
                green_channel=bool(green_channel), industry=industry or "",
                address=address or "", contact_name=contact_name or "",
                contact_phone=contact_phone or "", note=note or "", opened_at=now,
                opened_by=actor, designated_at=now if (is_key or green_channel) else None,
            )
            Liaison.objects.bulk_create([Liaison(file=f, department=d, assigned_at=now)
                                         for d in dict.fromkeys(x for x in deps if x)])
    except IntegrityError as exc:
        raise Conflict(_("该企业已在%(r)s建档，请直接打开其档案。") % {"r": region.name},
                       code="already_on_file") from exc
    return f


def _lock_file(file: EnterpriseFile) -> EnterpriseFile:
    return (EnterpriseFile.objects.select_for_update(of=("self",))
            .select_related("region", "company").get(pk=file.pk))


def enterprise_file_designate(*, actor: Any, file: EnterpriseFile, is_key: bool,
                              green_channel: bool, is_active: bool = True) -> EnterpriseFile:
    """认定重点企业 / 绿色通道 (or withdraw them, or close the file)."""
    with transaction.atomic():
        f = _lock_file(file)
        _require_manage(actor, f.region)
        changed = (f.is_key, f.green_channel) != (bool(is_key), bool(green_channel))
        f.is_key, f.green_channel, f.is_active = bool(is_key), bool(green_channel), bool(
            is_active)
        if changed:
            f.designated_at = clock.now()
        f.save(update_fields=["is_key", "green_channel", "is_active", "designated_at"])
    return f


def enterprise_file_set_liaisons(*, actor: Any, file: EnterpriseFile,
                                 departments: Sequence[Department]) -> list[Department]:
    """包联部门: the departments that visit the company and record its concerns."""
    with transaction.atomic():
        f = _lock_file(file)
        _require_manage(actor, f.region)
        wanted = {d.pk: _department_in_line(d, f.region, "liaison_departments")
                  for d in departments}
        Liaison.objects.filter(file=f).exclude(department_id__in=list(wanted)).delete()
        have = set(Liaison.objects.filter(file=f).values_list("department_id", flat=True))
        now = clock.now()
        Liaison.objects.bulk_create([Liaison(file=f, department=d, assigned_at=now)
                                     for pk, d in wanted.items() if pk not in have])
    return list(wanted.values())


# --- key projects (重点项目) ---------------------------------------------------------------------


def _investment(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise _field("investment", _("总投资请填写数字（万元）。")) from exc
    if amount < 0 or amount >= Decimal("1e12"):
        raise _field("investment", _("总投资应为 0 至 999999999999 万元。"))
    return amount


def key_project_designate(
    *, actor: Any, region: Region, code: str, name: str, lead_department: Department | None,
    company: Applicant | None = None, investment: Any = None, stage: str = ProjectStage.SIGNED,
    green_channel: bool = True, note: str = "",
) -> KeyProject:
    """认定重点项目. A project with a company puts the company on file in the region (if it
    is not yet) so that its secretaries and departments find the company's file."""
    _require_manage(actor, region)
    errors: dict[str, list[str]] = {}
    code = _collect(errors, lambda: _text(code, "code", required=True, limit=40))
    name = _collect(errors, lambda: _text(name, "name", required=True, limit=200))
    dept = _collect(errors, lambda: _department_in_line(lead_department, region,
                                                        "lead_department"))
    amount = _collect(errors, lambda: _investment(investment))
    stage = _collect(errors, lambda: _choice(stage, "stage", ProjectStage.values,
                                             _("请选择项目阶段。")))
    note = _collect(errors, lambda: _text(note, "note", required=False, limit=MAX_TEXT))
    if company is not None:
        _collect(errors, lambda: _organisation(company))
    if errors:
        raise ValidationFailed(_("重点项目填写有误，请按提示修改。"), field_errors=errors)
    now = clock.now()
    try:
        with transaction.atomic():
            project = KeyProject.objects.create(
                code=str(code).upper(), name=name, company=company, region=region,
                lead_department=dept, investment=amount, stage=stage,
                green_channel=bool(green_channel), note=note or "", designated_at=now,
                designated_by=actor,
            )
            if company is not None:
                f, _created = EnterpriseFile.objects.get_or_create(
                    company=company, region=region,
                    defaults={"opened_at": now, "opened_by": actor, "is_key": True,
                              "designated_at": now},
                )
                Liaison.objects.get_or_create(file=f, department=dept,
                                              defaults={"assigned_at": now})
    except IntegrityError as exc:
        raise Conflict(_("项目编号 %(c)s 已被使用。") % {"c": code}, code="duplicate_code") from exc
    return project


def key_project_update(*, actor: Any, project: KeyProject, stage: str | None = None,
                       green_channel: bool | None = None, is_active: bool | None = None
                       ) -> KeyProject:
    """项目阶段、绿色通道、有效性."""
    with transaction.atomic():
        p = KeyProject.objects.select_for_update(of=("self",)).select_related("region").get(
            pk=project.pk)
        _require_manage(actor, p.region)
        if stage is not None:
            p.stage = _choice(stage, "stage", ProjectStage.values, _("请选择项目阶段。"))
        if green_channel is not None:
            p.green_channel = bool(green_channel)
        if is_active is not None:
            p.is_active = bool(is_active)
        p.save(update_fields=["stage", "green_channel", "is_active"])
    return p


# --- secretaries (项目秘书) ----------------------------------------------------------------------


def may_serve_in(user: Any, region: Region) -> bool:
    """Eligible to serve companies of ``region``: an active member of staff holding
    ``enterprise.serve`` or ``enterprise.manage`` over it (for any department)."""
    if user is None or not getattr(user, "is_active", False):
        return False
    return any(
        region.prefix.startswith(g.region_prefix)
        for perm in (Perm.ENTERPRISE_SERVE, Perm.ENTERPRISE_MANAGE)
        for g in access.grants_for(user, perm)
    )


def secretary_assign(
    *, actor: Any, user: Any, file: EnterpriseFile | None = None,
    project: KeyProject | None = None, role: str = SecretaryRole.PROJECT_SECRETARY,
    starts_on: dt.date | None = None, ends_on: dt.date | None = None,
) -> SecretaryAssignment:
    """指派项目秘书 to a company's file or a key project. Only staff of the region (holding
    enterprise service duties there) may be appointed."""
    if (file is None) == (project is None):
        raise _field("target", _("请指定企业档案或重点项目（二者选一）。"))
    target_region = (file or project).region  # type: ignore[union-attr]
    _require_manage(actor, target_region)
    errors: dict[str, list[str]] = {}
    role = _collect(errors, lambda: _choice(role, "role", SecretaryRole.values,
                                            _("请选择职责（项目秘书或企业联络员）。")))
    if not may_serve_in(user, target_region):
        errors.setdefault("user", []).append(
            _("只能指派%(r)s范围内具有企业服务职责的在职工作人员。") % {"r": target_region.name})
    today = clock.today()
    starts_on = starts_on or today
    if ends_on is not None and ends_on < starts_on:
        errors.setdefault("ends_on", []).append(_("结束日期不能早于开始日期。"))
    if errors:
        raise ValidationFailed(_("项目秘书指派有误，请按提示修改。"), field_errors=errors)
    try:
        with transaction.atomic():
            assignment = SecretaryAssignment.objects.create(
                user=user, file=file, project=project, role=role, region=target_region,
                starts_on=starts_on, ends_on=ends_on, assigned_at=clock.now(),
                assigned_by=actor,
            )
            what = file.company.name if file is not None else project.name  # type: ignore[union-attr]
            link = (f"/workbench/enterprise/files/{file.pk}/" if file is not None
                    else "/workbench/enterprise/projects/")
            _in_app([user.pk], subject=_("您被指派为%(w)s的%(r)s") % {
                "w": what, "r": SecretaryRole(role).label},
                body=_("自 %(d)s 起负责跟踪服务，办件享受绿色通道的，请协助优先办理。")
                % {"d": starts_on.isoformat()},
                link=link, key=f"ent:sec:{assignment.pk}")
    except IntegrityError as exc:
        raise Conflict(_("该工作人员已是其%(r)s。") % {"r": SecretaryRole(role).label},
                       code="already_assigned") from exc
    return assignment


def secretary_end(*, actor: Any, assignment: SecretaryAssignment, reason: str = ""
                  ) -> SecretaryAssignment:
    """解除项目秘书 (today is the last day)."""
    reason = _text(reason, "reason", required=False, limit=200)
    with transaction.atomic():
        a = SecretaryAssignment.objects.select_for_update(of=("self",)).select_related(
            "region").filter(pk=assignment.pk).first()
        if a is None:
            raise NotFound(_("没有找到这项指派。"))
        _require_manage(actor, a.region)
        if a.ended_at is not None:
            raise Conflict(_("该项目秘书已解除。"), code="already_ended")
        today = clock.today()
        a.ended_at, a.end_reason = clock.now(), reason
        a.ends_on = max(a.starts_on, min(a.ends_on or today, today))
        a.save(update_fields=["ended_at", "end_reason", "ends_on"])
    return a


# --- visits and concerns -------------------------------------------------------------------------


@dataclass(frozen=True)
class ConcernInput:
    """A concern recorded with a visit (or directly)."""

    description: str
    category: str = ConcernCategory.OTHER
    assign_to: Department | None = None
    days: Any = None


def _acting_department(actor: Any, file: EnterpriseFile, department: Department | None
                       ) -> Department | None:
    """Which department ``actor`` records for on ``file``, checking they may record at all."""
    mine = selectors.department_ids(actor)
    manager = selectors.may_manage(actor, file.region)
    secretary = selectors.is_secretary_of(actor, file)
    if department is not None:
        if department.pk in mine and (manager or secretary or Liaison.objects.filter(
                file=file, department=department).exists()):
            return department
        if manager:
            return _department_in_line(department, file.region, "department")
        raise PermissionDenied(_("只能以本部门名义登记包联企业的走访和诉求。"))
    liaisons = set(Liaison.objects.filter(file=file, department_id__in=mine)
                   .values_list("department_id", flat=True)) if mine else set()
    if len(liaisons) == 1:
        return Department.objects.get(pk=next(iter(liaisons)))
    if liaisons:
        raise _field("department", _("请选择以哪个部门的名义登记。"))
    if manager or secretary:
        return None
    raise PermissionDenied(_("只有包联部门、项目秘书或营商环境管理人员可以登记走访和企业诉求。"))


def _check_may_assign_at_once(actor: Any, file: EnterpriseFile, department: Department | None,
                              wanted: bool) -> None:
    if wanted and department is None and not selectors.may_manage(actor, file.region):
        raise _field("assign_to",
                     _("项目秘书登记的诉求由营商环境管理人员交办，请不要选择责任部门。"))


def _visible_file(actor: Any, file: EnterpriseFile) -> EnterpriseFile:
    found = (EnterpriseFile.objects.filter(selectors.file_scope_q(actor), pk=file.pk)
             .select_related("region", "company").first())
    if found is None:
        raise NotFound(_("没有找到这份企业档案。"))
    if not found.is_active:
        raise Conflict(_("该企业档案已关闭，不能再登记。"), code="file_closed")
    return found


def _check_concern(c: ConcernInput, index: int | None, region: Region) -> ConcernInput:
    prefix = f"concerns.{index}." if index is not None else ""
    errors: dict[str, list[str]] = {}
    if c.assign_to is not None:
        _collect(errors, lambda: _department_in_line(c.assign_to, region, prefix + "assign_to"))
    text = _collect(errors, lambda: _text(c.description, prefix + "description", required=True,
                                          limit=MAX_TEXT, min_len=4))
    category = _collect(errors, lambda: _choice(c.category, prefix + "category",
                                                ConcernCategory.values, _("请选择问题类别。")))
    days = _collect(errors, lambda: _days(c.days, prefix + "days"))
    if errors:
        raise ValidationFailed(_("企业诉求填写有误，请按提示修改。"), field_errors=errors)
    return ConcernInput(description=text, category=category, assign_to=c.assign_to, days=days)


def visit_record(
    *, actor: Any, file: EnterpriseFile, visited_on: dt.date | None, summary: str,
    attendees: str = "", department: Department | None = None,
    concerns: Sequence[ConcernInput] = (),
) -> EnterpriseVisit:
    """走访: a department (or the secretary) visited the company; the problems it raised are
    recorded as concerns (企忧事项) in the same transaction, each optionally assigned at once."""
    f = _visible_file(actor, file)
    errors: dict[str, list[str]] = {}
    summary = _collect(errors, lambda: _text(summary, "summary", required=True,
                                             limit=MAX_TEXT, min_len=4))
    attendees = _collect(errors, lambda: _text(attendees, "attendees", required=False,
                                               limit=300))
    today = clock.today()
    if visited_on is None:
        errors.setdefault("visited_on", []).append(_("请填写走访日期。"))
    elif visited_on > today:
        errors.setdefault("visited_on", []).append(_("走访日期不能晚于今天。"))
    elif visited_on < today - dt.timedelta(days=366):
        errors.setdefault("visited_on", []).append(_("只能登记一年以内的走访。"))
    checked = [_collect(errors, lambda c=c, i=i: _check_concern(c, i, f.region))
               for i, c in enumerate(concerns)]
    if len(concerns) > 20:
        errors.setdefault("concerns", []).append(_("一次走访最多登记 20 项诉求。"))
    if errors:
        raise ValidationFailed(_("走访记录填写有误，请按提示修改。"), field_errors=errors)
    assert visited_on is not None  # errors would be set otherwise
    dept = _acting_department(actor, f, department)
    _check_may_assign_at_once(actor, f, dept, any(c.assign_to is not None for c in concerns))
    with transaction.atomic():
        visit = EnterpriseVisit.objects.create(
            file=f, department=dept, visitor=actor, visited_on=visited_on,
            summary=mask_text(summary), attendees=attendees or "", recorded_at=clock.now(),
        )
        for c in checked:
            if c is not None:
                _raise(actor=actor, file=f, data=c, source=ConcernSource.VISIT, visit=visit,
                       department=dept)
    return visit


def concern_raise(
    *, actor: Any, file: EnterpriseFile, description: str, category: str,
    source: str = ConcernSource.DIRECT, department: Department | None = None,
    assign_to: Department | None = None, days: Any = None,
) -> Concern:
    """登记企业诉求 raised directly (not in a visit): by phone, at a meeting, from 12345."""
    f = _visible_file(actor, file)
    source = _choice(source, "source", ConcernSource.values, _("请选择诉求来源。"))
    if source == ConcernSource.VISIT:
        raise _field("source", _("走访中收集的诉求请随走访记录一并登记。"))
    data = _check_concern(ConcernInput(description, category, assign_to, days), None, f.region)
    dept = _acting_department(actor, f, department)
    _check_may_assign_at_once(actor, f, dept, assign_to is not None)
    with transaction.atomic():
        return _raise(actor=actor, file=f, data=data, source=source, visit=None, department=dept)


def _raise(*, actor: Any, file: EnterpriseFile, data: ConcernInput, source: str,
           visit: EnterpriseVisit | None, department: Department | None) -> Concern:
    now = clock.now()
    due = add_workdays(clock.today(), int(data.days))
    concern = Concern.objects.create(
        file=file, visit=visit, source=source, category=data.category,
        description=mask_text(data.description), raised_at=now, raised_by=actor,
        raised_by_department=department, deadline=due.date, deadline_provisional=due.provisional,
    )
    # The number comes from the row's id (a database sequence), never MAX()+1.
    concern.number = f"QY{clock.today():%Y%m%d}{concern.pk:06d}"
    concern.save(update_fields=["number"])
    _event(concern, ConcernAction.RAISE, actor=actor, department=department, frm="",
           to=ConcernState.RAISED, note=concern.description,
           data={"deadline": due.date.isoformat(), "days": int(data.days)})
    if data.assign_to is not None:
        _assign(concern, file, actor=actor, department=data.assign_to, days=None, note="",
                actor_department=department)
    else:
        managers = _users_with(Perm.ENTERPRISE_MANAGE, region=file.region, department=None)
        _in_app(managers, subject=_("企业诉求待交办：%(c)s") % {"c": file.company.name},
                body=_("%(n)s：%(d)s") % {"n": concern.number,
                                          "d": concern.description[:100]},
                link=_link(concern), key=f"ent:c:{concern.pk}:raised")
    return concern


def _event(concern: Concern, action: ConcernAction, *, actor: Any,
           department: Department | None, frm: str, to: str, note: str = "",
           data: dict[str, Any] | None = None) -> ConcernEvent:
    """Append to the concern's log (the concern row is locked or new)."""
    Concern.objects.filter(pk=concern.pk).update(event_count=F("event_count") + 1)
    concern.event_count += 1
    return ConcernEvent.objects.create(
        concern=concern, seq=concern.event_count, action=action, from_state=frm, to_state=to,
        actor=actor if getattr(actor, "pk", None) else None, department=department,
        note=note, data=data or {}, at=clock.now(),
    )


def _lock(concern: Concern) -> Concern:
    c = (Concern.objects.select_for_update(of=("self",))
         .select_related("file__region", "file__company", "assigned_department",
                         "raised_by_department").filter(pk=concern.pk).first())
    if c is None:
        raise NotFound(_("没有找到这件企忧事项。"))
    return c


def _department_of(actor: Any, concern: Concern) -> Department | None:
    """The department ``actor`` acts for on ``concern`` (the assigned one if theirs)."""
    mine = selectors.department_ids(actor)
    if concern.assigned_department_id in mine:
        return concern.assigned_department
    if concern.raised_by_department_id in mine:
        return concern.raised_by_department
    return None


def _assign(concern: Concern, file: EnterpriseFile, *, actor: Any, department: Department,
            days: Any, note: str, actor_department: Department | None) -> None:
    dept = _department_in_line(department, file.region, "department")
    frm = concern.state
    concern.state = next_state(frm, ConcernAction.ASSIGN)
    previous = concern.assigned_department_id
    concern.assigned_department, concern.assigned_at = dept, clock.now()
    fields = ["state", "assigned_department", "assigned_at"]
    data: dict[str, Any] = {"department": dept.name}
    if days not in (None, ""):
        due = add_workdays(clock.today(), _days(days))
        concern.deadline, concern.deadline_provisional = due.date, due.provisional
        concern.overdue = False
        fields += ["deadline", "deadline_provisional", "overdue"]
        data["deadline"] = due.date.isoformat()
    concern.save(update_fields=fields)
    _event(concern, ConcernAction.ASSIGN, actor=actor, department=actor_department, frm=frm,
           to=concern.state, note=note, data=data)
    if previous != dept.pk:
        handlers = _users_with(Perm.ENTERPRISE_SERVE, region=dept.region, department=dept)
        _in_app(handlers, subject=_("交办企忧事项 %(n)s，请于 %(d)s 前办结") % {
            "n": concern.number, "d": concern.deadline.isoformat()},
            body=_("%(c)s：%(t)s") % {"c": file.company.name, "t": concern.description[:100]},
            link=_link(concern), key=f"ent:c:{concern.pk}:assign:{concern.event_count}")


def concern_assign(*, actor: Any, concern: Concern, department: Department | None,
                   days: Any = None, note: str = "") -> Concern:
    """交办 (or re-assign) a concern to a department, optionally with a new limit in working
    days from today. The office may always; the recording department only while 待交办."""
    note = _text(note, "note", required=False, limit=MAX_TEXT)
    if department is None:
        raise _field("department", _("请选择责任部门。"))
    if days not in (None, ""):
        _days(days)
    with transaction.atomic():
        c = _lock(concern)
        manager = selectors.may_manage(actor, c.file.region)
        recorder = (c.raised_by_department_id is not None
                    and c.raised_by_department_id in selectors.department_ids(actor))
        if not manager and not selectors.concern_visible(actor, c):
            raise NotFound(_("没有找到这件企忧事项。"))
        if not manager and not (recorder and c.state == ConcernState.RAISED):
            raise PermissionDenied(_("已交办的事项只能由营商环境管理人员改派。"))
        _assign(c, c.file, actor=actor, department=department, days=days, note=note,
                actor_department=None if manager else c.raised_by_department)
    return c


def _handler(actor: Any, c: Concern) -> Department | None:
    if not selectors.concern_visible(actor, c):
        raise NotFound(_("没有找到这件企忧事项。"))
    if not selectors.may_handle(actor, c):
        raise PermissionDenied(_("只有责任部门（%(d)s）或营商环境管理人员可以办理。") % {
            "d": c.assigned_department.name if c.assigned_department else _("待交办")})
    return c.assigned_department if c.assigned_department_id in selectors.department_ids(
        actor) else None


def concern_follow(*, actor: Any, concern: Concern, note: str) -> Concern:
    """跟踪: a follow-up entry. The assigned department's entry is progress (办理中); the
    secretary's, the office's or the recording department's keeps the state."""
    note = _text(note, "note", required=True, limit=MAX_TEXT, min_len=2)
    with transaction.atomic():
        c = _lock(concern)
        if not selectors.concern_visible(actor, c):
            raise NotFound(_("没有找到这件企忧事项。"))
        mine = selectors.department_ids(actor)
        assigned = c.assigned_department_id is not None and c.assigned_department_id in mine
        if not (assigned or selectors.may_manage(actor, c.file.region)
                or selectors.is_secretary_of(actor, c.file)
                or c.raised_by_department_id in mine):
            raise PermissionDenied(_("您不能为这件事项添加跟踪记录。"))
        action = ConcernAction.PROGRESS if assigned else ConcernAction.FOLLOW
        frm = c.state
        c.state = next_state(frm, action)
        if c.state != frm:
            c.save(update_fields=["state"])
        _event(c, action, actor=actor, department=_department_of(actor, c), frm=frm,
               to=c.state, note=mask_text(note))
    return c


def _close(concern: Concern, *, actor: Any, action: ConcernAction, text: str) -> Concern:
    with transaction.atomic():
        c = _lock(concern)
        dept = _handler(actor, c)
        frm = c.state
        c.state = next_state(frm, action)
        now = clock.now()
        if action == ConcernAction.RESOLVE:
            c.resolution = text
        else:
            c.explanation = text
        c.resolved_at, c.resolved_by = now, actor
        c.on_time = clock.today() <= c.deadline
        c.save(update_fields=["state", "resolution", "explanation", "resolved_at",
                              "resolved_by", "on_time"])
        _event(c, action, actor=actor, department=dept, frm=frm, to=c.state, note=text,
               data={"on_time": c.on_time})
        people = set(selectors.active_assignments().filter(
            Q(file_id=c.file_id) | Q(project__company_id=c.file.company_id,
                                     project__region_id=c.file.region_id),
        ).values_list("user_id", flat=True))
        if c.raised_by_id:
            people.add(c.raised_by_id)
        people.discard(getattr(actor, "pk", None))
        _in_app(people, subject=_("企忧事项 %(n)s 已办结（%(s)s）") % {
            "n": c.number, "s": ConcernState(c.state).label},
            body=text[:200], link=_link(c), key=f"ent:c:{c.pk}:closed")
    return c


def concern_resolve(*, actor: Any, concern: Concern, resolution: str) -> Concern:
    """办结：已解决 — what was done."""
    text = _text(resolution, "resolution", required=True, limit=MAX_TEXT, min_len=4)
    return _close(concern, actor=actor, action=ConcernAction.RESOLVE, text=mask_text(text))


def concern_explain(*, actor: Any, concern: Concern, reason: str) -> Concern:
    """办结：解释说明 — why it cannot be done (no legal ground, not the government's matter…);
    the reason is required and told to the company."""
    text = str(reason or "").strip()
    if len(text) < 4:
        raise _field("reason", _("解释说明办结须写明理由（至少4个字），并向企业说明。"),
                     code="reason_required")
    text = _text(text, "reason", required=True, limit=MAX_TEXT)
    return _close(concern, actor=actor, action=ConcernAction.EXPLAIN, text=mask_text(text))


def concern_rate(*, actor: Any, concern: Concern, satisfaction: str, note: str = "") -> Concern:
    """企业满意度回访 after closing (once)."""
    satisfaction = _choice(satisfaction, "satisfaction", Satisfaction.values,
                           _("请选择企业满意度（满意、基本满意、不满意）。"))
    note = _text(note, "note", required=False, limit=500)
    with transaction.atomic():
        c = _lock(concern)
        if not selectors.concern_visible(actor, c):
            raise NotFound(_("没有找到这件企忧事项。"))
        mine = selectors.department_ids(actor)
        if not (selectors.may_manage(actor, c.file.region)
                or selectors.is_secretary_of(actor, c.file)
                or c.assigned_department_id in mine or c.raised_by_department_id in mine):
            raise PermissionDenied(_("您不能登记这件事项的满意度。"))
        next_state(c.state, ConcernAction.RATE)
        if c.satisfaction:
            raise Conflict(_("已登记过企业满意度。"), code="already_rated")
        c.satisfaction, c.satisfaction_note = satisfaction, mask_text(note)
        c.save(update_fields=["satisfaction", "satisfaction_note"])
        _event(c, ConcernAction.RATE, actor=actor, department=_department_of(actor, c),
               frm=c.state, to=c.state, note=c.satisfaction_note,
               data={"satisfaction": satisfaction})
    return c


# --- the overdue job -----------------------------------------------------------------------------


def concerns_mark_overdue(*, batch: int = 500) -> int:
    """超期: mark open concerns past their deadline and tell the responsible department (or,
    while unassigned, the office) and the secretaries. Idempotent: the ``overdue`` flag,
    set once, under a row lock; one short transaction per concern."""
    today = clock.today()
    ids = list(Concern.objects.filter(state__in=OPEN_STATES, deadline__lt=today, overdue=False)
               .order_by("deadline", "id").values_list("pk", flat=True)[:batch])
    marked = 0
    for pk in ids:
        with transaction.atomic():
            c = (Concern.objects.select_for_update(skip_locked=True, of=("self",))
                 .select_related("file__region", "file__company", "assigned_department__region")
                 .filter(pk=pk, overdue=False, state__in=OPEN_STATES, deadline__lt=today)
                 .first())
            if c is None:
                continue
            c.overdue = True
            c.save(update_fields=["overdue"])
            _event(c, ConcernAction.OVERDUE, actor=None, department=None, frm=c.state,
                   to=c.state, data={"deadline": c.deadline.isoformat()})
            dept = c.assigned_department
            people = set(_users_with(Perm.ENTERPRISE_SERVE, region=dept.region, department=dept)
                         if dept else _users_with(Perm.ENTERPRISE_MANAGE, region=c.file.region,
                                                  department=None))
            people.update(selectors.active_assignments().filter(
                Q(file_id=c.file_id) | Q(project__company_id=c.file.company_id,
                                         project__region_id=c.file.region_id),
            ).values_list("user_id", flat=True))
            _in_app(people, subject=_("企忧事项 %(n)s 已超期") % {"n": c.number},
                    body=_("%(c)s 反映的问题已过办理期限 %(d)s，请尽快办结。") % {
                        "c": c.file.company.name, "d": c.deadline.isoformat()},
                    link=_link(c), key=f"ent:c:{c.pk}:overdue")
            marked += 1
    if marked:
        logger.info("enterprise concerns marked overdue: %s", marked)
    return marked
