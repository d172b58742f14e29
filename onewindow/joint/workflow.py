"""States and allowed transitions of joint site inspections (联合踏勘) and joint review meetings
(联席会议), as data: one table each, checked in one place, with reasons a person can read."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy

from onewindow.core.errors import Conflict


class InspectionState(models.TextChoices):
    SCHEDULED = "scheduled", gettext_lazy("已安排")
    RESCHEDULING = "rescheduling", gettext_lazy("待改期")  # a department proposed another time
    DONE = "done", gettext_lazy("已完成")  # record closed, attached to the case
    CANCELLED = "cancelled", gettext_lazy("已取消")


class InspectionAction(models.TextChoices):
    RESPOND = "respond", gettext_lazy("确认或提议改期")
    RESCHEDULE = "reschedule", gettext_lazy("改期")
    RECORD = "record", gettext_lazy("记录踏勘意见")
    CLOSE = "close", gettext_lazy("形成踏勘记录")
    CANCEL = "cancel", gettext_lazy("取消踏勘")


IS = InspectionState
#: action -> (states it is allowed in, state after it; None keeps the state)
INSPECTION_TRANSITIONS: dict[InspectionAction, tuple[frozenset[str], str | None]] = {
    InspectionAction.RESPOND: (frozenset({IS.SCHEDULED, IS.RESCHEDULING}), None),
    InspectionAction.RESCHEDULE: (frozenset({IS.SCHEDULED, IS.RESCHEDULING}), IS.SCHEDULED),
    InspectionAction.RECORD: (frozenset({IS.SCHEDULED}), None),
    InspectionAction.CLOSE: (frozenset({IS.SCHEDULED}), IS.DONE),
    InspectionAction.CANCEL: (frozenset({IS.SCHEDULED, IS.RESCHEDULING}), IS.CANCELLED),
}

_INSPECTION_REASONS = {
    InspectionAction.RESPOND: gettext_lazy("这次踏勘已结束或已取消，不能再回复。"),
    InspectionAction.RESCHEDULE: gettext_lazy("这次踏勘已结束或已取消，不能改期。"),
    InspectionAction.RECORD: gettext_lazy(
        "现在不能记录踏勘意见：有部门提议改期须先确定新的时间，或踏勘已结束、已取消。"),
    InspectionAction.CLOSE: gettext_lazy(
        "现在不能形成踏勘记录：有部门提议改期须先确定新的时间，或踏勘已结束、已取消。"),
    InspectionAction.CANCEL: gettext_lazy("这次踏勘已结束或已取消。"),
}

OPEN_INSPECTION = frozenset({IS.SCHEDULED, IS.RESCHEDULING})


def inspection_next(state: str, action: InspectionAction) -> str:
    """The state after ``action``, or a :class:`Conflict` saying why it is not allowed now."""
    sources, target = INSPECTION_TRANSITIONS[action]
    if state not in sources:
        raise Conflict(str(_INSPECTION_REASONS[action]), code="inspection_state")
    return target or state


class InviteState(models.TextChoices):
    INVITED = "invited", gettext_lazy("待确认")
    CONFIRMED = "confirmed", gettext_lazy("已确认参加")
    PROPOSED_OTHER = "proposed_other", gettext_lazy("提议改期")


class FindingConclusion(models.TextChoices):
    PASS = "pass", gettext_lazy("符合要求")
    RECTIFY = "rectify", gettext_lazy("整改后符合")
    FAIL = "fail", gettext_lazy("不符合要求")


class MeetingState(models.TextChoices):
    CONVENED = "convened", gettext_lazy("已召集")
    HELD = "held", gettext_lazy("已召开（纪要已形成）")
    CANCELLED = "cancelled", gettext_lazy("已取消")


class MeetingAction(models.TextChoices):
    CONCLUDE = "conclude", gettext_lazy("记录部门结论")
    MINUTES = "minutes", gettext_lazy("记录会议纪要")
    CLOSE = "close", gettext_lazy("形成会议纪要")
    CANCEL = "cancel", gettext_lazy("取消会议")


MS = MeetingState
MEETING_TRANSITIONS: dict[MeetingAction, tuple[frozenset[str], str | None]] = {
    MeetingAction.CONCLUDE: (frozenset({MS.CONVENED}), None),
    MeetingAction.MINUTES: (frozenset({MS.CONVENED}), None),
    MeetingAction.CLOSE: (frozenset({MS.CONVENED}), MS.HELD),
    MeetingAction.CANCEL: (frozenset({MS.CONVENED}), MS.CANCELLED),
}

_MEETING_REASONS = {
    MeetingAction.CONCLUDE: gettext_lazy("会议纪要已形成或会议已取消，不能再记录结论。"),
    MeetingAction.MINUTES: gettext_lazy("会议纪要已形成或会议已取消。"),
    MeetingAction.CLOSE: gettext_lazy("会议纪要已形成或会议已取消。"),
    MeetingAction.CANCEL: gettext_lazy("会议纪要已形成或会议已取消。"),
}


def meeting_next(state: str, action: MeetingAction) -> str:
    sources, target = MEETING_TRANSITIONS[action]
    if state not in sources:
        raise Conflict(str(_MEETING_REASONS[action]), code="meeting_state")
    return target or state


class MeetingConclusionKind(models.TextChoices):
    PENDING = "", gettext_lazy("待记录")
    AGREE = "agree", gettext_lazy("同意")
    CONDITIONAL = "conditional", gettext_lazy("附条件同意")
    DISAGREE = "disagree", gettext_lazy("不同意")
