"""Pages of the knowledge base: the public robot (/robot/) and the staff workbench pages.

Thin views: parse, call one selector or service, render. A domain error is shown beside its
field or as a message with its HTTP status, never a 500. Staff pages: anonymous → sign-in,
signed in without a knowledge-base permission → 403 page, an article outside the user's scope
→ 404 like one that does not exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.core.errors import DomainError, NotFound
from onewindow.hotline import api, selectors, services, throttle
from onewindow.hotline.forms import ArticleForm, AskForm, FilterForm
from onewindow.hotline.models import Article, ArticleStatus
from onewindow.hotline.workflow import ArticleAction, allowed
from onewindow.regions.models import Department

PAGE = 50

# --- public: the robot ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def robot(request: HttpRequest) -> HttpResponse:
    """智能问答: a chat page; without JavaScript the form posts here and the answer is shown."""
    data = request.POST if request.method == "POST" else (request.GET if "q" in request.GET
                                                          else None)
    form = AskForm(data)
    context: dict[str, Any] = {"form": form, "hot": HOT_QUESTIONS}
    status = 200
    if data is not None:
        if not throttle.robot_allowed(request):
            context["throttled"] = True
            return render(request, "hotline/robot.html", context, status=429)
        if form.is_valid():
            result, out = api.ask(form.cleaned_data["q"], None)
            context.update(result=result, out=out, asked=form.cleaned_data["q"])
            context["form"] = AskForm()
        else:
            status = 422
    return render(request, "hotline/robot.html", context, status=status)


HOT_QUESTIONS = ("身份证丢了怎么办", "怎么提取公积金", "办营业执照要什么材料",
                 "异地就医怎么备案", "孩子出生怎么上户口", "社保卡怎么申领")


@require_GET
def article_public(request: HttpRequest, key: str) -> HttpResponse:
    try:
        article = api.public_article(key)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "hotline/article_public.html", {
        "article": article, "links": selectors._links(article)})


# --- staff ------------------------------------------------------------------------------------

View = Callable[..., HttpResponseBase]


def _nav(user: Any) -> list[dict[str, str]]:
    links = [{"label": _("工作台首页"), "url": "/workbench/"},
             {"label": _("知识库"), "url": "/workbench/knowledge/"}]
    if access.has_any(user, Perm.KNOWLEDGE_EDIT):
        links.append({"label": _("新建条目"), "url": "/workbench/knowledge/new/"})
    if access.has_any(user, Perm.KNOWLEDGE_REVIEW):
        links.append({"label": _("待审核"), "url": "/workbench/knowledge/review/"})
    links.append({"label": _("未答问题"), "url": "/workbench/knowledge/unanswered/"})
    return links


def _ctx(request: HttpRequest, **kw: Any) -> dict[str, Any]:
    return {"nav": _nav(request.user), **kw}


def _denied(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return render(request, "hotline/staff_denied.html", _ctx(
        request, message=message or _("您没有使用这个页面的权限。")), status=403)


def staff_page(*perms: Perm) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "accounts:login")
            if not any(access.has_any(request.user, p) for p in perms):
                return _denied(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


ANY_KB = selectors.KNOWLEDGE_PERMS


def _article_or_404(request: HttpRequest, pk: int) -> Article:
    try:
        return selectors.article_get_for_staff(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_GET
@staff_page(*ANY_KB)
def staff_list(request: HttpRequest) -> HttpResponse:
    """知识库: search (operators during a call) or browse with filters."""
    filters = FilterForm(request.GET or None)
    filters.is_valid()
    cleaned = getattr(filters, "cleaned_data", {}) or {}
    query = (cleaned.get("q") or "").strip()
    departments = Department.objects.filter(
        pk__in=selectors.articles_for_staff(user=request.user).values("department_id")
    ).order_by("region__code", "code")
    context = _ctx(request, filters=filters, departments=departments, query=query,
                   statuses=ArticleStatus.choices)
    if query:
        context["hits"] = selectors.staff_search(user=request.user, query=query, limit=20)
        from onewindow.catalog.search import search_items

        context["guides"] = search_items(query=query, limit=5).hits
    else:
        qs = selectors.articles_for_staff(
            user=request.user, status=cleaned.get("status") or None,
            department_id=cleaned.get("department"),
        )
        context["page_obj"] = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(request, "hotline/staff_list.html", context)


def _form_kwargs(request: HttpRequest) -> dict[str, Any]:
    return {"departments": Department.objects.filter(
        selectors.departments_for_edit(request.user))}


def _apply_errors(form: ArticleForm, exc: DomainError) -> None:
    mapping = {"related_items": "related_codes"}
    for field, msgs in exc.field_errors.items():
        name = mapping.get(field, field)
        for m in msgs:
            form.add_error(name if name in form.fields else None, m)
    if not exc.field_errors:
        form.add_error(None, exc.message)


def _save(request: HttpRequest, form: ArticleForm, article: Article | None) -> Article:
    d = form.cleaned_data
    common = dict(
        actor=request.user, question=d["question"], answer=d["answer"],
        department=d["department"], region=d.get("region"), phrasings=d.get("phrasings", ""),
        keywords=d.get("keywords", ""), valid_from=d.get("valid_from"),
        valid_to=d.get("valid_to"), related_items=d.get("related_codes") or [],
    )
    if article is None:
        return services.article_create(**common)
    revision = request.POST.get("revision", "")
    return services.article_update(article=article, expected_revision=int(revision)
                                   if revision.isdigit() else None, **common)


@require_http_methods(["GET", "POST"])
@staff_page(Perm.KNOWLEDGE_EDIT)
def staff_new(request: HttpRequest) -> HttpResponse:
    form = ArticleForm(request.POST or None, **_form_kwargs(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                article = _save(request, form, None)
            except DomainError as exc:
                _apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("已保存为草稿。检查无误后请提交审核。"))
                return redirect("hotline:staff_detail", pk=article.pk)
        else:
            status = 422
    return render(request, "hotline/staff_form.html", _ctx(request, form=form, article=None),
                  status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Perm.KNOWLEDGE_EDIT)
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article_or_404(request, pk)
    if not access.can(request.user, Perm.KNOWLEDGE_EDIT, region=article.region,
                      department=article.department):
        return _denied(request, _("这个条目不属于您所在部门，不能修改。"))
    initial = {
        "question": article.question, "phrasings": article.phrasings,
        "keywords": article.keywords, "answer": article.answer,
        "department": article.department_id, "region": article.region_id,
        "valid_from": article.valid_from, "valid_to": article.valid_to,
        "related_codes": " ".join(i.implementation_code for i in article.related_items.all()),
    }
    form = ArticleForm(request.POST or None, initial=initial, **_form_kwargs(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _save(request, form, article)
            except DomainError as exc:
                _apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("修改已保存为草稿，需重新提交审核后才会用于答复。"))
                return redirect("hotline:staff_detail", pk=article.pk)
        else:
            status = 422
    return render(request, "hotline/staff_form.html", _ctx(request, form=form, article=article),
                  status=status)


@require_GET
@staff_page(*ANY_KB)
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article_or_404(request, pk)
    user = request.user
    can_edit = access.can(user, Perm.KNOWLEDGE_EDIT, region=article.region,
                          department=article.department)
    can_review = access.can(user, Perm.KNOWLEDGE_REVIEW, region=article.region,
                            department=article.department)
    acts = set(allowed(article.status))
    actions = {
        "edit": can_edit and ArticleAction.EDIT in acts,
        "submit": can_edit and ArticleAction.SUBMIT in acts,
        "publish": can_review and ArticleAction.PUBLISH in acts,
        "return": can_review and ArticleAction.RETURN in acts,
        "retire": (can_edit or can_review) and ArticleAction.RETIRE in acts,
    }
    return render(request, "hotline/staff_detail.html", _ctx(
        request, article=article, actions=actions, links=selectors._links(article)))


ACTIONS = {
    "submit": lambda user, a, note: services.article_submit(actor=user, article=a),
    "publish": lambda user, a, note: services.article_publish(actor=user, article=a, note=note),
    "return": lambda user, a, note: services.article_return(actor=user, article=a, note=note),
    "retire": lambda user, a, note: services.article_retire(actor=user, article=a, note=note),
}
DONE = {"submit": "已提交审核。", "publish": "已发布，机器人和话务员现在可以使用这个条目。",
        "return": "已退回编写部门修改。", "retire": "已下架。"}


@require_POST
@staff_page(*ANY_KB)
def staff_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    article = _article_or_404(request, pk)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404(_("没有这个操作。"))
    try:
        handler(request.user, article, request.POST.get("note", ""))
    except DomainError as exc:
        text = exc.field_errors.get("note", [exc.message])[0]
        messages.error(request, text)
        if exc.status == 403:
            return _denied(request, exc.message)
    else:
        messages.success(request, _(DONE[action]))
    return redirect("hotline:staff_detail", pk=article.pk)


@require_GET
@staff_page(Perm.KNOWLEDGE_REVIEW)
def staff_review(request: HttpRequest) -> HttpResponse:
    """待审核: oldest submission first."""
    rows = list(selectors.review_queue(user=request.user)[:200])
    return render(request, "hotline/staff_review.html", _ctx(request, rows=rows))


@require_http_methods(["GET", "POST"])
@staff_page(*ANY_KB)
def staff_unanswered(request: HttpRequest) -> HttpResponse:
    """未答问题: what citizens asked and the robot could not answer, most frequent first."""
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
        try:
            n = services.unanswered_mark_handled(actor=request.user, ids=ids)
        except DomainError as exc:
            return _denied(request, exc.message)
        messages.success(request, _("已标记 %(n)d 个问题为已处理。") % {"n": n})
        return redirect("hotline:staff_unanswered")
    show_all = request.GET.get("all") == "1"
    qs = selectors.unanswered_ranked(include_handled=show_all)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    can_mark = access.has_any(request.user, Perm.KNOWLEDGE_EDIT) or access.has_any(
        request.user, Perm.KNOWLEDGE_REVIEW)
    return render(request, "hotline/staff_unanswered.html", _ctx(
        request, page_obj=page, show_all=show_all, can_mark=can_mark))
