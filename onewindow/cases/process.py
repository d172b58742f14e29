"""The review process of an item (办理流程): the steps a case's tasks are made from."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from onewindow.accounts.models import Role
from onewindow.cases.models import ParallelParticipant, ProcessStep
from onewindow.catalog.models import ItemVersion, ServiceItem


@dataclass(frozen=True, slots=True)
class StepSpec:
    name: str
    role: str
    department_id: int
    limit_days: int


def default_steps(item: ServiceItem, version: ItemVersion) -> list[StepSpec]:
    """审查 → 决定 by the item's department, the promised limit split between them."""
    promised = max(version.promised_limit, 0)
    if promised <= 1:
        return [StepSpec(_("审核决定"), Role.REVIEWER, item.department_id, max(promised, 1))]
    decide = max(1, promised // 3)
    return [
        StepSpec(_("审查"), Role.REVIEWER, item.department_id, promised - decide),
        StepSpec(_("决定"), Role.DEPARTMENT_HEAD, item.department_id, decide),
    ]


def steps_for(item: ServiceItem, version: ItemVersion) -> list[StepSpec]:
    rows = list(ProcessStep.objects.filter(item=item).order_by("sort_order"))
    if not rows:
        return default_steps(item, version)
    return [
        StepSpec(r.name, r.role, r.department_id or item.department_id, r.limit_days)
        for r in rows
    ]


def participants_for(item: ServiceItem) -> list[ParallelParticipant]:
    """The departments that give parallel opinions on this item's cases (并联审批)."""
    return list(ParallelParticipant.objects.filter(item=item).order_by("sort_order", "id"))
