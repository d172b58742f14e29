"""Reads of joint inspections and meetings, always narrowed to the reader's scope.

Who is who:

- **the lead** of a case is whoever may work on its active review step
  (:func:`onewindow.cases.services.may_work_on`): a reviewer or head of the lead department;
- **a department's people** are its reviewers, heads and chief representatives
  (:func:`acts_for`), within the region their role covers.

Anyone who may see the case as staff (:func:`onewindow.cases.selectors.can_view_as_staff`: the
lead department, the parallel participants, the window and supervision in scope) and the invited
departments see its inspections and meetings; for everybody else "not found" and "not yours"
are the same :class:`NotFound`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.models import Role
from onewindow.cases import selectors as case_selectors
from onewindow.cases import services as case_services
from onewindow.cases.models import Case, Task, TaskKind
from onewindow.cases.workflow import CaseState, TaskState
from onewindow.core import clock
from onewindow.core.errors import NotFound
from onewindow.joint.models import (
    InspectionFinding,
    InspectionInvite,
    InspectionNeed,
    InspectionPhoto,
    JointInspection,
    JointMeeting,
    JointSettings,
    MeetingConclusion,
)
from onewindow.joint.workflow import (
    OPEN_INSPECTION,
    InspectionState,
    InviteState,
    MeetingConclusionKind,
    MeetingState,
)
from onewindow.regions.models import Department
from onewindow.workdays.selectors import add_workdays

#: The roles that act for their department at inspections and meetings.
DEPARTMENT_ROLES = frozenset({Role.REVIEWER, Role.DEPARTMENT_HEAD, Role.CHIEF})
#: Findings are expected within this many working days after the inspection.
RECORD_WORKDAYS = 2
#: Cases in which joint work can still happen.
WORKING_STATES = frozenset({CaseState.IN_REVIEW, CaseState.SUSPENDED})


# --- who is who --------------------------------------------------------------------------------


def acts_for(user: Any, department: Department) -> bool:
    """Whether ``user`` is a reviewer, head or chief representative of ``department``."""
    prefix = department.region.prefix
    return any(
        g.department_id == department.pk and g.role in DEPARTMENT_ROLES
        and prefix.startswith(g.region_prefix)
        for g in access.grants(user)
    )


def my_department_ids(user: Any) -> set[int]:
    """The departments ``user`` acts for (one query at most)."""
    q = Q(pk__in=[])
    for g in access.grants(user):
        if g.department_id is not None and g.role in DEPARTMENT_ROLES:
            q |= Q(pk=g.department_id, region__prefix__startswith=g.region_prefix)
    if not any(g.department_id is not None and g.role in DEPARTMENT_ROLES
               for g in access.grants(user)):
        return set()
    return set(Department.objects.filter(q).values_list("pk", flat=True))


def lead_task(case: Case) -> Task | None:
    """The case's active review step (the lead department's), if any."""
    return (Task.objects.select_related("department__region")
            .filter(case=case, kind=TaskKind.STEP, state=TaskState.ACTIVE)
            .order_by("seq").first())


def is_lead(user: Any, case: Case, task: Task | None = None) -> bool:
    task = task if task is not None else lead_task(case)
    return task is not None and case_services.may_work_on(user, task)


def settings_of(case: Case) -> JointSettings | None:
    return JointSettings.objects.filter(item_id=case.item_id).first()


def participant_departments(case: Case) -> list[Task]:
    """The case's parallel-opinion tasks (one per participating department), in order."""
    return list(Task.objects.select_related("department__region")
                .filter(case=case, kind=TaskKind.OPINION).order_by("seq"))


def inspection_departments(case: Case) -> list[tuple[Task, str]]:
    """The participants of ``case`` the item asks to inspect: (opinion task, inspection note)."""
    needs = {
        dep: note for dep, note in InspectionNeed.objects.filter(
            participant__item_id=case.item_id).values_list("participant__department_id", "note")
    }
    return [(t, needs[t.department_id]) for t in participant_departments(case)
            if t.department_id in needs]


def may_view(user: Any, case: Case, departments: set[int]) -> bool:
    if case_selectors.can_view_as_staff(user, case):
        return True
    return bool(departments & my_department_ids(user))


# --- one inspection / meeting -----------------------------------------------------------------


def _inspection_queryset() -> Any:
    return JointInspection.objects.select_related(
        "case__item__basic", "case__region", "case__department", "case__applicant",
        "department__region", "organiser", "closed_by", "stop", "special_notice",
    ).prefetch_related(
        Prefetch("invites", queryset=InspectionInvite.objects.select_related(
            "department__region", "responded_by").order_by("sort_order", "id")),
        Prefetch("findings", queryset=InspectionFinding.objects.select_related(
            "department", "recorded_by").prefetch_related(
            Prefetch("photos", queryset=InspectionPhoto.objects.order_by("id")))),
        Prefetch("case__tasks", queryset=Task.objects.select_related("department__region")
                 .order_by("seq")),
    )


def inspection_get(*, user: Any, pk: int) -> JointInspection:
    """One inspection with its invites, findings and photos, if ``user`` may see it."""
    inspection = _inspection_queryset().filter(pk=pk).first()
    if inspection is None or not may_view(
            user, inspection.case, {i.department_id for i in inspection.invites.all()}):
        raise NotFound(_("没有找到这次联合踏勘。"), code="inspection_not_found")
    return inspection


def _meeting_queryset() -> Any:
    return JointMeeting.objects.select_related(
        "case__item__basic", "case__region", "case__department", "case__applicant",
        "department__region", "convened_by", "closed_by",
    ).prefetch_related(
        Prefetch("conclusions", queryset=MeetingConclusion.objects.select_related(
            "department__region", "recorded_by").order_by("sort_order", "id")),
        Prefetch("case__tasks", queryset=Task.objects.select_related("department__region")
                 .order_by("seq")),
    )


def meeting_get(*, user: Any, pk: int) -> JointMeeting:
    meeting = _meeting_queryset().filter(pk=pk).first()
    if meeting is None or not may_view(
            user, meeting.case, {c.department_id for c in meeting.conclusions.all()}):
        raise NotFound(_("没有找到这次联席会议。"), code="meeting_not_found")
    return meeting


def photo_get(*, user: Any, inspection_pk: int, photo_pk: int) -> InspectionPhoto:
    inspection = inspection_get(user=user, pk=inspection_pk)
    for finding in inspection.findings.all():
        for photo in finding.photos.all():
            if photo.pk == photo_pk:
                return photo
    raise NotFound(_("没有找到这张照片。"), code="photo_not_found")


# --- the case's section -------------------------------------------------------------------------


@dataclass
class CaseJoint:
    """What the case screen shows of joint work: settings, inspections, meetings, what the
    reader may start."""

    case: Case
    settings: JointSettings | None
    inspections: list[JointInspection]
    meetings: list[JointMeeting]
    lead: bool
    can_schedule: bool
    can_convene: bool
    invitees: list[tuple[Task, str]] = field(default_factory=list)
    participants: list[Task] = field(default_factory=list)

    @property
    def open_inspection(self) -> JointInspection | None:
        return next((i for i in self.inspections if i.state in OPEN_INSPECTION), None)

    @property
    def open_meeting(self) -> JointMeeting | None:
        return next((m for m in self.meetings if m.state == MeetingState.CONVENED), None)

    @property
    def records(self) -> list[Any]:
        """The closed records (PDF) attached to the case, oldest first."""
        done = [i for i in self.inspections if i.state == InspectionState.DONE and i.record]
        held = [m for m in self.meetings if m.state == MeetingState.HELD and m.record]
        return sorted([*done, *held], key=lambda r: r.closed_at or clock.now())

    @property
    def inspection_rows(self) -> list[dict[str, Any]]:
        rows = []
        for i in self.inspections:
            invites = list(i.invites.all())
            rows.append({
                "i": i, "invited": len(invites),
                "confirmed": sum(1 for v in invites if v.state == InviteState.CONFIRMED),
                "proposed": sum(1 for v in invites if v.state == InviteState.PROPOSED_OTHER),
                "recorded": len({f.department_id for f in i.findings.all()}
                                & {v.department_id for v in invites}),
            })
        return rows

    @property
    def meeting_rows(self) -> list[dict[str, Any]]:
        return [{"m": m, "invited": len(m.conclusions.all()),
                 "concluded": sum(1 for c in m.conclusions.all() if c.conclusion)}
                for m in self.meetings]

    @property
    def reinspection(self) -> bool:
        """A new inspection after a completed one is a re-inspection (复勘)."""
        return any(i.state == InspectionState.DONE for i in self.inspections)

    @property
    def relevant(self) -> bool:
        """Whether the section has anything to show."""
        s = self.settings
        return bool(self.inspections or self.meetings
                    or (s and (s.needs_inspection or s.needs_meeting)))


def joint_for_case(case: Case, user: Any = None) -> CaseJoint:
    """The joint-work section of a case (a fixed number of queries)."""
    settings = settings_of(case)
    inspections = list(JointInspection.objects.filter(case=case)
                       .select_related("department").prefetch_related(
        Prefetch("invites", queryset=InspectionInvite.objects.select_related("department")
                 .order_by("sort_order", "id")),
        Prefetch("findings", queryset=InspectionFinding.objects.only(
            "id", "inspection_id", "department_id"))).order_by("created_at", "id"))
    meetings = list(JointMeeting.objects.filter(case=case).select_related("department")
                    .prefetch_related(Prefetch(
                        "conclusions", queryset=MeetingConclusion.objects
                        .select_related("department").order_by("sort_order", "id")))
                    .order_by("created_at", "id"))
    working = case.state in WORKING_STATES
    lead = bool(user is not None and working and is_lead(user, case))
    invitees = inspection_departments(case) if settings and settings.needs_inspection else []
    participants = participant_departments(case) if settings and settings.needs_meeting else []
    return CaseJoint(
        case=case, settings=settings, inspections=inspections, meetings=meetings, lead=lead,
        can_schedule=bool(lead and settings and settings.needs_inspection and invitees
                          and not any(i.state in OPEN_INSPECTION for i in inspections)),
        can_convene=bool(lead and settings and settings.needs_meeting and participants
                         and not any(m.state == MeetingState.CONVENED for m in meetings)),
        invitees=invitees, participants=participants,
    )


# --- my department's work ------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the workbench list: what to do, by when."""

    kind: str  # inspection / meeting
    obj: Any
    case: Case
    todo: str
    due: dt.date | dt.datetime | None
    department: Department | None = None
    lead: bool = False


def findings_due(inspection: JointInspection) -> dt.date:
    """The day findings are expected: a few working days after the inspection."""
    return add_workdays(timezone.localdate(inspection.scheduled_at), RECORD_WORKDAYS).date


def _invite_todo(invite: InspectionInvite, recorded: set[tuple[int, int]], now: dt.datetime
                 ) -> tuple[str, Any]:
    inspection = invite.inspection
    if inspection.state == InspectionState.RESCHEDULING:
        return _("等待牵头部门改期"), inspection.scheduled_at
    if (inspection.pk, invite.department_id) in recorded:
        return _("已记录踏勘意见，待形成记录"), None
    if inspection.scheduled_at <= now:
        return _("记录踏勘意见"), findings_due(inspection)
    if invite.state == InviteState.INVITED:
        return _("确认参加或提议改期"), inspection.scheduled_at
    if invite.state == InviteState.PROPOSED_OTHER:
        return _("已提议改期"), inspection.scheduled_at
    return _("按时参加踏勘"), inspection.scheduled_at


def joint_inbox(*, user: Any, limit: int = 100) -> dict[str, list[Row]]:
    """My departments' open invitations, meetings to attend, and what we lead."""
    deps = my_department_ids(user)
    out: dict[str, list[Row]] = {"invited": [], "meetings": [], "leading": []}
    if not deps:
        return out
    now = clock.now()
    invites = list(
        InspectionInvite.objects.filter(department_id__in=deps,
                                        inspection__state__in=list(OPEN_INSPECTION))
        .select_related("department", "inspection__case__item__basic",
                        "inspection__department")
        .order_by("inspection__scheduled_at", "id")[:limit])
    recorded = set(InspectionFinding.objects.filter(
        inspection_id__in={i.inspection_id for i in invites}, department_id__in=deps)
        .values_list("inspection_id", "department_id"))
    for inv in invites:
        todo, due = _invite_todo(inv, recorded, now)
        out["invited"].append(Row("inspection", inv.inspection, inv.inspection.case, todo, due,
                                  department=inv.department))
    for c in (MeetingConclusion.objects.filter(department_id__in=deps,
                                               meeting__state=MeetingState.CONVENED)
              .select_related("department", "meeting__case__item__basic", "meeting__department")
              .order_by("meeting__held_at", "id")[:limit]):
        todo = (_("已记录会审结论") if c.conclusion else
                (_("出席会议并提出结论") if c.meeting.held_at > now else _("记录会审结论")))
        out["meetings"].append(Row("meeting", c.meeting, c.meeting.case, todo,
                                   c.meeting.held_at, department=c.department))
    for insp in (JointInspection.objects.filter(department_id__in=deps,
                                                state__in=list(OPEN_INSPECTION))
                 .select_related("case__item__basic", "department")
                 .prefetch_related("invites", "findings").order_by("scheduled_at")[:limit]):
        invited = {i.department_id for i in insp.invites.all()}
        have = {f.department_id for f in insp.findings.all()}
        if insp.state == InspectionState.RESCHEDULING:
            todo, due = _("有部门提议改期，请确定新的时间"), insp.scheduled_at
        elif invited <= have:
            todo, due = _("意见已齐全，请形成踏勘记录"), findings_due(insp)
        elif insp.scheduled_at <= now:
            todo, due = (_("等待 %(n)d 个部门记录意见") % {"n": len(invited - have)},
                         findings_due(insp))
        else:
            todo, due = _("组织踏勘"), insp.scheduled_at
        out["leading"].append(Row("inspection", insp, insp.case, todo, due,
                                  department=insp.department, lead=True))
    for m in (JointMeeting.objects.filter(department_id__in=deps, state=MeetingState.CONVENED)
              .select_related("case__item__basic", "department").prefetch_related("conclusions")
              .order_by("held_at")[:limit]):
        missing = [c for c in m.conclusions.all()
                   if c.conclusion == MeetingConclusionKind.PENDING]
        if m.held_at > now:
            todo = _("召开会议")
        elif missing:
            todo = _("记录 %(n)d 个部门的会审结论") % {"n": len(missing)}
        else:
            todo = _("结论已齐全，请形成会议纪要")
        out["leading"].append(Row("meeting", m, m.case, todo, m.held_at,
                                  department=m.department, lead=True))
    out["leading"].sort(key=lambda r: _sort_key(r.due))
    return out


def _sort_key(due: Any) -> dt.datetime:
    if due is None:
        return dt.datetime.max.replace(tzinfo=dt.UTC)
    if isinstance(due, dt.datetime):
        return due
    return dt.datetime.combine(due, dt.time(23, 59), tzinfo=dt.UTC)


def recent_done(*, user: Any, limit: int = 20) -> list[JointInspection | JointMeeting]:
    """Records my departments took part in or led, most recent first."""
    deps = my_department_ids(user)
    if not deps:
        return []
    inspections = list(JointInspection.objects.filter(
        Q(department_id__in=deps) | Q(invites__department_id__in=deps),
        state=InspectionState.DONE).distinct().select_related("case__item__basic")
        .order_by("-closed_at")[:limit])
    meetings = list(JointMeeting.objects.filter(
        Q(department_id__in=deps) | Q(conclusions__department_id__in=deps),
        state=MeetingState.HELD).distinct().select_related("case__item__basic")
        .order_by("-closed_at")[:limit])
    rows: list[JointInspection | JointMeeting] = [*inspections, *meetings]
    rows.sort(key=lambda r: r.closed_at or clock.now(), reverse=True)
    return rows[:limit]


def open_joint_reason(case: Any) -> str | None:
    """Why the case may not be decided yet: a joint inspection or meeting still open."""
    from onewindow.joint.models import JointInspection, JointMeeting
    from onewindow.joint.workflow import MeetingState

    if JointInspection.objects.filter(case_id=case.pk, state__in=list(OPEN_INSPECTION)).exists():
        return str(_("联合踏勘尚未形成踏勘记录（或取消），暂不能作出决定"))
    if JointMeeting.objects.filter(case_id=case.pk, state=MeetingState.CONVENED).exists():
        return str(_("联席会议尚未形成会议纪要（或取消），暂不能作出决定"))
    return None
