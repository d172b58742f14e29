"""Admin screens of 好差评 and 投诉: read-only for everybody, scoped to the user's region subtree
and department, personal data masked, complaints for the supervision office only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onewindow.accounts.models import Role, User
from onewindow.core import clock
from onewindow.evaluation import services
from onewindow.evaluation.models import (
    Appeal,
    Complaint,
    EvalChannel,
    Evaluation,
    FollowUp,
    Invitation,
)
from onewindow.hall import services as hall_services
from onewindow.hall.models import ServiceCategory, Ticket
from onewindow.regions.models import CentreKind, ServiceCentre, Window, WindowKind

ADMIN = "/admin/evaluation/"
LISTS = {
    "evaluation": f"{ADMIN}evaluation/",
    "followup": f"{ADMIN}followup/",
    "appeal": f"{ADMIN}appeal/",
    "complaint": f"{ADMIN}complaint/",
    "invitation": f"{ADMIN}invitation/",
}
EAST, WEST = "东湖区政务服务中心", "西岭区政务服务中心"
COMPLAINANT, COMPLAINANT_MOBILE = "李四光", "13905398888"


@dataclass
class Rows:
    market: Evaluation  # 东湖区, departmental window of d1_market, 非常不满意, rated by an account
    general: Evaluation  # 东湖区, general window, 不满意 (the centre follows up)
    west: Evaluation  # 西岭区, departmental window of d2_market, 不满意
    appeal: Appeal  # on ``market``, filed by the d1_market head
    complaint: Complaint  # about the 东湖区 market window
    west_complaint: Complaint  # about d2_market
    invitation: Invitation  # an unrated 东湖区 ticket
    west_invitation: Invitation  # an unrated 西岭区 ticket
    case_invitation: Invitation  # a completed case of d1_market
    west_head: User  # head of d2_market


def served(centre: ServiceCentre, category: ServiceCategory, clerk: User, mobile: str,
           user: Any = None) -> Ticket:
    ticket = hall_services.ticket_take(centre=centre, category=category, mobile=mobile, user=user)
    window = category.windows.get()
    if hall_services.current_session(clerk) is None:
        hall_services.window_sign_in(user=clerk, window=window)
    called = hall_services.ticket_call_next(user=clerk)
    assert called is not None and called.pk == ticket.pk
    hall_services.ticket_finish(user=clerk)
    return Ticket.objects.get(pk=ticket.pk)


def rated(ticket: Ticket, level: int, comment: str = "") -> Evaluation:
    return services.evaluation_submit(service=services.rateable_ticket(token=ticket.token),
                                      level=level, channel=EvalChannel.TABLET, comment=comment)


@pytest.fixture
def rows(ev: Any, make_staff: Any) -> Rows:
    d2, d2_market = ev.w.regions["d2"], ev.w.departments["d2_market"]
    west = ServiceCentre.objects.create(region=d2, kind=CentreKind.SERVICE_CENTRE, name=WEST)
    west_window = Window.objects.create(centre=west, number="03", name="西岭市场监管窗口",
                                        kind=WindowKind.DEPARTMENTAL, department=d2_market)
    west_cat = ServiceCategory.objects.create(centre=west, letter="C", name="市场监管")
    west_cat.windows.set([west_window])
    west_chief = make_staff(Role.CHIEF, d2, d2_market, username="westchief")

    market = rated(served(ev.centre, ev.market, ev.w.chief, "13905391002",
                          user=ev.w.applicant_user), 5, "等了两个小时")
    general = rated(served(ev.centre, ev.general, ev.hall_clerk, "13905391003"), 4)
    west_eval = rated(served(west, west_cat, west_chief, "13905391004"), 4)
    served(ev.centre, ev.general, ev.hall_clerk, "13905391005")  # not rated: invited
    served(west, west_cat, west_chief, "13905391006")
    case = ev.completed_case()
    services.invitations_send_recent()
    appeal = services.appeal_file(actor=ev.w.head, evaluation=market, reason="恶意差评")
    complaint = services.complaint_submit(
        actor=None, channel="online", target_kind="window", window_id=ev.market_window.pk,
        subject="窗口人员态度生硬", content=f"我是{COMPLAINANT}，电话{COMPLAINANT_MOBILE}。",
        mobile=COMPLAINANT_MOBILE, name=COMPLAINANT)
    west_complaint = services.complaint_submit(
        actor=None, channel="online", target_kind="department", department_id=d2_market.pk,
        subject="西岭办事难", content="跑了三趟。", mobile="13905397777", name="王五")
    return Rows(
        market=market, general=general, west=west_eval, appeal=appeal, complaint=complaint,
        west_complaint=west_complaint,
        invitation=Invitation.objects.get(service_ref=str(
            Ticket.objects.get(holder_mobile="13905391005").pk)),
        west_invitation=Invitation.objects.get(service_ref=str(
            Ticket.objects.get(holder_mobile="13905391006").pk)),
        case_invitation=Invitation.objects.get(service_ref=case.case_no),
        west_head=ev.other_head,
    )


def staff(client: Any, user: User) -> Any:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.logout()
    client.force_login(user)
    return client


def listing(client: Any, name: str, query: str = "") -> str:
    r = client.get(LISTS[name] + query)
    assert r.status_code == 200, (name, r.status_code)
    return r.content.decode()


def change_url(obj: Any) -> str:
    return f"{ADMIN}{obj._meta.model_name}/{obj.pk}/change/"


# --- who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["hall_admin", "supervisor"])
def test_the_admin_and_the_supervisor_see_their_district_only(client, ev, rows, who):
    c = staff(client, getattr(ev, who))
    html = listing(client, "evaluation")
    assert html.count(EAST) == 2 and WEST not in html
    assert "大厅评价器" in html and "非常不满意" in html and "东湖区市场监督管理局" in html
    html = listing(c, "followup")
    assert html.count(EAST) == 2 and WEST not in html
    assert "东湖区市场监督管理局" in html and "西岭区市场监督管理局" not in html
    assert EAST in listing(c, "appeal")
    html = listing(c, "complaint")
    assert rows.complaint.number in html and rows.west_complaint.number not in html
    html = listing(c, "invitation")
    assert f">{rows.invitation.service_ref}<" in html
    assert rows.case_invitation.service_ref in html
    assert f">{rows.west_invitation.service_ref}<" not in html
    # Out-of-scope rows cannot be opened by address either.
    for obj in (rows.west, rows.west.follow_up, rows.west_complaint, rows.west_invitation):
        assert c.get(change_url(obj)).status_code == 302, obj
    for obj in (rows.market, rows.market.follow_up, rows.appeal, rows.complaint,
                rows.invitation, rows.case_invitation):
        assert c.get(change_url(obj)).status_code == 200, obj


def test_the_city_supervision_office_sees_every_district(client, ev, rows):
    c = staff(client, ev.city_supervisor)
    html = listing(c, "evaluation")
    assert EAST in html and WEST in html
    html = listing(c, "complaint")
    assert rows.complaint.number in html and rows.west_complaint.number in html
    html = listing(c, "invitation")
    assert f">{rows.west_invitation.service_ref}<" in html
    assert f">{rows.invitation.service_ref}<" in html


def test_a_department_head_reads_the_reviews_of_their_department_only(client, ev, rows):
    c = staff(client, ev.w.head)  # head of d1_market: stats.view and case.review there
    html = listing(c, "evaluation")
    assert "东湖区市场监督管理局" in html and html.count(EAST) == 1  # not the general window
    assert c.get(change_url(rows.general)).status_code == 302
    html = listing(c, "followup")
    assert html.count(EAST) == 1 and WEST not in html
    # Complaints, appeals and invitations are the supervision office's.
    for name in ("complaint", "appeal", "invitation"):
        assert c.get(LISTS[name]).status_code == 403, name
    assert c.get(change_url(rows.complaint)).status_code == 403

    c = staff(client, rows.west_head)
    html = listing(c, "evaluation")
    assert WEST in html and EAST not in html
    assert c.get(change_url(rows.market)).status_code == 302


def test_the_centre_management_sees_the_follow_ups_of_general_windows(client, ev, rows,
                                                                       make_staff):
    manager = make_staff(Role.ADMIN, ev.w.regions["d2"], username="westadmin")
    html = listing(staff(client, manager), "followup")
    assert WEST in html and EAST not in html


def test_staff_without_a_reading_role_have_no_evaluation_admin(client, ev, rows):
    c = staff(client, ev.hall_clerk)
    for url in LISTS.values():
        assert c.get(url).status_code == 403, url
    assert c.get(change_url(rows.complaint)).status_code == 403
    index = c.get("/admin/")
    assert index.status_code == 200 and LISTS["evaluation"] not in index.content.decode()
    c = staff(client, ev.supervisor)
    index = c.get("/admin/").content.decode()
    for url in LISTS.values():
        assert url in index, url


# --- masking -------------------------------------------------------------------------------------


def test_raters_and_complainants_are_masked_in_lists_and_pages(client, ev, rows):
    c = staff(client, ev.supervisor)
    for html in (listing(c, "evaluation"), c.get(change_url(rows.market)).content.decode()):
        assert "139****1002" in html and "13905391002" not in html  # the ticket's mobile
        assert "139****1001" in html and "13905391001" not in html  # the rater's account
    for html in (listing(c, "complaint"), c.get(change_url(rows.complaint)).content.decode()):
        assert "李**" in html and "139****8888" in html
        assert COMPLAINANT not in html and COMPLAINANT_MOBILE not in html
    for html in (listing(c, "invitation"),
                 c.get(change_url(rows.invitation)).content.decode()):
        assert "139****1005" in html and "13905391005" not in html
        assert rows.invitation.code not in html and rows.invitation.token not in html
    detail = c.get(change_url(rows.complaint)).content.decode()
    assert "窗口人员态度生硬" in detail and "139****8888" in detail


def test_even_a_superuser_sees_masked_data(client, ev, rows):
    root = User.objects.create_superuser(username="root", password="Correct-Horse-9")  # noqa: S106
    client.force_login(root)
    html = listing(client, "complaint")
    assert rows.west_complaint.number in html and COMPLAINANT_MOBILE not in html
    assert "13905391002" not in listing(client, "evaluation")


# --- read-only -----------------------------------------------------------------------------------


def test_nothing_can_be_added_changed_or_deleted_not_even_by_a_superuser(client, ev, rows):
    root = User.objects.create_superuser(username="root", password="Correct-Horse-9")  # noqa: S106
    for user in (ev.supervisor, root):
        c = staff(client, user)
        for name, obj in (("evaluation", rows.market), ("followup", rows.market.follow_up),
                          ("appeal", rows.appeal), ("complaint", rows.complaint),
                          ("invitation", rows.invitation)):
            assert c.get(f"{LISTS[name]}add/").status_code == 403, name
            assert c.get(f"{LISTS[name]}{obj.pk}/delete/").status_code == 403, name
            page = c.get(change_url(obj)).content.decode()
            assert 'name="_save"' not in page, name
            assert 'name="action"' not in listing(c, name), name
    fu = rows.market.follow_up
    r = staff(client, ev.supervisor).post(change_url(fu), {"state": "closed", "response": "x"})
    assert r.status_code == 403
    r = client.post(LISTS["followup"], {"action": "delete_selected", "_selected_action": fu.pk})
    assert FollowUp.objects.get(pk=fu.pk).state == fu.state == "open"
    assert Evaluation.objects.count() == 3 and Complaint.objects.count() == 2
    assert Appeal.objects.get().state == "pending"


# --- filters -------------------------------------------------------------------------------------


def test_filters_by_level_channel_exclusion_and_overdue(client, ev, rows):
    c = staff(client, ev.supervisor)
    assert listing(c, "evaluation", "?level=5").count(EAST) == 1
    assert listing(c, "evaluation", "?level=4").count(EAST) == 1
    assert listing(c, "evaluation", "?channel__exact=tablet").count(EAST) == 2
    assert listing(c, "evaluation", "?channel__exact=qr").count(EAST) == 0
    assert listing(c, "evaluation", "?excluded__exact=1").count(EAST) == 0
    services.appeal_decide(actor=ev.supervisor, appeal=rows.appeal, uphold=True, note="属实")
    assert listing(c, "evaluation", "?excluded__exact=1").count(EAST) == 1

    assert listing(c, "followup", "?overdue=1").count(EAST) == 0
    assert listing(c, "complaint", "?overdue=1").count(rows.complaint.number) == 0
    with time_machine.travel(clock.now() + dt.timedelta(days=20), tick=False):
        c = staff(client, ev.supervisor)  # the session of 20 days ago has expired
        assert listing(c, "followup", "?overdue=1").count(EAST) == 1  # the other was closed
        assert listing(c, "followup", "?overdue=0").count(EAST) == 1
        html = listing(c, "complaint", "?overdue=1")
        assert rows.complaint.number in html and rows.west_complaint.number not in html


# --- queries -------------------------------------------------------------------------------------


def test_the_lists_do_not_query_once_per_row(client, ev, rows):
    c = staff(client, ev.city_supervisor)

    def counts() -> dict[str, int]:
        found = {}
        for name in LISTS:
            with CaptureQueriesContext(connection) as q:
                listing(c, name)
            found[name] = len(q)
        return found

    before = counts()
    more = rated(served(ev.centre, ev.market, ev.w.chief, "13905391011",
                        user=ev.w.applicant_user), 4, "再来一条")
    services.appeal_file(actor=ev.w.head, evaluation=more, reason="重复评价")
    served(ev.centre, ev.general, ev.hall_clerk, "13905391012")
    services.invitations_send_recent()
    services.complaint_submit(
        actor=None, channel="online", target_kind="window", window_id=ev.window.pk,
        subject="又一件", content="内容", mobile="13905396666", name="赵六")
    assert Evaluation.objects.count() == 4 and Invitation.objects.count() == 4
    assert counts() == before
