"""Cache invalidation of the hall: the categories a window serves."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_save, pre_delete
from django.dispatch import receiver

from onewindow.hall.models import ServiceCategory
from onewindow.hall.services import window_categories_key


def _forget(window_ids: set[int]) -> None:
    keys = [window_categories_key(w) for w in window_ids]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


@receiver(m2m_changed, sender=ServiceCategory.windows.through)
def windows_changed(sender: Any, instance: Any, action: str, pk_set: Any, **kw: Any) -> None:
    if not action.startswith("post_") and action != "pre_clear":
        return
    if isinstance(instance, ServiceCategory):
        ids = set(pk_set or ()) | set(instance.windows.values_list("pk", flat=True))
    else:  # changed from the window's side
        ids = {instance.pk}
    _forget(ids)


@receiver([post_save, pre_delete], sender=ServiceCategory)
def category_changed(sender: Any, instance: ServiceCategory, **kw: Any) -> None:
    if instance.pk:
        _forget(set(ServiceCategory.windows.through.objects.filter(
            servicecategory_id=instance.pk).values_list("window_id", flat=True)))
