"""A dependency chain A → B → C: waiting items start when what they need is issued, with the
certificate passed along; a refusal closes what depends on it; one delivery completes it all."""

from __future__ import annotations

import pytest

from onewindow.cases import services as cs
from onewindow.cases.models import CaseMaterial, Certificate, MaterialOrigin
from onewindow.cases.workflow import CaseState
from onewindow.core.errors import Conflict, NotFound, ValidationFailed
from onewindow.packages import services
from onewindow.packages.models import PackageApplication, PackageCase
from onewindow.packages.workflow import ApplicationState, ItemState, Outcome

pytestmark = pytest.mark.django_db


def items(application):
    return {pc.package_item.item.implementation_code[-1]: pc
            for pc in PackageCase.objects.select_related("case", "package_item__item")
            .filter(application=application)}


def decide(w, pc, approve, capture):
    with capture(execute=True):
        return w.decide(pc.case, approve=approve)


def test_prerequisite_approved_starts_the_next_with_its_certificate(
        w, django_capture_on_commit_callbacks):
    application = w.apply()
    a = items(application)["A"]
    decide(w, a, True, django_capture_on_commit_callbacks)
    pcs = items(application)
    b, c = pcs["B"], pcs["C"]
    assert b.state == ItemState.STARTED and b.case.state == CaseState.SUBMITTED
    assert c.state == ItemState.WAITING and c.case is None  # C needs B, not A
    cert = Certificate.objects.get(case=a.case)
    licence = CaseMaterial.objects.get(case=b.case, name="营业执照")
    assert licence.origin == MaterialOrigin.CERTIFICATE and licence.certificate == cert
    # The shared material was not uploaded again: B reuses the copy A's case holds.
    shared_a = CaseMaterial.objects.get(case=a.case, name="经营场所使用证明")
    shared_b = CaseMaterial.objects.get(case=b.case, name="经营场所使用证明")
    assert shared_b.origin == MaterialOrigin.REUSE and shared_b.reused_from == shared_a
    assert shared_b.sha256 == shared_a.sha256
    assert b.case.form_data["category"] == "餐饮服务经营者"
    assert b.case.created_by == w.applicant_user and b.case.applicant == w.applicant

    decide(w, b, True, django_capture_on_commit_callbacks)
    c = items(application)["C"]
    assert c.state == ItemState.STARTED
    permit = CaseMaterial.objects.get(case=c.case, name="食品经营许可证")
    assert permit.certificate == Certificate.objects.get(case=b.case)


def test_prerequisite_denied_closes_what_depends_on_it(w, django_capture_on_commit_callbacks):
    application = w.apply()
    decide(w, items(application)["A"], True, django_capture_on_commit_callbacks)
    decide(w, items(application)["B"], False, django_capture_on_commit_callbacks)
    pcs = items(application)
    c = pcs["C"]
    assert c.state == ItemState.CLOSED and c.case is None and c.outcome == Outcome.CLOSED
    assert "食品经营许可" in c.note and "不予许可" in c.note
    assert pcs["B"].state == ItemState.STARTED  # decided, waiting for the delivery
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_PROGRESS  # D is still open


def test_a_refusal_without_a_signal_is_caught_up_by_the_job_idempotently(w):
    application = w.apply()
    a = items(application)["A"]
    cs.case_refuse(actor=w.clerk, case=a.case, reason="名称与已登记企业重复")
    assert services.applications_start_ready() == 1
    pcs = items(application)
    assert pcs["A"].state == ItemState.FINISHED and pcs["A"].outcome == Outcome.REFUSED
    assert pcs["B"].state == pcs["C"].state == ItemState.CLOSED  # the whole chain
    assert "不予受理" in pcs["B"].note and "公司设立登记" in pcs["B"].note
    assert "食品经营许可" in pcs["C"].note
    assert services.applications_start_ready() == 0  # nothing moved since


def test_the_job_starts_what_the_signal_missed(w):
    application = w.apply()
    w.decide(items(application)["A"].case)  # on_commit callbacks not run: no signal
    assert items(application)["B"].state == ItemState.WAITING
    assert services.applications_start_ready() == 1
    assert items(application)["B"].state == ItemState.STARTED
    assert services.applications_start_ready() == 0


def test_a_failing_receiver_never_fails_the_decision(w, monkeypatch,
                                                       django_capture_on_commit_callbacks):
    application = w.apply()

    def boom(**kw):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(services, "application_refresh_for_case", boom)
    case = decide(w, items(application)["A"], True, django_capture_on_commit_callbacks)
    assert case.decision == "approved"
    monkeypatch.undo()
    assert services.applications_start_ready() == 1
    assert items(application)["B"].state == ItemState.STARTED


def _all_decided(w, application, capture):
    for key in ("A", "D", "B", "C"):
        pc = items(application)[key]
        decide(w, pc, True, capture)


def test_completion_and_the_one_delivery(w, django_capture_on_commit_callbacks):
    application = w.apply()
    _all_decided(w, application, django_capture_on_commit_callbacks)
    application.refresh_from_db()
    assert application.state == ApplicationState.AWAITING_DELIVERY
    # Only the window of the package's region hands results out; someone else finds nothing.
    with pytest.raises(NotFound):
        services.application_deliver(actor=w.other_clerk, application=application,
                                     tracking_no="SF100")
    with pytest.raises(NotFound):
        services.application_deliver(actor=w.staff["d1_market"]["head"],
                                     application=application, tracking_no="SF100")
    with pytest.raises(ValidationFailed) as exc:  # post needs the tracking number
        services.application_deliver(actor=w.clerk, application=application)
    assert "tracking_no" in exc.value.field_errors
    assert {pc.case.state for pc in items(application).values()} == {CaseState.DECIDED}
    services.application_deliver(actor=w.clerk, application=application, tracking_no="SF100")
    application.refresh_from_db()
    assert application.state == ApplicationState.COMPLETE
    assert application.delivered_by == w.clerk and application.completed_at is not None
    for pc in items(application).values():
        assert pc.state == ItemState.FINISHED and pc.outcome == Outcome.APPROVED
        assert pc.case.state == CaseState.COMPLETED
        assert (pc.case.delivery_method, pc.case.tracking_no) == ("post", "SF100")
    # The package's own copies of the uploads are released once every item is settled.
    assert not application.uploads.exclude(file="").exists()
    with pytest.raises(Conflict):
        services.application_deliver(actor=w.clerk, application=application,
                                     tracking_no="SF100")


def test_partly_refused_when_some_items_are_not_granted(w, django_capture_on_commit_callbacks):
    application = w.apply()
    decide(w, items(application)["A"], True, django_capture_on_commit_callbacks)
    decide(w, items(application)["D"], False, django_capture_on_commit_callbacks)
    decide(w, items(application)["B"], True, django_capture_on_commit_callbacks)
    decide(w, items(application)["C"], True, django_capture_on_commit_callbacks)
    services.application_deliver(actor=w.clerk, application=application, tracking_no="SF1")
    application.refresh_from_db()
    assert application.state == ApplicationState.PARTLY_REFUSED
    assert items(application)["D"].outcome == Outcome.DENIED


def test_an_item_that_cannot_start_is_blocked_then_retried_or_dropped(
        w, django_capture_on_commit_callbacks):
    from onewindow.catalog.models import ItemVersion

    application = w.apply()
    # B's guide stops being online after the application: B cannot be submitted for them.
    ItemVersion.objects.filter(item=w.items["B"]).update(online=False)
    decide(w, items(application)["A"], True, django_capture_on_commit_callbacks)
    b = items(application)["B"]
    assert b.state == ItemState.BLOCKED and b.case is None
    assert "网上办理" in b.note
    ItemVersion.objects.filter(item=w.items["B"]).update(online=True)
    with pytest.raises(NotFound):  # someone else's
        services.application_retry_item(actor=w.other_user, application=application,
                                        package_case_id=b.pk)
    b = services.application_retry_item(actor=w.applicant_user, application=application,
                                        package_case_id=b.pk)
    assert b.state == ItemState.STARTED
    with pytest.raises(Conflict):
        services.application_drop_item(actor=w.applicant_user, application=application,
                                       package_case_id=b.pk)
    c = items(application)["C"]
    services.application_drop_item(actor=w.applicant_user, application=application,
                                   package_case_id=c.pk)
    c = items(application)["C"]
    assert c.state == ItemState.CLOSED and c.outcome == Outcome.WITHDRAWN
    assert PackageApplication.objects.get(pk=application.pk).state == \
        ApplicationState.IN_PROGRESS
