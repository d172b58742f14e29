"""Hall API over HTTP: kiosk key, public status without personal data, the calling panel and
its permissions, figures in scope; junk input is a 4xx problem, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from onewindow.hall import services
from onewindow.hall.models import Ticket, TicketEvent, TicketState, WindowSession

pytestmark = pytest.mark.django_db

MORNING = dt.datetime(2026, 11, 24, 9, 30, tzinfo=timezone.get_default_timezone())
API = "/api/v1/hall"


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(MORNING, tick=True):
        yield


def key(hall) -> str:
    return services.settings_for(hall.centre.pk).kiosk_key


def test_kiosk_tickets_need_the_centres_kiosk_key(client, hall):
    url = f"{API}/centres/{hall.centre.pk}/tickets"
    r = client.post(url, {"category": hall.general.pk}, content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "kiosk_only"
    r = client.post(url, {"category": hall.general.pk, "key": "wrong"},
                    content_type="application/json")
    assert r.status_code == 403
    assert not Ticket.objects.exists()
    r = client.post(url, {"category": hall.general.pk, "mobile": "13905391001"},
                    content_type="application/json", headers={"X-Kiosk-Key": key(hall)})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"] == "A001" and body["ahead"] == 0 and body["state"] == "waiting"
    assert "13905391001" not in r.content.decode()  # no personal data in the answer
    status = client.get(f"{API}/tickets/{body['token']}")
    assert status.status_code == 200 and status.json()["number"] == "A001"
    assert "1390539" not in status.content.decode()


def test_junk_input_is_a_clear_problem(client, hall):
    url = f"{API}/centres/{hall.centre.pk}/tickets"
    h = {"X-Kiosk-Key": key(hall)}
    r = client.post(url, {"category": hall.general.pk, "mobile": "abc"},
                    content_type="application/json", headers=h)
    assert r.status_code == 422 and "mobile" in r.json()["errors"]
    r = client.post(url, {"category": 999999}, content_type="application/json", headers=h)
    assert r.status_code == 422 and "category" in r.json()["errors"]
    r = client.post(url, "not json", content_type="application/json", headers=h)
    assert 400 <= r.status_code < 500
    r = client.post(url, {"category": "x" * 50}, content_type="application/json", headers=h)
    assert r.status_code == 422
    assert client.get(f"{API}/tickets/{'z' * 200}").status_code == 404
    assert client.get(f"{API}/centres/999999/categories").status_code == 404
    assert not Ticket.objects.exists()


def test_categories_show_waiting_counts_and_estimates(client, hall):
    for _ in range(3):
        services.ticket_take(centre=hall.centre, category=hall.social)
    r = client.get(f"{API}/centres/{hall.centre.pk}/categories")
    assert r.status_code == 200
    rows = {c["letter"]: c for c in r.json()}
    assert rows["B"]["waiting"] == 3 and rows["B"]["wait_minutes"] == 3 * 8
    assert rows["A"]["waiting"] == 0


def test_online_ticket_needs_a_signed_in_applicant_and_only_they_cancel(client, hall):
    body = {"centre": hall.centre.pk, "category": hall.general.pk}
    assert client.post(f"{API}/online-tickets", body,
                       content_type="application/json").status_code == 401
    client.force_login(hall.applicant)
    r = client.post(f"{API}/online-tickets", body, content_type="application/json")
    assert r.status_code == 201 and r.json()["state"] == "reserved"
    token = r.json()["token"]
    assert [t["token"] for t in client.get(f"{API}/my-tickets").json()] == [token]
    client.force_login(hall.clerk)
    assert client.post(f"{API}/tickets/{token}/cancel").status_code == 404
    client.force_login(hall.applicant)
    r = client.post(f"{API}/tickets/{token}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"


def test_online_ticket_checks_in_at_the_kiosk(client, hall):
    ticket = services.ticket_take(centre=hall.centre, category=hall.general,
                                  source="online", user=hall.applicant)
    url = f"{API}/tickets/{ticket.token}/check-in"
    assert client.post(url, {}, content_type="application/json").status_code == 403
    r = client.post(url, {"key": key(hall)}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "waiting"


def test_the_calling_panel_end_to_end(client, hall):
    for _ in range(2):
        services.ticket_take(centre=hall.centre, category=hall.general, mobile="13905391001")
    client.force_login(hall.clerk)
    assert client.get(f"{API}/window").json()["signed_in"] is False
    r = client.post(f"{API}/window/sign-in", {"window": hall.windows["01"].pk},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["window"] == "01"
    r = client.post(f"{API}/window/call-next")
    panel = r.json()
    assert panel["current"]["number"] == "A001" and panel["current"]["state"] == "called"
    assert panel["current"]["holder_mobile"] == "139****1001"
    assert [t["number"] for t in panel["next"]] == ["A002"]
    r = client.post(f"{API}/window/call-next")
    assert r.status_code == 409 and r.json()["code"] == "ticket_open"
    assert client.post(f"{API}/window/start").status_code == 200
    r = client.post(f"{API}/window/transfer", {"category": hall.social.pk},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["current"] is None
    assert Ticket.objects.get(number="A001").category_id == hall.social.pk
    r = client.post(f"{API}/window/call-next")
    assert r.json()["current"]["number"] == "A002"
    r = client.post(f"{API}/window/finish", {"case_numbers": []}, content_type="application/json")
    assert r.status_code == 200 and r.json()["current"] is None
    r = client.post(f"{API}/window/pause", {"reason": "nap"}, content_type="application/json")
    assert r.status_code == 422
    r = client.post(f"{API}/window/pause", {"reason": "break"}, content_type="application/json")
    assert r.json()["status"] == "paused"
    assert client.post(f"{API}/window/call-next").status_code == 409
    assert client.post(f"{API}/window/resume").status_code == 200
    assert client.post(f"{API}/window/sign-out").json()["signed_in"] is False


def test_calling_permissions(client, hall):
    services.ticket_take(centre=hall.centre, category=hall.general)
    # anonymous
    assert client.post(f"{API}/window/call-next").status_code == 401
    # an applicant, a reviewer-like role without hall.call
    client.force_login(hall.applicant)
    assert client.post(f"{API}/window/call-next").status_code == 403
    client.force_login(hall.admin)
    assert client.post(f"{API}/window/sign-in", {"window": hall.windows["01"].pk},
                       content_type="application/json").status_code == 403
    # another district's clerk cannot even see the window
    client.force_login(hall.other_clerk)
    r = client.post(f"{API}/window/sign-in", {"window": hall.windows["01"].pk},
                    content_type="application/json")
    assert r.status_code == 404
    # a departmental chief cannot take a general window
    client.force_login(hall.chief)
    r = client.post(f"{API}/window/sign-in", {"window": hall.windows["01"].pk},
                    content_type="application/json")
    assert r.status_code == 403
    # a clerk not signed in at a window calls nothing
    client.force_login(hall.clerk)
    r = client.post(f"{API}/window/call-next")
    assert r.status_code == 409 and r.json()["code"] == "not_signed_in"
    assert not WindowSession.objects.exists()
    assert Ticket.objects.get().state == TicketState.WAITING
    assert not TicketEvent.objects.exclude(kind="taken").exists()


def test_desk_priority_ticket_by_a_clerk_of_the_centre_only(client, hall):
    url = f"{API}/centres/{hall.centre.pk}/desk-tickets"
    body = {"category": hall.general.pk, "priority": "disabled"}
    client.force_login(hall.other_clerk)
    assert client.post(url, body, content_type="application/json").status_code == 403
    client.force_login(hall.clerk)
    r = client.post(url, body, content_type="application/json")
    assert r.status_code == 201 and r.json()["priority"] == "disabled"


def test_figures_are_scoped_to_the_users_region(client, hall, make_staff):
    from onewindow.accounts.models import Role

    services.ticket_take(centre=hall.centre, category=hall.general)
    services.ticket_take(centre=hall.other_centre,
                         category=hall.other_centre.categories.get())
    params = {"start": "2026-11-24", "end": "2026-11-24"}
    client.force_login(hall.clerk)
    assert client.get(f"{API}/figures", params).status_code == 403
    d1_supervisor = make_staff(Role.SUPERVISOR, hall.regions["d1"])
    client.force_login(d1_supervisor)
    rows = client.get(f"{API}/figures", params).json()
    assert sum(r["taken"] for r in rows) == 1
    r = client.get(f"{API}/figures", {**params, "centre": hall.other_centre.pk})
    assert r.status_code == 404
    city = make_staff(Role.SUPERVISOR, hall.regions["city"])
    client.force_login(city)
    assert sum(r["taken"] for r in client.get(f"{API}/figures", params).json()) == 2
    r = client.get(f"{API}/figures", {"start": "2026-11-24", "end": "2025-01-01"})
    assert r.status_code == 422
