"""SMS replies (good, bad, junk) and the periodic invitation job (idempotent)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from onewindow.evaluation import services
from onewindow.evaluation.models import (
    EvalChannel,
    Evaluation,
    FollowUp,
    Invitation,
    InvitationPurpose,
    ServiceKind,
)
from onewindow.evaluation.sms import ParsedReply, parse_reply
from onewindow.evaluation.tasks import send_invitations
from onewindow.notifications.models import Notification

PHONE = "13905391001"  # the applicant's mobile in the cases fixture


@pytest.mark.parametrize(("text", "expected"), [
    ("1", ParsedReply(1, "", "")),
    (" 5 ", ParsedReply(5, "", "")),
    ("４", ParsedReply(4, "", "")),  # full-width digit
    ("2 3821", ParsedReply(2, "3821", "")),
    ("5#3821 等了两个小时", ParsedReply(5, "3821", "等了两个小时")),
    ("4，材料被退回三次", ParsedReply(4, "", "材料被退回三次")),
    ("非常满意", ParsedReply(1, "", "")),
    ("非常不满意 态度差", ParsedReply(5, "", "态度差")),
    ("不满意", ParsedReply(4, "", "")),
    ("基本满意。", ParsedReply(3, "", "")),
])
def test_good_replies_are_understood(text, expected):
    assert parse_reply(text) == expected


@pytest.mark.parametrize("text", [
    "", "   ", "0", "6", "12", "1.5", "15 3821", "TD", "退订", "好", "你们是谁", "x" * 2000,
    "\x00\x01", "🙂",
])
def test_junk_replies_are_not_evaluations(text):
    assert parse_reply(text) is None


def _invited_case(ev):
    case = ev.completed_case()
    assert services.invitations_send_recent() == 1
    return case, Invitation.objects.get(service_kind=ServiceKind.CASE, service_ref=case.case_no)


def test_the_invitation_job_writes_one_sms_and_one_in_app_message_once(ev):
    case, inv = _invited_case(ev)
    assert (inv.phone, inv.user_id, inv.purpose) == (PHONE, ev.w.applicant_user.pk, "first")
    sms = Notification.objects.get(dedupe_key=f"eval:inv:{inv.pk}:sms")
    assert "回复数字" in sms.body and inv.code in sms.body
    assert f"/evaluate/i/{inv.token}/" in sms.body
    assert Notification.objects.filter(dedupe_key=f"eval:inv:{inv.pk}:app").exists()
    count = Notification.objects.count()
    assert send_invitations.delay().get() == 0  # the periodic task: nothing more
    assert services.invitations_send_recent() == 0
    assert Notification.objects.count() == count


def test_invitations_skip_rated_unfinished_old_and_unreachable_services(ev):
    rated = ev.completed_case()
    service = services.rateable_case(actor=ev.w.applicant_user, case_no=rated.case_no)
    services.evaluation_submit(service=service, level=1, channel=EvalChannel.PC)
    ev.w.accepted_case()  # not finished
    anonymous = ev.served_ticket(mobile="")  # no phone, no account: cannot be reached
    served = ev.served_ticket(mobile="13905391005")
    assert services.invitations_send_recent() == 1
    assert list(Invitation.objects.values_list("service_kind", "service_ref")) == [
        (ServiceKind.TICKET, str(served.pk))]
    assert not Invitation.objects.filter(service_ref=str(anonymous.pk)).exists()
    Invitation.objects.all().delete()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=30)):
        assert services.invitations_send_recent() == 0  # out of the look-back window


def test_an_sms_reply_rates_the_invited_service(ev):
    case, inv = _invited_case(ev)
    result = services.evaluation_from_sms(phone="+86 139 0539 1001", text="2 办得快")
    assert result.ok and result.evaluation is not None
    e = Evaluation.objects.get()
    assert (e.service_ref, e.level, e.channel, e.comment) == (case.case_no, 2, "sms", "办得快")
    inv.refresh_from_db()
    assert inv.used_at is not None
    assert Notification.objects.filter(dedupe_key=f"eval:thanks:{inv.pk}").exists()
    again = services.evaluation_from_sms(phone=PHONE, text="5")
    assert not again.ok and again.code == "no_invitation"
    assert Evaluation.objects.get().level == 2


def test_a_bad_sms_reply_opens_a_follow_up_and_the_second_reply_closes_it(ev):
    case, _inv = _invited_case(ev)
    assert services.evaluation_from_sms(phone=PHONE, text="5 一直让补材料").ok
    fu = FollowUp.objects.get()
    services.follow_up_call_back(actor=ev.w.head, follow_up=fu, verification="核实",
                                 callback_note="已回访")
    services.follow_up_respond(actor=ev.w.head, follow_up=fu, outcome="rectified",
                               response="已整改：补正一次性告知。")
    second = Invitation.objects.get(purpose=InvitationPurpose.SECOND)
    result = services.evaluation_from_sms(phone=PHONE, text=f"3 {second.code}")
    assert result.ok
    e = Evaluation.objects.get()
    fu.refresh_from_db()
    assert (e.level, e.second_level, e.second_channel, fu.state) == (5, 3, "sms", "closed")


def test_junk_changes_nothing_and_gets_one_help_sms(ev):
    _case, inv = _invited_case(ev)
    for text in ("你好", "12", "ok", "\x00"):
        result = services.evaluation_from_sms(phone=PHONE, text=text)
        assert not result.ok and result.code == "unparsed"
    assert not Evaluation.objects.exists()
    assert Notification.objects.filter(dedupe_key=f"eval:help:{inv.pk}").count() == 1
    assert services.evaluation_from_sms(phone="13800000000", text="1").code == "no_invitation"
    assert services.evaluation_from_sms(phone="abc", text="1").code == "bad_phone"
    wrong = "0000" if inv.code != "0000" else "1111"
    assert services.evaluation_from_sms(phone=PHONE, text=f"1 {wrong}").code == "no_invitation"
    assert not Evaluation.objects.exists()


def test_the_code_picks_the_invitation_when_a_phone_has_several(ev):
    first = ev.served_ticket(mobile="13905391007")
    second = ev.served_ticket(mobile="13905391007")
    assert services.invitations_send_recent() == 2
    inv_first = Invitation.objects.get(service_ref=str(first.pk))
    # Without a code the latest invitation is meant; with one, that invitation.
    assert services.evaluation_from_sms(phone="13905391007", text=f"4 {inv_first.code}").ok
    assert Evaluation.objects.get().service_ref == str(first.pk)
    assert services.evaluation_from_sms(phone="13905391007", text="1").ok
    assert Evaluation.objects.get(service_ref=str(second.pk)).level == 1


def test_an_expired_invitation_link_is_refused(ev):
    _case, inv = _invited_case(ev)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=16)):
        from onewindow.core.errors import Conflict

        with pytest.raises(Conflict):
            services.rateable_invitation(token=inv.token)
        assert services.evaluation_from_sms(phone=PHONE, text="1").code == "no_invitation"
