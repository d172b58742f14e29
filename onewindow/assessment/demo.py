"""Demo of window assessment: last month's results of the demo district, computed and
published by its management office (call after the cases, hall and evaluation demos).

The demo cases are made to show every kind of trouble (overdue cases, red cards, bad reviews),
so their on-time rates are low; the district gets a scheme of its own with lower cut-offs
(labelled as the demo's) so that the ranking shows every grade and a red-flag window. A real
region without a scheme uses the built-in defaults (90 / 80 / 60)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from onewindow.accounts.models import Role, User
from onewindow.assessment import services
from onewindow.assessment.models import AssessmentRun, RunState, ScoringScheme
from onewindow.core import clock
from onewindow.regions.models import Region

DEMO_DISTRICT = "379902000000"  # 东湖区


def load_demo_assessment(*, region_code: str = DEMO_DISTRICT) -> AssessmentRun | None:
    """Compute and publish last month for the demo district (and a draft for the city)."""
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        return None
    ScoringScheme.objects.get_or_create(region=region, defaults={
        "name": f"{region.name}窗口考核办法（演示）", "excellent_min": Decimal(55),
        "good_min": Decimal(45), "pass_min": Decimal(35), "red_flag_count": 2,
    })
    month = (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    admin = (User.objects.filter(role_assignments__role=Role.ADMIN,
                                 role_assignments__region=region,
                                 role_assignments__is_active=True).order_by("pk").first())
    run = services.assessment_compute(actor=admin, region=region, month=month)
    if admin is not None and run.state != RunState.PUBLISHED:
        run = services.assessment_publish(actor=admin, run=run)
    if region.parent_id is not None and region.parent is not None:
        services.assessment_compute(actor=None, region=region.parent, month=month)
    return run
