"""Knowledge base and robot API (知识库与机器人接口) — the same services as the pages.

- ``POST /robot/ask`` needs no sign-in and is limited per address: the best article, two more
  candidates, the catalogue guides; below the confidence threshold it says it does not know,
  gives the 12345 number and (once work orders exist) a link to file a request.
- ``GET /robot/articles/{key}`` reads one published, currently valid article (no sign-in).
- Staff endpoints (token or session): search during a call, write, submit, review, retire.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from onewindow.accounts.tokens import staff_auth
from onewindow.core import clock
from onewindow.core.errors import DomainError, NotFound, ValidationFailed
from onewindow.hotline import retrieval, selectors, services, throttle
from onewindow.hotline.models import Article, ArticleStatus
from onewindow.regions.models import Department, Region

router = Router(tags=["知识库与机器人"], auth=staff_auth)

MIN_QUESTION = 2


class Throttled(DomainError):
    status = 429
    code = "throttled"


# --- schemas ----------------------------------------------------------------------------------


class AskIn(Schema):
    question: str = Field(description="群众的问题，2–200 个字")
    region: str | None = Field(None, description="提问所在区划代码（12 位，可选）")


class LinkOut(Schema):
    name: str
    url: str
    department: str


class ArticleBrief(Schema):
    key: str
    question: str
    department: str
    confidence: float
    url: str


class AnswerOut(Schema):
    key: str
    question: str
    answer: str
    department: str
    region: str
    url: str
    related_items: list[LinkOut]


class AskOut(Schema):
    answered: bool = Field(description="是否找到足够可信的答案")
    confidence: float
    message: str
    answer: AnswerOut | None
    candidates: list[ArticleBrief] = Field(description="其他可能的问题（最多两个）")
    guides: list[LinkOut] = Field(description="相关办事指南")
    phone: str = Field(description="12345 热线")
    create_work_order_url: str | None = Field(
        description="在线提交诉求（工单）的地址；机器人答不上来时提供"
    )


class ArticleOut(Schema):
    id: int
    key: str
    question: str
    answer: str
    phrasings: list[str]
    keywords: str
    department: str
    department_id: int
    region: str
    region_code: str
    status: str
    status_label: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    version: int
    revision: int
    review_note: str
    related_items: list[LinkOut]


class ArticleIn(Schema):
    question: str
    answer: str
    department_id: int
    region_code: str | None = None
    phrasings: list[str] = []
    keywords: str = ""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    related_item_ids: list[int] = []
    key: str = ""


class ArticleUpdateIn(ArticleIn):
    expected_revision: int | None = None


class NoteIn(Schema):
    note: str = ""


class SearchParams(Schema):
    q: str = Field(..., max_length=200)
    limit: int = Field(10, ge=1, le=50)


class SearchHitOut(Schema):
    confidence: float
    article: ArticleOut


# --- helpers ----------------------------------------------------------------------------------


def _article_url(key: str) -> str:
    return f"/robot/articles/{key}/"


def _link(link: selectors.Link) -> LinkOut:
    return LinkOut(name=link.name, url=link.url, department=link.department)


def _brief(c: selectors.Candidate) -> ArticleBrief:
    return ArticleBrief(key=c.article.key, question=c.article.question,
                        department=c.article.department.name, confidence=c.confidence,
                        url=_article_url(c.article.key))


def _article_out(a: Article) -> ArticleOut:
    return ArticleOut(
        id=a.pk, key=a.key, question=a.question, answer=a.answer, phrasings=a.phrasing_list(),
        keywords=a.keywords, department=a.department.name, department_id=a.department_id,
        region=a.region.name, region_code=a.region.code, status=a.status,
        status_label=a.get_status_display(), valid_from=a.valid_from, valid_to=a.valid_to,
        version=a.version, revision=a.revision, review_note=a.review_note,
        related_items=[_link(link) for link in selectors._links(a)],
    )


def clean_question(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if len(text) < MIN_QUESTION:
        raise ValidationFailed(_("请把问题说得具体一些（至少 2 个字）。"), field_errors={
            "question": [_("请输入您的问题，至少 2 个字。")]})
    if len(text) > retrieval.MAX_QUESTION:
        raise ValidationFailed(_("问题太长了，请精简到 200 字以内。"), field_errors={
            "question": [_("问题不能超过 200 个字。")]})
    return text


def region_by_code(code: str | None) -> Region | None:
    if not code:
        return None
    region = Region.objects.filter(code=code.strip()).first()
    if region is None:
        raise ValidationFailed(_("区划代码不存在。"), field_errors={
            "region": [_("区划代码不存在，请填写 12 位行政区划代码。")]})
    return region


def answer_message(answered: bool) -> str:
    if answered:
        return _("为您找到以下答复，仅供参考，以窗口最终解释为准。")
    return _("抱歉，这个问题我暂时答不上来。您可以拨打 12345 热线咨询，或在线提交诉求，"
             "我们会转给相关部门办理。")


def ask(question: str, region: Region | None) -> tuple[selectors.RobotAnswer, AskOut]:
    """Answer, record the question when unanswered, and serialise (shared with the page)."""
    result = selectors.robot_answer(question=question, region=region)
    if not result.answered:
        services.unanswered_record(question=question)
    answer = None
    if result.best is not None:
        a = result.best.article
        answer = AnswerOut(key=a.key, question=a.question, answer=a.answer,
                           department=a.department.name, region=a.region.name,
                           url=_article_url(a.key),
                           related_items=[_link(link) for link in result.best.links])
    out = AskOut(
        answered=result.answered, confidence=result.confidence,
        message=answer_message(result.answered), answer=answer,
        candidates=[_brief(c) for c in result.candidates],
        guides=[_link(g) for g in result.guides], phone=result.phone,
        create_work_order_url=None if result.answered else work_order_url(question),
    )
    return result, out


def work_order_url(question: str) -> str:
    """The public form to file a request, with the robot's question as its description."""
    from urllib.parse import urlencode

    return "/hotline/new/?" + urlencode({"q": question[: retrieval.MAX_QUESTION]})


# --- public -----------------------------------------------------------------------------------


@router.post("/robot/ask", response=AskOut, auth=None,
             summary="智能问答机器人：用日常用语提问（无需登录，按地址限流）")
def robot_ask(request: HttpRequest, payload: AskIn) -> AskOut:
    if not throttle.robot_allowed(request):
        raise Throttled(_("提问太频繁了，请稍等一分钟再试。"))
    question = clean_question(payload.question)
    region = region_by_code(payload.region)
    return ask(question, region)[1]


@router.get("/robot/articles/{key}", response=ArticleOut, auth=None,
            summary="已发布且在有效期内的知识库条目（无需登录）")
def article_public(request: HttpRequest, key: str) -> ArticleOut:
    return _article_out(public_article(key))


def public_article(key: str) -> Article:
    today = clock.today()
    article = (
        Article.objects.filter(key=key[:80], status=ArticleStatus.PUBLISHED)
        .select_related("department", "region")
        .prefetch_related("related_items__basic", "related_items__department").first()
    )
    if article is None or (article.valid_from and article.valid_from > today) or (
        article.valid_to and article.valid_to < today
    ):
        raise NotFound(_("知识库条目不存在或已失效。"))
    return article


# --- staff ------------------------------------------------------------------------------------


def _department(pk: int) -> Department:
    dep = Department.objects.select_related("region").filter(pk=pk).first()
    if dep is None:
        raise ValidationFailed(_("部门不存在。"), field_errors={
            "department_id": [_("所选部门不存在。")]})
    return dep


def _staff_article(request: HttpRequest, pk: int) -> Article:
    return selectors.article_get_for_staff(user=request.user, pk=pk)


@router.get("/articles", response=list[SearchHitOut], summary="话务员检索知识库（通话中）")
def staff_search(request: HttpRequest, params: Query[SearchParams]) -> list[SearchHitOut]:
    hits = selectors.staff_search(user=request.user, query=params.q, limit=params.limit)
    return [SearchHitOut(confidence=round(c, 3), article=_article_out(a)) for a, c in hits]


@router.post("/articles", response={201: ArticleOut}, summary="新建知识库条目（草稿）")
def article_create(request: HttpRequest, payload: ArticleIn) -> tuple[int, ArticleOut]:
    dep = _department(payload.department_id)
    article = services.article_create(
        actor=request.user, question=payload.question, answer=payload.answer, department=dep,
        region=region_by_code(payload.region_code), phrasings=payload.phrasings,
        keywords=payload.keywords, valid_from=payload.valid_from, valid_to=payload.valid_to,
        related_items=payload.related_item_ids, key=payload.key,
    )
    out = _article_out(selectors.article_get_for_staff(user=request.user, pk=article.pk))
    return Status(201, out)  # type: ignore[return-value]


@router.put("/articles/{article_id}", response=ArticleOut, summary="修改知识库条目")
def article_update(request: HttpRequest, article_id: int, payload: ArticleUpdateIn) -> ArticleOut:
    article = _staff_article(request, article_id)
    services.article_update(
        actor=request.user, article=article, question=payload.question, answer=payload.answer,
        department=_department(payload.department_id),
        region=region_by_code(payload.region_code), phrasings=payload.phrasings,
        keywords=payload.keywords, valid_from=payload.valid_from, valid_to=payload.valid_to,
        related_items=payload.related_item_ids, expected_revision=payload.expected_revision,
    )
    return _article_out(_staff_article(request, article_id))


@router.post("/articles/{article_id}/submit", response=ArticleOut, summary="提交审核")
def article_submit(request: HttpRequest, article_id: int) -> ArticleOut:
    services.article_submit(actor=request.user, article=_staff_article(request, article_id))
    return _article_out(_staff_article(request, article_id))


@router.post("/articles/{article_id}/publish", response=ArticleOut, summary="审核通过并发布")
def article_publish(request: HttpRequest, article_id: int, payload: NoteIn) -> ArticleOut:
    services.article_publish(actor=request.user, article=_staff_article(request, article_id),
                             note=payload.note)
    return _article_out(_staff_article(request, article_id))


@router.post("/articles/{article_id}/return", response=ArticleOut, summary="退回修改")
def article_return(request: HttpRequest, article_id: int, payload: NoteIn) -> ArticleOut:
    services.article_return(actor=request.user, article=_staff_article(request, article_id),
                            note=payload.note)
    return _article_out(_staff_article(request, article_id))


@router.post("/articles/{article_id}/retire", response=ArticleOut, summary="下架")
def article_retire(request: HttpRequest, article_id: int, payload: NoteIn) -> ArticleOut:
    services.article_retire(actor=request.user, article=_staff_article(request, article_id),
                            note=payload.note)
    return _article_out(_staff_article(request, article_id))


# --- work orders (mounted last so the order routes sit under /orders) -------------------------

from onewindow.hotline.api_orders import router as orders_router  # noqa: E402

router.add_router("/orders", orders_router)
