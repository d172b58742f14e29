"""Per-address limit on robot questions (the robot is public and needs no sign-in)."""

from __future__ import annotations

from django.http import HttpRequest

from onewindow.core import ratelimit
from onewindow.core.ratelimit import client_ip

__all__ = ["client_ip", "follow_allowed", "order_allowed", "robot_allowed"]

ROBOT_LIMIT = 30  # questions
ROBOT_WINDOW_SECONDS = 60


def robot_allowed(request: HttpRequest) -> bool:
    """Counts this question; False when the address asked too often in the window."""
    return _allowed(request, "robot", ROBOT_LIMIT, ROBOT_WINDOW_SECONDS)


ORDER_LIMIT = 10  # requests filed from one address
ORDER_WINDOW_SECONDS = 600
FOLLOW_LIMIT = 30  # look-ups by number and mobile
FOLLOW_WINDOW_SECONDS = 60


def _allowed(request: HttpRequest, name: str, limit: int, window: int) -> bool:
    return ratelimit.allowed(f"hotline:{name}:{client_ip(request)}", limit, window)


def order_allowed(request: HttpRequest) -> bool:
    """The public form: at most :data:`ORDER_LIMIT` requests per address in ten minutes."""
    return _allowed(request, "order", ORDER_LIMIT, ORDER_WINDOW_SECONDS)


def follow_allowed(request: HttpRequest) -> bool:
    """Following an order by number and mobile (slows down guessing)."""
    return _allowed(request, "follow", FOLLOW_LIMIT, FOLLOW_WINDOW_SECONDS)
