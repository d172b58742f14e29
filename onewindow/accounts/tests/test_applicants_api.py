"""Applicant registration through the API: permission matrix and field-by-field errors."""

from __future__ import annotations

import json

import pytest

from onewindow.accounts.models import Applicant, User
from onewindow.core.identity import make_credit_code

URL = "/api/v1/accounts/applicants"


def _payload(**over):
    body = {
        "kind": "person", "name": "王建国", "mobile": "13905391001",
        "id_number": "11010519491231002X", "region_code": "379902000000",
    }
    body.update(over)
    return body


def _post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_permission_matrix_for_registering_applicants(client, regions, make_staff):
    # anonymous
    assert _post(client, _payload()).status_code == 401
    # applicant (no staff role)
    applicant_user = User.objects.create_user(username="m1", phone="13900000001")
    client.force_login(applicant_user)
    assert _post(client, _payload()).status_code == 403
    # staff of another scope (clerk in 西岭区 registering at 东湖区)
    client.force_login(make_staff("clerk", regions["d2"]))
    assert _post(client, _payload()).status_code == 403
    # staff in scope without the role (reviewer-like: operator)
    client.force_login(make_staff("operator", regions["city"]))
    assert _post(client, _payload()).status_code == 403
    assert Applicant.objects.count() == 0  # denied requests changed nothing
    # staff with the role, in scope
    client.force_login(make_staff("clerk", regions["d1"]))
    response = _post(client, _payload())
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["identity"] == "110105********002X"  # masked in the response
    assert data["name"] == "王**"


@pytest.mark.django_db
def test_bad_fields_are_reported_one_by_one_in_chinese(client, regions, make_staff):
    client.force_login(make_staff("clerk", regions["city"]))
    response = _post(client, _payload(id_number="110105194912310021", mobile="12345", name=""))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "校验码" in errors["id_number"][0]
    assert "手机号码" in errors["mobile"][0]
    assert "姓名" in errors["name"][0]
    assert Applicant.objects.count() == 0


@pytest.mark.django_db
def test_organisation_with_letter_prefixed_credit_code_registers(client, regions, make_staff):
    client.force_login(make_staff("agent", regions["v1"]))
    code = make_credit_code("N2379902MA3E5F6G7")
    response = _post(client, _payload(
        kind="organisation", name="湖滨农机专业合作社", credit_code=code, id_number="",
        legal_representative="张伟", region_code="379902001001",
    ))
    assert response.status_code == 201, response.content
    assert Applicant.objects.get().credit_code == code


@pytest.mark.django_db
def test_registering_the_same_person_twice_is_a_conflict(client, regions, make_staff):
    client.force_login(make_staff("clerk", regions["city"]))
    assert _post(client, _payload()).status_code == 201
    again = _post(client, _payload())
    assert again.status_code == 409
    assert "已登记" in again.json()["message"]


@pytest.mark.django_db
def test_malformed_json_and_missing_fields_are_422_not_500(client, regions, make_staff):
    client.force_login(make_staff("clerk", regions["city"]))
    response = client.post(URL, data="{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    response = _post(client, {"kind": "person"})
    assert response.status_code == 422
    assert response.json()["errors"]["name"] == ["此项为必填项。"]
