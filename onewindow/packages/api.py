"""一件事 API (/api/v1/packages): the same services and selectors as the pages.

- Public, no sign-in: the published packages and each one's guide — items with their
  prerequisites, the combined form (in the item form-schema format) and the combined material
  list (each material's ``key`` names its file field when applying).
- Applicants (session or token): apply in one multipart request — ``form`` (the combined form
  as a JSON object), ``delivery_method``, ``delivery_address``, optionally ``applicant_id``,
  and one file per material, the field named by the material's key; every error comes back at
  once, field by field (``form.<name>``, ``materials.<key>``, ``delivery_method`` …), and
  nothing is written. Then their applications, and one application with each item's case.
- Staff: the applications in their scope, one application, and the one delivery (统一出件).

Another person's application is the same 404 as an unknown number.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Form, Query, Router, Schema, Status

from onewindow.accounts import access
from onewindow.accounts.models import Applicant
from onewindow.accounts.tokens import staff_auth
from onewindow.cases import files
from onewindow.cases import selectors as case_selectors
from onewindow.cases.services import Upload
from onewindow.core.errors import NotFound, PermissionDenied, ValidationFailed
from onewindow.packages import design as pkg_design
from onewindow.packages import selectors, services
from onewindow.packages.models import Package, PackageApplication
from onewindow.packages.workflow import ApplicationState

router = Router(tags=["一件事"], auth=staff_auth)

MAX_PAGE = 100


# --- schemas -------------------------------------------------------------------------------------


class PackageListItem(Schema):
    code: str
    name: str
    region: str
    lead_department: str
    description: str
    item_count: int


class PackageItemOut(Schema):
    id: int
    item_code: str
    name: str
    department: str
    promised_limit_days: int | None
    result_name: str
    depends_on: list[str] = Field(description="前置事项（实施编码）")


class CombinedMaterialOut(Schema):
    key: str = Field(description="申请时该材料文件字段的名称")
    name: str
    required: bool
    must_upload: bool = Field(description="提交前必须上传（必要且不可容缺）")
    tolerable: bool
    requirements: str
    items: list[str] = Field(description="需要这份材料的事项")


class CertificateMaterialOut(Schema):
    item: str
    material: str
    from_item: str
    result_name: str


class PackageDetail(Schema):
    code: str
    name: str
    region: str
    lead_department: str
    description: str
    items: list[PackageItemOut]
    form: list[dict[str, Any]] = Field(description="联合申请表（与事项申请表同一格式）")
    materials: list[CombinedMaterialOut]
    from_certificates: list[CertificateMaterialOut] = Field(
        description="由前置事项的电子证照自动提供、无需上传的材料")


class ItemStatusOut(Schema):
    id: int
    item_code: str
    name: str
    department: str
    state: str
    state_label: str
    outcome: str
    case_no: str | None
    case_state: str | None
    waiting_for: list[str]
    note: str
    certificate_no: str | None


class ApplicationOut(Schema):
    number: str
    package_code: str
    package_name: str
    state: str
    state_label: str
    applicant: str = Field(description="申请人（脱敏）")
    delivery_method: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    completed_at: dt.datetime | None
    delivered_at: dt.datetime | None
    tracking_no: str
    items: list[ItemStatusOut]


class ApplicationListOut(Schema):
    items: list[ApplicationOut]
    next_before: int | None


class ApplyForm(Schema):
    form: str = Field("{}", description="联合申请表，JSON 对象：{字段名: 值}")
    delivery_method: Literal["window", "post", "electronic"] | Literal[""] = ""
    delivery_address: str = Field("", max_length=300)
    applicant_id: int | None = Field(None, ge=1, description="以哪个申请人身份（本人或单位）")


class ListParams(Schema):
    state: str = ""
    before: int | None = Field(None, ge=1, description="上一页最后一条的 id")
    limit: int = Field(20, ge=1, le=MAX_PAGE)


class DeliverIn(Schema):
    tracking_no: str = Field("", max_length=40)
    identity_checked: bool = False


# --- helpers -------------------------------------------------------------------------------------


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _field(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


def _package_detail(package: Package) -> PackageDetail:
    d = pkg_design.load_design(package)
    codes = {p.package_item.pk: p.package_item.item.implementation_code for p in d.items}
    return PackageDetail(
        code=package.code, name=package.name, region=package.region.name,
        lead_department=package.lead_department.name if package.lead_department else "",
        description=package.description,
        items=[PackageItemOut(
            id=p.package_item.pk, item_code=p.package_item.item.implementation_code,
            name=p.name, department=p.package_item.item.department.name,
            promised_limit_days=p.version.promised_limit if p.version else None,
            result_name=p.version.result_name if p.version else "",
            depends_on=[codes[i] for i in p.prerequisite_ids if i in codes],
        ) for p in d.items],
        form=d.schema,
        materials=[CombinedMaterialOut(
            key=m.key, name=m.name, required=m.required, must_upload=m.must_upload,
            tolerable=m.tolerable, requirements=m.requirements, items=m.item_names,
        ) for m in d.materials],
        from_certificates=[CertificateMaterialOut(
            item=c.item_name, material=c.material_name, from_item=c.prerequisite_name,
            result_name=c.result_name,
        ) for c in d.from_certificates],
    )


def _application_out(a: PackageApplication) -> ApplicationOut:
    rows = selectors.item_rows(a)
    return ApplicationOut(
        number=a.number, package_code=a.package.code, package_name=a.package.name,
        state=a.state, state_label=a.get_state_display(), applicant=a.applicant.masked_name,
        delivery_method=a.delivery_method, created_at=a.created_at,
        submitted_at=a.submitted_at, completed_at=a.completed_at,
        delivered_at=a.delivered_at, tracking_no=a.tracking_no,
        items=[ItemStatusOut(
            id=r.pc.pk, item_code=r.pc.package_item.item.implementation_code, name=r.name,
            department=r.department, state=r.pc.state, state_label=r.state_label,
            outcome=r.pc.outcome, case_no=r.case.case_no if r.case else None,
            case_state=r.case.state if r.case else None, waiting_for=r.waiting_for,
            note=r.pc.note, certificate_no=r.certificate.number if r.certificate else None,
        ) for r in rows],
    )


def _is_staff(user: Any) -> bool:
    return any(access.has_any(user, perm) for perm in case_selectors.STAFF_VIEW_PERMS)


def _applicant(user: Any, applicant_id: int | None) -> Applicant:
    qs = Applicant.objects.filter(user_id=user.pk)
    if applicant_id:
        qs = qs.filter(pk=applicant_id)
    rows = list(qs.order_by("pk")[:2])
    if not rows:
        if applicant_id:
            raise NotFound(_("没有找到这个申请人。"))
        raise _field("applicant_id", _("您的账户还没有申请人信息，请先完善个人信息。"))
    if len(rows) > 1:
        raise _field("applicant_id", _("请选择以哪个申请人（个人或单位）身份申请。"))
    return rows[0]


def _page(qs: Any, params: ListParams) -> ApplicationListOut:
    if params.state:
        if params.state not in ApplicationState.values:
            raise _field("state", _("状态不正确。"))
        qs = qs.filter(state=params.state)
    if params.before:
        qs = qs.filter(pk__lt=params.before)
    rows = list(qs.order_by("-id")[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return ApplicationListOut(items=[_application_out(a) for a in rows],
                              next_before=rows[-1].pk if more and rows else None)


# --- endpoints (fixed paths before /{code}) -----------------------------------------------------


@router.get("", response=list[PackageListItem], auth=None, summary="已发布的一件事")
def list_packages(request: HttpRequest) -> list[PackageListItem]:
    return [PackageListItem(
        code=p.code, name=p.name, region=p.region.name,
        lead_department=p.lead_department.name if p.lead_department else "",
        description=p.description, item_count=p.item_count,  # type: ignore[attr-defined]
    ) for p in selectors.packages_public()]


@router.get("/applications/mine", response=ApplicationListOut,
            summary="我的一件事申请（按时间倒序）")
def my_applications(request: HttpRequest, params: Query[ListParams]) -> ApplicationListOut:
    return _page(selectors.applications_for_applicant(user=request.user), params)


@router.get("/applications", response=ApplicationListOut,
            summary="辖区内的一件事申请（工作人员）")
def staff_applications(request: HttpRequest, params: Query[ListParams]) -> ApplicationListOut:
    if not _is_staff(request.user):
        raise PermissionDenied(_("您没有权限查看一件事申请。"))
    return _page(selectors.applications_for_staff(user=request.user), params)


@router.get("/applications/{number}", response=ApplicationOut,
            summary="一件事申请详情：各事项的办件及其状态、等待的前置事项")
def get_application(request: HttpRequest, number: str) -> ApplicationOut:
    user = request.user
    try:
        application = selectors.application_get_for_applicant(user=user, number=number)
    except NotFound:
        if not _is_staff(user):
            raise
        application = selectors.application_get_for_staff(user=user, number=number)
    return _application_out(application)


@router.post("/applications/{number}/deliver", response=ApplicationOut,
             summary="统一出件：各事项结果按申请人选择的方式一次送达")
def deliver(request: HttpRequest, number: str, payload: DeliverIn) -> ApplicationOut:
    application = selectors.application_get_for_staff(user=request.user, number=number)
    services.application_deliver(actor=request.user, application=application,
                                 tracking_no=payload.tracking_no,
                                 identity_checked=payload.identity_checked)
    return _application_out(
        selectors.application_get_for_staff(user=request.user, number=number))


@router.get("/{code}", response=PackageDetail, auth=None,
            summary="一件事详情：事项与前置关系、联合申请表、合并后的材料清单")
def get_package(request: HttpRequest, code: str) -> PackageDetail:
    return _package_detail(selectors.package_get_public(code=code))


@router.post("/{code}/apply", response={201: ApplicationOut},
             summary="申请一件事（multipart）：一张联合申请表，每份材料上传一次")
def apply(request: HttpRequest, code: str, payload: Form[ApplyForm]) -> Status[ApplicationOut]:
    package = selectors.package_get_public(code=code)
    try:
        form = json.loads(payload.form or "{}")
    except ValueError as exc:
        raise _field("form", _("申请表应为 JSON 对象。")) from exc
    if not isinstance(form, dict):
        raise _field("form", _("申请表应为 JSON 对象。"))
    applicant = _applicant(request.user, payload.applicant_id)
    uploads = {}
    for key in request.FILES:
        f = request.FILES.get(key)
        if f is not None:  # the last file sent under one name
            uploads[key] = Upload(name=f.name or "", data=f.read(files.max_bytes() + 1))
    application = services.package_apply(
        actor=request.user, package=package, applicant=applicant, form_data=form,
        uploads=uploads, delivery_method=payload.delivery_method,
        delivery_address=payload.delivery_address, ip=_ip(request),
    )
    return Status(201, _application_out(selectors.application_get_for_applicant(
        user=request.user, number=application.number)))
