"""Catalogue services: items, versions, publication, activation, authorisations, permissions."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.models import Role
from onewindow.catalog import services
from onewindow.catalog.models import (
    Authorisation,
    BasicItem,
    Fee,
    ItemVersion,
    Material,
    ServiceItem,
    VersionStatus,
)
from onewindow.core.errors import Conflict, PermissionDenied, ValidationFailed

# --- helpers shared by the catalogue tests -------------------------------------------------


def basic_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "basic_code": "B0001",
        "name": "食品经营许可",
        "item_type": "01",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "legal_limit": 20,
        "legal_limit_unit": "workday",
        "legal_limit_note": "",
    }
    data.update(overrides)
    return data


def guide_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "exercising_level": "4",
        "body_nature": "1",
        "case_type": "2",
        "content": "食品经营许可的核发",
        "acceptance_conditions": "申请人具有与经营的食品品种相适应的经营场所",
        "promised_limit": 10,
        "promised_limit_note": "",
        "co_department_codes": [],
        "handling_organisation": "行政审批科",
        "intermediary_services": "",
        "quantity_limit": "",
        "result_name": "食品经营许可证",
        "result_type": "证照",
        "charges_fee": False,
        "fee_basis": "",
        "cross_region_scope": "0",
        "audiences": ["1", "2"],
        "person_themes": ["employment"],
        "org_themes": ["business-licences"],
        "handling_forms": ["1", "2"],
        "special_procedures": "",
        "supports_booking": True,
        "supports_online_payment": False,
        "supports_delivery": True,
        "online": True,
        "online_depth": "3",
        "visits": 1,
        "procedure": [{"name": "受理", "description": "窗口受理"},
                      {"name": "决定", "description": "作出决定"}],
        "place": "东湖区政务服务中心二楼",
        "hours": "工作日 9:00-17:00",
        "consult_phone": "0379-12345678",
        "complaint_phone": "12345",
        "faq": [{"q": "需要多久？", "a": "10个工作日"}],
        "form_schema": [
            {"name": "shop_name", "label": "店铺名称", "type": "text", "required": True},
            {"name": "category", "label": "经营类别", "type": "select", "required": True,
             "choices": ["预包装食品", "散装食品"]},
        ],
        "materials": [
            {"name": "营业执照", "issuing_body": "市场监管部门", "requirements": "复印件加盖公章",
             "form": "both", "original_count": 1, "copy_count": 1, "required": True,
             "tolerable": True, "source": "2", "acceptance_standard": "有效期内"},
            {"name": "经营场所平面图", "issuing_body": "", "requirements": "", "form": "paper",
             "original_count": 1, "copy_count": 0, "required": False, "tolerable": False,
             "source": "1", "acceptance_standard": ""},
        ],
        "fees": [],
    }
    data.update(overrides)
    return data


def item_row(
    implementation_code: str = "IMPL-0001", *, region_code: str = "379902000000",
    department_code: str = "SCJG", **overrides: Any,
) -> dict[str, Any]:
    """One item in the exchange format (docs/catalog-format.md)."""
    row = {**basic_data(), "implementation_code": implementation_code,
           "region_code": region_code, "department_code": department_code}
    row.update(guide_data())
    row.update(overrides)
    return copy.deepcopy(row)


def make_item(departments: dict[str, Any], code: str = "IMPL-0001", dep: str = "d1_market",
              publish: bool = True, basic: dict[str, Any] | None = None,
              **guide_overrides: Any) -> ServiceItem:
    department = departments[dep]
    item = services.item_create(
        actor=None, basic=basic or basic_data(), region=department.region, department=department,
        implementation_code=code, guide=guide_data(**guide_overrides),
    )
    if publish:
        services.version_publish(actor=None, version=item.versions.get(), effective_from=None)
        item.refresh_from_db()
    return item


# --- item_create -------------------------------------------------------------------------


def test_item_create_makes_basic_item_and_draft_version_one(departments, make_staff, regions):
    head = make_staff(Role.DEPARTMENT_HEAD, regions["d1"], departments["d1_market"])
    item = services.item_create(
        actor=head, basic=basic_data(), region=regions["d1"],
        department=departments["d1_market"], implementation_code="IMPL-0001",
        guide=guide_data(),
    )
    version = item.versions.get()
    assert version.number == 1 and version.status == VersionStatus.DRAFT
    assert item.current_version is None
    assert [m.name for m in version.materials.all()] == ["营业执照", "经营场所平面图"]
    assert BasicItem.objects.get().name == "食品经营许可"


def test_item_create_refuses_promised_limit_over_legal_limit(departments):
    with pytest.raises(ValidationFailed) as exc:
        make_item(departments, publish=False, promised_limit=25)
    assert exc.value.field_errors["promised_limit"] == ["承诺时限不得超过法定时限（20个工作日）"]
    assert ServiceItem.objects.count() == 0 and BasicItem.objects.count() == 0


def test_item_create_refuses_basic_fields_differing_from_stored_basic_item(departments):
    make_item(departments)
    with pytest.raises(ValidationFailed) as exc:
        services.item_create(
            actor=None, basic=basic_data(name="食品生产许可", legal_limit=15),
            region=departments["d2_market"].region, department=departments["d2_market"],
            implementation_code="IMPL-0002", guide=guide_data(),
        )
    assert set(exc.value.field_errors) == {"name", "legal_limit"}
    assert "三级四同" in exc.value.field_errors["name"][0]
    assert ServiceItem.objects.count() == 1


def test_item_create_same_basic_item_in_another_region_is_shared(departments):
    make_item(departments)
    services.item_create(
        actor=None, basic=basic_data(), region=departments["d2_market"].region,
        department=departments["d2_market"], implementation_code="IMPL-0002", guide=guide_data(),
    )
    assert BasicItem.objects.count() == 1 and ServiceItem.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"case_type": "1", "promised_limit": 3}, "promised_limit"),
        ({"audiences": ["7"]}, "audiences"),
        ({"person_themes": ["no-such-theme"]}, "person_themes"),
        ({"charges_fee": True, "fees": []}, "fees"),
        ({"materials": [{"name": "身份证", "required": False, "tolerable": True}]},
         "materials[1].tolerable"),
        ({"form_schema": [{"name": "a", "label": "甲", "type": "text"},
                          {"name": "a", "label": "乙", "type": "text"}]}, "form_schema[2].name"),
        ({"form_schema": [{"name": "kind", "label": "类别", "type": "select"}]},
         "form_schema[1].choices"),
        ({"form_schema": [{"name": "Bad Name", "label": "x", "type": "text"}]},
         "form_schema[1].name"),
        ({"item_type": "99"}, None),
        ({"procedure": []}, "procedure"),
        ({"place": ""}, "place"),
    ],
)
def test_item_create_rules_are_enforced_with_chinese_messages(departments, overrides, field):
    basic_override = {k: overrides.pop(k) for k in list(overrides) if k == "item_type"}
    department = departments["d1_market"]
    with pytest.raises(ValidationFailed) as exc:
        services.item_create(
            actor=None, basic=basic_data(**basic_override), region=department.region,
            department=department, implementation_code="IMPL-0001",
            guide=guide_data(**overrides),
        )
    expected = field or "item_type"
    assert expected in exc.value.field_errors
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m)
               for m in exc.value.field_errors[expected])
    assert ServiceItem.objects.count() == 0


def test_item_create_refuses_bad_implementation_code(departments):
    department = departments["d1_market"]
    with pytest.raises(ValidationFailed) as exc:
        services.item_create(
            actor=None, basic=basic_data(), region=department.region, department=department,
            implementation_code="含中文", guide=guide_data(),
        )
    assert "implementation_code" in exc.value.field_errors


# --- versions ------------------------------------------------------------------------------


def test_publish_makes_current_and_history_stays_readable(departments, make_staff, regions):
    admin = make_staff(Role.ADMIN, regions["d1"])
    item = make_item(departments, publish=False)
    v1 = services.version_publish(actor=admin, version=item.versions.get(), effective_from=None)
    item.refresh_from_db()
    assert item.current_version == v1 and v1.published_by == admin
    assert item.search_title  # search fields kept
    draft = services.version_create_draft(actor=admin, item=item)
    services.version_update_draft(actor=admin, version=draft, data={"promised_limit": 5})
    services.version_publish(actor=admin, version=draft, effective_from=None)
    item.refresh_from_db()
    assert item.current_version.number == 2 and item.current_version.promised_limit == 5
    old = ItemVersion.objects.get(item=item, number=1)
    assert old.status == VersionStatus.PUBLISHED and old.promised_limit == 10


def test_draft_clones_materials_fees_and_co_departments(departments):
    item = make_item(
        departments, charges_fee=True,
        fees=[{"name": "工本费", "standard": "10元/件", "basis": "", "allows_reduction": True}],
    )
    current = item.current_version
    draft = services.version_create_draft(actor=None, item=item)
    assert draft.number == 2 and draft.status == VersionStatus.DRAFT
    assert [m.name for m in draft.materials.all()] == [m.name for m in current.materials.all()]
    assert [f.name for f in draft.fees.all()] == ["工本费"]
    with pytest.raises(Conflict):
        services.version_create_draft(actor=None, item=item)
    assert ItemVersion.objects.filter(item=item).count() == 2


def test_co_departments_are_cloned(departments, regions):
    from onewindow.regions.models import Department

    tax = Department.objects.create(region=regions["d1"], code="SW", name="东湖区税务局")
    item = make_item(departments, co_department_codes=["SW"])
    draft = services.version_create_draft(actor=None, item=item)
    assert list(draft.co_departments.all()) == [tax]


def test_only_drafts_are_editable(departments):
    item = make_item(departments)
    with pytest.raises(Conflict):
        services.version_update_draft(
            actor=None, version=item.current_version, data={"promised_limit": 1}
        )
    item.current_version.refresh_from_db()
    assert item.current_version.promised_limit == 10


def test_update_draft_replaces_materials_and_validates(departments):
    item = make_item(departments)
    draft = services.version_create_draft(actor=None, item=item)
    services.version_update_draft(
        actor=None, version=draft, data={"materials": [{"name": "身份证", "required": True}]}
    )
    assert [m.name for m in draft.materials.all()] == ["身份证"]
    with pytest.raises(ValidationFailed) as exc:
        services.version_update_draft(actor=None, version=draft, data={"promised_limit": 21})
    assert "promised_limit" in exc.value.field_errors
    draft.refresh_from_db()
    assert draft.promised_limit == 10


def test_future_effective_date_is_activated_once_the_day_comes(departments, time_machine):
    item = make_item(departments)
    draft = services.version_create_draft(actor=None, item=item)
    services.version_update_draft(actor=None, version=draft, data={"promised_limit": 7})
    tomorrow = timezone.localdate() + timedelta(days=1)
    services.version_publish(actor=None, version=draft, effective_from=tomorrow)
    item.refresh_from_db()
    assert item.current_version.number == 1
    assert services.catalog_activate_due_versions() == 0
    time_machine.move_to(timezone.now() + timedelta(days=1))
    assert services.catalog_activate_due_versions() == 1
    item.refresh_from_db()
    assert item.current_version.number == 2
    assert services.catalog_activate_due_versions() == 0  # idempotent
    item.refresh_from_db()
    assert item.current_version.number == 2


def test_activate_task_is_registered_and_idempotent(departments):
    from onewindow.catalog import tasks

    make_item(departments)
    assert tasks.activate_due_versions.name == "catalog.activate_due_versions"
    assert tasks.activate_due_versions.delay().get() == 0


# --- permissions ---------------------------------------------------------------------------


def test_department_head_of_another_department_cannot_edit(departments, make_staff, regions):
    item = make_item(departments)
    draft = services.version_create_draft(actor=None, item=item)
    other = make_staff(Role.DEPARTMENT_HEAD, regions["d2"], departments["d2_market"])
    with pytest.raises(PermissionDenied):
        services.version_update_draft(actor=other, version=draft, data={"promised_limit": 3})
    with pytest.raises(PermissionDenied):
        services.version_create_draft(actor=other, item=item)
    draft.refresh_from_db()
    assert draft.promised_limit == 10
    assert ItemVersion.objects.filter(item=item).count() == 2
    with pytest.raises(PermissionDenied):
        services.item_create(
            actor=other, basic=basic_data(basic_code="B0002"), region=regions["d1"],
            department=departments["d1_market"], implementation_code="IMPL-9",
            guide=guide_data(),
        )
    assert ServiceItem.objects.count() == 1 and BasicItem.objects.count() == 1


def test_department_head_cannot_publish(departments, make_staff, regions):
    head = make_staff(Role.DEPARTMENT_HEAD, regions["d1"], departments["d1_market"])
    item = make_item(departments, publish=False)
    with pytest.raises(PermissionDenied):
        services.version_publish(actor=head, version=item.versions.get(), effective_from=None)
    assert item.versions.get().status == VersionStatus.DRAFT


# --- authorisations ------------------------------------------------------------------------


def test_authorisation_issue_and_revoke(departments, make_staff, regions):
    item = make_item(departments)
    head = make_staff(Role.DEPARTMENT_HEAD, regions["d1"], departments["d1_market"])
    chief = make_staff(Role.CHIEF, regions["d1"], departments["d1_market"])
    today = date.today()
    auth = services.authorisation_issue(
        actor=head, holder=chief, department=departments["d1_market"], items=[item],
        valid_from=today, valid_to=today + timedelta(days=365), number="SQ-2025-001",
    )
    assert list(auth.items.all()) == [item]
    with pytest.raises(ValidationFailed) as exc:
        services.authorisation_revoke(actor=head, authorisation=auth, reason=" ")
    assert "reason" in exc.value.field_errors
    services.authorisation_revoke(actor=head, authorisation=auth, reason="人员调整")
    auth.refresh_from_db()
    assert auth.revoked_at is not None and auth.revoke_reason == "人员调整"


def test_authorisation_requires_chief_and_own_items(departments, make_staff, regions):
    own = make_item(departments)
    foreign = make_item(departments, code="IMPL-0002", dep="d2_market")
    head = make_staff(Role.DEPARTMENT_HEAD, regions["d1"], departments["d1_market"])
    clerk = make_staff(Role.CLERK, regions["d1"])
    today = date.today()
    with pytest.raises(ValidationFailed) as exc:
        services.authorisation_issue(
            actor=head, holder=clerk, department=departments["d1_market"],
            items=[own, foreign], valid_from=today, valid_to=today, number="SQ-1",
        )
    assert {"holder", "items"} <= set(exc.value.field_errors)
    other_head = make_staff(Role.DEPARTMENT_HEAD, regions["d2"], departments["d2_market"])
    chief = make_staff(Role.CHIEF, regions["d1"], departments["d1_market"])
    with pytest.raises(PermissionDenied):
        services.authorisation_issue(
            actor=other_head, holder=chief, department=departments["d1_market"], items=[own],
            valid_from=today, valid_to=today, number="SQ-2",
        )
    assert Authorisation.objects.count() == 0


def test_material_and_fee_rows_are_written(departments):
    item = make_item(
        departments, charges_fee=True,
        fees=[{"name": "工本费", "standard": "10元/件"}],
    )
    assert Material.objects.filter(version=item.current_version).count() == 2
    assert Fee.objects.get(version=item.current_version).standard == "10元/件"
