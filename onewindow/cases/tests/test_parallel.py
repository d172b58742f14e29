"""并联审批: one acceptance, participants' opinions at once, the lead decides when all are in."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import pytest

from onewindow.accounts.models import Role
from onewindow.cases import selectors, services
from onewindow.cases.models import Case, CaseEvent, ParallelParticipant, Task, TaskKind
from onewindow.cases.workflow import Action, CaseState, TaskState
from onewindow.core.errors import Conflict, NotFound, ValidationFailed
from onewindow.regions.models import Department
from onewindow.workdays.selectors import add_workdays

pytestmark = pytest.mark.django_db


@pytest.fixture
def par(world: Any, make_staff: Any) -> SimpleNamespace:
    """The market bureau leads; fire safety (5 days, silence is consent) and housing (3 days,
    no deemed consent) give opinions."""
    d1 = world.regions["d1"]
    fire = Department.objects.create(region=d1, code="XF", name="东湖区消防救援大队")
    housing = Department.objects.create(region=d1, code="ZJ", name="东湖区住房和城乡建设局")
    ParallelParticipant.objects.create(item=world.item, department=fire, sort_order=1,
                                       subject="消防安全检查", limit_days=5, deemed_consent=True)
    ParallelParticipant.objects.create(item=world.item, department=housing, sort_order=2,
                                       subject="建筑安全意见", limit_days=3)
    return SimpleNamespace(
        fire=fire, housing=housing,
        fire_reviewer=make_staff(Role.REVIEWER, d1, fire, username="fire_reviewer"),
        fire_head=make_staff(Role.DEPARTMENT_HEAD, d1, fire, username="fire_head"),
        housing_reviewer=make_staff(Role.REVIEWER, d1, housing, username="housing_reviewer"),
    )


def opinion_task(case: Case, department: Department) -> Task:
    return Task.objects.get(case=case, kind=TaskKind.OPINION, department=department)


def lead_task(case: Case) -> Task:
    return Task.objects.get(case=case, kind=TaskKind.STEP, state=TaskState.ACTIVE)


def to_last_step(world: Any, case: Case) -> Task:
    services.task_pass(actor=world.reviewer, task=lead_task(case), opinion="材料齐全")
    return lead_task(case)


def test_acceptance_starts_every_participant_at_once_with_its_own_limit(world, par):
    case = world.accepted_case()
    opinions = list(Task.objects.filter(case=case, kind=TaskKind.OPINION).order_by("seq"))
    assert [t.department for t in opinions] == [par.fire, par.housing]
    assert all(t.state == TaskState.ACTIVE and t.started_on == case.accepted_on for t in opinions)
    assert opinions[0].due == add_workdays(case.accepted_on, 5).date
    assert opinions[1].due == add_workdays(case.accepted_on, 3).date
    assert opinions[0].deemed_consent and not opinions[1].deemed_consent
    # The lead's own first step runs too; the lead's steps are numbered apart.
    assert lead_task(case).seq == 1
    # Participants see the case (the one set of materials) and find the task in their inbox.
    seen = selectors.case_get_for_staff(user=par.fire_reviewer, case_no=case.case_no)
    assert seen.materials.count() == case.materials.count() > 0
    assert [t.case_id for t in selectors.inbox(user=par.fire_reviewer)] == [case.pk]
    # A reviewer of an uninvolved department does not.
    with pytest.raises(NotFound):
        selectors.case_get_for_staff(user=world.other_reviewer, case_no=case.case_no)


def test_all_agree_then_the_lead_decides(world, par):
    case = world.accepted_case()
    last = to_last_step(world, case)
    with pytest.raises(Conflict) as exc:
        services.task_decide(actor=world.head, task=last, approve=True)
    assert exc.value.code == "opinions_pending"
    assert "消防救援大队" in exc.value.message and "住房和城乡建设局" in exc.value.message
    services.task_opinion(actor=par.fire_reviewer, task=opinion_task(case, par.fire), agree=True,
                          opinion="同意，开业前完成消防设施检测")
    services.task_opinion(actor=par.housing_reviewer, task=opinion_task(case, par.housing),
                          agree=True)
    services.task_decide(actor=world.head, task=lead_task(case), approve=True)
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED and case.decision == "approved"
    events = list(CaseEvent.objects.filter(case=case, action=Action.OPINION))
    assert [e.data["agree"] for e in events] == [True, True]
    assert not any(e.public for e in events)  # internal opinions are not the applicant's log


def test_one_disagrees_so_the_lead_can_only_deny(world, par):
    case = world.accepted_case()
    with pytest.raises(ValidationFailed) as exc:
        services.task_opinion(actor=par.housing_reviewer, task=opinion_task(case, par.housing),
                              agree=False, opinion="  ")
    assert "opinion" in exc.value.field_errors
    assert opinion_task(case, par.housing).state == TaskState.ACTIVE  # nothing written
    services.task_opinion(actor=par.housing_reviewer, task=opinion_task(case, par.housing),
                          agree=False, opinion="房屋结构不符合餐饮经营安全要求")
    services.task_opinion(actor=par.fire_head, task=opinion_task(case, par.fire), agree=True)
    last = to_last_step(world, case)
    with pytest.raises(Conflict) as exc:
        services.task_decide(actor=world.head, task=last, approve=True)
    assert exc.value.code == "participant_disagrees"
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW  # the refused approval wrote nothing
    services.task_decide(actor=world.head, task=lead_task(case), approve=False,
                         reason="住建部门审查不同意：房屋结构不符合要求")
    case.refresh_from_db()
    assert case.decision == "denied"


@pytest.mark.parametrize("late", ["fire", "housing"])
def test_time_runs_out_with_and_without_deemed_consent(time_machine, world, par, late):
    case = world.accepted_case()
    other = par.housing if late == "fire" else par.fire
    other_actor = par.housing_reviewer if late == "fire" else par.fire_reviewer
    services.task_opinion(actor=other_actor, task=opinion_task(case, other), agree=True)
    late_dep = getattr(par, late)
    due = opinion_task(case, late_dep).due
    last = to_last_step(world, case)
    with pytest.raises(Conflict):  # still within its time: the lead waits
        services.task_decide(actor=world.head, task=last, approve=True)
    time_machine.move_to(dt.datetime.combine(due + dt.timedelta(days=1), dt.time(9),
                                             tzinfo=dt.UTC), tick=False)
    services.task_decide(actor=world.head, task=lead_task(case), approve=True)
    task = opinion_task(case, late_dep)
    assert task.state == TaskState.DONE
    timeout = CaseEvent.objects.get(case=case, action=Action.OPINION_TIMEOUT)
    if late == "fire":  # configured: silence counts as consent, recorded as such
        assert task.outcome == "deemed_consent" and "视为同意" in task.opinion
        assert timeout.data["deemed_consent"] is True
    else:  # flagged as late, no consent recorded
        assert task.outcome == "timed_out" and "视为同意" not in task.opinion
        assert timeout.data["deemed_consent"] is False
    assert timeout.data["department"] == late_dep.name


def test_who_may_do_what(world, par):
    case = world.accepted_case()
    # A participant cannot work on the lead's steps, nor another participant's opinion.
    with pytest.raises(NotFound):
        services.task_pass(actor=par.fire_reviewer, task=lead_task(case))
    with pytest.raises(NotFound):
        services.task_opinion(actor=par.fire_reviewer, task=opinion_task(case, par.housing),
                              agree=True)
    # The lead's reviewer cannot answer for a participant; an opinion is not a step.
    with pytest.raises(NotFound):
        services.task_opinion(actor=world.reviewer, task=opinion_task(case, par.fire),
                              agree=True)
    with pytest.raises(Conflict):
        services.task_opinion(actor=world.reviewer, task=lead_task(case), agree=True)
    # Once given, an opinion cannot be given again.
    services.task_opinion(actor=par.fire_reviewer, task=opinion_task(case, par.fire), agree=True)
    with pytest.raises(Conflict):
        services.task_opinion(actor=par.fire_reviewer, task=opinion_task(case, par.fire),
                              agree=False, opinion="改主意")


def test_a_clock_stop_moves_the_participants_due_dates_too(time_machine, world, par):
    case = world.accepted_case()
    before = opinion_task(case, par.fire).due
    material = case.materials.first()
    services.task_request_more(actor=world.reviewer, task=lead_task(case),
                               materials=[{"id": material.pk, "note": "请补充平面图"}])
    stopped_on = case.accepted_on
    back = add_workdays(stopped_on, 3).date
    time_machine.move_to(dt.datetime.combine(back, dt.time(2), tzinfo=dt.UTC), tick=False)
    case.refresh_from_db()
    # Participants may still answer while the clock stands still.
    services.task_opinion(actor=par.housing_reviewer, task=opinion_task(case, par.housing),
                          agree=True)
    from onewindow.cases.services import Upload
    from onewindow.cases.tests.conftest import pdf_bytes

    services.case_attach_material(actor=world.applicant_user, case=case, material_id=material.pk,
                                  upload=Upload("平面图.pdf", pdf_bytes("plan")))
    services.case_supply(actor=world.applicant_user, case=case)
    assert opinion_task(case, par.fire).due == add_workdays(before, 3).date


# --- pages and API -----------------------------------------------------------------------------


def test_participant_page_and_api(client, world, par):
    case = world.accepted_case()
    client.force_login(par.fire_reviewer)
    page = client.get(f"/workbench/cases/{case.case_no}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "反馈并联审查意见" in html and "并联审批 · 参与部门意见" in html
    assert "act-decide" not in html and "act-pass" not in html
    bad = client.post(f"/workbench/cases/{case.case_no}/act/opinion/",
                      {"decision": "deny", "opinion": ""})
    assert bad.status_code == 422 and "opinion" in bad.content.decode()
    assert opinion_task(case, par.fire).state == TaskState.ACTIVE
    ok = client.post(f"/workbench/cases/{case.case_no}/act/opinion/",
                     {"decision": "approve", "opinion": "同意"})
    assert ok.status_code == 302
    assert opinion_task(case, par.fire).outcome == "agree"

    # The API: the housing participant answers; others are refused.
    task = opinion_task(case, par.housing)
    client.force_login(world.other_reviewer)
    r = client.post(f"/api/v1/cases/tasks/{task.pk}/opinion", json.dumps({"agree": True}),
                    content_type="application/json")
    assert r.status_code == 404
    client.force_login(world.reviewer)  # sees the case, but it is not their task
    r = client.post(f"/api/v1/cases/tasks/{task.pk}/opinion", json.dumps({"agree": True}),
                    content_type="application/json")
    assert r.status_code == 403
    client.force_login(par.housing_reviewer)
    r = client.post(f"/api/v1/cases/tasks/{task.pk}/opinion",
                    json.dumps({"agree": False, "opinion": ""}),
                    content_type="application/json")
    assert r.status_code == 422 and "opinion" in r.content.decode()
    r = client.post(f"/api/v1/cases/tasks/{task.pk}/opinion",
                    json.dumps({"agree": False, "opinion": "结构安全不满足"}),
                    content_type="application/json")
    assert r.status_code == 200, r.content
    detail = client.get(f"/api/v1/cases/{case.case_no}").json()
    kinds = {t["department"]: (t["kind"], t["outcome"]) for t in detail["tasks"]}
    assert kinds[par.housing.name] == ("opinion", "disagree")
    assert kinds[par.fire.name] == ("opinion", "agree")

    # The lead sees both opinions side by side.
    client.force_login(world.head)
    html = client.get(f"/workbench/cases/{case.case_no}/").content.decode()
    assert "结构安全不满足" in html and "不同意" in html and "东湖区消防救援大队" in html


def test_a_decision_is_signalled_after_commit(world, django_capture_on_commit_callbacks):
    from onewindow.cases.signals import case_decided

    got: list[dict[str, Any]] = []

    def receiver(sender: Any, **kw: Any) -> None:
        got.append(kw)

    case_decided.connect(receiver)
    try:
        case = world.accepted_case()
        services.task_pass(actor=world.reviewer, task=lead_task(case))
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.task_decide(actor=world.head, task=lead_task(case), approve=True)
        assert got == []  # nothing before the commit
        for cb in callbacks:
            cb()
        case.refresh_from_db()
        assert got == [{"signal": case_decided, "case_id": case.pk, "approved": True,
                        "certificate_id": case.certificate.pk}]
    finally:
        case_decided.disconnect(receiver)


def test_green_channel_tasks_are_marked_and_come_first(client, world):
    """绿色通道: a registered resolver (the enterprise app in production) marks every task of
    its applicants' cases, and the inbox opens with them ahead of more urgent ordinary ones."""
    from onewindow.cases import green_channel

    ordinary = world.accepted_case()

    def resolver(applicant_id: int, region: Any) -> bool:
        return applicant_id == world.applicant.pk and region == world.regions["d1"]

    green_channel.register_green_channel_resolver(resolver)
    try:
        green = world.accepted_case()
    finally:
        green_channel.unregister_green_channel_resolver(resolver)
    assert set(Task.objects.filter(case=green).values_list("green_channel", flat=True)) == {True}
    assert set(Task.objects.filter(case=ordinary).values_list("green_channel",
                                                              flat=True)) == {False}
    # The ordinary case is older (due no later), yet the green one is listed first.
    client.force_login(world.reviewer)
    html = client.get("/workbench/cases/inbox/").content.decode()
    assert html.index(green.case_no) < html.index(ordinary.case_no)
    assert html.count(green.case_no) == html.count(ordinary.case_no)  # listed once each
