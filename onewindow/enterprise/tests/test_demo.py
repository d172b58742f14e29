"""The demo district's enterprise data: made through the services, consistent with the figures."""

from __future__ import annotations

import pytest

from onewindow.enterprise import selectors
from onewindow.enterprise.demo import load_demo_enterprise
from onewindow.enterprise.models import Concern, EnterpriseFile, KeyProject, SecretaryAssignment
from onewindow.enterprise.workflow import CLOSED_STATES, OPEN_STATES


def _demo_city(password: str) -> None:
    """The demo city's regions, departments and staff (what the portal demo makes first)."""
    import json
    from pathlib import Path

    from onewindow.accounts.models import RoleAssignment, StaffMember, User
    from onewindow.regions.models import Department, Region
    from onewindow.regions.services import region_import_csv

    data = Path(__file__).resolve().parents[2] / "regions" / "data"
    region_import_csv(text=(data / "demo_regions.csv").read_text(encoding="utf-8"))
    regions = {r.code: r for r in Region.objects.all()}
    orgs = json.loads((data / "demo_organisations.json").read_text(encoding="utf-8"))
    deps = {}
    for d in orgs["departments"]:
        deps[(d["region_code"], d["code"])] = Department.objects.create(
            region=regions[d["region_code"]], code=d["code"], name=d["name"])
    for s in orgs["staff"]:
        user = User.objects.create_user(username=s["username"], password=password,
                                        display_name=s["display_name"])
        StaffMember.objects.create(
            user=user, staff_number=s["staff_number"], region=regions[s["region_code"]],
            department=deps.get((s["region_code"], s.get("department_code") or "")))
        for r in s.get("roles", []):
            RoleAssignment.objects.create(
                user=user, role=r["role"], region=regions[r["region_code"]],
                department=deps.get((r["region_code"], r.get("department_code") or "")))


@pytest.mark.django_db
def test_the_demo_district_has_key_projects_secretaries_visits_and_about_forty_concerns():
    from onewindow.accounts.models import User

    _demo_city("Demo-Password-1")
    counts = load_demo_enterprise()
    assert counts["concerns"] == Concern.objects.count()
    assert 36 <= Concern.objects.count() <= 45
    assert EnterpriseFile.objects.filter(is_key=True, green_channel=True).count() >= 3
    assert KeyProject.objects.count() == 4
    assert SecretaryAssignment.objects.count() >= 5
    states = set(Concern.objects.values_list("state", flat=True))
    assert states & set(CLOSED_STATES) and states & set(OPEN_STATES)
    assert Concern.objects.filter(overdue=True).exists()
    assert Concern.objects.exclude(satisfaction="").exists()
    admin = User.objects.get(username="admin_donghu")
    [total] = selectors.concern_figures(user=admin, group_by=None)
    assert total.raised == Concern.objects.count()
    assert total.solved == Concern.objects.filter(state__in=CLOSED_STATES).count()
    assert total.closure_rate is not None and total.closure_rate > 50
    head = User.objects.get(username="head_donghu_scjg")
    assert selectors.files_for(head)  # the liaison head finds the companies
