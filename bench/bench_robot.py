"""Robot latency and accuracy over 10,000 published knowledge-base articles (PostgreSQL).

Usage (the database is created if missing and migrated; its knowledge base is rebuilt):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ow_robot \
        ONEWINDOW_TESTING=1 .venv/bin/python bench/bench_robot.py [--articles 10000] [--rounds 3]

The seed articles (onewindow/hotline/data/articles.json) are published together with generated
variants: local versions of each seed article for the demo's districts and towns, and articles
on other topics built from subjects and actions (their vocabulary is noise for the test set).
Prints the index build time, then median and p95 answer time of the test set's questions
(robot_testset.json) through the service (``selectors.robot_answer``: version check, index,
article rows, catalogue guides) and through HTTP (``POST /api/v1/hotline/robot/ask`` with
Django's test client), and top-1 / top-3 accuracy (a local variant counts as its seed article).
Not a test: nothing asserts on wall-clock time.
"""

from __future__ import annotations

import argparse
import json
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
    "特种设备", "建设工程", "道路运输", "出租汽车", "公共场所", "生活饮用水", "放射诊疗",
    "医疗机构", "执业医师", "护士", "母婴保健", "烟草", "酒类", "危险化学品",
    "烟花爆竹", "民办学校", "培训机构", "养老机构", "社会团体", "基金会", "殡葬",
    "收养", "船舶", "渔业", "种子", "农药", "兽药", "饲料",
    "动物防疫", "林木采伐", "野生动物", "水利工程", "取水", "固体废物", "房地产开发",
    "户外广告", "燃气", "供热", "人力资源服务", "劳务派遣", "文物", "出版物",
    "网吧", "娱乐场所", "旅行社", "营业性演出", "体育赛事", "档案", "测绘",
    "气象", "地震", "统计", "价格", "计量", "广告",
]
ACTIONS = [
    ("经营许可", "申请条件是什么"), ("生产许可", "需要哪些材料"),
    ("备案", "在哪里办理"), ("年检", "什么时候办"), ("变更登记", "流程是怎样的"),
    ("注销登记", "要多久"), ("资质认定", "收费吗"), ("延续", "有效期满怎么办"),
    ("补贴申领", "标准是多少"), ("证明开具", "能网上办吗"), ("投诉", "找哪个部门"),
    ("信息查询", "怎么查"),
]
MATERIALS = ["申请书", "营业执照", "法定代表人身份证明", "场所证明", "平面图",
             "管理制度", "设备清单", "检测报告", "从业人员资格证书", "承诺书",
             "委托书", "验收报告"]


def build(n_articles: int) -> None:
    from django.db import connection, transaction

    from onewindow.catalog import services as catalog_services
    from onewindow.catalog.models import ServiceItem
    from onewindow.core import clock
    from onewindow.hotline import services
    from onewindow.hotline.demo import load_demo_articles
    from onewindow.hotline.models import Article, ArticleStatus
    from onewindow.hotline.quality import seed_articles
    from onewindow.regions.models import Department, Region
    from onewindow.regions.services import region_import_csv

    root = Path(__file__).resolve().parent.parent / "onewindow"
    rng = random.Random(20260101)
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE hotline_article_related_items, hotline_article, "
                           "hotline_unansweredquestion, hotline_knowledgeindexstate")
        if not Region.objects.exists():
            region_import_csv(
                text=(root / "regions" / "data" / "demo_regions.csv").read_text(encoding="utf-8"))
        regions = {r.code: r for r in Region.objects.all()}
        orgs = json.loads((root / "regions" / "data" / "demo_organisations.json")
                          .read_text(encoding="utf-8"))
        for d in orgs["departments"]:
            Department.objects.get_or_create(
                region=regions[d["region_code"]], code=d["code"], defaults={"name": d["name"]})
        if not ServiceItem.objects.exists():
            catalog_services.catalog_import(
                actor=None, fmt="json",
                data=(root / "catalog" / "data" / "demo_catalog.json").read_bytes())
    seed = load_demo_articles()
    print(f"seed: {seed.summary()}")

    departments = list(Department.objects.select_related("region"))
    by_code: dict[str, list[Department]] = {}
    for dep in departments:
        by_code.setdefault(dep.code, []).append(dep)
    base = seed_articles()
    now = clock.now()
    todo = n_articles - Article.objects.count()
    rows: list[Article] = []
    n = 0
    while len(rows) < todo:
        n += 1
        if n % 2:  # a local version of a seed article (district or town department)
            a = rng.choice(base)
            local = [d for d in by_code.get(a["department_code"], []) if d.region.code
                     != a["region_code"]] or by_code.get(a["department_code"], [])
            dep = rng.choice(local)
            question = f"{dep.region.name}{a['question']}"
            answer = a["answer"] + f"本地办理地点：{dep.name}窗口，咨询电话见部门公示。"
            phrasings, keywords = a["phrasings"], a["keywords"]
            key = f"{a['key']}~v{n}"
        else:  # another topic
            subject = rng.choice(SUBJECTS)
            action, ask = rng.choice(ACTIONS)
            dep = rng.choice(departments)
            question = f"{subject}{action}{ask}"
            answer = (f"办理{subject}{action}，需提交" + "、".join(rng.sample(MATERIALS, 4))
                      + f"等材料，由{dep.name}受理，承诺{rng.randrange(1, 20)}个工作日内办结。")
            phrasings = [f"{subject}{action}", f"{subject}{action}怎么办"]
            keywords = f"{subject} {action}"
            key = f"gen-{n}"
        article = Article(
            key=key, question=question[:200], answer=answer, phrasings="\n".join(phrasings),
            keywords=keywords, department=dep, region=dep.region,
            status=ArticleStatus.PUBLISHED, published_at=now, version=1,
        )
        services.search_fields(article, [])
        rows.append(article)
    Article.objects.bulk_create(rows, batch_size=1000)
    services.index_changed()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"knowledge base: {Article.objects.filter(status='published').count()} published "
          f"articles (built in {time.perf_counter() - started:.1f}s)")


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[max(0, int(len(values) * p) - 1)]


def run(rounds: int) -> None:
    from django.db import connection
    from django.test import Client

    from onewindow.hotline import quality, selectors
    from onewindow.hotline.retrieval import CONFIDENCE_THRESHOLD, Hit

    selectors.forget_index()
    started = time.perf_counter()
    index = selectors.get_index()
    print(f"index: {len(index)} articles built in {time.perf_counter() - started:.2f}s "
          f"(once per process and per change of the published set)")
    data = quality.testset()
    questions = [q["question"] for q in data["questions"]] + list(data["out_of_scope"])
    for q in questions[:20]:
        selectors.robot_answer(question=q)  # warm up jieba, the connection and the plans

    timings: list[float] = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            selectors.robot_answer(question=q)
            timings.append((time.perf_counter() - t0) * 1000)
    print(f"backend: {connection.vendor}; service: {len(timings)} answers; "
          f"median {statistics.median(timings):.1f} ms; p95 {_pct(timings, 0.95):.1f} ms; "
          f"max {max(timings):.1f} ms")

    from onewindow.hotline import throttle

    throttle.ROBOT_LIMIT = 10**9
    client = Client()
    http: list[float] = []
    for q in questions:
        t0 = time.perf_counter()
        r = client.post("/api/v1/hotline/robot/ask", data=json.dumps({"question": q}),
                        content_type="application/json")
        http.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.content
    print(f"HTTP (test client, POST /api/v1/hotline/robot/ask): {len(http)} answers; "
          f"median {statistics.median(http):.1f} ms; p95 {_pct(http, 0.95):.1f} ms")

    def search(q: str) -> list[Hit]:
        hits = index.search(q, limit=30)
        seen: dict[str, Hit] = {}
        for h in hits:  # a local variant counts as its seed article
            base = h.doc.key.split("~", 1)[0]
            if base not in seen:
                seen[base] = Hit(doc=type(h.doc)(**{**h.doc.__dict__, "key": base}),
                                 score=h.score, confidence=h.confidence)
        return list(seen.values())[:3]

    report = quality.evaluate(search, threshold=CONFIDENCE_THRESHOLD)
    print(f"accuracy with {len(index)} articles: {report.summary()}")
    seed_only = quality.evaluate_index(type(index).build(quality.seed_docs()))
    print(f"accuracy with the seed articles only: {seed_only.summary()}")


def ensure_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("note: DATABASE_URL is not PostgreSQL; measuring SQLite")
        return
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not args.skip_build:
        build(args.articles)
    run(args.rounds)


if __name__ == "__main__":
    main()
