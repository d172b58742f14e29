"""Per-address and per-mobile limits on the public endpoints and pages (cache counters)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from onewindow.core import clock
from onewindow.core.errors import DomainError


class Throttled(DomainError):
    status = 429
    code = "throttled"


def throttle(key: str, limit: int, window: int) -> None:
    """At most ``limit`` hits of ``key`` per ``window`` seconds (cache counter)."""
    bucket = f"eval:throttle:{key}:{int(clock.now().timestamp()) // window}"
    if cache.add(bucket, 1, window + 5):
        n = 1
    else:
        try:
            n = int(cache.incr(bucket))
        except ValueError:
            cache.set(bucket, 1, window + 5)
            n = 1
    if n > limit:
        raise Throttled(_("操作过于频繁，请稍后再试。"))


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
