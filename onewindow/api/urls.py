"""The API root: mounts each app's router and serves the OpenAPI document at /api/openapi.json
(and at /api/v1/openapi.json)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from onewindow.accounts.api import router as accounts_router
from onewindow.core.errors import DomainError
from onewindow.regions.api import router as regions_router

api = NinjaAPI(
    title="一窗通 OneWindow API",
    version="1",
    description="政务服务平台接口：区划与机构、事项目录、账户。所有页面能做的事都可经此接口完成。",
    urls_namespace="api",
)
api.add_router("/v1/regions", regions_router)
api.add_router("/v1/accounts", accounts_router)


def _register_optional_routers() -> None:
    """Routers of apps that define one (catalogue, calendar) — mounted when present."""
    import importlib

    for prefix, module in (("/v1/catalog", "onewindow.catalog.api"),
                           ("/v1/workdays", "onewindow.workdays.api"),
                           ("/v1/cases", "onewindow.cases.api"),
                           ("/v1/hall", "onewindow.hall.api"),
                           ("/v1/hotline", "onewindow.hotline.api"),
                           ("/v1/evaluation", "onewindow.evaluation.api"),
                           ("/v1/supervision", "onewindow.supervision.api"),
                           ("/v1/stats", "onewindow.stats.api"),
                           ("/v1/assessment", "onewindow.assessment.api"),
                           ("/v1/enterprise", "onewindow.enterprise.api"),
                           ("/v1/joint", "onewindow.joint.api"),
                           ("/v1/proxy", "onewindow.proxy.api"),
                           ("/v1/packages", "onewindow.packages.api")):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        api.add_router(prefix, mod.router)


_register_optional_routers()


@api.get("/v1/openapi.json", auth=None, include_in_schema=False)
def openapi_v1(request: HttpRequest) -> HttpResponse:
    """The same OpenAPI document under the versioned prefix (/api/v1/openapi.json)."""
    return JsonResponse(api.get_openapi_schema(), json_dumps_params={"ensure_ascii": False})


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_problem(), status=exc.status)


_TYPE_MESSAGES = {
    "missing": gettext_lazy("此项为必填项。"),
    "int_parsing": gettext_lazy("请输入整数。"),
    "date_from_datetime_parsing": gettext_lazy("请输入正确的日期（YYYY-MM-DD）。"),
    "date_parsing": gettext_lazy("请输入正确的日期（YYYY-MM-DD）。"),
    "string_too_long": gettext_lazy("内容过长。"),
    "string_too_short": gettext_lazy("内容过短。"),
    "greater_than_equal": gettext_lazy("数值过小。"),
    "less_than_equal": gettext_lazy("数值过大。"),
    "json_invalid": gettext_lazy("请求内容不是有效的 JSON。"),
}


_SOURCES = ("body", "query", "path", "form", "file", "header", "cookie")


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", [])]
        if loc and loc[0] in _SOURCES:  # where the value came from, not the field's name
            loc = loc[1:]
        loc = [p for p in loc if p != "payload"]
        key = ".".join(loc) or "__all__"
        fields.setdefault(key, []).append(
            str(_TYPE_MESSAGES.get(err.get("type", ""), gettext_lazy("格式不正确。")))
        )
    body = {
        "code": "validation_failed", "message": _("请求参数有误，请检查后重试。"), "errors": fields
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"code": "unauthenticated", "message": _("请先登录。")}, status=401
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        body = {"code": "bad_request", "message": _("请求内容无法解析（应为有效的 JSON 或表单）。")}
    else:
        body = {"code": "http_error", "message": str(exc)}
    return api.create_response(request, body, status=exc.status_code)
