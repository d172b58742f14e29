"""The demo 开餐馆一件事 over the demo catalogue: a complete package, and an application whose
business licence was decided on the spot, so that the food and fire items started by themselves
with the electronic 营业执照."""

from __future__ import annotations

import json
from importlib import import_module

import pytest

from onewindow.cases.models import CaseMaterial, MaterialOrigin
from onewindow.packages.demo import ITEMS, load_demo_packages
from onewindow.packages.design import load_design
from onewindow.packages.models import Package, PackageApplication, PackageCase
from onewindow.packages.workflow import ItemState

pytestmark = pytest.mark.django_db


def _demo_city() -> None:
    """The first part of the portal's demo: regions, organisations, staff, catalogue,
    authorisations, applicants (imported by name: tests do not add a dependency on portal)."""
    from onewindow.accounts.models import RoleAssignment, StaffMember, User
    from onewindow.catalog import services as catalog_services
    from onewindow.regions.models import Department, Region
    from onewindow.regions.services import region_import_csv

    demo = import_module("onewindow.portal.demo")
    region_import_csv(text=demo.REGIONS_CSV.read_text(encoding="utf-8"))
    regions = {r.code: r for r in Region.objects.all()}
    orgs = json.loads(demo.ORGANISATIONS_JSON.read_text(encoding="utf-8"))
    departments = {}
    for d in orgs["departments"]:
        departments[(d["region_code"], d["code"])] = Department.objects.create(
            region=regions[d["region_code"]], code=d["code"], name=d["name"])
    for s in orgs["staff"]:
        if not s["username"].endswith("_donghu_scjg"):
            continue
        user = User.objects.create_user(username=s["username"], password="x" * 12)
        StaffMember.objects.create(user=user, staff_number=s["staff_number"],
                                   region=regions[s["region_code"]])
        for r in s["roles"]:
            RoleAssignment.objects.create(
                user=user, role=r["role"], region=regions[r["region_code"]],
                department=departments.get((r["region_code"], r.get("department_code") or "")))
    catalog_services.catalog_import(actor=None, data=demo.CATALOG_JSON.read_bytes(), fmt="json")
    demo._demo_authorisations()
    demo._demo_applicants()


def test_the_demo_restaurant_package(django_capture_on_commit_callbacks):
    _demo_city()
    with django_capture_on_commit_callbacks(execute=True):
        result = load_demo_packages()
    assert (result.packages, result.applications) == (1, 1)
    package = Package.objects.get(code="restaurant")
    d = load_design(package)
    assert d.problems == []
    assert [p.name for p in d.levels()[0]] == [
        "公司设立登记", "设置大型户外广告及在城市建筑物、设施上悬挂、张贴宣传品审批"]
    assert {c.material_name for c in d.from_certificates} == {"营业执照"}
    application = PackageApplication.objects.get()
    pcs = {pc.package_item.item.implementation_code: pc
           for pc in PackageCase.objects.select_related("case", "package_item__item")
           .filter(application=application)}
    licence = pcs[ITEMS["licence"]]
    assert licence.case.decision == "approved" and licence.state == ItemState.FINISHED
    for key in ("food", "fire"):
        pc = pcs[ITEMS[key]]
        assert pc.state == ItemState.STARTED and pc.case.state == "submitted"
        row = CaseMaterial.objects.get(case=pc.case, name="营业执照")
        assert row.origin == MaterialOrigin.CERTIFICATE
        assert pc.case.form_data["credit_code"] == application.applicant.credit_code
    assert pcs[ITEMS["sign"]].case.form_data["location"] == "湖滨路18号门头"
    assert result.started == 3
