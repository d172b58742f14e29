"""Public catalogue pages: search, browse, item guide, versions, form downloads, chief reps.

Views are thin: parse and bound the input, call a selector, render. Bad input (overlong
queries, unknown audience or theme values, unknown codes) gives a friendly page or a 404,
never a 500.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from onewindow.catalog import selectors, services
from onewindow.catalog.codes import ORG_THEMES, PERSON_THEMES, CaseType
from onewindow.catalog.models import ItemVersion, Material, ServiceItem
from onewindow.catalog.search import MAX_QUERY_LENGTH, AudienceFilter, search_items
from onewindow.core.errors import NotFound
from onewindow.regions.models import Region

PAGE_SIZE = 20
SITE_COOKIE = "ow_site"


def current_site(request: HttpRequest) -> Region | None:
    """The region chosen with the site switcher (cookie ``ow_site``), cached on the request."""
    if not hasattr(request, "_ow_site"):
        request._ow_site = selectors.region_by_code(  # type: ignore[attr-defined]
            request.COOKIES.get(SITE_COOKIE)
        )
    return request._ow_site  # type: ignore[attr-defined]


def _audience(value: str | None) -> AudienceFilter:
    return value if value in ("person", "org") else None  # type: ignore[return-value]


def _page_number(value: str | None) -> int:
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return min(max(number, 1), 1000)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    query = raw.strip()
    too_long = len(query) > MAX_QUERY_LENGTH
    query = query[:MAX_QUERY_LENGTH]
    audience = _audience(request.GET.get("audience"))
    all_sites = request.GET.get("all") == "1"
    site = None if all_sites else current_site(request)
    page = _page_number(request.GET.get("page"))
    result = None
    if query:
        result = search_items(
            query=query, region=site, audience=audience,
            limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
        )
    pages = 0
    if result and result.total:
        pages = (result.total + PAGE_SIZE - 1) // PAGE_SIZE
    context: dict[str, Any] = {
        "query": query,
        "too_long": too_long,
        "audience": audience or "",
        "bad_audience": bool(request.GET.get("audience")) and audience is None,
        "result": result,
        "page": page,
        "pages": pages,
        "has_prev": page > 1,
        "has_next": page < pages,
        "site": site,
        "site_filtered": site is not None,
        "hot_searches": HOT_SEARCHES,
    }
    return render(request, "catalog/search.html", context)


HOT_SEARCHES = ("健康证", "营业执照", "食品经营许可", "不动产登记", "社保卡", "生育登记",
                "公共场所卫生许可", "居住证")


@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    audience = _audience(request.GET.get("audience")) or "person"
    theme = request.GET.get("theme") or None
    themes = PERSON_THEMES if audience == "person" else ORG_THEMES
    bad_theme = theme is not None and theme not in themes
    site = current_site(request)
    items = (
        selectors.items_for_browse(region=site, audience=audience, theme=theme)
        if not bad_theme
        else None
    )
    page_obj = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page")) if items else None
    return render(
        request,
        "catalog/browse.html",
        {
            "audience": audience,
            "theme": theme if not bad_theme else None,
            "theme_label": themes.get(theme or "", ""),
            "bad_theme": bad_theme,
            "themes": themes,
            "page_obj": page_obj,
            "site": site,
            "base_query": urlencode(
                {"audience": audience, **({"theme": theme} if theme and not bad_theme else {})}
            )
            + "&",
        },
        status=404 if bad_theme else 200,
    )


@require_GET
def department_detail(request: HttpRequest, department_id: int) -> HttpResponse:
    try:
        department = selectors.department_get_public(department_id=department_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    items = selectors.items_for_browse(department=department)
    page_obj = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "catalog/department.html", {"department": department, "page_obj": page_obj}
    )


def _item_or_404(code: str) -> ServiceItem:
    try:
        return selectors.item_get_public(implementation_code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _guide_context(item: ServiceItem, version: ItemVersion) -> dict[str, Any]:
    materials = list(version.materials.all())
    return {
        "item": item,
        "basic": item.basic,
        "version": version,
        "materials": materials,
        "fees": list(version.fees.all()),
        "co_departments": list(version.co_departments.all()),
        "is_instant": version.case_type == CaseType.INSTANT,
        "procedure": [s for s in (version.procedure or []) if isinstance(s, dict)],
        "faq": [f for f in (version.faq or []) if isinstance(f, dict)],
        "themes": [PERSON_THEMES[s] for s in version.person_themes or [] if s in PERSON_THEMES]
        + [ORG_THEMES[s] for s in version.org_themes or [] if s in ORG_THEMES],
    }


@require_GET
def item_detail(request: HttpRequest, implementation_code: str) -> HttpResponse:
    item = _item_or_404(implementation_code)
    version = item.current_version
    assert version is not None
    services.item_record_view(item=item)
    context = _guide_context(item, version)
    context.update(
        {
            "is_current": True,
            "other_levels": selectors.other_levels(item=item),
            "history": selectors.version_history(item=item),
        }
    )
    return render(request, "catalog/item_detail.html", context)


@require_GET
def item_version(request: HttpRequest, implementation_code: str, number: int) -> HttpResponse:
    item = _item_or_404(implementation_code)
    try:
        version = selectors.item_version_get_public(item=item, number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    context = _guide_context(item, version)
    context.update(
        {
            "is_current": version.pk == item.current_version_id,
            "other_levels": [],
            "history": selectors.version_history(item=item),
        }
    )
    return render(request, "catalog/item_detail.html", context)


def _material_download(
    request: HttpRequest, implementation_code: str, material_id: int, *, sample: bool
) -> HttpResponse:
    from onewindow.catalog.pdf import material_form_pdf

    item = _item_or_404(implementation_code)
    try:
        material: Material = selectors.material_get_public(item=item, material_id=material_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    uploaded = material.sample if sample else material.blank_form
    kind = "sample" if sample else "blank"
    if uploaded:
        try:
            return FileResponse(  # type: ignore[return-value]
                uploaded.open("rb"), as_attachment=False,
                filename=(uploaded.name or "").rsplit("/", 1)[-1],
            )
        except OSError:
            pass  # file missing on disk: fall back to the generated form
    assert item.current_version is not None
    data = material_form_pdf(
        item=item, version=item.current_version, material=material, sample=sample
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{item.implementation_code}-{material.pk}-{kind}.pdf"'
    )
    return response


@require_GET
def material_blank(
    request: HttpRequest, implementation_code: str, material_id: int
) -> HttpResponse:
    return _material_download(request, implementation_code, material_id, sample=False)


@require_GET
def material_sample(
    request: HttpRequest, implementation_code: str, material_id: int
) -> HttpResponse:
    return _material_download(request, implementation_code, material_id, sample=True)


@require_GET
def chief_representatives(request: HttpRequest) -> HttpResponse:
    site = current_site(request)
    return render(
        request,
        "catalog/chief_representatives.html",
        {"authorisations": selectors.chief_representatives_public(region=site), "site": site},
    )
