"""Admin: the review process of each item (办理环节) and its parallel participants (并联审批),
limited to the user's scope."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey
from django.forms import ModelChoiceField
from django.http import HttpRequest

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin
from onewindow.cases.models import ParallelParticipant, ProcessStep


@admin.register(ProcessStep)
class ProcessStepAdmin(ScopedAdmin):
    scope_perm = Perm.CATALOG_EDIT
    view_perm = Perm.CATALOG_VIEW
    region_field = "item__region"
    department_field = "item__department"
    list_display = ["item", "sort_order", "name", "role", "department", "limit_days"]
    list_filter = ["role"]
    search_fields = ["item__implementation_code", "item__basic__name", "name"]
    ordering = ["item__implementation_code", "sort_order"]
    list_select_related = ["item__basic", "item__region", "department"]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        user = request.user
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is None or user.is_superuser:
            return field
        queryset: Any = field.queryset
        if db_field.name == "item":
            field.queryset = queryset.filter(access.scope_q(user, Perm.CATALOG_EDIT))
        elif db_field.name == "department":
            field.queryset = queryset.filter(access.department_scope_q(user, Perm.CATALOG_VIEW))
        return field


@admin.register(ParallelParticipant)
class ParallelParticipantAdmin(ProcessStepAdmin):
    """The departments asked for their opinion on every case of an item (the lead is the
    item's own department). Any department of the region tree may take part."""

    list_display = ["item", "sort_order", "department", "subject", "limit_days",
                    "deemed_consent"]
    list_filter = ["deemed_consent"]
    search_fields = ["item__implementation_code", "item__basic__name", "department__name"]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name == "department":
            from onewindow.regions.models import Department

            field.queryset = Department.objects.filter(is_active=True).select_related("region")
        return field
