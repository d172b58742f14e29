"""Admin: defining packages (items, prerequisites, field map, combined form) and reading package
applications, limited to the user's scope.

A package is edited freely while unpublished; each item's field map and material map are
checked against that item's current form schema and checklist when saved, and the whole
package (combined fields against every item, prerequisites, cycles) on its page and before
publishing (the actions call :func:`onewindow.packages.services.package_publish`).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin
from onewindow.core.errors import DomainError
from onewindow.packages import design as pkg_design
from onewindow.packages import services
from onewindow.packages.models import (
    Package,
    PackageApplication,
    PackageCase,
    PackageField,
    PackageItem,
)

_NAME_OK = pkg_design.FIELD_NAME


class PrettyJSONWidget(forms.Textarea):
    def format_value(self, value: Any) -> str:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value
        return json.dumps(value or {}, ensure_ascii=False, indent=1)


class ItemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.item.basic.name)


class PackageItemForm(forms.ModelForm):
    class Meta:
        model = PackageItem
        fields = ["item", "sort_order", "depends_on", "field_map", "material_map"]
        widgets = {"field_map": PrettyJSONWidget(attrs={"rows": 4, "cols": 40}),
                   "material_map": PrettyJSONWidget(attrs={"rows": 3, "cols": 40})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        item = data.get("item")
        version = pkg_design.live_version(item.current_version) if item else None
        schema = {f["name"] for f in (version.form_schema if version else []) or []
                  if isinstance(f, dict) and f.get("name")}
        field_map = data.get("field_map")
        if not isinstance(field_map, dict):
            self.add_error("field_map", _("应为 JSON 对象：{\"联合表单字段名\": \"事项字段名\"}。"))
        else:
            targets: set[str] = set()
            for combined, target in field_map.items():
                if not (isinstance(combined, str) and _NAME_OK.match(combined)):
                    self.add_error("field_map", _("联合表单字段名“%(f)s”不合规（小写字母、数字、"
                                                  "下划线）。") % {"f": combined})
                elif not isinstance(target, str) or (version is not None and target not in schema):
                    self.add_error("field_map", _("事项的申请表没有字段“%(f)s”（可用：%(a)s）。")
                                   % {"f": target, "a": "、".join(sorted(schema)) or "—"})
                elif target in targets:
                    self.add_error("field_map", _("事项字段“%(f)s”对应了多个联合表单字段。")
                                   % {"f": target})
                targets.add(str(target))
        material_map = data.get("material_map")
        names = {m.name for m in version.materials.all()} if version else set()
        if not isinstance(material_map, dict):
            self.add_error("material_map",
                           _("应为 JSON 对象：{\"事项材料名称\": \"联合材料名称\"}。"))
        else:
            for name, combined in material_map.items():
                if version is not None and name not in names:
                    self.add_error("material_map", _("事项没有名为“%(m)s”的材料。") % {"m": name})
                elif not isinstance(combined, str) or not combined.strip():
                    self.add_error("material_map", _("联合材料名称不能为空。"))
        package = self.instance.package if self.instance.package_id else None
        for dep in data.get("depends_on") or []:
            if package is not None and dep.package_id != package.pk:
                self.add_error("depends_on", _("前置事项须属于同一件事。"))
            if self.instance.pk and dep.pk == self.instance.pk:
                self.add_error("depends_on", _("不能以自己为前置事项。"))
        return data


class _PackageChild:
    """Inlines follow the package's own scope (the parent admin already limits viewing)."""

    def _editable(self, request: HttpRequest, obj: Any) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None:
            return access.has_any(request.user, Perm.CATALOG_PUBLISH)
        return access.can(request.user, Perm.CATALOG_PUBLISH, region=obj.region)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)


class PackageItemInline(_PackageChild, admin.StackedInline):
    model = PackageItem
    form = PackageItemForm
    extra = 0
    fk_name = "package"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any
                                 ) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name == "item":
            queryset: Any = field.queryset
            if not request.user.is_superuser:
                queryset = queryset.filter(access.scope_q(request.user, Perm.CATALOG_VIEW))
            field.queryset = queryset.select_related("basic")
        return field

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any
                                 ) -> Any:
        if db_field.name == "depends_on":
            # Only items of the same package (the one being edited) can come first.
            match = request.resolver_match
            object_id = match.kwargs.get("object_id") if match else None
            kwargs["queryset"] = PackageItem.objects.filter(
                package_id=int(object_id) if object_id and str(object_id).isdigit() else 0
            ).select_related("item__basic")
            kwargs["form_class"] = ItemChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class PackageFieldInline(_PackageChild, admin.TabularInline):
    model = PackageField
    extra = 0
    fields = ["sort_order", "name", "label", "type", "required", "help", "choices", "max_length"]


@admin.register(Package)
class PackageAdmin(ScopedAdmin):
    scope_perm = Perm.CATALOG_PUBLISH
    view_perm = Perm.CATALOG_VIEW
    region_field = "region"
    list_display = ["name", "code", "region", "lead_department", "published", "sort_order"]
    list_filter = ["published"]
    search_fields = ["name", "code"]
    list_select_related = ["region", "lead_department"]
    readonly_fields = ["published", "check_result"]
    fields = ["code", "name", "region", "lead_department", "description", "sort_order",
              "published", "check_result"]
    inlines = [PackageItemInline, PackageFieldInline]
    actions = ["publish", "unpublish", "derive_fields"]

    @admin.display(description=gettext_lazy("配置检查"))
    def check_result(self, obj: Package | None) -> str:
        if obj is None or not obj.pk:
            return _("保存后检查联合表单与各事项的对应关系。")
        problems = pkg_design.load_design(obj).problems
        if not problems:
            return format_html("<strong>{}</strong>", _("配置完整：联合表单覆盖各事项的必填项。"))
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>",
                                                           ((p,) for p in problems)))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any
                                 ) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is None or request.user.is_superuser:
            return field
        queryset: Any = field.queryset
        if db_field.name == "region":
            field.queryset = queryset.filter(
                access.scope_q(request.user, Perm.CATALOG_PUBLISH, region_field="",
                               department_field=None))
        elif db_field.name == "lead_department":
            field.queryset = queryset.filter(
                access.department_scope_q(request.user, Perm.CATALOG_VIEW))
        return field

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool
                     ) -> None:
        super().save_related(request, form, formsets, change)
        problems = pkg_design.load_design(form.instance).problems
        if problems:
            messages.warning(request, _("配置尚不完整（%(n)d 处），发布前请修改：%(p)s")
                             % {"n": len(problems), "p": "；".join(problems)})

    def _each(self, request: HttpRequest, queryset: QuerySet[Package], fn: Any, done: str
              ) -> None:
        ok = 0
        for package in queryset:
            try:
                fn(actor=request.user, package=package)
            except DomainError as exc:
                self.message_user(request, f"{package.name}：{exc.message}", messages.ERROR)
            else:
                ok += 1
        if ok:
            self.message_user(request, done % {"n": ok}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("发布（先检查配置）"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Package]) -> None:
        self._each(request, queryset, services.package_publish, _("已发布 %(n)d 件。"))

    @admin.action(description=gettext_lazy("停止发布"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Package]) -> None:
        self._each(request, queryset, services.package_unpublish, _("已停止发布 %(n)d 件。"))

    @admin.action(description=gettext_lazy("按各事项申请表补全联合表单字段"))
    def derive_fields(self, request: HttpRequest, queryset: QuerySet[Package]) -> None:
        self._each(request, queryset, services.package_derive_fields,
                   _("已为 %(n)d 件补全联合表单字段，请检查标签与顺序。"))


class PackageCaseInline(admin.TabularInline):
    model = PackageCase
    extra = 0
    can_delete = False
    fields = ("package_item", "state", "outcome", "case", "note", "started_at", "finished_at")
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PackageApplication)
class PackageApplicationAdmin(ScopedAdmin):
    """Read only: applications change through their services (pages, API, jobs)."""

    scope_perm = Perm.SUPERVISE
    view_perm = Perm.SUPERVISE
    region_field = "region"
    list_display = ["number", "package", "applicant_masked", "state", "submitted_at",
                    "completed_at"]
    list_filter = ["state"]
    search_fields = ["number"]
    list_select_related = ["package", "applicant"]
    fields = ("number", "package", "applicant_masked", "state", "delivery_method",
              "submitted_at", "completed_at", "delivered_at", "tracking_no")
    readonly_fields = fields
    inlines = [PackageCaseInline]

    @admin.display(description=gettext_lazy("申请人"))
    def applicant_masked(self, obj: PackageApplication) -> str:
        return obj.applicant.masked_name

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
