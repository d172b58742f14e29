from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin
from onewindow.core.errors import ValidationFailed
from onewindow.regions.models import Department, Region, ServiceCentre, Window
from onewindow.regions.services import region_import_csv


class RegionImportForm(forms.Form):
    file = forms.FileField(
        label="区划 CSV 文件", help_text="列：code,name,level,parent_code；UTF-8 编码。"
    )


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    region_field = ""  # the row itself is the region
    autocomplete_fields = ["parent"]

    def get_queryset(self, request: HttpRequest) -> Any:
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        return qs.filter(
            access.scope_q(request.user, Perm.REGION_MANAGE, region_field="", department_field=None)
        )

    def _can_obj(self, request: HttpRequest, obj: Any, perm: Perm) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None:
            return access.has_any(request.user, perm)
        # A region is managed by whoever manages its parent (or itself for existing rows).
        target = obj if obj.pk else obj.parent
        return target is not None and access.can(request.user, perm, region=target)

    def get_urls(self) -> list[Any]:
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="regions_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not (user.is_superuser or access.is_root_grant(user, Perm.REGION_MANAGE)):
            messages.error(request, "只有市级政管办管理员可以导入区划。")
            return redirect("admin:regions_region_changelist")
        form = RegionImportForm(request.POST or None, request.FILES or None)
        errors: list[dict[str, Any]] = []
        if request.method == "POST" and form.is_valid():
            try:
                text = form.cleaned_data["file"].read().decode("utf-8-sig")
                result = region_import_csv(text=text)
            except UnicodeDecodeError:
                form.add_error("file", "文件不是 UTF-8 编码的 CSV。")
            except ValidationFailed as exc:
                errors = exc.rows
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, f"导入完成：新增 {result.created} 个，更新 {result.updated} 个区划。"
                )
                return redirect("admin:regions_region_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "导入行政区划",
            "form": form,
            "errors": errors,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/regions/import.html", context)


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ["name", "code", "region", "phone", "is_active"]
    list_filter = ["is_active", "region__level"]
    search_fields = ["name", "code"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    autocomplete_fields = ["department"]


@admin.register(ServiceCentre)
class ServiceCentreAdmin(ScopedAdmin):
    list_display = ["name", "kind", "region", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    list_select_related = ["region"]
    inlines = [WindowInline]
    autocomplete_fields = ["region"]


@admin.register(Window)
class WindowAdmin(ScopedAdmin):
    list_display = ["number", "name", "kind", "centre", "department", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["number", "name"]
    list_select_related = ["centre", "department"]
    region_field = "centre__region"
