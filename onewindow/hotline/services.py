"""Changes to the knowledge base (知识库): keyword-only functions, one transaction each.

Departments write articles within their scope (``KNOWLEDGE_EDIT``: the article's department and
region must be covered by one of the author's grants) and submit them; the hotline centre
(``KNOWLEDGE_REVIEW``) publishes or returns them with a note, and retires published ones.
Whenever the published set changes, :func:`_bump_index` changes the version token that every
process compares before answering, so indexes are rebuilt exactly then.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.catalog.models import ServiceItem
from onewindow.core import clock
from onewindow.core.errors import Conflict, NotFound, ValidationFailed
from onewindow.core.masking import mask_text
from onewindow.hotline import retrieval
from onewindow.hotline.models import Article, ArticleStatus, KnowledgeIndexState, UnansweredQuestion
from onewindow.hotline.workflow import ArticleAction, check
from onewindow.regions.models import Department, Region

MAX_ANSWER = 5000
MAX_PHRASINGS = 30
MAX_RELATED = 10
MAX_NOTE = 500
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")


# --- helpers ----------------------------------------------------------------------------------


def _bump_index() -> None:
    """Change the version token of the published set (read by every process per request)."""
    token = uuid.uuid4().hex
    updated = KnowledgeIndexState.objects.filter(pk=1).update(version=F("version") + 1,
                                                                token=token)
    if not updated:
        KnowledgeIndexState.objects.update_or_create(pk=1, defaults={"version": 1,
                                                                     "token": token})


def _lock(article: Article) -> Article:
    try:
        return Article.objects.select_for_update().select_related(
            "department", "region"
        ).get(pk=article.pk)
    except Article.DoesNotExist as exc:
        raise NotFound(_("知识库条目不存在。")) from exc


def _expect_revision(article: Article, expected: int | None) -> None:
    if expected is not None and expected != article.revision:
        raise Conflict(_("该条目已被他人修改，请刷新页面后重新编辑。"), code="stale")


def _phrasing_lines(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    lines = value.splitlines() if isinstance(value, str) else list(value)
    seen: dict[str, None] = {}
    for line in lines:
        text = " ".join(str(line).split())
        if text:
            seen.setdefault(text, None)
    return list(seen)


def search_fields(article: Article, related_names: Iterable[str]) -> None:
    """Fill the segmented ``search_*`` fields of ``article`` (not saved)."""
    extra = " ".join([*related_names, article.department.name])
    fields = retrieval.doc_fields(
        question=article.question, phrasings=article.phrasing_list(),
        keywords=article.keywords, answer=article.answer, extra=extra,
    )
    article.search_question = " ".join(fields["question"])
    article.search_phrasings = " ".join(fields["phrasings"])
    article.search_answer = " ".join(fields["answer"])
    article.search_extra = " ".join(fields["extra"])
    article.tokenizer_version = retrieval.tokenizer_version()


def _validate(
    *,
    question: str,
    answer: str,
    phrasings: list[str],
    keywords: str,
    department: Department | None,
    region: Region | None,
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    related: Sequence[ServiceItem],
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if len(question) < 4:
        add("question", _("请填写标准问题（至少 4 个字）。"))
    elif len(question) > 200:
        add("question", _("标准问题不能超过 200 个字。"))
    if not answer:
        add("answer", _("请填写答复口径。"))
    elif len(answer) > MAX_ANSWER:
        add("answer", _("答复口径不能超过 %(n)d 个字。") % {"n": MAX_ANSWER})
    if len(phrasings) > MAX_PHRASINGS:
        add("phrasings", _("相似问法最多 %(n)d 条。") % {"n": MAX_PHRASINGS})
    if any(len(p) > 200 for p in phrasings):
        add("phrasings", _("每条相似问法不能超过 200 个字。"))
    if len(keywords) > 500:
        add("keywords", _("关键词不能超过 500 个字。"))
    if department is None:
        add("department", _("请选择责任部门。"))
    if region is None:
        add("region", _("请选择适用区划。"))
    elif department is not None and not region.is_within(department.region):
        add("region", _("适用区划应为责任部门所在区划或其下级区划。"))
    if valid_from and valid_to and valid_to < valid_from:
        add("valid_to", _("失效日期不能早于生效日期。"))
    if len(related) > MAX_RELATED:
        add("related_items", _("关联事项最多 %(n)d 个。") % {"n": MAX_RELATED})
    return errors


def _require_edit(actor: Any, department: Department | None, region: Region | None) -> None:
    if department is None:
        return  # reported as a field error
    target = region if region is not None and region.is_within(department.region) else None
    access.require(actor, Perm.KNOWLEDGE_EDIT, region=target or department.region,
                   department=department)


def _related(values: Sequence[Any] | None) -> list[ServiceItem]:
    if not values:
        return []
    ids = [v.pk if isinstance(v, ServiceItem) else v for v in values]
    clean: list[int] = []
    for v in ids:
        try:
            clean.append(int(v))
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(_("关联事项有误。"), field_errors={
                "related_items": [_("关联事项有误。")]}) from exc
    found = list(ServiceItem.objects.filter(pk__in=clean).select_related("basic"))
    if len(found) != len(set(clean)):
        raise ValidationFailed(_("关联事项不存在。"), field_errors={
            "related_items": [_("所选关联事项不存在或已删除。")]})
    return found


# --- writing ----------------------------------------------------------------------------------


@transaction.atomic
def article_create(
    *,
    actor: Any,
    question: str,
    answer: str,
    department: Department | None,
    region: Region | None = None,
    phrasings: str | Sequence[str] | None = None,
    keywords: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    related_items: Sequence[Any] | None = None,
    key: str = "",
) -> Article:
    """新建条目 (草稿) for ``department`` — the author needs KNOWLEDGE_EDIT there."""
    region = region or (department.region if department is not None else None)
    question, answer = " ".join((question or "").split()), (answer or "").strip()
    lines, keywords = _phrasing_lines(phrasings), " ".join((keywords or "").split())
    related = _related(related_items)
    errors = _validate(question=question, answer=answer, phrasings=lines, keywords=keywords,
                       department=department, region=region, valid_from=valid_from,
                       valid_to=valid_to, related=related)
    key = (key or "").strip().lower() or f"kb-{uuid.uuid4().hex[:12]}"
    if not _KEY_RE.match(key):
        errors.setdefault("key", []).append(_("条目标识只能包含小写字母、数字和连字符。"))
    _require_edit(actor, department, region)
    if errors:
        raise ValidationFailed(_("请修改标出的内容。"), field_errors=errors)
    assert department is not None and region is not None
    article = Article(
        key=key, question=question, answer=answer, phrasings="\n".join(lines),
        keywords=keywords, department=department, region=region, valid_from=valid_from,
        valid_to=valid_to, author=actor if getattr(actor, "pk", None) else None,
    )
    search_fields(article, [i.basic.name for i in related])
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError as exc:
        raise ValidationFailed(_("条目标识已被使用。"), field_errors={
            "key": [_("条目标识已被使用，请换一个。")]}) from exc
    article.related_items.set(related)
    return article


@transaction.atomic
def article_update(
    *,
    actor: Any,
    article: Article,
    question: str,
    answer: str,
    department: Department | None,
    region: Region | None = None,
    phrasings: str | Sequence[str] | None = None,
    keywords: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    related_items: Sequence[Any] | None = None,
    expected_revision: int | None = None,
) -> Article:
    """修改条目. A published or retired article goes back to draft (it needs a new review)."""
    article = _lock(article)
    # The editor must reach the article as it is and as it will be.
    access.require(actor, Perm.KNOWLEDGE_EDIT, region=article.region,
                   department=article.department)
    _expect_revision(article, expected_revision)
    target = check(article.status, ArticleAction.EDIT)
    region = region or (department.region if department is not None else None)
    question, answer = " ".join((question or "").split()), (answer or "").strip()
    lines, keywords = _phrasing_lines(phrasings), " ".join((keywords or "").split())
    related = _related(related_items)
    errors = _validate(question=question, answer=answer, phrasings=lines, keywords=keywords,
                       department=department, region=region, valid_from=valid_from,
                       valid_to=valid_to, related=related)
    _require_edit(actor, department, region)
    if errors:
        raise ValidationFailed(_("请修改标出的内容。"), field_errors=errors)
    assert department is not None and region is not None
    was_published = article.status == ArticleStatus.PUBLISHED
    article.question, article.answer = question, answer
    article.phrasings, article.keywords = "\n".join(lines), keywords
    article.department, article.region = department, region
    article.valid_from, article.valid_to = valid_from, valid_to
    article.status = target
    article.revision += 1
    search_fields(article, [i.basic.name for i in related])
    article.save()
    article.related_items.set(related)
    if was_published:
        _bump_index()
    return article


@transaction.atomic
def article_submit(*, actor: Any, article: Article) -> Article:
    """提交审核."""
    article = _lock(article)
    access.require(actor, Perm.KNOWLEDGE_EDIT, region=article.region,
                   department=article.department)
    article.status = check(article.status, ArticleAction.SUBMIT)
    article.submitted_at = clock.now()
    article.save(update_fields=["status", "submitted_at", "updated_at"])
    return article


@transaction.atomic
def article_publish(*, actor: Any, article: Article, note: str = "") -> Article:
    """审核发布: the article answers operators and the robot from now on."""
    article = _lock(article)
    access.require(actor, Perm.KNOWLEDGE_REVIEW, region=article.region,
                   department=article.department)
    article.status = check(article.status, ArticleAction.PUBLISH)
    article.reviewer = actor
    article.review_note = _note(note, required=False)
    article.published_at = clock.now()
    article.version += 1
    article.save(update_fields=["status", "reviewer", "review_note", "published_at", "version",
                                "updated_at"])
    _bump_index()
    return article


@transaction.atomic
def article_return(*, actor: Any, article: Article, note: str) -> Article:
    """退回修改, with the reason for the department."""
    article = _lock(article)
    access.require(actor, Perm.KNOWLEDGE_REVIEW, region=article.region,
                   department=article.department)
    target = check(article.status, ArticleAction.RETURN)
    article.review_note = _note(note, required=True)
    article.status = target
    article.reviewer = actor
    article.save(update_fields=["status", "reviewer", "review_note", "updated_at"])
    return article


@transaction.atomic
def article_retire(*, actor: Any, article: Article, note: str = "") -> Article:
    """下架: by the hotline centre or by the department that owns the article."""
    article = _lock(article)
    if not (access.can(actor, Perm.KNOWLEDGE_REVIEW, region=article.region,
                       department=article.department)
            or access.can(actor, Perm.KNOWLEDGE_EDIT, region=article.region,
                          department=article.department)):
        access.require(actor, Perm.KNOWLEDGE_REVIEW, region=article.region,
                       department=article.department)
    article.status = check(article.status, ArticleAction.RETIRE)
    if note:
        article.review_note = _note(note, required=False)
    article.save(update_fields=["status", "review_note", "updated_at"])
    _bump_index()
    return article


def _note(value: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(_("请填写退回原因。"), field_errors={
            "note": [_("请填写退回原因，告诉编写部门需要修改什么。")]})
    if len(text) > MAX_NOTE:
        raise ValidationFailed(_("审核意见过长。"), field_errors={
            "note": [_("审核意见不能超过 %(n)d 个字。") % {"n": MAX_NOTE}]})
    return text


# --- unanswered questions ---------------------------------------------------------------------


def unanswered_record(*, question: str) -> UnansweredQuestion | None:
    """Count a question the robot could not answer (personal numbers masked first)."""
    masked = mask_text(" ".join((question or "").split()))[: retrieval.MAX_QUESTION]
    key = retrieval.question_key(masked)
    if len(key) < 2:
        return None
    now = clock.now()
    with transaction.atomic():
        updated = UnansweredQuestion.objects.filter(text=key).update(
            count=F("count") + 1, last_asked_at=now, handled=False
        )
        if updated:
            return UnansweredQuestion.objects.get(text=key)
        try:
            with transaction.atomic():
                return UnansweredQuestion.objects.create(
                    text=key, sample=masked, count=1, first_asked_at=now, last_asked_at=now
                )
        except IntegrityError:  # asked at the same moment by someone else
            UnansweredQuestion.objects.filter(text=key).update(
                count=F("count") + 1, last_asked_at=now
            )
            return UnansweredQuestion.objects.get(text=key)


@transaction.atomic
def unanswered_mark_handled(*, actor: Any, ids: Iterable[int]) -> int:
    """已处理: the editors wrote or improved an article for these questions."""
    if not (access.has_any(actor, Perm.KNOWLEDGE_EDIT)
            or access.has_any(actor, Perm.KNOWLEDGE_REVIEW)):
        access.require(actor, Perm.KNOWLEDGE_REVIEW)
    return UnansweredQuestion.objects.filter(pk__in=list(ids)).update(handled=True)


def index_changed() -> None:
    """Tell every process that the published set changed (after bulk loads)."""
    _bump_index()
