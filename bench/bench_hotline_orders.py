"""12345 work orders at a city's scale: intake through the API, and a department's order list
with 1,000,000 orders stored.

Usage (the database is created and migrated if missing; the bulk orders are generated once and
re-used while the database holds at least that many — ``--rebuild`` regenerates them):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ow_orders_bench \
        .venv/bin/python bench/bench_hotline_orders.py [--orders 1000000] [--rebuild] \
        [--duration 20] [--workers 4] [--threads 2] [--connections 12] [--skip-http]

Measures and prints:
  1. intake by operators through the HTTP API (POST /api/v1/hotline/orders, Bearer token) served
     by gunicorn and driven by wrk: requests/s, errors, and that every order number is distinct;
  2. a department's order list (GET /api/v1/hotline/orders?scope=department, first page of 50,
     newest first) and its inbox (to sign / to reply by due time): median and p95, with the plan.

The bulk orders are written with set-based SQL (INSERT … SELECT FROM generate_series) and have
no event rows (this bench does not verify chains). Not a test: nothing asserts on wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_cases import (  # type: ignore[import-not-found]
    LUA,
    database_url,
    ensure_database,
    free_port,
    log,
    lower_priority,
    pct,
    start_server,
)

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "ow_orders_bench"
CITY = "379900000000"
DISTRICTS = ["东湖区", "西岭区", "南山区", "北湖区", "清河县", "云峰市", "白沙县", "龙泉区",
             "桃源县"]
DEPARTMENTS = [("SCJG", "市场监督管理局"), ("WJW", "卫生健康局"), ("RSJ", "人社局"),
               ("ZJJ", "住建局"), ("CGJ", "城市管理局"), ("STHJJ", "生态环境分局"),
               ("JTJ", "交通运输局"), ("JYJ", "教育局"), ("ZWB", "行政审批服务局"),
               ("MZJ", "民政局")]
STORIES = ["楼下烧烤店油烟直排", "工地夜间施工噪音", "路灯坏了很久没人修", "小区电梯坏了一周",
           "公司拖欠工资三个月", "超市出售过期食品", "公交班次太少", "学校门口交通拥堵"]


def order_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM hotline_workorder")
        return int(cursor.fetchone()[0])


def build_city() -> None:
    from onewindow.accounts.models import Role, RoleAssignment, StaffMember, User
    from onewindow.hotline.demo_orders import load_catalogue
    from onewindow.regions.models import Department, Region, RegionLevel

    city, _c = Region.objects.get_or_create(code=CITY, defaults={"name": "云溪市",
                                                                  "level": RegionLevel.CITY})
    regions = [city]
    for i, name in enumerate(DISTRICTS, start=2):
        region, _c = Region.objects.get_or_create(
            code=f"3799{i:02d}000000",
            defaults={"name": name, "level": RegionLevel.DISTRICT, "parent": city})
        regions.append(region)
    for region in regions:
        for code, name in DEPARTMENTS:
            Department.objects.get_or_create(region=region, code=code,
                                             defaults={"name": f"{region.name}{name}"})
    load_catalogue()

    def staff(username: str, role: str, region: Any, dep: Any = None) -> None:
        user, made = User.objects.get_or_create(username=username,
                                                defaults={"display_name": username})
        if made:
            StaffMember.objects.create(user=user, staff_number=username[:20], region=region,
                                       department=dep)
            RoleAssignment.objects.create(user=user, role=role, region=region, department=dep)

    staff("bench_operator", Role.OPERATOR, city)
    d1 = regions[1]
    staff("bench_dept", Role.REVIEWER, d1, Department.objects.get(region=d1, code="SCJG"))


def build_orders(total: int, *, batch: int = 100_000) -> None:
    """Set-based inserts: orders spread over a year, 100 departments, every state."""
    from django.db import connection, transaction

    from onewindow.hotline.models import DispatchCategory
    from onewindow.regions.models import Department

    deps = list(Department.objects.order_by("pk").values_list("pk", "region_id"))
    cats = list(DispatchCategory.objects.order_by("pk").values_list("pk", flat=True))
    dep_ids, reg_ids = [d for d, _r in deps], [r for _d, r in deps]
    stories = STORIES
    started = time.monotonic()
    for lo in range(1, total + 1, batch):
        hi = min(total, lo + batch - 1)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO hotline_workorder (
                  order_no, channel, state, urgency, category_id, region_id, location, title,
                  description, caller_phone, caller_name, anonymous, consent, department_id,
                  dispatch_count, dispatched_at, sign_due, return_due, signed_at, reply_due,
                  replied_at, reply, closed_at, direct, sign_late, reply_late, overdue,
                  objection_reason, extension_state, extension_days, extension_reason,
                  supervise_count, reopen_count, visit_at, solved, satisfaction, created_at,
                  updated_at, event_count, head_hash, row_version)
                SELECT
                  'BX' || lpad(g::text, 10, '0'), 'phone', s.state, 'normal',
                  (%(cats)s::bigint[])[1 + g %% %(ncat)s],
                  (%(regs)s::bigint[])[1 + (g / 7) %% %(ndep)s], '某路 ' || (g %% 500) || ' 号',
                  (%(stories)s::text[])[1 + g %% %(nst)s],
                  (%(stories)s::text[])[1 + g %% %(nst)s] || '，请尽快处理。',
                  '139' || lpad((g %% 100000000)::text, 8, '0'), '', false, g %% 3 = 0,
                  (%(deps)s::bigint[])[1 + (g / 7) %% %(ndep)s], 1, t.at + interval '5 min',
                  t.at + interval '2 hours', t.at + interval '2 days',
                  CASE WHEN s.state <> 'dispatched' THEN t.at + interval '1 hour' END,
                  t.at + interval '7 days',
                  CASE WHEN s.state IN ('replied', 'closed') THEN t.at + interval '4 days' END,
                  CASE WHEN s.state IN ('replied', 'closed') THEN '已处理。' ELSE '' END,
                  CASE WHEN s.state = 'closed' THEN t.at + interval '5 days' END,
                  false, g %% 11 = 0, g %% 13 = 0, false, '', '', 0, '', 0, 0,
                  CASE WHEN s.state = 'closed' THEN t.at + interval '5 days' END,
                  CASE WHEN s.state = 'closed' THEN g %% 9 <> 0 END,
                  CASE WHEN s.state = 'closed' THEN 1 + g %% 5 END,
                  t.at, t.at, 0, md5(g::text) || md5((g + 1)::text), 0
                FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g
                CROSS JOIN LATERAL (
                    SELECT now() - (%(total)s::bigint - g) * interval '30 seconds' AS at) t
                CROSS JOIN LATERAL (SELECT CASE
                    WHEN g > %(total)s::bigint - 2000 AND g %% 2 = 0 THEN 'dispatched'
                    WHEN g > %(total)s::bigint - 4000 THEN 'signed'
                    WHEN g %% 10 = 0 THEN 'replied' ELSE 'closed' END AS state) s
                """,
                {"cats": cats, "ncat": len(cats), "regs": reg_ids, "deps": dep_ids,
                 "ndep": len(deps), "stories": stories, "nst": len(stories), "lo": lo,
                 "hi": hi, "total": total},
            )
        log(f"   {hi:,} orders ({time.monotonic() - started:.0f} s)")
    with connection.cursor() as cur:
        cur.execute("ANALYZE hotline_workorder")


# 1. intake over HTTP -----------------------------------------------------------------------------


def measure_http(*, duration: int, workers: int, threads: int, connections: int) -> None:
    import shutil

    from django.db import connection

    from onewindow.accounts.models import User
    from onewindow.accounts.tokens import token_create

    if not shutil.which("wrk"):
        log("1. HTTP intake: wrk is not installed — skipped")
        return
    rng = random.Random(7)
    user = User.objects.get(username="bench_operator")
    _row, token = token_create(user=user, name="bench_orders")
    with connection.cursor() as cur:
        cur.execute("SELECT code FROM hotline_dispatchcategory WHERE is_active")
        cats = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT code FROM regions_region")
        regions = [r[0] for r in cur.fetchall()]
    bodies = [json.dumps({
        "category": rng.choice(cats), "region": rng.choice(regions),
        "description": rng.choice(STORIES) + f"，第 {i} 次反映。", "location": f"某路 {i} 号",
        "caller_phone": f"139{rng.randint(0, 99999999):08d}", "caller_name": "王先生",
    }, ensure_ascii=False) for i in range(300)]
    lua = LUA.replace("/api/v1/cases with submit=true", "/api/v1/hotline/orders") % {
        "bodies": ",\n".join("[[" + b + "]]" for b in bodies), "token": token}
    url = "/api/v1/hotline/orders"
    port = free_port()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM hotline_workorder WHERE order_no LIKE 'GD%%'")
        before = cur.fetchone()[0]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(lua, encoding="utf-8")
        server = start_server(port, workers, threads)
        try:
            subprocess.run(["wrk", "-t1", f"-c{connections}", "-d3s", "-s", str(script),
                            f"http://127.0.0.1:{port}{url}"], check=True, capture_output=True)
            out = subprocess.run(
                ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s",
                 str(script), f"http://127.0.0.1:{port}{url}"],
                check=True, capture_output=True, text=True).stdout
        finally:
            server.terminate()
            server.wait(timeout=30)
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    result = json.loads(line[len("WRKJSON "):])
    seconds = result["duration_us"] / 1e6
    failed = result["other"] + result["connect"] + result["read"] + result["write"] + \
        result["timeout"]
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT order_no) FROM hotline_workorder "
                    "WHERE order_no LIKE 'GD%%'")
        made, distinct = cur.fetchone()
    kind = f"gthread {workers}×{threads}" if threads > 1 else f"sync ×{workers}"
    log(f"1. HTTP POST {url}, gunicorn {kind}, wrk -t2 -c{connections}, {seconds:.0f} s:")
    log(f"   {result['created'] / seconds:,.0f} orders/s created ({result['requests']:,} "
        f"requests, errors {failed}: non-201 {result['other']}, socket "
        f"{failed - result['other']}, of which timeouts {result['timeout']}); "
        f"latency p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms")
    for err in [x for x in out.splitlines() if x.startswith("WRKERROR ")]:
        log(f"   first error: {err[len('WRKERROR '):]}")
    log(f"   order numbers: {made - before:,} new, all distinct: {made == distinct}")


# 2. the department's list -----------------------------------------------------------------------


def measure_list(samples: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from onewindow.accounts.models import User
    from onewindow.accounts.tokens import token_create

    user = User.objects.get(username="bench_dept")
    _row, token = token_create(user=user, name="bench_orders_list")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    for label, url in (("list, newest first", "/api/v1/hotline/orders?scope=department&limit=50"),
                       ("open overdue only", "/api/v1/hotline/orders?scope=department&overdue=true"
                                             "&limit=50")):
        times: list[float] = []
        for _ in range(samples):
            t0 = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.content[:300]
        with CaptureQueriesContext(connection) as ctx:
            items = client.get(url).json()["items"]
        log(f"2. department's {label} ({len(items)} rows): median "
            f"{statistics.median(times):.1f} ms, p95 {pct(times, 0.95):.1f} ms, "
            f"{len(ctx.captured_queries)} queries")
    from onewindow.hotline import order_selectors

    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        order_selectors.department_inbox(user=user, limit=50)
        times.append((time.perf_counter() - t0) * 1000)
    log(f"   inbox (to sign + to reply by due time, selector): median "
        f"{statistics.median(times):.1f} ms")
    qs = order_selectors.work_orders_for_user(user=user, scope="department").order_by(
        "-created_at", "-pk")[:51]
    with connection.cursor() as cur:
        sql, params = qs.query.sql_with_params()
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join("     " + r[0] for r in cur.fetchall()[:8])
    log("   plan of the list query:\n" + plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=12)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    database_url()
    ensure_database(rebuild=args.rebuild)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    lower_priority()
    build_city()
    have = order_count()
    if have < args.orders:
        log(f"building {args.orders - have:,} orders …")
        build_orders(args.orders - have)
    else:
        log(f"re-using {have:,} orders in the database (--rebuild regenerates them)")
    log(f"machine: {os.cpu_count()} CPUs; {order_count():,} orders stored")
    if not args.skip_http:
        measure_http(duration=args.duration, workers=args.workers, threads=args.threads,
                     connections=args.connections)
    measure_list(args.samples)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
