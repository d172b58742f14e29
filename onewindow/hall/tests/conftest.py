"""Fixtures of the hall: 东湖区政务服务中心 with three categories and five windows, clerks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from onewindow.accounts.models import Role, User
from onewindow.hall.models import HallSettings, ServiceCategory
from onewindow.regions.models import CentreKind, ServiceCentre, Window, WindowKind


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Averages and throttles are cached by primary key; tests reuse keys."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@dataclass
class Hall:
    centre: ServiceCentre
    other_centre: ServiceCentre
    general: ServiceCategory  # A 综合受理: windows 1, 2
    social: ServiceCategory  # B 社保医保: windows 2, 3
    market: ServiceCategory  # C 市场监管 (departmental window 4)
    windows: dict[str, Window]
    clerk: User  # district clerk (any window of the district)
    clerk2: User
    clerk3: User
    chief: User  # departmental: market window only
    other_clerk: User  # another district
    admin: User
    applicant: User
    departments: dict[str, Any]
    regions: dict[str, Any]

    @property
    def rules(self) -> HallSettings:
        return HallSettings.objects.get_or_create(centre=self.centre)[0]


@pytest.fixture
def hall(regions: dict[str, Any], departments: dict[str, Any], make_staff: Any) -> Hall:
    d1 = regions["d1"]
    centre = ServiceCentre.objects.create(region=d1, kind=CentreKind.SERVICE_CENTRE,
                                          name="东湖区政务服务中心")
    other = ServiceCentre.objects.create(region=regions["d2"], kind=CentreKind.SERVICE_CENTRE,
                                         name="西岭区政务服务中心")
    w = {
        n: Window.objects.create(centre=centre, number=n, name=f"{n}号窗口",
                                 kind=WindowKind.GENERAL)
        for n in ("01", "02", "03")
    }
    w["04"] = Window.objects.create(centre=centre, number="04", name="市场监管窗口",
                                    kind=WindowKind.DEPARTMENTAL,
                                    department=departments["d1_market"])
    w["x1"] = Window.objects.create(centre=other, number="01", name="西岭1号窗口",
                                    kind=WindowKind.GENERAL)
    general = ServiceCategory.objects.create(centre=centre, letter="A", name="综合受理")
    general.windows.set([w["01"], w["02"]])
    social = ServiceCategory.objects.create(centre=centre, letter="B", name="社保医保")
    social.windows.set([w["02"], w["03"]])
    market = ServiceCategory.objects.create(centre=centre, letter="C", name="市场监管")
    market.windows.set([w["04"]])
    ServiceCategory.objects.create(centre=other, letter="A", name="综合受理").windows.set(
        [w["x1"]]
    )
    applicant = User.objects.create_user(username="13905391001", phone="13905391001",
                                         display_name="张三")
    return Hall(
        centre=centre, other_centre=other, general=general, social=social, market=market,
        windows=w,
        clerk=make_staff(Role.CLERK, d1, username="clerk_a"),
        clerk2=make_staff(Role.CLERK, d1, username="clerk_b"),
        clerk3=make_staff(Role.CLERK, d1, username="clerk_c"),
        chief=make_staff(Role.CHIEF, d1, departments["d1_market"], username="chief_m"),
        other_clerk=make_staff(Role.CLERK, regions["d2"], username="clerk_x"),
        admin=make_staff(Role.ADMIN, d1, username="admin_d1"),
        applicant=applicant, departments=departments, regions=regions,
    )
