"""API: the public guide, applying in one multipart request, following, delivering."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onewindow.cases.models import Case
from onewindow.cases.tests.conftest import pdf_bytes
from onewindow.packages.design import load_design
from onewindow.packages.models import PackageApplication, PackageCase

pytestmark = pytest.mark.django_db

API = "/api/v1/packages"


def multipart(w, *, form=None, skip=(), **extra):
    body = {"form": json.dumps(form if form is not None else w.form(), ensure_ascii=False),
            "delivery_method": "post", "delivery_address": "东湖区政通路88号"}
    body.update(extra)
    for m in load_design(w.package).materials:
        if m.name not in skip:
            body[m.key] = SimpleUploadedFile(f"{m.name}.pdf", pdf_bytes(m.name),
                                             content_type="application/pdf")
    return body


def test_public_list_and_detail(client, w):
    listing = client.get(API).json()
    assert [(p["code"], p["item_count"]) for p in listing] == [("restaurant", 4)]
    detail = client.get(f"{API}/restaurant").json()
    assert [i["item_code"] for i in detail["items"]] == ["PKG-A", "PKG-B", "PKG-C", "PKG-D"]
    assert detail["items"][2]["depends_on"] == ["PKG-B"]
    assert [f["name"] for f in detail["form"]][:2] == ["org_name", "legal_rep"]
    shared = next(m for m in detail["materials"] if m["name"] == "经营场所使用证明")
    assert shared["items"] == ["公司设立登记", "食品经营许可", "公共场所卫生许可"]
    assert {c["material"] for c in detail["from_certificates"]} == {"营业执照", "食品经营许可证"}
    assert client.get(f"{API}/nope").status_code == 404


def test_apply_in_one_request_and_follow(client, w, django_assert_max_num_queries):
    assert client.post(f"{API}/restaurant/apply", multipart(w)).status_code == 401
    client.force_login(w.applicant_user)
    response = client.post(f"{API}/restaurant/apply", multipart(w))
    assert response.status_code == 201, response.content
    body = response.json()
    number = body["number"]
    assert body["state"] == "in_progress" and body["applicant"] == "张**"
    states = {i["item_code"]: (i["state"], i["case_no"] is not None) for i in body["items"]}
    assert states == {"PKG-A": ("started", True), "PKG-B": ("waiting", False),
                      "PKG-C": ("waiting", False), "PKG-D": ("started", True)}
    waiting = next(i for i in body["items"] if i["item_code"] == "PKG-C")
    assert waiting["waiting_for"] == ["食品经营许可"]
    with django_assert_max_num_queries(10):
        again = client.get(f"{API}/applications/{number}")
    assert again.json()["number"] == number
    mine = client.get(f"{API}/applications/mine").json()
    assert [a["number"] for a in mine["items"]] == [number]
    # Someone else: the same 404 as an unknown number; nothing in their list.
    client.force_login(w.other_user)
    assert client.get(f"{API}/applications/{number}").status_code == 404
    assert client.get(f"{API}/applications/mine").json()["items"] == []
    assert client.get(f"{API}/applications").status_code == 403


def test_apply_errors_come_back_field_by_field_and_nothing_is_written(client, w):
    client.force_login(w.applicant_user)
    response = client.post(f"{API}/restaurant/apply", multipart(
        w, form=w.form(area_sqm="很大", location=""), skip=("公司章程",), delivery_method=""))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["form.area_sqm"] == ["请输入数字。"]
    assert errors["form.location"] == ["请填写“招牌设置地点”。"]
    assert any(k.startswith("materials.") and "公司章程" in v[0] for k, v in errors.items())
    assert errors["delivery_method"] == ["请选择办结后结果的送达方式。"]
    bad_json = client.post(f"{API}/restaurant/apply", {"form": "{oops"})
    assert bad_json.status_code == 422 and "form" in bad_json.json()["errors"]
    stray = client.post(f"{API}/restaurant/apply", multipart(w, mstray=SimpleUploadedFile(
        "x.pdf", pdf_bytes("x"))))
    assert stray.status_code == 422 and "materials" in stray.json()["errors"]
    assert PackageApplication.objects.count() == 0 and Case.objects.count() == 0
    # Someone else's identity is not found.
    other = client.post(f"{API}/restaurant/apply",
                        multipart(w, applicant_id=str(w.other_applicant.pk)))
    assert other.status_code == 404


def test_staff_scope_and_the_delivery(client, w, django_capture_on_commit_callbacks):
    application = w.apply()
    number = application.number
    client.force_login(w.other_clerk)
    assert client.get(f"{API}/applications/{number}").status_code == 404
    assert number not in {a["number"] for a in client.get(f"{API}/applications").json()["items"]}
    assert client.post(f"{API}/applications/{number}/deliver", {"tracking_no": "SF1"},
                       content_type="application/json").status_code == 404
    client.force_login(w.clerk)
    assert client.get(f"{API}/applications/{number}").json()["state"] == "in_progress"
    early = client.post(f"{API}/applications/{number}/deliver", {"tracking_no": "SF1"},
                        content_type="application/json")
    assert early.status_code == 409
    for key in ("A", "D", "B", "C"):
        pc = PackageCase.objects.get(application=application, package_item=w.pitems[key])
        with django_capture_on_commit_callbacks(execute=True):
            w.decide(pc.case)
    done = client.post(f"{API}/applications/{number}/deliver", {"tracking_no": "SF1"},
                       content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "complete" and done.json()["tracking_no"] == "SF1"
    assert {i["case_state"] for i in done.json()["items"]} == {"completed"}


def test_lists_do_not_grow_in_queries_with_applications(client, w):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w.apply()
    client.force_login(w.applicant_user)

    def count(path):
        with CaptureQueriesContext(connection) as q:
            assert client.get(path).status_code == 200
        return len(q)

    one = count(f"{API}/applications/mine"), count("/my/packages/")
    w.apply()
    w.apply()
    assert (count(f"{API}/applications/mine"), count("/my/packages/")) == one
    client.force_login(w.clerk)
    staff_one = count(f"{API}/applications")
    w.apply()
    assert count(f"{API}/applications") == staff_one
