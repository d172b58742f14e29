"""Demo knowledge base: the seed articles of data/articles.json, published.

:func:`load_demo_articles` is idempotent (articles whose key exists are left alone) and fast
(bulk inserts, one segmentation pass). Articles whose department does not exist in the
database are skipped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from onewindow.catalog.models import ServiceItem
from onewindow.core import clock
from onewindow.hotline import services
from onewindow.hotline.models import Article, ArticleStatus
from onewindow.hotline.quality import seed_articles
from onewindow.regions.models import Department, Region


@dataclass
class DemoArticles:
    created: int = 0
    existing: int = 0
    skipped: int = 0

    def summary(self) -> str:
        return (f"知识库条目：新建 {self.created} 条，已存在 {self.existing} 条，"
                f"跳过 {self.skipped} 条")


def _related_lookup(codes: set[str]) -> dict[str, list[ServiceItem]]:
    """Implementations of each basic code (published ones first, city level first)."""
    by_code: dict[str, list[ServiceItem]] = {}
    qs = ServiceItem.objects.filter(basic__basic_code__in=codes).select_related(
        "basic", "region"
    ).order_by("region__code", "implementation_code")
    for item in qs:
        by_code.setdefault(item.basic.basic_code, []).append(item)
    return by_code


@transaction.atomic
def load_demo_articles(*, articles: list[dict[str, Any]] | None = None) -> DemoArticles:
    rows = articles if articles is not None else seed_articles()
    result = DemoArticles()
    existing = set(Article.objects.filter(key__in=[a["key"] for a in rows])
                   .values_list("key", flat=True))
    result.existing = len(existing)
    todo = [a for a in rows if a["key"] not in existing]
    if not todo:
        return result
    regions = {r.code: r for r in Region.objects.filter(
        code__in={a["region_code"] for a in todo})}
    departments = {
        (d.region.code, d.code): d
        for d in Department.objects.filter(region__in=regions.values()).select_related("region")
    }
    related = _related_lookup({c for a in todo for c in a.get("related_basic_codes", [])})
    now = clock.now()
    new: list[tuple[Article, list[ServiceItem]]] = []
    for a in todo:
        region = regions.get(a["region_code"])
        department = departments.get((a["region_code"], a["department_code"]))
        if region is None or department is None:
            result.skipped += 1
            continue
        items = [related[c][0] for c in a.get("related_basic_codes", []) if related.get(c)]
        article = Article(
            key=a["key"], question=a["question"], answer=a["answer"],
            phrasings="\n".join(a.get("phrasings", [])), keywords=a.get("keywords", ""),
            department=department, region=region, status=ArticleStatus.PUBLISHED,
            published_at=now, submitted_at=now, version=1,
            review_note="演示数据", valid_from=None, valid_to=None,
        )
        services.search_fields(article, [i.basic.name for i in items])
        new.append((article, items))
    created = Article.objects.bulk_create([a for a, _ in new], batch_size=500)
    through = Article.related_items.through
    links = [
        through(article_id=article.pk, serviceitem_id=item.pk)
        for article, (_a, items) in zip(created, new, strict=True)
        for item in items
    ]
    through.objects.bulk_create(links, batch_size=1000, ignore_conflicts=True)
    result.created = len(created)
    if created:
        services.index_changed()
    return result
