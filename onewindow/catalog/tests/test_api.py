"""Catalogue API: public search and guide; export/import permission matrix."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onewindow.accounts.models import User
from onewindow.catalog.models import ServiceItem
from onewindow.catalog.tests.test_services import item_row, make_item

pytestmark = pytest.mark.django_db


def test_search_and_guide_are_public(client, departments):
    make_item(departments, "IMPL-0001")
    response = client.get("/api/v1/catalog/items", {"q": "食品经营"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    assert body["items"][0]["implementation_code"] == "IMPL-0001"
    detail = client.get("/api/v1/catalog/items/IMPL-0001").json()
    assert detail["name"] == "食品经营许可"
    assert [m["name"] for m in detail["materials"]] == ["营业执照", "经营场所平面图"]
    assert detail["legal_limit"] >= detail["promised_limit"]


def test_unpublished_and_unknown_items_are_404(client, departments):
    make_item(departments, "IMPL-0002", publish=False)
    assert client.get("/api/v1/catalog/items/IMPL-0002").status_code == 404
    assert client.get("/api/v1/catalog/items/NOPE").status_code == 404
    assert client.get("/api/v1/catalog/items", {"q": "食品"}).json()["total"] == 0


def test_bad_query_parameters_are_422_with_field_messages(client, departments):
    response = client.get("/api/v1/catalog/items", {"audience": "alien"})
    assert response.status_code == 422
    assert "audience" in response.json()["errors"]
    response = client.get("/api/v1/catalog/items", {"region": "99"})
    assert response.status_code == 422
    response = client.get("/api/v1/catalog/items", {"limit": "many"})
    assert response.status_code == 422
    assert response.json()["errors"]["limit"] == ["请输入整数。"]
    # An offset past any real page is refused instead of overflowing the database's OFFSET.
    assert client.get("/api/v1/catalog/items", {"offset": 10**12}).status_code == 422


def test_export_permission_matrix(client, regions, departments, make_staff):
    make_item(departments, "IMPL-0001", dep="d1_market")
    make_item(departments, "IMPL-0003", dep="d2_market")
    url = "/api/v1/catalog/export"
    assert client.get(url).status_code == 401
    client.force_login(User.objects.create_user(username="m1", phone="13900000001"))
    assert client.get(url).status_code == 403
    client.force_login(make_staff("clerk", regions["d1"]))
    assert client.get(url).status_code == 403
    client.force_login(make_staff("supervisor", regions["d1"]))
    data = json.loads(client.get(url).content)
    # Only the supervisor's own district is exported.
    assert [i["implementation_code"] for i in data["items"]] == ["IMPL-0001"]


def _upload(rows):
    doc = json.dumps({"format": "onewindow-catalog/1", "items": rows}).encode()
    return SimpleUploadedFile("catalog.json", doc, content_type="application/json")


def test_import_permission_matrix_and_row_errors(client, regions, departments, make_staff):
    url = "/api/v1/catalog/import"
    assert client.post(url, {"file": _upload([item_row("IMPL-1")])}).status_code == 401
    client.force_login(make_staff("clerk", regions["city"]))
    assert client.post(url, {"file": _upload([item_row("IMPL-1")])}).status_code == 403
    # A district admin may not import for another district: row error, nothing written.
    client.force_login(make_staff("admin", regions["d2"]))
    response = client.post(url, {"file": _upload([item_row("IMPL-1")])})
    assert response.status_code == 422
    assert response.json()["rows"][0]["row"] == 1
    assert ServiceItem.objects.count() == 0
    client.force_login(make_staff("admin", regions["city"]))
    bad = item_row("IMPL-2", promised_limit=999)
    response = client.post(url, {"file": _upload([item_row("IMPL-1"), bad])})
    assert response.status_code == 422
    assert ServiceItem.objects.count() == 0
    response = client.post(url, {"file": _upload([item_row("IMPL-1")])})
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    wrong = SimpleUploadedFile("catalog.txt", b"hello")
    assert client.post(url, {"file": wrong}).status_code == 422


def test_openapi_document_is_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/catalog/items" in paths and "/api/v1/regions" in paths
