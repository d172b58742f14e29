"""Per-address limit on robot questions (the robot is public and needs no sign-in)."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

ROBOT_LIMIT = 30  # questions
ROBOT_WINDOW_SECONDS = 60


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def robot_allowed(request: HttpRequest) -> bool:
    """Counts this question; False when the address asked too often in the window."""
    key = f"hotline:robot:{client_ip(request)}"
    if cache.add(key, 1, timeout=ROBOT_WINDOW_SECONDS):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=ROBOT_WINDOW_SECONDS)
        return True
    return int(count) <= ROBOT_LIMIT


ORDER_LIMIT = 10  # requests filed from one address
ORDER_WINDOW_SECONDS = 600
FOLLOW_LIMIT = 30  # look-ups by number and mobile
FOLLOW_WINDOW_SECONDS = 60


def _allowed(request: HttpRequest, name: str, limit: int, window: int) -> bool:
    key = f"hotline:{name}:{client_ip(request)}"
    if cache.add(key, 1, timeout=window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window)
        return True
    return int(count) <= limit


def order_allowed(request: HttpRequest) -> bool:
    """The public form: at most :data:`ORDER_LIMIT` requests per address in ten minutes."""
    return _allowed(request, "order", ORDER_LIMIT, ORDER_WINDOW_SECONDS)


def follow_allowed(request: HttpRequest) -> bool:
    """Following an order by number and mobile (slows down guessing)."""
    return _allowed(request, "follow", FOLLOW_LIMIT, FOLLOW_WINDOW_SECONDS)
