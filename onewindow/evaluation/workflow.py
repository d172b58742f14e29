"""States and allowed transitions of follow-ups (差评整改) and complaints (投诉), as data."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy

from onewindow.core.errors import Conflict


class FollowUpState(models.TextChoices):
    OPEN = "open", gettext_lazy("待核实")
    CALLED = "called", gettext_lazy("已核实回访")
    ANSWERED = "answered", gettext_lazy("已答复，待再评价")
    CLOSED = "closed", gettext_lazy("已办结")


class FollowUpAction(models.TextChoices):
    CALL_BACK = "call_back", gettext_lazy("核实回访")
    RESPOND = "respond", gettext_lazy("整改答复")
    RERATE = "rerate", gettext_lazy("申请人再评价")
    CLOSE_BY_APPEAL = "close_by_appeal", gettext_lazy("申诉成立，办结")


F = FollowUpState
FOLLOW_UP_TRANSITIONS: dict[FollowUpAction, tuple[frozenset[str], str]] = {
    FollowUpAction.CALL_BACK: (frozenset({F.OPEN, F.CALLED}), F.CALLED),
    FollowUpAction.RESPOND: (frozenset({F.OPEN, F.CALLED}), F.ANSWERED),
    FollowUpAction.RERATE: (frozenset({F.ANSWERED}), F.CLOSED),
    FollowUpAction.CLOSE_BY_APPEAL: (frozenset({F.OPEN, F.CALLED, F.ANSWERED}), F.CLOSED),
}

_FOLLOW_UP_REASONS = {
    FollowUpAction.RERATE: gettext_lazy("整改答复之后才能再次评价。"),
    FollowUpAction.RESPOND: gettext_lazy("这条差评已经答复过了。"),
    FollowUpAction.CALL_BACK: gettext_lazy("这条差评已经答复，不能再登记回访。"),
    FollowUpAction.CLOSE_BY_APPEAL: gettext_lazy("这条差评已经办结。"),
}


def follow_up_next(state: str, action: FollowUpAction) -> str:
    sources, target = FOLLOW_UP_TRANSITIONS[action]
    if state not in sources:
        raise Conflict(str(_FOLLOW_UP_REASONS[action]), code="follow_up_state")
    return target


class ComplaintState(models.TextChoices):
    RECEIVED = "received", gettext_lazy("已受理，待分派")
    INVESTIGATING = "investigating", gettext_lazy("调查处理中")
    ANSWERED = "answered", gettext_lazy("已答复")
    CLOSED = "closed", gettext_lazy("已评价办结")
    DISMISSED = "dismissed", gettext_lazy("不予受理")


class ComplaintAction(models.TextChoices):
    ASSIGN = "assign", gettext_lazy("分派")
    STATEMENT = "statement", gettext_lazy("部门说明情况")
    ANSWER = "answer", gettext_lazy("答复")
    DISMISS = "dismiss", gettext_lazy("不予受理")
    RATE = "rate", gettext_lazy("评价答复")


C = ComplaintState
COMPLAINT_TRANSITIONS: dict[ComplaintAction, tuple[frozenset[str], str | None]] = {
    ComplaintAction.ASSIGN: (frozenset({C.RECEIVED, C.INVESTIGATING}), C.INVESTIGATING),
    ComplaintAction.STATEMENT: (frozenset({C.INVESTIGATING}), None),
    ComplaintAction.ANSWER: (frozenset({C.INVESTIGATING}), C.ANSWERED),
    ComplaintAction.DISMISS: (frozenset({C.RECEIVED, C.INVESTIGATING}), C.DISMISSED),
    ComplaintAction.RATE: (frozenset({C.ANSWERED, C.DISMISSED}), C.CLOSED),
}

_COMPLAINT_REASONS = {
    ComplaintAction.ASSIGN: gettext_lazy("投诉已答复或办结，不能再分派。"),
    ComplaintAction.STATEMENT: gettext_lazy("这件投诉现在不需要部门说明情况。"),
    ComplaintAction.ANSWER: gettext_lazy("请先分派承办人调查，答复后不能重复答复。"),
    ComplaintAction.DISMISS: gettext_lazy("投诉已答复或办结。"),
    ComplaintAction.RATE: gettext_lazy("投诉答复之后才能评价，且只能评价一次。"),
}


def complaint_next(state: str, action: ComplaintAction) -> str:
    sources, target = COMPLAINT_TRANSITIONS[action]
    if state not in sources:
        raise Conflict(str(_COMPLAINT_REASONS[action]), code="complaint_state")
    return target or state
