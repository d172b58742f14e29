"""Pages: rate (case, ticket QR, invitation link), reviews, complaint form, workbench scope."""

from __future__ import annotations

from onewindow.evaluation import services
from onewindow.evaluation.models import Complaint, EvalChannel, Evaluation, FollowUp, Invitation


def test_the_applicant_rates_a_case_on_its_rate_page(client, ev):
    case = ev.completed_case()
    url = f"/evaluate/case/{case.case_no}/"
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(ev.w.head)
    assert client.get(url).status_code == 404
    client.force_login(ev.w.applicant_user)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert f'class="rate-label">{label}</span></label>' in html
    bad = client.post(url, {"level": "", "comment": "x"})
    assert bad.status_code == 422 and "请选择评价等级" in bad.content.decode()
    r = client.post(url, {"level": "4", "comment": "补正要求前后不一"})
    assert r.status_code == 302
    done = client.get(r["Location"]).content.decode()
    assert "感谢您的评价" in done and "不满意" in done
    again = client.post(url, {"level": "1"})
    assert again.status_code == 409 and "只能评价一次" in again.content.decode()
    assert Evaluation.objects.get().level == 4 and FollowUp.objects.count() == 1


def test_a_ticket_qr_page_and_an_invitation_link_rate_without_sign_in(client, ev):
    ticket = ev.served_ticket()
    r = client.post(f"/evaluate/ticket/{ticket.token}/", {"level": "1"})
    assert r.status_code == 302
    assert Evaluation.objects.get().channel == "qr"
    case = ev.completed_case()
    services.invitations_send_recent()
    inv = Invitation.objects.get(service_ref=case.case_no)
    assert client.post(f"/evaluate/i/{inv.token}/", {"level": "2"}).status_code == 302
    assert Evaluation.objects.get(service_ref=case.case_no).channel == "mobile"
    assert client.get("/evaluate/i/nope/").status_code == 404
    assert client.get("/evaluate/ticket/" + "x" * 300 + "/").status_code == 404
    waiting = ev.waiting_ticket()
    assert "尚未办结" in client.get(f"/evaluate/ticket/{waiting.token}/").content.decode()


def test_public_reviews_are_anonymised_and_show_the_answer(client, ev):
    case = ev.completed_case()
    e = services.evaluation_submit(
        service=services.rateable_case(actor=ev.w.applicant_user, case_no=case.case_no),
        level=5, channel=EvalChannel.PC, comment="我电话13905391001，一直打不通")
    fu = FollowUp.objects.get(evaluation=e)
    services.follow_up_call_back(actor=ev.w.head, follow_up=fu, verification="v",
                                 callback_note="c")
    services.follow_up_respond(actor=ev.w.head, follow_up=fu, outcome="rectified",
                               response="已增设咨询专线。")
    html = client.get("/reviews/").content.decode()
    assert "非常不满意" in html and "已增设咨询专线。" in html
    assert "13905391001" not in html and "张三丰" not in html
    assert client.get("/reviews/?department=abc&before=x").status_code == 200


def test_the_public_complaint_form_and_its_follow_page(client, ev):
    page = client.get("/complaints/new/")
    assert page.status_code == 200 and "被投诉的部门和工作人员看不到" in page.content.decode()
    bad = client.post("/complaints/new/", {"target_kind": "window", "subject": "", "mobile": "1"})
    assert bad.status_code == 422
    assert "请填写此项" in bad.content.decode() and not Complaint.objects.exists()
    r = client.post("/complaints/new/", {
        "target_kind": "window", "window_id": str(ev.window.pk), "subject": "等候太久",
        "content": "排队两个小时", "mobile": "13905394444"})
    assert r.status_code == 302 and "/complaints/f/" in r["Location"]
    follow = client.get(r["Location"]).content.decode()
    assert Complaint.objects.get().number in follow and "13905394444" not in follow


def test_workbench_pages_follow_scope(client, ev):
    case = ev.completed_case()
    e = services.evaluation_submit(
        service=services.rateable_case(actor=ev.w.applicant_user, case_no=case.case_no),
        level=4, channel=EvalChannel.PC)
    fu = FollowUp.objects.get(evaluation=e)
    c = services.complaint_submit(actor=None, channel="online", target_kind="department",
                                  department_id=case.department_id, subject="s",
                                  content="c", mobile="13905393333", name="钱七")
    detail = f"/workbench/evaluation/follow-ups/{fu.pk}/"
    assert client.get(detail).status_code == 302
    client.force_login(ev.other_head)
    assert client.get(detail).status_code == 404
    assert client.get("/workbench/evaluation/complaints/").status_code == 403
    client.force_login(ev.w.applicant_user)
    assert client.get("/workbench/evaluation/follow-ups/").status_code == 403
    client.force_login(ev.w.head)
    inbox = client.get("/workbench/evaluation/follow-ups/").content.decode()
    assert e.service_label in inbox
    assert client.get(f"/workbench/evaluation/complaints/{c.number}/").status_code == 403
    r = client.post(detail, {"action": "respond", "outcome": "explained", "response": "x"})
    assert r.status_code == 422 and "请先登记核实情况" in r.content.decode()
    assert client.post(detail, {"action": "call_back", "verification": "核实",
                                "callback_note": "回访"}).status_code == 302
    fu.refresh_from_db()
    assert fu.state == "called"
    client.force_login(ev.supervisor)
    page = client.get(f"/workbench/evaluation/complaints/{c.number}/").content.decode()
    assert "钱七" in page and "13905393333" in page
    r = client.post(f"/workbench/evaluation/complaints/{c.number}/",
                    {"action": "assign", "assignee": "supervisor", "ask_department": "1"})
    assert r.status_code == 302
    client.force_login(ev.w.head)
    page = client.get(f"/workbench/evaluation/statements/{c.number}/").content.decode()
    assert "钱七" not in page and "13905393333" not in page and c.subject in page
    assert client.get("/workbench/evaluation/appeals/").status_code == 403
