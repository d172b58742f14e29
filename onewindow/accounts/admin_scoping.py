"""Django admin screens go through the one permission module as well.

:class:`ScopedAdmin` narrows the change list to the user's region subtree (and department) and
refuses to save a row outside it. Superusers (created by operators with ``createsuperuser``)
keep Django's full admin.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from onewindow.accounts import access
from onewindow.accounts.access import Perm


def _resolve(obj: Any, path: str | None) -> Any:
    if path is None:
        return None
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


class ScopedAdmin(admin.ModelAdmin):
    """``region_field`` / ``department_field`` are lookup paths from the row to its Region and
    Department; ``region_field = None`` marks rows that belong to no region (shared data such
    as basic catalogue items): anyone holding the view permission may see them."""

    scope_perm: Perm = Perm.REGION_MANAGE
    view_perm: Perm | None = None
    region_field: str | None = "region"
    department_field: str | None = None

    def _view_perm(self) -> Perm:
        return self.view_perm or self.scope_perm

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if request.user.is_superuser or self.region_field is None:
            return qs
        return qs.filter(
            access.scope_q(
                request.user, self._view_perm(), region_field=self.region_field,
                department_field=self.department_field,
            )
        )

    def _can_obj(self, request: HttpRequest, obj: Model | None, perm: Perm) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None or self.region_field is None:
            return access.has_any(request.user, perm)
        region = _resolve(obj, self.region_field)
        department = _resolve(obj, self.department_field)
        return access.can(request.user, perm, region=region, department=department)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or access.has_any(request.user, self._view_perm())

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._can_obj(request, obj, self._view_perm())

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._can_obj(request, obj, self.scope_perm)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._can_obj(request, None, self.scope_perm)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._can_obj(request, obj, self.scope_perm)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not self._can_obj(request, obj, self.scope_perm):
            raise DjangoPermissionDenied("不能在您的管辖范围之外保存数据。")
        super().save_model(request, obj, form, change)
