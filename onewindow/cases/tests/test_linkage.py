"""四级联动: a village station takes a district item in, forwards it up, the result comes back
down; 市区联动: city and district departments hold steps of one case; who sees what."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.models import Role
from onewindow.cases import selectors, services
from onewindow.cases.models import (
    Case,
    CaseEvent,
    CaseHop,
    DeliveryMethod,
    HopKind,
    ProcessStep,
    Task,
    TaskKind,
)
from onewindow.cases.services import Upload
from onewindow.cases.tests.conftest import pdf_bytes
from onewindow.cases.workflow import Action, CaseState, TaskState
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.notifications.models import Notification
from onewindow.regions.models import Region, RegionLevel
from onewindow.workdays.selectors import add_workdays

pytestmark = pytest.mark.django_db


@pytest.fixture
def levels(world: Any, make_staff: Any) -> SimpleNamespace:
    r = world.regions
    v2 = Region.objects.create(code=r["t1"].code[:9] + "002", name="湖滨村",
                               level=RegionLevel.VILLAGE, parent=r["t1"])
    return SimpleNamespace(
        village=r["v1"], v2=v2,
        village_clerk=make_staff(Role.CLERK, r["v1"], username="village_clerk"),
        v2_clerk=make_staff(Role.CLERK, v2, username="v2_clerk"),
        town_supervisor=make_staff(Role.SUPERVISOR, r["t1"], username="town_sup"),
        t2_supervisor=make_staff(Role.SUPERVISOR, r["t2"], username="t2_sup"),
    )


def station_case(world: Any, lv: Any, *, accept: bool = True) -> Case:
    """The village station takes the district market bureau's item in for the applicant."""
    case = services.case_create(
        actor=lv.village_clerk, item=world.item, applicant=world.applicant, channel="window",
        form_data={"shop_name": "湖滨小吃店", "category": "预包装食品"},
        intake_region=lv.village)
    for m in case.materials.all():
        services.case_attach_material(actor=lv.village_clerk, case=case, material_id=m.pk,
                                      upload=Upload(f"{m.name}.pdf", pdf_bytes(m.name)))
    services.case_submit(actor=lv.village_clerk, case=case)
    if accept:
        for m in case.materials.all():
            services.case_check_material(actor=lv.village_clerk, case=case, material_id=m.pk,
                                         verdict="verified")
        services.case_accept(actor=lv.village_clerk, case=case)
    case.refresh_from_db()
    return case


def active_step(case: Case) -> Task:
    return Task.objects.get(case=case, kind=TaskKind.STEP, state=TaskState.ACTIVE)


def test_village_to_district_and_back(world, levels):
    case = station_case(world, levels)
    assert (case.region, case.intake_region, case.state) == (
        world.regions["d1"], levels.village, CaseState.IN_REVIEW)
    hop = services.case_forward(actor=levels.village_clerk, case=case, note="纸质材料 2 份")
    assert (hop.kind, hop.from_region, hop.to_region) == (HopKind.FORWARD, levels.village,
                                                         world.regions["d1"])
    assert hop.due == add_workdays(timezone.localdate(hop.sent_at), 2).date
    with pytest.raises(Conflict):
        services.case_forward(actor=levels.village_clerk, case=case)
    # The district window sees it arrive and receives it; the village cannot receive its own.
    assert [h.pk for h in selectors.hops_in_transit(user=world.clerk)] == [hop.pk]
    assert selectors.hops_in_transit(user=levels.village_clerk) == []
    with pytest.raises(NotFound):
        services.hop_receive(actor=levels.village_clerk, hop=hop)
    services.hop_receive(actor=world.clerk, hop=hop)
    # The district reviews and decides; the result is sent down to the village at once.
    services.task_pass(actor=world.reviewer, task=active_step(case))
    services.task_decide(actor=world.head, task=active_step(case), approve=True)
    back = CaseHop.objects.get(case=case, kind=HopKind.RETURN)
    assert (back.from_region, back.to_region, back.received_at) == (
        world.regions["d1"], levels.village, None)
    assert [h.pk for h in selectors.hops_in_transit(user=levels.village_clerk)] == [back.pk]
    services.hop_receive(actor=levels.village_clerk, hop=back)
    assert Notification.objects.filter(phone=world.applicant.mobile,
                                 body__contains="请到该处领取").exists()
    # The station hands the result over: the case is complete where it began.
    case.refresh_from_db()
    services.case_deliver(actor=levels.village_clerk, case=case, method=DeliveryMethod.WINDOW,
                          identity_checked=True)
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions.count(Action.FORWARD) == 1 and actions.count(Action.RECEIVE_HOP) == 2


def test_a_preliminary_review_has_twenty_working_days(world, levels):
    case = station_case(world, levels)
    hop = services.case_forward(actor=levels.village_clerk, case=case, preliminary=True)
    assert hop.kind == HopKind.PRELIMINARY and hop.limit_days == 20
    assert hop.due == add_workdays(timezone.localdate(hop.sent_at), 20).date


def test_intake_rules(world, levels):
    # Only for an item of a level above the station, with the station inside its area.
    other_item = world.item
    with pytest.raises(ValidationFailed) as exc:
        services.case_create(actor=world.clerk, item=other_item, applicant=world.applicant,
                             channel="window", intake_region=world.regions["d1"])
    assert "intake_region" in exc.value.field_errors
    with pytest.raises(ValidationFailed):
        services.case_create(actor=world.other_clerk, item=other_item,
                             applicant=world.applicant, channel="window",
                             intake_region=world.regions["t2"])
    # A clerk may take in only at their own station.
    with pytest.raises(PermissionDenied):
        services.case_create(actor=levels.v2_clerk, item=other_item, applicant=world.applicant,
                             channel="window", intake_region=levels.village)
    # Without an intake region a village clerk cannot accept a district item at all.
    with pytest.raises(PermissionDenied):
        services.case_create(actor=levels.village_clerk, item=other_item,
                             applicant=world.applicant, channel="window")
    # A case received at the district directly has nothing to forward.
    plain = world.accepted_case()
    with pytest.raises(Conflict):
        services.case_forward(actor=world.clerk, case=plain)


def test_who_sees_the_station_case(world, levels, client):
    case = station_case(world, levels)
    for user in (levels.village_clerk, levels.town_supervisor, world.clerk, world.reviewer):
        assert selectors.case_get_for_staff(user=user, case_no=case.case_no) == case, user
        assert Case.objects.filter(selectors.staff_scope_q(user), pk=case.pk).exists(), user
    for user in (levels.v2_clerk, levels.t2_supervisor, world.other_clerk):
        with pytest.raises(NotFound):
            selectors.case_get_for_staff(user=user, case_no=case.case_no)
        assert not Case.objects.filter(selectors.staff_scope_q(user), pk=case.pk).exists()
    # The other village's clerk cannot forward it either (not found for them).
    with pytest.raises(PermissionDenied):
        services.case_forward(actor=levels.v2_clerk, case=case)

    # Pages and API.
    client.force_login(levels.village_clerk)
    html = client.get(f"/workbench/cases/{case.case_no}/").content.decode()
    assert "四级联动" in html and "转报上级审批" in html
    r = client.post(f"/workbench/cases/{case.case_no}/act/forward/", {"note": "随件纸质材料"})
    assert r.status_code == 302
    hop = CaseHop.objects.get(case=case)
    client.force_login(levels.v2_clerk)
    assert client.get(f"/workbench/cases/{case.case_no}/").status_code == 404
    r = client.post(f"/api/v1/cases/hops/{hop.pk}/receive")
    assert r.status_code == 404
    client.force_login(world.clerk)
    assert "待接收的流转件" in client.get("/workbench/cases/window/").content.decode()
    listed = client.get("/api/v1/cases/hops/in-transit").json()
    assert [h["id"] for h in listed] == [hop.pk]
    r = client.post(f"/api/v1/cases/hops/{hop.pk}/receive")
    assert r.status_code == 200, r.content
    r = client.post(f"/api/v1/cases/hops/{hop.pk}/receive")
    assert r.status_code == 409
    r = client.post(f"/api/v1/cases/{case.case_no}/forward", json.dumps({}),
                    content_type="application/json")
    assert r.status_code in (403, 409)


def test_city_and_district_hold_steps_of_one_case(world, make_staff):
    """市区联动审批: a district review, a city review, the district's decision — one case."""
    deps = world.departments
    for i, (name, role, dep) in enumerate((("区级审查", Role.REVIEWER, deps["d1_market"]),
                                           ("市级复核", Role.REVIEWER, deps["city_market"]),
                                           ("决定", Role.DEPARTMENT_HEAD, deps["d1_market"])),
                                          start=1):
        ProcessStep.objects.create(item=world.item, sort_order=i, name=name, role=role,
                                   department=dep, limit_days=3)
    city_reviewer = make_staff(Role.REVIEWER, world.regions["city"], deps["city_market"],
                               username="city_reviewer")
    case = world.accepted_case()
    steps = list(Task.objects.filter(case=case).order_by("seq"))
    assert [t.department for t in steps] == [deps["d1_market"], deps["city_market"],
                                             deps["d1_market"]]
    services.task_pass(actor=world.reviewer, task=active_step(case))
    # The city reviewer finds it in the inbox, sees the case, and passes their step.
    assert [t.case_id for t in selectors.inbox(user=city_reviewer)] == [case.pk]
    assert selectors.case_get_for_staff(user=city_reviewer, case_no=case.case_no) == case
    with pytest.raises(NotFound):  # not theirs before it arrives / after: district steps
        services.task_pass(actor=city_reviewer, task=steps[0])
    services.task_pass(actor=city_reviewer, task=active_step(case), opinion="市级复核同意")
    services.task_decide(actor=world.head, task=active_step(case), approve=True)
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED
    # A reviewer of the city department without a step on this case does not see it.
    other = make_staff(Role.REVIEWER, world.regions["city"], deps["city_health"],
                       username="city_health_reviewer")
    with pytest.raises(NotFound):
        selectors.case_get_for_staff(user=other, case_no=case.case_no)



def test_the_case_screen_offers_a_supervision_notice_to_supervisors_only(
        client, world, levels, make_staff):
    case = station_case(world, levels)
    client.force_login(make_staff(Role.SUPERVISOR, world.regions["d1"], username="d1_sup"))
    html = client.get(f"/workbench/cases/{case.case_no}/").content.decode()
    assert f"/workbench/supervision/notices/?case={case.case_no}" in html
    # The town's supervisor sees the case taken in beneath it, but supervises the district's
    # departments only from the district.
    client.force_login(levels.town_supervisor)
    assert "发出督办单" not in client.get(f"/workbench/cases/{case.case_no}/").content.decode()
    client.force_login(levels.village_clerk)
    html = client.get(f"/workbench/cases/{case.case_no}/").content.decode()
    assert "发出督办单" not in html


def test_the_cases_api_sends_proxy_applications_to_the_proxy_service(client, world, make_staff):
    """An agent cannot skip the villager's consent by creating an agent case directly."""
    agent = make_staff(Role.AGENT, world.regions["v1"], username="api_agent")
    client.force_login(agent)
    before = Case.objects.count()
    r = client.post("/api/v1/cases", json.dumps({
        "item": world.item.implementation_code, "channel": "agent",
        "applicant_id": world.applicant.pk, "form": {}}), content_type="application/json")
    assert r.status_code == 422 and "/api/v1/proxy" in r.content.decode()
    assert Case.objects.count() == before


def test_a_station_clerk_takes_a_district_item_in_through_the_counter_form(client, world,
                                                                          levels):
    """就近办 at the counter: the village clerk finds the district's item among theirs, fills
    the form, and the case is the district's with the village as where it was taken in."""
    client.force_login(levels.village_clerk)
    base = f"/workbench/cases/window/new/?applicant={world.applicant.pk}"
    html = client.get(f"{base}&iq=食品").content.decode()
    assert world.item.implementation_code in html
    form_url = f"{base}&item={world.item.implementation_code}"
    r = client.post(form_url, {"shop_name": "荷花湾小卖部", "category": "预包装食品"})
    assert r.status_code == 302, r.content.decode()[:500]
    case = Case.objects.get(form_data__shop_name="荷花湾小卖部")
    assert (case.region, case.intake_region, case.state) == (
        world.regions["d1"], levels.village, CaseState.SUBMITTED)
    # The other village's clerk is offered no such thing for this village and sees nothing.
    client.force_login(levels.v2_clerk)
    assert client.get(f"/workbench/cases/{case.case_no}/").status_code == 404
    # The district's own clerk creates cases at the district as before (no intake region).
    assert services.intake_region_for(world.clerk, world.item) is None
    assert services.intake_region_for(levels.village_clerk, world.item) == levels.village
