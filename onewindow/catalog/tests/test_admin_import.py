"""Catalogue admin: scoped lists, draft editing, and the import page end to end."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from onewindow.accounts.models import Role
from onewindow.catalog import exchange
from onewindow.catalog.models import ImportJob, ItemVersion, ServiceItem
from onewindow.catalog.tests.test_services import basic_data, item_row, make_item

IMPORT_URL = "admin:catalog_serviceitem_import"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def staff_client(client: Any, user: Any) -> Any:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    return user


def upload(client: Any, name: str, data: bytes, capture: Any) -> Any:
    with capture(execute=True):
        response = client.post(
            reverse(IMPORT_URL), {"file": SimpleUploadedFile(name, data)}
        )
    assert response.status_code == 302, response.content[:500]
    return response


def as_json(items: list[dict[str, Any]]) -> bytes:
    return json.dumps({"format": "onewindow-catalog/1", "items": items}).encode()


def test_import_page_good_file_creates_items_and_status_says_done(
    client, departments, make_staff, regions, django_capture_on_commit_callbacks
):
    admin = staff_client(client, make_staff(Role.ADMIN, regions["city"]))
    page = client.get(reverse(IMPORT_URL))
    assert page.status_code == 200
    assert b"catalog/import.js" in page.content and b"<script>" not in page.content
    rows = [item_row("IMPL-0001"), item_row("IMPL-0002", region_code="379903000000")]
    response = upload(client, "catalog.json", as_json(rows), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert response["Location"].endswith(f"?job={job.pk}")
    status = client.get(reverse("admin:catalog_serviceitem_import_status", args=[job.pk]))
    body = status.json()
    assert body["status"] == "succeeded" and body["finished"]
    assert body["done"] == body["total"] == 2
    assert "新增2项" in body["summary"]
    assert job.started_by == admin
    assert set(ServiceItem.objects.values_list("implementation_code", flat=True)) == {
        "IMPL-0001", "IMPL-0002",
    }
    page = client.get(response["Location"])
    assert "已完成".encode() in page.content


def test_import_page_bad_xlsx_lists_row_errors_and_writes_nothing(
    client, departments, make_staff, regions, django_capture_on_commit_callbacks
):
    staff_client(client, make_staff(Role.ADMIN, regions["city"]))
    rows = [item_row("IMPL-0001"), item_row("IMPL-0002", promised_limit=50)]
    data = exchange._write_xlsx(rows)
    upload(client, "catalog.xlsx", data, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    body = client.get(reverse("admin:catalog_serviceitem_import_status", args=[job.pk])).json()
    assert body["status"] == "failed"
    assert {"sheet": "事项", "row": 3, "field": "promised_limit",
            "error": "承诺时限不得超过法定时限（20个工作日）"} in body["errors"]
    assert ServiceItem.objects.count() == 0
    page = client.get(reverse(IMPORT_URL) + f"?job={job.pk}")
    assert "承诺时限不得超过法定时限".encode() in page.content


def test_import_page_not_a_catalogue_file(
    client, departments, make_staff, regions, django_capture_on_commit_callbacks
):
    staff_client(client, make_staff(Role.ADMIN, regions["city"]))
    upload(client, "catalog.xlsx", b"this is not a workbook", django_capture_on_commit_callbacks)
    body = client.get(
        reverse("admin:catalog_serviceitem_import_status", args=[ImportJob.objects.get().pk])
    ).json()
    assert body["status"] == "failed" and "Excel" in body["errors"][0]["error"]
    response = client.post(
        reverse(IMPORT_URL), {"file": SimpleUploadedFile("catalog.csv", b"a,b")}
    )
    assert response.status_code == 200 and b".xlsx" in response.content
    assert ImportJob.objects.count() == 1


def test_district_admin_import_of_other_district_row_fails_and_changes_nothing(
    client, departments, make_staff, regions, django_capture_on_commit_callbacks
):
    staff_client(client, make_staff(Role.ADMIN, regions["d1"]))
    rows = [item_row("IMPL-0001"), item_row("IMPL-0002", region_code="379903000000")]
    upload(client, "catalog.json", as_json(rows), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert job.errors == [{"row": 2, "field": "region_code", "error": "您无权导入西岭区的事项"}]
    assert ServiceItem.objects.count() == 0


def test_users_without_import_permission_cannot_reach_the_import_page(
    client, departments, make_staff, regions
):
    staff_client(client, make_staff(Role.DEPARTMENT_HEAD, regions["d1"],
                                    departments["d1_market"]))
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    response = client.post(reverse(IMPORT_URL), {"file": SimpleUploadedFile("a.json", b"{}")})
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_status_of_another_users_job_is_not_found(
    client, departments, make_staff, regions, django_capture_on_commit_callbacks
):
    staff_client(client, make_staff(Role.ADMIN, regions["city"]))
    upload(client, "c.json", as_json([item_row()]), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    client.logout()
    staff_client(client, make_staff(Role.ADMIN, regions["d1"]))
    url = reverse("admin:catalog_serviceitem_import_status", args=[job.pk])
    assert client.get(url).status_code == 404


def test_item_list_is_scoped_and_has_no_n_plus_one(
    client, departments, make_staff, regions, django_assert_max_num_queries
):
    for n in range(5):
        make_item(departments, code=f"D1-{n}", dep="d1_market",
                  basic=basic_data(basic_code=f"B{n}", name=f"事项{n}"))
    make_item(departments, code="D2-0", dep="d2_market")
    staff_client(client, make_staff(Role.DEPARTMENT_HEAD, regions["d2"],
                                    departments["d2_market"]))
    url = reverse("admin:catalog_serviceitem_changelist")
    with django_assert_max_num_queries(15):
        response = client.get(url)
    assert response.status_code == 200
    codes = [i.implementation_code for i in response.context["cl"].result_list]
    assert codes == ["D2-0"]
    assert b"export/xlsx" in response.content and b"import/" not in response.content


def test_export_buttons_return_files_of_items_in_scope(client, departments, make_staff, regions):
    make_item(departments, code="D1-0", dep="d1_market")
    make_item(departments, code="D2-0", dep="d2_market")
    staff_client(client, make_staff(Role.ADMIN, regions["d1"]))
    response = client.get(reverse("admin:catalog_serviceitem_export", args=["json"]))
    assert response.status_code == 200
    doc = json.loads(response.content)
    assert [i["implementation_code"] for i in doc["items"]] == ["D1-0"]
    xlsx = client.get(reverse("admin:catalog_serviceitem_export", args=["xlsx"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_published_version_is_read_only_and_draft_edits_go_through_service(
    client, departments, make_staff, regions
):
    from onewindow.catalog import services

    item = make_item(departments)
    draft = services.version_create_draft(actor=None, item=item)
    head = make_staff(Role.DEPARTMENT_HEAD, regions["d1"], departments["d1_market"])
    staff_client(client, head)
    published_url = reverse("admin:catalog_itemversion_change", args=[item.current_version.pk])
    response = client.get(published_url)
    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}  # everything read-only
    before = ItemVersion.objects.get(pk=item.current_version.pk).promised_limit
    client.post(published_url, {"promised_limit": 1})
    assert ItemVersion.objects.get(pk=item.current_version.pk).promised_limit == before

    # another department's head cannot see the draft at all
    client.logout()
    staff_client(client, make_staff(Role.DEPARTMENT_HEAD, regions["d2"],
                                    departments["d2_market"]))
    draft_url = reverse("admin:catalog_itemversion_change", args=[draft.pk])
    assert client.get(draft_url).status_code == 302  # redirected: not in scope
    client.logout()
    client.force_login(head)
    page = client.get(draft_url)
    assert "promised_limit" in page.context["adminform"].form.fields
