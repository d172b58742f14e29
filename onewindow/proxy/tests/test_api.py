"""代办服务 API: the whole proxy case over HTTP, and every endpoint for every role
(agent of the case, agent of another village, town supervision, other district, clerk,
applicant, anonymous); a refused request changes nothing; junk is a 4xx problem."""

from __future__ import annotations

import pytest

from onewindow.cases.models import Case
from onewindow.cases.tests.conftest import png_bytes
from onewindow.proxy.models import ProxyConsent, ProxyStep
from onewindow.proxy.tests.conftest import PAPER, PENSION_FORM_DATA, VILLAGER_MOBILE, last_code
from onewindow.proxy.workflow import Stage

pytestmark = pytest.mark.django_db
API = "/api/v1/proxy"


def _as(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def test_a_proxy_case_over_the_api(client, pw):
    _as(client, pw.agent)
    resp = client.post(f"{API}/consents/sms", {"villager_id": pw.villager.pk,
                                               "mobile": VILLAGER_MOBILE},
                       content_type="application/json")
    assert resp.status_code == 201, resp.content
    pk = resp.json()["id"]
    assert resp.json()["stage"] == "pending" and resp.json()["villager"] == "李**"
    bad = client.post(f"{API}/cases/{pk}/consent", {"code": "abc"},
                      content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "code_wrong"
    ok = client.post(f"{API}/cases/{pk}/consent", {"code": last_code(VILLAGER_MOBILE)},
                     content_type="application/json")
    assert ok.status_code == 200 and ok.json()["stage"] == "consent"
    items = client.get(f"{API}/agent-items").json()
    assert [i["item"] for i in items if i["item"] == "V1-PENSION-01"]
    resp = client.post(f"{API}/cases/{pk}/apply", {
        "proxy_item_id": pw.lists["v1"].pk, "form": PENSION_FORM_DATA, "materials": PAPER,
    }, content_type="application/json")
    assert resp.status_code == 201, resp.content
    case_no = resp.json()["case_no"]
    assert Case.objects.get(case_no=case_no).applicant == pw.villager
    resp = client.post(f"{API}/cases/{pk}/steps", {"step": "collected"},
                       content_type="application/json")
    assert resp.status_code == 409 and resp.json()["code"] == "step_out_of_order"
    resp = client.post(f"{API}/cases/{pk}/steps", {"step": "delivered", "note": "已交窗口"},
                       content_type="application/json")
    assert resp.status_code == 201 and resp.json()["step_label"] == "材料递交服务中心"
    pw.decide(Case.objects.get(case_no=case_no))
    assert client.post(f"{API}/cases/{pk}/steps", {"step": "collected"},
                       content_type="application/json").status_code == 201
    assert client.post(f"{API}/cases/{pk}/handover-code").status_code == 201
    resp = client.post(f"{API}/cases/{pk}/handover", {"code": last_code(VILLAGER_MOBILE)},
                       content_type="application/json")
    assert resp.status_code == 201 and resp.json()["data"]["method"] == "sms"
    body = client.get(f"{API}/cases/{pk}").json()
    assert body["stage"] == "handed_over" and body["case_no"] == case_no
    assert [s["step"] for s in body["steps"]] == [
        "consent", "materials_received", "delivered", "collected", "handed_over"]
    listed = client.get(f"{API}/cases", {"stage": "handed_over"}).json()["items"]
    assert [r["id"] for r in listed] == [pk]


def test_every_endpoint_for_every_role(client, pw):
    consent = pw.applied()
    pending = pw.consent()  # consented, not applied yet
    pk = consent.pk
    json = "application/json"
    reads = {
        f"{API}/cases": {"agent": 200, "other_agent": 200, "town_supervisor": 200,
                         "other_supervisor": 200, "clerk": 403, "villager_user": 403,
                         None: 401},
        f"{API}/cases/{pk}": {"agent": 200, "other_agent": 404, "town_agent": 404,
                              "town_supervisor": 200, "district_supervisor": 200,
                              "other_supervisor": 404, "clerk": 403, "villager_user": 403,
                              None: 401},
        f"{API}/agent-items": {"agent": 200, "town_supervisor": 403, "clerk": 403, None: 401},
        f"{API}/items": {None: 200, "clerk": 200},
    }
    for url, expected in reads.items():
        for who, code in expected.items():
            resp = _as(client, getattr(pw, who) if who else None).get(url)
            assert resp.status_code == code, (url, who, resp.content)
    writes = [
        (f"{API}/cases/{pk}/steps", {"step": "delivered"}),
        (f"{API}/cases/{pk}/handover-code", None),
        (f"{API}/cases/{pk}/handover", {"code": "123456"}),
        (f"{API}/cases/{pending.pk}/apply", {"proxy_item_id": pw.lists["v1"].pk,
                                             "form": PENSION_FORM_DATA, "materials": PAPER}),
        (f"{API}/cases/{pending.pk}/cancel", {"reason": "x"}),
        (f"{API}/cases/{pending.pk}/consent", {"code": "123456"}),
        (f"{API}/consents/sms", {"villager_id": pw.villager.pk, "mobile": VILLAGER_MOBILE}),
        (f"{API}/consents/witness", {"villager_id": pw.villager.pk, "witness_name": "甲",
                                     "witness_relation": "邻居"}),
    ]
    refused = {"other_agent": 404, "town_agent": 404, "town_supervisor": 403,
               "district_supervisor": 403, "clerk": 403, "villager_user": 403, None: 401}
    before = (ProxyConsent.objects.count(), ProxyStep.objects.count(), Case.objects.count())
    for url, body in writes:
        for who, code in refused.items():
            if "/consents/" in url and code == 404:
                continue  # starting a new consent is every agent's right
            resp = _as(client, getattr(pw, who) if who else None).post(
                url, body or {}, content_type=json)
            assert resp.status_code == code, (url, who, resp.content)
    assert (ProxyConsent.objects.count(), ProxyStep.objects.count(),
            Case.objects.count()) == before
    consent.refresh_from_db()
    pending.refresh_from_db()
    assert consent.stage == Stage.MATERIALS_RECEIVED and pending.stage == Stage.CONSENT


def test_the_list_is_scoped_and_reads_a_fixed_number_of_queries(client, pw,
                                                                django_assert_max_num_queries):
    pw.applied()
    pw.consent(agent=pw.other_agent)
    _as(client, pw.town_supervisor)
    with django_assert_max_num_queries(8) as few:
        one = client.get(f"{API}/cases").json()["items"]
    for _i in range(3):
        pw.applied()
    with django_assert_max_num_queries(len(few.captured_queries)):
        many = client.get(f"{API}/cases").json()["items"]
    assert len(one) == 2 and len(many) == 5
    _as(client, pw.agent)
    assert {r["agent"] for r in client.get(f"{API}/cases").json()["items"]} == {"测试agent_v1"}
    _as(client, pw.other_supervisor)
    assert client.get(f"{API}/cases").json()["items"] == []


def test_paper_consent_and_signature_over_the_api(client, pw):
    _as(client, pw.agent)
    resp = client.post(f"{API}/consents/paper", {"villager_id": pw.villager.pk,
                                                 "file": _file(png_bytes())})
    assert resp.status_code == 201 and resp.json()["stage"] == "consent"
    resp = client.post(f"{API}/consents/paper", {"villager_id": pw.villager.pk,
                                                 "file": _file(b"not an image")})
    assert resp.status_code == 422 and "file" in resp.json()["errors"]
    consent = pw.applied()
    client.post(f"{API}/cases/{consent.pk}/steps", {"step": "delivered"},
                content_type="application/json")
    pw.decide(consent.case, approve=False)
    client.post(f"{API}/cases/{consent.pk}/steps", {"step": "collected"},
                content_type="application/json")
    resp = client.post(f"{API}/cases/{consent.pk}/handover/signature",
                       {"file": _file(png_bytes()), "note": "本人签收"})
    assert resp.status_code == 201 and resp.json()["note"] == "本人签收"


def test_junk_input_is_a_4xx_problem(client, pw):
    consent = pw.consent()
    _as(client, pw.agent)
    for url, body in [
        (f"{API}/consents/sms", {"villager_id": "x", "mobile": VILLAGER_MOBILE}),
        (f"{API}/consents/sms", {"villager_id": 999999, "mobile": VILLAGER_MOBILE}),
        (f"{API}/cases/{consent.pk}/apply", {"proxy_item_id": 1, "materials": "x"}),
        (f"{API}/cases/{consent.pk}/apply", {"proxy_item_id": 999999, "materials": []}),
        (f"{API}/cases/{consent.pk}/apply", {"proxy_item_id": pw.lists["v1"].pk,
                                             "materials": [{"name": "a", "copies": 100}]}),
        (f"{API}/cases/{consent.pk}/steps", {"step": "handed_over"}),
        (f"{API}/cases/999999/steps", {"step": "delivered"}),
    ]:
        resp = client.post(url, body, content_type="application/json")
        assert 400 <= resp.status_code < 500, (url, body, resp.status_code)
        assert resp.json()["message"]
    assert client.get(f"{API}/cases", {"stage": "nope"}).status_code == 422
    assert client.get(f"{API}/cases", {"limit": 0}).status_code == 422
    assert client.get(f"{API}/items", {"region": "000000000000"}).status_code == 404
    assert not Case.objects.exists()


def _file(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("photo.png", data, content_type="image/png")
