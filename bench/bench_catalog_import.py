"""Benchmark: import N catalogue items (default 5,000) into a fresh database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onewindow_bench \\
        .venv/bin/python bench/bench_catalog_import.py [-n 5000] [--xlsx]

Creates the database if it does not exist, migrates it, empties the catalogue tables, creates a
city with ten districts and their departments, generates N valid items, then times parsing,
validation and the full import (``catalog_import``: parse + validate + write + search fields),
a second import of the same file (everything unchanged) and an import where every item changed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings")
os.environ.setdefault("ONEWINDOW_DEBUG", "1")
os.environ.setdefault("ONEWINDOW_LOG_LEVEL", "WARNING")

DISTRICTS = 10
DEPARTMENTS = ("SCJG", "WJW", "SW", "RS", "ZJ")


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` when it is missing."""
    if not url.startswith("postgres"):
        return
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    conninfo = {
        "host": cfg.get("HOST") or "127.0.0.1", "port": cfg.get("PORT") or 5432,
        "user": cfg.get("USER") or "postgres", "dbname": "postgres",
    }
    if cfg.get("PASSWORD"):
        conninfo["password"] = cfg["PASSWORD"]
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def setup_regions() -> list[Any]:
    from onewindow.regions.models import Department, Region, RegionLevel

    city, _ = Region.objects.get_or_create(
        code="379900000000", defaults={"name": "云溪市", "level": RegionLevel.CITY}
    )
    districts = []
    for n in range(1, DISTRICTS + 1):
        district, _ = Region.objects.get_or_create(
            code=f"3799{n:02d}000000",
            defaults={"name": f"第{n}区", "level": RegionLevel.DISTRICT, "parent": city},
        )
        for code in DEPARTMENTS:
            Department.objects.get_or_create(
                region=district, code=code, defaults={"name": f"第{n}区{code}"}
            )
        districts.append(district)
    return districts


def clean_catalog() -> None:
    from onewindow.catalog.models import (
        Authorisation,
        BasicItem,
        ImportJob,
        ItemVersion,
        ServiceItem,
    )

    Authorisation.objects.all().delete()
    ImportJob.objects.all().delete()
    ServiceItem.objects.update(current_version=None)
    ItemVersion.objects.all().delete()
    ServiceItem.objects.all().delete()
    BasicItem.objects.all().delete()


def make_items(n: int, districts: list[Any], *, revision: int = 0) -> list[dict[str, Any]]:
    per_district = -(-n // len(districts))
    items = []
    for i in range(n):
        district = districts[i // per_district]
        b = i % per_district
        items.append({
            "basic_code": f"B{b:06d}", "name": f"基准事项{b}号许可", "item_type": "01",
            "legal_basis": "《中华人民共和国行政许可法》", "legal_limit": 20,
            "legal_limit_unit": "workday", "legal_limit_note": "",
            "implementation_code": f"{district.code[:6]}-{b:06d}",
            "region_code": district.code, "department_code": DEPARTMENTS[b % len(DEPARTMENTS)],
            "exercising_level": "4", "body_nature": "1", "case_type": "2",
            "content": f"第{b}号事项的办理内容，涉及营业执照与食品经营许可。",
            "acceptance_conditions": "申请材料齐全、符合法定形式",
            "promised_limit": 10 - (revision % 5),
            "co_department_codes": [DEPARTMENTS[(b + 1) % len(DEPARTMENTS)]],
            "charges_fee": b % 3 == 0, "cross_region_scope": "0",
            "audiences": ["1", "2"], "person_themes": ["employment"],
            "org_themes": ["start-business"], "handling_forms": ["1", "2", "3"],
            "online": True, "online_depth": "3", "visits": 1,
            "procedure": [{"name": "受理", "description": "窗口受理"},
                          {"name": "审查", "description": "材料审查"},
                          {"name": "决定", "description": "作出决定"}],
            "place": "政务服务中心一楼", "hours": "工作日 9:00-17:00",
            "consult_phone": "0379-12345678", "complaint_phone": "12345",
            "faq": [{"q": "多久办结？", "a": "10个工作日"}],
            "form_schema": [
                {"name": "applicant_name", "label": "申请人", "type": "text", "required": True},
                {"name": "kind", "label": "类别", "type": "select", "required": True,
                 "choices": ["新办", "变更"]},
            ],
            "materials": [
                {"name": f"材料{k}", "form": "both", "original_count": 1, "copy_count": 1,
                 "required": True, "tolerable": k == 1, "source": "1"}
                for k in range(1, 5)
            ],
            "fees": [{"name": "工本费", "standard": "10元/件"}] if b % 3 == 0 else [],
        })
    return items


def timed(label: str, fn: Any) -> Any:
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<44} {elapsed:8.2f} s")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=5000, help="number of items (default 5000)")
    parser.add_argument("--xlsx", action="store_true", help="also time an xlsx import")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from onewindow.catalog import exchange, services
    from onewindow.catalog.models import ItemVersion, Material, ServiceItem

    call_command("migrate", verbosity=0)
    clean_catalog()
    districts = setup_regions()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}  items: {args.n}")

    data = json.dumps(
        {"format": "onewindow-catalog/1", "items": make_items(args.n, districts)},
        ensure_ascii=False,
    ).encode()
    print(f"file size (json): {len(data) / 1e6:.1f} MB")
    rows = timed("parse (json)", lambda: exchange.parse_catalog(data, "json"))
    errors = timed("validate (incl. database look-ups)", lambda: exchange.validate_rows(rows))
    assert not errors, errors[:5]
    first = timed("import, new catalogue (parse+validate+write)",
                  lambda: services.catalog_import(actor=None, data=data, fmt="json"))
    print(f"  -> {first}")
    second = timed("import again, all unchanged",
                   lambda: services.catalog_import(actor=None, data=data, fmt="json"))
    print(f"  -> {second}")
    changed = json.dumps(
        {"format": "onewindow-catalog/1", "items": make_items(args.n, districts, revision=1)},
        ensure_ascii=False,
    ).encode()
    third = timed("import, every item changed (new versions)",
                  lambda: services.catalog_import(actor=None, data=changed, fmt="json"))
    print(f"  -> {third}")
    if args.xlsx:
        xlsx = timed("export xlsx", lambda: exchange.export_catalog(fmt="xlsx"))
        print(f"file size (xlsx): {len(xlsx) / 1e6:.1f} MB")
        timed("parse (xlsx)", lambda: exchange.parse_catalog(xlsx, "xlsx"))
        result = timed("import xlsx, all unchanged",
                       lambda: services.catalog_import(actor=None, data=xlsx, fmt="xlsx"))
        print(f"  -> {result}")
    timed("export json", lambda: exchange.export_catalog(fmt="json"))
    print(
        f"rows: items={ServiceItem.objects.count()} versions={ItemVersion.objects.count()} "
        f"materials={Material.objects.count()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
