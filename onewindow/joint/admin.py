"""Admin: per item, whether its cases need a joint inspection (and whether the clock stops) or a
joint meeting, and which parallel participants inspect — scoped like the item's process steps.

Inspections and meetings themselves change only through the workbench and the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, OneToOneField
from django.forms import ModelChoiceField
from django.http import HttpRequest

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin
from onewindow.joint.models import InspectionNeed, JointSettings


@admin.register(JointSettings)
class JointSettingsAdmin(ScopedAdmin):
    scope_perm = Perm.CATALOG_EDIT
    view_perm = Perm.CATALOG_VIEW
    region_field = "item__region"
    department_field = "item__department"
    list_display = ["item", "needs_inspection", "inspection_stops_clock", "needs_meeting"]
    list_filter = ["needs_inspection", "inspection_stops_clock", "needs_meeting"]
    search_fields = ["item__implementation_code", "item__basic__name"]
    list_select_related = ["item__basic", "item__region"]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name == "item" and not request.user.is_superuser:
            queryset: Any = field.queryset
            field.queryset = queryset.filter(access.scope_q(request.user, Perm.CATALOG_EDIT))
        return field


@admin.register(InspectionNeed)
class InspectionNeedAdmin(ScopedAdmin):
    """A parallel participant of the item that takes part in the joint inspection."""

    scope_perm = Perm.CATALOG_EDIT
    view_perm = Perm.CATALOG_VIEW
    region_field = "participant__item__region"
    department_field = "participant__item__department"
    list_display = ["participant", "note"]
    search_fields = ["participant__item__implementation_code", "participant__item__basic__name",
                     "participant__department__name"]
    list_select_related = ["participant__item", "participant__department"]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any] | OneToOneField[Any, Any], request: HttpRequest,
        **kwargs: Any,
    ) -> ModelChoiceField[Any] | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is None or db_field.name != "participant":
            return field
        queryset: Any = field.queryset
        queryset = queryset.select_related("item__basic", "department")
        if not request.user.is_superuser:
            queryset = queryset.filter(
                access.scope_q(request.user, Perm.CATALOG_EDIT, region_field="item__region",
                               department_field="item__department"))
        field.queryset = queryset
        field.label_from_instance = _participant_label  # type: ignore[method-assign,assignment]
        return field


def _participant_label(p: Any) -> str:
    subject = f"（{p.subject}）" if p.subject else ""
    return f"{p.item.basic.name} {p.item.implementation_code} · {p.department.name}{subject}"
