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
