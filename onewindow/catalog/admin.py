"""Admin screens of the catalogue, scoped by :mod:`onewindow.accounts.access`.

Every list is narrowed with ``access.scope_q`` and every permission asks ``access.can`` /
``access.has_any``; superusers may look at everything here (Django admin only). Writes go through
the services: a draft version is edited here and saved with ``version_update_draft``; published
versions, items, basic items and authorisations are read-only. The item list has the import page
(upload → :class:`ImportJob` → Celery task ``catalog.run_import_job``, progress polled by
``static/catalog/import.js``) and export buttons.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin as SharedScopedAdmin
from onewindow.catalog import exchange, services
from onewindow.catalog.admin_actions import (
    copy_item_view,
    issue_view,
    publish_drafts,
    revoke_authorisations,
)
from onewindow.catalog.models import (
    Authorisation,
    BasicItem,
    Fee,
    ImportJob,
    ItemVersion,
    Material,
    ServiceItem,
    VersionStatus,
)
from onewindow.catalog.validation import FEE_SPEC, MATERIAL_SPEC, VERSION_COLUMNS
from onewindow.core.errors import DomainError


def _is_superuser(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_superuser", False))


class ScopedAdmin(SharedScopedAdmin):
    """Catalogue screens: rows limited to the user's Perm.CATALOG_VIEW scope, read-only unless
    a subclass allows more (writes go through the services)."""

    scope_perm = Perm.CATALOG_VIEW
    region_field: str | None = "region"
    department_field: str | None = "department"

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BasicItem)
class BasicItemAdmin(ScopedAdmin):
    """Basic items are shared by every region: any catalogue viewer may read them."""

    region_field = None
    department_field = None
    list_display = ["basic_code", "name", "item_type", "legal_limit", "legal_limit_unit"]
    list_filter = ["item_type"]
    search_fields = ["basic_code", "name"]


class VersionInline(admin.TabularInline):
    model = ItemVersion
    fields = ["number", "status", "effective_from", "published_at", "change_note"]
    readonly_fields = ("number", "status", "effective_from", "published_at", "change_note")
    extra = 0
    show_change_link = True
    can_delete = False
    ordering = ["-number"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # the parent item's view permission already applies


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("事项文件"),
        help_text=gettext_lazy("Excel（.xlsx）或 JSON（.json），格式见 docs/catalog-format.md"),
    )


@admin.register(ServiceItem)
class ServiceItemAdmin(ScopedAdmin):
    list_display = [
        "implementation_code", "basic_name", "region", "department", "current_number",
    ]
    list_select_related = ["basic", "region", "department", "current_version"]
    list_filter = ["region"]
    search_fields = ["implementation_code", "basic__name", "basic__basic_code"]
    readonly_fields = [
        "basic", "implementation_code", "region", "department", "current_version", "popularity",
    ]
    exclude = ["search_title", "search_body"]
    inlines = [VersionInline]
    actions = ["create_drafts"]
    change_list_template = "admin/catalog/serviceitem/change_list.html"

    @admin.display(description=gettext_lazy("事项名称"), ordering="basic__name")
    def basic_name(self, obj: ServiceItem) -> str:
        return obj.basic.name

    @admin.display(description=gettext_lazy("现行版本"))
    def current_number(self, obj: ServiceItem) -> str:
        return f"v{obj.current_version.number}" if obj.current_version else "—"

    @admin.action(description=gettext_lazy("为所选事项新建修订草稿"))
    def create_drafts(self, request: HttpRequest, queryset: QuerySet[ServiceItem]) -> None:
        made = 0
        for item in queryset.select_related("region", "department"):
            try:
                services.version_create_draft(actor=request.user, item=item)
                made += 1
            except DomainError as exc:
                self.message_user(request, f"{item.implementation_code}：{exc.message}",
                                  messages.WARNING)
        if made:
            self.message_user(request, _("已新建%(n)d份草稿") % {"n": made}, messages.SUCCESS)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not access.has_any(request.user, Perm.CATALOG_EDIT):
            actions.pop("create_drafts", None)
        return actions

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_import": access.has_any(request.user, Perm.CATALOG_IMPORT),
            "can_create": access.has_any(request.user, Perm.CATALOG_EDIT),
            "can_export": access.has_any(request.user, Perm.CATALOG_EXPORT),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="catalog_serviceitem_import"),
            path("new/", wrap(self.copy_view), name="catalog_serviceitem_new"),
            path("import/<int:job_id>/status/", wrap(self.import_status_view),
                 name="catalog_serviceitem_import_status"),
            path("export/<str:fmt>/", wrap(self.export_view),
                 name="catalog_serviceitem_export"),
            *super().get_urls(),
        ]

    def copy_view(self, request: HttpRequest) -> HttpResponse:
        return copy_item_view(self, request)

    def _own_job(self, request: HttpRequest, job_id: int) -> ImportJob:
        qs = ImportJob.objects.all()
        if not _is_superuser(request):
            qs = qs.filter(started_by_id=request.user.pk)
        return get_object_or_404(qs, pk=job_id)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not access.has_any(request.user, Perm.CATALOG_IMPORT):
            raise DjangoPermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                started = services.import_job_start(
                    actor=request.user, file=upload, name=upload.name
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                url = reverse("admin:catalog_serviceitem_import")
                return HttpResponseRedirect(f"{url}?job={started.pk}")
        job: ImportJob | None = None
        job_param = request.GET.get("job", "")
        if job_param.isdigit():
            try:
                job = self._own_job(request, int(job_param))
            except Http404:
                job = None
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入事项目录"),
            "opts": self.model._meta,
            "form": form,
            "job": job,
            "status_url": (
                reverse("admin:catalog_serviceitem_import_status", args=[job.pk]) if job else ""
            ),
        }
        return TemplateResponse(request, "admin/catalog/import.html", context)

    def import_status_view(self, request: HttpRequest, job_id: int) -> JsonResponse:
        if not access.has_any(request.user, Perm.CATALOG_IMPORT) and not _is_superuser(request):
            raise DjangoPermissionDenied
        job = self._own_job(request, job_id)
        return JsonResponse({
            "id": job.pk,
            "status": job.status,
            "status_display": job.get_status_display(),
            "total": job.total,
            "done": job.done,
            "summary": job.summary,
            "errors": job.errors,
            "finished": job.status in (ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED),
        })

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if fmt not in ("json", "xlsx"):
            raise Http404
        if not access.has_any(request.user, Perm.CATALOG_EXPORT):
            raise DjangoPermissionDenied
        items = ServiceItem.objects.filter(access.scope_q(request.user, Perm.CATALOG_EXPORT))
        data = exchange.export_catalog(fmt=fmt, items_qs=items)  # type: ignore[arg-type]
        content_type = (
            "application/json" if fmt == "json"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response = HttpResponse(data, content_type=content_type)
        stamp = timezone.localdate().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="catalog-{stamp}.{fmt}"'
        return response


class _DraftChildInline(admin.TabularInline):
    extra = 0

    def _editable(self, request: HttpRequest, obj: ItemVersion | None) -> bool:
        return bool(
            obj is not None and obj.status == VersionStatus.DRAFT and access.can(
                request.user, Perm.CATALOG_EDIT, region=obj.item.region,
                department=obj.item.department,
            )
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # the parent version's view permission already applies

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)


class MaterialInline(_DraftChildInline):
    model = Material
    fields = ["sort_order", *MATERIAL_SPEC]


class FeeInline(_DraftChildInline):
    model = Fee
    fields = ["sort_order", *FEE_SPEC]


@admin.register(ItemVersion)
class ItemVersionAdmin(ScopedAdmin):
    """Drafts are editable (saved through ``version_update_draft``); published versions are
    read-only."""

    region_field = "item__region"
    department_field = "item__department"
    list_display = ["item_code", "item_name", "number", "status", "effective_from"]
    list_select_related = ["item__basic", "item__region", "item__department"]
    list_filter = ["status"]
    search_fields = ["item__implementation_code", "item__basic__name"]
    fields = [*VERSION_COLUMNS, "change_note"]
    inlines = [MaterialInline, FeeInline]
    actions = [publish_drafts]


    @admin.display(description=gettext_lazy("实施编码"), ordering="item__implementation_code")
    def item_code(self, obj: ItemVersion) -> str:
        return obj.item.implementation_code

    @admin.display(description=gettext_lazy("事项名称"))
    def item_name(self, obj: ItemVersion) -> str:
        return obj.item.basic.name

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.has_any(request.user, Perm.CATALOG_EDIT)
        return obj.status == VersionStatus.DRAFT and access.can(
            request.user, Perm.CATALOG_EDIT, region=obj.item.region,
            department=obj.item.department,
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing here: the draft and its children are saved together in save_related."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        data: dict[str, Any] = {
            k: form.cleaned_data[k] for k in [*VERSION_COLUMNS, "change_note"]
            if k in form.cleaned_data
        }
        for formset in formsets:
            keys = MATERIAL_SPEC if formset.model is Material else FEE_SPEC
            rows = [
                f.cleaned_data for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            rows.sort(key=lambda r: r.get("sort_order") or 0)
            data["materials" if formset.model is Material else "fees"] = [
                {k: r.get(k) for k in keys} for r in rows
            ]
        try:
            services.version_update_draft(actor=request.user, version=form.instance, data=data)
        except DomainError as exc:
            request._catalog_error = exc  # type: ignore[attr-defined]

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        error: DomainError | None = getattr(request, "_catalog_error", None)
        if error is None:
            return super().response_change(request, obj)
        self.message_user(request, _("未保存：") + error.message, messages.ERROR)
        for field, problems in error.field_errors.items():
            for problem in problems:
                self.message_user(request, f"{field}：{problem}", messages.ERROR)
        return HttpResponseRedirect(request.path)


@admin.register(Authorisation)
class AuthorisationAdmin(ScopedAdmin):
    region_field = "department__region"
    department_field = "department"
    list_display = ["number", "holder", "department", "valid_from", "valid_to", "revoked_at"]
    list_select_related = ["holder", "department"]
    search_fields = ["number"]
    filter_horizontal = ["items"]
    actions = [revoke_authorisations]
    change_list_template = "admin/catalog/authorisation/change_list.html"


    def get_urls(self) -> list[Any]:
        return [
            path(
                "issue/", self.admin_site.admin_view(self.issue),
                name="catalog_authorisation_issue",
            ),
            *super().get_urls(),
        ]

    def issue(self, request: HttpRequest) -> HttpResponse:
        return issue_view(self, request)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not (_is_superuser(request) or access.has_any(request.user, Perm.AUTHORISATION_ISSUE)):
            actions.pop("revoke_authorisations", None)
        return actions


@admin.register(ImportJob)
class ImportJobAdmin(ScopedAdmin):
    """Import jobs: each user sees the jobs they started (superusers see all)."""

    region_field = None
    department_field = None
    list_display = ["created_at", "original_name", "started_by", "status", "done", "total",
                    "summary"]
    list_select_related = ["started_by"]
    list_filter = ["status"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportJob]:
        qs = super().get_queryset(request)
        return qs if _is_superuser(request) else qs.filter(started_by=request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_superuser(request) or access.has_any(request.user, Perm.CATALOG_IMPORT)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if _is_superuser(request):
            return True
        if not access.has_any(request.user, Perm.CATALOG_IMPORT):
            return False
        return obj is None or obj.started_by_id == request.user.pk
