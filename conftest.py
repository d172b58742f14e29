"""Shared fixtures: a small region tree, departments and staff of every role.

PostgreSQL and Chromium: in CI (CI=true) their absence fails the run; elsewhere the tests
that need them skip with a clear reason.
"""

from __future__ import annotations

import os

os.environ.setdefault("ONEWINDOW_TESTING", "1")

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

# --- Chromium for browser tests: ONE Playwright instance at a time ------------------------------
# Playwright's sync API runs an event loop in this thread while it is open: a second instance at
# the same time (another module's own fixture) fails, and so does asgiref's async_to_sync in any
# later test of the process — so every browser test uses this fixture, opened per module and
# closed at the module's end. Debian's
# chromium is used; never `playwright install`. Without it the tests fail in CI (CI=true) and
# skip elsewhere with the reason. Django's ORM calls made by the test itself are synchronous.
CHROMIUM = os.environ.get("ONEWINDOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-gpu",
    "--disable-dev-shm-usage",
]


def _browser_unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Any:
    import shutil
    from pathlib import Path

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _browser_unavailable(f"Chromium not found at {CHROMIUM}; install Debian's chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev extra missing
        _browser_unavailable("playwright (Python) is not installed: pip install -e .[dev]")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def regions(db: Any) -> dict[str, Any]:
    """City 云溪市 with two districts, a town in each and a village under the first town."""
    from onewindow.regions.models import Region, RegionLevel

    city = Region.objects.create(code="379900000000", name="云溪市", level=RegionLevel.CITY)
    d1 = Region.objects.create(
        code="379902000000", name="东湖区", level=RegionLevel.DISTRICT, parent=city
    )
    d2 = Region.objects.create(
        code="379903000000", name="西岭区", level=RegionLevel.DISTRICT, parent=city
    )
    t1 = Region.objects.create(
        code="379902001000", name="湖滨街道", level=RegionLevel.TOWN, parent=d1
    )
    t2 = Region.objects.create(
        code="379903101000", name="岭南镇", level=RegionLevel.TOWN, parent=d2
    )
    v1 = Region.objects.create(
        code="379902001001", name="湖滨社区", level=RegionLevel.VILLAGE, parent=t1
    )
    return {"city": city, "d1": d1, "d2": d2, "t1": t1, "t2": t2, "v1": v1}


@pytest.fixture
def departments(regions: dict[str, Any]) -> dict[str, Any]:
    from onewindow.regions.models import Department

    return {
        "city_market": Department.objects.create(
            region=regions["city"], code="SCJG", name="云溪市市场监督管理局"
        ),
        "city_health": Department.objects.create(
            region=regions["city"], code="WJW", name="云溪市卫生健康委员会"
        ),
        "d1_market": Department.objects.create(
            region=regions["d1"], code="SCJG", name="东湖区市场监督管理局"
        ),
        "d2_market": Department.objects.create(
            region=regions["d2"], code="SCJG", name="西岭区市场监督管理局"
        ),
    }


@pytest.fixture
def make_staff(db: Any) -> Callable[..., Any]:
    """make_staff(role, region, department=None, username=None) -> User with that one role."""
    from onewindow.accounts.models import RoleAssignment, StaffMember, User

    counter = {"n": 0}

    def _make(role: str, region: Any, department: Any = None, username: str | None = None):
        counter["n"] += 1
        name = username or f"{role}{counter['n']}"
        user = User.objects.create_user(
            username=name, password="Correct-Horse-9", display_name=f"测试{name}"  # noqa: S106
        )
        StaffMember.objects.create(
            user=user, staff_number=f"T{counter['n']:05d}", region=region, department=department
        )
        RoleAssignment.objects.create(user=user, role=role, region=region, department=department)
        return user

    return _make


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Any:
    """The working-day calendar is cached per process: every test starts from its own data."""
    from onewindow.workdays.selectors import clear_calendar_cache

    clear_calendar_cache()
    yield
    clear_calendar_cache()


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Mark browser and PostgreSQL tests so that `-m` can select them."""
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
