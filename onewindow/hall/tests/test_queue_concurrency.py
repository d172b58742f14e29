"""Concurrency on PostgreSQL: 200 tickets at once never share a number; windows calling at once
never get the same ticket.

SQLite serialises writers and its test database lives in one connection's memory, so these run
in the PostgreSQL pass of the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from onewindow.core.tests.concurrency import postgres_only, run_at_once
from onewindow.hall import services
from onewindow.hall.models import Ticket, TicketState

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    postgres_only()




def test_two_hundred_simultaneous_tickets_get_distinct_numbers(hall):
    rules = hall.rules
    rules.daily_limit_per_person = 0
    rules.save()
    cats = [hall.general, hall.social]

    # 40 connections (the server's connection limit is shared with other tests) released
    # together, each taking 5 numbers back to back: 200 tickets, all in flight at once.
    def take(i: int) -> Callable[[], list[Ticket]]:
        return lambda: [
            services.ticket_take(centre=hall.centre, category=cats[(i + k) % 2])
            for k in range(5)
        ]

    batches = run_at_once([take(i) for i in range(40)])
    errors = [b for b in batches if not isinstance(b, list)]
    assert not errors, errors[:3]
    results = [t for b in batches for t in b]
    errors = [r for r in results if not isinstance(r, Ticket)]
    assert not errors, errors[:3]
    numbers = [t.number for t in results]
    assert len(set(numbers)) == 200
    assert sorted(n for n in numbers if n[0] == "A") == [f"A{i:03d}" for i in range(1, 101)]
    assert Ticket.objects.count() == 200


def test_windows_calling_at_once_never_share_a_ticket(hall):
    rules = hall.rules
    rules.daily_limit_per_person = 0
    rules.save()
    for _ in range(6):
        services.ticket_take(centre=hall.centre, category=hall.social)
    services.window_sign_in(user=hall.clerk, window=hall.windows["02"])
    services.window_sign_in(user=hall.clerk2, window=hall.windows["03"])

    def serve(user: Any) -> Callable[[], list[str]]:
        def run() -> list[str]:
            got = []
            while (t := services.ticket_call_next(user=user)) is not None:
                got.append(t.number)
                services.ticket_finish(user=user)
            return got
        return run

    a, b = run_at_once([serve(hall.clerk), serve(hall.clerk2)])
    assert isinstance(a, list) and isinstance(b, list), (a, b)
    assert sorted(a + b) == [f"B{i:03d}" for i in range(1, 7)]
    assert not set(a) & set(b)
    assert Ticket.objects.filter(state=TicketState.SERVED).count() == 6
