"""Admin screens of appointments for the management office (``hall.manage``), scoped to the
centres of the user's region subtree:

- 预约时段模板 (weekly schedule) with an action that makes the coming days' slots at once;
- 预约时段: the slots of each day; special slots (非工作日预约 / 延时服务: evenings, weekends,
  holidays) are added here and are bookable whatever the calendar says. A slot's capacity never
  goes below its bookings; category, day and start of an existing slot are fixed;
- 预约记录: read-only, names and mobile numbers masked.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin
from onewindow.core import clock
from onewindow.core.errors import DomainError
from onewindow.core.masking import mask_name, mask_phone
from onewindow.hall import appointments as appt
from onewindow.hall.models import Appointment, AppointmentSlot, ServiceCategory, SlotTemplate


class _CategoryScoped(ScopedAdmin):
    scope_perm = Perm.HALL_MANAGE
    region_field = "category__centre__region"

    def _categories(self, request: HttpRequest) -> QuerySet[ServiceCategory]:
        qs = ServiceCategory.objects.select_related("centre").filter(is_active=True)
        if request.user.is_superuser:
            return qs
        return qs.filter(access.scope_q(request.user, Perm.HALL_MANAGE,
                                        region_field="centre__region", department_field=None))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kw: Any) -> Any:
        if db_field.name == "category":
            kw["queryset"] = self._categories(request)
        return super().formfield_for_foreignkey(db_field, request, **kw)

    @admin.display(description=_("服务中心"), ordering="category__centre__name")
    def centre(self, obj: Any) -> str:
        return obj.category.centre.name


# --- weekly schedule -----------------------------------------------------------------------------


class SlotTemplateForm(forms.ModelForm):
    class Meta:
        model = SlotTemplate
        fields = ["category", "weekday", "starts", "ends", "capacity"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and not starts < ends:
            self.add_error("ends", _("结束时间应晚于开始时间。"))
        if data.get("capacity") is not None and data["capacity"] < 1:
            self.add_error("capacity", _("名额至少为 1。"))
        return data


@admin.register(SlotTemplate)
class SlotTemplateAdmin(_CategoryScoped):
    form = SlotTemplateForm
    list_display = ["category", "centre", "weekday", "starts", "ends", "capacity"]
    list_filter = ["weekday"]
    search_fields = ["category__name", "category__centre__name"]
    list_select_related = ["category__centre"]
    actions = ["generate_now"]

    @admin.action(description=_("按所选模板立即生成今后可预约天数内的时段"))
    def generate_now(self, request: HttpRequest, queryset: QuerySet[SlotTemplate]) -> None:
        created = closed = 0
        for category in {t.category for t in queryset.select_related("category__centre")}:
            if not self._can_obj(request, SlotTemplate(category=category), self.scope_perm):
                continue
            result = appt.slots_generate(category=category)
            created += result.created
            closed += result.closed
        messages.success(request, _("已生成 %(n)d 个时段（节假日不生成）。") % {"n": created})


# --- slots and special slots ---------------------------------------------------------------------


class AppointmentSlotForm(forms.ModelForm):
    class Meta:
        model = AppointmentSlot
        fields = ["category", "day", "starts", "ends", "capacity", "is_open", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        instance: AppointmentSlot = self.instance
        starts = data.get("starts") or (instance.starts if instance.pk else None)
        ends = data.get("ends")
        if starts and ends and not starts < ends:
            self.add_error("ends", _("结束时间应晚于开始时间。"))
        capacity = data.get("capacity")
        if capacity is not None and capacity < 1:
            self.add_error("capacity", _("名额至少为 1。"))
        if instance.pk and capacity is not None:
            booked = AppointmentSlot.objects.filter(pk=instance.pk).values_list(
                "booked", flat=True).first() or 0
            if capacity < booked:
                self.add_error("capacity", _("已有 %(n)d 人预约，名额不能少于已约人数。")
                               % {"n": booked})
        elif data.get("day") and data["day"] < clock.today():
            self.add_error("day", _("不能开放已过去的日期。"))
        return data


@admin.register(AppointmentSlot)
class AppointmentSlotAdmin(_CategoryScoped):
    form = AppointmentSlotForm
    list_display = ["day", "starts", "ends", "category", "centre", "capacity", "booked",
                    "special", "is_open", "note"]
    list_filter = ["special", "is_open", "day"]
    search_fields = ["category__name", "category__centre__name", "note"]
    list_select_related = ["category__centre"]
    date_hierarchy = "day"
    ordering = ["-day", "starts"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.pk:
            return ["category", "day", "starts", "special", "booked"]
        return []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.pk:
            return ["category", "day", "starts", "ends", "capacity", "booked", "special",
                    "is_open", "note"]
        return ["category", "day", "starts", "ends", "capacity", "note"]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None
                 ) -> Any:
        extra = {**(extra_context or {}), "subtitle": _(
            "在此添加的时段为延时/非工作日服务时段（如周末、节假日、晚间），不受节假日关闭限制，"
            "申请人可以预约。工作日常规时段请维护“预约时段模板”。")}
        return super().add_view(request, form_url, extra)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.pk and Appointment.objects.filter(slot=obj).exists():
            return False  # a slot with bookings (even cancelled ones) is closed, not deleted
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: AppointmentSlot, form: Any, change: bool
                   ) -> None:
        """Through the services: a new slot is special; a change never touches ``booked``."""
        if not self._can_obj(request, obj, self.scope_perm):
            super().save_model(request, obj, form, change)  # raises PermissionDenied
            return
        try:
            if change:
                appt.slot_update(actor=request.user, slot=obj, capacity=obj.capacity,
                                 is_open=obj.is_open, note=obj.note, ends=obj.ends)
            else:
                made = appt.special_slot_create(
                    actor=request.user, category=obj.category, day=obj.day, starts=obj.starts,
                    ends=obj.ends, capacity=obj.capacity, note=obj.note,
                )
                obj.pk = made.pk
                obj.special = True
        except DomainError as exc:  # a booking made meanwhile, a slot added meanwhile
            messages.error(request, exc.message)
            if not change:
                raise


# --- bookings, read-only -------------------------------------------------------------------------


@admin.register(Appointment)
class AppointmentAdmin(_CategoryScoped):
    region_field = "slot__category__centre__region"
    list_display = ["code", "slot_day", "slot_time", "category_name", "centre_name",
                    "masked_name", "masked_mobile", "state", "reminded_at", "checked_in_at"]
    list_filter = ["state", "slot__special"]
    search_fields = ["=code"]
    list_select_related = ["slot__category__centre"]
    fields = ("code", "slot", "masked_name", "masked_mobile", "item_name", "state",
              "created_at", "reminded_at", "cancelled_at", "checked_in_at")
    readonly_fields = fields
    ordering = ["-slot__day", "-slot__starts"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("日期"), ordering="slot__day")
    def slot_day(self, obj: Appointment) -> Any:
        return obj.slot.day

    @admin.display(description=_("时段"))
    def slot_time(self, obj: Appointment) -> str:
        return f"{obj.slot.starts:%H:%M}-{obj.slot.ends:%H:%M}"

    @admin.display(description=_("业务类别"))
    def category_name(self, obj: Appointment) -> str:
        return obj.slot.category.name

    @admin.display(description=_("服务中心"))
    def centre_name(self, obj: Appointment) -> str:
        return obj.slot.category.centre.name

    @admin.display(description=_("姓名"))
    def masked_name(self, obj: Appointment) -> str:
        return mask_name(obj.name)

    @admin.display(description=_("手机号码"))
    def masked_mobile(self, obj: Appointment) -> str:
        return mask_phone(obj.mobile)
