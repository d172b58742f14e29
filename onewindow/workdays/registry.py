"""Deadline recomputers (期限重算): how later apps learn that the calendar changed.

The registry lives here so that the dependency points the right way: ``cases`` (and any other
app that stores deadlines) registers a function at start-up, e.g. in ``AppConfig.ready``::

    from onewindow.workdays.registry import register_deadline_recomputer

    @register_deadline_recomputer
    def recompute_case_deadlines(years: frozenset[int]) -> int:
        ...  # recompute stored deadlines whose span touches ``years``; return how many changed

A recomputer must be idempotent: it runs after every schedule import and calendar override and
from ``onewindow workdays recompute``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

DeadlineRecomputer = Callable[[frozenset[int]], int]

_recomputers: list[DeadlineRecomputer] = []


def register_deadline_recomputer(fn: DeadlineRecomputer) -> DeadlineRecomputer:
    """Register ``fn`` (once; registering it again does nothing). Usable as a decorator."""
    if fn not in _recomputers:
        _recomputers.append(fn)
    return fn


def unregister_deadline_recomputer(fn: DeadlineRecomputer) -> None:
    if fn in _recomputers:
        _recomputers.remove(fn)


def registered_recomputers() -> tuple[DeadlineRecomputer, ...]:
    return tuple(_recomputers)


def recompute_deadlines(years: Iterable[int]) -> int:
    """Call every registered recomputer with ``years``; the total number of changed deadlines."""
    frozen = frozenset(years)
    if not frozen:
        return 0
    return sum(int(fn(frozen)) for fn in tuple(_recomputers))
