"""The platform's clock: ``timezone.now()``, unless a caller set the time for a block.

Services ask :func:`now` instead of ``timezone.now()`` where the time they record is part of
the domain (received, accepted, decided …). :func:`travel` moves it for one block of code in
this thread only: the demo builder uses it to create months of history through the very same
service functions, and production code never calls it. Tests freeze time with time-machine.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_override: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar(
    "onewindow_clock", default=None
)


def now() -> dt.datetime:
    at = _override.get()
    return at if at is not None else timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


@contextmanager
def travel(at: dt.datetime) -> Iterator[None]:
    """Let :func:`now` return ``at`` inside the block (the demo's history)."""
    if timezone.is_naive(at):
        raise ValueError("travel() needs an aware datetime")
    token = _override.set(at)
    try:
        yield
    finally:
        _override.reset(token)
