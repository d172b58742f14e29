"""The hash-chained case log: intact chains verify, any tampering is found and named."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from onewindow.cases import audit
from onewindow.cases.models import AuditAnchor, CaseEvent

pytestmark = pytest.mark.django_db


def _verify_message() -> str:
    with pytest.raises(CommandError) as err:
        call_command("audit", "verify")
    return str(err.value)


def test_intact_chains_verify_and_the_command_says_so(world, capsys):
    world.accepted_case()
    world.accepted_case()
    checked, broken = audit.verify_all()
    assert (checked, broken) == (2, None)
    call_command("audit", "verify")
    assert "日志链完好" in capsys.readouterr().out


def test_an_altered_event_is_named_by_case_and_sequence(world):
    case = world.accepted_case()
    event = case.events.get(seq=2)
    with connection.cursor() as cursor:  # what someone with database access might do
        cursor.execute("UPDATE cases_caseevent SET data = %s WHERE id = %s",
                       ['{"channel": "window"}', event.pk])
    message = _verify_message()
    assert case.case_no in message and "第 2 条" in message and "被修改" in message


def test_a_deleted_event_in_the_middle_breaks_the_chain(world):
    case = world.accepted_case()
    CaseEvent.objects.filter(case=case, seq=3).delete()
    assert "第 3 条" in _verify_message()


def test_a_deleted_last_event_shows_against_the_case_head(world):
    case = world.accepted_case()
    CaseEvent.objects.filter(case=case, seq=case.event_count).delete()
    assert "链头" in _verify_message()


def test_a_rewritten_chain_with_fresh_hashes_still_fails_against_the_head(world):
    case = world.accepted_case()
    events = list(case.events.order_by("seq"))
    events[1].data = {"channel": "forged"}
    prev = events[0].hash
    for e in events[1:]:  # a forger recomputes every later hash …
        e.prev_hash = prev
        e.hash = audit.chain_hash(prev, audit.payload_of(e, case.case_no))
        prev = e.hash
        e.save()
    assert "链头" in _verify_message()  # … but the case row still holds the true head


def test_deleting_a_whole_case_shows_in_the_daily_anchor(world, time_machine):
    case = world.accepted_case()
    world.accepted_case()
    today = dt.date.today()
    assert audit.anchor_days(until=today + dt.timedelta(days=1)) == 1
    assert audit.anchor_days(until=today + dt.timedelta(days=1)) == 0  # idempotent
    assert AuditAnchor.objects.get().event_count == CaseEvent.objects.count()
    assert audit.verify_all()[1] is None
    with connection.cursor() as cursor:
        for table in ("cases_caseevent", "cases_notice", "cases_task", "cases_casematerial",
                      "cases_certificate"):
            cursor.execute(f"DELETE FROM {table} WHERE case_id = %s", [case.pk])  # noqa: S608
        cursor.execute("DELETE FROM cases_case WHERE id = %s", [case.pk])
    assert "锚定" in _verify_message()
