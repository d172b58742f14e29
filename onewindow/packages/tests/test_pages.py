"""Pages: the public guide, the combined-form wizard, tracking, my packages, the workbench."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onewindow.cases.tests.conftest import pdf_bytes
from onewindow.packages.design import load_design, material_key
from onewindow.packages.models import PackageApplication, PackageCase
from onewindow.packages.workflow import ApplicationState, ItemState

pytestmark = pytest.mark.django_db


def test_public_list_and_guide(client, w):
    page = client.get("/packages/").content.decode()
    assert "开餐馆一件事" in page and "含 4 个事项" in page
    guide = client.get("/packages/restaurant/")
    assert guide.status_code == 200
    text = guide.content.decode()
    # The order the items run in, the shared material once, the certificate ones explained.
    assert text.index("公司设立登记") < text.index("公共场所卫生许可")
    assert "需先办结" in text and text.count("经营场所使用证明") == 1
    assert "3 个事项共用，只交一份" in text
    assert "自动使用其电子证照（营业执照）" in text
    assert 'href="/packages/restaurant/apply/"' in text
    assert client.get("/packages/nope/").status_code == 404
    w.package.published = False
    w.package.save()
    assert client.get("/packages/restaurant/").status_code == 404
    assert "开餐馆一件事" not in client.get("/packages/").content.decode()


def test_the_wizard_fills_once_uploads_once_and_submits(client, w):
    assert client.get("/packages/restaurant/apply/").status_code == 302  # sign in first
    client.force_login(w.applicant_user)
    start = client.get("/packages/restaurant/apply/")
    assert start.status_code == 200 and "一次申请以下事项" in start.content.decode()
    response = client.post("/packages/restaurant/apply/", {"applicant": w.applicant.pk})
    application = PackageApplication.objects.get()
    url = f"/packages/restaurant/apply/{application.number}/"
    assert response.status_code == 302 and response["Location"] == url + "?step=1"
    # What the real-name identity gives is filled in already.
    step1 = client.get(url + "?step=1").content.decode()
    assert 'value="13905391001"' in step1
    # A wrong value is shown beside its field; the rest is kept.
    bad = client.post(url, {"step": 1, "action": "next", **w.form(mobile="123")})
    assert bad.status_code == 422
    assert re.search(r'id="fld-mobile">.*?field-error', bad.content.decode(), re.S)
    application.refresh_from_db()
    assert application.form_data["org_name"] == "东湖小馆餐饮店"
    ok = client.post(url, {"step": 1, "action": "next", **w.form()})
    assert ok.status_code == 302 and ok["Location"].endswith("?step=2")
    # Each material of the combined list once.
    step2 = client.get(url + "?step=2").content.decode()
    assert step2.count('name="action" value="upload"') == len(load_design(w.package).materials)
    for m in load_design(w.package).materials:
        r = client.post(url, {"step": 2, "action": "upload", "material": m.key,
                              "file": SimpleUploadedFile(f"{m.name}.pdf", pdf_bytes(m.name))})
        assert r.status_code == 302
    junk = client.post(url, {"step": 2, "action": "upload", "material": material_key("公司章程"),
                             "file": SimpleUploadedFile("a.pdf", b"plain text")})
    assert junk.status_code == 422 and "PDF" in junk.content.decode()
    # Submitting needs the delivery method: said beside it, nothing created.
    step3 = client.post(url, {"step": 3, "action": "submit"})
    assert step3.status_code == 422 and "请选择办结后结果的送达方式。" in step3.content.decode()
    assert PackageCase.objects.count() == 0
    done = client.post(url, {"step": 3, "action": "submit", "delivery_method": "electronic"})
    assert done.status_code == 302 and done["Location"] == f"/my/packages/{application.number}/"
    page = client.get(done["Location"]).content.decode()
    assert application.number in page
    for pc in PackageCase.objects.select_related("case").filter(case__isnull=False):
        assert pc.case.case_no in page
    assert "等待“公司设立登记”办结" in page and "等待“食品经营许可”办结" in page
    # The wizard of a submitted application leads to its tracking page.
    assert client.get(url)["Location"] == f"/my/packages/{application.number}/"


def test_tracking_page_is_the_applicants_own(client, w, django_assert_max_num_queries):
    application = w.apply()
    url = f"/my/packages/{application.number}/"
    assert client.get(url).status_code == 302
    client.force_login(w.other_user)
    assert client.get(url).status_code == 404
    assert client.get(f"/packages/restaurant/apply/{application.number}/").status_code == 404
    assert application.number not in client.get("/my/packages/").content.decode()
    # Dropping someone else's item does nothing.
    c = PackageCase.objects.get(application=application, package_item=w.pitems["C"])
    client.post(url, {"action": "drop", "item": c.pk})
    c.refresh_from_db()
    assert c.state == ItemState.WAITING
    client.force_login(w.applicant_user)
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert page.status_code == 200
    with django_assert_max_num_queries(12):
        mine = client.get("/my/packages/")
    assert application.number in mine.content.decode()
    client.post(url, {"action": "drop", "item": c.pk})
    c.refresh_from_db()
    assert c.state == ItemState.CLOSED


def test_workbench_lists_in_scope_and_delivers_once(client, w, django_capture_on_commit_callbacks):
    application = w.apply()
    assert client.get("/workbench/packages/").status_code == 302
    client.force_login(w.applicant_user)
    assert client.get("/workbench/packages/").status_code == 403
    client.force_login(w.other_clerk)
    assert application.number not in client.get("/workbench/packages/").content.decode()
    assert client.get(f"/workbench/packages/{application.number}/").status_code == 404
    # A reviewer of the health bureau sees it once its case is theirs? Not yet: C waits.
    client.force_login(w.staff["d1_health"]["reviewer"])
    assert application.number not in client.get("/workbench/packages/").content.decode()
    client.force_login(w.clerk)
    listing = client.get("/workbench/packages/").content.decode()
    assert application.number in listing and "张**" in listing and "张三丰" not in listing
    for key in ("A", "D", "B", "C"):
        pc = PackageCase.objects.get(application=application, package_item=w.pitems[key])
        with django_capture_on_commit_callbacks(execute=True):
            w.decide(pc.case)
    client.force_login(w.staff["d1_health"]["reviewer"])
    assert application.number in client.get("/workbench/packages/").content.decode()
    refused = client.post(f"/workbench/packages/{application.number}/", {"tracking_no": ""})
    assert refused.status_code == 403
    client.force_login(w.clerk)
    detail = client.get(f"/workbench/packages/{application.number}/").content.decode()
    assert "统一出件" in detail and 'name="tracking_no"' in detail
    missing = client.post(f"/workbench/packages/{application.number}/", {"tracking_no": ""})
    assert missing.status_code == 422 and "快递单号" in missing.content.decode()
    done = client.post(f"/workbench/packages/{application.number}/", {"tracking_no": "SF123"})
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.COMPLETE and application.tracking_no == "SF123"
