"""Pages of 12345 work orders: the operator's workbench, the department's inbox, the order
screen with its actions, the supervision page, and the public form and follow page.

Thin views: parse, call one service or selector, render. Anonymous staff pages → sign-in;
signed in without a work-order permission → 403 page; an order outside the user's scope → 404.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.core.errors import DomainError, NotFound
from onewindow.hotline import order_metrics, order_selectors, orders, selectors, throttle
from onewindow.hotline.models import (
    Article,
    ArticleStatus,
    ExtensionState,
    OrderChannel,
    OrderState,
    WorkOrder,
)
from onewindow.hotline.order_selectors import OrderFilters
from onewindow.hotline.order_workflow import OrderAction, allowed, label
from onewindow.regions.models import Department, Region

View = Callable[..., HttpResponseBase]
ORDER_PERMS = (Perm.HOTLINE_OPERATE, Perm.WORKORDER_HANDLE)


def _nav(user: Any) -> list[dict[str, str]]:
    links = [{"label": _("工作台首页"), "url": "/workbench/"}]
    if access.has_any(user, Perm.HOTLINE_OPERATE):
        links += [{"label": _("12345 工单"), "url": "/workbench/hotline/"},
                  {"label": _("登记工单"), "url": "/workbench/hotline/new/"}]
    if access.has_any(user, Perm.WORKORDER_HANDLE):
        links.append({"label": _("部门待办工单"), "url": "/workbench/hotline/inbox/"})
    if access.has_any(user, Perm.HOTLINE_OPERATE) or access.has_any(user, Perm.SUPERVISE):
        links.append({"label": _("工单考核与热点"), "url": "/workbench/hotline/metrics/"})
    links.append({"label": _("知识库"), "url": "/workbench/knowledge/"})
    return links


def _ctx(request: HttpRequest, **kw: Any) -> dict[str, Any]:
    return {"nav": _nav(request.user), **kw}


def _denied(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return render(request, "hotline/staff_denied.html", _ctx(
        request, message=message or _("您没有使用这个页面的权限。")), status=403)


def order_page(*perms: Perm) -> Callable[[View], View]:
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


def _order_or_404(request: HttpRequest, order_no: str) -> WorkOrder:
    try:
        return order_selectors.work_order_get_for_user(user=request.user, order_no=order_no)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _rows(user: Any, items: list[WorkOrder]) -> list[dict[str, Any]]:
    return [{"o": o, "chip": order_selectors.due_chip(o),
             "caller": order_selectors.caller_for(user, o)} for o in items]


def _regions() -> list[Region]:
    return list(Region.objects.order_by("code")[:500])


# --- the operator's workbench -----------------------------------------------------------------


@require_GET
@order_page(Perm.HOTLINE_OPERATE)
def centre(request: HttpRequest) -> HttpResponse:
    """12345 工单: the centre's queues and the list with filters."""
    g = request.GET
    filters = OrderFilters(
        state=g.get("state") or None, category=g.get("category") or None,
        overdue=True if g.get("overdue") == "1" else None, q=g.get("q") or None,
        region=g.get("region") or None,
    )
    context = _ctx(request, states=OrderState.choices, categories=order_selectors.categories(),
                   regions=_regions(), f=filters)
    try:
        page = order_selectors.work_orders_page(user=request.user, scope="centre",
                                                filters=filters, cursor=g.get("cursor"))
    except DomainError as exc:
        messages.error(request, exc.message)
        page = order_selectors.OrderPage(items=[], next_cursor=None)
    queue = order_selectors.centre_queue(user=request.user, limit=20)
    context.update(rows=_rows(request.user, page.items), next_cursor=page.next_cursor,
                   queue={k: _rows(request.user, v) for k, v in queue.items()})
    return render(request, "hotline/order_centre.html", context)


def _intake_form(data: Any) -> dict[str, Any]:
    return {k: (data.get(k) or "") for k in (
        "category", "region", "description", "location", "caller_phone", "caller_name",
        "urgency", "answer", "article_key")} | {
        "anonymous": bool(data.get("anonymous")), "consent": bool(data.get("consent"))}


@require_http_methods(["GET", "POST"])
@order_page(Perm.HOTLINE_OPERATE)
def centre_new(request: HttpRequest) -> HttpResponse:
    """登记工单 during a call, with the knowledge base beside it; optionally answered at once."""
    form = _intake_form(request.POST if request.method == "POST" else request.GET)
    errors: dict[str, list[str]] = {}
    status = 200
    kbq = (request.GET.get("kbq") or "").strip()[:200]
    if request.method == "POST":
        category = order_selectors.category_by_code(form["category"])
        region = Region.objects.filter(code=form["region"]).first() if form["region"] else None
        try:
            order = orders.work_order_create(
                actor=request.user, channel=OrderChannel.PHONE, category=category,
                region=region, description=form["description"], location=form["location"],
                caller_phone=form["caller_phone"], caller_name=form["caller_name"],
                anonymous=form["anonymous"], consent=form["consent"],
                urgency=form["urgency"] or None,
            )
        except DomainError as exc:
            errors, status = exc.field_errors or {"form": [exc.message]}, exc.status
        else:
            if request.POST.get("direct") and form["answer"].strip():
                article = (Article.objects.filter(key=form["article_key"],
                                                  status=ArticleStatus.PUBLISHED).first()
                           if form["article_key"] else None)
                try:
                    orders.work_order_answer(actor=request.user, order=order,
                                             answer=form["answer"], article=article)
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, _("工单 %(no)s 已直接办结，答复已短信告知来电人。")
                                     % {"no": order.order_no})
                    return redirect("hotline:order_detail", order_no=order.order_no)
            messages.success(request, _("已登记工单 %(no)s，编号已短信告知来电人。")
                             % {"no": order.order_no})
            return redirect("hotline:order_detail", order_no=order.order_no)
    hits = selectors.staff_search(user=request.user, query=kbq, limit=8) if kbq else []
    return render(request, "hotline/order_new.html", _ctx(
        request, form=form, errors=errors, categories=order_selectors.categories(),
        regions=_regions(), kbq=kbq, hits=hits), status=status)


# --- one order --------------------------------------------------------------------------------


def _actions(user: Any, order: WorkOrder) -> dict[str, bool]:
    centre = access.can(user, Perm.HOTLINE_OPERATE, region=order.region)
    dept = order.department is not None and access.can(
        user, Perm.WORKORDER_HANDLE, region=order.department.region, department=order.department)
    acts = allowed(order.state)
    return {
        "answer": centre and OrderAction.ANSWER in acts,
        "dispatch": centre and OrderAction.DISPATCH in acts,
        "merge": centre and OrderAction.MERGE in acts,
        "decide": centre and order.state == OrderState.OBJECTED,
        "decide_extension": centre and order.extension_state == ExtensionState.PENDING,
        "supervise": centre and OrderAction.SUPERVISE in acts,
        "visit": centre and OrderAction.VISIT in acts,
        "visit_sms": centre and OrderAction.VISIT_SMS in acts and not order.visit_sms_at,
        "sign": dept and OrderAction.SIGN in acts,
        "object": dept and OrderAction.OBJECT in acts,
        "return": dept and OrderAction.RETURN in acts,
        "extend": dept and OrderAction.EXTEND in acts and not order.extension_state,
        "reply": dept and OrderAction.REPLY in acts,
    }


@require_GET
@order_page(*ORDER_PERMS)
def detail(request: HttpRequest, order_no: str) -> HttpResponse:
    order = _order_or_404(request, order_no)
    acts = _actions(request.user, order)
    context = _ctx(request, o=order, acts=acts, chip=order_selectors.due_chip(order),
                   caller=order_selectors.caller_for(request.user, order),
                   events=[(e, label(e.action)) for e in order_selectors.events_of(order)],
                   merged=list(order.merged_orders.all()))
    if acts["dispatch"]:
        context["suggested"] = orders.suggest_department(category=order.category,
                                                         region=order.region)
        context["departments"] = Department.objects.filter(
            access.department_scope_q(request.user, Perm.HOTLINE_OPERATE), is_active=True
        ).select_related("region").order_by("region__code", "sort_order", "code")[:300]
    if acts["merge"]:
        context["similar"] = order_selectors.similar_open_orders(
            category=order.category, region=order.region, description=order.description,
            location=order.location, exclude_pk=order.pk)
    if acts["decide"]:
        context.setdefault("departments", Department.objects.filter(
            access.department_scope_q(request.user, Perm.HOTLINE_OPERATE), is_active=True
        ).select_related("region").order_by("region__code", "sort_order", "code")[:300])
    if acts["answer"]:
        kbq = (request.GET.get("kbq") or order.title)[:200]
        context["kbq"] = kbq
        context["hits"] = selectors.staff_search(user=request.user, query=kbq, limit=5)
    if order_selectors.is_centre(request.user):
        context["repeats"] = order_selectors.repeat_count(order)
    return render(request, "hotline/order_detail.html", context)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _department(value: Any) -> Department | None:
    pk = _int(value)
    return Department.objects.select_related("region").filter(pk=pk).first() if pk else None


def _do(request: HttpRequest, order: WorkOrder, action: str) -> str:
    p, u = request.POST, request.user
    version = _int(p.get("version"))
    if action == "answer":
        article = (Article.objects.filter(key=p.get("article_key", ""),
                                          status=ArticleStatus.PUBLISHED).first()
                   if p.get("article_key") else None)
        orders.work_order_answer(actor=u, order=order, answer=p.get("answer", ""),
                                 article=article, expected_version=version)
        return _("已直接办结。")
    if action == "dispatch":
        orders.work_order_dispatch(actor=u, order=order,
                                   department=_department(p.get("department")),
                                   note=p.get("note", ""), expected_version=version)
        return _("已派单。")
    if action == "merge":
        into = order_selectors.work_order_get_for_user(user=u, order_no=p.get("into", ""))
        orders.work_order_merge(actor=u, order=order, into=into)
        return _("已并入 %(no)s，将与该工单一并办理和答复。") % {"no": into.order_no}
    if action == "decide":
        orders.work_order_decide_objection(
            actor=u, order=order, upheld=p.get("upheld") == "1", note=p.get("note", ""),
            department=_department(p.get("department")), expected_version=version)
        return _("已审核派单异议。")
    if action == "decide_extension":
        orders.work_order_decide_extension(actor=u, order=order, approved=p.get("approved") == "1",
                                           note=p.get("note", ""), expected_version=version)
        return _("已审批延期申请。")
    if action == "supervise":
        orders.work_order_supervise(actor=u, order=order, note=p.get("note", ""))
        return _("已督办，承办部门已收到提醒。")
    if action == "visit":
        orders.work_order_visit(actor=u, order=order, solved=p.get("solved") == "1",
                                satisfaction=_int(p.get("satisfaction")), note=p.get("note", ""))
        return _("已记录回访结果。")
    if action == "visit_sms":
        orders.work_order_visit_sms(actor=u, order=order)
        return _("已发送回访短信。")
    if action == "sign":
        orders.work_order_sign(actor=u, order=order, expected_version=version)
        return _("已签收，请在答复期限前办理答复。")
    if action == "object":
        orders.work_order_object(actor=u, order=order, reason=p.get("reason", ""),
                                 expected_version=version)
        return _("已提出派单异议，等待热线中心审核。")
    if action == "return":
        orders.work_order_return(actor=u, order=order, reason=p.get("reason", ""),
                                 expected_version=version)
        return _("已退单，热线中心将重新派单。")
    if action == "extend":
        days = _int(p.get("days"))
        orders.work_order_request_extension(actor=u, order=order, days=days if days else 0,
                                            reason=p.get("reason", ""), expected_version=version)
        return _("已提交延期申请。")
    if action == "reply":
        orders.work_order_reply(actor=u, order=order, reply=p.get("reply", ""),
                                expected_version=version)
        return _("已答复，答复已短信告知来电人。")
    raise Http404(_("没有这个操作。"))


@require_POST
@order_page(*ORDER_PERMS)
def act(request: HttpRequest, order_no: str, action: str) -> HttpResponse:
    order = _order_or_404(request, order_no)
    try:
        done = _do(request, order, action)
    except DomainError as exc:
        text = next(iter(exc.field_errors.values()), [exc.message])[0]
        messages.error(request, text)
        if exc.status == 403:
            return _denied(request, exc.message)
    else:
        messages.success(request, done)
        if action == "return":
            return redirect("hotline:order_inbox")
    return redirect("hotline:order_detail", order_no=order.order_no)


# --- the department ---------------------------------------------------------------------------


@require_GET
@order_page(Perm.WORKORDER_HANDLE)
def inbox(request: HttpRequest) -> HttpResponse:
    """部门待办: to sign and to reply, the nearest due first, with red / yellow chips."""
    items = order_selectors.department_inbox(user=request.user)
    recent = order_selectors.work_orders_page(user=request.user, scope="department",
                                              filters=OrderFilters(states=(
                                                  OrderState.OBJECTED, OrderState.REPLIED,
                                                  OrderState.CLOSED)), limit=20).items
    return render(request, "hotline/order_inbox.html", _ctx(
        request, rows=_rows(request.user, items), recent=_rows(request.user, recent)))


# --- supervision ------------------------------------------------------------------------------


@require_GET
@order_page(Perm.HOTLINE_OPERATE, Perm.SUPERVISE)
def metrics(request: HttpRequest) -> HttpResponse:
    from django.utils.dateparse import parse_date

    def day(name: str) -> Any:
        try:
            return parse_date(request.GET.get(name) or "")
        except ValueError:
            return None

    try:
        m = order_metrics.metrics_out(user=request.user, date_from=day("from"), date_to=day("to"))
        hot = order_metrics.hot_out(user=request.user, week=day("week"))
    except DomainError as exc:
        messages.error(request, exc.message)
        m = order_metrics.metrics_out(user=request.user)
        hot = order_metrics.hot_out(user=request.user)
    top = max([h.count for h in hot.categories] + [1])
    top_region = max([h.count for h in hot.regions] + [1])
    return render(request, "hotline/order_metrics.html", _ctx(
        request, m=m, hot=hot, top=top, top_region=top_region))


# --- public -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def public_new(request: HttpRequest) -> HttpResponse:
    """在线提交诉求: no sign-in; a mobile for the number and the reply; limited per address."""
    data = request.POST if request.method == "POST" else request.GET
    form: dict[str, Any] = {k: (data.get(k) or "").strip() for k in (
        "category", "region", "description", "location", "caller_phone", "caller_name")}
    form["consent"] = bool(data.get("consent"))
    if request.method == "GET" and data.get("q"):
        form["description"] = data.get("q", "")[:2000]
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not throttle.order_allowed(request):
            errors, status = {"form": [_("提交太频繁了，请稍后再试或拨打 12345。")]}, 429
        else:
            try:
                order = orders.work_order_create(
                    actor=request.user, channel=OrderChannel.WEB,
                    category=order_selectors.category_by_code(form["category"]),
                    region=Region.objects.filter(code=form["region"]).first()
                    if form["region"] else None,
                    description=form["description"], location=form["location"],
                    caller_phone=form["caller_phone"], caller_name=form["caller_name"],
                    consent=bool(form["consent"]),
                )
            except DomainError as exc:
                errors, status = exc.field_errors or {"form": [exc.message]}, exc.status
            else:
                return render(request, "hotline/order_public_done.html", {"order": order},
                              status=200)
    return render(request, "hotline/order_public_new.html", {
        "form": form, "errors": errors, "categories": order_selectors.categories(),
        "regions": _regions()}, status=status)


@require_GET
def public_follow(request: HttpRequest) -> HttpResponse:
    """查询办理进度 by order number and mobile."""
    no, phone = (request.GET.get("no") or "").strip(), (request.GET.get("phone") or "").strip()
    context: dict[str, Any] = {"no": no, "phone": phone}
    status = 200
    if no or phone:
        if not throttle.follow_allowed(request):
            context["error"], status = _("查询太频繁了，请稍后再试。"), 429
        else:
            try:
                order = order_selectors.work_order_public(order_no=no, phone=phone)
            except NotFound as exc:
                context["error"], status = exc.message, 404
            else:
                from onewindow.hotline.api_orders import public_out

                context["order"] = public_out(order)
    return render(request, "hotline/order_public_follow.html", context, status=status)

