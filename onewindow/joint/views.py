"""Workbench pages of joint inspections and meetings. Thin: parse, call one service or
selector, render.

Access: anonymous → the staff sign-in page; signed in without any staff permission on cases
(applicants, hotline operators …) → a 403 page; an inspection, meeting or case outside the
user's scope → 404, exactly like one that does not exist. A refused action is shown beside its
field (or as a message) with the error's HTTP status — never a 500.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.cases import selectors as case_selectors
from onewindow.cases.models import Case
from onewindow.cases.selectors import urgency
from onewindow.cases.services import Upload
from onewindow.core import clock
from onewindow.core.errors import DomainError, NotFound, ValidationFailed
from onewindow.joint import selectors, services
from onewindow.joint.models import InspectionPhoto, JointInspection, JointMeeting
from onewindow.joint.workflow import (
    FindingConclusion,
    InspectionState,
    InviteState,
    MeetingConclusionKind,
    MeetingState,
)
from onewindow.regions.models import Department
from onewindow.workdays.calendar import CalendarRangeError

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]
STAFF_PERMS = case_selectors.STAFF_VIEW_PERMS


def _nav(user: Any) -> list[dict[str, str]]:
    links = [{"label": _("工作台首页"), "url": "/workbench/"},
             {"label": _("联合踏勘与会审"), "url": "/workbench/joint/"}]
    if access.has_any(user, Perm.CASE_REVIEW):
        links.append({"label": _("待办审批"), "url": "/workbench/cases/inbox/"})
    return links


def joint_page(view: View) -> View:
    """Sign-in required; then a staff permission on cases somewhere, else the 403 page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "accounts:login")
        if not any(access.has_any(user, p) for p in STAFF_PERMS):
            return render(request, "joint/denied.html", {"nav": _nav(user)}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _when(raw: str | None, field: str) -> dt.datetime | None:
    """A ``datetime-local`` value (local time) or None when empty; a field error when bad."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text[:32])
    except ValueError as exc:
        message = _("请填写正确的日期和时间。")
        raise ValidationFailed(message, field_errors={field: [message]}) from exc
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _required_when(raw: str | None, field: str) -> dt.datetime:
    value = _when(raw, field)
    if value is None:
        message = _("请选择日期和时间。")
        raise ValidationFailed(message, field_errors={field: [message]})
    return value


def _uploads(request: HttpRequest, name: str = "photos") -> list[Upload]:
    limit = services.photo_max_bytes() + 1  # one byte more: the service reports the size
    return [Upload(name=f.name or "", data=f.read(limit)) for f in request.FILES.getlist(name)
            if f.size]


def _error_ctx(action: str, exc: DomainError, request: HttpRequest) -> dict[str, Any]:
    return {"action": action, "error": exc.message, "errors": exc.field_errors,
            "posted": request.POST}


def _chip(due: Any) -> dict[str, Any] | None:
    """Working days left as a chip (words and colour), for a date or a time."""
    if due is None:
        return None
    day = timezone.localdate(due) if isinstance(due, dt.datetime) else due
    try:
        u = urgency(day)
    except CalendarRangeError:
        return {"level": "none", "text": f"{day:%m-%d}"}
    if u.days_left is None:
        return {"level": "none", "text": "—"}
    if u.days_left < 0:
        text = _("已超期 %(n)d 个工作日") % {"n": -u.days_left}
    elif u.days_left == 0:
        text = _("今天")
    else:
        text = _("剩 %(n)d 个工作日") % {"n": u.days_left}
    return {"level": u.level, "text": text}


def _department(request: HttpRequest, choices: list[Department]) -> Department:
    """The department the user acts for on this form: the only one, or the one chosen."""
    if len(choices) == 1:
        return choices[0]
    raw = request.POST.get("department", "")
    found = next((d for d in choices if str(d.pk) == raw), None)
    if found is None:
        message = _("请选择代表哪个部门填写。")
        raise ValidationFailed(message, field_errors={"department": [message]})
    return found


# --- my department's list ------------------------------------------------------------------------


@require_GET
@joint_page
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    rows = selectors.joint_inbox(user=user)
    for group in rows.values():
        for row in group:
            row.chip = _chip(row.due)  # type: ignore[attr-defined]
    return render(request, "joint/inbox.html", {
        "nav": _nav(user), "rows": rows, "recent": selectors.recent_done(user=user),
        "has_department": bool(selectors.my_department_ids(user)),
    })


# --- a case's joint work ------------------------------------------------------------------------


def _case(user: Any, case_no: str) -> Case:
    try:
        return case_selectors.case_get_for_staff(user=user, case_no=case_no)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_http_methods(["GET", "POST"])
@joint_page
def case_joint(request: HttpRequest, case_no: str) -> HttpResponse:
    """The case's inspections and meetings; the lead schedules or convenes here."""
    user = request.user
    case = _case(user, case_no)
    ctx: dict[str, Any] = {"nav": _nav(user), "case": case}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "schedule":
                when = _required_when(request.POST.get("scheduled_at"), "scheduled_at")
                inspection = services.inspection_schedule(
                    actor=user, case=case, scheduled_at=when,
                    place=request.POST.get("place", "")[:300],
                    purpose=request.POST.get("purpose", "")[:3000])
                messages.success(request, _("已安排联合踏勘 %(n)s，已通知受邀部门。")
                                 % {"n": inspection.number})
                return redirect("joint:inspection", pk=inspection.pk)
            if action == "convene":
                when = _required_when(request.POST.get("held_at"), "held_at")
                meeting = services.meeting_convene(
                    actor=user, case=case, held_at=when,
                    place=request.POST.get("place", "")[:300],
                    topic=request.POST.get("topic", "")[:3000])
                messages.success(request, _("已召集联席会议 %(n)s，已通知参会部门。")
                                 % {"n": meeting.number})
                return redirect("joint:meeting", pk=meeting.pk)
            raise Http404(_("没有这个操作。"))
        except DomainError as exc:
            logger.info("joint: case %s %s refused (%s)", case.case_no, action, exc.code)
            ctx.update(_error_ctx(action, exc, request))
            status = exc.status
    ctx["joint"] = selectors.joint_for_case(case, user)
    ctx["now"] = timezone.localtime(clock.now())
    return render(request, "joint/case.html", ctx, status=status)


# --- one inspection ---------------------------------------------------------------------------


def _inspection(user: Any, pk: int) -> JointInspection:
    try:
        return selectors.inspection_get(user=user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _inspection_context(request: HttpRequest, inspection: JointInspection) -> dict[str, Any]:
    user = request.user
    case = inspection.case
    invites = list(inspection.invites.all())
    findings = {f.department_id: f for f in inspection.findings.all()}
    lead = case.state in selectors.WORKING_STATES and selectors.is_lead(
        user, case, next((t for t in case.tasks.all() if t.kind == "step"
                          and t.state == "active"), None))
    now = clock.now()
    held = now >= inspection.scheduled_at
    recording = inspection.state == InspectionState.SCHEDULED and held
    rows: list[dict[str, Any]] = []
    departments = [(inspection.department, _("牵头部门"), None), *[
        (i.department, i.subject, i) for i in invites]]
    mine: list[Department] = []
    for department, subject, invite in departments:
        acts = selectors.acts_for(user, department)
        if acts and recording:
            mine.append(department)
        rows.append({"department": department, "subject": subject, "invite": invite,
                     "finding": findings.get(department.pk), "mine": acts,
                     "required": invite is not None})
    invited_mine = [r for r in rows if r["mine"] and r["invite"] is not None]
    missing = [r["department"].name for r in rows
               if r["required"] and r["finding"] is None]
    return {
        "nav": _nav(user), "inspection": inspection, "case": case, "rows": rows,
        "lead": lead, "held": held, "recording": recording, "now": timezone.localtime(now),
        "is_open": inspection.is_open, "missing": missing,
        "can_respond": inspection.is_open and not findings and bool(invited_mine),
        "respond_rows": invited_mine, "record_departments": mine,
        "conclusions": FindingConclusion.choices, "invite_states": InviteState,
        "findings_due": selectors.findings_due(inspection),
        "due_chip": _chip(selectors.findings_due(inspection) if held
                          else inspection.scheduled_at) if inspection.is_open else None,
        "max_photos": services.MAX_PHOTOS,
        "photo_mb": services.photo_max_bytes() // (1024 * 1024),
    }


INSPECTION_MESSAGES: dict[str, Any] = {
    "confirm": gettext_lazy("已确认参加。"),
    "propose": gettext_lazy("已提议改期，牵头部门将确定新的时间。"),
    "reschedule": gettext_lazy("已改期，已通知各受邀部门重新确认。"),
    "finding": gettext_lazy("本部门踏勘意见已保存。"),
    "remove_photo": gettext_lazy("照片已删除。"),
    "close": gettext_lazy("踏勘记录已形成，已归入办件材料。"),
    "cancel": gettext_lazy("联合踏勘已取消。"),
}


def _do_inspection(request: HttpRequest, inspection: JointInspection, action: str,
                   ctx: dict[str, Any]) -> None:
    user, post = request.user, request.POST
    rows = ctx["rows"]
    if action in ("confirm", "propose"):
        invites = [r["invite"] for r in rows if r["invite"] is not None]
        mine = [i for i in invites if selectors.acts_for(user, i.department)]
        if len(mine) > 1:
            invite = _department_row(post, mine)
        else:  # not invited at all: the service refuses with the reason
            invite = mine[0] if mine else invites[0]
        services.invite_respond(
            actor=user, invite=invite, confirm=action == "confirm",
            proposed_at=_when(post.get("proposed_at"), "proposed_at"),
            note=post.get("note", "")[:1000])
    elif action == "reschedule":
        services.inspection_reschedule(
            actor=user, inspection=inspection,
            scheduled_at=_required_when(post.get("scheduled_at"), "scheduled_at"),
            place=post.get("place", "")[:300], reason=post.get("reason", "")[:1000])
    elif action == "finding":
        choices = [r["department"] for r in rows if r["mine"]]
        # Not one of the departments: the service refuses (403) for the lead's department.
        department = _department(request, choices) if choices else inspection.department
        services.finding_record(
            actor=user, inspection=inspection, department=department,
            findings=post.get("findings", "")[:3000], conclusion=post.get("conclusion", ""),
            photos=_uploads(request))
    elif action == "remove_photo":
        photo = selectors.photo_get(user=user, inspection_pk=inspection.pk,
                                    photo_pk=_int(post.get("photo")))
        services.photo_remove(actor=user, photo=photo)
    elif action == "close":
        services.inspection_close(actor=user, inspection=inspection,
                                  summary=post.get("summary", "")[:3000])
    elif action == "cancel":
        services.inspection_cancel(actor=user, inspection=inspection,
                                   reason=post.get("reason", "")[:1000])
    else:
        raise Http404(_("没有这个操作。"))


def _department_row(post: Any, invites: list[Any]) -> Any:
    found = next((i for i in invites if str(i.department_id) == post.get("department", "")),
                 None)
    if found is None:
        message = _("请选择代表哪个部门回复。")
        raise ValidationFailed(message, field_errors={"department": [message]})
    return found


def _int(raw: Any) -> int:
    try:
        return int(str(raw))
    except (TypeError, ValueError):
        return 0


@require_http_methods(["GET", "POST"])
@joint_page
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection(request.user, pk)
    ctx = _inspection_context(request, inspection)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            _do_inspection(request, inspection, action, ctx)
        except DomainError as exc:
            logger.info("joint: inspection %s %s refused (%s)", inspection.pk, action, exc.code)
            inspection = _inspection(request.user, pk)
            ctx = _inspection_context(request, inspection)
            ctx.update(_error_ctx(action, exc, request))
            return render(request, "joint/inspection.html", ctx, status=exc.status)
        messages.success(request, str(INSPECTION_MESSAGES[action]))
        anchor = {"finding": "#findings", "remove_photo": "#findings"}.get(action, "")
        return redirect(f"/workbench/joint/inspections/{inspection.pk}/{anchor}")
    return render(request, "joint/inspection.html", ctx)


def _file(field: Any, *, content_type: str, name: str, download: bool) -> FileResponse:
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("文件已不存在。")) from exc
    response = FileResponse(handle, content_type=content_type, as_attachment=download,
                            filename=name)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@joint_page
def inspection_photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponseBase:
    """A photo, for staff who may see the inspection (never a public media URL)."""
    try:
        photo: InspectionPhoto = selectors.photo_get(user=request.user, inspection_pk=pk,
                                                     photo_pk=photo_pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return _file(photo.image, content_type=photo.content_type,
                 name=photo.file_name or f"photo-{photo.pk}", download=False)


@require_GET
@joint_page
def inspection_record(request: HttpRequest, pk: int) -> HttpResponseBase:
    inspection = _inspection(request.user, pk)
    if inspection.state != InspectionState.DONE or not inspection.record:
        raise Http404(_("踏勘记录尚未形成。"))
    return _file(inspection.record, content_type="application/pdf",
                 name=f"联合踏勘记录-{inspection.number}.pdf",
                 download=request.GET.get("download") == "1")


# --- one meeting --------------------------------------------------------------------------------


def _meeting(user: Any, pk: int) -> JointMeeting:
    try:
        return selectors.meeting_get(user=user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _meeting_context(request: HttpRequest, meeting: JointMeeting) -> dict[str, Any]:
    user = request.user
    case = meeting.case
    lead = case.state in selectors.WORKING_STATES and selectors.is_lead(
        user, case, next((t for t in case.tasks.all() if t.kind == "step"
                          and t.state == "active"), None))
    now = clock.now()
    held = now >= meeting.held_at
    rows: list[dict[str, Any]] = [{"c": c, "mine": selectors.acts_for(user, c.department)}
            for c in meeting.conclusions.all()]
    open_ = meeting.state == MeetingState.CONVENED
    return {
        "nav": _nav(user), "meeting": meeting, "case": case, "rows": rows, "lead": lead,
        "held": held, "is_open": open_, "now": timezone.localtime(now),
        "can_conclude": open_ and held,
        "kinds": [k for k in MeetingConclusionKind.choices if k[0]],
        "missing": [r["c"].department.name for r in rows if not r["c"].conclusion],
        "due_chip": _chip(meeting.held_at) if open_ else None,
    }


MEETING_MESSAGES: dict[str, Any] = {
    "conclude": gettext_lazy("会审结论已记录。"),
    "minutes": gettext_lazy("会议纪要已保存。"),
    "close": gettext_lazy("会议纪要已形成，已归入办件材料。"),
    "cancel": gettext_lazy("联席会议已取消。"),
}


def _do_meeting(request: HttpRequest, meeting: JointMeeting, action: str) -> None:
    user, post = request.user, request.POST
    if action == "conclude":
        row = next((c for c in meeting.conclusions.all()
                    if str(c.department_id) == post.get("department", "")), None)
        if row is None:
            message = _("请选择部门。")
            raise ValidationFailed(message, field_errors={"department": [message]})
        services.meeting_conclude(actor=user, meeting=meeting, department=row.department,
                                  conclusion=post.get("conclusion", ""),
                                  text=post.get("text", "")[:3000])
    elif action == "minutes":
        services.meeting_record_minutes(actor=user, meeting=meeting,
                                        minutes=post.get("minutes", "")[:12000])
    elif action == "close":
        services.meeting_close(actor=user, meeting=meeting,
                               minutes=post.get("minutes", "")[:12000])
    elif action == "cancel":
        services.meeting_cancel(actor=user, meeting=meeting, reason=post.get("reason", "")[:1000])
    else:
        raise Http404(_("没有这个操作。"))


@require_http_methods(["GET", "POST"])
@joint_page
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            _do_meeting(request, meeting, action)
        except DomainError as exc:
            logger.info("joint: meeting %s %s refused (%s)", meeting.pk, action, exc.code)
            meeting = _meeting(request.user, pk)
            ctx = _meeting_context(request, meeting)
            ctx.update(_error_ctx(action, exc, request))
            ctx["error_department"] = request.POST.get("department", "")
            return render(request, "joint/meeting.html", ctx, status=exc.status)
        messages.success(request, str(MEETING_MESSAGES[action]))
        return redirect(f"/workbench/joint/meetings/{meeting.pk}/")
    return render(request, "joint/meeting.html", _meeting_context(request, meeting))


@require_GET
@joint_page
def meeting_record(request: HttpRequest, pk: int) -> HttpResponseBase:
    meeting = _meeting(request.user, pk)
    if meeting.state != MeetingState.HELD or not meeting.record:
        raise Http404(_("会议纪要尚未形成。"))
    return _file(meeting.record, content_type="application/pdf",
                 name=f"联席会议纪要-{meeting.number}.pdf",
                 download=request.GET.get("download") == "1")
