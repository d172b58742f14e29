from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    """Each test starts from a calendar built from its own database state."""
    from onewindow.workdays.selectors import clear_calendar_cache

    clear_calendar_cache()
    yield
    clear_calendar_cache()
