"""States and allowed transitions of a concern (企忧事项), as data.

raised (已受理，待交办) → assigned (已交办) → in_progress (办理中) → resolved (已解决) |
explained (已解释说明). A concern can be re-assigned while open; a follow-up note (跟踪记录)
keeps the state; the assigned department's progress note (办理进展) moves it to in_progress.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy

from onewindow.core.errors import Conflict


class ConcernState(models.TextChoices):
    RAISED = "raised", gettext_lazy("待交办")
    ASSIGNED = "assigned", gettext_lazy("已交办")
    IN_PROGRESS = "in_progress", gettext_lazy("办理中")
    RESOLVED = "resolved", gettext_lazy("已解决")
    EXPLAINED = "explained", gettext_lazy("已解释说明")


OPEN_STATES = (ConcernState.RAISED, ConcernState.ASSIGNED, ConcernState.IN_PROGRESS)
CLOSED_STATES = (ConcernState.RESOLVED, ConcernState.EXPLAINED)


class ConcernAction(models.TextChoices):
    RAISE = "raise", gettext_lazy("登记")
    ASSIGN = "assign", gettext_lazy("交办")
    FOLLOW = "follow", gettext_lazy("跟踪记录")
    PROGRESS = "progress", gettext_lazy("办理进展")
    RESOLVE = "resolve", gettext_lazy("办结：已解决")
    EXPLAIN = "explain", gettext_lazy("办结：解释说明")
    RATE = "rate", gettext_lazy("企业满意度回访")
    OVERDUE = "overdue", gettext_lazy("超期")


S = ConcernState
A = ConcernAction
_OPEN = frozenset(OPEN_STATES)
_ACTIVE = frozenset({S.ASSIGNED, S.IN_PROGRESS})

# action -> (allowed from-states, target state; None keeps the state)
TRANSITIONS: dict[ConcernAction, tuple[frozenset[str], str | None]] = {
    A.ASSIGN: (_OPEN, S.ASSIGNED),
    A.FOLLOW: (_OPEN, None),
    A.PROGRESS: (_ACTIVE, S.IN_PROGRESS),
    A.RESOLVE: (_ACTIVE, S.RESOLVED),
    A.EXPLAIN: (_ACTIVE, S.EXPLAINED),
    A.RATE: (frozenset(CLOSED_STATES), None),
    A.OVERDUE: (_OPEN, None),
}

_REASONS = {
    A.ASSIGN: gettext_lazy("该企忧事项已办结，不能再交办。"),
    A.FOLLOW: gettext_lazy("该企忧事项已办结，不能再添加跟踪记录。"),
    A.PROGRESS: gettext_lazy("请先将该事项交办给责任部门；已办结的事项不能再登记进展。"),
    A.RESOLVE: gettext_lazy("只有已交办、办理中的事项才能办结；请先交办责任部门。"),
    A.EXPLAIN: gettext_lazy("只有已交办、办理中的事项才能解释说明办结；请先交办责任部门。"),
    A.RATE: gettext_lazy("事项办结后才能登记企业满意度。"),
    A.OVERDUE: gettext_lazy("该事项已办结。"),
}


def next_state(state: str, action: ConcernAction) -> str:
    """The state after ``action``, or a :class:`Conflict` saying why it is not allowed now."""
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise Conflict(str(_REASONS[action]), code="concern_state")
    return target or state
