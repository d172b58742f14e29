"""Search latency over a 5,000-item catalogue (PostgreSQL full-text search with jieba tokens).

Usage (the database is created if missing, migrated, and its catalogue tables emptied):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onewindow_bench_search \
        ONEWINDOW_TESTING=1 .venv/bin/python bench/bench_search.py [--items 5000] [--queries 200]

Prints the median and p95 latency of ``search_items`` (first page of 20, ranked) and of the
count-and-rank queries alone. Not a test: nothing asserts on wall-clock time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings")
os.environ.setdefault("ONEWINDOW_TESTING", "1")

SUBJECTS = [
    "食品", "药品", "医疗器械", "化妆品", "特种设备", "建设工程", "道路运输", "出租汽车", "网约车",
    "公共场所", "生活饮用水", "放射诊疗", "医疗机构", "执业医师", "护士", "母婴保健", "职业病",
    "烟草", "酒类", "危险化学品", "烟花爆竹", "民办学校", "幼儿园", "培训机构", "养老机构",
    "社会团体", "民办非企业单位", "基金会", "殡葬", "婚姻", "收养", "户籍", "居住证", "身份证",
    "出入境", "驾驶证", "机动车", "船舶", "渔业", "种子", "农药", "兽药", "饲料", "动物防疫",
    "林木采伐", "野生动物", "水利工程", "取水", "排污", "环境影响", "固体废物", "建筑施工",
    "房地产开发", "不动产", "商品房预售", "城市道路", "户外广告", "燃气", "供热", "消防",
    "人力资源服务", "劳务派遣", "社会保险", "失业保险", "工伤", "医疗保险", "住房公积金",
    "残疾人", "低保", "临时救助", "退役军人", "文物", "出版物", "网吧", "娱乐场所", "旅行社",
    "营业性演出", "体育赛事", "档案", "测绘", "气象", "地震", "统计", "价格", "计量", "广告",
]
ACTIONS = [
    "经营许可", "生产许可", "许可证核发", "登记", "变更登记", "注销登记", "备案", "年检", "审批",
    "资质认定", "延续", "补办", "证明开具", "信息查询", "待遇申领", "补贴申领", "认定", "核准",
]
WORDS = [
    "健康证", "营业执照", "身份证", "户口簿", "申请书", "承诺书", "章程", "法定代表人", "场所",
    "平面图", "卫生", "消防", "安全", "环境", "合同", "租赁", "从业人员", "资格证书", "检测报告",
    "验收", "设备", "质量管理", "制度", "照片", "委托书", "社保", "公积金", "不动产权证书",
]
QUERIES = [
    "健康证", "营业执照", "食品经营许可", "食品经营", "办理营业执照", "不动产登记", "公共场所卫生",
    "卫生许可", "社会保险", "住房公积金", "驾驶证补办", "出入境", "药品", "民办学校", "养老机构",
    "排污许可", "建设工程", "网约车", "婚姻登记", "残疾人补贴", "烟草专卖", "旅行社",
    "消防验收", "危险化学品经营", "医疗机构执业", "居住证", "户籍迁移", "失业保险待遇",
    "户外广告", "劳务派遣", "怎么办理健康证", "商品房预售许可", "燃气经营", "兽药", "渔业",
]


def build(n_items: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from onewindow.catalog.codes import ORG_THEMES, PERSON_THEMES
    from onewindow.catalog.models import BasicItem, ItemVersion, Material, ServiceItem
    from onewindow.catalog.search import refresh_search_fields_bulk
    from onewindow.regions.models import Department, Region, RegionLevel

    rng = random.Random(20250101)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE catalog_material, catalog_fee, catalog_itemversion_co_departments, "
                "catalog_authorisation_items, catalog_authorisation, catalog_itemversion, "
                "catalog_serviceitem, catalog_basicitem CASCADE"
            )
        city, _ = Region.objects.get_or_create(
            code="379900000000", defaults={"name": "云溪市", "level": RegionLevel.CITY}
        )
        regions = [city]
        for d in range(1, 10):
            district, _ = Region.objects.get_or_create(
                code=f"3799{d:02d}000000",
                defaults={"name": f"第{d}区", "level": RegionLevel.DISTRICT, "parent": city},
            )
            regions.append(district)
        departments = []
        for region in regions:
            for code, name in (("SCJG", "市场监督管理局"), ("WJW", "卫生健康委员会"),
                               ("RSJ", "人力资源和社会保障局"), ("ZJJ", "住房和城乡建设局")):
                dept, _ = Department.objects.get_or_create(
                    region=region, code=code, defaults={"name": f"{region.name}{name}"}
                )
                departments.append(dept)

        n_basic = max(1, n_items // len(regions))
        names = [f"{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}" for _ in range(n_basic * 2)]
        names = list(dict.fromkeys(names))[:n_basic]
        while len(names) < n_basic:
            names.append(f"{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}{len(names)}")
        basics = BasicItem.objects.bulk_create(
            BasicItem(basic_code=f"B{i:06d}", name=name, item_type="01",
                      legal_basis="《中华人民共和国行政许可法》", legal_limit=20)
            for i, name in enumerate(names)
        )
        items = []
        for i in range(n_items):
            region = regions[i % len(regions)]
            basic = basics[(i // len(regions)) % len(basics)]
            dept = departments[regions.index(region) * 4 + rng.randrange(4)]
            items.append(ServiceItem(basic=basic, implementation_code=f"BENCH{i:06d}",
                                     region=region, department=dept,
                                     popularity=rng.randrange(1000)))
        # one implementation per (basic, region): drop duplicates that the modulo may create
        seen: set[tuple[int, int]] = set()
        unique = []
        for item in items:
            key = (item.basic_id, item.region_id)
            if key not in seen:
                seen.add(key)
                unique.append(item)
        items = ServiceItem.objects.bulk_create(unique)
        now, today = timezone.now(), timezone.localdate()
        versions = ItemVersion.objects.bulk_create(
            ItemVersion(
                item=item, number=1, status="published", published_at=now, effective_from=today,
                exercising_level="3", case_type=rng.choice("12"),
                content=f"申请{item.basic.name}的单位或个人，需提交"
                + "、".join(rng.sample(WORDS, 4)) + "等材料。",
                acceptance_conditions="符合" + rng.choice(WORDS) + "相关规定的申请人",
                promised_limit=rng.randrange(0, 15), audiences=[rng.choice("12")],
                person_themes=rng.sample(list(PERSON_THEMES), 1),
                org_themes=rng.sample(list(ORG_THEMES), 1), handling_forms=["1", "2"],
                procedure=[{"name": "受理"}, {"name": "审核"}, {"name": "办结"}],
                place="市民中心", hours="工作日", consult_phone="12345", complaint_phone="12345",
                faq=[{"q": f"{rng.choice(WORDS)}需要原件吗？", "a": "需要。"}],
                result_name=f"{item.basic.name}决定书",
            )
            for item in items
        )
        Material.objects.bulk_create(
            Material(version=v, sort_order=k, name=f"{w}")
            for v in versions
            for k, w in enumerate(rng.sample(WORDS, 3))
        )
        for item, version in zip(items, versions, strict=True):
            item.current_version = version
        ServiceItem.objects.bulk_update(items, ["current_version"], batch_size=1000)
    started = time.perf_counter()
    refresh_search_fields_bulk(ServiceItem.objects.all())
    print(f"catalogue: {ServiceItem.objects.count()} items "
          f"(search fields in {time.perf_counter() - started:.1f}s)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def run(n_queries: int) -> None:
    from django.db import connection

    from onewindow.catalog.search import search_items

    rng = random.Random(7)
    queries = [rng.choice(QUERIES) for _ in range(n_queries)]
    for q in QUERIES[:5]:
        search_items(query=q)  # warm up jieba and the connection
    timings = []
    totals = []
    for q in queries:
        started = time.perf_counter()
        result = search_items(query=q, limit=20)
        _ = [h.name for h in result.hits]
        timings.append((time.perf_counter() - started) * 1000)
        totals.append(result.total)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"backend: {connection.vendor}; queries: {len(timings)}; "
          f"mean hits: {statistics.mean(totals):.0f}")
    print(f"median: {statistics.median(timings):.1f} ms; p95: {p95:.1f} ms; "
          f"max: {timings[-1]:.1f} ms")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN SELECT id FROM catalog_serviceitem "
                "WHERE search_vector @@ plainto_tsquery('simple'::regconfig, '健康证')"
            )
            plan = " / ".join(row[0].strip() for row in cursor.fetchall())
        print(f"plan: {plan}")


def ensure_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("note: DATABASE_URL is not PostgreSQL; measuring the SQLite fallback")
        return
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not args.skip_build:
        build(args.items)
    run(args.queries)


if __name__ == "__main__":
    main()
