"""The agent's pages and the public list: every page for every role (agent of the case, agent
of another village, town agent, town / district / other district supervision, clerk, applicant,
anonymous); the new-application journey over HTTP; refused requests change nothing."""

from __future__ import annotations

import pytest

from onewindow.cases.models import Case
from onewindow.cases.tests.conftest import png_bytes
from onewindow.proxy import services
from onewindow.proxy.models import ProxyConsent, ProxyStep
from onewindow.proxy.tests.conftest import PENSION_FORM_DATA, VILLAGER_MOBILE, last_code
from onewindow.proxy.workflow import Stage, Step

pytestmark = pytest.mark.django_db


def _status(client, user, url, method="get", data=None):
    client.logout()
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(url, data or {}).status_code


def test_list_and_new_pages_for_every_role(client, pw):
    consent = pw.applied()
    matrix = {
        "/workbench/proxy/": {
            "agent": 200, "other_agent": 200, "town_agent": 200, "town_supervisor": 200,
            "district_supervisor": 200, "other_supervisor": 200, "clerk": 403,
            "villager_user": 403, None: 302},
        "/workbench/proxy/new/": {
            "agent": 200, "other_agent": 200, "town_agent": 200, "town_supervisor": 403,
            "district_supervisor": 403, "clerk": 403, "villager_user": 403, None: 302},
        f"/workbench/proxy/{consent.pk}/": {
            "agent": 200, "other_agent": 404, "town_agent": 404, "town_supervisor": 200,
            "district_supervisor": 200, "other_supervisor": 404, "clerk": 403,
            "villager_user": 403, None: 302},
        f"/workbench/proxy/{consent.pk}/apply/": {
            "agent": 302, "other_agent": 404, "town_supervisor": 403, "clerk": 403,
            "villager_user": 403, None: 302},
        f"/workbench/proxy/{consent.pk}/consent/": {
            "agent": 302, "other_agent": 404, "district_supervisor": 403, "clerk": 403,
            None: 302},
    }
    for url, expected in matrix.items():
        for who, code in expected.items():
            user = getattr(pw, who) if who else None
            assert _status(client, user, url) == code, (url, who)


def test_the_list_shows_own_cases_to_the_agent_and_all_beneath_to_supervision(client, pw):
    mine = pw.applied()
    other = pw.consent(agent=pw.other_agent)  # the neighbouring village's agent
    client.force_login(pw.agent)
    page = client.get("/workbench/proxy/").content.decode()
    assert "城乡居民基本养老保险参保登记" in page and mine.case.case_no in page
    assert f"/workbench/proxy/{other.pk}/" not in page
    assert "李**" in page and "139****1088" in page and VILLAGER_MOBILE not in page
    assert "把纸质材料递交服务中心" in page
    client.force_login(pw.other_agent)
    page = client.get("/workbench/proxy/").content.decode()
    assert f"/workbench/proxy/{other.pk}/" in page and f"/workbench/proxy/{mine.pk}/" not in page
    client.force_login(pw.town_supervisor)
    page = client.get("/workbench/proxy/").content.decode()
    assert f"/workbench/proxy/{other.pk}/" in page and f"/workbench/proxy/{mine.pk}/" in page
    client.force_login(pw.other_supervisor)
    page = client.get("/workbench/proxy/").content.decode()
    assert "/workbench/proxy/1" not in page and "没有未完成的代办" in page
    assert client.get("/workbench/proxy/?stage=nonsense").status_code == 200


def test_supervision_reads_but_cannot_record_steps(client, pw):
    consent = pw.applied()
    client.force_login(pw.town_supervisor)
    page = client.get(f"/workbench/proxy/{consent.pk}/").content.decode()
    assert "代办记录" in page and 'value="delivered"' not in page
    assert client.post(f"/workbench/proxy/{consent.pk}/",
                       {"action": "delivered"}).status_code == 404
    client.force_login(pw.other_agent)
    assert client.post(f"/workbench/proxy/{consent.pk}/",
                       {"action": "delivered"}).status_code == 404
    consent.refresh_from_db()
    assert consent.stage == Stage.MATERIALS_RECEIVED
    assert not ProxyStep.objects.filter(consent=consent, step=Step.DELIVERED).exists()


def test_new_application_over_http_find_consent_pick_fill_submit(client, pw):
    client.force_login(pw.agent)
    # Find the villager by ID number (masked in the result).
    page = client.get("/workbench/proxy/new/", {"q": pw.villager.id_number.lower()})
    text = page.content.decode()
    assert "李**" in text and f"?villager={pw.villager.pk}" in text
    # Unknown number: register (the ID number is checked by its check digit).
    bad = client.post("/workbench/proxy/new/?q=11010519491231003X", {
        "action": "register", "name": "王大爷", "id_number": "11010519491231003X",
        "mobile": "13905391099"})
    assert bad.status_code == 422 and "校验" in bad.content.decode()
    # SMS consent: the wrong mobile is refused beside the field; the right one sends a code.
    url = f"/workbench/proxy/new/?villager={pw.villager.pk}"
    page = client.post(url, {"action": "sms", "mobile": "13800000000"})
    assert page.status_code == 422 and "不一致" in page.content.decode()
    resp = client.post(url, {"action": "sms", "mobile": VILLAGER_MOBILE})
    consent = ProxyConsent.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/workbench/proxy/{consent.pk}/consent/"
    page = client.post(resp["Location"], {"code": "12345"})
    assert page.status_code == 422 and "验证码不正确" in page.content.decode()
    resp = client.post(f"/workbench/proxy/{consent.pk}/consent/",
                       {"code": last_code(VILLAGER_MOBILE)})
    assert resp["Location"] == f"/workbench/proxy/{consent.pk}/apply/"
    # The list of items: the village's own and the district's (not the unpublished draft).
    page = client.get(resp["Location"]).content.decode()
    assert "城乡居民基本养老保险参保登记" in page and f"?item={pw.lists['t1_draft'].pk}" not in page
    form_url = f"/workbench/proxy/{consent.pk}/apply/?item={pw.lists['v1'].pk}"
    page = client.get(form_url).content.decode()
    assert 'value="李桂兰"' in page  # prefilled from the villager
    data = {**PENSION_FORM_DATA, "grade": "", "extra_name_0": "结婚证", "extra_copies_0": "1"}
    mats = {m.name: m.pk for m in pw.village_item.current_version.materials.all()}
    data.update({f"copies_{mats['居民身份证']}": "1", f"copies_{mats['户口簿']}": "0",
                 f"copies_{mats['银行卡复印件']}": "2"})
    page = client.post(form_url, data)
    assert page.status_code == 422 and "户口簿" in page.content.decode()
    assert not Case.objects.exists()
    data.update({"grade": "1000元", f"copies_{mats['户口簿']}": "1"})
    resp = client.post(form_url, data)
    assert resp.status_code == 302 and resp["Location"] == f"/workbench/proxy/{consent.pk}/"
    consent.refresh_from_db()
    case = consent.case
    assert case.applicant == pw.villager and case.form_data["grade"] == "1000元"
    received = consent.steps.get(step=Step.MATERIALS_RECEIVED)
    assert {"name": "结婚证", "copies": 1} in received.data["materials"]
    page = client.get(resp["Location"]).content.decode()
    assert case.case_no in page and "材料已递交服务中心" in page


def test_steps_over_http_and_the_receipt_file(client, pw):
    consent = pw.applied()
    client.force_login(pw.agent)
    url = f"/workbench/proxy/{consent.pk}/"
    page = client.post(url, {"action": "collected"})
    assert page.status_code == 409 and "请先完成" in page.content.decode()
    assert client.post(url, {"action": "delivered", "note": "交综合窗口"}).status_code == 302
    page = client.get(url).content.decode()
    assert "等待审批" in page or "办件正在办理" in page
    pw.decide(consent.case)
    assert client.post(url, {"action": "collected"}).status_code == 302
    page = client.post(url, {"action": "handover_sms", "code": "000000"})
    assert page.status_code == 422 and "请先发送验证码" in page.content.decode()
    client.post(url, {"action": "handover_signature",
                      "file": _file("回执.png", png_bytes())})
    consent.refresh_from_db()
    assert consent.stage == Stage.HANDED_OVER
    assert client.get(f"{url}files/step-5/").status_code == 200
    assert "代办完成" in client.get(url).content.decode()
    for who in (pw.other_agent, pw.other_supervisor):
        client.force_login(who)
        assert client.get(f"{url}files/step-5/").status_code == 404
    client.force_login(pw.clerk)
    assert client.get(f"{url}files/step-5/").status_code == 403
    client.force_login(pw.town_supervisor)
    assert client.get(f"{url}files/step-5/").status_code == 200
    assert client.get(f"{url}files/consent/").status_code == 404  # SMS consent: no file


def test_paper_consent_over_http(client, pw):
    client.force_login(pw.agent)
    url = f"/workbench/proxy/new/?villager={pw.villager.pk}"
    page = client.post(url, {"action": "paper"})
    assert page.status_code == 422 and "请拍照上传" in page.content.decode()
    resp = client.post(url, {"action": "paper", "file": _file("委托书.png", png_bytes())})
    consent = ProxyConsent.objects.get()
    assert resp["Location"] == f"/workbench/proxy/{consent.pk}/apply/"
    assert client.get(f"/workbench/proxy/{consent.pk}/files/consent/").status_code == 200
    client.force_login(pw.other_agent)
    assert client.get(f"/workbench/proxy/{consent.pk}/files/consent/").status_code == 404


def test_public_list_per_region_and_search(client, pw):
    page = client.get("/proxy/items/")
    text = page.content.decode()
    assert page.status_code == 200 and "全程代办事项清单" in text
    assert "城乡居民基本养老保险参保登记" in text and "需本人到场一次" in text
    assert text.count("食品经营许可") == 1  # the unpublished town copy is not shown
    text = client.get("/proxy/items/", {"region": pw.v2.code}).content.decode()
    assert "城乡居民基本养老保险参保登记" not in text and "食品经营许可" in text  # d1's list
    text = client.get("/proxy/items/", {"region": pw.regions["v1"].code, "q": "养老"}
                      ).content.decode()
    assert "城乡居民基本养老保险参保登记" in text and "食品经营许可" not in text
    assert client.get("/proxy/items/", {"region": "x" * 40, "q": "\x00" * 3}).status_code == 200


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


def test_cancelling_a_pending_consent_over_http(client, pw):
    consent = services.consent_send_code(actor=pw.agent, villager=pw.villager,
                                         mobile=VILLAGER_MOBILE)
    client.force_login(pw.other_agent)
    assert client.post(f"/workbench/proxy/{consent.pk}/consent/",
                       {"action": "cancel"}).status_code == 404
    client.force_login(pw.agent)
    resp = client.post(f"/workbench/proxy/{consent.pk}/consent/",
                       {"action": "cancel", "reason": "本人来办"})
    assert resp.status_code == 302
    consent.refresh_from_db()
    assert consent.stage == Stage.CANCELLED


def test_pages_do_not_crash_on_junk(client, pw):
    consent = pw.applied()
    client.force_login(pw.agent)
    for url in ("/workbench/proxy/new/?villager=999999", "/workbench/proxy/999999/",
                f"/workbench/proxy/{consent.pk}/files/other/"):
        assert client.get(url).status_code == 404
    assert client.get("/workbench/proxy/new/?q=" + "1" * 30).status_code == 200
    assert client.post(f"/workbench/proxy/{consent.pk}/", {"action": "x"}).status_code == 404
    assert client.post(f"/workbench/proxy/{consent.pk}/",
                       {"action": "delivered", "note": "长" * 600}).status_code == 422
