"""The hall's queue on PostgreSQL: taking tickets over HTTP and calling the next ticket with 50
windows busy.

Usage (the database is created and migrated if missing; everything of the hall is rebuilt on
each run):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onewindow_bench_hall \
        .venv/bin/python bench/bench_hall.py [--history 300000] [--duration 15] \
        [--workers 4] [--threads 2] [--connections 16] [--windows 50]

Measures and prints:
  1. kiosk tickets through the HTTP API (POST /api/v1/hall/centres/{id}/tickets with the kiosk
     key), served by gunicorn and driven by wrk: tickets/s, errors, latency; then checks that
     no number was given twice in the centre's day;
  2. ``ticket_call_next`` by 50 signed-in windows, all busy: each calls, serves for about a
     second (a compressed service time) and calls again, all at once in one busy centre with
     10 categories (one thread and one connection per window): the median, p95 and p99 of
     calling the next ticket, and that no ticket was called twice; then one window alone.

A ticket history of ``--history`` past tickets is written first so the table is not empty.
Not a test: nothing asserts on wall-clock time. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings")
os.environ.setdefault("ONEWINDOW_TESTING", "1")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("ONEWINDOW_LOG_LEVEL", "WARNING")

CATEGORIES = 10
LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Kiosk-Key"] = "%(key)s"
local cats = {%(cats)s}
local counter = 0
n201 = 0
nother = 0
first_error = ""
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args) counter = id * 13 end
function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, '{"category": ' .. cats[(counter %% #cats) + 1] .. '}')
end
function response(status, headers, body)
  if status == 201 then n201 = n201 + 1 else
    nother = nother + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body, 1, 200) end
  end
end
function done(summary, latency, requests)
  local ok, other, err = 0, 0, ""
  for _, t in ipairs(threads) do
    ok = ok + t:get("n201"); other = other + t:get("nother")
    if err == "" then err = t:get("first_error") end
  end
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\":%%d,\"duration_us\":%%d,\"created\":%%d,\"other\":%%d,"
    .. "\"socket\":%%d,\"p50_ms\":%%.2f,\"p99_ms\":%%.2f}\n", summary.requests,
    summary.duration, ok, other, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  if err ~= "" then io.write("WRKERROR " .. err .. "\n") end
end
"""


def log(message: str) -> None:
    print(message, flush=True)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def setup_django() -> None:
    import bench_cases

    bench_cases.DB_NAME = "onewindow_bench_hall"
    bench_cases.ensure_database(rebuild=False)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def build(history: int, windows_n: int) -> dict[str, Any]:
    """A district, a centre with ``windows_n`` windows and 10 categories, 50 clerks; the hall's
    old rows removed; ``history`` past tickets written with one INSERT … SELECT."""
    from django.db import connection, transaction

    from onewindow.accounts.models import Role, RoleAssignment, StaffMember, User
    from onewindow.hall import services
    from onewindow.hall.models import ServiceCategory
    from onewindow.regions.models import CentreKind, Region, RegionLevel, ServiceCentre, Window

    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("TRUNCATE hall_ticketevent, hall_ticket, hall_daycounter, "
                        "hall_windowsession RESTART IDENTITY CASCADE")
        city, _ = Region.objects.get_or_create(
            code="379900000000", defaults={"name": "云溪市", "level": RegionLevel.CITY})
        district, _ = Region.objects.get_or_create(
            code="379902000000",
            defaults={"name": "东湖区", "level": RegionLevel.DISTRICT, "parent": city})
        centre, _ = ServiceCentre.objects.get_or_create(
            region=district, name="东湖区政务服务中心（压测）",
            defaults={"kind": CentreKind.SERVICE_CENTRE})
        windows = []
        for i in range(1, windows_n + 1):
            w, _ = Window.objects.get_or_create(centre=centre, number=f"{i:02d}",
                                                defaults={"name": f"{i}号窗口",
                                                          "kind": "general"})
            windows.append(w)
        cats = []
        for i in range(CATEGORIES):
            c, _ = ServiceCategory.objects.get_or_create(
                centre=centre, letter=chr(ord("A") + i), defaults={"name": f"业务{i + 1}"})
            # each category: 5 windows of its own plus the first 5 (general) windows
            c.windows.set(windows[:5] + windows[5 + i * 5: 10 + i * 5])
            cats.append(c)
        clerks = []
        for i in range(windows_n):
            user, made = User.objects.get_or_create(username=f"bench_clerk_{i:02d}",
                                                    defaults={"display_name": f"窗口{i}"})
            if made:
                StaffMember.objects.create(user=user, staff_number=f"BH{i:04d}", region=district)
                RoleAssignment.objects.create(user=user, role=Role.CLERK, region=district)
            clerks.append(user)
        rules = services.settings_for(centre.pk)
        rules.daily_limit_per_person = 0
        rules.save()
        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO hall_ticket (centre_id, day, category_id, number, token, source,
                    priority, state, holder_mobile, holder_id_number, holder_key, taken_at,
                    queue_at, checked_in_at, called_at, call_count, serving_at, finished_at,
                    case_numbers, version)
                SELECT %(centre)s, d, %(cat0)s + (g %% 10), 'H' || lpad((g / 365)::text, 7, '0'),
                    left(md5(g::text || 'h'), 24), 'kiosk', '', 'served', '', '', '', ts, ts, ts,
                    ts + interval '7 minutes', 1, ts + interval '7 minutes',
                    ts + interval '16 minutes', '[]', 1
                FROM generate_series(1, %(n)s) AS g,
                     LATERAL (SELECT (current_date - 1 - (g %% 365))::date AS d) AS dd,
                     LATERAL (SELECT d + time '09:00' + (g %% 420) * interval '1 minute' AS ts) t
                """,
                {"centre": centre.pk, "cat0": cats[0].pk, "n": history},
            )
            cur.execute("ANALYZE hall_ticket")
    return {"centre": centre, "categories": cats, "windows": windows, "clerks": clerks,
            "key": services.settings_for(centre.pk).kiosk_key}


def measure_http(world: dict[str, Any], *, duration: int, workers: int, threads: int,
                 connections: int) -> None:
    import bench_cases
    from django.db import connection

    if not shutil.which("wrk"):
        log("1. HTTP tickets: wrk is not installed (apt-get install -y wrk) — skipped")
        return
    os.environ["ONEWINDOW_KIOSK_RATE"] = "1000000"  # the bench is one address hammering
    centre = world["centre"]
    url = f"http://127.0.0.1:%d/api/v1/hall/centres/{centre.pk}/tickets"
    lua = LUA % {"key": world["key"], "cats": ",".join(str(c.pk) for c in world["categories"])}
    port = bench_cases.free_port()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "take.lua"
        script.write_text(lua, encoding="utf-8")
        env_server = bench_cases.server_env
        bench_cases.server_env = lambda: {**env_server(), "ONEWINDOW_KIOSK_RATE": "1000000"}
        server = bench_cases.start_server(port, workers, threads)
        try:
            subprocess.run(["wrk", "-t1", f"-c{connections}", "-d3s", "-s", str(script),
                            url % port], check=True, capture_output=True)
            out = subprocess.run(
                ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s",
                 str(script), url % port], check=True, capture_output=True, text=True,
            ).stdout
        finally:
            server.terminate()
            server.wait(timeout=30)
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    r = json.loads(line[len("WRKJSON "):])
    seconds = r["duration_us"] / 1e6
    kind = f"gthread {workers}×{threads}" if threads > 1 else f"sync ×{workers}"
    log(f"1. HTTP kiosk tickets, gunicorn {kind}, wrk -t2 -c{connections}, {seconds:.0f} s:")
    log(f"   {r['created'] / seconds:,.0f} tickets/s ({r['requests'] / seconds:,.0f} requests/s);"
        f" errors: non-201 {r['other']}, socket {r['socket']}; latency p50 {r['p50_ms']:.1f} ms,"
        f" p99 {r['p99_ms']:.1f} ms")
    for err in (x for x in out.splitlines() if x.startswith("WRKERROR ")):
        log(f"   first error: {err[9:]}")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT (day, number)) FROM hall_ticket "
                    "WHERE centre_id = %s AND day = current_date", [centre.pk])
        made, distinct = cur.fetchone()
    log(f"   tickets of the day: {made:,}, distinct numbers: {distinct:,}"
        + (" ✓" if made == distinct else " ✗ DUPLICATES"))


def measure_calls(world: dict[str, Any], *, rounds: int, service_seconds: float) -> None:
    from django.db import connections

    from onewindow.hall import services
    from onewindow.hall.models import Ticket, TicketEvent

    centre = world["centre"]
    with connections["default"].cursor() as cur:
        cur.execute("SELECT count(*) FROM hall_ticket WHERE centre_id = %s AND day = current_date"
                    " AND state = 'waiting'", [centre.pk])
        waiting = cur.fetchone()[0]
    need = rounds * len(world["clerks"]) + 200
    cats = world["categories"]
    for i in range(max(0, need - waiting)):
        services.ticket_take(centre=centre, category=cats[i % len(cats)])
    for clerk, window in zip(world["clerks"], world["windows"], strict=True):
        services.window_sign_in(user=clerk, window=window)
    barrier = threading.Barrier(len(world["clerks"]))
    timings: list[float] = []
    called: list[int] = []
    lock = threading.Lock()

    rng = random.Random(7)  # noqa: S311 - service times of the simulation

    def work(user: Any) -> None:
        mine: list[float] = []
        ids: list[int] = []
        try:
            barrier.wait()
            time.sleep(rng.random() * 0.5)  # windows do not all call at the same instant
            for _ in range(rounds):
                t0 = time.perf_counter()
                ticket = services.ticket_call_next(user=user)
                mine.append((time.perf_counter() - t0) * 1000)
                if ticket is None:
                    break
                ids.append(ticket.pk)
                time.sleep(service_seconds * (0.5 + rng.random()))  # serving the applicant
                services.ticket_finish(user=user)
        finally:
            connections.close_all()
        with lock:
            timings.extend(mine)
            called.extend(ids)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(u,)) for u in world["clerks"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    log(f"2. ticket_call_next with {len(world['clerks'])} windows busy (a thread and a connection "
        f"each; every window serves for {service_seconds / 2:.1f}–{service_seconds * 1.5:.1f} s, "
        f"then calls again), {len(timings):,} calls, {waiting:,}+ waiting:")
    log(f"   median {statistics.median(timings):.1f} ms, p95 {pct(timings, 95):.1f} ms, "
        f"p99 {pct(timings, 99):.1f} ms; {len(called) / elapsed:,.0f} call+finish/s overall")
    dup = len(called) - len(set(called))
    log(f"   tickets called: {len(called):,}, called twice: {dup}" + (" ✓" if dup == 0 else " ✗"))
    # the same, one window alone (no contention): the cost of the query itself
    solo = world["clerks"][0]
    alone = []
    for _ in range(200):
        t0 = time.perf_counter()
        services.ticket_call_next(user=solo)
        alone.append((time.perf_counter() - t0) * 1000)
        services.ticket_finish(user=solo)
    log(f"   one window alone: median {statistics.median(alone):.1f} ms, "
        f"p95 {pct(alone, 95):.1f} ms")
    log(f"   ticket rows: {Ticket.objects.count():,}; hall events: "
        f"{TicketEvent.objects.count():,}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=300_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--windows", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--service", type=float, default=1.0,
                        help="mean seconds a window serves before calling again (compressed)")
    args = parser.parse_args()
    setup_django()
    t0 = time.perf_counter()
    world = build(args.history, args.windows)
    log(f"built: 1 centre, {args.windows} windows, {CATEGORIES} categories, "
        f"{args.history:,} past tickets in {time.perf_counter() - t0:.1f} s")
    measure_http(world, duration=args.duration, workers=args.workers, threads=args.threads,
                 connections=args.connections)
    measure_calls(world, rounds=args.rounds, service_seconds=args.service)


if __name__ == "__main__":
    main()
