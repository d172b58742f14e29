"""Per-address and per-mobile limits on the public endpoints and pages (cache counters)."""

from __future__ import annotations

from django.conf import settings

from onewindow.core import ratelimit
from onewindow.core.ratelimit import Throttled

__all__ = ["Throttled", "throttle", "throttle_complaint", "throttle_rating"]


def throttle(key: str, limit: int, window: int) -> None:
    """At most ``limit`` hits of ``key`` per ``window`` seconds."""
    ratelimit.throttle(f"eval:{key}", limit, window)


def complaint_rate_limits() -> tuple[int, int]:
    """(complaints per hour per address, per day per mobile) — ``ONEWINDOW_COMPLAINT_RATE``
    (default 5) and ``ONEWINDOW_COMPLAINT_DAILY_PER_MOBILE`` (default 3)."""
    return (int(getattr(settings, "ONEWINDOW_COMPLAINT_RATE", 5)),
            int(getattr(settings, "ONEWINDOW_COMPLAINT_DAILY_PER_MOBILE", 3)))


def throttle_complaint(ip: str, mobile: str) -> None:
    per_ip, per_mobile = complaint_rate_limits()
    throttle(f"cp-ip:{ip}", per_ip, 3600)
    if mobile:
        throttle(f"cp-m:{mobile[-11:]}", per_mobile, 86400)


def throttle_rating(ip: str) -> None:
    throttle(f"rate:{ip}", 60, 60)
