"""Admin screens for regions and organisations honour the region subtree."""

from __future__ import annotations

import pytest

from onewindow.regions.models import Department


@pytest.fixture
def district_admin(regions, make_staff):
    user = make_staff("admin", regions["d1"])
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.mark.django_db
def test_district_admin_lists_only_departments_in_the_district(client, departments, district_admin):
    client.force_login(district_admin)
    response = client.get("/admin/regions/department/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "东湖区市场监督管理局" in body
    assert "西岭区市场监督管理局" not in body
    assert "云溪市市场监督管理局" not in body


@pytest.mark.django_db
def test_district_admin_cannot_change_another_districts_department(
    client, departments, district_admin
):
    client.force_login(district_admin)
    other = departments["d2_market"]
    url = f"/admin/regions/department/{other.pk}/change/"
    response = client.post(url, {"region": other.region_id, "code": "X", "name": "改名",
                                 "sort_order": 0, "is_active": "on"})
    assert response.status_code in (302, 403, 404)
    other.refresh_from_db()
    assert other.name == "西岭区市场监督管理局"  # nothing changed


@pytest.mark.django_db
def test_district_admin_cannot_move_a_department_out_of_scope(
    client, regions, departments, district_admin
):
    client.force_login(district_admin)
    own = departments["d1_market"]
    response = client.post(
        f"/admin/regions/department/{own.pk}/change/",
        {"region": regions["d2"].pk, "code": own.code, "name": own.name, "sort_order": 0,
         "is_active": "on"},
    )
    assert response.status_code in (200, 403)
    own.refresh_from_db()
    assert own.region == regions["d1"]


@pytest.mark.django_db
def test_staff_without_the_role_sees_no_organisation_admin(client, regions, make_staff):
    clerk = make_staff("clerk", regions["city"])
    clerk.is_staff = True
    clerk.save(update_fields=["is_staff"])
    client.force_login(clerk)
    assert client.get("/admin/regions/department/").status_code == 403
    assert Department.objects.count() == 0


@pytest.mark.django_db
def test_region_csv_import_page_reports_rows(client, regions, make_staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = make_staff("admin", regions["city"])
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client.force_login(admin)
    csv = "code,name,level,parent_code\n379902002000,新街道,town,379902000000\n12,坏,town,\n"
    response = client.post(
        "/admin/regions/region/import/",
        {"file": SimpleUploadedFile("r.csv", csv.encode(), content_type="text/csv")},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "import-errors" in body and "12位数字" in body
    assert not regions["d1"].children.filter(code="379902002000").exists()
