"""Reads of the knowledge base: the per-process index, the robot's answer, staff lists.

The index (:class:`~onewindow.hotline.retrieval.KnowledgeIndex`) is kept in memory per process
and rebuilt only when the version token of :class:`KnowledgeIndexState` differs from the one
it was built for — one primary-key read per question.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.urls import reverse

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.catalog.search import search_items
from onewindow.core import clock
from onewindow.core.errors import NotFound, PermissionDenied
from onewindow.hotline import retrieval
from onewindow.hotline.models import Article, ArticleStatus, KnowledgeIndexState, UnansweredQuestion
from onewindow.regions.models import Region

SUGGEST_THRESHOLD = 0.2
HOTLINE_PHONE = "12345"

_lock = threading.Lock()
_cache: dict[str, Any] = {"token": None, "index": None}


# --- the index --------------------------------------------------------------------------------


def current_token() -> str:
    token = KnowledgeIndexState.objects.filter(pk=1).values_list("token", flat=True).first()
    return token or ""


def _doc(row: Mapping[str, Any], version: int) -> retrieval.Doc:
    phrasings = [p for p in (row["phrasings"] or "").splitlines() if p.strip()]
    if row["tokenizer_version"] == version:
        fields = {
            "question": row["search_question"].split(),
            "phrasings": row["search_phrasings"].split(),
            "extra": row["search_extra"].split(),
            "answer": row["search_answer"].split(),
        }
    else:  # the term list or synonyms changed since the row was saved
        fields = retrieval.doc_fields(
            question=row["question"], phrasings=phrasings, keywords=row["keywords"],
            answer=row["answer"], extra=" ".join(row["search_extra"].split()),
        )
    return retrieval.Doc(
        id=row["id"], key=row["key"], question=row["question"], fields=fields,
        gram_text="\n".join([row["question"], *phrasings, row["keywords"]]),
        region_prefix=row["region__prefix"], valid_from=row["valid_from"],
        valid_to=row["valid_to"],
    )


def build_index() -> retrieval.KnowledgeIndex:
    """An index over every published article (validity is checked when answering)."""
    version = retrieval.tokenizer_version()
    rows = Article.objects.filter(status=ArticleStatus.PUBLISHED).order_by("id").values(
        "id", "key", "question", "answer", "phrasings", "keywords", "search_question",
        "search_phrasings", "search_answer", "search_extra", "tokenizer_version",
        "region__prefix", "valid_from", "valid_to",
    )
    return retrieval.KnowledgeIndex.build(_doc(r, version) for r in rows.iterator(chunk_size=2000))


def get_index() -> retrieval.KnowledgeIndex:
    """This process's index, rebuilt when the published set changed."""
    token = current_token()
    index = _cache["index"]
    if index is not None and _cache["token"] == token:
        return index  # type: ignore[no-any-return]
    with _lock:
        if _cache["index"] is not None and _cache["token"] == token:
            return _cache["index"]  # type: ignore[no-any-return]
        index = build_index()
        _cache["index"], _cache["token"] = index, token
        return index


def forget_index() -> None:
    with _lock:
        _cache["index"], _cache["token"] = None, None


# --- the robot --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    name: str
    url: str
    department: str = ""


@dataclass(frozen=True)
class Candidate:
    article: Article
    confidence: float
    links: list[Link] = field(default_factory=list)


@dataclass
class RobotAnswer:
    question: str
    answered: bool
    best: Candidate | None
    candidates: list[Candidate]
    guides: list[Link]
    confidence: float
    phone: str = HOTLINE_PHONE


def _prefixes(region: Region | None) -> list[str] | None:
    if region is None:
        return None
    return [region.prefix, *[r.prefix for r in region.ancestors()]]


def guide_url(implementation_code: str) -> str:
    return reverse("catalog:item_detail", args=[implementation_code])


def _links(article: Article) -> list[Link]:
    return [
        Link(name=i.basic.name, url=guide_url(i.implementation_code),
             department=i.department.name)
        for i in article.related_items.all()
    ]


def _guide_query(q: retrieval.Analysed) -> str:
    words, _longest = retrieval._terms()
    official = [t for t in q.terms if t in words]
    return " ".join(dict.fromkeys(official))[:100]


GUIDE_CACHE_SECONDS = 300


def _guides(query: str) -> list[Link]:
    """Catalogue guides for the official words of a question, cached for a few minutes."""
    if not query:
        return []
    key = "hotline:guides:" + hashlib.sha1(query.encode(), usedforsecurity=False).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return [Link(*row) for row in cached]
    links = [
        Link(name=hit.name, url=guide_url(hit.implementation_code), department=hit.department)
        for hit in search_items(query=query, region=None, limit=4).hits
    ]
    cache.set(key, [(x.name, x.url, x.department) for x in links], GUIDE_CACHE_SECONDS)
    return links


def robot_answer(
    *, question: str, region: Region | None = None, on: dt.date | None = None,
    with_guides: bool = True,
) -> RobotAnswer:
    """The best published, currently valid article for ``question`` and two more candidates."""
    text = " ".join((question or "").split())[: retrieval.MAX_QUESTION]
    q = retrieval.analyse(text)
    hits = get_index().search(q, limit=3, on=on or clock.today(),
                              region_prefixes=_prefixes(region))
    wanted = [h for h in hits if h.confidence >= SUGGEST_THRESHOLD]
    articles = {
        a.pk: a
        for a in Article.objects.filter(pk__in=[h.doc.id for h in wanted])
        .select_related("department", "region")
        .prefetch_related("related_items__basic", "related_items__department")
    }
    found = [
        Candidate(article=articles[h.doc.id], confidence=round(h.confidence, 3),
                  links=_links(articles[h.doc.id]))
        for h in wanted if h.doc.id in articles
    ]
    top = hits[0].confidence if hits else 0.0
    answered = bool(found) and found[0].confidence >= retrieval.CONFIDENCE_THRESHOLD
    best = found[0] if answered else None
    candidates = found[1:3] if answered else found[:2]
    guides: list[Link] = []
    if with_guides:
        seen = {link.url for c in found[:1] for link in c.links} if answered else set()
        for link in _guides(_guide_query(q)):
            if link.url not in seen:
                seen.add(link.url)
                guides.append(link)
    return RobotAnswer(question=text, answered=answered, best=best, candidates=candidates,
                       guides=guides[:3], confidence=round(top, 3))


# --- staff lists ------------------------------------------------------------------------------


def articles_for_staff(
    *, user: Any, status: str | None = None, department_id: int | None = None,
) -> QuerySet[Article]:
    """Articles the user may see in the workbench (edit, review or operate scope)."""
    q = (access.scope_q(user, Perm.KNOWLEDGE_EDIT) | access.scope_q(user, Perm.KNOWLEDGE_REVIEW)
         | access.scope_q(user, Perm.HOTLINE_OPERATE))
    qs = Article.objects.filter(q).select_related("department", "region", "author", "reviewer")
    if status:
        qs = qs.filter(status=status)
    if department_id:
        qs = qs.filter(department_id=department_id)
    return qs


def article_get_for_staff(*, user: Any, pk: int) -> Article:
    """One article within the user's scope; "not yours" is the same 404 as "not there"."""
    article = articles_for_staff(user=user).filter(pk=pk).first()
    if article is None:
        raise NotFound(_not_found())
    return article


def _not_found() -> str:
    from django.utils.translation import gettext as _

    return _("知识库条目不存在。")


def review_queue(*, user: Any) -> QuerySet[Article]:
    return (
        Article.objects.filter(access.scope_q(user, Perm.KNOWLEDGE_REVIEW),
                               status=ArticleStatus.IN_REVIEW)
        .select_related("department", "region", "author")
        .order_by("submitted_at", "id")
    )


KNOWLEDGE_PERMS = (Perm.KNOWLEDGE_EDIT, Perm.KNOWLEDGE_REVIEW, Perm.HOTLINE_OPERATE)


def is_knowledge_staff(user: Any) -> bool:
    return any(access.has_any(user, p) for p in KNOWLEDGE_PERMS)


def require_knowledge_staff(user: Any) -> None:
    if not is_knowledge_staff(user):
        from django.utils.translation import gettext as _

        raise PermissionDenied(_("您没有使用知识库的权限。"))


def staff_search(*, user: Any, query: str, limit: int = 20) -> list[tuple[Article, float]]:
    """Operators' search during a call: published and valid articles, best first."""
    require_knowledge_staff(user)
    if not query.strip():
        return []
    hits = get_index().search(query, limit=limit, on=clock.today())
    visible = set(
        articles_for_staff(user=user).filter(pk__in=[h.doc.id for h in hits])
        .values_list("pk", flat=True)
    )
    rows = {
        a.pk: a for a in Article.objects.filter(pk__in=visible)
        .select_related("department", "region")
        .prefetch_related("related_items__basic", "related_items__department")
    }
    return [(rows[h.doc.id], h.confidence) for h in hits if h.doc.id in rows]


def unanswered_ranked(*, include_handled: bool = False) -> QuerySet[UnansweredQuestion]:
    qs = UnansweredQuestion.objects.all()
    if not include_handled:
        qs = qs.filter(handled=False)
    return qs.order_by("-count", "-last_asked_at")


def departments_for_edit(user: Any) -> Q:
    return access.department_scope_q(user, Perm.KNOWLEDGE_EDIT)
