"""States of a package application (一件事申请) and of each of its items, as data.

An application's state follows from its items (:func:`application_state_for`): it is in
progress while any item waits, is being handled or has not been decided; it waits for the one
delivery (统一出件) when every item is decided or closed and some result is still to hand out;
it is final when every item is. :data:`TRANSITIONS` is the one table of what may follow what;
:func:`check` raises a :class:`Conflict` a person can read.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onewindow.core.errors import Conflict


class ApplicationState(models.TextChoices):
    DRAFT = "draft", gettext_lazy("草稿")
    IN_PROGRESS = "in_progress", gettext_lazy("办理中")
    AWAITING_DELIVERY = "awaiting_delivery", gettext_lazy("待统一出件")
    COMPLETE = "complete", gettext_lazy("已办结")
    PARTLY_REFUSED = "partly_refused", gettext_lazy("部分办结")
    REFUSED = "refused", gettext_lazy("未获准予")
    DISCARDED = "discarded", gettext_lazy("已放弃")


class ApplicationAction(models.TextChoices):
    SUBMIT = "submit", gettext_lazy("提交申请")
    DISCARD = "discard", gettext_lazy("放弃草稿")
    REFRESH = "refresh", gettext_lazy("更新进度")
    DELIVER = "deliver", gettext_lazy("统一出件")


A = ApplicationState
OPEN_STATES = frozenset({A.IN_PROGRESS, A.AWAITING_DELIVERY})
FINAL_STATES = frozenset({A.COMPLETE, A.PARTLY_REFUSED, A.REFUSED, A.DISCARDED})

TRANSITIONS: dict[ApplicationAction, tuple[frozenset[str], frozenset[str]]] = {
    ApplicationAction.SUBMIT: (frozenset({A.DRAFT}), frozenset({A.IN_PROGRESS})),
    ApplicationAction.DISCARD: (frozenset({A.DRAFT}), frozenset({A.DISCARDED})),
    # The system follows the cases: forward only, never back to a draft.
    ApplicationAction.REFRESH: (
        OPEN_STATES,
        frozenset({A.IN_PROGRESS, A.AWAITING_DELIVERY, A.COMPLETE, A.PARTLY_REFUSED,
                   A.REFUSED}),
    ),
    ApplicationAction.DELIVER: (
        frozenset({A.AWAITING_DELIVERY}),
        frozenset({A.COMPLETE, A.PARTLY_REFUSED, A.REFUSED}),
    ),
}

_REASONS = {
    ApplicationAction.SUBMIT: gettext_lazy("这份申请已经提交，不能再次提交。"),
    ApplicationAction.DISCARD: gettext_lazy("这份申请已经提交，不能放弃草稿。"),
    ApplicationAction.REFRESH: gettext_lazy("这份申请不在办理中。"),
    ApplicationAction.DELIVER: gettext_lazy(
        "还有事项未作出决定（或已统一出件），全部事项决定后才能统一出件。"),
}


def check(state: str, action: ApplicationAction, target: str | None = None) -> None:
    """Raise :class:`Conflict` unless ``action`` is allowed in ``state`` (towards ``target``)."""
    sources, targets = TRANSITIONS[action]
    if state not in sources or (target is not None and target not in targets):
        raise Conflict(str(_REASONS[action]), code="invalid_transition")


class ItemState(models.TextChoices):
    """One item of an application (PackageCase)."""

    WAITING = "waiting", gettext_lazy("等待前置事项")
    BLOCKED = "blocked", gettext_lazy("未能自动启动")
    STARTED = "started", gettext_lazy("办理中")
    FINISHED = "finished", gettext_lazy("已办结")
    CLOSED = "closed", gettext_lazy("已终止")


class Outcome(models.TextChoices):
    NONE = "", gettext_lazy("—")
    APPROVED = "approved", gettext_lazy("准予")
    DENIED = "denied", gettext_lazy("不予许可")
    REFUSED = "refused", gettext_lazy("不予受理")
    WITHDRAWN = "withdrawn", gettext_lazy("已撤回")
    CLOSED = "closed", gettext_lazy("前置事项未获准予")


def application_state_for(items: Iterable[tuple[str, bool, str]]) -> ApplicationState:
    """The application's state from its items: (item state, its case decided?, outcome)."""
    rows = list(items)
    if not rows:
        return A.IN_PROGRESS
    if all(state in (ItemState.FINISHED, ItemState.CLOSED) for state, _d, _o in rows):
        approved = sum(1 for _s, _d, outcome in rows if outcome == Outcome.APPROVED)
        if approved == len(rows):
            return A.COMPLETE
        return A.PARTLY_REFUSED if approved else A.REFUSED
    if all(state in (ItemState.FINISHED, ItemState.CLOSED)
           or (state == ItemState.STARTED and decided) for state, decided, _o in rows):
        return A.AWAITING_DELIVERY
    return A.IN_PROGRESS


def describe_refusal(outcome: str) -> str:
    return {
        Outcome.DENIED: _("不予许可"),
        Outcome.REFUSED: _("不予受理"),
        Outcome.WITHDRAWN: _("已撤回"),
        Outcome.CLOSED: _("已终止"),
    }.get(Outcome(outcome) if outcome in Outcome.values else Outcome.NONE, _("未获准予"))
