"""Complaints: life cycle, identity protection, who may enter them, bad input."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from onewindow.accounts.models import StaffMember
from onewindow.cases.tests.conftest import pdf_bytes, png_bytes
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.evaluation import selectors, services
from onewindow.evaluation.models import Complaint, ComplaintFile
from onewindow.evaluation.services import Upload
from onewindow.evaluation.workflow import ComplaintState
from onewindow.notifications.models import Notification

NAME, MOBILE = "李四光", "13905398888"


def complain(ev, actor=None, **kw):
    args = {
        "channel": "online", "target_kind": "staff",
        "staff_number": StaffMember.objects.get(user=ev.hall_clerk).staff_number,
        "subject": "窗口人员态度生硬", "content": "办理时被呵斥，还让我明天再来。",
        "mobile": MOBILE, "name": NAME, **kw,
    }
    return services.complaint_submit(actor=actor, **args)


def test_an_anonymous_complaint_reaches_the_supervision_office_with_a_deadline(ev):
    c = complain(ev, uploads=[Upload("现场照片.png", png_bytes()), Upload("a.pdf", pdf_bytes())])
    assert c.number.startswith("TS20261124") and c.state == ComplaintState.RECEIVED
    assert c.region == ev.hall_clerk.staff_profile.region and c.due == dt.date(2026, 12, 1)
    assert ComplaintFile.objects.filter(complaint=c).count() == 2
    told = set(Notification.objects.filter(dedupe_key__startswith=f"eval:cp:{c.pk}:new")
               .values_list("user_id", flat=True))
    assert {ev.supervisor.pk, ev.city_supervisor.pk} <= told
    assert ev.other_supervisor.pk not in told and ev.hall_clerk.pk not in told
    ack = Notification.objects.get(dedupe_key=f"eval:cp:{c.pk}:ack")
    assert ack.phone == MOBILE and c.number in ack.body and c.token in ack.body
    assert [x.pk for x in selectors.complaints_for_supervisor(ev.supervisor)] == [c.pk]
    assert list(selectors.complaints_for_supervisor(ev.other_supervisor)) == []


def test_complaint_life_assign_statement_answer_and_rating(ev):
    c = complain(ev, target_kind="department", department_id=ev.w.departments["d1_market"].pk,
                 staff_number="")
    with pytest.raises(Conflict):
        services.complaint_answer(actor=ev.supervisor, complaint=c, answer="x",
                                  investigation="y", substantiated=True)
    with pytest.raises(ValidationFailed):  # the assignee must be of the supervision office
        services.complaint_assign(actor=ev.supervisor, complaint=c, assignee=ev.w.head)
    c = services.complaint_assign(actor=ev.supervisor, complaint=c, assignee=ev.city_supervisor,
                                  ask_department=True)
    assert c.state == ComplaintState.INVESTIGATING and c.department_asked
    with pytest.raises(NotFound):
        services.complaint_department_statement(actor=ev.other_head, complaint=c, statement="x")
    c = services.complaint_department_statement(actor=ev.w.head, complaint=c,
                                                statement="经查，当日系统故障导致等候过长。")
    assert c.statement_at is not None
    c = services.complaint_answer(actor=ev.city_supervisor, complaint=c,
                                  answer="投诉属实，已责令整改并通报批评。",
                                  investigation="调取录像核实", substantiated=True)
    assert c.state == ComplaintState.ANSWERED and c.on_time is True
    assert Notification.objects.filter(dedupe_key=f"eval:cp:{c.pk}:answer:sms").exists()
    with pytest.raises(ValidationFailed):
        services.complaint_rate(token=c.token, level=9)
    c = services.complaint_rate(token=c.token, level=2, comment="处理及时")
    assert (c.state, c.rating) == (ComplaintState.CLOSED, 2)
    with pytest.raises(Conflict):
        services.complaint_rate(token=c.token, level=1)
    with pytest.raises(NotFound):
        services.complaint_rate(token="nope", level=1)
    figures = selectors.complaint_figures(region=ev.w.regions["d1"])[0]
    assert (figures.received, figures.answered, figures.answered_on_time,
            figures.substantiated, figures.rated, figures.rated_satisfied) == (1, 1, 1, 1, 1, 1)


def test_the_complained_about_side_never_sees_who_complained(ev):
    signed_in = ev.w.applicant_user
    c = complain(ev, actor=signed_in, target_kind="window", window_id=ev.market_window.pk,
                 staff_number="", content=f"我是{NAME}，电话{MOBILE}，窗口让我跑了三次。")
    assert c.complainant_user == signed_in and c.department == ev.market_window.department
    services.complaint_assign(actor=ev.supervisor, complaint=c, assignee=ev.supervisor,
                              ask_department=True)
    # The department (and the staff at that window) read a view without the complainant.
    for reader in (ev.w.head, ev.w.chief, ev.w.reviewer):
        rows = selectors.complaints_for_department(reader)
        assert [r.number for r in rows] == [c.number]
        text = repr(dataclasses.asdict(rows[0]))
        assert MOBILE not in text and "13905391001" not in text
        assert not {f.name for f in dataclasses.fields(rows[0])} & {
            "complainant_name", "complainant_mobile", "complainant_user", "channel"}
        with pytest.raises(NotFound):
            selectors.complaint_get_for_supervisor(reader, c.number)
        assert list(selectors.complaints_for_supervisor(reader)) == []
    assert "139****8888" in selectors.complaints_for_department(ev.w.head)[0].content
    # Only the supervision office sees the complainant.
    full = selectors.complaint_get_for_supervisor(ev.supervisor, c.number)
    assert (full.complainant_name, full.complainant_mobile) == (NAME, MOBILE)
    # A department not asked, or another department, sees nothing at all.
    assert selectors.complaints_for_department(ev.other_head) == []


def test_a_department_not_asked_to_explain_sees_nothing(ev):
    c = complain(ev, target_kind="department", department_id=ev.w.departments["d1_market"].pk)
    services.complaint_assign(actor=ev.supervisor, complaint=c, assignee=ev.supervisor)
    assert selectors.complaints_for_department(ev.w.head) == []
    with pytest.raises(NotFound):
        services.complaint_department_statement(actor=ev.w.head, complaint=c, statement="x")


def test_the_desk_and_the_supervision_phone_are_for_the_supervision_office(ev):
    for actor in (None, ev.w.applicant_user, ev.hall_clerk, ev.w.head, ev.other_supervisor):
        with pytest.raises(PermissionDenied):
            complain(ev, actor=actor, channel="desk")
    c = complain(ev, actor=ev.supervisor, channel="phone", name="")
    assert c.entered_by == ev.supervisor and c.complainant_user is None
    assert Complaint.objects.count() == 1


def test_bad_complaints_are_reported_field_by_field_and_nothing_is_saved(ev):
    with pytest.raises(ValidationFailed) as err:
        complain(ev, subject="", content="", mobile="12", staff_number="NOPE",
                 uploads=[Upload("a.exe", b"MZ\x90\x00binary"),
                          Upload("blank.png", png_bytes(True))])
    assert set(err.value.field_errors) == {"subject", "content", "mobile", "staff_number", "files"}
    assert len(err.value.field_errors["files"]) == 2
    with pytest.raises(ValidationFailed) as err:
        complain(ev, target_kind="planet")
    assert "target_kind" in err.value.field_errors
    with pytest.raises(ValidationFailed) as err:
        complain(ev, target_kind="window", window_id="1; DROP TABLE")
    assert "window" in err.value.field_errors
    with pytest.raises(ValidationFailed):
        complain(ev, channel="fax")
    assert not Complaint.objects.exists() and not ComplaintFile.objects.exists()


def test_a_case_is_named_by_its_owner_or_with_its_query_code(ev):
    case = ev.completed_case()
    with pytest.raises(ValidationFailed) as err:  # a stranger cannot probe case numbers
        complain(ev, target_kind="case", case_no=case.case_no)
    assert "case_no" in err.value.field_errors
    with pytest.raises(ValidationFailed):
        complain(ev, target_kind="case", case_no=case.case_no, query_code="WRONG")
    c1 = complain(ev, target_kind="case", case_no=case.case_no, query_code=case.query_code)
    c2 = complain(ev, actor=ev.w.applicant_user, target_kind="case", case_no=case.case_no)
    assert c1.target_case == c2.target_case == case and c1.department == case.department


def test_dismissal_and_a_late_answer(ev):
    c = complain(ev)
    c = services.complaint_dismiss(actor=ev.supervisor, complaint=c, reason="不属于本中心受理范围")
    assert c.state == ComplaintState.DISMISSED and c.answer
    c2 = complain(ev, mobile="13905398889")
    services.complaint_assign(actor=ev.supervisor, complaint=c2, assignee=ev.supervisor)
    import time_machine
    from django.utils import timezone

    with time_machine.travel(dt.datetime(2026, 12, 3, 10, tzinfo=timezone.get_default_timezone())):
        figures = selectors.complaint_figures()[0]
        assert figures.open_overdue == 1
        c2 = services.complaint_answer(actor=ev.supervisor, complaint=c2, answer="已处理",
                                       investigation="核实", substantiated=False)
    assert c2.on_time is False
