"""Staff pages of cases in the workbench (工作台): the window, the case screen, the inbox.

Thin views: parse the input, call one selector or service, render. Every change goes through
:mod:`onewindow.cases.services`; a :class:`~onewindow.core.errors.DomainError` is shown beside
its field or as a message, with the error's HTTP status — never a 500.

Access: anonymous → the staff sign-in page; signed in without the page's permission (applicants,
staff of other roles) → a 403 page; a case outside the user's scope → 404, exactly like a case
that does not exist (:func:`onewindow.cases.selectors.case_get_for_staff`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.accounts import access
from onewindow.accounts import services as account_services
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Applicant, Role, User
from onewindow.cases import forms_staff, selectors, services
from onewindow.cases.forms import ApplicationForm, display_value, prefill, schema_fields
from onewindow.cases.models import (
    Case,
    CaseEvent,
    CaseHop,
    CaseMaterial,
    CaseMaterialStatus,
    Channel,
    ClockStop,
    DeliveryMethod,
    HopKind,
    StopKind,
    Task,
    TaskKind,
)
from onewindow.cases.workflow import Action, CaseState, Decision, TaskState, allowed_actions
from onewindow.catalog.models import ServiceItem
from onewindow.catalog.search import public_items
from onewindow.core import clock
from onewindow.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from onewindow.regions.models import LEVEL_PREFIX_LEN, Region
from onewindow.workdays.calendar import CalendarRangeError
from onewindow.workdays.selectors import get_calendar

logger = logging.getLogger(__name__)

PAGE = 50
VIEW_PERMS = selectors.STAFF_VIEW_PERMS


# --- access -----------------------------------------------------------------------------------


def _denied(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return render(request, "cases/staff_denied.html",
                  {"message": message or _("您没有使用这个页面的权限。"),
                   "nav": _nav(request.user)}, status=403)


View = Callable[..., HttpResponseBase]


def staff_page(*perms: Perm) -> Callable[[View], View]:
    """Sign-in required; then one of ``perms`` held somewhere, else the 403 page."""

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


def _nav(user: Any) -> list[dict[str, str]]:
    """The workbench links of the case pages this user may open."""
    links = [{"label": _("工作台首页"), "url": "/workbench/"}]
    if access.has_any(user, Perm.CASE_ACCEPT):
        links.append({"label": _("窗口受理"), "url": "/workbench/cases/window/"})
    if access.has_any(user, Perm.CASE_REVIEW):
        links.append({"label": _("待办审批"), "url": "/workbench/cases/inbox/"})
    if any(access.has_any(user, p) for p in VIEW_PERMS):
        links.append({"label": _("办件查询"), "url": "/workbench/cases/"})
    return links


def _ctx(request: HttpRequest, **kw: Any) -> dict[str, Any]:
    return {"nav": _nav(request.user), **kw}


def _case_or_404(user: Any, case_no: str) -> Case:
    try:
        return selectors.case_get_for_staff(user=user, case_no=case_no)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _chip(due: dt.date | None, *, stopped: bool = False) -> dict[str, Any]:
    """Working days left as a chip: colour class and words (never colour alone)."""
    try:
        u = selectors.urgency(due, stopped=stopped)
    except CalendarRangeError:  # a date the calendar does not cover yet: no colour, no crash
        u = selectors.Urgency(None, "none")
    if u.level == "stopped":
        text = _("暂停计时")
    elif u.level == "none" or u.days_left is None:
        text = _("未起算")
    elif u.days_left < 0:
        text = _("红牌 · 已超期 %(n)d 个工作日") % {"n": -u.days_left}
    elif u.days_left == 0:
        text = _("黄牌 · 今日到期")
    elif u.level == "yellow":
        text = _("黄牌 · 剩余 %(n)d 个工作日") % {"n": u.days_left}
    else:
        text = _("剩余 %(n)d 个工作日") % {"n": u.days_left}
    return {"level": u.level, "text": text, "days": u.days_left}


def _notice_period_end(case: Case) -> dt.date | None:
    """Last day to tell everything missing at once (5 working days after receipt)."""
    if case.received_on is None:
        return None
    try:
        return get_calendar().add_workdays(case.received_on,
                                           services.SUPPLEMENT_NOTICE_WORKDAYS).date
    except CalendarRangeError:
        return None


# --- window (窗口受理) -------------------------------------------------------------------------


def _after(value: str | None) -> tuple[str, int] | None:
    """A key-set cursor ``<key>_<id>`` from a "more" link."""
    key, _sep, pk = (value or "").rpartition("_")
    if not key or not pk.isdigit():
        return None
    return key, int(pk)


@require_GET
@staff_page(Perm.CASE_ACCEPT)
def window(request: HttpRequest) -> HttpResponse:
    """预审队列: online submissions and returned supplements, oldest first; new case entry."""
    qs = selectors.prereview_queue(user=request.user)
    cursor = _after(request.GET.get("after"))
    if cursor:
        try:
            at = dt.datetime.fromisoformat(cursor[0])
        except ValueError:
            at = None
        if at is not None:
            qs = qs.filter(Q(submitted_at__gt=at) | Q(submitted_at=at, id__gt=cursor[1]))
    rows = list(qs[: PAGE + 1])
    more = None
    if len(rows) > PAGE:
        rows = rows[:PAGE]
        last = rows[-1]
        at_key = last.submitted_at.isoformat() if last.submitted_at else ""
        more = "?" + urlencode({"after": f"{at_key}_{last.pk}"})
    queue = []
    for case in rows:
        end = _notice_period_end(case) if case.state == CaseState.SUBMITTED else None
        queue.append({"case": case, "notice_end": end,
                      "chip": _chip(end) if end else None})
    today = clock.today()
    arrivals = [{"h": h, "late": h.due < today} for h in selectors.hops_in_transit(
        user=request.user)]
    return render(request, "cases/staff_window.html", _ctx(
        request, queue=queue, more=more, lookup=forms_staff.ApplicantLookupForm(),
        arrivals=arrivals,
    ))


def _register_region(user: Any) -> Region | None:
    grants = access.grants_for(user, Perm.APPLICANT_REGISTER)
    if not grants:
        return None
    return Region.objects.filter(pk=grants[0].region_id).first()


def _scoped_items(user: Any) -> Any:
    """Items the user accepts at their own level, and — at a town centre or village station —
    the items of the levels above it they may take in (就近办)."""
    today = clock.today()
    above = {p[:n] for p in services.station_prefixes(user) for n in LEVEL_PREFIX_LEN.values()
             if n < len(p)}
    return (
        public_items().filter(
            access.scope_q(user, Perm.CASE_ACCEPT, region_field="region",
                           department_field="department")
            | Q(region__prefix__in=above),
        )
        .filter(Q(current_version__effective_from__isnull=True)
                | Q(current_version__effective_from__lte=today))
        .select_related("basic", "department", "region", "current_version")
    )


def _field_errors_into(form: Any, exc: DomainError) -> None:
    placed = False
    for key, msgs in exc.field_errors.items():
        name = key.removeprefix("form.")
        if name in form.fields:
            for m in msgs:
                form.add_error(name, m)
            placed = True
    if not placed or not exc.field_errors:
        form.add_error(None, exc.message)


@require_http_methods(["GET", "POST"])
@staff_page(Perm.CASE_ACCEPT)
def new_case(request: HttpRequest) -> HttpResponse:
    """新建窗口办件 in three steps on one URL: applicant → item → application form."""
    user = request.user
    status = 200
    ctx: dict[str, Any] = {"step": 1}
    applicant: Applicant | None = None
    raw_applicant = request.GET.get("applicant", "")
    if raw_applicant.isdigit():
        applicant = Applicant.objects.filter(pk=int(raw_applicant)).first()
        if applicant is None:
            raise Http404(_("没有找到这个申请人。"))
    if applicant is None:
        # Step 1: find the applicant, or register one.
        lookup = forms_staff.ApplicantLookupForm(request.GET if "q" in request.GET else None)
        found: list[Applicant] | None = None
        if lookup.is_bound and lookup.is_valid():
            q = lookup.cleaned_data["q"]
            found = list(Applicant.objects.filter(
                Q(id_number=q) | Q(credit_code=q) | Q(mobile=q)
            ).order_by("kind", "id")[:10])
        register = forms_staff.ApplicantRegisterForm(
            request.POST if request.method == "POST" else None,
            initial=_register_initial(lookup),
        )
        if request.method == "POST" and register.is_valid():
            data = register.cleaned_data
            try:
                applicant = account_services.applicant_register(
                    actor=user, kind=data["kind"], name=data["name"], mobile=data["mobile"],
                    id_number=data["id_number"], credit_code=data["credit_code"],
                    legal_representative=data["legal_representative"],
                    region=_register_region(user),
                )
            except DomainError as exc:
                _field_errors_into(register, exc)
                status = exc.status
            else:
                messages.success(request, _("已登记申请人 %(name)s。") % {
                    "name": applicant.masked_name})
                return redirect(f"{request.path}?{urlencode({'applicant': applicant.pk})}")
        elif request.method == "POST":
            status = 422
        ctx.update(lookup=lookup, found=found, register=register,
                   can_register=access.has_any(user, Perm.APPLICANT_REGISTER))
        return render(request, "cases/staff_new_case.html", _ctx(request, **ctx), status=status)

    ctx.update(step=2, applicant=applicant)
    item: ServiceItem | None = None
    code = request.GET.get("item", "")
    if code:
        item = _scoped_items(user).filter(implementation_code=code[:36]).first()
        if item is None:
            raise Http404(_("没有找到这个事项，或它不在您的受理范围内。"))
    if item is None:
        # Step 2: choose the item.
        search = forms_staff.ItemSearchForm(request.GET)
        items: list[ServiceItem] = []
        iq = ""
        if search.is_valid():
            iq = search.cleaned_data["iq"].strip()
        if iq:
            items = list(_scoped_items(user).filter(
                Q(basic__name__icontains=iq) | Q(implementation_code__startswith=iq)
            ).order_by("-popularity", "implementation_code")[:20])
        ctx.update(search=search, items=items, iq=iq)
        return render(request, "cases/staff_new_case.html", _ctx(request, **ctx))

    # Step 3: the application form, then create and submit at the window.
    version = item.current_version
    assert version is not None
    schema = version.form_schema
    if request.method == "POST":
        form = ApplicationForm(schema, request.POST)
        if form.is_valid():
            try:
                case = services.case_create(
                    actor=user, item=item, applicant=applicant, channel=Channel.WINDOW,
                    form_data=form.form_data(), submit=True, ip=_ip(request),
                    intake_region=services.intake_region_for(user, item),
                )
            except DomainError as exc:
                rest = form.add_service_errors(exc.field_errors)
                form.add_error(None, exc.message if not exc.field_errors else "；".join(rest)
                               or exc.message)
                status = exc.status
            else:
                messages.success(request, _(
                    "已创建办件 %(no)s（查询码 %(code)s），请逐项核验材料后受理。"
                ) % {"no": case.case_no, "code": case.query_code})
                return redirect("cases_staff:case", case_no=case.case_no)
        else:
            status = 422
    else:
        form = ApplicationForm(schema, initial=prefill(schema, applicant))
    first = next((f for f in form.fields.values() if not f.widget.is_hidden), None)
    if first is not None:
        first.widget.attrs.setdefault("autofocus", True)
    ctx.update(step=3, item=item, version=version, form=form,
               materials=list(version.materials.all()))
    return render(request, "cases/staff_new_case.html", _ctx(request, **ctx), status=status)


def _register_initial(lookup: Any) -> dict[str, Any]:
    """Carry the number searched for into the registration form."""
    if not (lookup.is_bound and lookup.is_valid()):
        return {}
    q = lookup.cleaned_data["q"]
    if len(q) == 11 and q.isdigit():
        return {"mobile": q}
    if len(q) == 18 and q[:17].isdigit():
        return {"id_number": q}
    if len(q) == 18:
        return {"credit_code": q, "kind": "organisation"}
    return {}


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# --- inbox (待办审批) --------------------------------------------------------------------------


@require_GET
@staff_page(Perm.CASE_REVIEW)
def inbox(request: HttpRequest) -> HttpResponse:
    filters = forms_staff.InboxFilterForm(request.GET)
    item_code, due_before = None, None
    if filters.is_valid():
        item_code = filters.cleaned_data["item"].strip() or None
        due_before = filters.cleaned_data["due_before"]
    after = None
    cursor = _after(request.GET.get("after"))
    if cursor:
        try:
            after = (dt.date.fromisoformat(cursor[0]), cursor[1])
        except ValueError:
            after = None
    # 绿色通道 first: the first page opens with every green-channel task (key projects and
    # companies), then the rest, most urgent first, paged by (due, id).
    green = [] if after else selectors.inbox(user=request.user, item_code=item_code,
                                             due_before=due_before, limit=PAGE, green=True)
    tasks = selectors.inbox(user=request.user, item_code=item_code, due_before=due_before,
                            limit=PAGE + 1, after=after, green=False)
    more = None
    if len(tasks) > PAGE:
        tasks = tasks[:PAGE]
        last = tasks[-1]
        query = {k: v for k, v in request.GET.items() if k in ("item", "due_before") and v}
        query["after"] = f"{last.due.isoformat() if last.due else ''}_{last.pk}"
        more = "?" + urlencode(query)
    rows = [{"task": t, "case": t.case,
             "chip": _chip(t.due, stopped=t.case.state == CaseState.SUSPENDED)}
            for t in [*green, *tasks]]
    return render(request, "cases/staff_inbox.html", _ctx(
        request, rows=rows, filters=filters, more=more, paged=bool(after),
    ))


# --- search (办件查询) -------------------------------------------------------------------------


@require_GET
@staff_page(*VIEW_PERMS)
def search(request: HttpRequest) -> HttpResponse:
    form = forms_staff.CaseSearchForm(request.GET)
    state, q, within = "", "", None
    if form.is_valid():
        state = form.cleaned_data["state"] or ""
        q = form.cleaned_data["q"] or ""
        within = form.cleaned_data["within"]
    more = None
    if within is not None:
        cases = selectors.cases_due_within(user=request.user, workdays=within, limit=PAGE)
    else:
        qs = selectors.cases_for_staff(user=request.user, state=state or None, q=q).order_by(
            "-created_at", "-id")
        cursor = _after(request.GET.get("after"))
        if cursor:
            try:
                at = dt.datetime.fromisoformat(cursor[0])
            except ValueError:
                at = None
            if at is not None:
                qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=cursor[1]))
        cases = list(qs[: PAGE + 1])
        if len(cases) > PAGE:
            cases = cases[:PAGE]
            last = cases[-1]
            more = "?" + urlencode({"q": q, "state": state,
                                    "after": f"{last.created_at.isoformat()}_{last.pk}"})
    rows = [{"case": c,
             "chip": _chip(c.promised_due, stopped=c.state == CaseState.SUSPENDED)
             if c.state in (CaseState.IN_REVIEW, CaseState.SUSPENDED) else None}
            for c in cases]
    return render(request, "cases/staff_search.html", _ctx(
        request, form=form, rows=rows, more=more, within=within, q=q, state=state,
    ))


# --- the case screen --------------------------------------------------------------------------


@dataclass
class Abilities:
    """What this user may do on this case now: permissions, the active task, the state."""

    accept: bool
    review: bool
    on_spot: bool
    head: bool
    task: Task | None
    works: bool
    earlier: list[Task]
    is_last: bool
    allowed: set[Action]
    shown: dict[str, bool] = field(default_factory=dict)
    intake: bool = False  # counter staff of the station that took the case in (就近办)
    pending_hop: CaseHop | None = None  # a hop in transit to this user's region


# action name -> (workflow action, which ability gates it)
ACTIONS: dict[str, tuple[Action, str]] = {
    "check": (Action.CHECK_MATERIAL, "accept"),
    "check_all": (Action.CHECK_MATERIAL, "accept"),
    "accept": (Action.ACCEPT, "accept"),
    "accept_tolerant": (Action.ACCEPT_TOLERANT, "accept"),
    "supplement": (Action.REQUEST_SUPPLEMENT, "accept"),
    "refuse": (Action.REFUSE, "accept"),
    "on_spot": (Action.DECIDE_ON_SPOT, "on_spot"),
    "pass": (Action.PASS, "task"),
    "return": (Action.RETURN, "task"),
    "request_more": (Action.REQUEST_MORE, "task"),
    "special": (Action.START_SPECIAL, "task"),
    "decide": (Action.APPROVE, "task"),
    "opinion": (Action.OPINION, "task"),
    "forward": (Action.FORWARD, "intake"),
    "receive_hop": (Action.RECEIVE_HOP, "pending_hop"),
    "resume": (Action.RESUME, "review"),
    "extend": (Action.EXTEND, "head"),
    "supply_tolerated": (Action.SUPPLY_TOLERATED, "accept"),
    "deliver": (Action.DELIVER, "accept"),
}


def _abilities(user: Any, case: Case) -> Abilities:
    region, department = case.region, case.department
    tasks = list(case.tasks.all())
    steps = [t for t in tasks if t.kind == TaskKind.STEP]
    active = [t for t in tasks if t.state == TaskState.ACTIVE]
    reviewer = access.has_any(user, Perm.CASE_REVIEW)
    mine = [t for t in active if reviewer and services.may_work_on(user, t)]
    # The lead's step the user works on; else their department's parallel opinion; else the
    # running step (shown, not theirs).
    task = (next((t for t in mine if t.kind == TaskKind.STEP), None)
            or next(iter(mine), None)
            or next((t for t in active if t.kind == TaskKind.STEP), None))
    review = access.can(user, Perm.CASE_REVIEW, region=region, department=department)
    works = task is not None and task in mine
    is_step = task is not None and task.kind == TaskKind.STEP
    ab = Abilities(
        accept=access.can(user, Perm.CASE_ACCEPT, region=region, department=department),
        review=review,
        on_spot=access.can(user, Perm.CASE_DECIDE_ON_SPOT, region=region,
                           department=department),
        head=any(g.role == Role.DEPARTMENT_HEAD and g.department_id == case.department_id
                 for g in access.grants(user)),
        task=task,
        works=works,
        earlier=[t for t in steps if is_step and task and t.seq < task.seq],
        is_last=bool(is_step and task and not any(t.seq > task.seq for t in steps)),
        allowed=set(allowed_actions(case.state)),
        intake=services.at_intake(user, case),
    )
    hops = list(case.hops.all())
    ab.pending_hop = next((h for h in hops if h.received_at is None and access.can(
        user, Perm.CASE_ACCEPT, region=h.to_region)), None)
    if ab.intake and not ab.accept:
        ab.accept = True  # the station does the counter's work on what it took in
    materials = list(case.materials.all())
    extra = {
        "accept_tolerant": any(m.tolerable and m.status != CaseMaterialStatus.VERIFIED
                               for m in materials),
        "on_spot": case.is_instant,
        "pass": is_step and not ab.is_last,
        "return": bool(ab.earlier),
        "decide": ab.is_last,
        "request_more": is_step,
        "special": is_step,
        "opinion": task is not None and task.kind == TaskKind.OPINION,
        "forward": not any(h.kind != HopKind.RETURN for h in hops),
        "extend": not case.extension_days,
        "supply_tolerated": any(m.status == CaseMaterialStatus.TOLERATED for m in materials),
        "check_all": any(m.status in (CaseMaterialStatus.PENDING, CaseMaterialStatus.PROVIDED)
                         for m in materials),
    }
    for name, (action, gate) in ACTIONS.items():
        ok = ab.works if gate == "task" else bool(getattr(ab, gate))
        ab.shown[name] = ok and action in ab.allowed and extra.get(name, True)
    return ab


def _require(user: Any, name: str, ab: Abilities) -> None:
    """Refuse an action the user's roles do not allow (403); the state is the service's call."""
    gate = ACTIONS[name][1]
    if gate == "task":
        if not access.has_any(user, Perm.CASE_REVIEW):
            raise PermissionDenied(_("您没有权限办理这个办件。"))
        if ab.task is None:
            raise Conflict(
                _("这个环节已办理（或尚未开始），可能已被其他人处理，请刷新后查看。"),
                code="task_not_active",
            )
        if not ab.works:
            raise PermissionDenied(_("这个环节不由您办理。"))
        return
    if not getattr(ab, gate):
        if gate == "head":
            raise PermissionDenied(_("延期须经本部门负责人批准。"), code="head_required")
        raise PermissionDenied(_("您没有权限办理这个办件。"))


STALE = "该办件已被其他人处理，请刷新后查看最新状态再操作。"

_STATUS_CHIPS: dict[str, tuple[str, str]] = {
    CaseMaterialStatus.PENDING: ("pending", "○"),
    CaseMaterialStatus.PROVIDED: ("provided", "●"),
    CaseMaterialStatus.VERIFIED: ("verified", "✓"),
    CaseMaterialStatus.MISSING: ("missing", "✗"),
    CaseMaterialStatus.TOLERATED: ("tolerated", "◇"),
    CaseMaterialStatus.NOT_NEEDED: ("not-needed", "—"),
}


def _event_lines(event: CaseEvent) -> list[str]:
    """The readable content of an event's data (reasons, opinions, notices …)."""
    d = event.data or {}
    out: list[str] = []

    def add(label: str, value: Any) -> None:
        if value not in (None, "", [], {}):
            out.append(f"{label}：{value}")

    add(_("渠道"), dict(Channel.choices).get(d.get("channel", ""), "") if "channel" in d else "")
    add(_("材料"), d.get("material"))
    if "verdict" in d:
        add(_("核验结果"), dict(CaseMaterialStatus.choices).get(d["verdict"], d["verdict"]))
    add(_("环节"), d.get("step"))
    add(_("转至"), d.get("next"))
    add(_("退回至"), d.get("to"))
    listed = d.get("materials")
    if isinstance(listed, list) and listed:
        parts = []
        for m in listed:
            if isinstance(m, dict):
                note = m.get("note")
                parts.append(f"{m.get('name', '')}（{note}）" if note else str(m.get("name", "")))
            else:
                parts.append(str(m))
        add(_("材料"), "；".join(parts))
    tolerated = d.get("tolerated")
    if isinstance(tolerated, list) and tolerated:
        add(_("容缺材料"), "；".join(
            _("%(n)s（承诺于%(d)s前补交）")
            % {"n": t.get("name", ""), "d": t.get("promised_by", "")}
            for t in tolerated if isinstance(t, dict)))
    if "procedure" in d:
        add(_("特别程序"), dict(StopKind.choices).get(d["procedure"], d["procedure"]))
    if "kind" in d and event.action == Action.RESUME:
        add(_("暂停类型"), dict(StopKind.choices).get(d["kind"], d["kind"]))
    if "decision" in d:
        add(_("决定"), dict(Decision.choices).get(d["decision"], d["decision"]))
    add(_("理由"), d.get("reason"))
    add(_("意见"), d.get("opinion"))
    add(_("说明"), d.get("note"))
    add(_("其他"), d.get("other"))
    add(_("结果"), d.get("result"))
    add(_("告知向何机关申请"), d.get("refer_to"))
    if d.get("expected_days"):
        add(_("预计所需"), _("%(n)s个工作日") % {"n": d["expected_days"]})
    if d.get("days") and event.action == Action.EXTEND:
        add(_("延长"), _("%(n)s个工作日") % {"n": d["days"]})
    elif d.get("days") and event.action == Action.RESUME:
        add(_("不计时"), _("%(n)s天") % {"n": d["days"]})
    add(_("法定办结"), d.get("legal_due"))
    add(_("承诺办结"), d.get("promised_due"))
    if "method" in d:
        add(_("送达方式"), dict(DeliveryMethod.choices).get(d["method"], d["method"]))
    add(_("快递单号"), d.get("tracking_no"))
    if d.get("identity_checked"):
        out.append(_("已核验领取人身份"))
    add(_("文书"), d.get("notice"))
    add(_("文书"), d.get("tolerance_notice"))
    if isinstance(d.get("notices"), list):
        add(_("文书"), "、".join(str(n) for n in d["notices"]))
    if d.get("deemed"):
        out.append(_("逾期未告知补正，依法视为受理"))
    return out


def _action_label(value: str) -> str:
    try:
        return str(Action(value).label)
    except ValueError:
        return value


def _case_context(request: HttpRequest, case: Case, *, ab: Abilities | None = None,
                  error: dict[str, Any] | None = None) -> dict[str, Any]:
    user = request.user
    ab = ab or _abilities(user, case)
    materials = list(case.materials.all())
    tasks = list(case.tasks.all())
    events = selectors.timeline(case, for_applicant=False)
    stops: list[ClockStop] = list(case.stops.all())
    open_stop = next((s for s in stops if s.ended_on is None), None)
    # Staff names of the timeline and the steps, in one query.
    ids = {e.actor_id for e in events if e.actor_id} | {t.actor_id for t in tasks if t.actor_id}
    names = {
        pk: display or username
        for pk, display, username in User.objects.filter(pk__in=ids).values_list(
            "pk", "display_name", "username")
    } if ids else {}
    states = dict(CaseState.choices)
    timeline = [
        {"event": e, "label": _action_label(e.action),
         # The applicant's user name is their mobile number: show the masked name instead.
         "name": (case.applicant.masked_name if e.actor_id and e.actor_id == case.applicant.user_id
                  else names.get(e.actor_id or 0, "")),
         "lines": _event_lines(e),
         "moved": e.from_state != e.to_state and bool(e.from_state),
         "from_label": states.get(e.from_state, e.from_state),
         "to_label": states.get(e.to_state, e.to_state)}
        for e in reversed(events)
    ]
    certificate = selectors.certificate_of(case)
    schema = schema_fields(case.version.form_schema)
    form_rows = [
        {"label": f.get("label") or f["name"],
         "value": display_value(f, (case.form_data or {}).get(f["name"]))}
        for f in schema
    ]
    stopped = case.state == CaseState.SUSPENDED
    notice_end = _notice_period_end(case) if case.state == CaseState.SUBMITTED else None
    chips = {
        m.pk: {"cls": _STATUS_CHIPS.get(m.status, ("pending", "○"))[0],
               "icon": _STATUS_CHIPS.get(m.status, ("pending", "○"))[1],
               "label": m.get_status_display()}
        for m in materials
    }
    error_material = (error or {}).get("material")
    return _ctx(
        request,
        case=case,
        ab=ab,
        shown=ab.shown,
        supervise=access.can(request.user, Perm.SUPERVISE, region=case.region,
                             department=case.department),
        any_action=any(ab.shown.values()),
        materials=[{"m": m, "chip": chips[m.pk],
                    "error": error if error_material == m.pk else None} for m in materials],
        tolerable=[m for m in materials if m.tolerable
                   and m.status != CaseMaterialStatus.VERIFIED],
        tolerated=[m for m in materials if m.status == CaseMaterialStatus.TOLERATED],
        tasks=[{"t": t, "name": names.get(t.actor_id or 0, "")} for t in tasks
               if t.kind == TaskKind.STEP],
        hops=[{"h": h, "late": (h.received_at is None and h.due < clock.today())
                                or (h.received_at is not None
                                    and timezone.localdate(h.received_at) > h.due)}
              for h in case.hops.all()],
        opinions=[{"t": t, "name": names.get(t.actor_id or 0, ""),
                   "chip": _chip(t.due, stopped=stopped) if t.state == TaskState.ACTIVE
                   else None} for t in tasks if t.kind == TaskKind.OPINION],
        timeline=timeline,
        stops=stops,
        open_stop=open_stop,
        notices=list(case.notices.all()),
        certificate=certificate,
        form_rows=form_rows,
        promised_chip=_chip(case.promised_due, stopped=stopped) if case.accepted_on else None,
        legal_chip=_chip(case.legal_due, stopped=stopped) if case.accepted_on else None,
        task_chip=_chip(ab.task.due, stopped=stopped) if ab.task else None,
        notice_end=notice_end,
        on_time=bool(case.completed_at and case.promised_due
                     and timezone.localdate(case.completed_at) <= case.promised_due),
        notice_chip=_chip(notice_end) if notice_end else None,
        special_kinds=forms_staff.special_kinds(),
        delivery_methods=DeliveryMethod.choices,
        today=clock.today(),
        unverified=[m.name for m in materials if m.required and m.status not in (
            CaseMaterialStatus.VERIFIED, CaseMaterialStatus.TOLERATED)],
        error=error,
        errors_for={error["action"]: error} if error else {},
        posted=request.POST if error else {},
    )


@require_GET
@staff_page(*VIEW_PERMS)
def case_detail(request: HttpRequest, case_no: str) -> HttpResponse:
    case = _case_or_404(request.user, case_no)
    return render(request, "cases/staff_case.html", _case_context(request, case))


# --- actions ----------------------------------------------------------------------------------


def _expected(request: HttpRequest) -> int | None:
    raw = request.POST.get("expected_version", "").strip()
    return int(raw) if raw.isdigit() else None


def _same_version(request: HttpRequest, case: Case) -> None:
    """For services without ``expected_version``: the form must be of the current version."""
    expected = _expected(request)
    if expected is not None and expected != case.row_version:
        raise Conflict(_(STALE), code="stale_version")


def _clean(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise ValidationFailed(_("请检查标红的字段。"),
                               field_errors={k: list(v) for k, v in form.errors.items()})
    return cast(dict[str, Any], form.cleaned_data)


def _field(name: str, message: str) -> DomainError:
    return ValidationFailed(message, field_errors={name: [message]})


def _material_name(case: Case, pk: int | None) -> str:
    row = next((m for m in case.materials.all() if m.pk == pk), None)
    return row.name if row else ""


def _listed(request: HttpRequest, box: str) -> list[dict[str, Any]]:
    """Ticked materials (``box``) with their notes (``note_<id>``)."""
    out = []
    for raw in request.POST.getlist(box):
        if raw.isdigit():
            out.append({"id": int(raw), "note": request.POST.get(f"note_{raw}", "")})
    return out


Handler = Callable[[HttpRequest, Case, Abilities], str]


def _do_check(request: HttpRequest, case: Case, ab: Abilities) -> str:
    data = _clean(forms_staff.CheckMaterialForm(request.POST))
    row = services.case_check_material(
        actor=request.user, case=case, material_id=data["material"] or 0,
        verdict=data["verdict"], note=data["note"],
    )
    return _("“%(n)s”：%(s)s。") % {"n": row.name, "s": row.get_status_display()}


def _do_check_all(request: HttpRequest, case: Case, ab: Abilities) -> str:
    _same_version(request, case)
    todo = [m for m in case.materials.all()
            if m.status in (CaseMaterialStatus.PENDING, CaseMaterialStatus.PROVIDED)]
    for m in todo:
        services.case_check_material(actor=request.user, case=case, material_id=m.pk,
                                     verdict=CaseMaterialStatus.VERIFIED)
    return _("已核验 %(n)d 份材料。") % {"n": len(todo)}


def _do_accept(request: HttpRequest, case: Case, ab: Abilities) -> str:
    done = services.case_accept(actor=request.user, case=case,
                                expected_version=_expected(request))
    return _("已受理，已出具受理通知书；承诺办结日期 %(d)s。") % {"d": done.promised_due}


def _do_accept_tolerant(request: HttpRequest, case: Case, ab: Abilities) -> str:
    chosen = [raw for raw in request.POST.getlist("tolerated") if raw.isdigit()]
    if not chosen:
        raise _field("tolerated", _("请勾选容缺的材料并填写承诺补交日期。"))
    entries = [{"id": int(raw), "promised_by": request.POST.get(f"promised_by_{raw}", "")}
               for raw in chosen]
    done = services.case_accept(actor=request.user, case=case, tolerated=entries,
                                expected_version=_expected(request))
    return _("已容缺受理，已出具受理通知书和容缺受理告知承诺书；承诺办结日期 %(d)s。") % {
        "d": done.promised_due}


def _do_supplement(request: HttpRequest, case: Case, ab: Abilities) -> str:
    data = _clean(forms_staff.OtherForm(request.POST))
    notice = services.case_request_supplement(
        actor=request.user, case=case, materials=_listed(request, "missing"),
        other=data["other"], expected_version=_expected(request),
    )
    return _("已出具补正材料通知书 %(no)s（一次性告知）。") % {"no": notice.number}


def _do_refuse(request: HttpRequest, case: Case, ab: Abilities) -> str:
    data = _clean(forms_staff.RefuseForm(request.POST))
    notice = services.case_refuse(actor=request.user, case=case, reason=data["reason"],
                                  refer_to=data["refer_to"],
                                  expected_version=_expected(request))
    return _("已不予受理，已出具不予受理通知书 %(no)s。") % {"no": notice.number}


def _do_on_spot(request: HttpRequest, case: Case, ab: Abilities) -> str:
    data = _clean(forms_staff.OnSpotForm(request.POST))
    services.case_decide_on_spot(
        actor=request.user, case=case, approve=data["decision"] == "approve",
        opinion=data["opinion"], delivery_method=data["delivery_method"] or DeliveryMethod.WINDOW,
        expected_version=_expected(request),
    )
    return _("已当场办结。")


def _task(ab: Abilities) -> Task:
    assert ab.task is not None  # _require made sure
    return ab.task


def _do_pass(request: HttpRequest, case: Case, ab: Abilities) -> str:
    _same_version(request, case)
    data = _clean(forms_staff.PassForm(request.POST))
    nxt = services.task_pass(actor=request.user, task=_task(ab), opinion=data["opinion"])
    return _("已通过，转至“%(n)s”环节。") % {"n": nxt.name}


def _do_return(request: HttpRequest, case: Case, ab: Abilities) -> str:
    _same_version(request, case)
    data = _clean(forms_staff.ReturnForm(request.POST))
    if data["to_seq"] is None:
        raise _field("to_seq", _("请选择退回到哪个环节。"))
    target = services.task_return(actor=request.user, task=_task(ab), to_seq=data["to_seq"],
                                  reason=data["reason"])
    return _("已退回至“%(n)s”环节。") % {"n": target.name}


def _do_request_more(request: HttpRequest, case: Case, ab: Abilities) -> str:
    _same_version(request, case)
    data = _clean(forms_staff.OtherForm(request.POST))
    notice = services.task_request_more(
        actor=request.user, task=_task(ab), materials=_listed(request, "missing"),
        other=data["other"], days=data["days"] or 0,
    )
    return _("已要求补正，办理时限暂停计算；已出具补正材料通知书 %(no)s。") % {"no": notice.number}


def _do_special(request: HttpRequest, case: Case, ab: Abilities) -> str:
    _same_version(request, case)
    data = _clean(forms_staff.SpecialForm(request.POST))
    if data["expected_days"] is None:
        raise _field("expected_days", _("请填写预计所需的工作日数。"))
    notice = services.task_start_special(actor=request.user, task=_task(ab), kind=data["kind"],
                                         reason=data["reason"],
                                         expected_days=data["expected_days"])
    return _("已启动特别程序，办理时限暂停计算；已出具特别程序告知书 %(no)s。") % {
        "no": notice.number}


def _do_decide(request: HttpRequest, case: Case, ab: Abilities) -> str:
    _same_version(request, case)
    data = _clean(forms_staff.DecideForm(request.POST))
    approve = data["decision"] == "approve"
    notice = services.task_decide(actor=request.user, task=_task(ab), approve=approve,
                                  reason=data["reason"])
    return _("已作出%(d)s决定，已出具%(t)s %(no)s。") % {
        "d": _("准予许可") if approve else _("不予许可"),
        "t": notice.get_kind_display(), "no": notice.number}


def _do_opinion(request: HttpRequest, case: Case, ab: Abilities) -> str:
    data = _clean(forms_staff.OpinionForm(request.POST))
    agree = data["decision"] == "approve"
    task = services.task_opinion(actor=request.user, task=_task(ab), agree=agree,
                                 opinion=data["opinion"])
    return _("已反馈%(d)s意见（%(dep)s），牵头部门将汇总各部门意见后作出决定。") % {
        "d": _("同意") if agree else _("不同意"), "dep": task.department.name}


def _do_forward(request: HttpRequest, case: Case, ab: Abilities) -> str:
    hop = services.case_forward(actor=request.user, case=case,
                                note=request.POST.get("note", "")[:500],
                                preliminary=request.POST.get("preliminary") == "1")
    return _("已转报%(to)s，应于 %(due)s 前接收。") % {"to": hop.to_region.name, "due": hop.due}


def _do_receive_hop(request: HttpRequest, case: Case, ab: Abilities) -> str:
    assert ab.pending_hop is not None  # _require made sure
    hop = services.hop_receive(actor=request.user, hop=ab.pending_hop)
    return _("已接收（%(kind)s）。") % {"kind": hop.get_kind_display()}


def _do_resume(request: HttpRequest, case: Case, ab: Abilities) -> str:
    _same_version(request, case)
    data = _clean(forms_staff.ResumeForm(request.POST))
    done = services.case_resume(actor=request.user, case=case, result=data["result"])
    return _("已恢复计时，承诺办结日期顺延至 %(d)s。") % {"d": done.promised_due}


def _do_extend(request: HttpRequest, case: Case, ab: Abilities) -> str:
    _same_version(request, case)
    data = _clean(forms_staff.ExtendForm(request.POST))
    if data["days"] is None:
        raise _field("days", _("请填写延长的工作日数（1 至 10）。"))
    notice = services.case_extend(actor=request.user, case=case, days=data["days"],
                                  reason=data["reason"])
    return _("已延期，已出具延期告知书 %(no)s。") % {"no": notice.number}


def _do_supply_tolerated(request: HttpRequest, case: Case, ab: Abilities) -> str:
    data = _clean(forms_staff.MaterialForm(request.POST))
    row = services.case_supply_tolerated(actor=request.user, case=case,
                                         material_id=data["material"] or 0)
    return _("已收取容缺材料“%(n)s”。") % {"n": row.name}


def _do_deliver(request: HttpRequest, case: Case, ab: Abilities) -> str:
    data = _clean(forms_staff.DeliverForm(request.POST))
    services.case_deliver(actor=request.user, case=case, method=data["method"],
                          tracking_no=data["tracking_no"],
                          identity_checked=data["identity_checked"],
                          expected_version=_expected(request))
    return _("已出件，办件已办结。")


HANDLERS: dict[str, Handler] = {
    "check": _do_check, "check_all": _do_check_all, "accept": _do_accept,
    "accept_tolerant": _do_accept_tolerant, "supplement": _do_supplement,
    "refuse": _do_refuse, "on_spot": _do_on_spot, "pass": _do_pass, "return": _do_return,
    "request_more": _do_request_more, "special": _do_special, "decide": _do_decide,
    "opinion": _do_opinion, "forward": _do_forward, "receive_hop": _do_receive_hop,
    "resume": _do_resume, "extend": _do_extend, "supply_tolerated": _do_supply_tolerated,
    "deliver": _do_deliver,
}


def _error(action: str, exc: DomainError, request: HttpRequest) -> dict[str, Any]:
    message = _(STALE) if exc.code == "stale_version" else exc.message
    fields = dict(exc.field_errors)
    # Material-level errors come back as "materials.<id>" or "material".
    material = None
    raw = request.POST.get("material", "")
    if action in ("check", "supply_tolerated") and raw.isdigit():
        material = int(raw)
    return {"action": action, "message": message, "fields": fields, "code": exc.code,
            "status": exc.status, "material": material}


@require_POST
@staff_page(*VIEW_PERMS)
def case_action(request: HttpRequest, case_no: str, action: str) -> HttpResponse:
    if action not in HANDLERS:
        raise Http404(_("没有这个操作。"))
    case = _case_or_404(request.user, case_no)
    ab = _abilities(request.user, case)
    try:
        _require(request.user, action, ab)
        message = HANDLERS[action](request, case, ab)
    except DomainError as exc:
        logger.info("case %s: %s refused (%s)", case.case_no, action, exc.code)
        if action == "check_all":
            # Some materials may have been verified before the failure: show the truth.
            case = _case_or_404(request.user, case_no)
            ab = _abilities(request.user, case)
        context = _case_context(request, case, ab=ab, error=_error(action, exc, request))
        return render(request, "cases/staff_case.html", context, status=exc.status)
    messages.success(request, message)
    anchor = "#materials" if action in ("check", "supply_tolerated") else ""
    return redirect(f"/workbench/cases/{case.case_no}/{anchor}")


# --- files ------------------------------------------------------------------------------------


@require_GET
@staff_page(*VIEW_PERMS)
def material_file(request: HttpRequest, case_no: str, material_id: int) -> HttpResponseBase:
    """A material's file, for staff who may see the case (never a public media URL)."""
    case = _case_or_404(request.user, case_no)
    row: CaseMaterial | None = next(
        (m for m in case.materials.all() if m.pk == material_id), None)
    if row is None or not row.file:
        raise Http404(_("这份材料没有电子文件。"))
    try:
        handle = row.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("文件已不存在。")) from exc
    name = row.file_name or f"{row.name}"
    response = FileResponse(handle, content_type=row.content_type or "application/octet-stream",
                            as_attachment=request.GET.get("download") == "1", filename=name)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@staff_page(*VIEW_PERMS)
def notice_pdf(request: HttpRequest, case_no: str, notice_id: int) -> HttpResponse:
    case = _case_or_404(request.user, case_no)
    try:
        notice = selectors.notice_for_user(user=request.user, case=case, notice_id=notice_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    from onewindow.cases.pdf import render_notice

    response = HttpResponse(render_notice(notice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
