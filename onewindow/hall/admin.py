"""Admin screens of the hall for the management office (``hall.manage``): business categories
and the windows serving them, queue rules (with the kiosk's address), hall notices; tickets and
windows' presence read-only. Appointment schedules and special slots: admin_appointments."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin
from onewindow.core.masking import mask_phone
from onewindow.hall import admin_appointments  # noqa: F401 - registers the booking screens
from onewindow.hall.models import HallNotice, HallSettings, ServiceCategory, Ticket, WindowSession
from onewindow.regions.models import ServiceCentre, Window


class HallAdmin(ScopedAdmin):
    scope_perm = Perm.HALL_MANAGE
    region_field = "centre__region"

    def _centres(self, request: HttpRequest) -> QuerySet[ServiceCentre]:
        qs = ServiceCentre.objects.all()
        if request.user.is_superuser:
            return qs
        return qs.filter(access.scope_q(request.user, Perm.HALL_MANAGE, department_field=None))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kw: Any) -> Any:
        if db_field.name == "centre":
            kw["queryset"] = self._centres(request)
        return super().formfield_for_foreignkey(db_field, request, **kw)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kw: Any) -> Any:
        if db_field.name == "windows":
            kw["queryset"] = Window.objects.filter(
                centre__in=self._centres(request), is_active=True
            ).select_related("centre")
        return super().formfield_for_manytomany(db_field, request, **kw)


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(HallAdmin):
    list_display = ["letter", "name", "centre", "window_numbers", "appointable", "is_active"]
    list_filter = ["is_active", "appointable"]
    search_fields = ["name", "centre__name"]
    list_select_related = ["centre"]
    filter_horizontal = ["windows"]

    @admin.display(description=_("服务窗口"))
    def window_numbers(self, obj: ServiceCategory) -> str:
        return "、".join(w.number for w in obj.windows.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("windows")


@admin.register(HallSettings)
class HallSettingsAdmin(HallAdmin):
    list_display = ["centre", "priority_first", "appointments_first", "no_show_after_calls",
                    "daily_limit_per_person"]
    list_select_related = ["centre"]
    readonly_fields = ["kiosk_address", "screen_address", "tablet_addresses"]

    @admin.display(description=_("取号机地址"))
    def kiosk_address(self, obj: HallSettings) -> str:
        if not obj.pk:
            return "—"
        url = f"{reverse('hall:kiosk', args=[obj.centre_id])}?key={obj.kiosk_key}"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description=_("大厅显示屏地址"))
    def screen_address(self, obj: HallSettings) -> str:
        if not obj.pk:
            return "—"
        url = f"/hall/{obj.centre_id}/screen/"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description=_("评价器地址"))
    def tablet_addresses(self, obj: HallSettings) -> str:
        """One tablet (评价器) per window; it carries the centre's kiosk key."""
        if not obj.pk:
            return "—"
        windows = Window.objects.filter(centre_id=obj.centre_id, is_active=True).order_by(
            "number")
        return format_html_join(
            mark_safe("<br>"),  # noqa: S308 - a constant separator
            '{} {}：<a href="{}" target="_blank" rel="noopener">{}</a>',
            ((w.number, w.name, u, u) for w in windows
             for u in [f"/hall/{obj.centre_id}/tablet/{w.pk}/?key={obj.kiosk_key}"]),
        )


@admin.register(HallNotice)
class HallNoticeAdmin(HallAdmin):
    list_display = ["text", "centre", "starts_on", "ends_on", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["centre"]


class ReadOnlyHallAdmin(HallAdmin):
    view_perm = Perm.SUPERVISE

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or access.has_any(request.user, Perm.SUPERVISE) \
            or access.has_any(request.user, Perm.HALL_MANAGE)


@admin.register(Ticket)
class TicketAdmin(ReadOnlyHallAdmin):
    list_display = ["number", "day", "centre", "category", "state", "source", "priority",
                    "masked_mobile", "window", "taken_at", "called_at", "finished_at"]
    list_filter = ["state", "source", "priority", "day"]
    list_select_related = ["centre", "category", "window"]
    date_hierarchy = "day"
    exclude = ["holder_mobile", "holder_id_number", "holder_key", "token"]

    @admin.display(description=_("手机号码"))
    def masked_mobile(self, obj: Ticket) -> str:
        return mask_phone(obj.holder_mobile) if obj.holder_mobile else ""


@admin.register(WindowSession)
class WindowSessionAdmin(ReadOnlyHallAdmin):
    region_field = "window__centre__region"
    list_display = ["window", "user", "day", "started_at", "ended_at", "status", "pause_reason"]
    list_filter = ["status", "day"]
    list_select_related = ["window__centre", "user"]

