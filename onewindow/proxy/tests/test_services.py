"""A village agent's proxy case through the services: consent by SMS code, applying with the
paper materials, delivering, collecting, handing over — with the villager's SMS at each step;
codes that are wrong, expired or tried too often; steps out of order; no consent, no case."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import check_password

from onewindow.cases.models import Case, Channel
from onewindow.cases.workflow import CaseState
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.notifications.models import Notification
from onewindow.proxy import selectors, services
from onewindow.proxy.models import ConsentMethod, ProxyCode, ProxyConsent, ProxyStep
from onewindow.proxy.tests.conftest import (
    MORNING,
    PAPER,
    PENSION_FORM_DATA,
    VILLAGER_MOBILE,
    last_code,
    sms_to,
)
from onewindow.proxy.workflow import Stage, Step

pytestmark = pytest.mark.django_db


def test_proxy_case_end_to_end_with_an_sms_to_the_villager_at_every_step(pw):
    # 1. Consent: a code goes to the villager's registered mobile; the villager reads it out.
    consent = services.consent_send_code(actor=pw.agent, villager=pw.villager,
                                         mobile=VILLAGER_MOBILE)
    assert consent.stage == Stage.PENDING and consent.region == pw.regions["v1"]
    first = sms_to(VILLAGER_MOBILE)
    assert len(first) == 1 and "湖滨社区代办员" in first[0] and "同意委托" in first[0]
    code = last_code(VILLAGER_MOBILE)
    row = ProxyCode.objects.get(consent=consent)
    assert row.code_hash != code and check_password(code, row.code_hash)  # only a hash kept
    services.consent_confirm_code(actor=pw.agent, consent=consent, code=code)
    consent.refresh_from_db()
    assert consent.stage == Stage.CONSENT and consent.recorded_at == MORNING
    assert consent.method == ConsentMethod.SMS and consent.text_version
    assert "李**（证件号码 110105********002X）" in consent.text and "湖滨社区" in consent.text

    # 2. Applying: the villager is the case's applicant, the agent created it, channel agent.
    case = services.proxy_apply(actor=pw.agent, consent=consent, proxy_item=pw.lists["v1"],
                                form_data=dict(PENSION_FORM_DATA), materials=PAPER)
    consent.refresh_from_db()
    assert consent.case == case and consent.stage == Stage.MATERIALS_RECEIVED
    assert case.applicant == pw.villager and case.created_by == pw.agent
    assert case.channel == Channel.AGENT and case.state == CaseState.SUBMITTED
    assert case.region == pw.regions["v1"] and case.form_data["grade"] == "500元"
    received = ProxyStep.objects.get(consent=consent, step=Step.MATERIALS_RECEIVED)
    assert received.data["total"] == 4 and received.actor == pw.agent
    assert {"name": "银行卡复印件", "copies": 2} in received.data["materials"]
    assert consent.next_due == dt.date(2026, 11, 26)  # two working days
    texts = sms_to(VILLAGER_MOBILE)
    # The case's own SMS (submitted) and the proxy's (materials received, with the list).
    assert any("已提交" in t and case.case_no in t for t in texts)
    assert any("已收取您的纸质材料共4份" in t and "银行卡复印件2份" in t for t in texts)

    # 3. Delivered to the centre; the centre accepts and decides (the case's SMS as usual).
    services.proxy_step_record(actor=pw.agent, consent=consent, step=Step.DELIVERED,
                               note="交东湖区政务服务中心综合窗口")
    assert any("递交受理窗口" in t for t in sms_to(VILLAGER_MOBILE))
    case = pw.decide(case)
    assert case.state == CaseState.DECIDED
    assert any("已受理" in t for t in sms_to(VILLAGER_MOBILE))

    # 4. Collected, then handed over with the villager's confirmation code.
    services.proxy_step_record(actor=pw.agent, consent=consent, step=Step.COLLECTED)
    assert any("已领取您办件" in t for t in sms_to(VILLAGER_MOBILE))
    services.handover_code_send(actor=pw.agent, consent=consent)
    handover_code = last_code(VILLAGER_MOBILE)
    assert "确认收到后请把验证码" in sms_to(VILLAGER_MOBILE)[-1]
    services.proxy_hand_over(actor=pw.agent, consent=consent, method="sms", code=handover_code)
    consent.refresh_from_db()
    assert consent.stage == Stage.HANDED_OVER and consent.next_due is None
    assert any("已由代办员交到您手中" in t for t in sms_to(VILLAGER_MOBILE))

    steps = list(ProxyStep.objects.filter(consent=consent).order_by("seq"))
    assert [s.step for s in steps] == [Step.CONSENT, Step.MATERIALS_RECEIVED, Step.DELIVERED,
                                       Step.COLLECTED, Step.HANDED_OVER]
    assert [s.seq for s in steps] == [1, 2, 3, 4, 5]
    assert all(s.actor == pw.agent for s in steps)
    assert steps[-1].data["method"] == "sms" and steps[-1].data["mobile"] == "139****1088"
    # Every proxy step's SMS was written once (dedupe keys).
    proxy_sms = Notification.objects.filter(dedupe_key__startswith=f"proxy:{consent.pk}:",
                                            channel="sms")
    assert sorted(proxy_sms.values_list("dedupe_key", flat=True)) == sorted(
        f"proxy:{consent.pk}:{k}:sms" for k in ("materials", "delivered", "collected",
                                                 "handed_over"))


def test_a_wrong_code_is_refused_and_counted_then_locked_after_the_limit(pw):
    consent = services.consent_send_code(actor=pw.agent, villager=pw.villager,
                                         mobile=VILLAGER_MOBILE)
    good = last_code(VILLAGER_MOBILE)
    wrong = "000000" if good != "000000" else "111111"
    limit = settings.OTP_MAX_ATTEMPTS
    for i in range(limit):
        with pytest.raises(ValidationFailed) as exc:
            services.consent_confirm_code(actor=pw.agent, consent=consent, code=wrong)
        assert exc.value.code == "code_wrong" and "code" in exc.value.field_errors
        assert ProxyCode.objects.get(consent=consent).attempts == i + 1  # committed
    # After the limit even the right code is refused; a new code is needed.
    with pytest.raises(ValidationFailed) as exc:
        services.consent_confirm_code(actor=pw.agent, consent=consent, code=good)
    assert exc.value.code == "code_locked"
    consent.refresh_from_db()
    assert consent.stage == Stage.PENDING and consent.recorded_at is None
    assert not ProxyStep.objects.filter(consent=consent).exists()


def test_the_first_wrong_code_says_how_many_tries_are_left(pw):
    consent = services.consent_send_code(actor=pw.agent, villager=pw.villager,
                                         mobile=VILLAGER_MOBILE)
    good = last_code(VILLAGER_MOBILE)
    with pytest.raises(ValidationFailed) as exc:
        services.consent_confirm_code(actor=pw.agent, consent=consent,
                                      code=str((int(good) + 1) % 1_000_000).zfill(6))
    assert exc.value.field_errors["code"] == [
        f"验证码不正确，还可以再试 {settings.OTP_MAX_ATTEMPTS - 1} 次。"]
    services.consent_confirm_code(actor=pw.agent, consent=consent, code=f" {good[:3]} {good[3:]}")
    consent.refresh_from_db()
    assert consent.stage == Stage.CONSENT


def test_an_expired_code_is_refused_and_a_resent_one_works(pw):
    consent = services.consent_send_code(actor=pw.agent, villager=pw.villager,
                                         mobile=VILLAGER_MOBILE)
    old = last_code(VILLAGER_MOBILE)
    # Resending at once is refused (the villager's phone is not a toy).
    with pytest.raises(ValidationFailed) as exc:
        services.consent_send_code(actor=pw.agent, villager=None, mobile=VILLAGER_MOBILE,
                                   consent=consent)
    assert exc.value.code == "code_too_soon"
    later = MORNING + dt.timedelta(seconds=settings.OTP_TTL_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        with pytest.raises(ValidationFailed) as exc:
            services.consent_confirm_code(actor=pw.agent, consent=consent, code=old)
        assert exc.value.code == "code_expired"
        services.consent_send_code(actor=pw.agent, villager=None, mobile=VILLAGER_MOBILE,
                                   consent=consent)
        new = last_code(VILLAGER_MOBILE)
        assert ProxyCode.objects.filter(consent=consent).count() == 2
        services.consent_confirm_code(actor=pw.agent, consent=consent, code=new)
    consent.refresh_from_db()
    assert consent.stage == Stage.CONSENT
    # A used code cannot be used again.
    with pytest.raises(Conflict):
        services.consent_confirm_code(actor=pw.agent, consent=consent, code=new)


def test_the_code_goes_only_to_the_villagers_registered_mobile(pw):
    with pytest.raises(ValidationFailed) as exc:
        services.consent_send_code(actor=pw.agent, villager=pw.villager, mobile="13800000000")
    assert exc.value.code == "mobile_mismatch" and "139****1088" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        services.consent_send_code(actor=pw.agent, villager=pw.villager, mobile="12345")
    assert "mobile" in exc.value.field_errors
    assert not ProxyConsent.objects.exists() and sms_to("13800000000") == []


def test_a_case_without_consent_is_refused(pw):
    consent = services.consent_send_code(actor=pw.agent, villager=pw.villager,
                                         mobile=VILLAGER_MOBILE)
    with pytest.raises(Conflict) as exc:
        services.proxy_apply(actor=pw.agent, consent=consent, proxy_item=pw.lists["v1"],
                             form_data=dict(PENSION_FORM_DATA), materials=PAPER)
    assert exc.value.code == "consent_missing"
    assert not Case.objects.exists()
    consent.refresh_from_db()
    assert consent.case is None and consent.stage == Stage.PENDING


def test_a_lapsed_consent_is_refused(pw):
    consent = pw.consent()
    with time_machine.travel(MORNING + dt.timedelta(days=31), tick=False):
        with pytest.raises(Conflict) as exc:
            services.proxy_apply(actor=pw.agent, consent=consent, proxy_item=pw.lists["v1"],
                                 form_data=dict(PENSION_FORM_DATA), materials=PAPER)
    assert exc.value.code == "consent_lapsed" and not Case.objects.exists()


def test_consent_by_signed_paper_form_and_by_witness(pw):
    from onewindow.cases.tests.conftest import png_bytes

    paper = services.consent_record_paper(actor=pw.agent, villager=pw.villager,
                                          upload=services.Upload("委托书.png", png_bytes()))
    assert paper.stage == Stage.CONSENT and paper.file and paper.file_type == "image/png"
    assert len(paper.file_sha256) == 64
    with pytest.raises(ValidationFailed) as exc:
        services.consent_record_paper(actor=pw.agent, villager=pw.villager,
                                      upload=services.Upload("blank.png", png_bytes(blank=True)))
    assert "file" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        services.consent_record_witness(actor=pw.agent, villager=pw.villager, witness_name="",
                                        witness_relation="")
    assert set(exc.value.field_errors) == {"witness_name", "witness_relation"}
    witness = services.consent_record_witness(actor=pw.agent, villager=pw.villager,
                                              witness_name="王村委", witness_relation="村委会委员")
    assert witness.stage == Stage.CONSENT
    step = ProxyStep.objects.get(consent=witness)
    assert step.data["witness"] == "王村委" and step.data["method"] == "witness"
    assert ProxyConsent.objects.filter(stage=Stage.CONSENT).count() == 2


def test_steps_are_recorded_in_order_only(pw):
    consent = pw.consent()
    with pytest.raises(Conflict) as exc:
        services.proxy_step_record(actor=pw.agent, consent=consent, step=Step.DELIVERED)
    assert exc.value.code == "step_out_of_order"
    assert "请先完成“收取纸质材料并提交申请”" in exc.value.message
    consent = pw.applied()
    with pytest.raises(Conflict) as exc:  # nothing to collect before the materials went in
        services.proxy_step_record(actor=pw.agent, consent=consent, step=Step.COLLECTED)
    assert exc.value.code == "step_out_of_order"
    with pytest.raises(Conflict):  # no hand-over before the result was collected
        services.handover_code_send(actor=pw.agent, consent=consent)
    with pytest.raises(Conflict):
        services.proxy_hand_over(actor=pw.agent, consent=consent, method="sms", code="123456")
    services.proxy_step_record(actor=pw.agent, consent=consent, step=Step.DELIVERED)
    with pytest.raises(Conflict) as exc:  # twice
        services.proxy_step_record(actor=pw.agent, consent=consent, step=Step.DELIVERED)
    assert exc.value.code == "step_done"
    # Collecting needs a result: the case is still waiting for the window.
    with pytest.raises(Conflict) as exc:
        services.proxy_step_record(actor=pw.agent, consent=consent, step=Step.COLLECTED)
    assert exc.value.code == "no_result_yet" and "待受理" in exc.value.message
    with pytest.raises(ValidationFailed):
        services.proxy_step_record(actor=pw.agent, consent=consent, step=Step.HANDED_OVER)
    assert [s.step for s in ProxyStep.objects.filter(consent=consent).order_by("seq")] == [
        Step.CONSENT, Step.MATERIALS_RECEIVED, Step.DELIVERED]


def test_a_refused_case_can_be_collected_and_handed_over_by_signature(pw):
    from onewindow.cases import services as case_services
    from onewindow.cases.tests.conftest import png_bytes

    consent = pw.applied()
    services.proxy_step_record(actor=pw.agent, consent=consent, step=Step.DELIVERED)
    case_services.case_refuse(actor=pw.clerk, case=consent.case, reason="已参加职工养老保险",
                              refer_to="")
    services.proxy_step_record(actor=pw.agent, consent=consent, step=Step.COLLECTED,
                               note="领取不予受理通知书及退回材料")
    with pytest.raises(ValidationFailed) as exc:
        services.proxy_hand_over(actor=pw.agent, consent=consent, method="signature")
    assert "file" in exc.value.field_errors
    row = services.proxy_hand_over(actor=pw.agent, consent=consent, method="signature",
                                   upload=services.Upload("回执.png", png_bytes()))
    assert row.file and row.data == {"method": "signature"}
    consent.refresh_from_db()
    assert consent.stage == Stage.HANDED_OVER


def test_the_paper_materials_must_include_the_required_ones(pw):
    consent = pw.consent()
    with pytest.raises(ValidationFailed) as exc:
        services.proxy_apply(actor=pw.agent, consent=consent, proxy_item=pw.lists["v1"],
                             form_data=dict(PENSION_FORM_DATA),
                             materials=[{"name": "居民身份证", "copies": 1}])
    assert exc.value.code == "materials_missing" and "户口簿" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        services.proxy_apply(actor=pw.agent, consent=consent, proxy_item=pw.lists["v1"],
                             form_data=dict(PENSION_FORM_DATA),
                             materials=[{"name": "居民身份证", "copies": "x"},
                                        {"name": "", "copies": 1},
                                        {"name": "户口簿", "copies": 500}])
    assert set(exc.value.field_errors) == {"materials.0.copies", "materials.1.name",
                                           "materials.2.copies"}
    # A bad form is refused field by field, and nothing is created.
    with pytest.raises(ValidationFailed) as exc:
        services.proxy_apply(actor=pw.agent, consent=consent, proxy_item=pw.lists["v1"],
                             form_data={**PENSION_FORM_DATA, "id_number": "123"},
                             materials=PAPER)
    assert "form.id_number" in exc.value.field_errors
    assert not Case.objects.exists()
    consent.refresh_from_db()
    assert consent.stage == Stage.CONSENT


def test_only_items_of_the_agents_published_lists(pw):
    from onewindow.proxy.models import ProxyItem

    consent = pw.consent()
    # Unpublished, or on the list of another village: not found, nothing created.
    v2_list = ProxyItem.objects.create(item=pw.district_item, region=pw.v2, published=True)
    for row in (pw.lists["t1_draft"], v2_list):
        with pytest.raises(NotFound):
            services.proxy_apply(actor=pw.agent, consent=consent, proxy_item=row,
                                 form_data={}, materials=PAPER)
    assert not Case.objects.exists()
    names = [p.item.implementation_code for p in
             selectors.items_for_agent(pw.agent, pw.regions["v1"])]
    assert "V1-PENSION-01" in names and "D2-FOOD-01" not in names


def test_a_village_agent_applies_for_a_district_item_the_case_belongs_to_the_district(pw):
    consent = pw.consent()
    case = services.proxy_apply(actor=pw.agent, consent=consent, proxy_item=pw.lists["d1"],
                                form_data={"shop_name": "湖滨小卖部", "category": "预包装食品"},
                                materials=[{"name": "营业执照", "copies": 1}])
    assert case.region == pw.regions["d1"] and case.department == pw.district_item.department
    consent.refresh_from_db()
    assert consent.region == pw.regions["v1"] and consent.case == case


def test_another_agent_cannot_touch_the_case(pw):
    consent = pw.applied()
    for other in (pw.other_agent, pw.town_agent, pw.town_supervisor, pw.clerk):
        with pytest.raises(NotFound):
            services.proxy_step_record(actor=other, consent=consent, step=Step.DELIVERED)
        with pytest.raises(NotFound):
            services.consent_cancel(actor=other, consent=consent)
    consent.refresh_from_db()
    assert consent.stage == Stage.MATERIALS_RECEIVED
    # Someone who is not an agent cannot start one.
    with pytest.raises(PermissionDenied):
        services.consent_record_witness(actor=pw.clerk, villager=pw.villager,
                                        witness_name="甲", witness_relation="乙")


def test_cancel_only_before_applying(pw):
    consent = pw.consent()
    services.consent_cancel(actor=pw.agent, consent=consent, reason="群众改为本人办理")
    consent.refresh_from_db()
    assert consent.stage == Stage.CANCELLED and consent.cancel_reason == "群众改为本人办理"
    with pytest.raises(Conflict) as exc:
        services.proxy_apply(actor=pw.agent, consent=consent, proxy_item=pw.lists["v1"],
                             form_data=dict(PENSION_FORM_DATA), materials=PAPER)
    assert exc.value.code == "proxy_cancelled"
    applied = pw.applied()
    with pytest.raises(Conflict) as exc:
        services.consent_cancel(actor=pw.agent, consent=applied)
    assert exc.value.code == "not_cancellable"


def test_proxy_item_lists_take_only_items_of_the_level_or_above(pw):
    with pytest.raises(ValidationFailed) as exc:
        services.proxy_item_save(actor=pw.district_admin, item=pw.village_item,
                                 region=pw.regions["t1"])
    assert "item" in exc.value.field_errors
    with pytest.raises(PermissionDenied):
        services.proxy_item_save(actor=pw.district_admin, item=pw.other_district_item,
                                 region=pw.regions["d2"])
    row = services.proxy_item_save(actor=pw.district_admin, item=pw.district_item,
                                   region=pw.v2, note="")
    assert not row.published
    services.proxy_item_publish(actor=pw.district_admin, row=row)
    row.refresh_from_db()
    assert row.published and row.published_at == MORNING
    with pytest.raises(PermissionDenied):
        services.proxy_item_publish(actor=pw.agent, row=row, published=False)
