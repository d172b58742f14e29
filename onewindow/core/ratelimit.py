"""Counting hits in the cache: the one rate-limit mechanism of the public pages and endpoints
(kiosks, the robot, public forms, look-ups, ratings, complaints)."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from onewindow.core import clock
from onewindow.core.errors import DomainError


class Throttled(DomainError):
    status = 429
    code = "throttled"


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def hit(key: str, window: int) -> int:
    """Count one hit of ``key``; the counter lives ``window`` seconds from its first hit.
    Returns the hits so far."""
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def allowed(key: str, limit: int, window: int) -> bool:
    """Count a hit; False once ``key`` had more than ``limit`` hits in its window."""
    return hit(key, window) <= limit


def throttle(key: str, limit: int, window: int, *, message: str | None = None) -> None:
    """At most ``limit`` hits of ``key`` per clock-aligned ``window`` seconds (by the
    platform's clock, so tests can travel), else :class:`Throttled`."""
    bucket = f"{key}:{int(clock.now().timestamp()) // window}"
    if hit(bucket, window + 5) > limit:
        raise Throttled(message or _("操作过于频繁，请稍后再试。"))
