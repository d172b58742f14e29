"""The whole journey through the services: apply, supplement, accept, review, decide, deliver."""

from __future__ import annotations

import pytest

from onewindow.cases import audit, services
from onewindow.cases.models import CaseMaterialStatus, DeliveryMethod, NoticeKind
from onewindow.cases.services import Upload
from onewindow.cases.tests.conftest import pdf_bytes
from onewindow.cases.workflow import CaseState, Decision, TaskState
from onewindow.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_online_case_goes_from_application_to_delivery_with_every_step_logged(world):
    case = world.new_case(submit=False)
    assert case.state == CaseState.DRAFT
    services.case_submit(actor=world.applicant_user, case=case)
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED and case.received_on is not None

    # The clerk finds one material wrong and asks for it once (一次性告知).
    first, second = list(case.materials.all())
    services.case_check_material(actor=world.clerk, case=case, material_id=first.pk,
                                 verdict=CaseMaterialStatus.VERIFIED)
    notice = services.case_request_supplement(
        actor=world.clerk, case=case, materials=[{"id": second.pk, "note": "需加盖公章"}]
    )
    assert notice.kind == NoticeKind.SUPPLEMENT
    assert notice.content["lines"] == [["经营场所平面图", "需加盖公章"]]
    case.refresh_from_db()
    assert case.state == CaseState.AWAITING_SUPPLEMENT

    services.case_attach_material(actor=world.applicant_user, case=case, material_id=second.pk,
                                  upload=Upload("平面图.pdf", pdf_bytes("plan v2")))
    services.case_supply(actor=world.applicant_user, case=case)
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED

    world.verify_all(case)
    services.case_accept(actor=world.clerk, case=case)
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    assert case.legal_due and case.promised_due and case.promised_due <= case.legal_due
    review, decide = list(case.tasks.order_by("seq"))
    assert review.state == TaskState.ACTIVE and decide.state == TaskState.PENDING

    services.task_pass(actor=world.reviewer, task=review, opinion="符合条件")
    decide.refresh_from_db()
    assert decide.state == TaskState.ACTIVE
    approval = services.task_decide(actor=world.head, task=decide, approve=True)
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED and case.decision == Decision.APPROVED
    assert approval.content["lines"][1][1] == case.certificate.number

    services.case_deliver(actor=world.clerk, case=case, method=DeliveryMethod.ELECTRONIC)
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED and case.completed_at is not None

    events = list(case.events.order_by("seq"))
    assert [e.action for e in events][:3] == ["create", "submit", "check_material"]
    assert audit.verify_case(case, events) is None
    # The applicant was told at each milestone, by SMS and in-app, once each.
    sms = Notification.objects.filter(phone=world.applicant.mobile, channel="sms")
    assert sms.count() == len([e for e in events if e.action in {
        "submit", "request_supplement", "supply", "accept", "approve", "deliver"}])
