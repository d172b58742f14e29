"""Rating services: who may rate, 一次一评, bad review → follow-up, second rating, appeals."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.evaluation import selectors, services
from onewindow.evaluation.models import (
    Appeal,
    AppealState,
    EvalChannel,
    Evaluation,
    FollowUp,
    FollowUpOutcome,
    Invitation,
    InvitationPurpose,
    Responsible,
)
from onewindow.evaluation.workflow import FollowUpState
from onewindow.notifications.models import Notification


def rate_case(ev, case, level, channel=EvalChannel.PC, comment=""):
    service = services.rateable_case(actor=ev.w.applicant_user, case_no=case.case_no)
    return services.evaluation_submit(service=service, level=level, channel=channel,
                                      comment=comment, rater=ev.w.applicant_user)


def answer(ev, fu, *, actor=None, outcome=FollowUpOutcome.EXPLAINED):
    actor = actor or ev.w.head
    services.follow_up_call_back(actor=actor, follow_up=fu,
                                 verification="已核实：材料审查严格按清单",
                                 callback_note="已电话回访申请人，说明了原因")
    return services.follow_up_respond(actor=actor, follow_up=fu, outcome=outcome,
                                      response="经核实，已向申请人解释补正要求的法律依据。")


def test_the_applicant_rates_a_completed_case_once_and_the_handler_is_captured(ev):
    case = ev.completed_case()
    e = rate_case(ev, case, 1, comment="很快，谢谢 13905391001")
    assert (e.level, e.department, e.region, e.staff_id) == (
        1, case.department, case.region, ev.w.clerk.pk)
    assert e.real_name and e.rater == ev.w.applicant_user
    assert "13905391001" not in e.comment and "139****1001" in e.comment
    assert not FollowUp.objects.exists()
    for channel in (EvalChannel.PC, EvalChannel.SMS, EvalChannel.QR):
        with pytest.raises(Conflict) as err:
            rate_case(ev, case, 5, channel=channel)
        assert err.value.code == "already_rated" and "只能评价一次" in err.value.message
    assert Evaluation.objects.count() == 1 and Evaluation.objects.get().level == 1


def test_an_unfinished_case_or_ticket_cannot_be_rated(ev):
    case = ev.w.accepted_case()
    with pytest.raises(Conflict) as err:
        rate_case(ev, case, 2)
    assert err.value.code == "service_unfinished" and "尚未办结" in err.value.message
    ticket = ev.waiting_ticket()
    service = services.rateable_ticket(token=ticket.token)
    with pytest.raises(Conflict):
        services.evaluation_submit(service=service, level=2, channel=EvalChannel.QR)
    assert not Evaluation.objects.exists()


def test_only_the_cases_applicant_may_rate_it(ev):
    case = ev.completed_case()
    for who in (ev.w.clerk, ev.w.head, ev.supervisor):
        with pytest.raises(NotFound):
            services.rateable_case(actor=who, case_no=case.case_no)
    with pytest.raises(PermissionDenied):
        services.rateable_case(actor=None, case_no=case.case_no)
    with pytest.raises(NotFound):
        services.rateable_case(actor=ev.w.applicant_user, case_no="NOPE")
    with pytest.raises(NotFound):
        services.rateable_ticket(token="x" * 500)


def test_bad_input_is_reported_by_field_and_nothing_is_written(ev):
    case = ev.completed_case()
    service = services.rateable_case(actor=ev.w.applicant_user, case_no=case.case_no)
    for kw, field in (({"level": 0}, "level"), ({"level": "x"}, "level"),
                      ({"level": 6}, "level"), ({"channel": "fax"}, "channel"),
                      ({"comment": "长" * 501}, "comment")):
        args = {"level": 2, "channel": EvalChannel.PC, **kw}
        with pytest.raises(ValidationFailed) as err:
            services.evaluation_submit(service=service, **args)
        assert field in err.value.field_errors
    assert not Evaluation.objects.exists()


def test_a_window_visit_is_rated_by_the_tickets_token_and_names_window_and_clerk(ev):
    ticket = ev.served_ticket()
    service = services.rateable_ticket(token=ticket.token)
    e = services.evaluation_submit(service=service, level=2, channel=EvalChannel.QR)
    assert (e.window, e.staff_id, e.department, e.region) == (
        ev.window, ev.hall_clerk.pk, None, ev.centre.region)
    assert e.rater_phone == "13905391002" and e.real_name
    with pytest.raises(Conflict):
        services.evaluation_submit(service=service, level=1, channel=EvalChannel.TABLET)


def test_a_bad_review_opens_a_follow_up_due_in_five_working_days(ev):
    case = ev.completed_case()
    e = rate_case(ev, case, 4, comment="补正来回三次")
    fu = FollowUp.objects.get(evaluation=e)
    assert fu.state == FollowUpState.OPEN and fu.responsible == Responsible.DEPARTMENT
    assert fu.department == case.department
    assert fu.due == dt.date(2026, 12, 1)  # Tue 24 Nov + 5 working days
    told = set(Notification.objects.filter(channel="in_app", link__contains="follow-ups")
               .values_list("user_id", flat=True))
    assert {ev.w.head.pk, ev.w.reviewer.pk, ev.w.chief.pk} <= told
    assert ev.other_head.pk not in told and ev.w.applicant_user.pk not in told


def test_the_follow_up_deadline_skips_the_national_day_holiday(ev, settings):
    case = ev.completed_case()
    eve = dt.datetime(2026, 9, 30, 10, 0, tzinfo=timezone.get_default_timezone())
    with time_machine.travel(eve, tick=False):
        e = rate_case(ev, case, 5)
    assert FollowUp.objects.get(evaluation=e).due == dt.date(2026, 10, 13)
    settings.ONEWINDOW_FOLLOW_UP_DAYS = 2
    ticket = ev.served_ticket()
    e2 = services.evaluation_submit(service=services.rateable_ticket(token=ticket.token),
                                    level=4, channel=EvalChannel.QR)
    assert FollowUp.objects.get(evaluation=e2).due == dt.date(2026, 11, 26)


def test_follow_up_life_call_back_answer_and_second_rating(ev):
    case = ev.completed_case()
    e = rate_case(ev, case, 5)
    fu = FollowUp.objects.get(evaluation=e)
    service = services.rateable_case(actor=ev.w.applicant_user, case_no=case.case_no)
    with pytest.raises(Conflict):  # not answered yet
        services.evaluation_rerate(service=service, level=1, channel=EvalChannel.PC)
    with pytest.raises(ValidationFailed) as err:  # answer before verifying
        services.follow_up_respond(actor=ev.w.head, follow_up=fu, outcome="explained",
                                   response="说明")
    assert "verification" in err.value.field_errors
    with pytest.raises(ValidationFailed) as err:
        services.follow_up_respond(actor=ev.w.head, follow_up=fu, outcome="plan", response="x")
    assert "rectify_by" in err.value.field_errors
    fu = answer(ev, fu)
    assert fu.state == FollowUpState.ANSWERED and fu.on_time is True
    second = Invitation.objects.get(purpose=InvitationPurpose.SECOND, service_ref=case.case_no)
    assert Notification.objects.filter(dedupe_key=f"eval:inv:{second.pk}:sms").exists()
    with pytest.raises(Conflict):
        answer(ev, fu)
    e = services.evaluation_rerate(service=service, level=2, channel=EvalChannel.PC,
                                   comment="解释清楚了")
    fu.refresh_from_db()
    second.refresh_from_db()
    assert (e.level, e.second_level, fu.state, fu.closed_reason) == (
        5, 2, FollowUpState.CLOSED, "second_rating")
    assert second.used_at is not None
    with pytest.raises(Conflict):
        services.evaluation_rerate(service=service, level=1, channel=EvalChannel.PC)


def test_a_late_answer_is_recorded_as_not_on_time(ev):
    case = ev.completed_case()
    fu = FollowUp.objects.get(evaluation=rate_case(ev, case, 4))
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, tzinfo=timezone.get_default_timezone())):
        assert list(selectors.overdue_follow_ups(ev.supervisor)) == [fu]
        assert list(selectors.overdue_follow_ups(ev.other_supervisor)) == []
        fu = answer(ev, fu)
    assert fu.on_time is False


def test_a_general_window_is_followed_up_by_its_centre_a_departmental_one_by_its_dept(ev):
    e = services.evaluation_submit(
        service=services.rateable_ticket(token=ev.served_ticket().token), level=5,
        channel=EvalChannel.QR)
    fu = FollowUp.objects.get(evaluation=e)
    assert fu.responsible == Responsible.CENTRE and fu.department is None
    assert services.may_handle_follow_up(ev.hall_admin, fu)
    assert not services.may_handle_follow_up(ev.w.head, fu)
    assert not services.may_handle_follow_up(ev.hall_clerk, fu)
    e2 = services.evaluation_submit(
        service=services.rateable_ticket(
            token=ev.served_ticket(window=ev.market_window, mobile="13905391009").token),
        level=4, channel=EvalChannel.TABLET)
    fu2 = FollowUp.objects.get(evaluation=e2)
    assert fu2.responsible == Responsible.DEPARTMENT
    assert fu2.department == ev.market_window.department
    assert services.may_handle_follow_up(ev.w.head, fu2)
    assert e2.staff_id == ev.w.chief.pk


def test_staff_of_another_department_cannot_see_or_touch_a_follow_up(ev):
    fu = FollowUp.objects.get(evaluation=rate_case(ev, ev.completed_case(), 4))
    assert list(selectors.follow_ups_for_user(ev.w.head)) == [fu]
    assert list(selectors.follow_ups_for_user(ev.supervisor)) == [fu]
    for outsider in (ev.other_head, ev.w.other_reviewer, ev.w.clerk, ev.other_supervisor):
        assert list(selectors.follow_ups_for_user(outsider)) == []
        with pytest.raises(NotFound):
            services.follow_up_call_back(actor=outsider, follow_up=fu, verification="x",
                                         callback_note="y")
        with pytest.raises(NotFound):
            services.appeal_file(actor=outsider, evaluation=fu.evaluation, reason="恶意")
    fu.refresh_from_db()
    assert fu.state == FollowUpState.OPEN and not fu.verification
    assert not Appeal.objects.exists()


def test_an_upheld_appeal_takes_the_review_out_of_the_figures_but_keeps_it(ev):
    good = rate_case(ev, ev.completed_case(), 1)
    bad = services.evaluation_submit(
        service=services.rateable_ticket(
            token=ev.served_ticket(window=ev.market_window).token),
        level=5, channel=EvalChannel.TABLET, comment="辱骂性内容")
    before = selectors.evaluation_figures()[0]
    assert (before.total, before.bad, str(before.satisfaction_rate)) == (2, 1, "50.0")
    appeal = services.appeal_file(actor=ev.w.head, evaluation=bad,
                                  reason="评价内容与服务无关，系恶意差评")
    with pytest.raises(Conflict):
        services.appeal_file(actor=ev.w.head, evaluation=bad, reason="再次申诉")
    with pytest.raises(NotFound):  # another district's supervision office
        services.appeal_decide(actor=ev.other_supervisor, appeal=appeal, uphold=True, note="x")
    with pytest.raises(NotFound):  # the department cannot decide its own appeal
        services.appeal_decide(actor=ev.w.head, appeal=appeal, uphold=True, note="x")
    appeal = services.appeal_decide(actor=ev.supervisor, appeal=appeal, uphold=True,
                                    note="经调取录像，申诉成立")
    bad.refresh_from_db()
    assert appeal.state == AppealState.UPHELD and bad.excluded
    assert Evaluation.objects.filter(pk=bad.pk).exists()
    assert FollowUp.objects.get(evaluation=bad).closed_reason == "appeal_upheld"
    after = selectors.evaluation_figures()[0]
    assert (after.total, after.bad, str(after.satisfaction_rate)) == (1, 0, "100.0")
    assert good.pk in [e.pk for e in Evaluation.objects.filter(excluded=False)]
    with pytest.raises(Conflict):
        services.appeal_decide(actor=ev.supervisor, appeal=appeal, uphold=False, note="x")
    reviews, _ = selectors.published_reviews()
    assert [r.level for r in reviews] == [1]


def test_a_rejected_appeal_leaves_the_review_counted(ev):
    bad = rate_case(ev, ev.completed_case(), 4)
    appeal = services.appeal_file(actor=ev.w.head, evaluation=bad, reason="申请人不符合条件")
    with pytest.raises(ValidationFailed):
        services.appeal_decide(actor=ev.city_supervisor, appeal=appeal, uphold=False, note="")
    appeal = services.appeal_decide(actor=ev.city_supervisor, appeal=appeal, uphold=False,
                                    note="评价反映的是真实感受，申诉不成立")
    bad.refresh_from_db()
    assert appeal.state == AppealState.REJECTED and not bad.excluded
    assert selectors.evaluation_figures()[0].bad == 1
    assert FollowUp.objects.get(evaluation=bad).state == FollowUpState.OPEN


def test_only_bad_reviews_in_open_follow_up_can_be_appealed(ev):
    good = rate_case(ev, ev.completed_case(), 2)
    with pytest.raises(NotFound):
        services.appeal_file(actor=ev.w.head, evaluation=good, reason="x")
