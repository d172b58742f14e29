"""States of a work order (工单) and the allowed transitions (one table, checked once)."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext as _

from onewindow.core.errors import Conflict
from onewindow.hotline.models import OrderState as S


class OrderAction(StrEnum):
    CREATE = "create"
    ANSWER = "answer"  # 直接办结
    DISPATCH = "dispatch"  # 派单 / 改派
    SIGN = "sign"  # 签收
    OBJECT = "object"  # 派单异议
    UPHOLD = "uphold"  # 异议成立
    REJECT = "reject"  # 异议不成立
    RETURN = "return"  # 退单
    EXTEND = "extend"  # 申请延期
    EXTEND_APPROVE = "extend_approve"
    EXTEND_REFUSE = "extend_refuse"
    SUPERVISE = "supervise"  # 督办
    REPLY = "reply"  # 答复
    VISIT_SMS = "visit_sms"  # 短信回访
    VISIT = "visit"  # 回访：已解决或二次未解决 → 办结
    REOPEN = "reopen"  # 回访未解决 → 重办
    MERGE = "merge"  # 并单（被并入）
    MERGE_IN = "merge_in"  # 并单（并入本单）
    OVERDUE = "overdue"  # 超期
    SHARED_REPLY = "shared_reply"  # 主单答复，同步给并入的来电人


_OPEN = (S.DISPATCHED, S.SIGNED, S.OBJECTED)

TRANSITIONS: dict[tuple[str, OrderAction], str] = {
    (S.REGISTERED, OrderAction.ANSWER): S.CLOSED,
    (S.REGISTERED, OrderAction.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, OrderAction.DISPATCH): S.DISPATCHED,
    (S.SIGNED, OrderAction.DISPATCH): S.DISPATCHED,
    (S.REGISTERED, OrderAction.MERGE): S.MERGED,
    (S.DISPATCHED, OrderAction.SIGN): S.SIGNED,
    (S.DISPATCHED, OrderAction.OBJECT): S.OBJECTED,
    (S.OBJECTED, OrderAction.UPHOLD): S.REGISTERED,
    (S.OBJECTED, OrderAction.REJECT): S.DISPATCHED,
    (S.DISPATCHED, OrderAction.RETURN): S.REGISTERED,
    (S.SIGNED, OrderAction.RETURN): S.REGISTERED,
    (S.SIGNED, OrderAction.EXTEND): S.SIGNED,
    (S.SIGNED, OrderAction.EXTEND_APPROVE): S.SIGNED,
    (S.SIGNED, OrderAction.EXTEND_REFUSE): S.SIGNED,
    (S.SIGNED, OrderAction.REPLY): S.REPLIED,
    (S.REPLIED, OrderAction.VISIT_SMS): S.REPLIED,
    (S.REPLIED, OrderAction.VISIT): S.CLOSED,
    (S.REPLIED, OrderAction.REOPEN): S.SIGNED,
    **{(s, OrderAction.SUPERVISE): s for s in _OPEN},
    **{(s, OrderAction.MERGE_IN): s for s in (S.REGISTERED, *_OPEN)},
    (S.DISPATCHED, OrderAction.OVERDUE): S.DISPATCHED,
    (S.SIGNED, OrderAction.OVERDUE): S.SIGNED,
    (S.MERGED, OrderAction.SHARED_REPLY): S.MERGED,
}

ACTION_LABELS: dict[OrderAction, str] = {
    OrderAction.CREATE: "登记", OrderAction.ANSWER: "直接办结", OrderAction.DISPATCH: "派单",
    OrderAction.SIGN: "签收", OrderAction.OBJECT: "提出派单异议",
    OrderAction.UPHOLD: "认定异议成立", OrderAction.REJECT: "认定异议不成立",
    OrderAction.RETURN: "退单", OrderAction.EXTEND: "申请延期",
    OrderAction.EXTEND_APPROVE: "批准延期", OrderAction.EXTEND_REFUSE: "不批准延期",
    OrderAction.SUPERVISE: "督办", OrderAction.REPLY: "答复",
    OrderAction.VISIT_SMS: "发送短信回访", OrderAction.VISIT: "回访办结",
    OrderAction.REOPEN: "回访未解决，重新办理", OrderAction.MERGE: "并单",
    OrderAction.MERGE_IN: "合并重复诉求", OrderAction.OVERDUE: "超期",
    OrderAction.SHARED_REPLY: "同步答复",
}


def label(action: str) -> str:
    try:
        return _(ACTION_LABELS[OrderAction(action)])
    except ValueError:
        return action


def check(state: str, action: OrderAction) -> str:
    """The state after ``action``; a :class:`Conflict` when not allowed in ``state``."""
    target = TRANSITIONS.get((state, action))
    if target is None:
        raise Conflict(
            _("工单当前状态为“%(state)s”，不能%(action)s。")
            % {"state": S(state).label, "action": _(ACTION_LABELS[action])},
            code="invalid_transition",
        )
    return target


def allowed(state: str) -> set[OrderAction]:
    return {a for (s, a) in TRANSITIONS if s == state}
