"""Admin for the working-day calendar (工作日历).

Plain ModelAdmin: scope checks (who may change the calendar) are added by the lead outside this
app, because ``workdays`` must not import ``accounts``. Every write goes through the services so
that the calendar cache is invalidated and the deadline recomputers run.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from onewindow.workdays import services
from onewindow.workdays.models import CalendarOverride, OfficialYear, ScheduleDay


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "reason", "updated_at")
    list_filter = ("kind",)
    search_fields = ("reason",)
    date_hierarchy = "date"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("date",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = services.calendar_override_set(day=obj.date, kind=obj.kind, reason=obj.reason)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.calendar_override_remove(day=obj.date)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for day in list(queryset.values_list("date", flat=True)):
            services.calendar_override_remove(day=day)


class ScheduleDayInline(admin.TabularInline):
    model = ScheduleDay
    extra = 0
    fields = ("date", "kind", "name")
    readonly_fields = ("date", "kind", "name")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OfficialYear)
class OfficialYearAdmin(admin.ModelAdmin):
    """Imported schedules are read-only here: import with ``onewindow workdays import``."""

    list_display = ("year", "source", "imported_at")
    readonly_fields = ("year", "source", "imported_at")
    inlines = (ScheduleDayInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.calendar_official_year_delete(year=obj.year)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for year in list(queryset.values_list("year", flat=True)):
            services.calendar_official_year_delete(year=year)
