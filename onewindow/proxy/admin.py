"""Admin of the proxy item lists (全程代办事项清单): the management office of a region (who
publishes catalogue entries there, ``catalog.publish``) keeps its list and publishes it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin
from onewindow.core import clock
from onewindow.core.errors import DomainError
from onewindow.proxy import services
from onewindow.proxy.models import ProxyItem


class ProxyItemForm(forms.ModelForm):
    class Meta:
        model = ProxyItem
        fields = ["region", "item", "full_proxy", "note", "sort_order"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        item, region = data.get("item"), data.get("region")
        if item is not None and region is not None and not region.is_within(item.region):
            self.add_error("item", _("只能列入本级或上级实施的事项（该事项由%(r)s实施）。")
                           % {"r": item.region.name})
        return data


@admin.register(ProxyItem)
class ProxyItemAdmin(ScopedAdmin):
    scope_perm = Perm.CATALOG_PUBLISH
    region_field = "region"
    form = ProxyItemForm
    list_display = ["item", "region", "full_proxy", "published", "published_at", "sort_order"]
    list_filter = ["published", "full_proxy"]
    list_select_related = ["item__basic", "region"]
    search_fields = ["item__basic__name", "item__implementation_code", "region__name"]
    autocomplete_fields = ["region", "item"]
    actions = ["publish", "unpublish"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not self._can_obj(request, obj, self.scope_perm):
            super().save_model(request, obj, form, change)  # refuses, as every scoped admin
            return
        if request.user.is_superuser:
            super().save_model(request, obj, form, change)
            return
        try:
            services.proxy_item_save(
                actor=request.user, item=obj.item, region=obj.region, full_proxy=obj.full_proxy,
                note=obj.note, sort_order=obj.sort_order, row=obj)
        except DomainError as exc:
            messages.error(request, exc.message)

    @admin.action(description=_("公布所选事项"))
    def publish(self, request: HttpRequest, queryset: QuerySet[ProxyItem]) -> None:
        self._set_published(request, queryset, True)

    @admin.action(description=_("撤下所选事项"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[ProxyItem]) -> None:
        self._set_published(request, queryset, False)

    def _set_published(self, request: HttpRequest, queryset: QuerySet[ProxyItem],
                       published: bool) -> None:
        done = 0
        if request.user.is_superuser:
            done = queryset.update(published=published,
                                   published_at=clock.now() if published else None)
            messages.success(request, _("已处理 %(n)d 项。") % {"n": done})
            return
        for row in queryset.select_related("region"):
            try:
                services.proxy_item_publish(actor=request.user, row=row, published=published)
                done += 1
            except DomainError as exc:
                messages.error(request, f"{row}: {exc.message}")
        messages.success(request, _("已处理 %(n)d 项。") % {"n": done})
