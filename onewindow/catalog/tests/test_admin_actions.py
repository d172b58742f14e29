"""Admin screens that write through services: publish drafts, issue and revoke authorisations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onewindow.catalog.models import Authorisation, VersionStatus
from onewindow.catalog.tests.test_services import make_item

pytestmark = pytest.mark.django_db


def _staff(make_staff, *args):
    user = make_staff(*args)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_admin_publishes_a_draft_with_an_effective_date(client, regions, departments, make_staff):
    item = make_item(departments, "IMPL-P1", publish=False)
    draft = item.versions.get()
    url = "/admin/catalog/itemversion/"
    # A clerk cannot publish: the service refuses and nothing changes.
    client.force_login(_staff(make_staff, "clerk", regions["city"]))
    client.post(url, {"action": "publish_drafts", "_selected_action": [draft.pk], "apply": "1",
                      "effective_from": timezone.localdate().isoformat()})
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    client.force_login(_staff(make_staff, "admin", regions["city"]))
    page = client.post(url, {"action": "publish_drafts", "_selected_action": [draft.pk]})
    assert "生效日期" in page.content.decode()  # asks only for the date
    past = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    bad = client.post(url, {"action": "publish_drafts", "_selected_action": [draft.pk],
                            "apply": "1", "effective_from": past})
    assert "不能早于今天" in bad.content.decode()
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    client.post(url, {"action": "publish_drafts", "_selected_action": [draft.pk], "apply": "1",
                      "effective_from": timezone.localdate().isoformat()})
    draft.refresh_from_db()
    item.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED and item.current_version_id == draft.pk


def test_department_head_issues_and_revokes_an_authorisation(
    client, regions, departments, make_staff
):
    item = make_item(departments, "IMPL-A1", dep="d1_market")
    chief = make_staff("chief", regions["d1"], departments["d1_market"])
    head = _staff(make_staff, "dept_head", regions["d1"], departments["d1_market"])
    client.force_login(head)
    url = "/admin/catalog/authorisation/issue/"
    form = client.get(url).content.decode()
    assert "东湖区市场监督管理局" in form and "西岭区市场监督管理局" not in form
    today = timezone.localdate()
    data = {
        "number": "DH-2026-001", "department": departments["d1_market"].pk, "holder": chief.pk,
        "items": [item.pk], "valid_from": today.isoformat(),
        "valid_to": (today - dt.timedelta(days=1)).isoformat(),
    }
    bad = client.post(url, data)
    assert "截止日期不得早于生效日期" in bad.content.decode()
    assert Authorisation.objects.count() == 0
    data["valid_to"] = (today + dt.timedelta(days=30)).isoformat()
    assert client.post(url, data).status_code == 302
    auth = Authorisation.objects.get()
    assert auth.issued_by == head and list(auth.items.all()) == [item]
    # Listed publicly while valid.
    assert "DH-2026-001" in client.get("/chief-representatives/").content.decode()
    changelist = "/admin/catalog/authorisation/"
    ask = client.post(changelist, {"action": "revoke_authorisations",
                                   "_selected_action": [auth.pk]})
    assert "撤销原因" in ask.content.decode()
    client.post(changelist, {"action": "revoke_authorisations", "_selected_action": [auth.pk],
                             "apply": "1", "reason": "人员调整"})
    auth.refresh_from_db()
    assert auth.revoked_at is not None and auth.revoke_reason == "人员调整"
    client.get("/workbench/")  # the admin's flash message is shown (and consumed) here
    assert "DH-2026-001" not in client.get("/chief-representatives/").content.decode()


def test_head_of_another_department_cannot_issue(client, regions, departments, make_staff):
    item = make_item(departments, "IMPL-A2", dep="d1_market")
    chief = make_staff("chief", regions["d1"], departments["d1_market"])
    other_head = _staff(make_staff, "dept_head", regions["d2"], departments["d2_market"])
    client.force_login(other_head)
    today = timezone.localdate()
    response = client.post("/admin/catalog/authorisation/issue/", {
        "number": "X-1", "department": departments["d1_market"].pk, "holder": chief.pk,
        "items": [item.pk], "valid_from": today.isoformat(),
        "valid_to": (today + dt.timedelta(days=3)).isoformat(),
    })
    assert response.status_code == 200  # the department is not a valid choice
    assert Authorisation.objects.count() == 0
    client.force_login(_staff(make_staff, "clerk", regions["d1"]))
    assert client.get("/admin/catalog/authorisation/issue/").status_code == 403


def test_new_implementation_is_copied_from_another_level_as_a_draft(
    client, regions, departments, make_staff
):
    source = make_item(departments, "IMPL-S1", dep="d1_market")
    client.force_login(_staff(make_staff, "dept_head", regions["d2"], departments["d2_market"]))
    url = "/admin/catalog/serviceitem/new/"
    page = client.get(url).content.decode()
    assert "西岭区市场监督管理局" in page and "东湖区市场监督管理局" not in page
    bad = client.post(url, {"source": source.pk, "department": departments["d2_market"].pk,
                            "implementation_code": "IMPL-S1"})
    assert "实施编码已被使用" in bad.content.decode()
    response = client.post(url, {"source": source.pk, "department": departments["d2_market"].pk,
                                 "implementation_code": "IMPL-S2"})
    assert response.status_code == 302
    from onewindow.catalog.models import ServiceItem

    copy = ServiceItem.objects.get(implementation_code="IMPL-S2")
    assert copy.basic_id == source.basic_id and copy.region == regions["d2"]
    draft = copy.versions.get()
    assert draft.status == VersionStatus.DRAFT
    assert [m.name for m in draft.materials.all()] == [
        m.name for m in source.current_version.materials.all()
    ]
