"""The case's states and the one table of allowed transitions (办件状态流转).

Every service that changes a case's state names an :class:`Action`; :func:`check` looks the
pair (state, action) up in :data:`TRANSITIONS` and returns the next state, or raises
:class:`~onewindow.core.errors.Conflict` with a reason a person can read. Nothing else decides
whether a state change is allowed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onewindow.core.errors import Conflict


class CaseState(models.TextChoices):
    DRAFT = "draft", gettext_lazy("草稿")
    SUBMITTED = "submitted", gettext_lazy("待受理")  # 已提交，等待窗口预审
    AWAITING_SUPPLEMENT = "awaiting_supplement", gettext_lazy("待补正")  # 受理前补齐补正
    IN_REVIEW = "in_review", gettext_lazy("审批中")
    SUSPENDED = "suspended", gettext_lazy("暂停计时")  # 补正 / 特别程序 / 挂起
    DECIDED = "decided", gettext_lazy("待出件")  # 已作出决定，等待送达
    COMPLETED = "completed", gettext_lazy("已办结")
    REFUSED = "refused", gettext_lazy("不予受理")
    WITHDRAWN = "withdrawn", gettext_lazy("已撤回")


class Action(models.TextChoices):
    CREATE = "create", gettext_lazy("创建")
    SAVE = "save", gettext_lazy("保存")
    ATTACH = "attach", gettext_lazy("提交材料")
    SUBMIT = "submit", gettext_lazy("提交申请")
    WITHDRAW = "withdraw", gettext_lazy("撤回申请")
    CHECK_MATERIAL = "check_material", gettext_lazy("核验材料")
    REQUEST_SUPPLEMENT = "request_supplement", gettext_lazy("一次性告知补正")
    SUPPLY = "supply", gettext_lazy("补正材料")
    ACCEPT = "accept", gettext_lazy("受理")
    ACCEPT_TOLERANT = "accept_tolerant", gettext_lazy("容缺受理")
    DEEM_ACCEPTED = "deem_accepted", gettext_lazy("逾期未告知，视为受理")
    REFUSE = "refuse", gettext_lazy("不予受理")
    DECIDE_ON_SPOT = "decide_on_spot", gettext_lazy("当场办结")
    PASS = "pass", gettext_lazy("通过本环节")
    RETURN = "return", gettext_lazy("退回")
    REQUEST_MORE = "request_more", gettext_lazy("要求补正（暂停计时）")
    START_SPECIAL = "start_special", gettext_lazy("启动特别程序")
    RESUME = "resume", gettext_lazy("恢复计时")
    EXTEND = "extend", gettext_lazy("延期")
    APPROVE = "approve", gettext_lazy("准予许可")
    DENY = "deny", gettext_lazy("不予许可")
    SUPPLY_TOLERATED = "supply_tolerated", gettext_lazy("补交容缺材料")
    DELIVER = "deliver", gettext_lazy("送达出件")
    OPINION = "opinion", gettext_lazy("并联审查意见")
    OPINION_TIMEOUT = "opinion_timeout", gettext_lazy("并联意见超时")
    FORWARD = "forward", gettext_lazy("转报上级")
    RECEIVE_HOP = "receive_hop", gettext_lazy("接收流转件")


S = CaseState
A = Action

# (from states) -> to state; ``None`` as the target keeps the state.
TRANSITIONS: dict[Action, tuple[frozenset[CaseState], CaseState | None]] = {
    A.SAVE: (frozenset({S.DRAFT}), None),
    A.ATTACH: (frozenset({S.DRAFT, S.AWAITING_SUPPLEMENT, S.SUSPENDED}), None),
    A.SUBMIT: (frozenset({S.DRAFT}), S.SUBMITTED),
    A.WITHDRAW: (frozenset({S.DRAFT, S.SUBMITTED, S.AWAITING_SUPPLEMENT}), S.WITHDRAWN),
    A.CHECK_MATERIAL: (frozenset({S.SUBMITTED}), None),
    A.REQUEST_SUPPLEMENT: (frozenset({S.SUBMITTED}), S.AWAITING_SUPPLEMENT),
    A.SUPPLY: (frozenset({S.AWAITING_SUPPLEMENT}), S.SUBMITTED),
    A.ACCEPT: (frozenset({S.SUBMITTED}), S.IN_REVIEW),
    A.ACCEPT_TOLERANT: (frozenset({S.SUBMITTED}), S.IN_REVIEW),
    A.DEEM_ACCEPTED: (frozenset({S.SUBMITTED}), S.IN_REVIEW),
    A.REFUSE: (frozenset({S.SUBMITTED, S.AWAITING_SUPPLEMENT}), S.REFUSED),
    A.DECIDE_ON_SPOT: (frozenset({S.SUBMITTED}), S.DECIDED),
    A.PASS: (frozenset({S.IN_REVIEW}), None),
    A.RETURN: (frozenset({S.IN_REVIEW}), None),
    A.REQUEST_MORE: (frozenset({S.IN_REVIEW}), S.SUSPENDED),
    A.START_SPECIAL: (frozenset({S.IN_REVIEW}), S.SUSPENDED),
    A.RESUME: (frozenset({S.SUSPENDED}), S.IN_REVIEW),
    A.EXTEND: (frozenset({S.IN_REVIEW}), None),
    A.APPROVE: (frozenset({S.IN_REVIEW}), S.DECIDED),
    A.DENY: (frozenset({S.IN_REVIEW}), S.DECIDED),
    A.SUPPLY_TOLERATED: (frozenset({S.IN_REVIEW, S.SUSPENDED, S.DECIDED}), None),
    A.DELIVER: (frozenset({S.DECIDED}), S.COMPLETED),
    # 并联审批: participants give their opinions while the lead's steps run (also while the
    # clock is stopped for supplements); the lead closes late ones when it decides.
    A.OPINION: (frozenset({S.IN_REVIEW, S.SUSPENDED}), None),
    A.OPINION_TIMEOUT: (frozenset({S.IN_REVIEW}), None),
    # 四级联动: the station forwards the accepted file up; each hop is received at the other end.
    A.FORWARD: (frozenset({S.IN_REVIEW, S.SUSPENDED}), None),
    A.RECEIVE_HOP: (frozenset({S.IN_REVIEW, S.SUSPENDED, S.DECIDED}), None),
}

# States in which the legal clock runs (办理时限计时中).
CLOCK_RUNNING = frozenset({S.IN_REVIEW})
# States in which the case is still open for the applicant and staff.
OPEN_STATES = frozenset(
    {S.SUBMITTED, S.AWAITING_SUPPLEMENT, S.IN_REVIEW, S.SUSPENDED, S.DECIDED}
)
FINAL_STATES = frozenset({S.COMPLETED, S.REFUSED, S.WITHDRAWN})


def allowed_actions(state: str) -> list[Action]:
    """The actions the table allows in ``state`` (for showing buttons)."""
    return [a for a, (sources, _target) in TRANSITIONS.items() if state in sources]


def check(state: str, action: Action) -> CaseState:
    """The state after ``action``, or a :class:`Conflict` saying why it is not allowed now."""
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise Conflict(
            _("办件当前状态为“%(state)s”，不能执行“%(action)s”。可能已被其他人处理，请刷新后查看。")
            % {"state": CaseState(state).label, "action": action.label},
            code="invalid_transition",
        )
    return CaseState(state) if target is None else target


class TaskState(models.TextChoices):
    PENDING = "pending", gettext_lazy("未开始")
    ACTIVE = "active", gettext_lazy("待办")
    DONE = "done", gettext_lazy("已办")
    CANCELLED = "cancelled", gettext_lazy("已取消")


class Decision(models.TextChoices):
    NONE = "", gettext_lazy("未决定")
    APPROVED = "approved", gettext_lazy("准予")
    DENIED = "denied", gettext_lazy("不予")
