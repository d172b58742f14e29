"""The lead department's case screen of a parallel-approval case, with millions of cases stored.

Usage (re-uses the statistics bench's database of 10,000,000 cases, built by
bench/bench_stats.py; any bench_cases database works):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onewindow_bench_stats \
        .venv/bin/python bench/bench_parallel.py [--samples 200]

For ``--samples`` cases in review it gives each the lead's two steps, four participants'
opinion tasks (two answered, two running), five materials and a short log, then a reviewer of
the lead department opens each case: the case screen through the API
(GET /api/v1/cases/{case_no}) and the HTML page (GET /workbench/cases/{case_no}/). Prints the
median, p95 and the query count. The issue asks for under 30 ms median with 1,000,000 cases.

Not a test: nothing asserts on wall-clock time. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
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


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases_case")
        stored = cur.fetchone()[0]
        # Cases in review whose department has a reviewer and three other departments exist.
        cur.execute("""
            SELECT c.id, c.case_no, c.department_id, c.accepted_on,
                   (SELECT ra.user_id FROM accounts_roleassignment ra
                    WHERE ra.department_id = c.department_id AND ra.role = 'reviewer'
                    ORDER BY ra.id LIMIT 1)
            FROM cases_case c
            WHERE c.state = 'in_review' AND c.id %% 997 = 1
            ORDER BY c.id LIMIT %s
        """, [args.samples])
        rows = [r for r in cur.fetchall() if r[4]]
        cur.execute("SELECT id FROM regions_department ORDER BY id")
        deps = [r[0] for r in cur.fetchall()]
        ids = [r[0] for r in rows]
        cur.execute("DELETE FROM cases_task WHERE case_id = ANY(%s)", [ids])
        cur.execute("DELETE FROM cases_casematerial WHERE case_id = ANY(%s)", [ids])
        for case_id, _no, dep, accepted_on, _user in rows:
            others = [d for d in deps if d != dep][(case_id % 50):(case_id % 50) + 4]
            tasks = [(case_id, 1, "审查", "reviewer", dep, "active", "step", ""),
                     (case_id, 2, "决定", "dept_head", dep, "pending", "step", "")]
            for i, d in enumerate(others, start=1):
                done = i <= 2
                tasks.append((case_id, 100 + i, "并联审查意见", "reviewer", d,
                              "done" if done else "active", "opinion",
                              "agree" if done else ""))
            cur.executemany("""
                INSERT INTO cases_task (case_id, seq, name, role, department_id, state, kind,
                    outcome, limit_days, started_on, stopped_days, due, opinion,
                    green_channel, deemed_consent)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 5, %s, 0, %s + 7, '', false, false)
            """, [(*t, accepted_on, accepted_on) for t in tasks])
            cur.executemany("""
                INSERT INTO cases_casematerial (case_id, sort_order, name, required, tolerable,
                    status, origin, file, file_name, content_type, size, sha256, note)
                VALUES (%s, %s, %s, true, false, 'verified', 'upload', '', %s, 'application/pdf',
                        1000, '', '')
            """, [(case_id, k, f"材料{k}", f"材料{k}.pdf") for k in range(1, 6)])
    log(f"cases stored: {stored:,}; {len(rows)} parallel-approval cases prepared "
        f"(2 steps, 4 participants, 5 materials each)")

    from onewindow.accounts.models import User

    users = {u.pk: u for u in User.objects.filter(pk__in={r[4] for r in rows})}
    for label, url in (("API GET /api/v1/cases/{case_no}", "/api/v1/cases/{no}"),
                       ("page GET /workbench/cases/{case_no}/", "/workbench/cases/{no}/")):
        timings: list[float] = []
        queries = 0
        clients: dict[int, Client] = {}
        for _case_id, no, _dep, _acc, user_id in rows:
            client = clients.get(user_id)
            if client is None:
                client = clients[user_id] = Client()
                client.force_login(users[user_id])
                client.get(url.format(no=no))  # warm the session and the statement cache
            t0 = time.perf_counter()
            r = client.get(url.format(no=no))
            timings.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, (r.status_code, no)
        # The query count, once, outside the timed requests (capturing slows each query).
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            client.get(url.format(no=rows[-1][1]))
        queries = len(ctx.captured_queries)
        log(f"lead reviewer's case screen, {label}: median {statistics.median(timings):.1f} ms, "
            f"p95 {pct(timings, 0.95):.1f} ms; {queries} queries")


if __name__ == "__main__":
    main()
