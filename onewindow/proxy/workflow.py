"""The steps of a proxy case (代办进度) and the one table of their order.

A proxy case moves through the agent's steps in a fixed order::

    待确认委托 → 群众已委托 → 已收取材料（办件已提交）→ 已递交中心 → 已领取结果 → 已交付群众

``stage`` on :class:`~onewindow.proxy.models.ProxyConsent` is the last step done;
:func:`check` says whether a step may be recorded now, or raises a
:class:`~onewindow.core.errors.Conflict` naming the step that must come first.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onewindow.cases.workflow import CaseState
from onewindow.core.errors import Conflict


class Step(models.TextChoices):
    """One recorded step of the agent's work (代办环节)."""

    CONSENT = "consent", gettext_lazy("群众委托确认")
    MATERIALS_RECEIVED = "materials_received", gettext_lazy("收取纸质材料并提交申请")
    DELIVERED = "delivered", gettext_lazy("材料递交服务中心")
    COLLECTED = "collected", gettext_lazy("领取办理结果")
    HANDED_OVER = "handed_over", gettext_lazy("结果交付群众")


class Stage(models.TextChoices):
    """Where a proxy case stands: the last step done (or pending / cancelled)."""

    PENDING = "pending", gettext_lazy("待确认委托")
    CONSENT = "consent", gettext_lazy("已委托，待提交申请")
    MATERIALS_RECEIVED = "materials_received", gettext_lazy("已提交，待递交中心")
    DELIVERED = "delivered", gettext_lazy("已递交，等待办理结果")
    COLLECTED = "collected", gettext_lazy("已领取结果，待交付群众")
    HANDED_OVER = "handed_over", gettext_lazy("已交付群众")
    CANCELLED = "cancelled", gettext_lazy("已取消")


# step -> (the stage it must follow, the stage it leads to)
TRANSITIONS: dict[Step, tuple[Stage, Stage]] = {
    Step.CONSENT: (Stage.PENDING, Stage.CONSENT),
    Step.MATERIALS_RECEIVED: (Stage.CONSENT, Stage.MATERIALS_RECEIVED),
    Step.DELIVERED: (Stage.MATERIALS_RECEIVED, Stage.DELIVERED),
    Step.COLLECTED: (Stage.DELIVERED, Stage.COLLECTED),
    Step.HANDED_OVER: (Stage.COLLECTED, Stage.HANDED_OVER),
}

# The step that is due next in each stage (None: nothing more to do).
NEXT_STEP: dict[Stage, Step | None] = {
    Stage.PENDING: Step.CONSENT,
    Stage.CONSENT: Step.MATERIALS_RECEIVED,
    Stage.MATERIALS_RECEIVED: Step.DELIVERED,
    Stage.DELIVERED: Step.COLLECTED,
    Stage.COLLECTED: Step.HANDED_OVER,
    Stage.HANDED_OVER: None,
    Stage.CANCELLED: None,
}

# A result can be collected once the case has one: a decision (准予 / 不予), a delivered
# result, or a refusal to accept (不予受理通知书 and the originals go back to the villager).
RESULT_STATES = frozenset({CaseState.DECIDED, CaseState.COMPLETED, CaseState.REFUSED})
# A pending or consented proxy case without a case yet may be cancelled.
CANCELLABLE = frozenset({Stage.PENDING, Stage.CONSENT})


def check(stage: str, step: Step) -> Stage:
    """The stage after ``step``, or a :class:`Conflict` saying which step must come first."""
    before, after = TRANSITIONS[step]
    if stage == before:
        return after
    if stage == Stage.CANCELLED:
        raise Conflict(_("这件代办已取消，不能再登记。"), code="proxy_cancelled")
    done = list(TRANSITIONS)
    current = Stage(stage)
    if stage != Stage.PENDING and done.index(Step(stage)) >= done.index(step):
        raise Conflict(
            _("“%(step)s”已经登记过了。") % {"step": step.label}, code="step_done",
        )
    needed = NEXT_STEP[current]
    raise Conflict(
        _("代办进度为“%(stage)s”，不能登记“%(step)s”：请先完成“%(needed)s”。")
        % {"stage": current.label, "step": step.label,
           "needed": needed.label if needed else ""},
        code="step_out_of_order",
    )
