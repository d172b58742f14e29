"""The applicant's side of a bad review: the rate page shows the follow-up (state, responsible
unit, deadline, the department's public answer) and, once answered, offers the second rating.
Only the case's applicant sees it; anyone else gets the same 404 as an unknown case."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from onewindow.accounts.models import Applicant, ApplicantKind, User
from onewindow.evaluation import services
from onewindow.evaluation.models import (
    EvalChannel,
    Evaluation,
    FollowUp,
    FollowUpOutcome,
    Invitation,
    InvitationPurpose,
)
from onewindow.evaluation.workflow import FollowUpState

VERIFICATION = "内部核实：窗口人员未按清单一次性告知"
CALLBACK = "内部回访记录：申请人情绪激动"
ANSWER = "已统一补正告知口径，对窗口人员进行了培训。"


def _rate_url(case) -> str:
    return f"/evaluate/case/{case.case_no}/"


def _levels_offered(html: str) -> int:
    return len(re.findall(r'<input type="radio" name="level"', html))


def _answer(ev, fu, *, response=ANSWER, outcome=FollowUpOutcome.RECTIFIED, rectify_by=None):
    services.follow_up_call_back(actor=ev.w.reviewer, follow_up=fu, verification=VERIFICATION,
                                 callback_note=CALLBACK)
    return services.follow_up_respond(actor=ev.w.head, follow_up=fu, outcome=outcome,
                                      response=response, rectify_by=rectify_by)


def _other_applicant(ev):
    """A second applicant with a completed case of their own (same department)."""
    user = User.objects.create_user(username="13905391088", phone="13905391088")
    applicant = Applicant.objects.create(kind=ApplicantKind.PERSON, name="李四光",
                                         id_number="110105194912310021", mobile="13905391088",
                                         user=user)
    other = dataclasses.replace(ev, w=dataclasses.replace(ev.w, applicant=applicant,
                                                          applicant_user=user))
    return user, other.completed_case()


def test_the_applicant_follows_a_bad_review_from_open_to_closed(client, ev):
    case = ev.completed_case()
    url = _rate_url(case)
    client.force_login(ev.w.applicant_user)
    assert url in client.get(f"/my/cases/{case.case_no}/").content.decode()
    assert client.post(url, {"level": "4", "comment": "补正来回三次"}).status_code == 302

    # Open: the state, the department and the deadline; no second rating yet.
    html = client.get(url).content.decode()
    assert "我的评价" in html and "补正来回三次" in html
    assert "待核实" in html and "东湖区市场监督管理局" in html
    assert "2026-12-01" in html and "2026年12月1日" in html
    assert _levels_offered(html) == 0
    assert "已超期" not in html

    # Answered with a dated plan: the public answer and the plan, the five levels again.
    fu = FollowUp.objects.get(evaluation__case=case)
    _answer(ev, fu, outcome=FollowUpOutcome.PLAN, rectify_by=dt.date(2026, 12, 10),
            response="将于12月10日前完成窗口人员培训。")
    html = client.get(url).content.decode()
    assert "整改后再评价" in html and "已答复，待再评价" in html
    assert "制定整改计划" in html and "2026-12-10" in html and "按期答复" in html
    assert "将于12月10日前完成窗口人员培训。" in html
    assert VERIFICATION not in html and CALLBACK not in html  # internal records stay internal
    assert _levels_offered(html) == 5 and "提交再评价" in html

    bad = client.post(url, {"level": "9"})
    assert bad.status_code == 422 and "请选择评价等级" in bad.content.decode()
    assert _levels_offered(bad.content.decode()) == 5
    r = client.post(url, {"level": "2", "comment": "答复及时"})
    assert r.status_code == 302 and r["Location"] == url + "?done=1"
    done = client.get(r["Location"]).content.decode()
    assert "您的再评价：满意" in done and "查看评价记录" in done
    e = Evaluation.objects.get(case=case)
    fu.refresh_from_db()
    assert (e.level, e.second_level, e.second_comment, e.second_channel) == (
        4, 2, "答复及时", EvalChannel.PC)
    assert (fu.state, fu.closed_reason) == (FollowUpState.CLOSED, "second_rating")

    # Closed: both ratings on record, nothing more to rate.
    html = client.get(url).content.decode()
    assert "已办结" in html and "答复及时" in html and _levels_offered(html) == 0
    again = client.post(url, {"level": "1"})
    assert again.status_code == 409 and "只能评价一次" in again.content.decode()
    e.refresh_from_db()
    assert (e.level, e.second_level) == (4, 2)


def test_a_phone_records_the_second_rating_as_mobile(client, ev):
    case = ev.completed_case()
    client.force_login(ev.w.applicant_user)
    client.post(_rate_url(case), {"level": "5"})
    _answer(ev, FollowUp.objects.get(evaluation__case=case))
    client.post(_rate_url(case), {"level": "3", "device": "mobile"})
    e = Evaluation.objects.get(case=case)
    assert (e.second_level, e.second_channel) == (3, EvalChannel.MOBILE)


def test_an_overdue_follow_up_is_shown_as_such_and_a_late_answer_as_late(client, ev):
    case = ev.completed_case()
    client.force_login(ev.w.applicant_user)
    client.post(_rate_url(case), {"level": "4"})
    later = dt.datetime(2026, 12, 3, 10, tzinfo=timezone.get_default_timezone())
    with time_machine.travel(later):
        client.force_login(ev.w.applicant_user)  # a new session nine days later
        assert "已超期" in client.get(_rate_url(case)).content.decode()
        _answer(ev, FollowUp.objects.get(evaluation__case=case))
        html = client.get(_rate_url(case)).content.decode()
    assert "逾期答复" in html and "已超期" not in html


def test_only_the_applicant_sees_their_follow_up(client, ev):
    mine = ev.completed_case()
    other_user, theirs = _other_applicant(ev)
    client.force_login(ev.w.applicant_user)
    client.post(_rate_url(mine), {"level": "4", "comment": "我的意见"})
    client.force_login(other_user)
    client.post(_rate_url(theirs), {"level": "5", "comment": "别人的意见"})
    _answer(ev, FollowUp.objects.get(evaluation__case=mine), response="答复甲：已整改。")
    _answer(ev, FollowUp.objects.get(evaluation__case=theirs), response="答复乙：已整改。")

    # Each applicant sees their own review and answer, never the other's.
    client.force_login(ev.w.applicant_user)
    html = client.get(_rate_url(mine)).content.decode()
    assert "答复甲" in html and "我的意见" in html
    assert "答复乙" not in html and "别人的意见" not in html
    refused = client.get(_rate_url(theirs))
    assert refused.status_code == 404
    body = refused.content.decode()
    assert "答复乙" not in body and "别人的意见" not in body and "无法评价" in body
    # Nor can they rate it again in the other's place.
    assert client.post(_rate_url(theirs), {"level": "1"}).status_code == 404
    assert Evaluation.objects.get(case=theirs).second_level is None

    client.force_login(other_user)
    assert client.get(_rate_url(mine)).status_code == 404
    assert "答复乙" in client.get(_rate_url(theirs)).content.decode()

    # Staff of the department use the workbench, not the applicant's page; unknown is a 404 too.
    client.force_login(ev.w.head)
    assert client.get(_rate_url(mine)).status_code == 404
    client.force_login(ev.w.applicant_user)
    assert client.get("/evaluate/case/379902-20261124-99999999/").status_code == 404

    client.logout()
    r = client.get(_rate_url(mine))
    assert r.status_code == 302 and "/accounts/applicant/login/" in r["Location"]


def test_the_second_invitation_link_shows_the_answer_and_takes_the_second_rating(client, ev):
    case = ev.completed_case()
    client.force_login(ev.w.applicant_user)
    client.post(_rate_url(case), {"level": "4"})
    _answer(ev, FollowUp.objects.get(evaluation__case=case))
    inv = Invitation.objects.get(service_ref=case.case_no, purpose=InvitationPurpose.SECOND)
    client.logout()
    url = f"/evaluate/i/{inv.token}/"
    html = client.get(url).content.decode()
    assert ANSWER in html and "已答复，待再评价" in html and _levels_offered(html) == 5
    assert VERIFICATION not in html
    assert client.post(url, {"level": "1"}).status_code == 302
    assert Evaluation.objects.get(case=case).second_level == 1
    assert client.get("/evaluate/i/" + "x" * 40 + "/").status_code == 404


def test_a_general_window_visit_names_the_centre_as_responsible(client, ev):
    ticket = ev.served_ticket()
    url = f"/evaluate/ticket/{ticket.token}/"
    assert client.post(url, {"level": "5"}).status_code == 302
    html = client.get(url).content.decode()
    assert "东湖区政务服务中心" in html and "待核实" in html


@pytest.mark.parametrize("level", ["1", "3"])
def test_a_good_rating_has_no_follow_up_panel(client, ev, level):
    case = ev.completed_case()
    client.force_login(ev.w.applicant_user)
    client.post(_rate_url(case), {"level": level})
    html = client.get(_rate_url(case)).content.decode()
    assert 'id="follow-up"' not in html and "每次服务只能评价一次" in html
    assert _levels_offered(html) == 0
