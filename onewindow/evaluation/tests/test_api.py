"""HTTP API: permission matrix, junk input is a 4xx never a 500, throttling, identity."""

from __future__ import annotations

import json

import pytest

from onewindow.evaluation import services
from onewindow.evaluation.models import Appeal, Complaint, EvalChannel, Evaluation, FollowUp

API = "/api/v1/evaluation"


def post(client, url, body, **kw):
    return client.post(API + url, json.dumps(body), content_type="application/json", **kw)


def bad_case_review(ev):
    case = ev.completed_case()
    service = services.rateable_case(actor=ev.w.applicant_user, case_no=case.case_no)
    e = services.evaluation_submit(service=service, level=5, channel=EvalChannel.PC,
                                   comment="来回跑了三次")
    return case, e, FollowUp.objects.get(evaluation=e)


def test_an_applicant_rates_only_their_own_completed_case(client, ev):
    case = ev.completed_case()
    url = f"/cases/{case.case_no}/rate"
    assert post(client, url, {"level": 1}).status_code == 401
    for outsider in (ev.w.clerk, ev.w.head, ev.supervisor):
        client.force_login(outsider)
        assert post(client, url, {"level": 1}).status_code == 404
    assert not Evaluation.objects.exists()
    client.force_login(ev.w.applicant_user)
    status = client.get(API + f"/cases/{case.case_no}").json()
    assert status["finished"] and not status["rated"] and len(status["levels"]) == 5
    assert [x["label"] for x in status["levels"]] == ["非常满意", "满意", "基本满意", "不满意",
                                                     "非常不满意"]
    r = post(client, url, {"level": 2, "comment": "好", "channel": "mobile"})
    assert r.status_code == 201 and r.json()["level_label"] == "满意"
    again = post(client, url, {"level": 5})
    assert again.status_code == 409 and "只能评价一次" in again.json()["message"]
    assert Evaluation.objects.get().channel == "mobile"


def test_junk_input_is_a_4xx_never_a_500(client, ev):
    case = ev.completed_case()
    ticket = ev.served_ticket()
    client.force_login(ev.w.applicant_user)
    junk = [
        ("post", f"/cases/{case.case_no}/rate", {"level": "five"}),
        ("post", f"/cases/{case.case_no}/rate", {"level": 7}),
        ("post", f"/cases/{case.case_no}/rate", {"level": 1, "channel": "fax"}),
        ("post", f"/cases/{case.case_no}/rate", {"level": 1, "comment": "x" * 501}),
        ("post", f"/cases/{'9' * 300}/rate", {"level": 1}),
        ("post", f"/tickets/{ticket.token}/rate", [1, 2]),
        ("post", "/tickets/%00%00/rate", {"level": 1}),
        ("post", "/invitations/nope/rate", {"level": 1}),
        ("post", "/complaints", {"target_kind": "moon", "subject": "x", "content": "y"}),
        ("post", "/complaints", {"target_kind": "window", "window_id": -1, "subject": "x",
                                 "content": "y", "mobile": "13900000000"}),
        ("post", "/complaints/follow/zzz/rate", {"level": 1}),
        ("get", "/reviews?limit=0", None),
        ("get", "/reviews?before=abc", None),
        ("get", "/follow-ups/999999", None),
        ("post", "/sms-reply", {"phone": "1", "text": "1"}),
    ]
    for method, url, body in junk:
        r = post(client, url, body) if method == "post" else client.get(API + url)
        assert 400 <= r.status_code < 500, (url, r.status_code, r.content[:200])
    raw = client.post(API + f"/cases/{case.case_no}/rate", "{not json",
                      content_type="application/json")
    assert raw.status_code in (400, 422)
    assert not Evaluation.objects.exists() and not Complaint.objects.exists()


def test_a_ticket_is_rated_by_its_token_and_second_rating_after_the_answer(client, ev):
    ticket = ev.served_ticket(window=ev.market_window)
    status = client.get(API + f"/tickets/{ticket.token}").json()
    assert status["finished"] and not status["rated"]
    r = post(client, f"/tickets/{ticket.token}/rate", {"level": 4, "channel": "tablet"})
    assert r.status_code == 201 and r.json()["follow_up_id"]
    e = Evaluation.objects.get()
    assert e.channel == "tablet"
    fu = FollowUp.objects.get(evaluation=e)
    services.follow_up_call_back(actor=ev.w.head, follow_up=fu, verification="核实",
                                 callback_note="回访")
    services.follow_up_respond(actor=ev.w.head, follow_up=fu, outcome="rectified",
                               response="已加开窗口。")
    status = client.get(API + f"/tickets/{ticket.token}").json()
    assert status["awaiting_second"] and status["response"] == "已加开窗口。"
    r = post(client, f"/tickets/{ticket.token}/rate", {"level": 2})
    assert r.status_code == 201 and r.json()["second_level"] == 2
    assert post(client, f"/tickets/{ticket.token}/rate", {"level": 1}).status_code == 409


def test_follow_up_endpoints_permission_matrix(client, ev):
    _case, e, fu = bad_case_review(ev)
    detail, call = f"/follow-ups/{fu.pk}", f"/follow-ups/{fu.pk}/call-back"
    body = {"verification": "核实", "callback_note": "回访"}
    assert client.get(API + detail).status_code == 401
    for outsider, code in ((ev.w.applicant_user, 404), (ev.other_head, 404),
                           (ev.w.other_reviewer, 404), (ev.w.clerk, 404),
                           (ev.other_supervisor, 404)):
        client.force_login(outsider)
        assert client.get(API + detail).status_code == code
        assert post(client, call, body).status_code == code
        assert client.get(API + "/follow-ups").json()["items"] == []
    fu.refresh_from_db()
    assert fu.state == "open"
    client.force_login(ev.supervisor)  # reads, but is not the responsible unit
    assert client.get(API + detail).status_code == 200
    assert post(client, call, body).status_code == 404
    client.force_login(ev.w.head)
    listed = client.get(API + "/follow-ups").json()["items"]
    assert [x["id"] for x in listed] == [fu.pk] and "****" in listed[0]["rater_phone"]
    assert client.get(API + detail).json()["rater_phone"] == "13905391001"
    r = post(client, call, body)
    assert r.status_code == 200 and r.json()["state"] == "called"
    bad = post(client, f"/follow-ups/{fu.pk}/respond", {"outcome": "plan", "response": "x"})
    assert bad.status_code == 422 and "rectify_by" in bad.json()["errors"]
    r = post(client, f"/follow-ups/{fu.pk}/appeal", {"reason": "恶意差评"})
    assert r.status_code == 201 and r.json()["state"] == "pending"
    assert post(client, f"/follow-ups/{fu.pk}/appeal", {"reason": "again"}).status_code == 409


def test_appeal_decisions_are_for_the_supervision_office_in_scope(client, ev):
    _case, e, fu = bad_case_review(ev)
    appeal = services.appeal_file(actor=ev.w.head, evaluation=e, reason="恶意")
    url = f"/appeals/{appeal.pk}/decide"
    for outsider, code in ((ev.w.head, 404), (ev.other_supervisor, 404),
                           (ev.w.applicant_user, 404)):
        client.force_login(outsider)
        assert post(client, url, {"uphold": True, "note": "x"}).status_code == code
    client.force_login(ev.w.head)
    assert client.get(API + "/appeals").status_code == 403
    assert Appeal.objects.get().state == "pending"
    client.force_login(ev.supervisor)
    assert [a["id"] for a in client.get(API + "/appeals").json()] == [appeal.pk]
    r = post(client, url, {"uphold": True, "note": "录像显示服务规范，申诉成立"})
    assert r.status_code == 200 and r.json()["state"] == "upheld"
    figures = client.get(API + "/figures").json()
    assert figures["evaluations"][0]["total"] == 0 and figures["region"] == "东湖区"
    assert client.get(API + "/reviews").json()["items"] == []


def test_anonymous_complaints_are_allowed_but_throttled(client, ev, settings):
    settings.ONEWINDOW_COMPLAINT_RATE = 2
    body = {"target_kind": "window", "window_id": ev.window.pk, "subject": "插队",
            "content": "工作人员让熟人插队。", "mobile": "13905397777", "name": "王五"}
    r = post(client, "/complaints", body)
    assert r.status_code == 201 and r.json()["number"].startswith("TS")
    follow = r.json()["follow_url"].split("/")[-2]
    assert post(client, "/complaints", {**body, "mobile": "13905397778"}).status_code == 201
    third = post(client, "/complaints", {**body, "mobile": "13905397779"})
    assert third.status_code == 429 and "频繁" in third.json()["message"]
    assert Complaint.objects.count() == 2
    info = client.get(API + f"/complaints/follow/{follow}").json()
    assert info["state"] == "received" and not info["can_rate"] and "王五" not in json.dumps(info)
    assert "13905397777" not in json.dumps(info)


def test_the_daily_limit_per_mobile(client, ev, settings):
    settings.ONEWINDOW_COMPLAINT_DAILY_PER_MOBILE = 1
    body = {"target_kind": "department", "department_id": ev.w.departments["d1_market"].pk,
            "subject": "s", "content": "c", "mobile": "13905397777"}
    assert post(client, "/complaints", body).status_code == 201
    assert post(client, "/complaints", body, REMOTE_ADDR="10.0.0.9").status_code == 429


def test_complaint_identity_is_for_the_supervision_office_only(client, ev):
    c = services.complaint_submit(
        actor=None, channel="online", target_kind="window", window_id=ev.market_window.pk,
        subject="刁难", content="窗口人员刁难", mobile="13905396666", name="赵六")
    services.complaint_assign(actor=ev.supervisor, complaint=c, assignee=ev.supervisor,
                              ask_department=True)
    for insider in (ev.w.head, ev.w.chief):  # the department and the staff at that window
        client.force_login(insider)
        assert client.get(API + f"/complaints/{c.number}").status_code == 404
        assert client.get(API + "/complaints").status_code == 403
        listed = client.get(API + "/statements")
        assert listed.status_code == 200 and [x["number"] for x in listed.json()] == [c.number]
        text = listed.content.decode()
        assert "赵六" not in text and "13905396666" not in text and "6666" not in text
    r = post(client, f"/statements/{c.number}", {"statement": "已核实，系误会。"})
    assert r.status_code == 200 and "赵六" not in r.content.decode()
    client.force_login(ev.other_head)
    assert client.get(API + "/statements").json() == []
    assert post(client, f"/statements/{c.number}", {"statement": "x"}).status_code == 404
    client.force_login(ev.supervisor)
    full = client.get(API + f"/complaints/{c.number}").json()
    assert (full["complainant_name"], full["complainant_mobile"]) == ("赵六", "13905396666")
    assert full["department_statement"] == "已核实，系误会。"
    r = post(client, f"/complaints/{c.number}/answer",
             {"answer": "经核实，已批评教育。", "investigation": "调取录像", "substantiated": True})
    assert r.status_code == 200 and r.json()["state"] == "answered"
    client.logout()
    r = post(client, f"/complaints/follow/{c.token}/rate", {"level": 1})
    assert r.status_code == 200 and r.json()["state"] == "closed"


def test_desk_entry_and_figures_need_supervise(client, ev):
    body = {"channel": "phone", "target_kind": "department",
            "department_id": ev.w.departments["d1_market"].pk, "subject": "电话投诉",
            "content": "内容", "mobile": "13905395555"}
    client.force_login(ev.hall_clerk)
    assert post(client, "/complaints/desk", body).status_code == 403
    assert client.get(API + "/figures").status_code == 403
    client.force_login(ev.supervisor)
    r = post(client, "/complaints/desk", body)
    assert r.status_code == 201 and r.json()["channel"] == "phone"
    assert client.get(API + "/figures?region=379903000000").status_code == 404
    fig = client.get(API + "/figures?group_by=department").json()
    assert fig["complaints"][0]["received"] == 1


def test_the_sms_gateway_hook_needs_its_secret(client, ev, settings):
    case = ev.completed_case()
    services.invitations_send_recent()
    body = {"phone": "13905391001", "text": "1"}
    assert post(client, "/sms-reply", body).status_code == 403  # no secret configured
    settings.ONEWINDOW_SMS_REPLY_SECRET = "s3cret"
    assert post(client, "/sms-reply", body, HTTP_X_ONEWINDOW_SECRET="wrong").status_code == 403
    r = post(client, "/sms-reply", body, HTTP_X_ONEWINDOW_SECRET="s3cret")
    assert r.status_code == 200 and r.json() == {"ok": True, "code": "rated"}
    assert Evaluation.objects.get().service_ref == case.case_no


@pytest.mark.parametrize("n", [1, 4])
def test_lists_do_a_fixed_number_of_queries(client, ev, n, django_assert_max_num_queries):
    for i in range(n):
        t = ev.served_ticket(window=ev.market_window, mobile=f"1390539{i:04d}")
        services.evaluation_submit(service=services.rateable_ticket(token=t.token), level=5,
                                   channel=EvalChannel.QR)
        services.complaint_submit(actor=None, channel="online", target_kind="window",
                                  window_id=ev.market_window.pk, subject="s", content="c",
                                  mobile=f"1390539{i:04d}")
    client.force_login(ev.supervisor)
    for url in ("/follow-ups", "/complaints", "/reviews", "/appeals"):
        with django_assert_max_num_queries(8):
            assert client.get(API + url).status_code == 200
