"""The demo village's proxy service: published lists and three proxy cases at different steps,
made through the services (so they are consistent with what the pages show)."""

from __future__ import annotations

from importlib import import_module

import pytest

from onewindow.notifications.models import Notification
from onewindow.proxy import selectors
from onewindow.proxy.demo import load_demo_proxy
from onewindow.proxy.models import ProxyConsent, ProxyItem, ProxyStep
from onewindow.proxy.workflow import Stage


def _demo_city(password: str) -> None:
    """Regions, organisations, staff, the catalogue and authorisations of the demo city."""
    import json
    from pathlib import Path

    from onewindow.accounts.models import RoleAssignment, StaffMember, User
    from onewindow.catalog import services as catalog_services
    from onewindow.regions.models import Department, Region
    from onewindow.regions.services import region_import_csv

    root = Path(__file__).resolve().parents[2]
    data = root / "regions" / "data"
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
    catalog_services.catalog_import(
        actor=None, data=(root / "catalog" / "data" / "demo_catalog.json").read_bytes(),
        fmt="json")
    # The portal's demo gives chief representatives their instant items (imported by name:
    # a test scaffold, not a dependency of this app on the portal).
    import_module("onewindow.portal.demo")._demo_authorisations()


@pytest.mark.django_db
def test_the_demo_village_has_published_lists_and_three_proxy_cases_at_different_steps():
    from onewindow.accounts.models import User

    _demo_city("Demo-Password-1")
    summary = load_demo_proxy()
    assert "代办件 3 件" in summary
    assert ProxyItem.objects.filter(published=True).count() >= 5
    agent = User.objects.get(username="agent_hehuawan")
    consents = list(ProxyConsent.objects.order_by("created_at"))
    assert len(consents) == 3 and {c.agent for c in consents} == {agent}
    stages = {c.stage for c in consents}
    assert stages == {Stage.HANDED_OVER, Stage.DELIVERED, Stage.MATERIALS_RECEIVED}
    done = next(c for c in consents if c.stage == Stage.HANDED_OVER)
    assert ProxyStep.objects.filter(consent=done).count() == 5
    assert done.case.state in ("completed", "refused")
    for c in consents:
        assert c.case.applicant == c.villager and c.case.created_by == agent
        # The villager was told of each proxy step by SMS.
        assert Notification.objects.filter(dedupe_key__startswith=f"proxy:{c.pk}:",
                                           phone=c.villager.mobile).exists()
    # The agent's own list shows them; the district's supervision sees them too.
    rows, _cursor = selectors.proxy_cases_for(agent)
    assert len(rows) == 3
    supervisor = User.objects.get(username="supervisor_donghu")
    assert len(selectors.proxy_cases_for(supervisor)[0]) == 3
    # Loading twice adds no second list entry.
    load_demo_proxy()
    assert ProxyItem.objects.filter(published=True).count() == len(
        set(ProxyItem.objects.values_list("item_id", "region_id")))
