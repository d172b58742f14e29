"""Catalogue search (事项检索): Chinese word segmentation with jieba, ranked by relevance.

Chinese has no spaces between words, so both the catalogue and the query are segmented with
jieba's search mode (``cut_for_search``: each word plus its shorter sub-words). The tokens of an
item are stored space-joined in ``ServiceItem.search_title`` (the basic item's name) and
``search_body`` (content, conditions, materials, result, department, FAQ, themes).

* PostgreSQL: full-text search with the ``simple`` configuration over the pre-segmented fields
  (title weight A, body weight B), ``ts_rank`` ordering. The weighted vector is a stored
  generated column with a GIN index (migration ``0003_search_vector_column``).
* SQLite (embedded mode and tests): ``icontains`` on the token fields, ranked in Python with
  title hits weighing more.

A query first requires every word (AND); when nothing matches, any word will do (OR).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import jieba
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL

from onewindow.catalog.codes import ORG_THEMES, PERSON_THEMES, Audience
from onewindow.catalog.models import ServiceItem, VersionStatus
from onewindow.regions.models import Region

AudienceFilter = Literal["person", "org"] | None

MAX_QUERY_LENGTH = 100
MAX_QUERY_TOKENS = 12

# Domain words jieba's general dictionary does not keep whole.
DOMAIN_WORDS: tuple[str, ...] = (
    "健康证", "健康证明", "营业执照", "食品经营许可", "食品经营许可证", "食品生产许可",
    "不动产", "不动产登记", "公共场所", "卫生许可", "卫生许可证", "一件事", "首席代表",
    "一窗受理", "最多跑一次", "零跑动", "统一社会信用代码", "身份证", "居民身份证",
    "户口簿", "出生医学证明", "准生证", "生育登记", "结婚登记", "离婚登记", "社保卡",
    "医保", "公积金", "住房公积金", "退休", "养老金", "残疾人证", "低保", "最低生活保障",
    "企业设立", "设立登记", "变更登记", "注销登记", "施工许可", "建设工程", "规划许可",
    "排污许可", "道路运输", "网约车", "驾驶证", "行驶证", "出入境", "港澳通行证",
    "办件", "承诺件", "即办件", "容缺受理", "告知承诺",
)

STOPWORDS: frozenset[str] = frozenset(
    "的 了 和 与 及 或 等 在 是 为 对 由 向 被 把 将 从 于 以 并 其 之 也 都 就 而 "
    "吗 呢 吧 啊 呀 哪 个 这 那 有 无 不 没 要 可 能 会 应 须 需".split()
)
# Words that carry no meaning in a query ("怎么办理营业执照"): dropped while others remain.
QUERY_FILLERS: frozenset[str] = frozenset(
    "办理 办 申请 怎么 怎样 如何 我要 我想 想 需要 哪里 什么 手续 流程 去 在哪 在哪里 "
    "怎么办 相关 有关 问题".split()
)
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)

_init_lock = threading.Lock()
_initialised = False


def _ensure_jieba() -> None:
    """Initialise jieba once, quietly, with its dictionary cache in the temp directory."""
    global _initialised
    if _initialised:
        return
    with _init_lock:
        if _initialised:
            return
        jieba.setLogLevel(logging.WARNING)
        cache_dir = os.environ.get("ONEWINDOW_JIEBA_CACHE_DIR") or tempfile.gettempdir()
        jieba.dt.tmp_dir = cache_dir
        jieba.dt.cache_file = os.path.join(cache_dir, "onewindow-jieba.cache")
        jieba.initialize()
        for word in DOMAIN_WORDS:
            jieba.add_word(word, freq=200000)
        _initialised = True


def _clean(tokens: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in tokens:
        token = raw.strip().lower()
        if not token or token in STOPWORDS or _PUNCT.match(token):
            continue
        out.append(token)
    return out


def tokenize(text: str) -> list[str]:
    """Segment ``text`` in search mode, dropping punctuation and stopwords (order kept)."""
    if not text:
        return []
    _ensure_jieba()
    return _clean(jieba.cut_for_search(text))


def _query_terms(query: str) -> tuple[list[str], list[str]]:
    """(precise words for AND, search-mode words for OR), fillers removed when others remain."""
    _ensure_jieba()
    precise = _unique(_clean(jieba.cut(query)))
    broad = _unique(_clean(jieba.cut_for_search(query)))
    meaningful = [t for t in precise if t not in QUERY_FILLERS]
    if meaningful:
        precise = meaningful
        broad = [t for t in broad if t not in QUERY_FILLERS] or broad
    return precise[:MAX_QUERY_TOKENS], broad[: MAX_QUERY_TOKENS * 2]


def _unique(tokens: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for t in tokens:
        seen.setdefault(t, None)
    return list(seen)


# --- Keeping the token fields --------------------------------------------------------------


def _theme_labels(version: Any) -> list[str]:
    labels = [PERSON_THEMES.get(s, "") for s in version.person_themes or []]
    labels += [ORG_THEMES.get(s, "") for s in version.org_themes or []]
    return [label for label in labels if label]


def compute_search_fields(item: ServiceItem) -> tuple[str, str]:
    """(search_title, search_body) for ``item`` from its current version."""
    version = item.current_version
    title = " ".join(tokenize(item.basic.name))
    if version is None:
        return title, ""
    parts: list[str] = [
        version.content,
        version.acceptance_conditions,
        version.result_name,
        item.department.name,
        version.handling_organisation,
    ]
    parts += [m.name for m in version.materials.all()]
    parts += [str(entry.get("q", "")) for entry in version.faq or [] if isinstance(entry, dict)]
    parts += _theme_labels(version)
    body = " ".join(tokenize("\n".join(p for p in parts if p)))
    return title, body


def refresh_search_fields(item: ServiceItem) -> None:
    """Recompute and save the token fields of one item."""
    item.search_title, item.search_body = compute_search_fields(item)
    item.save(update_fields=["search_title", "search_body"])


def refresh_search_fields_bulk(items: Iterable[ServiceItem], *, batch_size: int = 500) -> int:
    """Recompute the token fields of many items with one bulk_update per batch."""
    ids = [i.pk for i in items]
    done = 0
    for start in range(0, len(ids), batch_size):
        batch = list(
            ServiceItem.objects.filter(pk__in=ids[start : start + batch_size])
            .select_related("basic", "department", "current_version")
            .prefetch_related("current_version__materials")
        )
        for item in batch:
            item.search_title, item.search_body = compute_search_fields(item)
        ServiceItem.objects.bulk_update(batch, ["search_title", "search_body"])
        done += len(batch)
    return done


# --- Querying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    """One result, with what a result row shows (ready for highlighting)."""

    item: ServiceItem
    score: float
    terms: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.item.basic.name

    @property
    def implementation_code(self) -> str:
        return self.item.implementation_code

    @property
    def department(self) -> str:
        return self.item.department.name

    @property
    def region(self) -> str:
        return self.item.region.name

    @property
    def case_type(self) -> str:
        version = self.item.current_version
        return version.get_case_type_display() if version else ""

    @property
    def promised_limit(self) -> int | None:
        version = self.item.current_version
        return version.promised_limit if version else None

    @property
    def online(self) -> bool:
        version = self.item.current_version
        return bool(version and version.online)

    @property
    def visits(self) -> int | None:
        version = self.item.current_version
        return version.visits if version else None


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    terms: tuple[str, ...] = ()
    matched_all: bool = True


ORG_AUDIENCE_CODES = tuple(a.value for a in Audience if a != Audience.PERSON)


def normalise_audience(value: str | None) -> AudienceFilter:
    """"person" / "org" as given; anything else (missing, misspelt) means every audience."""
    if value == "person":
        return "person"
    if value == "org":
        return "org"
    return None


def public_items() -> QuerySet[ServiceItem]:
    """Items with a published current version."""
    return ServiceItem.objects.filter(current_version__status=VersionStatus.PUBLISHED)


def audience_q(audience: AudienceFilter) -> Q:
    """Filter on the current version's audiences (JSON list of codes)."""
    if audience == "person":
        return Q(current_version__audiences__icontains=f'"{Audience.PERSON.value}"')
    if audience == "org":
        q = Q()
        for code in ORG_AUDIENCE_CODES:
            q |= Q(current_version__audiences__icontains=f'"{code}"')
        return q
    return Q()


def _base_queryset(region: Region | None, audience: AudienceFilter) -> QuerySet[ServiceItem]:
    qs = public_items().filter(audience_q(audience))
    if region is not None:
        qs = qs.filter(region=region)
    return qs


def _with_display(qs: QuerySet[ServiceItem]) -> QuerySet[ServiceItem]:
    return qs.select_related("basic", "department", "region", "current_version")


def search_items(
    *,
    query: str,
    region: Region | None = None,
    audience: AudienceFilter | str = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResult:
    """Published items matching ``query``, best first (title hits before body hits)."""
    query = (query or "").strip()[:MAX_QUERY_LENGTH]
    audience = normalise_audience(audience)
    limit = max(1, min(int(limit), 100))
    offset = max(0, int(offset))
    precise, broad = _query_terms(query) if query else ([], [])
    if not precise and not broad:
        return SearchResult(total=0, hits=[], terms=())
    base = _base_queryset(region, audience)
    if connection.vendor == "postgresql":
        return _search_postgres(base, precise, broad, limit, offset)
    return _search_python(base, precise, broad, limit, offset)


def _tsquery(terms: Sequence[str], *, conjunction: bool) -> SearchQuery:
    combined: SearchQuery | None = None
    for term in terms:
        part = SearchQuery(term, search_type="plain", config="simple")
        if combined is None:
            combined = part
        else:
            combined = (combined & part) if conjunction else (combined | part)
    assert combined is not None
    return combined


# The weighted vector as Django would compute it on the fly...
SEARCH_VECTOR = SearchVector("search_title", weight="A", config="simple") + SearchVector(
    "search_body", weight="B", config="simple"
)
# ...and the same vector stored by PostgreSQL in the generated column ``search_vector``
# (migration 0003), GIN-indexed: matching and ranking read it instead of re-segmenting rows.
STORED_VECTOR = RawSQL(  # noqa: S611 - a constant column reference, no input
    f'"{ServiceItem._meta.db_table}"."search_vector"', [], output_field=SearchVectorField()
)


def _search_postgres(
    base: QuerySet[ServiceItem], precise: list[str], broad: list[str], limit: int, offset: int
) -> SearchResult:
    attempts = [(precise or broad, True), (broad or precise, False)]
    for terms, conjunction in attempts:
        tsq = _tsquery(terms, conjunction=conjunction)
        matched = base.annotate(search=STORED_VECTOR).filter(search=tsq)
        total = matched.count()
        if total == 0:
            continue
        ranked = _with_display(
            matched.annotate(rank=SearchRank(F("search"), tsq)).order_by(
                "-rank", "-popularity", "basic__name", "pk"
            )
        )[offset : offset + limit]
        hits = [
            SearchHit(item=i, score=float(i.rank), terms=tuple(terms))  # type: ignore[attr-defined]
            for i in ranked
        ]
        return SearchResult(
            total=total, hits=hits, terms=tuple(terms), matched_all=conjunction
        )
    return SearchResult(total=0, hits=[], terms=tuple(precise or broad))


def _term_q(term: str) -> Q:
    return Q(search_title__icontains=term) | Q(search_body__icontains=term)


def _score(item: ServiceItem, terms: Sequence[str]) -> float:
    title = set(item.search_title.split())
    body = set(item.search_body.split())
    score = 0.0
    for term in terms:
        if term in title:
            score += 10.0
        elif term in item.search_title:
            score += 5.0
        if term in body:
            score += 1.0 + min(item.search_body.split().count(term), 5) * 0.1
        elif term in item.search_body:
            score += 0.5
    return score


def _search_python(
    base: QuerySet[ServiceItem], precise: list[str], broad: list[str], limit: int, offset: int
) -> SearchResult:
    attempts = [(precise or broad, True), (broad or precise, False)]
    for terms, conjunction in attempts:
        q = Q()
        for term in terms:
            q = (q & _term_q(term)) if conjunction else (q | _term_q(term))
        candidates = list(
            base.filter(q).only("pk", "search_title", "search_body", "popularity", "basic__name")
            .select_related("basic")
        )
        if not candidates:
            continue
        scored = sorted(
            candidates,
            key=lambda i: (-_score(i, terms), -i.popularity, i.basic.name, i.pk),
        )
        page = scored[offset : offset + limit]
        by_pk = {i.pk: i for i in _with_display(ServiceItem.objects.filter(
            pk__in=[p.pk for p in page]
        ))}
        hits = [
            SearchHit(item=by_pk[p.pk], score=_score(p, terms), terms=tuple(terms))
            for p in page
            if p.pk in by_pk
        ]
        return SearchResult(
            total=len(candidates), hits=hits, terms=tuple(terms), matched_all=conjunction
        )
    return SearchResult(total=0, hits=[], terms=tuple(precise or broad))
