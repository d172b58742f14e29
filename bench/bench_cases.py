"""Cases (办件) at a city's scale: 1,000,000 cases in PostgreSQL, and the hot paths on top.

Usage (the database is created and migrated if missing; the 1M cases are generated once and
re-used while the database holds at least that many — ``--rebuild`` drops and regenerates it):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onewindow_bench_cases \
        .venv/bin/python bench/bench_cases.py [--cases 1000000] [--rebuild] \
        [--duration 20] [--workers 4] [--threads 2] [--connections 12] [--skip-http]

Measures and prints:
  1. online submissions through the HTTP API (POST /api/v1/cases, submit=true) served by
     gunicorn on 127.0.0.1 and driven by wrk (Lua script, Bearer token): requests/s and errors,
     then checks that every created case number is distinct;
  2. the clerk's whole case screen (GET /api/v1/cases/{case_no}): median, p95, query count;
  3. a reviewer's inbox (GET /api/v1/cases/inbox): median;
  4. the cases due within N working days for a city-wide user (N = 1, 3, 5), through the API
     (first page of 100, most urgent first, and the total): median, and the
     EXPLAIN showing the partial index ``case_promised_due_open``;
  5. numbering: 100 concurrent ``services.case_create`` in threads get distinct numbers; the
     creation rate with an empty case table (measured when the data is built) and at 1M.

The bulk rows are written with set-based SQL (INSERT … SELECT FROM generate_series); their
audit hashes are random-looking 64-hex strings (this bench does not verify chains). Not a test:
nothing asserts on wall-clock time. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import socket
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings")
os.environ.setdefault("ONEWINDOW_TESTING", "1")
# Outbox deliveries go to a broker as in production, not run inline (the eager test setting).
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("ONEWINDOW_LOG_LEVEL", "WARNING")

DB_NAME = "onewindow_bench_cases"
CITY = "379900000000"
# Ten regions (the city's own departments and nine districts), ten departments each, 50 items
# per department: 100 departments, 5,000 items.
DISTRICTS = ["东湖区", "西岭区", "南山区", "北湖区", "清河县", "云峰市", "白沙县", "龙泉区",
             "桃源县"]
DEPARTMENTS = [
    ("SCJG", "市场监督管理局"), ("WJW", "卫生健康委员会"), ("RSJ", "人力资源和社会保障局"),
    ("ZJJ", "住房和城乡建设局"), ("GAJ", "公安局"), ("MZJ", "民政局"),
    ("ZRZYJ", "自然资源和规划局"), ("JTJ", "交通运输局"), ("WLJ", "文化和旅游局"),
    ("NYNCJ", "农业农村局"),
]
SUBJECTS = [
    "食品经营", "药品零售", "公共场所卫生", "医师执业", "护士执业", "养老机构", "民办学校",
    "道路运输", "出租汽车", "建筑施工", "不动产", "户外广告", "燃气经营", "旅行社", "娱乐场所",
    "网吧", "出版物零售", "农药经营", "兽药经营", "种子生产", "林木采伐", "取水", "排污",
    "社会团体", "劳务派遣", "人力资源服务", "居住证", "户口迁移", "机动车", "驾驶证",
    "残疾人证", "低保", "临时救助", "高龄津贴", "殡葬", "婚姻", "收养", "职业资格", "档案",
    "社会保险", "工伤认定", "失业保险", "公积金", "消防", "特种设备", "计量器具", "广告",
    "演出", "体育赛事", "渔业捕捞",
]
ACTIONS = ["许可", "登记", "备案", "核准", "审批", "认定", "证明开具", "变更", "注销", "延续"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰",
         "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建国", "晓燕", "志强"]

FORM_SCHEMA = [
    {"name": "applicant_name", "label": "申请人姓名", "type": "text", "required": True,
     "max_length": 50},
    {"name": "id_number", "label": "公民身份号码", "type": "id_number", "required": True},
    {"name": "mobile", "label": "手机号码", "type": "phone", "required": True},
    {"name": "address", "label": "经营地址", "type": "text", "required": False,
     "max_length": 200},
    {"name": "area_sqm", "label": "营业面积（平方米）", "type": "number", "required": False},
]


def log(message: str) -> None:
    print(message, flush=True)


# --- database -----------------------------------------------------------------------------------


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must point to PostgreSQL "
                 f"(e.g. postgres://postgres@127.0.0.1:5432/{DB_NAME}).")
    return url


def ensure_database(*, rebuild: bool) -> None:
    import psycopg

    base, _, name = database_url().rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if rebuild:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def case_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        return int(cursor.fetchone()[0])


def lower_priority() -> None:
    """Let this session's PostgreSQL backend yield the CPU to others (same machine, root)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    try:
        os.setpriority(os.PRIO_PROCESS, pid, 10)
    except OSError:
        pass  # another machine or no permission: run at normal priority


# --- the city: regions, departments, items, staff ---------------------------------------------


def build_city() -> None:
    """Regions, 100 departments, 5,000 published items with 2 materials each, staff."""
    from django.db import transaction
    from django.utils import timezone

    from onewindow.accounts.models import RoleAssignment, StaffMember, User
    from onewindow.catalog.models import BasicItem, ItemVersion, Material, ServiceItem
    from onewindow.regions.models import Department, Region, RegionLevel, ServiceCentre

    rng = random.Random(20261123)
    now, today = timezone.now(), timezone.localdate()
    with transaction.atomic():
        city, _ = Region.objects.get_or_create(
            code=CITY, defaults={"name": "云溪市", "level": RegionLevel.CITY}
        )
        regions = [city]
        for n, name in enumerate(DISTRICTS, start=1):
            level = RegionLevel.DISTRICT
            district, _ = Region.objects.get_or_create(
                code=f"3799{n:02d}000000", defaults={"name": name, "level": level, "parent": city}
            )
            regions.append(district)
        for region in regions:
            ServiceCentre.objects.get_or_create(
                region=region, name=f"{region.name}政务服务中心", defaults={"kind": "centre"}
            )
        departments: list[tuple[Region, int, Department]] = []
        for region in regions:
            for k, (code, name) in enumerate(DEPARTMENTS):
                dep, _ = Department.objects.get_or_create(
                    region=region, code=code, defaults={"name": f"{region.name}{name}"}
                )
                departments.append((region, k, dep))

        basics: dict[tuple[int, int], BasicItem] = {}
        rows = []
        for k in range(len(DEPARTMENTS)):
            for j in range(50):
                name = f"{SUBJECTS[j]}{ACTIONS[(j + k) % len(ACTIONS)]}"
                rows.append(BasicItem(basic_code=f"{k:02d}{j:03d}", name=name, item_type="01",
                                      legal_basis="《中华人民共和国行政许可法》",
                                      legal_limit=20))
        for b, (k, j) in zip(BasicItem.objects.bulk_create(rows),
                             ((k, j) for k in range(len(DEPARTMENTS)) for j in range(50)),
                             strict=True):
            basics[(k, j)] = b
        items = []
        for region, k, dep in departments:
            for j in range(50):
                items.append(ServiceItem(
                    basic=basics[(k, j)], region=region, department=dep,
                    implementation_code=f"{region.code[:6]}{k:02d}{j:03d}",
                    popularity=rng.randrange(1000),
                ))
        items = ServiceItem.objects.bulk_create(items)
        versions = ItemVersion.objects.bulk_create(
            ItemVersion(
                item=item, number=1, status="published", published_at=now,
                effective_from=today - dt.timedelta(days=800), exercising_level="3",
                case_type="1" if i % 7 == 0 else "2",
                content=f"申请{item.basic.name}的单位或个人，按规定提交申请材料。",
                acceptance_conditions="符合相关法律法规规定的条件。",
                promised_limit=0 if i % 7 == 0 else rng.choice([3, 5, 5, 7, 10, 10, 15, 20]),
                audiences=["1"], handling_forms=["1", "2"], online=True,
                procedure=[{"name": "受理"}, {"name": "审查"}, {"name": "决定"}],
                place="政务服务中心", hours="工作日", consult_phone="12345",
                complaint_phone="12345", form_schema=FORM_SCHEMA,
                result_name=f"{item.basic.name}决定书",
            )
            for i, item in enumerate(items)
        )
        Material.objects.bulk_create(
            Material(version=v, sort_order=k, name=name, required=True, tolerable=k == 1)
            for v in versions
            for k, name in enumerate(["申请书", "身份证明"])
        )
        for item, version in zip(items, versions, strict=True):
            item.current_version = version
        ServiceItem.objects.bulk_update(items, ["current_version"], batch_size=1000)

        def staff(username: str, role: str, region: Region, dep: Department | None) -> None:
            user = User.objects.create_user(username=username, password=None,
                                            display_name=username)
            StaffMember.objects.create(user=user, staff_number=username[-20:], region=region,
                                       department=dep)
            RoleAssignment.objects.create(user=user, role=role, region=region, department=dep)

        staff("bench_clerk_city", "clerk", city, None)
        staff("bench_api_city", "clerk", city, None)
        staff("bench_supervisor_city", "supervisor", city, None)
        for region, k, dep in departments:
            tag = f"{region.code[2:6]}_{k}"
            staff(f"bench_rev_{tag}", "reviewer", region, dep)
            staff(f"bench_head_{tag}", "dept_head", region, dep)
    log(f"city: {len(regions)} regions, {len(departments)} departments, {len(items)} items")


# --- one million cases, set-based -----------------------------------------------------------------

# state, share, events (action, from, to, fraction of the case's span)
STATES: list[tuple[str, float]] = [
    ("completed", 0.760), ("refused", 0.020), ("withdrawn", 0.020), ("draft", 0.010),
    ("submitted", 0.020), ("awaiting_supplement", 0.010), ("in_review", 0.120),
    ("suspended", 0.020), ("decided", 0.020),
]
EVENTS: dict[str, list[tuple[str, str, str]]] = {
    "draft": [("create", "draft", "draft")],
    "submitted": [("create", "draft", "draft"), ("submit", "draft", "submitted"),
                  ("check_material", "submitted", "submitted")],
    "awaiting_supplement": [("submit", "draft", "submitted"),
                            ("check_material", "submitted", "submitted"),
                            ("request_supplement", "submitted", "awaiting_supplement")],
    "refused": [("submit", "draft", "submitted"), ("check_material", "submitted", "submitted"),
                ("refuse", "submitted", "refused")],
    "withdrawn": [("create", "draft", "draft"), ("submit", "draft", "submitted"),
                  ("withdraw", "submitted", "withdrawn")],
    "in_review": [("submit", "draft", "submitted"), ("check_material", "submitted", "submitted"),
                  ("accept", "submitted", "in_review")],
    "suspended": [("submit", "draft", "submitted"), ("check_material", "submitted", "submitted"),
                  ("accept", "submitted", "in_review"),
                  ("start_special", "in_review", "suspended")],
    "decided": [("submit", "draft", "submitted"), ("check_material", "submitted", "submitted"),
                ("accept", "submitted", "in_review"), ("pass", "in_review", "in_review"),
                ("approve", "in_review", "decided")],
    "completed": [("submit", "draft", "submitted"), ("check_material", "submitted", "submitted"),
                  ("accept", "submitted", "in_review"), ("pass", "in_review", "in_review"),
                  ("approve", "in_review", "decided"), ("deliver", "decided", "completed")],
}
ACCEPTED = ("in_review", "suspended", "decided", "completed")


def _state_case_sql() -> str:
    """CASE expression choosing the state from the uniform random number ``rs``."""
    parts, upper = [], 0.0
    for state, share in STATES:
        upper += share
        parts.append(f"WHEN rs < {upper:.4f} THEN '{state}'")
    return "CASE " + " ".join(parts) + " ELSE 'completed' END"


def _hash_sql(case_id: str, seq: str) -> str:
    """A deterministic 64-hex string per (case, seq): looks like a SHA-256, is not checked."""
    return (f"md5(({case_id})::text || ':' || ({seq})::text) "
            f"|| md5(({seq})::text || '#' || ({case_id})::text)")


BULK_TABLES = ("cases_case", "cases_casematerial", "cases_task", "cases_caseevent")


def drop_secondary_indexes() -> list[str]:
    """Drop the bulk tables' indexes and unique constraints (not the primary keys); return the
    statements that recreate them. Building an index once is far cheaper than 5M inserts into it.
    """
    from django.db import connection

    tables = list(BULK_TABLES)
    restore: list[str] = []
    with connection.cursor() as cur:
        cur.execute("""
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)
        """, [tables])
        constraints = cur.fetchall()
        for table, name, definition in constraints:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cur.execute("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = ANY(%s) AND i.schemaname = 'public'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """, [tables])
        for name, definition in cur.fetchall():
            cur.execute(f'DROP INDEX "{name}"')
            restore.append(definition)
    return restore


#: Only the case rows (the statistics bench needs no materials, steps or log).
CASES_ONLY = False


def bulk_execute(cur: Any, sql: str) -> None:
    """Run one of the per-case detail INSERTs unless only case rows are wanted."""
    if not CASES_ONLY:
        cur.execute(sql)


def build_cases(total: int, *, batch: int = 100_000) -> None:
    from django.db import connection, transaction

    from onewindow.cases.numbers import SEQUENCE

    lower_priority()
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '256MB'")
        cur.execute("SET work_mem = '64MB'")
        cur.execute("SELECT setseed(0.1123)")
        # Bulk rows are consistent by construction: skip the per-row foreign-key triggers.
        cur.execute("SET session_replication_role = replica")
        cur.execute(
            "CREATE FUNCTION pg_temp.bench_weekday(d date) RETURNS date LANGUAGE sql IMMUTABLE "
            "AS $$ SELECT d + CASE extract(isodow FROM d) WHEN 6 THEN 2 WHEN 7 THEN 1 "
            "ELSE 0 END $$"
        )
        cur.execute("DROP TABLE IF EXISTS bench_items")
        cur.execute("""
            CREATE TEMP TABLE bench_items AS
            SELECT (row_number() OVER (ORDER BY md5(i.id::text)) - 1)::int AS idx,
                   i.id AS item_id, v.id AS version_id, i.region_id, i.department_id,
                   substr(r.code, 1, 6) AS rcode, v.promised_limit, b.legal_limit,
                   b.legal_limit_unit, v.case_type = '1' AS instant,
                   (SELECT c.id FROM regions_servicecentre c WHERE c.region_id = i.region_id
                     ORDER BY c.id LIMIT 1) AS centre_id
            FROM catalog_serviceitem i
            JOIN catalog_itemversion v ON v.id = i.current_version_id
            JOIN catalog_basicitem b ON b.id = i.basic_id
            JOIN regions_region r ON r.id = i.region_id
        """)
        cur.execute("CREATE UNIQUE INDEX ON bench_items (idx)")
        cur.execute("SELECT count(*) FROM bench_items")
        n_items = int(cur.fetchone()[0])
        cur.execute("""
            CREATE TEMP TABLE bench_materials AS
            SELECT m.version_id, m.id, m.sort_order, m.name, m.required, m.tolerable
            FROM catalog_material m
        """)
        cur.execute("CREATE INDEX ON bench_materials (version_id)")
        cur.execute("""
            CREATE TEMP TABLE bench_staff AS
            SELECT ra.department_id, ra.role, min(ra.user_id) AS user_id
            FROM accounts_roleassignment ra WHERE ra.department_id IS NOT NULL
            GROUP BY ra.department_id, ra.role
        """)
        cur.execute("SELECT id FROM accounts_user WHERE username = 'bench_clerk_city'")
        clerk_id = int(cur.fetchone()[0])

        # Applicants: 300,000 residents (ID numbers need not carry valid check digits here).
        n_applicants = max(1000, total * 3 // 10)
        started = time.perf_counter()
        cur.execute(f"""
            INSERT INTO accounts_applicant (created_at, updated_at, kind, name, id_number,
                                            credit_code, legal_representative, mobile, user_id)
            SELECT now(), now(), 'person',
                   substr('{SURNAMES}', 1 + (g % {len(SURNAMES)}), 1)
                     || (ARRAY{GIVEN!r})[1 + (g / 7) % {len(GIVEN)}],
                   '3799' || lpad(g::text, 14, '0'), NULL, '',
                   '139' || lpad((g % 100000000)::text, 8, '0'), NULL
            FROM generate_series(1, {n_applicants}) g
        """)
        cur.execute("SELECT min(id) FROM accounts_applicant WHERE id_number LIKE '3799%%'")
        first_applicant = int(cur.fetchone()[0])
        log(f"applicants: {n_applicants:,} in {time.perf_counter() - started:.1f}s")

    state_case = _state_case_sql()
    events_values = ", ".join(
        f"('{state}', {seq}, '{action}', '{frm}', '{to}', {len(evs)})"
        for state, evs in EVENTS.items()
        for seq, (action, frm, to) in enumerate(evs, start=1)
    )
    counts = ", ".join(f"('{state}', {len(evs)})" for state, evs in EVENTS.items())
    accepted = ", ".join(f"'{s}'" for s in ACCEPTED)
    t0 = time.perf_counter()
    restore = drop_secondary_indexes()
    for lo in range(1, total + 1, batch):
        hi = min(total, lo + batch - 1)
        started = time.perf_counter()
        steps: list[float] = []
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")
            # Cases: the state decides the age and the times; items skewed (popular ones often).
            cur.execute(f"""
                WITH base AS (
                    SELECT g, random() AS rs, random() AS ri, random() AS ra, random() AS rt,
                           random() AS rx, random() AS rc
                    FROM generate_series({lo}, {hi}) g
                ), chosen AS (
                    SELECT b.*, {state_case} AS state,
                           floor({n_items} * power(b.ri, 2.2))::int AS item_idx
                    FROM base b
                ), timed AS (
                    SELECT c.*, it.*,
                           CASE c.state
                             WHEN 'completed' THEN 4 + c.rt * 360
                             WHEN 'refused' THEN 1 + c.rt * 360
                             WHEN 'withdrawn' THEN 1 + c.rt * 360
                             WHEN 'draft' THEN c.rt * 30
                             WHEN 'submitted' THEN c.rt * 6
                             WHEN 'awaiting_supplement' THEN 1 + c.rt * 12
                             WHEN 'in_review' THEN 0.2 + c.rt * (1 + it.promised_limit * 1.5)
                             WHEN 'suspended' THEN 5 + c.rt * 40
                             ELSE 2 + c.rt * 30
                           END AS age_days
                    FROM chosen c JOIN bench_items it ON it.idx = c.item_idx
                ), dated AS (
                    SELECT t.*,
                           date_trunc('minute', now() - t.age_days * interval '1 day'
                                      - (t.rx * 8) * interval '1 hour') AS created,
                           CASE WHEN t.state IN ({accepted})
                                THEN (now() - t.age_days * interval '1 day'
                                      + (0.1 + t.rx * 0.9) * interval '1 day') END AS accepted
                    FROM timed t
                ), fin AS (
                    SELECT d.*,
                       CASE WHEN d.state IN ('completed', 'decided')
                            THEN least(now() - interval '1 hour',
                                       d.accepted + (0.5 + d.rx * greatest(d.promised_limit, 1)
                                                     * 1.2) * interval '1 day') END AS decided,
                       CASE WHEN d.state = 'completed'
                            THEN least(now() - interval '30 minutes',
                                       d.accepted + (1 + d.rx * greatest(d.promised_limit, 1)
                                                     * 1.3) * interval '1 day')
                            WHEN d.state IN ('refused', 'withdrawn')
                            THEN d.created + (0.2 + d.rx) * interval '1 day' END AS completed,
                       (d.accepted AT TIME ZONE 'Asia/Shanghai')::date AS accepted_day
                    FROM dated d
                )
                INSERT INTO cases_case (
                    id, case_no, query_code, channel, state, decision, row_version, form_data,
                    is_instant, created_at, submitted_at, received_on, supplement_requested_at,
                    accepted_at, accepted_on, deemed_accepted, decided_at, completed_at,
                    limit_unit, legal_limit_days, promised_limit_days, stopped_days,
                    clock_stopped_since, extension_days, extension_reason, legal_due,
                    promised_due, deadlines_provisional, refusal_reason, refer_to,
                    decision_reason, delivery_method, tracking_no, delivered_at, event_count,
                    head_hash, accepted_by_id, applicant_id, centre_id, created_by_id,
                    department_id, item_id, region_id, version_id)
                SELECT d.g,
                       d.rcode || '-' || to_char(d.created AT TIME ZONE 'Asia/Shanghai',
                                                 'YYYYMMDD') || '-' || lpad(d.g::text, 8, '0'),
                       upper(substr(md5('q' || d.g::text), 1, 8)),
                       CASE WHEN d.rc < 0.6 THEN 'online' WHEN d.rc < 0.95 THEN 'window'
                            ELSE 'agent' END,
                       d.state,
                       CASE WHEN d.state IN ('completed', 'decided')
                            THEN CASE WHEN d.ra < 0.95 THEN 'approved' ELSE 'denied' END
                            ELSE '' END,
                       ev.n + 1,
                       jsonb_build_object('applicant_name', '申请人' || (d.g % 9973)::text,
                                          'id_number', '3799' || lpad(d.g::text, 14, '0'),
                                          'mobile', '139' || lpad((d.g % 99999999)::text, 8, '0'),
                                          'address',
                                          '云溪市东湖区政通路' || (d.g % 300)::text || '号'),
                       d.instant,
                       d.created,
                       CASE WHEN d.state <> 'draft' THEN d.created + interval '7 minutes' END,
                       CASE WHEN d.state <> 'draft'
                            THEN ((d.created + interval '7 minutes')
                                  AT TIME ZONE 'Asia/Shanghai')::date END,
                       CASE WHEN d.state = 'awaiting_supplement'
                            THEN d.created + interval '1 day' END,
                       d.accepted,
                       (d.accepted AT TIME ZONE 'Asia/Shanghai')::date,
                       false,
                       d.decided, d.completed,
                       d.legal_limit_unit, d.legal_limit, d.promised_limit,
                       0,
                       CASE WHEN d.state = 'suspended'
                            THEN ((d.accepted + interval '2 days')
                                  AT TIME ZONE 'Asia/Shanghai')::date END,
                       0, '',
                       pg_temp.bench_weekday(d.accepted_day + ceil(d.legal_limit * 1.4)::int),
                       pg_temp.bench_weekday(d.accepted_day + ceil(d.promised_limit * 1.4)::int),
                       false,
                       CASE WHEN d.state = 'refused'
                            THEN '申请事项不属于本机关职权范围。' ELSE '' END,
                       '', '',
                       CASE WHEN d.state = 'completed'
                            THEN CASE WHEN d.rx < 0.5 THEN 'electronic' WHEN d.rx < 0.8
                                      THEN 'window' ELSE 'post' END ELSE '' END,
                       CASE WHEN d.state = 'completed' AND d.rx >= 0.8
                            THEN 'SF' || lpad(d.g::text, 12, '0') ELSE '' END,
                       CASE WHEN d.state = 'completed' THEN d.completed END,
                       ev.n,
                       {_hash_sql('d.g', 'ev.n')},
                       CASE WHEN d.state IN ({accepted}) THEN {clerk_id} END,
                       {first_applicant} + floor(power(d.ra, 1.5) * {n_applicants})::int,
                       CASE WHEN d.rc >= 0.6 THEN d.centre_id END,
                       NULL,
                       d.department_id, d.item_id, d.region_id, d.version_id
                FROM fin d JOIN (VALUES {counts}) AS ev(state, n) ON ev.state = d.state
            """)
            steps.append(time.perf_counter())
            steps.append(time.perf_counter())
            # Two materials per case, as on the item's checklist.
            bulk_execute(cur, f"""
                INSERT INTO cases_casematerial (
                    sort_order, name, required, tolerable, status, origin, file, file_name,
                    content_type, size, sha256, note, promised_by, provided_at, case_id,
                    material_id, reused_from_id, certificate_id)
                SELECT m.sort_order, m.name, m.required, m.tolerable,
                       CASE WHEN c.state = 'draft' THEN 'provided'
                            WHEN c.state = 'submitted' THEN 'provided'
                            WHEN c.state = 'awaiting_supplement' AND m.sort_order = 1
                              THEN 'missing'
                            ELSE 'verified' END,
                       CASE WHEN c.channel = 'online' THEN 'upload' ELSE 'paper' END,
                       CASE WHEN c.channel = 'online'
                            THEN 'cases/bench/' || c.id::text || '-' || m.sort_order::text || '.pdf'
                            ELSE '' END,
                       CASE WHEN c.channel = 'online' THEN m.name || '.pdf' ELSE '' END,
                       CASE WHEN c.channel = 'online' THEN 'application/pdf' ELSE '' END,
                       CASE WHEN c.channel = 'online' THEN 18000 + (c.id % 5000)::int ELSE 0 END,
                       CASE WHEN c.channel = 'online'
                            THEN {_hash_sql('c.id', 'm.sort_order')} ELSE '' END,
                       CASE WHEN c.state = 'awaiting_supplement' AND m.sort_order = 1
                            THEN '请提供清晰的身份证明复印件' ELSE '' END,
                       NULL, c.submitted_at, c.id, m.id, NULL, NULL
                FROM cases_case c JOIN bench_materials m ON m.version_id = c.version_id
                WHERE c.id BETWEEN {lo} AND {hi}
            """)
            steps.append(time.perf_counter())
            # Two tasks per accepted case (审查 by a reviewer, 决定 by the head); one active
            # while in review or suspended.
            bulk_execute(cur, f"""
                INSERT INTO cases_task (
                    seq, name, role, state, limit_days, started_on, stopped_days, due,
                    finished_at, outcome, opinion, green_channel, actor_id, case_id,
                    department_id)
                SELECT s.seq, s.name, s.role,
                       CASE WHEN c.state IN ('completed', 'decided') THEN 'done'
                            WHEN s.seq = 1 AND (c.id % 2 = 0) THEN 'active'
                            WHEN s.seq = 1 THEN 'done'
                            WHEN c.id % 2 = 0 THEN 'pending'
                            ELSE 'active' END AS state,
                       s.limit_days, c.accepted_on, 0,
                       c.accepted_on + (s.limit_days * 1.4)::int
                         + CASE WHEN s.seq = 2 THEN 2 ELSE 0 END,
                       CASE WHEN c.state IN ('completed', 'decided') OR (s.seq = 1 AND c.id % 2 = 1)
                            THEN coalesce(c.decided_at, c.accepted_at + interval '1 day') END,
                       CASE WHEN c.state IN ('completed', 'decided') OR (s.seq = 1 AND c.id % 2 = 1)
                            THEN CASE WHEN s.seq = 1 THEN 'pass'
                                      WHEN c.decision = 'denied' THEN 'deny'
                                      ELSE 'approve' END
                            ELSE '' END,
                       '', false,
                       CASE WHEN c.state IN ('completed', 'decided') THEN st.user_id END,
                       c.id, c.department_id
                FROM cases_case c
                CROSS JOIN (VALUES (1, '审查', 'reviewer', 4), (2, '决定', 'dept_head', 2))
                     AS s(seq, name, role, limit_days)
                LEFT JOIN bench_staff st ON st.department_id = c.department_id AND st.role = s.role
                WHERE c.id BETWEEN {lo} AND {hi} AND c.state IN ({accepted})
            """)
            steps.append(time.perf_counter())
            # The log: 1–6 events per case, spread between creation and the last change.
            bulk_execute(cur, f"""
                INSERT INTO cases_caseevent (
                    seq, action, actor_role, actor_unit, from_state, to_state, data, public, ip,
                    created_at, prev_hash, hash, actor_id, case_id)
                SELECT e.seq, e.action,
                       CASE WHEN e.action IN ('create', 'submit', 'withdraw') THEN '申请人'
                            WHEN e.action IN ('pass') THEN '审核人员'
                            WHEN e.action IN ('approve', 'deny') THEN '部门负责人'
                            ELSE '窗口受理人员' END,
                       CASE WHEN e.action IN ('create', 'submit', 'withdraw') THEN ''
                            ELSE '政务服务中心' END,
                       e.from_state, e.to_state, '{{}}'::jsonb, e.action <> 'check_material',
                       NULL,
                       c.created_at + (greatest(c.created_at, c.submitted_at, c.accepted_at,
                                                c.supplement_requested_at, c.decided_at,
                                                c.completed_at) - c.created_at)
                                      * ((e.seq - 1)::float / greatest(e.n - 1, 1)),
                       CASE WHEN e.seq = 1 THEN '' ELSE {_hash_sql('c.id', 'e.seq - 1')} END,
                       {_hash_sql('c.id', 'e.seq')},
                       CASE WHEN e.action IN ('create', 'submit', 'withdraw') THEN NULL
                            ELSE {clerk_id} END,
                       c.id
                FROM cases_case c
                JOIN (VALUES {events_values}) AS e(state, seq, action, from_state, to_state, n)
                  ON e.state = c.state
                WHERE c.id BETWEEN {lo} AND {hi}
            """)
            steps.append(time.perf_counter())
        marks = [started, *steps]
        parts = " ".join(f"{b - a:.1f}" for a, b in zip(marks, marks[1:], strict=False))
        log(f"cases {lo:>9,}–{hi:>9,}: {time.perf_counter() - started:5.1f}s ({parts})")
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("SELECT setval(%s, %s)", [SEQUENCE, total + 1000])
        cur.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [total + 1])
    log(f"loaded {total:,} cases in {time.perf_counter() - t0:.0f}s; "
        f"rebuilding {len(restore)} indexes …")
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        for statement in restore:
            cur.execute(statement)
    log(f"indexes: {time.perf_counter() - started:.0f}s; VACUUM ANALYZE …")
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    log(f"VACUUM ANALYZE: {time.perf_counter() - started:.0f}s")
    report_sizes()


def report_sizes() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""
            SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid))
            FROM pg_stat_user_tables
            WHERE relname IN ('cases_case', 'cases_casematerial', 'cases_task', 'cases_caseevent')
            ORDER BY relname
        """)
        for name, rows, size in cur.fetchall():
            log(f"  {name:<20} {rows:>12,} rows  {size}")
        cur.execute("SELECT state, count(*) FROM cases_case GROUP BY state ORDER BY 2 DESC")
        log("  states: " + ", ".join(f"{s} {n:,}" for s, n in cur.fetchall()))


# --- measurements ---------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p * len(ordered))) - 1))]


def valid_form(rng: random.Random) -> dict[str, Any]:
    from onewindow.core.identity import make_id_number

    born = dt.date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28))
    return {
        "applicant_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "id_number": make_id_number(f"379902{born:%Y%m%d}{rng.randint(100, 999)}"),
        "mobile": f"139{rng.randint(10_000_000, 99_999_999)}",
        "address": f"云溪市东湖区政通路{rng.randint(1, 300)}号",
        "area_sqm": str(rng.randint(20, 400)),
    }


def random_cases(n: int, rng: random.Random) -> list[str]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT max(id) FROM cases_case")
        top = int(cur.fetchone()[0])
        ids = [rng.randint(1, top) for _ in range(n * 2)]
        cur.execute("SELECT case_no FROM cases_case WHERE id = ANY(%s) AND state <> 'draft'",
                    [ids])
        found = [r[0] for r in cur.fetchall()]
    rng.shuffle(found)
    return found[:n]


def bench_user(username: str) -> Any:
    from onewindow.accounts.models import User

    return User.objects.get(username=username)


# 1. online submissions over HTTP (gunicorn + wrk) -------------------------------------------------

LUA = r"""
-- POST /api/v1/cases with submit=true; bodies cycle, statuses are counted per thread.
local bodies = {%(bodies)s}
local counter = 0
n201 = 0
nother = 0
first_error = ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = id * 7919
end
function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter %% #bodies) + 1])
end
function response(status, headers, body)
  if status == 201 then
    n201 = n201 + 1
  else
    nother = nother + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body, 1, 300) end
  end
end
function done(summary, latency, requests)
  local ok, other, err = 0, 0, ""
  for _, t in ipairs(threads) do
    ok = ok + t:get("n201")
    other = other + t:get("nother")
    if err == "" then err = t:get("first_error") end
  end
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\":%%d,\"duration_us\":%%d,\"created\":%%d,\"other\":%%d,"
    .. "\"connect\":%%d,\"read\":%%d,\"write\":%%d,\"status\":%%d,\"timeout\":%%d,"
    .. "\"p50_ms\":%%.2f,\"p99_ms\":%%.2f}\n",
    summary.requests, summary.duration, ok, other, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  if err ~= "" then io.write("WRKERROR " .. err .. "\n") end
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env() -> dict[str, str]:
    """Production settings (DEBUG off, not the test mode), TLS left to a proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEWINDOW_")}
    env.update({
        "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "onewindow.settings",
        "ONEWINDOW_SECRET_KEY": "bench-" + "x" * 50, "ONEWINDOW_ALLOWED_HOSTS": "127.0.0.1",
        "ONEWINDOW_SSL_REDIRECT": "0", "ONEWINDOW_HSTS_SECONDS": "0",
        "ONEWINDOW_LOG_LEVEL": "WARNING", "ONEWINDOW_DB_CONN_MAX_AGE": "600",
        "CELERY_BROKER_URL": "memory://", "CELERY_TASK_ALWAYS_EAGER": "0",
        "ONEWINDOW_VAR_DIR": os.environ.get("ONEWINDOW_VAR_DIR", str(ROOT / "var")),
    })
    return env


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    args = [str(gunicorn), "onewindow.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--log-level", "warning", "--chdir", str(ROOT)]
    if threads > 1:
        args += ["--worker-class", "gthread", "--threads", str(threads)]
    proc = subprocess.Popen(args, env=server_env(), cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("gunicorn exited") from None
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("gunicorn did not start")


def http_post(port: int, token: str, body: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/cases", data=body.encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - our own server
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def measure_http(*, duration: int, workers: int, threads: int, connections: int) -> dict[str, Any]:
    from django.db import connection

    from onewindow.accounts.tokens import token_create

    if not shutil.which("wrk"):
        log("1. HTTP submissions: wrk is not installed (apt-get install -y wrk) — skipped")
        return {}
    rng = random.Random(11)
    api_user = bench_user("bench_api_city")
    _row, token = token_create(user=api_user, name="bench_cases")
    with connection.cursor() as cur:
        cur.execute("SELECT implementation_code FROM catalog_serviceitem ORDER BY md5(id::text)")
        items = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT min(id), max(id) FROM accounts_applicant")
        lo, hi = cur.fetchone()
    bodies = []
    for _ in range(400):
        item = items[int(len(items) * rng.random() ** 2.2)]  # popular items more often
        bodies.append(json.dumps({
            "item": item, "applicant_id": rng.randint(lo, hi), "channel": "api",
            "submit": True, "form": valid_form(rng),
        }))
    lua = LUA % {"bodies": ",\n".join("[[" + b + "]]" for b in bodies), "token": token}
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(lua, encoding="utf-8")
        server = start_server(port, workers, threads)
        try:
            status, text = http_post(port, token, bodies[0])
            if status != 201:
                log(f"1. HTTP submissions: the endpoint answered {status}: {text[:300]}")
                return {}
            # Warm every worker (imports, connections, calendar) before measuring.
            subprocess.run(["wrk", "-t1", f"-c{connections}", "-d3s", "-s", str(script),
                            f"http://127.0.0.1:{port}/api/v1/cases"],
                           check=True, capture_output=True)
            started = dt.datetime.now(dt.UTC)
            out = subprocess.run(
                ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s",
                 str(script), f"http://127.0.0.1:{port}/api/v1/cases"],
                check=True, capture_output=True, text=True,
            ).stdout
        finally:
            server.terminate()
            server.wait(timeout=30)
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    result = json.loads(line[len("WRKJSON "):])
    errors = [x for x in out.splitlines() if x.startswith("WRKERROR ")]
    seconds = result["duration_us"] / 1e6
    failed = (result["other"] + result["connect"] + result["read"] + result["write"]
              + result["timeout"])
    with connection.cursor() as cur:
        cur.execute("""SELECT count(*), count(DISTINCT case_no) FROM cases_case
                       WHERE created_by_id = %s AND created_at >= %s""", [api_user.pk, started])
        made, distinct = cur.fetchone()
    kind = f"gthread {workers}×{threads}" if threads > 1 else f"sync ×{workers}"
    log(f"1. HTTP POST /api/v1/cases (submit=true), gunicorn {kind}, wrk -t2 -c{connections}, "
        f"{seconds:.0f} s:")
    log(f"   {result['requests'] / seconds:,.0f} requests/s; {result['created']:,} created, "
        f"errors {failed} (non-201 {result['other']}, socket {failed - result['other']}); "
        f"latency p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms")
    for err in errors:
        log(f"   first error: {err[len('WRKERROR '):]}")
    log(f"   case numbers created in the run: {made:,}, distinct: {distinct:,}"
        + (" ✓" if made == distinct else " ✗ DUPLICATES"))
    assert made == distinct, "duplicate case numbers"
    return {"rps": result["requests"] / seconds, "errors": failed, "created": made}


# 2–3. the case screen and the inbox, in process ---------------------------------------------------


def timed_gets(client: Any, urls: list[str]) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in urls[:10]:
        assert client.get(url).status_code == 200, url  # warm up
    timings = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        client.get(urls[0])
    return timings, len(ctx.captured_queries)


def measure_reads(samples: int) -> None:
    from django.test import Client

    rng = random.Random(5)
    client = Client()
    client.force_login(bench_user("bench_clerk_city"))
    urls = [f"/api/v1/cases/{no}" for no in random_cases(samples, rng)]
    timings, queries = timed_gets(client, urls)
    log(f"2. clerk's case screen GET /api/v1/cases/{{case_no}} ({len(urls)} random cases, "
        f"city-wide clerk, session): median {statistics.median(timings):.1f} ms, "
        f"p95 {pct(timings, 0.95):.1f} ms; {queries} queries")

    from onewindow.accounts.models import User

    reviewers = list(User.objects.filter(username__startswith="bench_rev_").order_by("pk"))
    timings = []
    queries = 0
    for user in rng.sample(reviewers, min(20, len(reviewers))):
        client = Client()
        client.force_login(user)
        t, queries = timed_gets(client, ["/api/v1/cases/inbox"] * 12)
        timings += t[2:]
    log(f"3. reviewer's inbox GET /api/v1/cases/inbox (first page of 50, 20 reviewers): "
        f"median {statistics.median(timings):.1f} ms, p95 {pct(timings, 0.95):.1f} ms; "
        f"{queries} queries")


# 4. cases due within N working days ---------------------------------------------------------------


def measure_due(rounds: int) -> None:
    """GET /api/v1/cases/due?within=N: the first page (100, most urgent first) and the total."""
    from django.db.models import QuerySet
    from django.test import Client

    from onewindow.cases import deadlines, selectors
    from onewindow.cases.models import Case
    from onewindow.cases.workflow import CaseState
    from onewindow.core import clock
    from onewindow.workdays.selectors import get_calendar

    user = bench_user("bench_supervisor_city")
    client = Client()
    client.force_login(user)
    for n in (1, 3, 5):
        timings, queries = timed_gets(client, [f"/api/v1/cases/due?within={n}"] * rounds)
        page = client.get(f"/api/v1/cases/due?within={n}").json()
        log(f"4. GET /api/v1/cases/due?within={n}, city-wide: median "
            f"{statistics.median(timings):.1f} ms, p95 {pct(timings, 0.95):.1f} ms; "
            f"{len(page['items'])} listed of {page['total']:,}; {queries} queries")
    last = deadlines.due_limit_for_window(get_calendar(), clock.today(), 3)
    qs: QuerySet[Case] = (
        Case.objects.filter(selectors.staff_scope_q(user), state=CaseState.IN_REVIEW,
                            promised_due__lte=last)
        .select_related("item__basic", "department").order_by("promised_due", "id")[:101]
    )
    plan = qs.explain()
    log("   EXPLAIN (N = 3):")
    for line in plan.splitlines():
        log(f"     {line}")
    log("   uses case_promised_due_open: "
        + ("yes" if "case_promised_due_open" in plan else "NO"))


# 5. numbering under concurrency -------------------------------------------------------------------


def measure_numbering(label: str, *, concurrent: int = 100, sequential: int = 200) -> None:
    from django.db import connection, connections

    from onewindow.accounts.models import Applicant
    from onewindow.cases import numbers, services
    from onewindow.catalog.models import ServiceItem

    clerk = bench_user("bench_clerk_city")
    items = list(ServiceItem.objects.select_related("basic", "region", "department",
                                                    "current_version").order_by("pk")[:200])
    applicants = list(Applicant.objects.order_by("pk")[:50])
    if not applicants:
        applicants = [Applicant.objects.create(kind="person", name="测试", mobile="13900000000",
                                               id_number="379902199001011234")]

    def create(k: int) -> str:
        case = services.case_create(
            actor=clerk, item=items[k % len(items)], applicant=applicants[k % len(applicants)],
            channel="window", form_data=valid_form(random.Random(k)), submit=True,
        )
        return case.case_no

    create(0)
    started = time.perf_counter()
    for k in range(1, sequential + 1):
        create(k)
    seq_rate = sequential / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(1000):
        numbers.next_serial()
    serial_us = (time.perf_counter() - started) * 1e6 / 1000
    barrier = threading.Barrier(concurrent)
    made: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()

    def worker(k: int) -> None:
        try:
            barrier.wait()
            number = create(10_000 + k)
            with lock:
                made.append(number)
        except Exception as exc:  # noqa: BLE001 - counted and shown
            with lock:
                failures.append(repr(exc))
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(concurrent)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    assert not failures, failures[:3]
    assert len(set(made)) == len(made) == concurrent, "duplicate case numbers"
    connection.close()
    log(f"5. numbering ({label}): {concurrent} concurrent case_create(submit=True) in threads: "
        f"{len(set(made))} distinct numbers in {elapsed:.2f} s; sequential "
        f"{seq_rate:.0f} cases/s; nextval {serial_us:.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="drop and regenerate the data")
    parser.add_argument("--load-only", action="store_true", help="build the data, measure nothing")
    parser.add_argument("--duration", type=int, default=20, help="seconds of HTTP load")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (gthread)")
    parser.add_argument("--connections", type=int, default=12, help="wrk connections")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--samples", type=int, default=300, help="case screens to open")
    parser.add_argument("--concurrent", type=int, default=80,
                        help="simultaneous case_create calls (each holds a connection)")
    args = parser.parse_args()
    database_url()
    ensure_database(rebuild=args.rebuild)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    have = case_count()
    if have < args.cases:
        if have:
            log(f"the database holds {have:,} cases (< {args.cases:,}): rebuilding")
            from django.db import connections

            connections.close_all()
            ensure_database(rebuild=True)
            call_command("migrate", verbosity=0)
        build_city()
        measure_numbering("empty case table")
        truncate_cases()
        build_cases(args.cases)
    else:
        log(f"re-using {have:,} cases in {DB_NAME} (--rebuild regenerates them)")
    if args.load_only:
        return
    log(f"machine: {os.cpu_count()} CPUs; {postgres_version()}")
    if not args.skip_http:
        measure_http(duration=args.duration, workers=args.workers, threads=args.threads,
                     connections=args.connections)
    measure_reads(args.samples)
    measure_due(30)
    measure_numbering(f"{case_count():,} cases", concurrent=args.concurrent)


def truncate_cases() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE cases_caseevent, cases_casematerial, cases_task, cases_notice, "
                    "cases_certificate, cases_clockstop, cases_case, notifications_notification "
                    "RESTART IDENTITY CASCADE")


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        return f"PostgreSQL {cur.fetchone()[0]}"


if __name__ == "__main__":
    main()
