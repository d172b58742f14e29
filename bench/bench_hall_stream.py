"""The hall's display stream under load: 100 screens follow one centre while 10 windows call.

Usage (the database is created and migrated if missing; each run adds its own centre):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ow_screen_bench \\
        .venv/bin/python bench/bench_hall_stream.py [--clients 100] [--calls 300] \\
        [--rate 10] [--workers 2]

What it does:
  1. starts the real web server as ``onewindow serve --no-worker`` would (uvicorn, ASGI,
     ``--workers``, production settings) on a free port of 127.0.0.1;
  2. opens ``--clients`` server-sent-event streams of one centre with raw asyncio sockets
     (HTTP/1.1, chunked), and parses every event as a browser's EventSource would;
  3. makes ``--calls`` calls through the services at a steady ``--rate`` per second from 10
     windows (each window finishes its ticket, then calls the next), noting each call's commit
     time;
  4. checks that every client received the final version, that the versions each client saw
     never went back, and that every call event id reached every client (a snapshot lists the
     last 8 calls); prints the latency from a call's commit to its first receipt by each client
     (median, p95, max), the events and bytes received, and the server's threads and memory
     with all streams open.

Not a test: nothing asserts on wall-clock time. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_cases import free_port  # noqa: E402 - the benches' shared helper

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings")
os.environ.setdefault("ONEWINDOW_TESTING", "1")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("ONEWINDOW_LOG_LEVEL", "WARNING")

DB_NAME = "ow_screen_bench"
WINDOWS = 10


def log(message: str) -> None:
    print(message, flush=True)


# --- database and data --------------------------------------------------------------------------


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must point to PostgreSQL "
                 f"(e.g. postgres://postgres@127.0.0.1:5432/{DB_NAME}).")
    return url


def ensure_database() -> None:
    import psycopg

    base, _, name = database_url().rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Hall:
    centre: Any
    clerks: list[Any]


def build_hall(tickets: int) -> Hall:
    """A centre of its own for this run: 10 windows (01–05 serve A, 06–10 serve B), a clerk
    signed in at each, ``tickets`` people waiting."""
    from onewindow.accounts.models import Role, RoleAssignment, StaffMember, User
    from onewindow.hall import services
    from onewindow.hall.models import HallNotice, ServiceCategory, WindowSession, WindowStatus
    from onewindow.regions.models import CentreKind, Region, RegionLevel, ServiceCentre, Window

    city, _ = Region.objects.get_or_create(
        code="379900000000", defaults={"name": "云溪市", "level": RegionLevel.CITY})
    district, _ = Region.objects.get_or_create(
        code="379902000000",
        defaults={"name": "东湖区", "level": RegionLevel.DISTRICT, "parent": city})
    run = time.strftime("%Y%m%d-%H%M%S")
    centre = ServiceCentre.objects.create(region=district, kind=CentreKind.SERVICE_CENTRE,
                                          name=f"基准测试中心 {run}")
    windows = [Window.objects.create(centre=centre, number=f"{i:02d}", name=f"{i:02d}号窗口")
               for i in range(1, WINDOWS + 1)]
    a = ServiceCategory.objects.create(centre=centre, letter="A", name="综合受理")
    a.windows.set(windows[:5])
    b = ServiceCategory.objects.create(centre=centre, letter="B", name="社保医保")
    b.windows.set(windows[5:])
    HallNotice.objects.create(centre=centre, text="基准测试：请按号码顺序等候叫号。")
    clerks = []
    for i, window in enumerate(windows):
        user, created = User.objects.get_or_create(
            username=f"bench_clerk_{i:02d}", defaults={"display_name": f"测试{i:02d}"})
        if created:
            StaffMember.objects.create(user=user, staff_number=f"B{i:04d}", region=district)
            RoleAssignment.objects.create(user=user, role=Role.CLERK, region=district)
        WindowSession.objects.filter(user=user).exclude(status=WindowStatus.CLOSED).update(
            status=WindowStatus.CLOSED)
        services.window_sign_in(user=user, window=window)
        clerks.append(user)
    for i in range(tickets):
        services.ticket_take(centre=centre, category=a if i % 2 == 0 else b)
    return Hall(centre=centre, clerks=clerks)


# --- the server -----------------------------------------------------------------------------------


def server_env() -> dict[str, str]:
    """Production settings (DEBUG off, not the test mode), TLS left to a proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEWINDOW_")}
    env.update({
        "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "onewindow.settings",
        "ONEWINDOW_SECRET_KEY": "bench-" + "x" * 50, "ONEWINDOW_ALLOWED_HOSTS": "127.0.0.1",
        "ONEWINDOW_SSL_REDIRECT": "0", "ONEWINDOW_HSTS_SECONDS": "0",
        "ONEWINDOW_LOG_LEVEL": "WARNING", "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "ONEWINDOW_VAR_DIR": os.environ.get("ONEWINDOW_VAR_DIR", str(ROOT / "var")),
    })
    return env


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    from onewindow.core.management.commands.serve import web_command

    args = web_command(sys.executable, f"127.0.0.1:{port}", workers) + [
        "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(args, env=server_env(), cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the server exited") from None
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("the server did not start")


def process_tree(pid: int) -> list[int]:
    out = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        out += process_tree(int(child))
    return out


def proc_status(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("Threads", "VmRSS"):
            fields[name] = int(value.split()[0])
    return fields


# --- the screens (raw asyncio HTTP/1.1 clients) ------------------------------------------------


@dataclass
class Screen:
    n: int
    versions: list[int] = field(default_factory=list)
    seen: dict[int, float] = field(default_factory=dict)  # call event id -> first receipt
    events: int = 0
    pings: int = 0
    bytes: int = 0
    error: str = ""


async def follow(screen: Screen, port: int, path: str, ready: asyncio.Event,
                 connected: list[int], total: int, stop: asyncio.Event) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Accept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
        chunked = b"chunked" in head.lower()
        connected[0] += 1
        if connected[0] == total:
            ready.set()
        buffer = b""
        while not stop.is_set():
            if chunked:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    break
                data = await reader.readexactly(size + 2)
                data = data[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    break
            now = time.time()
            screen.bytes += len(data)
            buffer += data
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                handle(screen, block, now)
        writer.close()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # reported in the summary
        screen.error = f"{type(exc).__name__}: {exc}"


def handle(screen: Screen, block: bytes, now: float) -> None:
    fields: dict[str, str] = {}
    for line in block.decode().split("\n"):
        name, _, value = line.partition(":")
        fields[name] = value[1:] if value.startswith(" ") else value
    if fields.get("event") == "ping":
        screen.pings += 1
        return
    if fields.get("event") != "snapshot":
        return
    screen.events += 1
    snapshot = json.loads(fields["data"])
    screen.versions.append(int(snapshot["version"]))
    for call in snapshot["calls"]:
        screen.seen.setdefault(int(call["id"]), now)


# --- the windows -------------------------------------------------------------------------------


def drive_calls(hall: Hall, calls: int, rate: float, committed: dict[int, float],
                errors: list[str]) -> None:
    """Round-robin over the windows: finish the current ticket, call the next; one call every
    1/rate seconds. ``committed`` maps each call event id to its commit time."""
    from django.db import connection

    from onewindow.hall import services
    from onewindow.hall.models import TicketEvent, TicketEventKind

    try:
        period = 1.0 / rate
        start = time.monotonic()
        for i in range(calls):
            clerk = hall.clerks[i % len(hall.clerks)]
            delay = start + i * period - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if i >= len(hall.clerks):
                services.ticket_finish(user=clerk)
            ticket = services.ticket_call_next(user=clerk)
            at = time.time()
            if ticket is None:
                errors.append(f"nobody waiting for {clerk.username}")
                continue
            event_id = (TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.CALLED)
                        .values_list("id", flat=True).get())
            committed[event_id] = at
    except Exception as exc:  # reported in the summary
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run(args: argparse.Namespace, hall: Hall, port: int,
              server: subprocess.Popen[bytes]) -> None:
    from asgiref.sync import sync_to_async

    from onewindow.hall.selectors import last_event_id

    path = f"/hall/{hall.centre.pk}/stream/"
    screens = [Screen(n) for n in range(args.clients)]
    ready, stop = asyncio.Event(), asyncio.Event()
    connected = [0]
    tasks = [asyncio.create_task(follow(s, port, path, ready, connected, args.clients, stop))
             for s in screens]
    started = time.monotonic()
    try:
        await asyncio.wait_for(ready.wait(), 60)
    except TimeoutError:
        errors = [s.error for s in screens if s.error][:3]
        raise SystemExit(
            f"only {connected[0]} of {args.clients} streams opened: {errors}") from None
    log(f"   {args.clients} streams open in {time.monotonic() - started:.2f} s")
    await asyncio.sleep(1.0)
    pids = process_tree(server.pid)
    status = {pid: proc_status(pid) for pid in pids}
    log("   server processes with the streams open: " + ", ".join(
        f"pid {pid}: {s['Threads']} threads, {s['VmRSS'] / 1024:.0f} MiB" for pid, s in
        status.items()))

    committed: dict[int, float] = {}
    errors: list[str] = []
    driver = threading.Thread(target=drive_calls,
                              args=(hall, args.calls, args.rate, committed, errors))
    t0 = time.monotonic()
    driver.start()
    while driver.is_alive():
        await asyncio.sleep(0.1)
    driven = time.monotonic() - t0
    final = await sync_to_async(last_event_id, thread_sensitive=False)(hall.centre.pk)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(
            s.versions and s.versions[-1] >= final for s in screens):
        await asyncio.sleep(0.05)
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    log(f"2. {len(committed)} calls in {driven:.1f} s from {WINDOWS} windows "
        f"({len(committed) / driven:.1f}/s); final version {final}; errors: {errors or 'none'}")
    got_final = sum(1 for s in screens if s.versions and s.versions[-1] == final)
    monotonic = sum(1 for s in screens
                    if all(a <= b for a, b in zip(s.versions, s.versions[1:], strict=False)))
    missing = {s.n: sorted(set(committed) - set(s.seen)) for s in screens}
    missed = sum(len(m) for m in missing.values())
    log(f"3. screens with the final version: {got_final}/{args.clients}; versions never going "
        f"back: {monotonic}/{args.clients}; call ids missed: {missed} "
        f"(of {len(committed) * args.clients}); stream errors: "
        f"{sum(1 for s in screens if s.error)}")
    if missed:
        worst = max(missing.items(), key=lambda kv: len(kv[1]))
        log(f"   e.g. screen {worst[0]} missed {worst[1][:10]}")
    latencies = [s.seen[e] - at for s in screens for e, at in committed.items() if e in s.seen]
    if latencies:
        log(f"4. latency from commit to receipt over {len(latencies)} (call, screen) pairs: "
            f"median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {pct(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    events = sum(s.events for s in screens)
    log(f"   snapshots received: {events} ({events / args.clients:.0f} per screen), pings "
        f"{sum(s.pings for s in screens)}, {sum(s.bytes for s in screens) / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0, help="calls per second")
    parser.add_argument("--workers", type=int, default=2, help="web server processes")
    args = parser.parse_args()

    database_url()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    log(f"1. centre with {WINDOWS} windows and {args.calls + WINDOWS} tickets waiting; "
        f"server: uvicorn (ASGI), {args.workers} workers")
    hall = build_hall(args.calls + WINDOWS)
    connection.close()
    port = free_port()
    server = start_server(port, args.workers)
    try:
        asyncio.run(run(args, hall, port, server))
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
