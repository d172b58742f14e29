"""Decision guards: apps above cases may refuse a decision that would come too early.

A guard is ``fn(case) -> str | None``: the reason in Chinese why the case may not be decided
now, or None. The joint-inspection app registers one (an inspection or a joint meeting still
open). Guards run inside the deciding transaction, before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DecisionGuard = Callable[[Any], "str | None"]

_guards: list[DecisionGuard] = []


def register_decision_guard(fn: DecisionGuard) -> DecisionGuard:
    if fn not in _guards:
        _guards.append(fn)
    return fn


def unregister_decision_guard(fn: DecisionGuard) -> None:
    if fn in _guards:
        _guards.remove(fn)


def reasons_not_to_decide(case: Any) -> list[str]:
    return [r for r in (fn(case) for fn in _guards) if r]
