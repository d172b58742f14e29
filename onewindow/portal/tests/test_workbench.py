from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_workbench_requires_sign_in(client):
    response = client.get("/workbench/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_applicant_without_staff_role_is_refused(client):
    from onewindow.accounts.models import User

    client.force_login(User.objects.create_user(username="m1", phone="13900000001"))
    response = client.get("/workbench/")
    assert response.status_code == 403


@pytest.mark.django_db
def test_links_follow_the_roles(client, regions, departments, make_staff):
    client.force_login(make_staff("admin", regions["city"]))
    body = client.get("/workbench/").content.decode()
    assert "区划与机构" in body and "人员与角色" in body and "事项导入导出" in body
    client.force_login(make_staff("clerk", regions["d1"]))
    body = client.get("/workbench/").content.decode()
    assert "区划与机构" not in body and "事项导入导出" not in body
    assert "窗口受理人员" in body
    client.force_login(make_staff("dept_head", regions["city"], departments["city_market"]))
    body = client.get("/workbench/").content.decode()
    assert "首席代表授权" in body and "人员与角色" not in body
