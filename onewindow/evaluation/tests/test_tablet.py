"""评价器 (hall tablet): the kiosk key, the window of the centre, what is offered for rating and
when, one rating per visit whatever the channel, the reasons of a bad rating, the poll."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import Resolver404, include, path, resolve

from onewindow.accounts.models import Role, StaffMember
from onewindow.core import clock
from onewindow.evaluation import services, tablet
from onewindow.evaluation.models import EvalChannel, Evaluation, FollowUp, Responsible
from onewindow.hall import services as hall_services
from onewindow.hall.models import ServiceCategory, Ticket, TicketState
from onewindow.regions.models import CentreKind, ServiceCentre, Window, WindowKind

# The routes the lead adds to onewindow/evaluation/urls.py; used here until they are wired.
urlpatterns = [
    path("hall/<int:centre_id>/tablet/<int:window_id>/", tablet.tablet),
    path("hall/<int:centre_id>/tablet/<int:window_id>/state.json", tablet.tablet_state),
    path("", include("onewindow.urls")),
]


@pytest.fixture(autouse=True)
def _tablet_routes(settings: Any) -> None:
    try:
        wired = resolve("/hall/1/tablet/1/state.json").func is tablet.tablet_state
    except Resolver404:
        wired = False
    if not wired:
        settings.ROOT_URLCONF = __name__


def key_of(ev: Any) -> str:
    return hall_services.settings_for(ev.centre.pk).kiosk_key


def page(ev: Any, window: Window | None = None, *, key: str | None = None,
         suffix: str = "") -> str:
    w = window or ev.market_window
    k = key_of(ev) if key is None else key
    return f"/hall/{w.centre_id}/tablet/{w.pk}/{suffix}?key={k}"


def rate(client: Any, ev: Any, ticket: Ticket, level: Any, window: Window | None = None,
         **extra: Any) -> Any:
    data = {"key": key_of(ev), "ticket": ticket.pk, "level": level, **extra}
    w = window or ev.market_window
    return client.post(f"/hall/{w.centre_id}/tablet/{w.pk}/", data)


def state(client: Any, ev: Any, window: Window | None = None) -> dict[str, Any]:
    r = client.get(page(ev, window, suffix="state.json"))
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    return r.json()


def later(minutes: float) -> Any:
    return time_machine.travel(clock.now() + dt.timedelta(minutes=minutes), tick=False)


# --- access --------------------------------------------------------------------------------------


def test_without_the_kiosk_key_the_tablet_is_refused_in_chinese_and_writes_nothing(client, ev):
    ticket = ev.served_ticket(window=ev.market_window)
    base = f"/hall/{ev.centre.pk}/tablet/{ev.market_window.pk}/"
    for url in (base, f"{base}?key=", f"{base}?key=wrong-key", f"{base}?key={'x' * 500}"):
        r = client.get(url)
        assert r.status_code == 403, url
        assert "此设备未获授权" in r.content.decode()
    r = client.post(base, {"key": "wrong-key", "ticket": ticket.pk, "level": "1"})
    assert r.status_code == 403
    r = client.get(f"{base}state.json?key=wrong-key")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert "ticket" not in r.content.decode()
    assert not Evaluation.objects.exists()
    assert client.get(page(ev)).status_code == 200


def test_an_unknown_window_or_a_window_of_another_centre_is_not_found(client, ev):
    other = ServiceCentre.objects.create(region=ev.w.regions["d2"], kind=CentreKind.SERVICE_CENTRE,
                                         name="西岭区政务服务中心")
    foreign = Window.objects.create(centre=other, number="01", name="西岭1号窗口",
                                    kind=WindowKind.GENERAL)
    key = key_of(ev)
    assert client.get(f"/hall/{ev.centre.pk}/tablet/{foreign.pk}/?key={key}").status_code == 404
    assert client.get(f"/hall/{ev.centre.pk}/tablet/999999/?key={key}").status_code == 404
    assert client.get(f"/hall/999999/tablet/{ev.window.pk}/?key={key}").status_code == 404
    r = client.get(f"/hall/{ev.centre.pk}/tablet/{foreign.pk}/state.json?key={key}")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    # The other centre's own key does not open this centre's windows either.
    other_key = hall_services.settings_for(other.pk).kiosk_key
    assert client.get(f"/hall/{ev.centre.pk}/tablet/{ev.window.pk}/?key={other_key}") \
        .status_code == 403
    ev.window.is_active = False
    ev.window.save(update_fields=["is_active"])
    assert client.get(page(ev, ev.window)).status_code == 404


# --- idle and offer ------------------------------------------------------------------------------


def test_idle_shows_the_window_and_the_staff_on_duty_and_no_faces(client, ev):
    hall_services.window_sign_in(user=ev.w.chief, window=ev.market_window)
    number = StaffMember.objects.get(user=ev.w.chief).staff_number
    r = client.get(page(ev))
    html = r.content.decode()
    assert r.status_code == 200
    assert "市场监管窗口" in html and ">04<" in html
    assert ev.w.chief.display_name in html and f"工号 {number}" in html
    assert "请为本次服务评价" in html and 'name="level"' not in html
    assert 'src="/static/evaluation/tablet.js"' in html and "<script>" not in html
    assert ' style="' not in html  # CSP: no inline styles
    s = state(client, ev)
    assert s["pending"] is None and s["window"]["staff_number"] == number


def test_a_visit_just_served_is_offered_and_rated_with_channel_tablet(client, ev):
    ticket = ev.served_ticket(window=ev.market_window)
    s = state(client, ev)
    assert s["pending"] == {"ticket": ticket.pk, "number": ticket.number}
    html = client.get(page(ev)).content.decode()
    assert html.count('name="level"') == 5 and ticket.number in html
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert f'<span class="tab-label">{label}</span>' in html
    assert s["tag"] in html  # the page knows what it shows: the poll compares

    r = rate(client, ev, ticket, "1")
    assert r.status_code == 302 and "thanks=1" in r["Location"] and "bad=1" not in r["Location"]
    assert "感谢您的评价" in client.get(r["Location"]).content.decode()
    e = Evaluation.objects.get()
    assert (e.channel, e.level, e.service_kind, e.service_ref) == (
        EvalChannel.TABLET, 1, "ticket", str(ticket.pk))
    assert e.ticket_id == ticket.pk and e.window_id == ev.market_window.pk
    assert e.department_id == ev.w.departments["d1_market"].pk
    assert e.staff_id == ev.w.chief.pk and e.region_id == ev.centre.region_id
    assert e.rater_phone == "13905391002"
    assert not FollowUp.objects.exists()
    # Rated: back to idle, nothing offered.
    assert state(client, ev)["pending"] is None
    assert 'name="level"' not in client.get(page(ev)).content.decode()


def test_a_bad_rating_asks_for_reasons_first_then_opens_a_follow_up(client, ev):
    ticket = ev.served_ticket(window=ev.market_window)
    r = rate(client, ev, ticket, "4")
    html = r.content.decode()
    assert r.status_code == 200 and "您选择了“不满意”" in html
    assert "等候时间太长" in html and 'name="step" value="reasons"' in html
    assert not Evaluation.objects.exists()  # nothing written before the second screen

    r = client.post(page(ev).split("?")[0], {
        "key": key_of(ev), "ticket": ticket.pk, "level": "4", "step": "reasons",
        "reason": ["等候时间太长", "业务不熟练", "<script>x</script>"],
        "comment": "叫号后等了很久，我电话13905391002",
    })
    assert r.status_code == 302 and "bad=1" in r["Location"]
    done = client.get(r["Location"]).content.decode()
    assert "感谢您的评价" in done and "回访" in done
    e = Evaluation.objects.get()
    assert e.level == 4 and e.channel == EvalChannel.TABLET
    assert e.comment.startswith("等候时间太长；业务不熟练；叫号后等了很久")
    assert "script" not in e.comment and "13905391002" not in e.comment
    fu = FollowUp.objects.get(evaluation=e)
    assert fu.responsible == Responsible.DEPARTMENT
    assert fu.department_id == ev.w.departments["d1_market"].pk


def test_a_too_long_comment_is_explained_on_the_reasons_screen_and_nothing_is_written(client,
                                                                                       ev):
    ticket = ev.served_ticket(window=ev.market_window)
    r = rate(client, ev, ticket, "5", step="reasons", reason=["服务态度不好"],
             comment="慢" * 600)
    html = r.content.decode()
    assert r.status_code == 422 and "不能超过" in html and "您选择了“非常不满意”" in html
    assert 'value="服务态度不好" checked' in html  # the choice is kept
    assert not Evaluation.objects.exists()
    r = rate(client, ev, ticket, "9")
    assert r.status_code == 422 and "请选择评价等级" in r.content.decode()
    assert rate(client, ev, ticket, "").status_code == 422
    assert not Evaluation.objects.exists()


# --- refusals ------------------------------------------------------------------------------------


def test_a_visit_is_rated_once_whatever_the_channel(client, ev):
    ticket = ev.served_ticket(window=ev.market_window)
    assert rate(client, ev, ticket, "2").status_code == 302
    again = rate(client, ev, ticket, "5", step="reasons")
    assert again.status_code == 409 and "每次服务只能评价一次" in again.content.decode()
    assert Evaluation.objects.get().level == 2 and not FollowUp.objects.exists()

    # Rated first by the QR code on the ticket: the tablet offers nothing and refuses it.
    other = ev.served_ticket(window=ev.market_window, mobile="13905391005")
    services.evaluation_submit(service=services.rateable_ticket(token=other.token), level=3,
                               channel=EvalChannel.QR)
    assert state(client, ev)["pending"] is None
    r = rate(client, ev, other, "1")
    assert r.status_code == 409 and "只能评价一次" in r.content.decode()
    assert Evaluation.objects.get(service_ref=str(other.pk)).channel == EvalChannel.QR
    assert Evaluation.objects.count() == 2


def test_a_visit_of_another_window_cannot_be_rated_from_this_tablet(client, ev, make_staff):
    ticket = ev.served_ticket(window=ev.market_window)
    assert state(client, ev, ev.window)["pending"] is None
    r = rate(client, ev, ticket, "1", window=ev.window)
    assert r.status_code == 404 and "没有找到本窗口可以评价的服务" in r.content.decode()
    # nor a ticket of another centre, nor nonsense
    other = ServiceCentre.objects.create(region=ev.w.regions["d1"],
                                         kind=CentreKind.SERVICE_CENTRE, name="湖滨便民服务中心")
    w2 = Window.objects.create(centre=other, number="01", name="综合窗口",
                               kind=WindowKind.GENERAL)
    cat = ServiceCategory.objects.create(centre=other, letter="A", name="综合受理")
    cat.windows.set([w2])
    clerk = make_staff(Role.CLERK, ev.w.regions["d1"], username="townclerk")
    foreign = hall_services.ticket_take(centre=other, category=cat, mobile="13905391006")
    hall_services.window_sign_in(user=clerk, window=w2)
    hall_services.ticket_call_next(user=clerk)
    hall_services.ticket_finish(user=clerk)
    assert rate(client, ev, Ticket.objects.get(pk=foreign.pk), "1").status_code == 404
    for junk in ("", "abc", "9" * 40, "-1"):
        r = client.post(page(ev).split("?")[0], {"key": key_of(ev), "ticket": junk,
                                                 "level": "1"})
        assert r.status_code == 404, junk
    assert not Evaluation.objects.exists()


def test_a_visit_not_yet_served_cannot_be_rated(client, ev):
    ticket = hall_services.ticket_take(centre=ev.centre, category=ev.market,
                                       mobile="13905391007")
    hall_services.window_sign_in(user=ev.w.chief, window=ev.market_window)
    called = hall_services.ticket_call_next(user=ev.w.chief)
    assert called is not None and called.pk == ticket.pk
    assert state(client, ev)["pending"] is None
    r = rate(client, ev, ticket, "1")
    assert r.status_code == 409 and "尚未办结" in r.content.decode()
    hall_services.ticket_start(user=ev.w.chief)
    assert rate(client, ev, ticket, "1").status_code == 409
    assert not Evaluation.objects.exists()
    hall_services.ticket_finish(user=ev.w.chief)
    assert state(client, ev)["pending"]["ticket"] == ticket.pk


def test_a_visit_served_too_long_ago_is_not_offered(client, ev, settings):
    ticket = ev.served_ticket(window=ev.market_window)
    with later(9):
        assert state(client, ev)["pending"]["ticket"] == ticket.pk
    with later(11):
        assert state(client, ev)["pending"] is None
        assert 'name="level"' not in client.get(page(ev)).content.decode()
        r = rate(client, ev, ticket, "1")
        assert r.status_code == 409 and "评价时间已过" in r.content.decode()
        assert not Evaluation.objects.exists()
        settings.ONEWINDOW_TABLET_RATE_MINUTES = 30  # configurable
        assert state(client, ev)["pending"]["ticket"] == ticket.pk
        assert rate(client, ev, ticket, "1").status_code == 302
    assert Evaluation.objects.get().channel == EvalChannel.TABLET


def test_the_offer_ends_once_the_next_applicant_has_been_at_the_counter(client, ev):
    first = ev.served_ticket(window=ev.market_window)
    hall_services.ticket_take(centre=ev.centre, category=ev.market, mobile="13905391008")
    nxt = hall_services.ticket_call_next(user=ev.w.chief)
    assert nxt is not None
    # The previous applicant may still tap while the next one walks up …
    assert state(client, ev)["pending"]["ticket"] == first.pk
    with later(2):
        # … but not once the next visit is under way.
        assert state(client, ev)["pending"] is None
        assert rate(client, ev, first, "1").status_code == 409
        hall_services.ticket_finish(user=ev.w.chief)
        s = state(client, ev)
        assert s["pending"]["ticket"] == nxt.pk
    assert Ticket.objects.get(pk=first.pk).state == TicketState.SERVED
    assert not Evaluation.objects.exists()


def test_the_poll_tag_changes_with_what_the_screen_should_show(client, ev):
    idle = state(client, ev)["tag"]
    hall_services.window_sign_in(user=ev.w.chief, window=ev.market_window)
    signed_in = state(client, ev)["tag"]
    assert signed_in != idle
    ticket = ev.served_ticket(window=ev.market_window)
    offered = state(client, ev)["tag"]
    assert offered != signed_in
    assert rate(client, ev, ticket, "3").status_code == 302
    assert state(client, ev)["tag"] == signed_in
