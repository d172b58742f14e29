"""The one rate-limit mechanism: counts per key, refuses past the limit, windows by the clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from onewindow.core import ratelimit


@pytest.fixture(autouse=True)
def _clear():
    cache.clear()
    yield
    cache.clear()


def test_hits_count_and_allowed_refuses_past_the_limit():
    assert [ratelimit.hit("k", 60) for _ in range(3)] == [1, 2, 3]
    assert [ratelimit.allowed("a", 2, 60) for _ in range(3)] == [True, True, False]
    assert ratelimit.allowed("b", 2, 60)  # other keys are not affected


def test_throttle_raises_429_and_the_next_window_is_fresh():
    start = dt.datetime(2026, 11, 24, 9, 0, 5, tzinfo=timezone.get_default_timezone())
    with time_machine.travel(start, tick=False) as t:
        ratelimit.throttle("x", 2, 60)
        ratelimit.throttle("x", 2, 60)
        with pytest.raises(ratelimit.Throttled) as err:
            ratelimit.throttle("x", 2, 60)
        assert err.value.status == 429 and "频繁" in err.value.message
        t.shift(dt.timedelta(seconds=60))
        ratelimit.throttle("x", 2, 60)
