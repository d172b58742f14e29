"""Electronic supervision at a city's scale: the alert scan over 1,000,000 open cases.

Usage (the cases are generated once with bench_cases' builder — every case in review, due
dates spread over the coming weeks — and re-used while the database holds them):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onewindow_bench_supervision \
        .venv/bin/python bench/bench_supervision.py [--cases 1000000] [--changed 1000]

Measures and prints:
  1. the first scan ever (it catches up on every open case already inside a window — a
     one-time cost when supervision is switched on), with the alerts it raised;
  2. a scan with nothing changed since (the cost of looking);
  3. a scan after ``--changed`` cases changed (log events appended, as a day's work does):
     the figure the issue asks for — under 1 second at 1,000,000 open cases;
  4. the first scan of the next working day (due dates crossed a threshold overnight): time
     and alerts raised — the day's burst of new cards.

Not a test: nothing asserts on wall-clock time. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings")
os.environ.setdefault("ONEWINDOW_TESTING", "1")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("ONEWINDOW_LOG_LEVEL", "WARNING")


def log(message: str) -> None:
    print(message, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, default=1000)
    args = parser.parse_args()

    import bench_cases

    bench_cases.DB_NAME = "onewindow_bench_supervision"
    # Every generated case is open (in review); their due dates follow the builder's spread.
    bench_cases.STATES = [("in_review", 1.0)]
    bench_cases.ensure_database(rebuild=False)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases_case WHERE state = 'in_review'")
        open_cases = cur.fetchone()[0]
    if open_cases < args.cases:
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("TRUNCATE cases_caseevent, cases_casematerial, cases_task, cases_notice, "
                        "cases_clockstop, cases_certificate, cases_case, supervision_alert "
                        "RESTART IDENTITY CASCADE")
        if not bench_cases.case_count():
            bench_cases.build_city()
        bench_cases.build_cases(args.cases)
        log(f"built {args.cases:,} open cases in {time.perf_counter() - t0:.0f} s")
    from onewindow.core import clock
    from onewindow.supervision.models import Alert, ScanState
    from onewindow.supervision.services import supervision_scan
    from onewindow.workdays.selectors import add_workdays, is_workday

    with connection.cursor() as cur:
        cur.execute("TRUNCATE supervision_alert, supervision_scanstate, "
                    "supervision_supervisionnotice RESTART IDENTITY CASCADE")
        cur.execute("SELECT count(*), min(promised_due), max(promised_due) FROM cases_case "
                    "WHERE state = 'in_review'")
        n, lo, hi = cur.fetchone()
        cur.execute("SELECT count(*) FROM cases_task WHERE state = 'active'")
        tasks = cur.fetchone()[0]
    log(f"open cases: {n:,} (due {lo} … {hi}); active steps: {tasks:,}")
    day = clock.today()
    while not is_workday(day):
        day += dt.timedelta(days=1)
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=clock.now().tzinfo)

    def run(label: str) -> None:
        t0 = time.perf_counter()
        result = supervision_scan()
        ms = (time.perf_counter() - t0) * 1000
        log(f"{label}: {ms:,.0f} ms; read {result.candidates:,} due-date candidates and "
            f"{result.changed_cases:,} changed cases; raised {result.total:,} "
            f"{dict(result.raised)}; closed {result.closed:,}")

    with clock.travel(noon):
        run("1. first scan ever (catch-up)")
        run("2. again, nothing changed")
        with connection.cursor() as cur:
            # A day's work: log events on random open cases (as the services append them).
            cur.execute(
                """
                INSERT INTO cases_caseevent (case_id, seq, action, actor_role, actor_unit,
                    from_state, to_state, data, public, created_at, prev_hash, hash)
                SELECT c.id, c.event_count + 1, 'pass', '审核人员', '', 'in_review',
                       'in_review', '{}'::jsonb, false, now(), '', md5(c.id::text) || md5('x')
                FROM (SELECT id, event_count FROM cases_case WHERE state = 'in_review'
                      ORDER BY md5(id::text || %s) LIMIT %s) c
                """,
                [str(time.time()), args.changed],
            )
        run(f"3. after {args.changed:,} cases changed")
    nxt = add_workdays(day, 1).date
    with clock.travel(dt.datetime.combine(nxt, dt.time(0, 10), tzinfo=clock.now().tzinfo)):
        run(f"4. first scan of the next working day ({nxt})")
        run("5. again, nothing changed")
    log(f"alerts stored: {Alert.objects.count():,}; scan state: "
        f"{ScanState.objects.values('last_run_ms', 'last_raised').first()}")


if __name__ == "__main__":
    main()
