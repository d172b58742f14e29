"""Rules of the procedure, one by one, through the services."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from onewindow.accounts.models import Applicant, ApplicantKind, Role, User
from onewindow.cases import selectors, services
from onewindow.cases.models import (
    CaseMaterialStatus,
    Channel,
    DeliveryMethod,
    MaterialOrigin,
    NoticeKind,
)
from onewindow.cases.services import Upload
from onewindow.cases.tests.conftest import pdf_bytes, png_bytes
from onewindow.cases.workflow import CaseState, Decision, TaskState
from onewindow.catalog import services as catalog_services
from onewindow.catalog.tests.test_services import basic_data, make_item
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def snapshot(case):
    case.refresh_from_db()
    return (case.state, case.row_version, case.event_count, case.head_hash)


# --- the transition table, as the services apply it ---------------------------------------------


def test_actions_outside_the_table_are_refused_and_change_nothing(world):
    draft = world.new_case(submit=False)
    before = snapshot(draft)
    with pytest.raises(Conflict) as err:
        services.case_accept(actor=world.clerk, case=draft)
    assert "草稿" in err.value.message
    with pytest.raises(Conflict):
        services.case_deliver(actor=world.clerk, case=draft, method="electronic")
    assert snapshot(draft) == before


def test_a_stale_row_version_is_a_conflict(world):
    case = world.new_case()
    world.verify_all(case)
    with pytest.raises(Conflict) as err:
        services.case_accept(actor=world.clerk, case=case, expected_version=case.row_version - 1)
    assert err.value.code == "stale_version"


def test_a_case_keeps_the_catalogue_version_it_was_applied_under(world):
    case = world.new_case()
    draft = catalog_services.version_create_draft(actor=None, item=world.item)
    catalog_services.version_publish(actor=None, version=draft)
    world.item.refresh_from_db()
    assert world.item.current_version.number == 2
    case.refresh_from_db()
    assert case.version.number == 1


# --- applying online -------------------------------------------------------------------------


def test_submitting_without_a_required_material_names_it(world):
    world.item.current_version.materials.filter(name="营业执照").update(tolerable=False)
    case = world.new_case(submit=False, upload=False)
    with pytest.raises(ValidationFailed) as err:
        services.case_submit(actor=world.applicant_user, case=case)
    assert "营业执照" in err.value.message and err.value.code == "materials_missing"


def test_form_values_are_checked_field_by_field(world):
    with pytest.raises(ValidationFailed) as err:
        services.case_create(actor=world.applicant_user, item=world.item,
                             applicant=world.applicant,
                             form_data={"shop_name": "", "category": "海鲜"}, submit=True)
    assert set(err.value.field_errors) == {"form.shop_name", "form.category"}


@pytest.mark.parametrize(("data", "message"), [
    (b"", "空"),
    (b"   \n", "空"),
    (b"just a text file renamed to .pdf", "只接受"),
    (b"%PDF-1.4 broken", "损坏"),
])
def test_uploads_are_checked_by_content(world, data, message):
    case = world.new_case(submit=False, upload=False)
    material = case.materials.first()
    with pytest.raises(ValidationFailed) as err:
        services.case_attach_material(actor=world.applicant_user, case=case,
                                      material_id=material.pk, upload=Upload("x.pdf", data))
    assert message in err.value.message
    material.refresh_from_db()
    assert not material.file


def test_a_blank_image_is_refused_and_a_real_one_accepted(world):
    case = world.new_case(submit=False, upload=False)
    material = case.materials.first()
    with pytest.raises(ValidationFailed, match="空白"):
        services.case_attach_material(actor=world.applicant_user, case=case,
                                      material_id=material.pk,
                                      upload=Upload("p.png", png_bytes(blank=True)))
    row = services.case_attach_material(actor=world.applicant_user, case=case,
                                        material_id=material.pk,
                                        upload=Upload("scan.jpg", png_bytes()))
    assert row.content_type == "image/png" and row.status == CaseMaterialStatus.PROVIDED


def test_materials_and_certificates_of_earlier_cases_can_be_reused(world):
    first = world.accepted_case()
    review, decide = list(first.tasks.order_by("seq"))
    services.task_pass(actor=world.reviewer, task=review)
    services.task_decide(actor=world.head, task=decide, approve=True)
    case = world.new_case(submit=False, upload=False)
    licence, plan = list(case.materials.all())
    earlier, certificates = services.reusable_sources(applicant=world.applicant, name=plan.name)
    assert earlier and earlier[0].case_id == first.pk
    row = services.case_reuse_material(actor=world.applicant_user, case=case,
                                       material_id=plan.pk, source_material_id=earlier[0].pk)
    assert row.origin == MaterialOrigin.REUSE and row.sha256 == earlier[0].sha256
    row = services.case_reuse_material(actor=world.applicant_user, case=case,
                                       material_id=licence.pk,
                                       certificate_id=certificates[0].pk)
    assert row.origin == MaterialOrigin.CERTIFICATE
    services.case_submit(actor=world.applicant_user, case=case)
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


def test_someone_elses_material_cannot_be_reused(world):
    world.accepted_case()
    stranger_user = User.objects.create_user(username="13905391002", phone="13905391002")
    stranger = Applicant.objects.create(kind=ApplicantKind.PERSON, name="李四",
                                        id_number="110105194912310029", mobile="13905391002",
                                        user=stranger_user)
    case = services.case_create(actor=stranger_user, item=world.item, applicant=stranger,
                                form_data={})
    theirs = world.applicant.cases.first().materials.first()
    with pytest.raises(ValidationFailed):
        services.case_reuse_material(actor=stranger_user, case=case,
                                     material_id=case.materials.first().pk,
                                     source_material_id=theirs.pk)


# --- scope ------------------------------------------------------------------------------------


def test_staff_of_another_district_can_neither_see_nor_act(world):
    case = world.new_case()
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        services.case_check_material(actor=world.other_clerk, case=case,
                                     material_id=case.materials.first().pk, verdict="verified")
    with pytest.raises(NotFound):
        selectors.case_get_for_staff(user=world.other_clerk, case_no=case.case_no)
    assert snapshot(case) == before


def test_another_applicants_case_is_exactly_not_found(world):
    case = world.new_case()
    stranger = User.objects.create_user(username="13905391003", phone="13905391003")
    with pytest.raises(NotFound) as theirs:
        selectors.case_get_for_applicant(user=stranger, case_no=case.case_no)
    with pytest.raises(NotFound) as missing:
        selectors.case_get_for_applicant(user=stranger, case_no="379902-20260101-99999999")
    assert theirs.value.message == missing.value.message
    with pytest.raises(NotFound):
        services.case_withdraw(actor=stranger, case=case)


def test_lookup_needs_the_right_query_code(world):
    case = world.new_case()
    assert selectors.case_lookup_public(case_no=case.case_no,
                                        query_code=case.query_code.lower()).pk == case.pk
    with pytest.raises(NotFound):
        selectors.case_lookup_public(case_no=case.case_no, query_code="AAAAAAAA")


def test_a_reviewer_of_another_department_does_not_find_the_task(world):
    case = world.accepted_case()
    task = case.tasks.get(seq=1)
    with pytest.raises(NotFound):
        services.task_pass(actor=world.other_reviewer, task=task)
    with pytest.raises(NotFound):  # the decision step is the head's, not the reviewer's
        services.task_pass(actor=world.head, task=task)
    assert selectors.inbox(user=world.other_reviewer) == []
    assert [t.pk for t in selectors.inbox(user=world.reviewer)] == [task.pk]


# --- the window -------------------------------------------------------------------------------


def test_refusal_needs_a_reason_and_says_where_to_go(world):
    case = world.new_case()
    with pytest.raises(ValidationFailed) as err:
        services.case_refuse(actor=world.clerk, case=case, reason="  ")
    assert "reason" in err.value.field_errors
    notice = services.case_refuse(actor=world.clerk, case=case, reason="不属于本机关职权范围",
                                  refer_to="云溪市卫生健康委员会")
    assert notice.kind == NoticeKind.REFUSAL
    text = "".join(notice.content["paragraphs"])
    assert "云溪市卫生健康委员会" in text and "行政复议" in text
    case.refresh_from_db()
    assert case.state == CaseState.REFUSED


def test_one_supplement_notice_lists_everything_missing(world):
    case = world.new_case()
    a, b = list(case.materials.all())
    services.case_check_material(actor=world.clerk, case=case, material_id=a.pk,
                                 verdict="missing", note="已过期")
    notice = services.case_request_supplement(actor=world.clerk, case=case,
                                              materials=[{"id": b.pk, "note": "缺少签字"}])
    names = [line[0] for line in notice.content["lines"]]
    assert sorted(names) == sorted([a.name, b.name])
    assert "一次性告知" in "".join(notice.content["paragraphs"])


@pytest.fixture
def monday_nov2(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 10, tzinfo=TZ), tick=False)
    return time_machine


def test_after_five_working_days_without_notice_the_case_counts_as_accepted(monday_nov2, world):
    time_machine = monday_nov2
    case = world.new_case()
    world.verify_all(case)
    time_machine.move_to(dt.datetime(2026, 11, 10, 10, tzinfo=TZ), tick=False)  # 6th workday
    with pytest.raises(Conflict) as err:
        services.case_request_supplement(actor=world.clerk, case=case,
                                         materials=[{"id": case.materials.first().pk}])
    assert err.value.code == "notice_period_expired"
    assert services.cases_deem_accepted() == 1
    assert services.cases_deem_accepted() == 0  # idempotent
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW and case.deemed_accepted
    assert case.accepted_on == dt.date(2026, 11, 2)  # the day the materials arrived
    notice = case.notices.get(kind=NoticeKind.ACCEPTANCE)
    assert "即为受理" in "".join(notice.content["paragraphs"])


def test_tolerated_materials_let_the_case_proceed_but_hold_back_the_result(world):
    case = world.new_case()
    licence, plan = list(case.materials.all())
    services.case_check_material(actor=world.clerk, case=case, material_id=plan.pk,
                                 verdict="verified")
    with pytest.raises(ValidationFailed):  # the plan is not on the tolerable list
        services.case_accept(actor=world.clerk, case=case, tolerated=[
            {"id": plan.pk, "promised_by": "2099-01-01"}])
    promised = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    services.case_accept(actor=world.clerk, case=case,
                         tolerated=[{"id": licence.pk, "promised_by": promised}])
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    assert case.notices.filter(kind=NoticeKind.TOLERANCE).exists()
    review, decide = list(case.tasks.order_by("seq"))
    services.task_pass(actor=world.reviewer, task=review)
    services.task_decide(actor=world.head, task=decide, approve=True)
    with pytest.raises(Conflict) as err:
        services.case_deliver(actor=world.clerk, case=case, method=DeliveryMethod.ELECTRONIC)
    assert err.value.code == "tolerated_outstanding" and licence.name in err.value.message
    services.case_supply_tolerated(actor=world.applicant_user, case=case, material_id=licence.pk,
                                   upload=Upload("执照.pdf", pdf_bytes("licence")))
    services.case_deliver(actor=world.clerk, case=case, method=DeliveryMethod.ELECTRONIC)
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED


def test_delivery_needs_what_each_method_needs(world):
    case = world.accepted_case()
    review, decide = list(case.tasks.order_by("seq"))
    services.task_pass(actor=world.reviewer, task=review)
    services.task_decide(actor=world.head, task=decide, approve=False, reason="场所不符合要求")
    with pytest.raises(ValidationFailed) as err:
        services.case_deliver(actor=world.clerk, case=case, method=DeliveryMethod.POST)
    assert "tracking_no" in err.value.field_errors
    with pytest.raises(ValidationFailed) as err:
        services.case_deliver(actor=world.clerk, case=case, method=DeliveryMethod.WINDOW)
    assert "identity_checked" in err.value.field_errors
    services.case_deliver(actor=world.clerk, case=case, method=DeliveryMethod.POST,
                          tracking_no="SF1234567890")
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED and case.tracking_no == "SF1234567890"


# --- the back office ---------------------------------------------------------------------------


def test_return_to_an_earlier_step_needs_a_reason_and_restarts_it(world):
    case = world.accepted_case()
    review, decide = list(case.tasks.order_by("seq"))
    services.task_pass(actor=world.reviewer, task=review)
    with pytest.raises(ValidationFailed):
        services.task_return(actor=world.head, task=decide, to_seq=1, reason="")
    back = services.task_return(actor=world.head, task=decide, to_seq=1, reason="核实场所面积")
    assert back.pk == review.pk and back.state == TaskState.ACTIVE
    decide.refresh_from_db()
    assert decide.state == TaskState.PENDING
    event = case.events.get(action="return")
    assert event.public is False and event.data["reason"] == "核实场所面积"


def test_a_denial_states_reasons_and_remedies(world):
    case = world.accepted_case()
    review, decide = list(case.tasks.order_by("seq"))
    services.task_pass(actor=world.reviewer, task=review)
    with pytest.raises(Conflict):  # only the last step decides
        services.task_decide(actor=world.reviewer, task=review, approve=True)
    with pytest.raises(ValidationFailed):
        services.task_decide(actor=world.head, task=decide, approve=False, reason="")
    notice = services.task_decide(actor=world.head, task=decide, approve=False,
                                  reason="经营场所与有毒有害场所距离不足25米")
    text = "".join(notice.content["paragraphs"])
    assert notice.kind == NoticeKind.DENIAL and "25米" in text
    assert "六十日内" in text and "六个月内" in text
    case.refresh_from_db()
    assert case.decision == Decision.DENIED and not hasattr(case, "certificate_cache")


def test_special_procedures_need_a_kind_reason_and_length(world):
    case = world.accepted_case()
    task = case.tasks.get(seq=1)
    with pytest.raises(ValidationFailed):
        services.task_start_special(actor=world.reviewer, task=task, kind="supplement",
                                    reason="x", expected_days=3)
    with pytest.raises(ValidationFailed):
        services.task_start_special(actor=world.reviewer, task=task, kind="hearing",
                                    reason="x", expected_days=0)
    notice = services.task_start_special(actor=world.reviewer, task=task, kind="hearing",
                                         reason="涉及相邻权人重大利益", expected_days=15)
    assert "听证" in "".join(notice.content["paragraphs"])
    with pytest.raises(Conflict):  # the clock is stopped: no passing meanwhile
        services.task_pass(actor=world.reviewer, task=task)


# --- the chief representative -------------------------------------------------------------------


@pytest.fixture
def instant_item(world):
    item = make_item(world.departments, code="IMPL-0002",
                     basic=basic_data(basic_code="B0002", name="食品小作坊登记", legal_limit=5),
                     case_type="1", promised_limit=0)
    auth = world.chief.authorisations.get()
    auth.items.add(item)
    return item


def _instant_case(world, item):
    case = services.case_create(actor=world.clerk, item=item, applicant=world.applicant,
                                channel=Channel.WINDOW, submit=True,
                                form_data={"shop_name": "湖滨小作坊", "category": "散装食品"})
    world.verify_all(case)
    return case


def test_the_chief_completes_an_instant_item_within_authorisation_in_one_visit(world,
                                                                                 instant_item):
    case = _instant_case(world, instant_item)
    services.case_decide_on_spot(actor=world.chief, case=case, approve=True)
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED and case.decision == Decision.APPROVED
    assert case.accepted_on == case.completed_at.astimezone(TZ).date()
    assert {n.kind for n in case.notices.all()} == {NoticeKind.ACCEPTANCE, NoticeKind.APPROVAL}


def test_the_chief_is_refused_outside_the_authorisation(world, instant_item, make_staff):
    case = _instant_case(world, instant_item)
    other_chief = make_staff(Role.CHIEF, world.regions["d1"], world.departments["d1_market"])
    before = snapshot(case)
    with pytest.raises(PermissionDenied) as err:
        services.case_decide_on_spot(actor=other_chief, case=case)
    assert err.value.code == "not_authorised"
    with pytest.raises(PermissionDenied):  # a clerk is no chief representative
        services.case_decide_on_spot(actor=world.clerk, case=case)
    auth = world.chief.authorisations.get()
    catalog_services.authorisation_revoke(actor=world.head, authorisation=auth, reason="调岗")
    with pytest.raises(PermissionDenied):
        services.case_decide_on_spot(actor=world.chief, case=case)
    assert snapshot(case) == before


def test_a_promised_item_cannot_be_decided_on_the_spot(world):
    case = world.new_case()
    world.verify_all(case)
    with pytest.raises(Conflict) as err:
        services.case_decide_on_spot(actor=world.chief, case=case)
    assert err.value.code == "not_instant"


def test_withdrawal_by_the_applicant_while_not_yet_accepted(world):
    case = world.new_case()
    services.case_withdraw(actor=world.applicant_user, case=case, reason="信息填错")
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN
    accepted = world.accepted_case()
    with pytest.raises(Conflict):
        services.case_withdraw(actor=world.applicant_user, case=accepted)
