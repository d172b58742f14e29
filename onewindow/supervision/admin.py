"""Admin of supervision rules (the supervision office of a region sets its thresholds)."""

from __future__ import annotations

from django.contrib import admin

from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin
from onewindow.supervision.models import AlertRule


@admin.register(AlertRule)
class AlertRuleAdmin(ScopedAdmin):
    scope_perm = Perm.SUPERVISE
    region_field = "region"
    list_display = ["region", "item_type", "reminder_days", "yellow_days", "is_active"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
