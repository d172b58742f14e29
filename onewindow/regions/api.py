"""Read API of the region tree and organisations (public data)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from onewindow.core.errors import NotFound
from onewindow.regions.models import Department, Region, ServiceCentre

router = Router(tags=["区划与机构"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    region_code: str
    phone: str


class WindowOut(Schema):
    number: str
    name: str
    kind: str
    department: str | None


class CentreOut(Schema):
    id: int
    name: str
    kind: str
    region_code: str
    address: str
    phone: str
    office_hours: str
    windows: list[WindowOut]


def _region_out(r: Region) -> RegionOut:
    return RegionOut(
        code=r.code, name=r.name, level=r.level, parent_code=r.parent.code if r.parent else None
    )


def _get_region(code: str) -> Region:
    region = Region.objects.select_related("parent").filter(code=code).first()
    if region is None:
        raise NotFound(_("区划不存在。"))
    return region


@router.get("", response=list[RegionOut], summary="区划树（可按上级筛选）")
def list_regions(request: HttpRequest, parent: str | None = None) -> list[RegionOut]:
    qs = Region.objects.select_related("parent").order_by("code")
    if parent:
        qs = qs.filter(parent=_get_region(parent))
    return [_region_out(r) for r in qs]


@router.get("/{code}", response=RegionOut, summary="单个区划")
def get_region(request: HttpRequest, code: str) -> RegionOut:
    return _region_out(_get_region(code))


@router.get("/{code}/departments", response=list[DepartmentOut], summary="区划的部门")
def region_departments(request: HttpRequest, code: str) -> list[DepartmentOut]:
    region = _get_region(code)
    return [
        DepartmentOut(id=d.pk, code=d.code, name=d.name, region_code=region.code, phone=d.phone)
        for d in Department.objects.filter(region=region, is_active=True)
    ]


@router.get("/{code}/centres", response=list[CentreOut], summary="区划的服务中心及窗口")
def region_centres(request: HttpRequest, code: str) -> list[CentreOut]:
    region = _get_region(code)
    centres = ServiceCentre.objects.filter(region=region, is_active=True).prefetch_related(
        "windows__department"
    )
    return [
        CentreOut(
            id=c.pk, name=c.name, kind=c.kind, region_code=region.code, address=c.address,
            phone=c.phone, office_hours=c.office_hours,
            windows=[
                WindowOut(
                    number=w.number, name=w.name, kind=w.kind,
                    department=w.department.name if w.department else None,
                )
                for w in c.windows.all()
                if w.is_active
            ],
        )
        for c in centres
    ]
