from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin
from onewindow.accounts.models import Applicant, RoleAssignment, StaffMember, User
from onewindow.core.masking import mask_phone


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "masked_phone", "is_active", "is_staff"]
    search_fields = ["username", "display_name"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("一窗通", {"fields": ("display_name", "phone")}),
    )

    @admin.display(description="手机号码")
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["region", "department"]


@admin.register(StaffMember)
class StaffMemberAdmin(ScopedAdmin):
    scope_perm = Perm.STAFF_MANAGE
    list_display = ["staff_number", "user", "region", "department", "title"]
    search_fields = ["staff_number", "user__display_name", "user__username"]
    list_select_related = ["user", "region", "department"]
    autocomplete_fields = ["region", "department"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    scope_perm = Perm.STAFF_MANAGE
    list_display = ["user", "role", "region", "department", "is_active"]
    list_filter = ["role", "is_active"]
    list_select_related = ["user", "region", "department"]
    autocomplete_fields = ["region", "department"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        access.forget_grants(obj.user)


@admin.register(Applicant)
class ApplicantAdmin(admin.ModelAdmin):
    """Applicants are listed masked; full numbers only on the detail page for those in scope."""

    list_display = ["masked_name", "kind", "masked_identity", "masked_mobile", "created_at"]
    list_filter = ["kind"]
    search_fields = ["=id_number", "=credit_code", "=mobile", "name"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or access.has_any(request.user, Perm.APPLICANT_VIEW)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


# --- the working-day calendar: everyone with the permission may look, only city-wide change --
from onewindow.workdays import admin as workdays_admin  # noqa: E402
from onewindow.workdays.models import CalendarOverride, OfficialYear  # noqa: E402


class CalendarGate:
    """The calendar is one for the whole city: only a city-wide grant (or superuser) edits it."""

    def _may_view(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or access.has_any(request.user, Perm.CALENDAR_MANAGE)

    def _may_change(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or access.is_root_grant(
            request.user, Perm.CALENDAR_MANAGE
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_view(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_view(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_change(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._may_change(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_change(request)


class ScopedCalendarOverrideAdmin(CalendarGate, workdays_admin.CalendarOverrideAdmin):
    pass


class ScopedOfficialYearAdmin(CalendarGate, workdays_admin.OfficialYearAdmin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # imported with `onewindow workdays import`


for _model, _admin in (
    (CalendarOverride, ScopedCalendarOverrideAdmin),
    (OfficialYear, ScopedOfficialYearAdmin),
):
    admin.site.unregister(_model)
    admin.site.register(_model, _admin)
