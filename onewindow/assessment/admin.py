"""Admin of scoring schemes (考核方案): the management office of a region sets its own."""

from __future__ import annotations

from django.contrib import admin

from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin
from onewindow.assessment.models import ScoringScheme


@admin.register(ScoringScheme)
class ScoringSchemeAdmin(ScopedAdmin):
    scope_perm = Perm.ASSESSMENT_MANAGE
    region_field = "region"
    list_display = ["region", "name", "w_on_time", "w_on_spot", "w_speedup", "w_satisfaction",
                    "w_workload", "excellent_min", "good_min", "pass_min", "red_flag_count"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    fieldsets = [
        (None, {"fields": ["region", "name"]}),
        ("权重（合计 100 分）", {"fields": ["w_on_time", "w_on_spot", "w_speedup",
                                          "w_satisfaction", "w_workload"]}),
        ("扣分", {"fields": ["per_bad_review", "per_upheld_complaint", "per_alert",
                            "per_red_card"]}),
        ("等次与红旗窗口", {"fields": ["excellent_min", "good_min", "pass_min",
                                      "excellent_max_percent", "red_flag_count"]}),
        ("一票否决", {"fields": ["veto_red_card", "veto_upheld_complaint"]}),
    ]
