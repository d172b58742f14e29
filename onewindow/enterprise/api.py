"""企业服务接口: 一企一档, 重点项目, 项目秘书, 走访, 企忧事项 and their figures.

Everything the pages do. Anonymous callers get 401; staff without an enterprise duty 403
(figures: without ``enterprise.manage`` / ``stats.view``); a file, project or concern outside
the caller's scope is a 404, the same as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from onewindow.accounts.models import Applicant, ApplicantKind, User
from onewindow.accounts.tokens import staff_auth
from onewindow.core import clock
from onewindow.core.errors import NotFound, PermissionDenied, ValidationFailed
from onewindow.core.masking import mask_name
from onewindow.enterprise import selectors, services
from onewindow.enterprise.models import (
    Concern,
    ConcernCategory,
    ConcernSource,
    EnterpriseVisit,
    KeyProject,
    ProjectStage,
    SecretaryAssignment,
    SecretaryRole,
)
from onewindow.enterprise.workflow import ConcernAction
from onewindow.regions.models import Department, Region

router = Router(tags=["企业服务"], auth=staff_auth)


def _require(request: HttpRequest) -> None:
    if not selectors.has_enterprise_role(request.user):
        raise PermissionDenied(_("您没有企业服务（一企一档、企忧事项）的权限。"))


def _department(pk: int | None, name: str) -> Department | None:
    if pk is None:
        return None
    found = Department.objects.select_related("region").filter(pk=pk).first()
    if found is None:
        message = _("没有找到这个部门。")
        raise ValidationFailed(message, field_errors={name: [message]})
    return found


def _region(code: str, name: str = "region_code") -> Region:
    found = Region.objects.filter(code=str(code or "").strip()[:12]).first()
    if found is None:
        message = _("没有找到这个区划。")
        raise ValidationFailed(message, field_errors={name: [message]})
    return found


def _company(credit_code: str | None, name: str = "credit_code") -> Applicant | None:
    code = str(credit_code or "").strip().upper()[:18]
    if not code:
        return None
    found = Applicant.objects.filter(credit_code=code, kind=ApplicantKind.ORGANISATION).first()
    if found is None:
        message = _("没有找到这个统一社会信用代码的企业，请先在申请人中登记。")
        raise ValidationFailed(message, field_errors={name: [message]})
    return found


def _staff_user(username: str) -> User:
    found = User.objects.filter(username=str(username or "").strip()[:150], is_active=True).first()
    if found is None:
        message = _("没有找到这个工作人员账户。")
        raise ValidationFailed(message, field_errors={"username": [message]})
    return found


# --- schemas -------------------------------------------------------------------------------------


class FileRow(Schema):
    id: int
    company: str
    credit_code: str
    region: str
    is_key: bool
    green_channel: bool
    industry: str
    contact: str
    open_concerns: int


class CaseRow(Schema):
    case_no: str
    item: str
    department: str
    state: str
    state_label: str
    created_at: dt.datetime
    promised_due: dt.date | None
    completed_at: dt.datetime | None


class CertificateRow(Schema):
    number: str
    name: str
    issued_on: dt.date
    valid_until: dt.date | None
    revoked: bool
    case_no: str


class VisitOut(Schema):
    id: int
    visited_on: dt.date
    department: str
    visitor: str
    attendees: str
    summary: str
    concerns: list[str] = []


class SecretaryOut(Schema):
    id: int
    name: str
    username: str
    role: str
    role_label: str
    project: str
    starts_on: dt.date
    ends_on: dt.date | None


class ConcernRow(Schema):
    number: str
    company: str
    file_id: int
    category: str
    category_label: str
    source: str
    description: str
    state: str
    state_label: str
    raised_at: dt.datetime
    raised_by_department: str
    assigned_department: str
    deadline: dt.date
    overdue: bool
    days_left: int | None
    resolved_at: dt.datetime | None
    satisfaction: str


class EventOut(Schema):
    seq: int
    action: str
    action_label: str
    from_state: str
    to_state: str
    actor: str
    department: str
    note: str
    at: dt.datetime


class ConcernOut(ConcernRow):
    resolution: str
    explanation: str
    on_time: bool | None
    satisfaction_note: str
    events: list[EventOut]


class ProjectOut(Schema):
    id: int
    code: str
    name: str
    company: str
    region: str
    lead_department: str
    investment: Decimal | None
    stage: str
    stage_label: str
    green_channel: bool
    is_active: bool
    secretaries: list[str]


class FileOut(Schema):
    id: int
    company: str
    credit_code: str
    legal_representative: str
    region: str
    is_key: bool
    green_channel: bool
    is_active: bool
    industry: str
    address: str
    contact: str
    liaisons: list[str]
    case_total: int
    cases: list[CaseRow]
    certificates: list[CertificateRow]
    visits: list[VisitOut]
    secretaries: list[SecretaryOut]
    concerns: list[ConcernRow]
    concern_counts: dict[str, int]
    projects: list[ProjectOut]


class FileIn(Schema):
    credit_code: str = Field(..., max_length=18)
    region_code: str = Field(..., max_length=12)
    is_key: bool = False
    green_channel: bool = False
    industry: str = Field("", max_length=50)
    address: str = Field("", max_length=200)
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=20)
    note: str = Field("", max_length=2000)
    liaison_department_ids: list[int] = Field(default_factory=list, max_length=30)


class DesignationIn(Schema):
    is_key: bool
    green_channel: bool
    is_active: bool = True


class LiaisonsIn(Schema):
    department_ids: list[int] = Field(..., max_length=30)


class SecretaryIn(Schema):
    username: str = Field(..., max_length=150)
    role: str = Field(SecretaryRole.PROJECT_SECRETARY, max_length=20)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class EndIn(Schema):
    reason: str = Field("", max_length=200)


class ConcernItemIn(Schema):
    description: str = Field(..., max_length=2000)
    category: str = Field(ConcernCategory.OTHER, max_length=20)
    assign_to_department_id: int | None = None
    days: int | None = Field(None, ge=1, le=services.MAX_DAYS)


class VisitIn(Schema):
    visited_on: dt.date
    summary: str = Field(..., max_length=2000)
    attendees: str = Field("", max_length=300)
    department_id: int | None = None
    concerns: list[ConcernItemIn] = Field(default_factory=list, max_length=20)


class ConcernIn(ConcernItemIn):
    source: str = Field(ConcernSource.DIRECT, max_length=10)
    department_id: int | None = None


class ProjectIn(Schema):
    region_code: str = Field(..., max_length=12)
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=200)
    lead_department_id: int
    company_credit_code: str = Field("", max_length=18)
    investment: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    stage: str = Field(ProjectStage.SIGNED, max_length=20)
    green_channel: bool = True
    note: str = Field("", max_length=2000)


class ProjectUpdateIn(Schema):
    stage: str | None = Field(None, max_length=20)
    green_channel: bool | None = None
    is_active: bool | None = None


class AssignIn(Schema):
    department_id: int
    days: int | None = Field(None, ge=1, le=services.MAX_DAYS)
    note: str = Field("", max_length=2000)


class NoteIn(Schema):
    note: str = Field(..., max_length=2000)


class ResolveIn(Schema):
    resolution: str = Field(..., max_length=2000)


class ExplainIn(Schema):
    reason: str = Field(..., max_length=2000)


class RateIn(Schema):
    satisfaction: str = Field(..., max_length=12)
    note: str = Field("", max_length=500)


class ConcernParams(Schema):
    state: str = Field("open", pattern="^(open|closed|raised|assigned|in_progress|resolved|"
                                        "explained|)$")
    department: int | None = None
    overdue: bool = False
    mine: bool = False
    q: str = Field("", max_length=100)
    after: str = Field("", max_length=40, pattern=r"^(\d{4}-\d{2}-\d{2}_\d{1,18})?$")
    limit: int = Field(50, ge=1, le=100)


class ConcernPage(Schema):
    items: list[ConcernRow]
    next_cursor: str | None


class FigureParams(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    by: str = Field("department", pattern="^(department|region|category|month|total)$")
    region_code: str = Field("", max_length=12)
    department: int | None = None


class FigureRow(Schema):
    key: str | None
    label: str
    raised: int
    solved: int
    resolved: int
    explained: int
    tracking: int
    overdue: int
    on_time: int
    closure_rate: Decimal | None


class FigureOut(Schema):
    rows: list[FigureRow]
    total: FigureRow


# --- converters ----------------------------------------------------------------------------------


def concern_row(c: Concern) -> dict[str, Any]:
    from onewindow.cases.selectors import urgency

    left = urgency(c.deadline).days_left if c.is_open else None
    return {
        "number": c.number or "", "company": c.file.company.name, "file_id": c.file_id,
        "category": c.category, "category_label": c.get_category_display(),
        "source": c.source, "description": c.description, "state": c.state,
        "state_label": c.get_state_display(), "raised_at": c.raised_at,
        "raised_by_department": c.raised_by_department.name if c.raised_by_department else "",
        "assigned_department": c.assigned_department.name if c.assigned_department else "",
        "deadline": c.deadline, "overdue": c.is_open and c.deadline < clock.today(),
        "days_left": left, "resolved_at": c.resolved_at, "satisfaction": c.satisfaction,
    }


def concern_out(c: Concern) -> dict[str, Any]:
    labels = dict(ConcernAction.choices)
    return {
        **concern_row(c), "resolution": c.resolution, "explanation": c.explanation,
        "on_time": c.on_time, "satisfaction_note": c.satisfaction_note,
        "events": [{
            "seq": e.seq, "action": e.action, "action_label": str(labels.get(e.action, e.action)),
            "from_state": e.from_state, "to_state": e.to_state,
            "actor": str(e.actor) if e.actor else _("系统"),
            "department": e.department.name if e.department else "", "note": e.note, "at": e.at,
        } for e in c.events.all()],
    }


def project_out(p: KeyProject) -> dict[str, Any]:
    today = clock.today()
    return {
        "id": p.pk, "code": p.code, "name": p.name,
        "company": p.company.name if p.company else "", "region": p.region.name,
        "lead_department": p.lead_department.name, "investment": p.investment,
        "stage": p.stage, "stage_label": p.get_stage_display(), "green_channel": p.green_channel,
        "is_active": p.is_active,
        "secretaries": [str(s.user) for s in p.secretaries.all()
                        if s.ended_at is None and s.starts_on <= today
                        and (s.ends_on is None or s.ends_on >= today)],
    }


def secretary_out(s: SecretaryAssignment) -> dict[str, Any]:
    return {"id": s.pk, "name": str(s.user), "username": s.user.username, "role": s.role,
            "role_label": s.get_role_display(), "project": s.project.name if s.project else "",
            "starts_on": s.starts_on, "ends_on": s.ends_on}


def visit_out(v: EnterpriseVisit, concerns: list[str] | None = None) -> dict[str, Any]:
    return {"id": v.pk, "visited_on": v.visited_on,
            "department": v.department.name if v.department else _("项目秘书"),
            "visitor": str(v.visitor) if v.visitor else "", "attendees": v.attendees,
            "summary": v.summary, "concerns": concerns or []}


def file_row(f: Any) -> dict[str, Any]:
    return {"id": f.pk, "company": f.company.name, "credit_code": f.company.credit_code or "",
            "region": f.region.name, "is_key": f.is_key, "green_channel": f.green_channel,
            "industry": f.industry, "contact": f.masked_contact,
            "open_concerns": getattr(f, "open_concerns", 0)}


def file_out(view: selectors.FileView) -> dict[str, Any]:
    f = view.file
    for p in view.projects:
        p._prefetched_objects_cache = {"secretaries": [  # type: ignore[attr-defined]
            s for s in view.secretaries if s.project_id == p.pk]}
    return {
        "id": f.pk, "company": f.company.name, "credit_code": f.company.credit_code or "",
        "legal_representative": mask_name(f.company.legal_representative),
        "region": f.region.name, "is_key": f.is_key, "green_channel": f.green_channel,
        "is_active": f.is_active, "industry": f.industry, "address": f.address,
        "contact": f.masked_contact, "liaisons": [d.name for d in view.liaisons],
        "case_total": view.case_total,
        "cases": [{"case_no": c.case_no, "item": c.item.basic.name,
                   "department": c.department.name, "state": c.state,
                   "state_label": c.get_state_display(), "created_at": c.created_at,
                   "promised_due": c.promised_due, "completed_at": c.completed_at}
                  for c in view.cases],
        "certificates": [{"number": x.number, "name": x.name, "issued_on": x.issued_on,
                          "valid_until": x.valid_until, "revoked": x.revoked_at is not None,
                          "case_no": x.case.case_no} for x in view.certificates],
        "visits": [visit_out(v) for v in view.visits],
        "secretaries": [secretary_out(s) for s in view.secretaries],
        "concerns": [concern_row_for_file(c, f) for c in view.concerns],
        "concern_counts": view.concern_counts,
        "projects": [project_out(p) for p in view.projects],
    }


def concern_row_for_file(c: Concern, f: Any) -> dict[str, Any]:
    c.file = f  # the file is already loaded: no query per row
    return concern_row(c)


def figure_row(r: selectors.ConcernFigures) -> dict[str, Any]:
    return {"key": None if r.key is None else str(r.key), "label": r.label, "raised": r.raised,
            "solved": r.solved, "resolved": r.resolved, "explained": r.explained,
            "tracking": r.tracking, "overdue": r.overdue, "on_time": r.on_time,
            "closure_rate": r.closure_rate}


# --- files ---------------------------------------------------------------------------------------


@router.get("/files", response=list[FileRow], summary="企业档案（辖区内、包联、我服务的企业）")
def files(request: HttpRequest, q: str = Query("", max_length=100), key: bool = False
          ) -> list[dict[str, Any]]:
    _require(request)
    return [file_row(f) for f in selectors.files_for(request.user, q=q, key_only=key)]


@router.post("/files", response={201: FileRow}, summary="建立企业档案（营商环境管理人员）")
def file_open(request: HttpRequest, body: FileIn) -> Status[dict[str, Any]]:
    _require(request)
    deps = [d for d in (_department(pk, "liaison_department_ids")
                        for pk in body.liaison_department_ids) if d]
    f = services.enterprise_file_open(
        actor=request.user, company=_company(body.credit_code), region=_region(body.region_code),
        is_key=body.is_key, green_channel=body.green_channel, industry=body.industry,
        address=body.address, contact_name=body.contact_name, contact_phone=body.contact_phone,
        note=body.note, liaison_departments=deps)
    return Status(201, file_row(f))


@router.get("/files/{file_id}", response=FileOut,
            summary="一企一档：办件、证照、走访、项目秘书、企忧事项、重点项目")
def file_detail(request: HttpRequest, file_id: int) -> dict[str, Any]:
    _require(request)
    return file_out(selectors.file_view(request.user, file_id))


@router.post("/files/{file_id}/designation", response=FileRow,
             summary="认定或取消重点企业、绿色通道；关闭档案")
def file_designate(request: HttpRequest, file_id: int, body: DesignationIn) -> dict[str, Any]:
    _require(request)
    f = services.enterprise_file_designate(
        actor=request.user, file=selectors.file_get(request.user, file_id), is_key=body.is_key,
        green_channel=body.green_channel, is_active=body.is_active)
    return file_row(f)


@router.put("/files/{file_id}/liaisons", response=list[str], summary="设置包联部门")
def file_liaisons(request: HttpRequest, file_id: int, body: LiaisonsIn) -> list[str]:
    _require(request)
    f = selectors.file_get(request.user, file_id)
    deps = [d for d in (_department(pk, "department_ids") for pk in body.department_ids) if d]
    return [d.name for d in services.enterprise_file_set_liaisons(
        actor=request.user, file=f, departments=deps)]


@router.post("/files/{file_id}/secretaries", response={201: SecretaryOut},
             summary="为企业指派项目秘书")
def file_secretary(request: HttpRequest, file_id: int, body: SecretaryIn
                   ) -> Status[dict[str, Any]]:
    _require(request)
    f = selectors.file_get(request.user, file_id)
    a = services.secretary_assign(actor=request.user, user=_staff_user(body.username), file=f,
                                  role=body.role, starts_on=body.starts_on, ends_on=body.ends_on)
    return Status(201, secretary_out(a))


@router.post("/secretaries/{assignment_id}/end", response=SecretaryOut, summary="解除项目秘书")
def secretary_end(request: HttpRequest, assignment_id: int, body: EndIn) -> dict[str, Any]:
    _require(request)
    a = SecretaryAssignment.objects.select_related("region").filter(pk=assignment_id).first()
    if a is None or not selectors.may_manage(request.user, a.region):
        raise NotFound(_("没有找到这项指派。"))
    a = services.secretary_end(actor=request.user, assignment=a, reason=body.reason)
    return secretary_out(SecretaryAssignment.objects.select_related("user", "project")
                         .get(pk=a.pk))


@router.post("/files/{file_id}/visits", response={201: VisitOut},
             summary="登记走访及企业反映的问题（企忧事项）")
def visit_record(request: HttpRequest, file_id: int, body: VisitIn) -> Status[dict[str, Any]]:
    _require(request)
    f = selectors.file_get(request.user, file_id)
    items = [services.ConcernInput(
        description=c.description, category=c.category,
        assign_to=_department(c.assign_to_department_id, f"concerns.{i}.assign_to"),
        days=c.days) for i, c in enumerate(body.concerns)]
    v = services.visit_record(actor=request.user, file=f, visited_on=body.visited_on,
                              summary=body.summary, attendees=body.attendees,
                              department=_department(body.department_id, "department_id"),
                              concerns=items)
    numbers = list(v.concerns.order_by("id").values_list("number", flat=True))
    v = EnterpriseVisit.objects.select_related("department", "visitor").get(pk=v.pk)
    return Status(201, visit_out(v, [n for n in numbers if n]))


@router.post("/files/{file_id}/concerns", response={201: ConcernOut},
             summary="登记企业直接反映的问题")
def concern_raise(request: HttpRequest, file_id: int, body: ConcernIn) -> Status[dict[str, Any]]:
    _require(request)
    f = selectors.file_get(request.user, file_id)
    c = services.concern_raise(
        actor=request.user, file=f, description=body.description, category=body.category,
        source=body.source, department=_department(body.department_id, "department_id"),
        assign_to=_department(body.assign_to_department_id, "assign_to_department_id"),
        days=body.days)
    return Status(201, concern_out(selectors.concern_get(request.user, c.number or "")))


# --- key projects --------------------------------------------------------------------------------


@router.get("/projects", response=list[ProjectOut], summary="重点项目")
def projects(request: HttpRequest, q: str = Query("", max_length=100),
             stage: str = Query("", max_length=20)) -> list[dict[str, Any]]:
    _require(request)
    return [project_out(p) for p in selectors.projects_for(request.user, q=q, stage=stage)]


@router.post("/projects", response={201: ProjectOut}, summary="认定重点项目")
def project_designate(request: HttpRequest, body: ProjectIn) -> Status[dict[str, Any]]:
    _require(request)
    p = services.key_project_designate(
        actor=request.user, region=_region(body.region_code), code=body.code, name=body.name,
        lead_department=_department(body.lead_department_id, "lead_department_id"),
        company=_company(body.company_credit_code, "company_credit_code"),
        investment=body.investment, stage=body.stage, green_channel=body.green_channel,
        note=body.note)
    return Status(201, project_out(selectors.project_get(request.user, p.pk)))


@router.post("/projects/{project_id}", response=ProjectOut,
             summary="更新项目阶段、绿色通道、有效性")
def project_update(request: HttpRequest, project_id: int, body: ProjectUpdateIn
                   ) -> dict[str, Any]:
    _require(request)
    p = services.key_project_update(actor=request.user,
                                    project=selectors.project_get(request.user, project_id),
                                    stage=body.stage, green_channel=body.green_channel,
                                    is_active=body.is_active)
    return project_out(selectors.project_get(request.user, p.pk))


@router.post("/projects/{project_id}/secretaries", response={201: SecretaryOut},
             summary="为重点项目指派项目秘书")
def project_secretary(request: HttpRequest, project_id: int, body: SecretaryIn
                      ) -> Status[dict[str, Any]]:
    _require(request)
    p = selectors.project_get(request.user, project_id)
    a = services.secretary_assign(actor=request.user, user=_staff_user(body.username), project=p,
                                  role=body.role, starts_on=body.starts_on, ends_on=body.ends_on)
    return Status(201, secretary_out(a))


# --- concerns ------------------------------------------------------------------------------------


def _cursor(raw: str) -> tuple[dt.date, int] | None:
    if not raw:
        return None
    day, _sep, pk = raw.partition("_")
    try:
        return dt.date.fromisoformat(day), int(pk)
    except ValueError as exc:
        message = _("翻页参数不正确。")
        raise ValidationFailed(message, field_errors={"after": [message]}) from exc


@router.get("/concerns", response=ConcernPage, summary="企忧事项（本部门、辖区或我服务的企业）")
def concerns(request: HttpRequest, params: Query[ConcernParams]) -> dict[str, Any]:
    _require(request)
    rows, nxt = selectors.concerns_for(
        request.user, state=params.state, department_id=params.department,
        overdue=params.overdue, q=params.q, mine=params.mine, after=_cursor(params.after),
        limit=params.limit)
    return {"items": [concern_row(c) for c in rows],
            "next_cursor": f"{nxt[0].isoformat()}_{nxt[1]}" if nxt else None}


@router.get("/concerns/{number}", response=ConcernOut, summary="企忧事项详情与办理记录")
def concern_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    _require(request)
    return concern_out(selectors.concern_get(request.user, number))


def _after(request: HttpRequest, number: str) -> dict[str, Any]:
    return concern_out(selectors.concern_get(request.user, number))


@router.post("/concerns/{number}/assign", response=ConcernOut, summary="交办或改派")
def concern_assign(request: HttpRequest, number: str, body: AssignIn) -> dict[str, Any]:
    _require(request)
    c = selectors.concern_get(request.user, number)
    services.concern_assign(actor=request.user, concern=c,
                            department=_department(body.department_id, "department_id"),
                            days=body.days, note=body.note)
    return _after(request, number)


@router.post("/concerns/{number}/follow", response=ConcernOut, summary="跟踪记录 / 办理进展")
def concern_follow(request: HttpRequest, number: str, body: NoteIn) -> dict[str, Any]:
    _require(request)
    services.concern_follow(actor=request.user, concern=selectors.concern_get(request.user,
                                                                              number),
                            note=body.note)
    return _after(request, number)


@router.post("/concerns/{number}/resolve", response=ConcernOut, summary="办结：已解决")
def concern_resolve(request: HttpRequest, number: str, body: ResolveIn) -> dict[str, Any]:
    _require(request)
    services.concern_resolve(actor=request.user,
                             concern=selectors.concern_get(request.user, number),
                             resolution=body.resolution)
    return _after(request, number)


@router.post("/concerns/{number}/explain", response=ConcernOut,
             summary="办结：解释说明（须写明理由）")
def concern_explain(request: HttpRequest, number: str, body: ExplainIn) -> dict[str, Any]:
    _require(request)
    services.concern_explain(actor=request.user,
                             concern=selectors.concern_get(request.user, number),
                             reason=body.reason)
    return _after(request, number)


@router.post("/concerns/{number}/satisfaction", response=ConcernOut,
             summary="登记企业满意度回访")
def concern_rate(request: HttpRequest, number: str, body: RateIn) -> dict[str, Any]:
    _require(request)
    services.concern_rate(actor=request.user, concern=selectors.concern_get(request.user, number),
                          satisfaction=body.satisfaction, note=body.note)
    return _after(request, number)


# --- figures -------------------------------------------------------------------------------------


@router.get("/figures", response=FigureOut,
            summary="企忧事项统计：受理、办结（解决+解释说明）、跟踪中、超期、办结率")
def figures(request: HttpRequest, params: Query[FigureParams]) -> dict[str, Any]:
    if not selectors.may_view_figures(request.user):
        raise PermissionDenied(_("您没有查看统计的权限。"))
    if params.start and params.end and params.end < params.start:
        message = _("结束日期不能早于开始日期。")
        raise ValidationFailed(message, field_errors={"end": [message]})
    region = _region(params.region_code) if params.region_code else None
    rows = selectors.concern_figures(
        user=request.user, region=region, department_id=params.department,
        period=selectors.Period(params.start, params.end),
        group_by=None if params.by == "total" else params.by)
    return {"rows": [figure_row(r) for r in rows],
            "total": figure_row(selectors.figure_totals(rows))}
