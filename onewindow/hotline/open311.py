"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) over the 12345 work orders, so
that existing Open311 clients and apps can file and follow requests.

Endpoints under ``/open311/v2/`` — each in JSON (``.json``) and XML (``.xml``):

- ``GET discovery`` — where the endpoint is and what it speaks;
- ``GET services`` — the dispatch catalogue (派单目录) as services;
- ``GET services/{service_code}`` — a service definition with its attributes;
- ``POST requests`` — file a request (``api_key`` required: a platform API token of an
  integration account holding ``hotline.operate``, issued by the hotline centre with
  ``onewindow token create``); ``jurisdiction_id`` is a 12-digit region code (default: the
  city); the answer carries the ``service_request_id`` (the order number) at once;
- ``GET tokens/{token}`` — the request id for a token (tokens are the order numbers);
- ``GET requests`` — filtered by ``service_request_id`` (comma-separated), ``service_code``,
  ``start_date``, ``end_date``, ``status`` (open, closed), newest first, 90 days and 1,000
  requests at most by default as the specification says, with ``page`` / ``page_size`` as
  an extension;
- ``GET requests/{service_request_id}``.

Statuses: orders still being handled are ``open``; replied, closed and merged ones are
``closed``, with the state (and the reply) in ``status_notes``. Personal data (caller's name,
phone, e-mail) never leaves through this public interface. Errors are Open311 error lists
(``[{"code": 400, "description": "…"}]``), never a 500.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.tokens import token_user
from onewindow.core import clock
from onewindow.core.errors import DomainError
from onewindow.hotline import orders
from onewindow.hotline.models import (
    DispatchCategory,
    OrderChannel,
    OrderState,
    WorkOrder,
)
from onewindow.regions.models import Region

FORMATS = ("json", "xml")
OPEN_STATES = (OrderState.REGISTERED, OrderState.DISPATCHED, OrderState.OBJECTED,
               OrderState.SIGNED)
MAX_RESULTS = 1000
DEFAULT_DAYS = 90

ATTRIBUTES = [
    {"variable": True, "code": "location_detail", "datatype": "string", "required": False,
     "datatype_description": "门牌号、楼栋、路口等", "order": 1,
     "description": "详细位置（可选）"},
    {"variable": True, "code": "urgent", "datatype": "singlevaluelist", "required": False,
     "datatype_description": "", "order": 2, "description": "是否紧急（涉及人身安全）",
     "values": [{"key": "no", "name": "否"}, {"key": "yes", "name": "是"}]},
]


# --- rendering -----------------------------------------------------------------------------------


def _xml_value(parent: ET.Element, key: str, value: Any) -> None:
    el = ET.SubElement(parent, key)
    if isinstance(value, list):
        item = "value" if key == "values" else key.rstrip("s")
        for v in value:
            if isinstance(v, dict):
                child = ET.SubElement(el, item)
                for k, vv in v.items():
                    _xml_value(child, k, vv)
            else:
                ET.SubElement(el, item).text = str(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = str(value)


def render(data: Any, fmt: str, *, root: str, item: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        top = ET.Element(root)
        rows = data if isinstance(data, list) else [data]
        for row in rows:
            el = ET.SubElement(top, item)
            for k, v in row.items():
                _xml_value(el, k, v)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return JsonResponse(data, status=status, safe=False,
                        json_dumps_params={"ensure_ascii": False})


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return render([{"code": status, "description": description}], fmt, root="errors",
                  item="error", status=status)


def _fmt(fmt: str) -> str:
    return fmt if fmt in FORMATS else "json"


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


# --- services ------------------------------------------------------------------------------------


def service_out(c: DispatchCategory) -> dict[str, Any]:
    return {
        "service_code": c.code, "service_name": c.name,
        "description": c.keywords or c.name, "metadata": True, "type": "realtime",
        "keywords": c.keywords.replace("，", ",").replace("、", ","),
        "group": c.parent.name if c.parent_id and c.parent else "",
    }


@require_GET
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    fmt = _fmt(fmt)
    base = request.build_absolute_uri("/open311/v2/")
    return render({
        "changeset": clock.now().date().isoformat(),
        "contact": "12345 政务服务便民热线", "key_service": "向 12345 热线中心申请 API 密钥",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                       "url": base, "changeset": "2026-11-23", "type": "production",
                       "formats": ["application/json", "text/xml"]}],
    }, fmt, root="discovery", item="discovery")


@require_GET
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    fmt = _fmt(fmt)
    rows = [service_out(c) for c in DispatchCategory.objects.filter(is_active=True)
            .select_related("parent").order_by("sort_order", "code")]
    return render(rows, fmt, root="services", item="service")


@require_GET
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    fmt = _fmt(fmt)
    c = DispatchCategory.objects.filter(code=code[:40], is_active=True).first()
    if c is None:
        return error(fmt, 404, _("没有这个服务代码。"))
    return render({"service_code": c.code, "attributes": ATTRIBUTES}, fmt,
                  root="service_definition", item="service_definition")


# --- requests ------------------------------------------------------------------------------------


def status_of(order: WorkOrder) -> tuple[str, str]:
    label = str(OrderState(order.state).label)
    if order.state in OPEN_STATES:
        return "open", label
    notes = f"{label}：{order.reply}" if order.reply else label
    return "closed", notes[:500]


def request_out(o: WorkOrder) -> dict[str, Any]:
    status, notes = status_of(o)
    return {
        "service_request_id": o.order_no, "status": status, "status_notes": notes,
        "service_name": o.category.name, "service_code": o.category.code,
        "description": o.description, "agency_responsible":
            o.department.name if o.department_id and o.department else "12345 热线中心",
        "service_notice": "", "requested_datetime": _iso(o.created_at),
        "updated_datetime": _iso(o.updated_at), "expected_datetime": _iso(o.reply_due),
        "address": o.location, "address_id": "", "zipcode": "",
        "lat": float(o.latitude) if o.latitude is not None else None,
        "long": float(o.longitude) if o.longitude is not None else None,
        "media_url": "",
    }


def _decimal(raw: str | None) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        return Decimal(str(raw)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValueError(raw) from None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    fmt = _fmt(fmt)
    if request.method == "POST":
        return _post_request(request, fmt)
    return _list_requests(request, fmt)


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    p = request.POST
    key = (request.GET.get("api_key") or p.get("api_key") or "").strip()
    user = token_user(key) if key else None
    if user is None:
        return error(fmt, 403, _("api_key 无效或缺失。"))
    if not access.has_any(user, Perm.HOTLINE_OPERATE):
        return error(fmt, 403, _("该 api_key 无权提交诉求。"))
    code = (p.get("service_code") or "").strip()[:40]
    category = DispatchCategory.objects.filter(code=code, is_active=True).first()
    if category is None:
        return error(fmt, 400, _("service_code 无效：没有这个服务。"))
    jurisdiction = (p.get("jurisdiction_id") or request.GET.get("jurisdiction_id") or "").strip()
    region = (Region.objects.filter(code=jurisdiction[:12]).first() if jurisdiction
              else Region.objects.filter(parent__isnull=True).order_by("code").first())
    if region is None:
        return error(fmt, 400, _("jurisdiction_id 无效：应为 12 位区划代码。"))
    try:
        lat, lon = _decimal(p.get("lat")), _decimal(p.get("long"))
    except ValueError:
        return error(fmt, 400, _("lat / long 应为数字。"))
    address = (p.get("address_string") or "").strip()
    detail = (p.get("attribute[location_detail]") or "").strip()
    location = " ".join(x for x in (address, detail) if x)[:200]
    if not location and lat is None:
        return error(fmt, 400, _("请提供 address_string 或 lat/long 之一。"))
    name = " ".join(x for x in ((p.get("last_name") or "").strip(),
                                (p.get("first_name") or "").strip()) if x)
    urgent = (p.get("attribute[urgent]") or "").strip() == "yes"
    try:
        order = orders.work_order_create(
            actor=None, channel=OrderChannel.OPEN311, category=category, region=region,
            description=(p.get("description") or "").strip()[:2000], location=location,
            caller_phone=(p.get("phone") or "").strip()[:20], caller_name=name[:50],
            anonymous=not (p.get("phone") or "").strip(), latitude=lat, longitude=lon,
            urgency="urgent" if urgent else None,
        )
    except DomainError as exc:
        detail_text = "；".join(f"{k}: {'、'.join(v)}" for k, v in exc.field_errors.items())
        return error(fmt, 400, f"{exc.message} {detail_text}".strip())
    return render([{"service_request_id": order.order_no, "token": order.order_no,
                    "service_notice": _("已受理，请凭编号查询办理进度。"), "account_id": ""}],
                  fmt, root="service_requests", item="request", status=201)


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    g = request.GET
    qs = WorkOrder.objects.select_related("category", "department")
    ids = [x.strip() for x in (g.get("service_request_id") or "").split(",") if x.strip()]
    if ids:
        qs = qs.filter(order_no__in=ids[:MAX_RESULTS])
    else:
        try:
            start = parse_datetime(g["start_date"]) if g.get("start_date") else None
            end = parse_datetime(g["end_date"]) if g.get("end_date") else None
        except ValueError:
            start = end = None
        if (g.get("start_date") and start is None) or (g.get("end_date") and end is None):
            return error(fmt, 400, _("start_date / end_date 应为 W3C 日期时间，"
                                     "如 2026-11-01T00:00:00+08:00。"))
        end = end or clock.now()
        start = start or end - dt.timedelta(days=DEFAULT_DAYS)
        if timezone.is_naive(start):
            start = timezone.make_aware(start)
        if timezone.is_naive(end):
            end = timezone.make_aware(end)
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        if g.get("service_code"):
            qs = qs.filter(category__code__in=g["service_code"].split(",")[:50])
        status = (g.get("status") or "").strip()
        if status == "open":
            qs = qs.filter(state__in=OPEN_STATES)
        elif status == "closed":
            qs = qs.exclude(state__in=OPEN_STATES)
        elif status:
            return error(fmt, 400, _("status 只能是 open 或 closed。"))
    try:
        page = max(1, int(g.get("page") or 1))
        size = min(MAX_RESULTS, max(1, int(g.get("page_size") or MAX_RESULTS)))
    except ValueError:
        return error(fmt, 400, _("page / page_size 应为正整数。"))
    rows = list(qs.order_by("-created_at", "-id")[(page - 1) * size: page * size])
    return render([request_out(o) for o in rows], fmt, root="service_requests", item="request")


@require_GET
def request_detail(request: HttpRequest, order_no: str, fmt: str) -> HttpResponse:
    fmt = _fmt(fmt)
    o = WorkOrder.objects.select_related("category", "department").filter(
        order_no=order_no[:24]).first()
    if o is None:
        return error(fmt, 404, _("没有这个诉求编号。"))
    return render([request_out(o)], fmt, root="service_requests", item="request")


@require_GET
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    fmt = _fmt(fmt)
    exists = WorkOrder.objects.filter(order_no=token[:24]).exists()
    if not exists:
        return error(fmt, 404, _("没有这个令牌。"))
    return render([{"service_request_id": token, "token": token}], fmt,
                  root="service_requests", item="request")
