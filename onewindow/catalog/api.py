"""Catalogue API: public search and guides; import and export for staff in scope."""

from __future__ import annotations

from datetime import date
from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.tokens import staff_auth
from onewindow.catalog import exchange, search, selectors, services
from onewindow.catalog.models import ServiceItem
from onewindow.core.errors import PermissionDenied, ValidationFailed

router = Router(tags=["事项目录"])


class ItemSummary(Schema):
    implementation_code: str
    basic_code: str
    name: str
    region_code: str
    region: str
    department: str
    case_type: str
    promised_limit: int | None
    online: bool
    visits: int | None


class SearchOut(Schema):
    total: int
    items: list[ItemSummary]


class SearchParams(Schema):
    q: str = Field("", max_length=200)
    region: str | None = Field(None, max_length=12)
    audience: str | None = Field(None, max_length=10)
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=100_000)


class MaterialOut(Schema):
    id: int
    name: str
    form: str
    original_count: int
    copy_count: int
    required: bool
    tolerable: bool
    requirements: str


class FeeOut(Schema):
    name: str
    standard: str
    basis: str
    allows_reduction: bool


class StepOut(Schema):
    name: str
    description: str = ""


class FaqOut(Schema):
    q: str
    a: str


class ItemDetail(ItemSummary):
    version: int
    effective_from: date | None
    item_type: str
    legal_basis: str
    legal_limit: int
    legal_limit_unit: str
    promised_limit_unit: str
    content: str
    acceptance_conditions: str
    procedure: list[StepOut]
    materials: list[MaterialOut]
    charges_fee: bool
    fees: list[FeeOut]
    place: str
    hours: str
    consult_phone: str
    complaint_phone: str
    faq: list[FaqOut]
    form_schema: list[dict]


def _summary(item: ServiceItem) -> ItemSummary:
    v = item.current_version
    return ItemSummary(
        implementation_code=item.implementation_code, basic_code=item.basic.basic_code,
        name=item.basic.name, region_code=item.region.code, region=item.region.name,
        department=item.department.name,
        case_type=v.get_case_type_display() if v else "",
        promised_limit=v.promised_limit if v else None, online=bool(v and v.online),
        visits=v.visits if v else None,
    )


@router.get("/items", response=SearchOut, summary="检索事项（中文分词，按相关度排序）")
def list_items(request: HttpRequest, params: Query[SearchParams]) -> SearchOut:
    region = selectors.region_by_code(params.region) if params.region else None
    if params.region and region is None:
        message = _("区划代码不存在。")
        raise ValidationFailed(message, field_errors={"region": [message]})
    if params.audience not in (None, "", "person", "org"):
        message = _("服务对象应为 person 或 org。")
        raise ValidationFailed(message, field_errors={"audience": [message]})
    audience = params.audience or None
    if params.q.strip():
        result = search.search_items(
            query=params.q, region=region, audience=audience,  # type: ignore[arg-type]
            limit=params.limit, offset=params.offset,
        )
        return SearchOut(total=result.total, items=[_summary(h.item) for h in result.hits])
    qs = selectors.items_for_browse(region=region, audience=audience)
    limit = max(1, min(params.limit, 100))
    offset = max(0, params.offset)
    page = list(qs[offset : offset + limit])
    return SearchOut(total=qs.count(), items=[_summary(i) for i in page])


@router.get("/items/{code}", response=ItemDetail, summary="办事指南（现行版本）")
def get_item(request: HttpRequest, code: str) -> ItemDetail:
    item = selectors.item_get_public(implementation_code=code)
    v = item.current_version
    assert v is not None
    return ItemDetail(
        **_summary(item).dict(),
        version=v.number, effective_from=v.effective_from, item_type=item.basic.item_type,
        legal_basis=item.basic.legal_basis, legal_limit=item.basic.legal_limit,
        legal_limit_unit=item.basic.legal_limit_unit,
        promised_limit_unit=item.basic.legal_limit_unit, content=v.content,
        acceptance_conditions=v.acceptance_conditions,
        procedure=[StepOut(**s) for s in v.procedure],
        materials=[
            MaterialOut(
                id=m.pk, name=m.name, form=m.form, original_count=m.original_count,
                copy_count=m.copy_count, required=m.required, tolerable=m.tolerable,
                requirements=m.requirements,
            )
            for m in v.materials.all()
        ],
        charges_fee=v.charges_fee,
        fees=[
            FeeOut(name=f.name, standard=f.standard, basis=f.basis,
                   allows_reduction=f.allows_reduction)
            for f in v.fees.all()
        ],
        place=v.place, hours=v.hours, consult_phone=v.consult_phone,
        complaint_phone=v.complaint_phone, faq=[FaqOut(**f) for f in v.faq],
        form_schema=v.form_schema,
    )


class ChiefOut(Schema):
    number: str
    holder: str
    staff_number: str
    department: str
    valid_from: date
    valid_to: date
    items: list[str]


@router.get("/chief-representatives", response=list[ChiefOut], summary="首席代表及其授权事项")
def chief_representatives(request: HttpRequest) -> list[ChiefOut]:
    out = []
    for a in selectors.chief_representatives_public():
        profile = getattr(a.holder, "staff_profile", None)
        out.append(
            ChiefOut(
                number=a.number, holder=a.holder.display_name or a.holder.username,
                staff_number=profile.staff_number if profile else "",
                department=a.department.name, valid_from=a.valid_from, valid_to=a.valid_to,
                items=[i.implementation_code for i in a.items.all()],
            )
        )
    return out


@router.get("/export", auth=staff_auth, summary="导出事项目录（实施清单格式）")
def export(request: HttpRequest, format: str = "json") -> HttpResponse:  # noqa: A002
    if format not in ("json", "xlsx"):
        message = _("格式应为 json 或 xlsx。")
        raise ValidationFailed(message, field_errors={"format": [message]})
    if not access.has_any(request.user, Perm.CATALOG_EXPORT):
        raise PermissionDenied(_("您没有导出事项目录的权限。"))
    qs = ServiceItem.objects.filter(access.scope_q(request.user, Perm.CATALOG_EXPORT))
    data = exchange.export_catalog(fmt=format, items_qs=qs)  # type: ignore[arg-type]
    content_type = (
        "application/json" if format == "json"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="catalog.{format}"'
    return response


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    message: str


@router.post(
    "/import", response={200: ImportOut}, auth=staff_auth,
    summary="导入事项目录（全部正确才导入，逐行报告错误）",
)
def import_catalog(request: HttpRequest, file: File[UploadedFile]) -> Status[ImportOut]:
    name = (file.name or "").lower()
    fmt: Literal["json", "xlsx"] | None = (
        "xlsx" if name.endswith(".xlsx") else "json" if name.endswith(".json") else None
    )
    if fmt is None:
        raise ValidationFailed(
            _("请上传 .xlsx 或 .json 文件。"), field_errors={"file": [_("文件类型不支持。")]}
        )
    result = services.catalog_import(actor=request.user, data=file.read(), fmt=fmt)
    return Status(
        200,
        ImportOut(created=result.created, updated=result.updated, unchanged=result.unchanged,
                  message=result.summary()),
    )
