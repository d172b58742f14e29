"""企忧事项 through the services: a concern's life, its rules, deadlines and the overdue job."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.enterprise import selectors, services, tasks
from onewindow.enterprise.models import Concern, ConcernEvent, EnterpriseVisit
from onewindow.enterprise.services import ConcernInput
from onewindow.enterprise.workflow import ConcernState
from onewindow.notifications.models import Notification

TZ = timezone.get_default_timezone()


def notes_to(user) -> list[Notification]:
    return list(Notification.objects.filter(user_id=user.pk).order_by("id"))


def test_a_concern_lives_from_a_visit_to_its_resolution_and_the_companys_satisfaction(ent):
    health = ent.d1_health
    visit = services.visit_record(
        actor=ent.head, file=ent.file_a, visited_on=dt.date(2026, 11, 23),
        summary="走访企业生产车间，了解扩产计划", attendees="总经理、财务负责人",
        concerns=[
            ConcernInput("新招工人健康证办理排队时间长，影响上岗", "labour", assign_to=health),
            ConcernInput("厂区道路未硬化，雨天货车无法进出", "infrastructure"),
        ])
    assert visit.department == ent.departments["d1_market"]  # the head's own department
    first, second = Concern.objects.filter(visit=visit).order_by("id")
    # Numbers come from the row id; the deadline is 10 working days after 2026-11-24 (Tue).
    assert first.number == f"QY20261124{first.pk:06d}"
    assert first.deadline == second.deadline == dt.date(2026, 12, 8)
    assert (first.state, first.assigned_department) == (ConcernState.ASSIGNED, health)
    assert (second.state, second.assigned_department) == (ConcernState.RAISED, None)
    assert first.raised_by_department == ent.departments["d1_market"]
    # The assigned department is told; the unassigned one goes to the office to assign.
    assert any(first.number in n.subject for n in notes_to(ent.health_reviewer))
    assert any("待交办" in n.subject for n in notes_to(ent.admin))

    # The department that recorded it assigns its own unassigned concern …
    services.concern_assign(actor=ent.head, concern=second,
                            department=ent.departments["d1_market"])
    second.refresh_from_db()
    assert second.state == ConcernState.ASSIGNED
    # … but once assigned only the office re-assigns (with a new limit from today).
    with pytest.raises(PermissionDenied):
        services.concern_assign(actor=ent.head, concern=second, department=health)
    services.concern_assign(actor=ent.admin, concern=second, department=health, days=5,
                            note="由卫健部门牵头协调")
    second.refresh_from_db()
    assert (second.assigned_department, second.deadline) == (health, dt.date(2026, 12, 1))

    # The assigned department records progress (办理中) and resolves it.
    services.concern_follow(actor=ent.health_reviewer, concern=first,
                            note="已与体检中心协调，增设企业专场")
    first.refresh_from_db()
    assert first.state == ConcernState.IN_PROGRESS
    services.concern_resolve(actor=ent.health_reviewer, concern=first,
                             resolution="每周三下午开设企业健康证专场，当日出证")
    first.refresh_from_db()
    assert first.state == ConcernState.RESOLVED
    assert first.resolved_at is not None and first.on_time is True
    assert first.resolved_by == ent.health_reviewer
    assert any("已办结" in n.subject for n in notes_to(ent.head))  # the recorder hears of it

    # The company's satisfaction is recorded once.
    services.concern_rate(actor=ent.head, concern=first, satisfaction="satisfied",
                          note="企业表示满意")
    with pytest.raises(Conflict):
        services.concern_rate(actor=ent.head, concern=first, satisfaction="basic")
    first.refresh_from_db()
    assert first.satisfaction == "satisfied"

    # The log holds every step in order.
    actions = list(ConcernEvent.objects.filter(concern=first).order_by("seq")
                   .values_list("seq", "action", "to_state"))
    assert actions == [(1, "raise", "raised"), (2, "assign", "assigned"),
                       (3, "progress", "in_progress"), (4, "resolve", "resolved"),
                       (5, "rate", "resolved")]
    first.refresh_from_db()
    assert first.event_count == 5


def test_explaining_needs_a_reason_and_a_closed_concern_takes_no_more_steps(ent):
    c = ent.concern(assign_to=ent.d1_health)
    for reason in ("", "   ", "不行"):
        with pytest.raises(ValidationFailed) as err:
            services.concern_explain(actor=ent.health_reviewer, concern=c, reason=reason)
        assert "reason" in err.value.field_errors
        assert "理由" in err.value.field_errors["reason"][0]
    c.refresh_from_db()
    assert c.state == ConcernState.ASSIGNED and c.explanation == ""
    services.concern_explain(actor=ent.health_reviewer, concern=c,
                             reason="该路段属村集体道路，列入明年村道硬化计划，已向企业说明")
    c.refresh_from_db()
    assert c.state == ConcernState.EXPLAINED and "村道硬化" in c.explanation
    with pytest.raises(Conflict):
        services.concern_resolve(actor=ent.health_reviewer, concern=c, resolution="已经全部解决")
    with pytest.raises(Conflict):
        services.concern_follow(actor=ent.health_reviewer, concern=c, note="再跟踪")
    with pytest.raises(Conflict):
        services.concern_assign(actor=ent.admin, concern=c, department=ent.d1_health)
    # The database itself refuses an explained concern without a reason.
    with pytest.raises(IntegrityError), transaction.atomic():
        Concern.objects.filter(pk=c.pk).update(explanation="")


def test_a_concern_is_resolved_only_after_it_was_assigned_and_only_by_its_department(ent):
    c = ent.concern()
    with pytest.raises(Conflict) as err:
        services.concern_resolve(actor=ent.admin, concern=c, resolution="已经处理好了")
    assert "交办" in err.value.message
    services.concern_assign(actor=ent.admin, concern=c, department=ent.d1_health)
    # The recording department (market) is not the assigned one: it may not resolve.
    with pytest.raises(PermissionDenied) as err:
        services.concern_resolve(actor=ent.head, concern=c, resolution="已经处理好了")
    assert "东湖区卫生健康局" in err.value.message
    # A district's office does not reach another district's concern at all.
    with pytest.raises(NotFound):
        services.concern_resolve(actor=ent.other_admin, concern=c, resolution="已经处理好了")
    # A department of another district cannot be assigned.
    with pytest.raises(ValidationFailed) as err:
        services.concern_assign(actor=ent.admin, concern=c,
                                department=ent.departments["d2_market"])
    assert "department" in err.value.field_errors
    c.refresh_from_db()
    assert (c.state, c.assigned_department) == (ConcernState.ASSIGNED, ent.d1_health)
    # The office may close it on the department's behalf.
    services.concern_resolve(actor=ent.admin, concern=c, resolution="协调住建部门完成硬化")
    c.refresh_from_db()
    assert c.state == ConcernState.RESOLVED


def test_the_deadline_counts_working_days_across_national_day(ent):
    # Tue 2026-09-29; 10 working days: 9-30, 10-8, 10-9, 10-10 (Sat, make-up day), 10-12 …
    # 10-16, 10-19. Counting calendar weekdays only would give 2026-10-13.
    with time_machine.travel(dt.datetime(2026, 9, 29, 10, 0, tzinfo=TZ), tick=False):
        c = ent.concern()
        short = ent.concern(days=3)
    assert c.deadline == dt.date(2026, 10, 19)
    assert short.deadline == dt.date(2026, 10, 9)
    assert not c.deadline_provisional
    with pytest.raises(ValidationFailed) as err:
        ent.concern(days=61)
    assert "days" in err.value.field_errors


def test_the_overdue_job_marks_once_and_tells_the_department_once(ent):
    late = ent.concern(assign_to=ent.d1_health, days=2)  # due 2026-11-26
    unassigned = ent.concern(days=2)
    done = ent.concern(assign_to=ent.d1_health, days=2)
    services.concern_resolve(actor=ent.health_reviewer, concern=done, resolution="当天已解决")
    on_time = ent.concern(days=10)
    before = Notification.objects.count()
    with time_machine.travel(dt.datetime(2026, 11, 27, 8, 0, tzinfo=TZ), tick=False):
        assert tasks.mark_overdue_concerns.delay().get() == 2
        after_first = Notification.objects.count()
        events = ConcernEvent.objects.count()
        assert services.concerns_mark_overdue() == 0  # idempotent
        assert Notification.objects.count() == after_first
        assert ConcernEvent.objects.count() == events
    late.refresh_from_db()
    unassigned.refresh_from_db()
    done.refresh_from_db()
    on_time.refresh_from_db()
    assert (late.overdue, unassigned.overdue, done.overdue, on_time.overdue) == (
        True, True, False, False)
    assert late.state == ConcernState.ASSIGNED  # overdue is a flag, not a state
    assert any("已超期" in n.subject for n in notes_to(ent.health_reviewer))
    assert any(unassigned.number in n.subject for n in notes_to(ent.admin))
    assert after_first > before
    # A late resolution is recorded as not on time.
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ), tick=False):
        services.concern_resolve(actor=ent.health_reviewer, concern=late, resolution="已协调解决")
    late.refresh_from_db()
    assert late.on_time is False


def test_a_visit_with_bad_input_saves_nothing_and_says_what_is_wrong_field_by_field(ent):
    with pytest.raises(ValidationFailed) as err:
        services.visit_record(
            actor=ent.head, file=ent.file_a, visited_on=dt.date(2026, 11, 30), summary="",
            concerns=[ConcernInput("好", "moon"), ConcernInput("正常的问题描述", "land",
                                                               days=0)])
    fields = err.value.field_errors
    assert set(fields) >= {"visited_on", "summary", "concerns.0.description",
                           "concerns.0.category", "concerns.1.days"}
    assert "晚于今天" in fields["visited_on"][0]
    assert not EnterpriseVisit.objects.exists() and not Concern.objects.exists()


def test_only_liaison_departments_secretaries_and_the_office_record_visits(ent):
    # The health bureau is not a liaison of company A: it does not even see the file …
    with pytest.raises(NotFound):
        services.visit_record(actor=ent.health_reviewer, file=ent.file_a,
                              visited_on=dt.date(2026, 11, 24), summary="走访了解情况")
    # … until a concern of the company is assigned to it; it still may not record visits.
    ent.concern(assign_to=ent.d1_health)
    with pytest.raises(PermissionDenied):
        services.visit_record(actor=ent.health_reviewer, file=ent.file_a,
                              visited_on=dt.date(2026, 11, 24), summary="走访了解情况")
    with pytest.raises(NotFound):
        services.visit_record(actor=ent.other_head, file=ent.file_a,
                              visited_on=dt.date(2026, 11, 24), summary="走访了解情况")
    with pytest.raises(NotFound):
        services.visit_record(actor=ent.clerk, file=ent.file_a,
                              visited_on=dt.date(2026, 11, 24), summary="走访了解情况")
    v = services.visit_record(actor=ent.admin, file=ent.file_a,
                              visited_on=dt.date(2026, 11, 24), summary="营商办走访")
    assert v.department is None
    assert EnterpriseVisit.objects.count() == 1


def test_a_secretary_is_appointed_only_within_scope_and_sees_only_their_companies(ent):
    town_file = services.enterprise_file_open(actor=ent.admin, company=ent.company_c,
                                              region=ent.regions["t1"])
    # The agent's role reaches the town t1 only: not company A's district-level file.
    for user, file in ((ent.agent, ent.file_a), (ent.other_head, ent.file_a),
                       (ent.clerk, town_file)):
        with pytest.raises(ValidationFailed) as err:
            services.secretary_assign(actor=ent.admin, user=user, file=file)
        assert "user" in err.value.field_errors
    with pytest.raises(PermissionDenied):
        services.secretary_assign(actor=ent.other_admin, user=ent.agent, file=town_file)
    assert selectors.files_for(ent.agent) == []  # a serve grant without department: nothing
    a = services.secretary_assign(actor=ent.admin, user=ent.agent, file=town_file)
    with pytest.raises(Conflict):
        services.secretary_assign(actor=ent.admin, user=ent.agent, file=town_file)
    assert [f.pk for f in selectors.files_for(ent.agent)] == [town_file.pk]
    assert any("项目秘书" in n.subject for n in notes_to(ent.agent))

    # The secretary records a concern but leaves assigning to the office …
    with pytest.raises(ValidationFailed) as err:
        services.concern_raise(actor=ent.agent, file=town_file, description="物流园区缺少停车位",
                               category="infrastructure", assign_to=ent.d1_health)
    assert "assign_to" in err.value.field_errors
    c = services.concern_raise(actor=ent.agent, file=town_file, description="物流园区缺少停车位",
                               category="infrastructure")
    services.concern_assign(actor=ent.admin, concern=c, department=ent.d1_health)
    # … follows it up (the state stays) and may not close it.
    services.concern_follow(actor=ent.agent, concern=c, note="企业催问进度")
    c.refresh_from_db()
    assert c.state == ConcernState.ASSIGNED
    assert c.events.order_by("-seq").first().action == "follow"
    with pytest.raises(PermissionDenied):
        services.concern_resolve(actor=ent.agent, concern=c, resolution="已经解决了")

    services.secretary_end(actor=ent.admin, assignment=a, reason="岗位调整")
    assert selectors.files_for(ent.agent) == []
    with pytest.raises(Conflict):
        services.secretary_end(actor=ent.admin, assignment=a)
    # An appointment that starts later is not in force yet.
    services.secretary_assign(actor=ent.admin, user=ent.reviewer, file=ent.file_a,
                              starts_on=dt.date(2026, 12, 1))
    assert not selectors.is_secretary_of(ent.reviewer, ent.file_a)


def test_opening_a_file_checks_the_company_the_region_and_the_liaisons(ent):
    from onewindow.accounts.models import Applicant, ApplicantKind

    person = Applicant.objects.create(kind=ApplicantKind.PERSON, name="张三",
                                      id_number="11010519491231002X", mobile="13905391009")
    with pytest.raises(ValidationFailed) as err:
        services.enterprise_file_open(actor=ent.admin, company=person, region=ent.regions["d1"])
    assert "company" in err.value.field_errors
    with pytest.raises(Conflict):
        services.enterprise_file_open(actor=ent.admin, company=ent.company_a,
                                      region=ent.regions["d1"])
    with pytest.raises(ValidationFailed) as err:
        services.enterprise_file_open(actor=ent.admin, company=ent.company_c,
                                      region=ent.regions["d1"],
                                      liaison_departments=[ent.departments["d2_market"]])
    assert "liaison_departments" in err.value.field_errors
    with pytest.raises(PermissionDenied):
        services.enterprise_file_open(actor=ent.head, company=ent.company_c,
                                      region=ent.regions["d1"])
    with pytest.raises(PermissionDenied):
        services.enterprise_file_open(actor=ent.admin, company=ent.company_c,
                                      region=ent.regions["d2"])


def test_a_key_project_with_a_company_puts_it_on_file_and_gives_the_green_channel(ent):
    c = ent.company_c
    assert not selectors.is_green_channel(c.pk, ent.regions["d1"])
    with pytest.raises(ValidationFailed) as err:
        services.key_project_designate(
            actor=ent.admin, region=ent.regions["d1"], code="", name="", investment="很多",
            lead_department=ent.departments["d2_market"], stage="moon")
    assert set(err.value.field_errors) == {"code", "name", "investment", "lead_department",
                                           "stage"}
    p = services.key_project_designate(
        actor=ent.admin, region=ent.regions["d1"], code="dh-2026-01", name="智能仓储物流园",
        lead_department=ent.departments["d1_market"], company=c, investment="52000",
        stage="approval")
    assert p.code == "DH-2026-01" and str(p.investment) == "52000.00"
    f = c.enterprise_files.get()
    assert f.region == ent.regions["d1"] and f.is_key
    assert list(f.liaisons.values_list("department", flat=True)) == [
        ent.departments["d1_market"].pk]
    with pytest.raises(Conflict):
        services.key_project_designate(
            actor=ent.admin, region=ent.regions["d1"], code="DH-2026-01", name="重复",
            lead_department=ent.departments["d1_market"])
    # Green channel: in the district and below; not above it, not in another district.
    assert selectors.is_green_channel(c.pk, ent.regions["d1"])
    assert selectors.is_green_channel(c.pk, ent.regions["v1"])
    assert not selectors.is_green_channel(c.pk, ent.regions["city"])
    assert not selectors.is_green_channel(c.pk, ent.regions["d2"])
    assert selectors.green_channel_applicant_ids(region=ent.regions["d1"]) == {
        ent.company_a.pk, c.pk}
    assert selectors.green_channel_applicant_ids(region=ent.regions["d2"]) == frozenset()
    services.key_project_update(actor=ent.admin, project=p, green_channel=False)
    assert not selectors.is_green_channel(c.pk, ent.regions["d1"])
    services.enterprise_file_designate(actor=ent.admin, file=ent.file_a, is_key=True,
                                       green_channel=False)
    assert selectors.green_channel_applicant_ids() == frozenset()


def test_the_app_registers_its_green_channel_answer_into_the_cases_registry(monkeypatch, ent):
    import sys
    import types

    from django.apps import apps

    registered = []
    fake = types.ModuleType("onewindow.cases.green_channel")
    fake.register_green_channel_resolver = registered.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "onewindow.cases.green_channel", fake)
    apps.get_app_config("enterprise").ready()
    assert registered == [selectors.is_green_channel]
    assert registered[0](ent.company_a.pk, ent.regions["v1"]) is True
    assert registered[0](ent.company_b.pk, ent.regions["d2"]) is False
