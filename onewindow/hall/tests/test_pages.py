"""Hall pages: the kiosk behind its key, printed ticket and follow page without personal data,
online tickets, the clerk's panel and the figures, with their permissions."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from onewindow.hall import services
from onewindow.hall.models import Ticket, TicketState, WindowSession

pytestmark = pytest.mark.django_db

MORNING = dt.datetime(2026, 11, 24, 9, 30, tzinfo=timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(MORNING, tick=True):
        yield


def kiosk_url(hall, key=None) -> str:
    key = key if key is not None else services.settings_for(hall.centre.pk).kiosk_key
    return f"/hall/{hall.centre.pk}/kiosk/?key={key}"


def test_kiosk_without_its_key_is_refused_and_takes_nothing(client, hall):
    r = client.get(f"/hall/{hall.centre.pk}/kiosk/")
    assert r.status_code == 403 and "取号机" in r.content.decode()
    r = client.post(kiosk_url(hall, "bad"), {"category": hall.general.pk})
    assert r.status_code == 403
    assert client.get("/hall/999999/kiosk/?key=x").status_code == 404
    assert not Ticket.objects.exists()


def test_kiosk_takes_a_ticket_and_prints_it_with_a_qr_code(client, hall):
    r = client.get(kiosk_url(hall))
    assert r.status_code == 200 and "综合受理" in r.content.decode()
    r = client.post(kiosk_url(hall), {"category": hall.general.pk, "mobile": "13905391001"})
    assert r.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.holder_mobile == "13905391001"
    printed = client.get(r["Location"])
    page = printed.content.decode()
    assert printed.status_code == 200 and "A001" in page and "<svg" in page
    assert "1390539" not in page  # no personal data on the slip
    assert f"/hall/t/{ticket.token}/" in page or "二维码" in page


def test_kiosk_bad_input_is_explained_and_nothing_is_written(client, hall):
    r = client.post(kiosk_url(hall), {"category": hall.general.pk, "id_number": "123"})
    assert r.status_code == 422 and "18位" in r.content.decode()
    r = client.post(kiosk_url(hall), {"category": "abc"})
    assert r.status_code == 422 and "请选择业务类别" in r.content.decode()
    assert not Ticket.objects.exists()


def test_kiosk_check_in_of_an_online_ticket_by_mobile(client, hall):
    t = services.ticket_take(centre=hall.centre, category=hall.general, source="online",
                             user=hall.applicant)
    key = services.settings_for(hall.centre.pk).kiosk_key
    url = f"/hall/{hall.centre.pk}/kiosk/check-in/?key={key}"
    r = client.post(url, {"mobile": "13905391001"})
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.state == TicketState.WAITING


def test_the_follow_page_shows_place_and_window(client, hall):
    first = services.ticket_take(centre=hall.centre, category=hall.general)
    second = services.ticket_take(centre=hall.centre, category=hall.general,
                                  mobile="13905391001")
    page = client.get(f"/hall/t/{second.token}/").content.decode()
    assert "A002" in page and "前面还有" in page and "1390539" not in page
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    services.ticket_call_next(user=hall.clerk)
    page = client.get(f"/hall/t/{first.token}/").content.decode()
    assert "请到 01 号窗口办理" in page
    assert client.get("/hall/t/nope/").status_code == 404


def test_online_ticket_page_flow_needs_sign_in(client, hall):
    r = client.post(f"/hall/{hall.centre.pk}/online/", {"category": hall.general.pk})
    assert r.status_code == 302 and "/accounts/applicant/login/" in r["Location"]
    assert not Ticket.objects.exists()
    client.force_login(hall.applicant)
    assert "综合受理" in client.get("/hall/").content.decode()
    r = client.post(f"/hall/{hall.centre.pk}/online/", {"category": hall.general.pk})
    ticket = Ticket.objects.get()
    assert r["Location"] == f"/hall/t/{ticket.token}/"
    assert ticket.state == TicketState.RESERVED
    r = client.post(f"/hall/t/{ticket.token}/cancel/")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED


def test_panel_permissions(client, hall):
    r = client.get("/workbench/hall/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    client.force_login(hall.applicant)
    assert client.get("/workbench/hall/").status_code == 403
    client.force_login(hall.admin)
    assert client.get("/workbench/hall/").status_code == 403
    client.force_login(hall.other_clerk)
    r = client.post("/workbench/hall/", {"action": "sign_in", "window": hall.windows["01"].pk})
    assert r.status_code == 422 and not WindowSession.objects.exists()
    client.force_login(hall.chief)
    page = client.get("/workbench/hall/").content.decode()
    assert "市场监管窗口" in page and "01号窗口" not in page


def test_panel_calls_serves_and_links_the_case_page(client, hall):
    services.ticket_take(centre=hall.centre, category=hall.general, mobile="13905391001")
    client.force_login(hall.clerk)
    page = client.get("/workbench/hall/").content.decode()
    assert "01号窗口" in page and "西岭" not in page
    assert client.post("/workbench/hall/", {"action": "sign_in",
                                            "window": hall.windows["01"].pk}).status_code == 302
    assert client.post("/workbench/hall/", {"action": "call"}).status_code == 302
    page = client.get("/workbench/hall/").content.decode()
    assert "A001" in page and "开始办理" in page
    client.post("/workbench/hall/", {"action": "start"})
    page = client.get("/workbench/hall/").content.decode()
    assert "/workbench/cases/window/new/?q=13905391001" in page
    client.post("/workbench/hall/", {"action": "finish"})
    assert Ticket.objects.get().state == TicketState.SERVED
    r = client.post("/workbench/hall/", {"action": "pause", "reason": "break",
                                         "back_at": "25:99"})
    assert r.status_code == 422 and "14:30" in r.content.decode()
    r = client.post("/workbench/hall/", {"action": "bogus"})
    assert r.status_code == 422


def test_figures_page_scope_and_excel(client, hall, make_staff):
    from onewindow.accounts.models import Role

    services.ticket_take(centre=hall.centre, category=hall.general)
    client.force_login(hall.clerk)
    assert client.get("/workbench/hall/figures/").status_code == 403
    sup = make_staff(Role.SUPERVISOR, hall.regions["d2"])  # the other district
    client.force_login(sup)
    page = client.get("/workbench/hall/figures/?start=2026-11-24&end=2026-11-24")
    assert page.status_code == 200 and "所选期间没有取号记录" in page.content.decode()
    assert client.get(f"/workbench/hall/figures/?centre={hall.centre.pk}").status_code == 404
    client.force_login(hall.admin)
    r = client.get("/workbench/hall/figures/?start=2026-11-24&end=2026-11-24")
    assert "A 综合受理" in r.content.decode()
    r = client.get("/workbench/hall/figures/?start=bad&end=2026-11-24")
    assert r.status_code == 422 and "年-月-日" in r.content.decode()
    x = client.get("/workbench/hall/figures/?start=2026-11-24&end=2026-11-24&format=xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"


def test_a_windows_public_card_shows_who_serves_or_where_they_are(client, hall):
    url = f"/hall/window/{hall.windows['01'].pk}/"
    assert "暂停服务，请到其他窗口办理" in client.get(url).content.decode()
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    page = client.get(url).content.decode()
    assert "测试clerk_a" in page and "服务中" in page and "工号" in page
    services.window_pause(user=hall.clerk, reason="business", whereabouts="区档案馆调档")
    page = client.get(url).content.decode()
    assert "外出办事" in page and "区档案馆调档" in page
    assert client.get("/hall/window/999999/").status_code == 404


def test_queue_rules_admin_lists_each_windows_tablet_address(client, hall):
    """The centre's admin page gives the kiosk, the screen and one 评价器 address per window,
    each carrying the centre's kiosk key; the tablet page opens with it."""
    rules = hall.rules
    hall.admin.is_staff = True
    hall.admin.save(update_fields=["is_staff"])
    client.force_login(hall.admin)
    page = client.get(f"/admin/hall/hallsettings/{rules.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for w in hall.windows.values():
        if w.centre_id == hall.centre.pk and w.is_active:
            assert f"/hall/{hall.centre.pk}/tablet/{w.pk}/?key={rules.kiosk_key}" in html
    w = next(w for w in hall.windows.values() if w.centre_id == hall.centre.pk)
    client.logout()
    assert client.get(f"/hall/{hall.centre.pk}/tablet/{w.pk}/?key={rules.kiosk_key}"
                      ).status_code == 200
    assert client.get(f"/hall/{hall.centre.pk}/tablet/{w.pk}/?key=wrong").status_code == 403
