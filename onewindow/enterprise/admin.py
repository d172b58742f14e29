"""Admin of 一企一档 and 重点项目 (read and correct; the workbench pages are the way to work).

Lists are narrowed to the user's region subtree (``enterprise.manage``); concerns change only
through the services, so they are read-only here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin
from onewindow.enterprise.models import Concern, ConcernEvent, EnterpriseFile, KeyProject


@admin.register(EnterpriseFile)
class EnterpriseFileAdmin(ScopedAdmin):
    scope_perm = Perm.ENTERPRISE_MANAGE
    region_field = "region"
    list_display = ["company", "region", "is_key", "green_channel", "is_active", "opened_at"]
    list_filter = ["is_key", "green_channel", "is_active"]
    list_select_related = ["company", "region"]
    search_fields = ["company__name", "company__credit_code"]
    # Designation goes through the workbench (its services); here only the descriptive fields.
    readonly_fields = ["company", "region", "is_key", "green_channel", "is_active",
                       "opened_at", "opened_by", "designated_at"]
    exclude = ["contact_phone"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(KeyProject)
class KeyProjectAdmin(ScopedAdmin):
    scope_perm = Perm.ENTERPRISE_MANAGE
    region_field = "region"
    list_display = ["code", "name", "region", "lead_department", "stage", "green_channel",
                    "is_active"]
    list_filter = ["stage", "green_channel", "is_active"]
    list_select_related = ["region", "lead_department"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "company", "region", "lead_department", "green_channel",
                       "is_active", "designated_at", "designated_by"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ConcernEventInline(admin.TabularInline):
    model = ConcernEvent
    extra = 0
    can_delete = False
    fields = ("seq", "action", "from_state", "to_state", "actor", "department", "note", "at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Concern)
class ConcernAdmin(ScopedAdmin):
    scope_perm = Perm.ENTERPRISE_MANAGE
    region_field = "file__region"
    list_display = ["number", "file", "category", "assigned_department", "state", "deadline",
                    "overdue"]
    list_filter = ["state", "category", "overdue"]
    list_select_related = ["file__company", "file__region", "assigned_department"]
    search_fields = ["number", "file__company__name"]
    inlines = [ConcernEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Concern._meta.fields]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
