"""Site shell: home page, site switcher, elderly mode, error pages, the workbench frame."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from onewindow.catalog import selectors
from onewindow.catalog.views import HOT_SEARCHES, SITE_COOKIE, current_site

ONE_YEAR = 365 * 24 * 3600


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    site = current_site(request)
    context = {
        "site": site,
        "hot_searches": HOT_SEARCHES,
        "themes": selectors.theme_counts(region=site),
        "departments": list(selectors.departments_with_items(region=site)[:24]),
        "popular": selectors.popular_items(region=site, limit=8),
    }
    return render(request, "portal/home.html", context)


@require_GET
def site_switch(request: HttpRequest) -> HttpResponse:
    """Without ``site``: the list of sites. With it: remember the choice in a cookie."""
    if "site" not in request.GET:
        regions = selectors.regions_for_switcher()
        return render(
            request,
            "portal/site_switch.html",
            {"regions": regions, "site": current_site(request), "next": _safe_next(request)},
        )
    code = request.GET.get("site", "")
    response = HttpResponseRedirect(_safe_next(request))
    region = selectors.region_by_code(code)
    if region is None:
        response.delete_cookie(SITE_COOKIE)
    else:
        response.set_cookie(
            SITE_COOKIE, region.code, max_age=ONE_YEAR, samesite="Lax", httponly=True,
            secure=request.is_secure(),
        )
    return response


@require_POST
def elderly_toggle(request: HttpRequest) -> HttpResponse:
    """长者模式 on or off (cookie ``ow_elderly``)."""
    response = HttpResponseRedirect(_safe_next(request))
    if request.POST.get("mode") == "on":
        response.set_cookie(
            "ow_elderly", "1", max_age=ONE_YEAR, samesite="Lax", httponly=True,
            secure=request.is_secure(),
        )
    else:
        response.delete_cookie("ow_elderly")
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "portal/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without a request context: nothing here may touch the database."""
    from django.template import loader

    template = loader.get_template("portal/500.html")
    body = template.render(
        {"SITE_NAME": settings.ONEWINDOW_SITE_NAME, "HOTLINE": settings.ONEWINDOW_HOTLINE}
    )
    return HttpResponse(body, status=500)
