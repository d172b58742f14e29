"""Tickets and calling: numbering, limits, priority, the calling rule, recall, no-show,
transfer, windows' presence and permissions."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.core.identity import make_id_number
from onewindow.hall import selectors, services
from onewindow.hall.models import (
    Priority,
    Ticket,
    TicketEvent,
    TicketSource,
    TicketState,
    WindowSession,
    WindowStatus,
)

pytestmark = pytest.mark.django_db

MORNING = dt.datetime(2026, 11, 24, 9, 30, tzinfo=timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(MORNING, tick=True):
        yield


def take(hall, category=None, **kw) -> Ticket:
    return services.ticket_take(centre=hall.centre, category=category or hall.general, **kw)


def test_numbers_run_per_category_per_day_and_restart_the_next_day(hall):
    a1, a2 = take(hall), take(hall)
    b1 = take(hall, hall.social)
    assert [a1.number, a2.number, b1.number] == ["A001", "A002", "B001"]
    assert a1.state == TicketState.WAITING and a1.checked_in_at is not None
    with time_machine.travel(MORNING + dt.timedelta(days=1)):
        assert take(hall).number == "A001"
    assert TicketEvent.objects.filter(kind="taken").count() == 4


def test_a_category_of_another_centre_or_inactive_is_refused(hall):
    foreign = hall.other_centre.categories.get()
    with pytest.raises(NotFound):
        services.ticket_take(centre=hall.centre, category=foreign)
    hall.market.is_active = False
    hall.market.save()
    with pytest.raises(NotFound):
        take(hall, hall.market)
    assert not Ticket.objects.exists()


def test_bad_holder_details_are_reported_field_by_field(hall):
    with pytest.raises(ValidationFailed) as err:
        take(hall, mobile="12345", id_number="110101199001011234")
    assert set(err.value.field_errors) == {"mobile", "id_number"}
    assert "手机号码" in err.value.field_errors["mobile"][0]
    assert not Ticket.objects.exists()


def test_the_daily_limit_per_person_counts_id_and_mobile(hall):
    rules = hall.rules
    rules.daily_limit_per_person = 2
    rules.save()
    take(hall, mobile="13905391001")
    take(hall, hall.social, mobile="13905391001")
    with pytest.raises(Conflict) as err:
        take(hall, mobile="139 0539 1001")
    assert err.value.code == "daily_limit" and "上限" in err.value.message
    assert Ticket.objects.count() == 2
    take(hall, mobile="13905391002")  # someone else


def test_an_elderly_id_number_gets_priority_but_the_kiosk_cannot_claim_it(hall):
    old = make_id_number("37090219500101002")
    young = make_id_number("37090220000101002")
    assert take(hall, id_number=old).priority == Priority.ELDERLY
    assert take(hall, id_number=young).priority == ""
    with pytest.raises(ValidationFailed):
        take(hall, priority=Priority.DISABLED)


def test_desk_priority_tickets_need_a_clerk_of_the_centre(hall):
    t = take(hall, source=TicketSource.DESK, priority=Priority.DISABLED, actor=hall.clerk)
    assert t.priority == Priority.DISABLED
    with pytest.raises(PermissionDenied):
        take(hall, source=TicketSource.DESK, priority=Priority.GREEN, actor=hall.other_clerk)


def test_online_tickets_need_sign_in_and_a_timely_check_in(hall):
    with pytest.raises(PermissionDenied):
        take(hall, source=TicketSource.ONLINE)
    t = take(hall, source=TicketSource.ONLINE, user=hall.applicant)
    assert t.state == TicketState.RESERVED and t.holder_mobile == "13905391001"
    later = take(hall)
    services.ticket_check_in(ticket=t)
    t.refresh_from_db()
    assert t.state == TicketState.WAITING
    assert t.queue_at < later.queue_at  # keeps its place from the time it was taken
    late = take(hall, source=TicketSource.ONLINE, user=hall.applicant)
    with time_machine.travel(MORNING + dt.timedelta(hours=3)), pytest.raises(Conflict) as err:
        services.ticket_check_in(ticket=late)
    assert err.value.code == "checkin_late"
    late.refresh_from_db()
    assert late.state == TicketState.EXPIRED


def test_only_the_holder_cancels_an_online_ticket(hall, make_staff):
    t = take(hall, source=TicketSource.ONLINE, user=hall.applicant)
    with pytest.raises(NotFound):
        services.ticket_cancel(ticket=t, user=hall.clerk)
    services.ticket_cancel(ticket=t, user=hall.applicant)
    t.refresh_from_db()
    assert t.state == TicketState.CANCELLED


# --- windows -------------------------------------------------------------------------------------


def test_sign_in_one_person_per_window_and_one_window_per_person(hall):
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    with pytest.raises(Conflict) as err:
        services.window_sign_in(user=hall.clerk2, window=hall.windows["01"])
    assert err.value.code == "window_taken"
    with pytest.raises(Conflict) as err:
        services.window_sign_in(user=hall.clerk, window=hall.windows["02"])
    assert err.value.code == "already_signed_in" and "01" in err.value.message


def test_window_scope_region_and_department(hall):
    with pytest.raises(PermissionDenied):  # another district's clerk
        services.window_sign_in(user=hall.other_clerk, window=hall.windows["01"])
    with pytest.raises(PermissionDenied):  # a chief only at their department's window
        services.window_sign_in(user=hall.chief, window=hall.windows["01"])
    services.window_sign_in(user=hall.chief, window=hall.windows["04"])
    with pytest.raises(PermissionDenied):  # an applicant never
        services.window_sign_in(user=hall.applicant, window=hall.windows["02"])
    assert WindowSession.objects.count() == 1


def test_calling_needs_a_signed_in_open_window(hall):
    take(hall)
    with pytest.raises(Conflict) as err:
        services.ticket_call_next(user=hall.clerk)
    assert err.value.code == "not_signed_in"
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    services.window_pause(user=hall.clerk, reason="business", whereabouts="区档案馆调档")
    with pytest.raises(Conflict) as err:
        services.ticket_call_next(user=hall.clerk)
    assert err.value.code == "window_paused"
    card = selectors.window_card(hall.windows["01"], services.current_session(hall.clerk))
    assert card["status_label"] == "外出办事" and card["whereabouts"] == "区档案馆调档"
    with time_machine.travel(MORNING + dt.timedelta(minutes=20), tick=False):
        session = services.window_resume(user=hall.clerk)
    assert session.paused_seconds >= 20 * 60 - 5 and session.status == WindowStatus.OPEN
    assert services.ticket_call_next(user=hall.clerk).number == "A001"


def test_calling_order_priority_then_due_appointments_then_order(hall):
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    a1 = take(hall)
    a2 = take(hall)
    appt = take(hall, source=TicketSource.APPOINTMENT,
                appointment_at=MORNING + dt.timedelta(minutes=10))
    future = take(hall, source=TicketSource.APPOINTMENT,
                  appointment_at=MORNING + dt.timedelta(hours=3))
    vip = take(hall, source=TicketSource.DESK, priority=Priority.DISABLED, actor=hall.clerk2)
    assert [t.number for t in selectors.next_in_line(hall.windows["01"])] == [
        vip.number, appt.number, a1.number, a2.number, future.number]
    place = selectors.ticket_place(Ticket.objects.get(pk=a2.pk))
    assert place.ahead == 3
    called = []
    for _ in range(5):
        t = services.ticket_call_next(user=hall.clerk)
        called.append(t.number)
        services.ticket_finish(user=hall.clerk)
    assert called == [vip.number, appt.number, a1.number, a2.number, future.number]
    assert services.ticket_call_next(user=hall.clerk) is None


def test_the_centre_can_switch_priority_and_appointments_off(hall):
    rules = hall.rules
    rules.priority_first = False
    rules.appointments_first = False
    rules.save()
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    a1 = take(hall)
    take(hall, source=TicketSource.DESK, priority=Priority.DISABLED, actor=hall.clerk2)
    assert services.ticket_call_next(user=hall.clerk).pk == a1.pk


def test_a_window_calls_only_its_categories_and_a_shared_window_calls_both(hall):
    c = take(hall, hall.market)
    b = take(hall, hall.social)
    a = take(hall)
    services.window_sign_in(user=hall.clerk, window=hall.windows["03"])  # B only
    assert services.ticket_call_next(user=hall.clerk).pk == b.pk
    services.window_sign_in(user=hall.clerk2, window=hall.windows["02"])  # A and B
    assert services.ticket_call_next(user=hall.clerk2).pk == a.pk
    services.window_sign_in(user=hall.chief, window=hall.windows["04"])
    assert services.ticket_call_next(user=hall.chief).pk == c.pk


def test_one_open_ticket_per_window_recall_and_no_show_after_n_calls(hall):
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    t = take(hall)
    take(hall)
    services.ticket_call_next(user=hall.clerk)
    with pytest.raises(Conflict) as err:
        services.ticket_call_next(user=hall.clerk)
    assert err.value.code == "ticket_open"
    with pytest.raises(Conflict) as err:
        services.ticket_no_show(user=hall.clerk)
    assert err.value.code == "too_few_calls" and "3" in err.value.message
    services.ticket_recall(user=hall.clerk)
    services.ticket_recall(user=hall.clerk)
    services.ticket_no_show(user=hall.clerk)
    t.refresh_from_db()
    assert t.state == TicketState.NO_SHOW and t.call_count == 3
    kinds = list(TicketEvent.objects.filter(ticket=t).values_list("kind", flat=True))
    assert kinds == ["taken", "called", "recalled", "recalled", "no_show"]
    assert services.ticket_call_next(user=hall.clerk).number == "A002"


def test_transfer_keeps_the_place_in_the_other_queue(hall):
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    services.window_sign_in(user=hall.clerk2, window=hall.windows["03"])
    early = take(hall)
    b1 = take(hall, hall.social)
    services.ticket_call_next(user=hall.clerk)
    moved = services.ticket_transfer(user=hall.clerk, category=hall.social)
    assert moved.state == TicketState.WAITING and moved.window_id is None
    assert moved.number == "A001" and moved.transferred_from_id == hall.general.pk
    # A001 was in the hall before B001: it is called first at the social window.
    assert services.ticket_call_next(user=hall.clerk2).pk == early.pk
    with pytest.raises(ValidationFailed):
        services.ticket_transfer(user=hall.clerk2, category=hall.social)
    foreign = hall.other_centre.categories.get()
    with pytest.raises(ValidationFailed):
        services.ticket_transfer(user=hall.clerk2, category=foreign)
    assert b1.state == TicketState.WAITING


def test_finish_links_the_cases_registered_during_the_visit(hall, monkeypatch):
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    take(hall)
    services.ticket_call_next(user=hall.clerk)
    services.ticket_start(user=hall.clerk)
    monkeypatch.setattr(selectors, "cases_started_by",
                        lambda user, since, until: ["379902-20261124-000007"])
    t = services.ticket_finish(user=hall.clerk, case_numbers=["379902-20261124-000003"])
    assert t.case_numbers == ["379902-20261124-000003", "379902-20261124-000007"]
    assert t.state == TicketState.SERVED and t.finished_at >= t.serving_at


def test_sign_out_and_pause_wait_for_the_current_ticket(hall):
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    take(hall)
    services.ticket_call_next(user=hall.clerk)
    for fn in (services.window_sign_out, lambda user: services.window_pause(
            user=user, reason="break")):
        with pytest.raises(Conflict) as err:
            fn(user=hall.clerk)
        assert err.value.code == "ticket_open"
    services.ticket_finish(user=hall.clerk)
    session = services.window_sign_out(user=hall.clerk)
    assert session.status == WindowStatus.CLOSED and session.ended_at is not None
    services.window_sign_in(user=hall.clerk2, window=hall.windows["01"])  # free again


def test_estimated_wait_uses_recent_service_times_and_open_windows(hall):
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    for minutes in (4, 6):
        take(hall)
        with time_machine.travel(timezone.now(), tick=False) as traveller:
            services.ticket_call_next(user=hall.clerk)
            services.ticket_start(user=hall.clerk)
            traveller.shift(dt.timedelta(minutes=minutes))
            services.ticket_finish(user=hall.clerk)
    waiting = [take(hall) for _ in range(3)]
    place = selectors.ticket_place(waiting[2])
    assert place.ahead == 2 and place.windows_open == 1
    assert abs(place.service_minutes - 5.0) < 0.1 and place.wait_minutes == 10
    services.window_sign_in(user=hall.clerk2, window=hall.windows["02"])
    assert selectors.ticket_place(waiting[2]).wait_minutes == 5


def test_day_end_closes_what_was_left_and_is_idempotent(hall):
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    take(hall)
    take(hall)
    services.ticket_call_next(user=hall.clerk)
    services.ticket_start(user=hall.clerk)
    with time_machine.travel(MORNING + dt.timedelta(days=1)):
        first = services.hall_close_days()
        again = services.hall_close_days()
    assert first == {"expired": 1, "served": 1, "sessions": 1}
    assert again == {"expired": 0, "served": 0, "sessions": 0}
    assert not WindowSession.objects.exclude(status=WindowStatus.CLOSED).exists()


def test_figures_wait_service_and_abandon_rate(hall):
    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    for _ in range(3):
        take(hall)
    services.ticket_call_next(user=hall.clerk)
    services.ticket_finish(user=hall.clerk)
    services.ticket_call_next(user=hall.clerk)
    services.ticket_recall(user=hall.clerk)
    services.ticket_recall(user=hall.clerk)
    services.ticket_no_show(user=hall.clerk)
    rows = selectors.queue_figures(centre_ids=[hall.centre.pk], start=MORNING.date(),
                                   end=MORNING.date())
    assert len(rows) == 1
    row = rows[0]
    assert row["key"] == "A 综合受理" and row["taken"] == 3 and row["served"] == 1
    assert row["abandoned"] == 1 and row["abandon_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert row["avg_wait_minutes"] is not None


def test_a_holder_with_a_mobile_gets_an_sms_when_called_once(hall):
    from onewindow.notifications.models import Notification

    services.window_sign_in(user=hall.clerk, window=hall.windows["01"])
    take(hall, mobile="13905391001")
    take(hall)
    services.ticket_call_next(user=hall.clerk)
    services.ticket_recall(user=hall.clerk)
    sms = list(Notification.objects.filter(phone="13905391001").values_list("body", flat=True))
    assert sms == ["【东湖区政务服务中心】您的 A001 号已叫到，请到 01 号窗口办理。"]
    services.ticket_finish(user=hall.clerk)
    services.ticket_call_next(user=hall.clerk)  # A002 has no mobile: nothing sent
    assert Notification.objects.count() == 1


def test_a_window_calls_what_its_categories_are_now(hall):
    services.window_sign_in(user=hall.clerk, window=hall.windows["03"])  # B only
    take(hall)  # an A ticket
    assert services.ticket_call_next(user=hall.clerk) is None  # cached: B only
    hall.general.windows.add(hall.windows["03"])  # the admin adds A to window 03
    assert services.ticket_call_next(user=hall.clerk).number == "A001"
    services.ticket_finish(user=hall.clerk)
    take(hall)
    hall.general.is_active = False
    hall.general.save()
    assert services.ticket_call_next(user=hall.clerk) is None
