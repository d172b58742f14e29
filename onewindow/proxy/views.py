"""代办服务 pages: the agent's phone workbench and the public list of proxy items.

Agents (``case.apply_as_agent``) find or register a villager, record the villager's consent,
pick an item of the published list, fill the form, record the paper materials and submit; then
they record each step until the result is in the villager's hands. The management office
(``supervise``) reads every proxy case beneath it. Everybody else gets the 403 page; a proxy
case out of scope is a 404.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.accounts import access
from onewindow.accounts import services as account_services
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Applicant, ApplicantKind
from onewindow.cases import files as case_files
from onewindow.cases.forms import ApplicationForm, prefill
from onewindow.cases.services import Upload
from onewindow.cases.workflow import CaseState
from onewindow.catalog.views import current_site
from onewindow.core import clock
from onewindow.core.errors import DomainError, NotFound, ValidationFailed
from onewindow.core.web import flash_error
from onewindow.proxy import forms, selectors, services
from onewindow.proxy.models import ConsentMethod, ProxyConsent, ProxyStep
from onewindow.proxy.workflow import NEXT_STEP, RESULT_STATES, TRANSITIONS, Stage, Step
from onewindow.regions.models import Region

View = Callable[..., HttpResponseBase]
EXTRA_MATERIAL_ROWS = 2


# --- access -----------------------------------------------------------------------------------


def _nav(user: Any) -> list[dict[str, str]]:
    links = [{"label": _("工作台首页"), "url": "/workbench/"}]
    if access.has_any(user, Perm.CASE_APPLY_AS_AGENT):
        links += [{"label": _("我的代办"), "url": "/workbench/proxy/"},
                  {"label": _("新建代办"), "url": "/workbench/proxy/new/"}]
    elif access.has_any(user, Perm.SUPERVISE):
        links.append({"label": _("代办情况"), "url": "/workbench/proxy/"})
    links.append({"label": _("代办事项清单"), "url": "/proxy/items/"})
    return links


def _denied(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return render(request, "proxy/denied.html", {
        "nav": _nav(request.user),
        "message": message or _("代办服务页面仅对代办员和监督管理部门开放。"),
    }, status=403)


def proxy_page(*, agent_only: bool = False) -> Callable[[View], View]:
    """Sign-in required; then an agent (or, unless ``agent_only``, the management office)."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "accounts:login")
            if agent_only and not access.has_any(user, Perm.CASE_APPLY_AS_AGENT):
                return _denied(request, _("只有代办员可以代办申请。"))
            if not selectors.may_use_workbench(user):
                return _denied(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _get(user: Any, pk: int) -> ProxyConsent:
    try:
        return selectors.proxy_get(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _own(user: Any, pk: int) -> ProxyConsent:
    """A proxy case the user works on as its agent (others: 404, even supervisors)."""
    consent = _get(user, pk)
    if not selectors.is_agent_of(user, consent):
        raise Http404(_("没有找到这件代办。"))
    return consent


def _ctx(request: HttpRequest, **kw: Any) -> dict[str, Any]:
    return {"nav": _nav(request.user), **kw}


def _errors_into(form: Any, exc: DomainError) -> None:
    placed = False
    for key, msgs in exc.field_errors.items():
        name = key.removeprefix("form.")
        if name in form.fields:
            for m in msgs:
                form.add_error(name, m)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _upload(request: HttpRequest, name: str = "file") -> Upload | None:
    file = request.FILES.get(name)
    if file is None:
        return None
    return Upload(name=file.name or "", data=file.read(case_files.max_bytes() + 1))


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# --- what is due next ---------------------------------------------------------------------------


def next_step(consent: ProxyConsent, today: dt.date | None = None) -> dict[str, Any]:
    """The step due next, in words, with its due date and whether it is late or waiting."""
    today = today or clock.today()
    stage = Stage(consent.stage)
    step = NEXT_STEP[stage]
    case = consent.case
    out: dict[str, Any] = {"step": step, "label": "", "due": consent.next_due, "late": False,
                           "waiting": False, "level": "ok"}
    if step is None:
        out["label"] = _("已完成") if stage == Stage.HANDED_OVER else _("已取消")
        out["level"] = "done"
        return out
    out["label"] = {
        Step.CONSENT: _("等待群众告知验证码"),
        Step.MATERIALS_RECEIVED: _("选择事项、填写申请并提交"),
        Step.DELIVERED: _("把纸质材料递交服务中心"),
        Step.COLLECTED: _("领取办理结果"),
        Step.HANDED_OVER: _("把办理结果交给群众"),
    }[step]
    if step == Step.COLLECTED:
        if case is None or case.state not in RESULT_STATES:
            out.update(waiting=True, level="wait",
                       label=_("等待审批（%(s)s）") % {
                           "s": case.get_state_display() if case else ""})
        else:
            out["level"] = "due"
    if consent.next_due is not None and not out["waiting"]:
        if consent.next_due < today:
            out.update(late=True, level="late")
        elif consent.next_due == today:
            out["level"] = "due"
    return out


def _progress(consent: ProxyConsent) -> list[dict[str, Any]]:
    order = list(TRANSITIONS)
    done_upto = -1 if consent.stage in (Stage.PENDING, Stage.CANCELLED) else order.index(
        Step(consent.stage))
    return [{"label": s.label, "done": i <= done_upto, "current": i == done_upto + 1}
            for i, s in enumerate(order)]


# --- the agent's list -----------------------------------------------------------------------------


@require_GET
@proxy_page()
def proxy_list(request: HttpRequest) -> HttpResponse:
    """我的代办 (agents) / 代办情况 (management office): open cases by what is due first."""
    user = request.user
    is_agent = access.has_any(user, Perm.CASE_APPLY_AS_AGENT)
    stage = request.GET.get("stage", "")
    if stage not in Stage.values:
        stage = ""
    after = request.GET.get("after", "")
    rows, cursor = selectors.proxy_cases_for(
        user, stage=stage, open_only=not stage, after=int(after) if after.isdigit() else None,
        limit=100)
    today = clock.today()
    cards: list[dict[str, Any]] = [{"c": r, "next": next_step(r, today)} for r in rows]
    far = dt.date.max
    # Late first, then what can be done now by due date, then what waits for the centre.
    cards.sort(key=lambda x: (not x["next"]["late"], x["next"]["waiting"],
                              x["next"]["due"] or far, -x["c"].pk))
    done, _cursor = selectors.proxy_cases_for(user, stage=Stage.HANDED_OVER, limit=10) \
        if not stage else ([], None)
    more = "?" + urlencode({"stage": stage, "after": cursor}) if cursor else None
    return render(request, "proxy/list.html", _ctx(
        request, cards=cards, done=done, stage=stage, stages=Stage.choices, more=more,
        is_agent=is_agent, region=selectors.agent_region(user) if is_agent else None,
    ))


# --- new proxy application: the villager and the consent --------------------------------------


def _find(q: str) -> list[Applicant]:
    return list(Applicant.objects.filter(Q(id_number=q) | Q(mobile=q) | Q(credit_code=q))
                .order_by("kind", "id")[:10])


@require_http_methods(["GET", "POST"])
@proxy_page(agent_only=True)
def proxy_new(request: HttpRequest) -> HttpResponse:
    """新建代办 on one URL: find or register the villager, then record the consent."""
    user = request.user
    region = selectors.agent_region(user)
    status = 200
    villager: Applicant | None = None
    raw = request.GET.get("villager", "")
    if raw.isdigit():
        villager = Applicant.objects.filter(pk=int(raw)).first()
        if villager is None:
            raise Http404(_("没有找到这位群众。"))
    action = request.POST.get("action", "") if request.method == "POST" else ""

    if villager is None:
        lookup = forms.VillagerLookupForm(request.GET if "q" in request.GET else None)
        found = _find(lookup.cleaned_data["q"]) if lookup.is_bound and lookup.is_valid() else None
        register = forms.VillagerRegisterForm(request.POST if action == "register" else None,
                                              initial=_register_initial(lookup))
        if action == "register" and register.is_valid():
            d = register.cleaned_data
            try:
                villager = account_services.applicant_register(
                    actor=user, kind=ApplicantKind.PERSON, name=d["name"], mobile=d["mobile"],
                    id_number=d["id_number"], region=region)
            except DomainError as exc:
                _errors_into(register, exc)
                status = exc.status
            else:
                messages.success(request, _("已登记群众 %(n)s。") % {"n": villager.masked_name})
                return redirect(f"{request.path}?{urlencode({'villager': villager.pk})}")
        elif action:
            status = 422
        return render(request, "proxy/new.html", _ctx(
            request, step=1, lookup=lookup, found=found, register=register, region=region,
        ), status=status)

    sms = forms.SmsConsentForm(request.POST if action == "sms" else None)
    paper = forms.PaperConsentForm(request.POST if action == "paper" else None,
                                   request.FILES if action == "paper" else None)
    witness = forms.WitnessConsentForm(request.POST if action == "witness" else None)
    if action:
        try:
            if action == "sms" and sms.is_valid():
                consent = services.consent_send_code(actor=user, villager=villager,
                                                     mobile=sms.cleaned_data["mobile"])
                messages.success(request, _("验证码已发送到 %(m)s，请群众把验证码告诉您。")
                                 % {"m": villager.masked_mobile})
                return redirect("proxy:consent", pk=consent.pk)
            if action == "paper" and paper.is_valid():
                consent = services.consent_record_paper(actor=user, villager=villager,
                                                        upload=_upload(request))
                messages.success(request, _("已上传签字委托书，委托已确认。"))
                return redirect("proxy:apply", pk=consent.pk)
            if action == "witness" and witness.is_valid():
                d = witness.cleaned_data
                consent = services.consent_record_witness(
                    actor=user, villager=villager, witness_name=d["witness_name"],
                    witness_relation=d["witness_relation"])
                messages.success(request, _("已记录当面委托，委托已确认。"))
                return redirect("proxy:apply", pk=consent.pk)
            status = 422
        except DomainError as exc:
            target = {"sms": sms, "paper": paper, "witness": witness}.get(action)
            if target is not None:
                _errors_into(target, exc)
            else:
                flash_error(request, exc)
            status = exc.status
    return render(request, "proxy/new.html", _ctx(
        request, step=2, villager=villager, region=region, sms=sms, paper=paper,
        witness=witness, open_method=action or "sms",
        consent_text=services._consent_text(villager=villager, agent=user, region=region)
        if region else "",
    ), status=status)


def _register_initial(lookup: Any) -> dict[str, Any]:
    if not (lookup.is_bound and lookup.is_valid()):
        return {}
    q = lookup.cleaned_data["q"]
    if len(q) == 11 and q.isdigit():
        return {"mobile": q}
    if len(q) == 18:
        return {"id_number": q}
    return {}


@require_http_methods(["GET", "POST"])
@proxy_page(agent_only=True)
def proxy_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """委托确认: the code the villager tells the agent; resend; cancel."""
    user = request.user
    consent = _own(user, pk)
    if consent.stage != Stage.PENDING:
        return redirect("proxy:apply" if consent.stage == Stage.CONSENT else "proxy:detail",
                        pk=consent.pk)
    form = forms.CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "resend":
                services.consent_send_code(actor=user, villager=None, mobile=consent.mobile,
                                           consent=consent)
                messages.success(request, _("验证码已重新发送。"))
                return redirect("proxy:consent", pk=consent.pk)
            if action == "cancel":
                services.consent_cancel(actor=user, consent=consent,
                                        reason=request.POST.get("reason", "")[:300])
                messages.success(request, _("已取消这件代办。"))
                return redirect("proxy:list")
            if form.is_valid():
                services.consent_confirm_code(actor=user, consent=consent,
                                              code=form.cleaned_data["code"])
                messages.success(request, _("群众已确认委托。"))
                return redirect("proxy:apply", pk=consent.pk)
            status = 422
        except DomainError as exc:
            _errors_into(form, exc)
            status = exc.status
    return render(request, "proxy/consent.html", _ctx(request, consent=consent, form=form),
                  status=status)


# --- new proxy application: the item, the form and the materials ------------------------------


def _material_rows(request: HttpRequest, version: Any) -> tuple[list[dict[str, Any]],
                                                               list[dict[str, Any]]]:
    """The item's materials with the copies typed (or defaults), and the extra rows."""
    posted = request.method == "POST"
    rows = []
    for m in version.materials.all():
        default = 1 if m.required else 0
        raw = request.POST.get(f"copies_{m.pk}", "") if posted else str(default)
        rows.append({"m": m, "copies": raw.strip()[:3]})
    extra = []
    for i in range(EXTRA_MATERIAL_ROWS):
        extra.append({"i": i, "name": request.POST.get(f"extra_name_{i}", "")[:100]
                      if posted else "",
                      "copies": request.POST.get(f"extra_copies_{i}", "")[:3] if posted else ""})
    return rows, extra


def _materials_payload(rows: list[dict[str, Any]], extra: list[dict[str, Any]]
                       ) -> list[dict[str, Any]]:
    out = [{"name": r["m"].name, "copies": r["copies"] or "0"} for r in rows]
    out += [{"name": e["name"], "copies": e["copies"] or "1"} for e in extra
            if e["name"].strip()]
    return out


@require_http_methods(["GET", "POST"])
@proxy_page(agent_only=True)
def proxy_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick the item from the published list, fill its form, record the materials, submit."""
    user = request.user
    consent = _own(user, pk)
    if consent.stage == Stage.PENDING:
        return redirect("proxy:consent", pk=consent.pk)
    if consent.stage != Stage.CONSENT:
        return redirect("proxy:detail", pk=consent.pk)
    region = consent.region
    raw_item = request.GET.get("item", "")
    if not raw_item.isdigit():
        search = forms.ItemSearchForm(request.GET)
        q = search.cleaned_data["q"].strip() if search.is_valid() else ""
        items = selectors.items_for_agent(user, region, q=q)
        return render(request, "proxy/apply.html", _ctx(
            request, step=3, consent=consent, search=search, q=q, items=items[:50],
            region=region))
    try:
        chosen = selectors.item_for_agent(user, region, int(raw_item))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    version = chosen.item.current_version
    assert version is not None
    schema = version.form_schema
    rows, extra = _material_rows(request, version)
    note = forms.NoteForm(request.POST if request.method == "POST" else None)
    status = 200
    material_errors: list[str] = []
    if request.method == "POST":
        form = ApplicationForm(schema, request.POST)
        if form.is_valid() and note.is_valid():
            try:
                case = services.proxy_apply(
                    actor=user, consent=consent, proxy_item=chosen, form_data=form.form_data(),
                    materials=_materials_payload(rows, extra), note=note.cleaned_data["note"],
                    ip=_ip(request))
            except DomainError as exc:
                rest = form.add_service_errors(
                    {k: v for k, v in exc.field_errors.items() if not k.startswith("materials")})
                material_errors = [m for k, v in exc.field_errors.items()
                                   if k.startswith("materials") for m in v]
                if rest or not exc.field_errors:
                    form.add_error(None, "；".join(rest) or exc.message)
                elif not material_errors:
                    form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _(
                    "已代为提交申请：办件编号 %(no)s，查询码 %(code)s。已短信告知群众。")
                    % {"no": case.case_no, "code": case.query_code})
                return redirect("proxy:detail", pk=consent.pk)
        else:
            status = 422
    else:
        form = ApplicationForm(schema, initial=prefill(schema, consent.villager))
    return render(request, "proxy/apply.html", _ctx(
        request, step=4, consent=consent, chosen=chosen, version=version, form=form,
        rows=rows, extra=extra, note=note, material_errors=material_errors, region=region,
    ), status=status)


# --- the steps after applying ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@proxy_page()
def proxy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """代办进度: the case, the steps so far and the next step (for its agent)."""
    user = request.user
    consent = _get(user, pk)
    mine = selectors.is_agent_of(user, consent)
    status = 200
    note = forms.NoteForm()
    code_form = forms.CodeForm()
    signature = forms.HandoverSignatureForm()
    if request.method == "POST":
        if not mine:
            raise Http404(_("没有找到这件代办。"))
        action = request.POST.get("action", "")
        try:
            if action in (Step.DELIVERED, Step.COLLECTED):
                note = forms.NoteForm(request.POST)
                if not note.is_valid():
                    raise ValidationFailed(_("请检查标红的字段。"), field_errors={
                        "note": [str(e) for e in note.errors["note"]]})
                services.proxy_step_record(actor=user, consent=consent, step=action,
                                           note=note.cleaned_data["note"])
                messages.success(request, _("已登记：%(s)s。已短信告知群众。")
                                 % {"s": Step(action).label})
                return redirect("proxy:detail", pk=consent.pk)
            if action == "handover_code":
                services.handover_code_send(actor=user, consent=consent)
                messages.success(request, _("确认码已发送到群众手机 %(m)s。")
                                 % {"m": consent.villager.masked_mobile})
                return redirect(f"{request.path}#handover")
            if action == "handover_sms":
                code_form = forms.CodeForm(request.POST)
                code = code_form.cleaned_data["code"] if code_form.is_valid() else ""
                services.proxy_hand_over(actor=user, consent=consent, method="sms", code=code)
                messages.success(request, _("群众已确认收到办理结果，代办完成。"))
                return redirect("proxy:detail", pk=consent.pk)
            if action == "handover_signature":
                signature = forms.HandoverSignatureForm(request.POST, request.FILES)
                if not signature.is_valid():
                    raise ValidationFailed(_("请检查标红的字段。"), field_errors={
                        k: [str(e) for e in v] for k, v in signature.errors.items()})
                services.proxy_hand_over(actor=user, consent=consent, method="signature",
                                         upload=_upload(request),
                                         note=signature.cleaned_data["note"])
                messages.success(request, _("已上传签收回执，代办完成。"))
                return redirect("proxy:detail", pk=consent.pk)
            if action == "cancel":
                services.consent_cancel(actor=user, consent=consent,
                                        reason=request.POST.get("reason", "")[:300])
                messages.success(request, _("已取消这件代办。"))
                return redirect("proxy:list")
            raise NotFound(_("未知的操作。"))
        except DomainError as exc:
            if action == "handover_sms":
                _errors_into(code_form, exc)
            elif action == "handover_signature":
                _errors_into(signature, exc)
            elif "note" in exc.field_errors:
                if not note.errors:  # the service's words (a bound form shows its own)
                    _errors_into(note, exc)
            else:
                flash_error(request, exc)
            status = exc.status
        consent = _get(user, pk)
    steps = selectors.steps_of(consent)
    return render(request, "proxy/detail.html", _ctx(
        request, consent=consent, case=consent.case, steps=steps, mine=mine,
        next=next_step(consent), progress=_progress(consent), note=note, code_form=code_form,
        signature=signature, result_ready=bool(consent.case and
                                               consent.case.state in RESULT_STATES),
        refused=bool(consent.case and consent.case.state == CaseState.REFUSED),
        consent_methods=dict(ConsentMethod.choices),
    ), status=status)


@require_GET
@proxy_page()
def proxy_file(request: HttpRequest, pk: int, which: str) -> HttpResponseBase:
    """The signed consent form (``consent``) or a hand-over receipt (``step-<seq>``)."""
    consent = _get(request.user, pk)
    field: Any = None
    content_type = ""
    if which == "consent" and consent.file:
        field, content_type = consent.file, consent.file_type
    elif which.startswith("step-") and which[5:].isdigit():
        row = ProxyStep.objects.filter(consent=consent, seq=int(which[5:])).first()
        if row is not None and row.file:
            field, content_type = row.file, row.file_type
    if field is None:
        raise Http404(_("没有这个文件。"))
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("文件已不存在。")) from exc
    response = FileResponse(handle, content_type=content_type or "application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    return response


# --- public: the published list -----------------------------------------------------------------


@require_GET
def items_public(request: HttpRequest) -> HttpResponse:
    """全程代办事项清单: what village agents handle for residents, per region, searchable."""
    regions = list(selectors.regions_with_lists())
    code = request.GET.get("region", "")
    region: Region | None = None
    if code.isdigit() and len(code) == 12:
        region = Region.objects.filter(code=code).first()
    elif "region" not in request.GET:
        region = current_site(request)
    # Control characters never belong in a search (and PostgreSQL text cannot hold NUL).
    q = "".join(ch for ch in request.GET.get("q", "") if ch.isprintable()).strip()[:60]
    rows = list(selectors.published_items(region=region, q=q)[:300])
    groups: dict[int, dict[str, Any]] = {}
    for r in rows:
        g = groups.setdefault(r.region_id, {"region": r.region, "rows": []})
        g["rows"].append(r)
    return render(request, "proxy/items_public.html", {
        # The most local list first (the village's own, then the town's, the district's …).
        "groups": sorted(groups.values(),
                         key=lambda g: (-len(g["region"].prefix), g["region"].code)),
        "regions": regions, "region": region, "q": q, "count": len(rows),
        "full_count": sum(1 for r in rows if r.full_proxy),
    })
