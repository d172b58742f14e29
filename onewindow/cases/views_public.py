"""Applicants' pages of cases. Thin: parse, one service or selector, render."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.accounts.models import Applicant
from onewindow.cases import files, notices, selectors, services
from onewindow.cases.forms import (
    ApplicantChoiceForm,
    ApplicationForm,
    LookupForm,
    WithdrawForm,
    display_value,
    initial_value,
    prefill,
    schema_fields,
)
from onewindow.cases.forms_schema import clean_form_data
from onewindow.cases.models import (
    Case,
    CaseMaterial,
    CaseMaterialStatus,
    Certificate,
    ClockStop,
    DeliveryMethod,
    StopKind,
)
from onewindow.cases.numbers import normalise_code
from onewindow.cases.services import Upload
from onewindow.cases.workflow import Action, CaseState, allowed_actions
from onewindow.catalog import selectors as catalog_selectors
from onewindow.core import ratelimit
from onewindow.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from onewindow.core.masking import mask_name
from onewindow.notifications import selectors as note_selectors
from onewindow.notifications.services import notifications_mark_read

# --- Document verification (文书核验): public, no sign-in ---------------------------------

# Verification codes are letters and digits; anything else cannot be one (and never reaches
# the database: a NUL or a 2 KB path segment is simply "not found").
_CODE_RE = re.compile(r"[0-9A-Z]{4,24}")


def verify(request: HttpRequest, code: str) -> HttpResponse:
    """The public page a notice's or certificate's QR code opens.

    Shows what a reader needs to compare the paper with the record — title, number, issuer,
    date, case and item — with the applicant's name masked; 404 when no document has the code.
    """
    normalised = normalise_code(code) if len(code) <= 64 else ""
    notice = certificate = None
    if _CODE_RE.fullmatch(normalised):
        notice = selectors.notice_for_verification(code=normalised)
        if notice is None:
            certificate = selectors.certificate_for_verification(code=normalised)
    context: dict[str, Any] = {"notice": notice, "certificate": certificate}
    if notice is not None:
        content = notice.content or {}
        context.update(
            content=content,
            applicant_masked=mask_name(str(content.get("applicant") or "")),
            intact=notices.digest(content) == notice.digest,
        )
    elif certificate is not None:
        today = timezone.localdate()
        if certificate.revoked_at is not None:
            status = "revoked"
        elif certificate.valid_until is not None and certificate.valid_until < today:
            status = "expired"
        else:
            status = "valid"
        context.update(
            content=certificate.content or {},
            holder_masked=mask_name(certificate.holder.name),
            status=status,
            revoked_on=(timezone.localdate(certificate.revoked_at)
                        if certificate.revoked_at else None),
        )
    found = notice is not None or certificate is not None
    response = render(request, "cases/verify.html", context, status=200 if found else 404)
    response["X-Robots-Tag"] = "noindex"
    return response


# --- the online service hall (网上办事大厅): apply, my cases, lookup, messages -------------------

APPLICANT_LOGIN_URL = "/accounts/applicant/login/"
PAGE_SIZE = 25
LOOKUP_MAX_FAILURES = 10
LOOKUP_WINDOW_SECONDS = 600
STEPS = ((1, gettext_lazy("填写申请表")), (2, gettext_lazy("上传材料")),
         (3, gettext_lazy("确认提交")))
# Conflicts meaning "the case moved on under you": one plain sentence for all of them.
_STALE_CODES = frozenset({"stale_version", "invalid_transition"})
# Timeline wording for the applicant where the action's label reads like staff jargon.
_TIMELINE_LABELS = {
    Action.CREATE: gettext_lazy("创建申请（草稿）"),
    Action.SUPPLY: gettext_lazy("提交补正材料"),
    Action.REQUEST_MORE: gettext_lazy("审查中要求补正材料（暂停计时）"),
}


def _signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Applicants sign in by SMS code; anonymous visitors go there and come back."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), APPLICANT_LOGIN_URL)
        return view(request, *args, **kwargs)

    return wrapper


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _error_text(exc: DomainError) -> str:
    """The message a page shows for a domain error (a conflict says: refresh)."""
    if isinstance(exc, Conflict) and exc.code in _STALE_CODES:
        return _("已被其他人处理，请刷新页面后查看最新状态。")
    return exc.message


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _case_or_404(request: HttpRequest, case_no: str) -> Case:
    """The signed-in user's case; someone else's is the same 404 as a wrong number."""
    try:
        return selectors.case_get_for_applicant(user=request.user, case_no=case_no)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _upload(file: UploadedFile) -> Upload:
    # Never read more than the limit (plus one byte, so the service reports "too large").
    return Upload(name=file.name or "", data=file.read(files.max_bytes() + 1))


def _edit_url(case: Case, step: int = 1) -> str:
    return f"{reverse('cases:edit', args=[case.case_no])}?step={step}"


def _detail_url(case: Case, anchor: str = "") -> str:
    return reverse("cases:detail", args=[case.case_no]) + (f"#{anchor}" if anchor else "")


# --- timeline and deadlines (shared by my case and the public lookup) ---------------------------


@dataclass(frozen=True, slots=True)
class TimelineRow:
    label: str
    role: str
    unit: str
    at: dt.datetime
    detail: str


def _event_detail(action: str, data: dict[str, Any]) -> str:
    """One short line about an event, from data the applicant is told anyway (no names)."""
    if action in (Action.REQUEST_SUPPLEMENT, Action.REQUEST_MORE):
        names = "、".join(str(m.get("name", "")) for m in data.get("materials") or [])
        other = str(data.get("other") or "")
        # Everything the notice told at once: the materials and the other matters, both.
        parts = ([_("需补正：%(n)s") % {"n": names}] if names else []) + ([other] if other else [])
        return "；".join(parts)
    if action == Action.REFUSE:
        return _("理由：%(r)s") % {"r": data.get("reason", "")}
    if action in (Action.ACCEPT, Action.ACCEPT_TOLERANT, Action.DEEM_ACCEPTED):
        return _("承诺办结日期：%(d)s") % {"d": data.get("promised_due") or "—"}
    if action == Action.SUPPLY_TOLERATED:
        return str(data.get("material", ""))
    if action == Action.EXTEND:
        return _("延长 %(n)s 个工作日") % {"n": data.get("days", "")}
    if action == Action.RESUME and data.get("promised_due"):
        return _("办结日期顺延至 %(d)s") % {"d": data["promised_due"]}
    if action == Action.START_SPECIAL and data.get("procedure") in StopKind.values:
        return str(StopKind(data["procedure"]).label)
    if action == Action.DELIVER and data.get("method") in DeliveryMethod.values:
        return str(DeliveryMethod(data["method"]).label)
    return ""


def _timeline(case: Case) -> list[TimelineRow]:
    """The public events, newest first: what happened, in which role and unit, when."""
    rows = []
    for event in selectors.timeline(case, for_applicant=True):
        label = _TIMELINE_LABELS.get(event.action)  # type: ignore[call-overload]
        if event.action == Action.PASS and (event.data or {}).get("step"):
            label = _("%(step)s通过，转入%(next)s") % {
                "step": event.data["step"], "next": event.data.get("next") or _("下一环节")}
        if label is None:
            label = Action(event.action).label if event.action in Action.values else event.action
        rows.append(TimelineRow(
            label=str(label), role=event.actor_role, unit=event.actor_unit,
            at=event.created_at, detail=_event_detail(event.action, event.data or {}),
        ))
    rows.reverse()
    return rows


def _urgency(case: Case) -> selectors.Urgency | None:
    if case.state not in (CaseState.IN_REVIEW, CaseState.SUSPENDED):
        return None
    return selectors.urgency(case.promised_due, stopped=case.state == CaseState.SUSPENDED)


def _open_stop(case: Case) -> ClockStop | None:
    return next((s for s in case.stops.all() if s.ended_on is None), None)


@dataclass(frozen=True, slots=True)
class NextStep:
    label: str
    url: str


def _next_step(case: Case, materials: list[CaseMaterial]) -> NextStep | None:
    """The next thing the applicant must do on ``case`` (None: nothing, just wait)."""
    if case.state == CaseState.DRAFT:
        return NextStep(_("继续填写"), _edit_url(case))
    missing = any(m.status == CaseMaterialStatus.MISSING for m in materials)
    if case.state == CaseState.AWAITING_SUPPLEMENT or (
        case.state == CaseState.SUSPENDED and missing
    ):
        return NextStep(_("补正材料"), _detail_url(case, "act"))
    if case.state in _TOLERATED_STATES and any(
        m.status == CaseMaterialStatus.TOLERATED for m in materials
    ):
        return NextStep(_("补交容缺材料"), _detail_url(case, "act"))
    return None


_TOLERATED_STATES = frozenset({CaseState.IN_REVIEW, CaseState.SUSPENDED, CaseState.DECIDED})
_WAITING_TEXT: dict[str, Any] = {
    CaseState.SUBMITTED: gettext_lazy("等待窗口受理"),
    CaseState.IN_REVIEW: gettext_lazy("审批中，请耐心等待"),
    CaseState.SUSPENDED: gettext_lazy("特别程序中，请留意通知"),
    CaseState.DECIDED: gettext_lazy("等待领取结果"),
}


# --- 1. apply: choose the identity, create the draft ---------------------------------------------


@_signed_in
@require_http_methods(["GET", "POST"])
def apply_start(request: HttpRequest, implementation_code: str) -> HttpResponse:
    try:
        item = catalog_selectors.item_get_public(implementation_code=implementation_code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    user = request.user
    applicants = list(Applicant.objects.filter(user_id=cast(int, user.pk)).order_by("id"))
    if not applicants:
        messages.info(request, _("在线申请前，请先完善实名信息。"))
        return redirect("accounts:applicant_profile")
    version = item.current_version
    assert version is not None
    drafts = list(
        selectors.cases_for_applicant(user=user).filter(item=item, state=CaseState.DRAFT)[:3]
    )
    form = ApplicantChoiceForm(applicants, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        applicant = form.chosen()
        try:
            try:
                case = services.case_create(
                    actor=user, item=item, applicant=applicant,
                    form_data=prefill(version.form_schema, applicant), ip=_ip(request),
                )
            except ValidationFailed:
                case = services.case_create(actor=user, item=item, applicant=applicant,
                                            ip=_ip(request))
        except DomainError as exc:
            form.add_error(None, _error_text(exc))
            status = exc.status
        else:
            messages.success(
                request,
                _("已创建申请草稿（办件编号 %(no)s）。填写的内容随时保存，可稍后在“我的办件”继续。")
                % {"no": case.case_no},
            )
            return redirect(_edit_url(case))
    elif request.method == "POST":
        status = 422
    return render(request, "cases/apply_start.html", {
        "item": item, "version": version, "materials": list(version.materials.all()),
        "form": form, "drafts": drafts, "steps": STEPS, "step": 0,
    }, status=status)


# --- 1. apply: the wizard (填写申请表 → 上传材料 → 确认提交) ------------------------------------


@dataclass
class MaterialRow:
    m: CaseMaterial
    errors: list[str]
    earlier: list[CaseMaterial]
    certificates: list[Certificate]


_NAME_NOISE = re.compile(r"[（(][^）)]*[）)]|复印件|原件|副本|正本|电子证照|\s")


def _names_match(material: str, certificate: str) -> bool:
    """Whether a certificate can stand for a material: one name contains the other, once
    notes like （个体工商户） or 复印件 are left out (营业执照复印件 ↔ 营业执照（个体工商户））.
    """
    a, b = _NAME_NOISE.sub("", material), _NAME_NOISE.sub("", certificate)
    return bool(a and b) and (a in b or b in a)


def _bound_from_stored(case: Case) -> ApplicationForm:
    schema = schema_fields(case.version.form_schema)
    data = {f["name"]: initial_value(f, case.form_data.get(f["name"], "")) for f in schema}
    form = ApplicationForm(schema, data)
    form.is_valid()
    return form


def _render_wizard(request: HttpRequest, case: Case, step: int, *,
                   form: ApplicationForm | None = None,
                   row_errors: dict[int, list[str]] | None = None,
                   top_error: str = "", status: int = 200) -> HttpResponse:
    schema = schema_fields(case.version.form_schema)
    current_version = Case.objects.filter(pk=case.pk).values_list("row_version", flat=True).first()
    if form is None:
        initial: dict[str, Any] = {
            f["name"]: initial_value(f, case.form_data.get(f["name"])) for f in schema
        }
        initial["row_version"] = current_version
        form = ApplicationForm(schema, initial=initial)
    else:
        data = dict(form.data.items())
        data["row_version"] = str(current_version)
        form.data = data
    materials = list(case.materials.all())
    rows: list[MaterialRow] = []
    if step == 2:
        for m in materials:
            earlier, certificates = services.reusable_sources(applicant=case.applicant,
                                                              name=m.name)
            seen: set[str] = set()
            distinct = []
            for e in earlier:  # the same file handed in for several cases is offered once
                if e.case_id != case.pk and e.sha256 not in seen:
                    seen.add(e.sha256)
                    distinct.append(e)
            rows.append(MaterialRow(
                m=m, errors=(row_errors or {}).get(m.pk, []), earlier=distinct[:3],
                certificates=[c for c in certificates if _names_match(m.name, c.name)],
            ))
    summary: list[tuple[str, str]] = []
    form_problems: list[str] = []
    if step == 3:
        summary = [(f.get("label") or f["name"], display_value(f, case.form_data.get(f["name"])))
                   for f in schema]
        try:
            clean_form_data(schema, case.form_data, complete=True)
        except ValidationFailed as exc:
            form_problems = [m for msgs in exc.field_errors.values() for m in msgs]
    missing = [m for m in materials if m.required and not m.tolerable and not m.has_content]
    return render(request, "cases/apply_wizard.html", {
        "case": case, "item": case.item, "step": step, "steps": STEPS, "form": form,
        "materials": materials, "rows": rows, "summary": summary,
        "form_problems": form_problems, "missing": missing, "top_error": top_error,
        "row_version": current_version,
    }, status=status)


@_signed_in
@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, case_no: str) -> HttpResponse:
    case = _case_or_404(request, case_no)
    if case.state != CaseState.DRAFT:
        messages.info(request, _("该办件已提交，不能再修改申请表；如需补正，请按页面提示操作。"))
        return redirect(_detail_url(case))
    step = _int(request.POST.get("step") or request.GET.get("step")) or 1
    step = step if step in (1, 2, 3) else 1
    if request.method == "GET":
        return _render_wizard(request, case, step)
    action = request.POST.get("action", "")
    if action in ("save", "next"):
        return _post_form(request, case, go_next=action == "next")
    if action == "upload":
        return _post_upload(request, case)
    if action == "reuse":
        return _post_reuse(request, case)
    if action == "submit":
        return _post_submit(request, case)
    return redirect(_edit_url(case, step))


def _post_form(request: HttpRequest, case: Case, *, go_next: bool) -> HttpResponse:
    schema = case.version.form_schema
    form = ApplicationForm(schema, request.POST)
    if not form.is_valid():
        return _render_wizard(request, case, 1, form=form, status=422,
                              top_error=_("申请表有误，请检查标红的字段。"))
    data = form.form_data()
    try:
        services.case_save_form(actor=request.user, case=case, form_data=data,
                                expected_version=form.cleaned_data.get("row_version"))
    except ValidationFailed as exc:
        rest = form.add_service_errors(exc.field_errors)
        bad = {k.removeprefix("form.") for k in exc.field_errors if k.startswith("form.")}
        top = exc.message
        if bad:
            # Keep the rest of the draft: save the fields that are right, flag the others.
            try:
                services.case_save_form(actor=request.user, case=case, form_data={
                    k: v for k, v in data.items() if k not in bad})
            except DomainError:
                pass
            else:
                top = _("标红的字段有误，请修改；其余内容已保存为草稿。")
        if go_next:  # also flag the required fields still empty, all at once
            try:
                clean_form_data(schema, data, complete=True)
            except ValidationFailed as more:
                form.add_service_errors({k: v for k, v in more.field_errors.items()
                                         if k not in exc.field_errors})
        return _render_wizard(request, case, 1, form=form, status=exc.status,
                              top_error=" ".join([top, *rest]))
    except DomainError as exc:
        return _render_wizard(request, case, 1, form=form, status=exc.status,
                              top_error=_error_text(exc))
    if go_next:
        try:
            clean_form_data(schema, data, complete=True)
        except ValidationFailed as exc:
            form.add_service_errors(exc.field_errors)
            return _render_wizard(request, case, 1, form=form, status=422, top_error=_(
                "草稿已保存。请填写标红的必填项后再进入下一步。"))
        messages.success(request, _("申请表已保存。"))
        return redirect(_edit_url(case, 2))
    messages.success(request, _("草稿已保存。"))
    return redirect(_edit_url(case, 1))


def _post_upload(request: HttpRequest, case: Case) -> HttpResponse:
    material_id = _int(request.POST.get("material")) or 0
    file = request.FILES.get("file")
    if file is None:
        return _render_wizard(request, case, 2, status=422,
                              row_errors={material_id: [_("请选择要上传的文件。")]})
    try:
        row = services.case_attach_material(actor=request.user, case=case,
                                            material_id=material_id, upload=_upload(file))
    except DomainError as exc:
        return _render_wizard(request, case, 2, status=exc.status,
                              row_errors={material_id: [_error_text(exc)]})
    messages.success(request, _("“%(n)s”已上传。") % {"n": row.name})
    return redirect(_edit_url(case, 2) + f"#m-{row.pk}")


def _post_reuse(request: HttpRequest, case: Case) -> HttpResponse:
    material_id = _int(request.POST.get("material")) or 0
    try:
        row = services.case_reuse_material(
            actor=request.user, case=case, material_id=material_id,
            source_material_id=_int(request.POST.get("source")),
            certificate_id=_int(request.POST.get("certificate")),
        )
    except DomainError as exc:
        return _render_wizard(request, case, 2, status=exc.status,
                              row_errors={material_id: [_error_text(exc)]})
    messages.success(request, _("“%(n)s”已使用%(o)s。") % {
        "n": row.name, "o": row.get_origin_display()})
    return redirect(_edit_url(case, 2) + f"#m-{row.pk}")


def _post_submit(request: HttpRequest, case: Case) -> HttpResponse:
    try:
        services.case_submit(actor=request.user, case=case, ip=_ip(request),
                             expected_version=_int(request.POST.get("row_version")))
    except ValidationFailed as exc:
        if any(k.startswith("form.") for k in exc.field_errors):
            form = _bound_from_stored(case)
            form.add_service_errors(exc.field_errors)
            return _render_wizard(request, case, 1, form=form, status=exc.status,
                                  top_error=_("请先完善申请表中标红的字段，再提交。"))
        if exc.code == "materials_missing":
            return _render_wizard(request, case, 2, status=exc.status, top_error=exc.message)
        return _render_wizard(request, case, 3, status=exc.status, top_error=exc.message)
    except DomainError as exc:
        return _render_wizard(request, case, 3, status=exc.status, top_error=_error_text(exc))
    return redirect("cases:submitted", case_no=case.case_no)


@_signed_in
@require_GET
def case_submitted(request: HttpRequest, case_no: str) -> HttpResponse:
    """提交成功: the case number, the query code to keep, and what happens next."""
    case = _case_or_404(request, case_no)
    if case.state == CaseState.DRAFT:
        return redirect(_edit_url(case, 3))
    return render(request, "cases/apply_done.html", {
        "case": case, "item": case.item, "steps": STEPS, "step": 4,
        "centre": notices.centre_name(case),
    })


# --- 2. my cases ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseRow:
    case: Case
    urgency: selectors.Urgency | None
    next_step: NextStep | None
    waiting: str


@_signed_in
@require_GET
def my_cases(request: HttpRequest) -> HttpResponse:
    cases = selectors.cases_for_applicant(user=request.user).prefetch_related(
        Prefetch("materials", queryset=CaseMaterial.objects.only("id", "case_id", "status"))
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for case in page.object_list:
        materials = list(case.materials.all())
        rows.append(CaseRow(case=case, urgency=_urgency(case),
                            next_step=_next_step(case, materials),
                            waiting=str(_WAITING_TEXT.get(case.state, ""))))
    return render(request, "cases/my_cases.html", {
        "rows": rows, "page_obj": page, "base_query": "", "unread": _unread_count(request),
    })


def _unread_count(request: HttpRequest) -> int:
    return note_selectors.unread_count(user_id=cast(int, request.user.pk))


# --- 3. my case ---------------------------------------------------------------------------------


@dataclass
class DetailMaterial:
    m: CaseMaterial
    errors: list[str]
    upload: str  # "", "supplement" or "tolerated": what uploading does now
    resupplied: bool


def _render_detail(request: HttpRequest, case: Case, *,
                   row_errors: dict[int, list[str]] | None = None, top_error: str = "",
                   withdraw_form: WithdrawForm | None = None, status: int = 200) -> HttpResponse:
    materials = list(case.materials.all())
    stop = _open_stop(case)
    supplement_open = case.state == CaseState.AWAITING_SUPPLEMENT or (
        case.state == CaseState.SUSPENDED and stop is not None
        and stop.kind == StopKind.SUPPLEMENT
    )
    rows = []
    asked_at = case.supplement_requested_at
    for m in materials:
        upload = ""
        if supplement_open and m.status == CaseMaterialStatus.MISSING:
            upload = "supplement"
        elif case.state in _TOLERATED_STATES and m.status == CaseMaterialStatus.TOLERATED:
            upload = "tolerated"
        resupplied = bool(upload == "supplement" and m.provided_at and m.has_content
                          and asked_at and m.provided_at >= asked_at)
        rows.append(DetailMaterial(m=m, errors=(row_errors or {}).get(m.pk, []),
                                   upload=upload, resupplied=resupplied))
    certificate = selectors.certificate_of(case)
    missing_rows = [r for r in rows if r.upload == "supplement"]
    return render(request, "cases/my_case.html", {
        "case": case, "item": case.item, "urgency": _urgency(case), "stop": stop,
        "timeline": _timeline(case), "rows": rows, "materials": materials,
        "notices": list(case.notices.all()),
        "certificate": certificate, "supplement_open": supplement_open,
        "missing_rows": missing_rows,
        "all_resupplied": bool(missing_rows) and all(r.resupplied for r in missing_rows),
        "tolerated_rows": [r for r in rows if r.upload == "tolerated"],
        "can_withdraw": Action.WITHDRAW in allowed_actions(case.state),
        "withdraw_form": withdraw_form or WithdrawForm(),
        "next_step": _next_step(case, materials), "top_error": top_error,
        "waiting": _WAITING_TEXT.get(case.state, ""),
    }, status=status)


@_signed_in
@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, case_no: str) -> HttpResponse:
    case = _case_or_404(request, case_no)
    if request.method == "GET":
        return _render_detail(request, case)
    action = request.POST.get("action", "")
    user = request.user
    material_id = _int(request.POST.get("material")) or 0
    withdraw_form = None
    try:
        if action == "upload":
            row = next((m for m in case.materials.all() if m.pk == material_id), None)
            file = request.FILES.get("file")
            if row is None:
                raise NotFound(_("这份材料不属于本办件。"))
            if file is None:
                raise ValidationFailed(_("请选择要上传的文件。"))
            if row.status == CaseMaterialStatus.TOLERATED:
                services.case_supply_tolerated(actor=user, case=case, material_id=row.pk,
                                               upload=_upload(file))
                messages.success(request, _("容缺材料“%(n)s”已补交。") % {"n": row.name})
            else:
                services.case_attach_material(actor=user, case=case, material_id=row.pk,
                                              upload=_upload(file))
                messages.success(request, _("“%(n)s”已上传。全部补齐后请点击“提交补正”。")
                                 % {"n": row.name})
        elif action == "supply":
            services.case_supply(actor=user, case=case, ip=_ip(request))
            messages.success(request, _("补正材料已提交，我们会尽快审核。"))
        elif action == "withdraw":
            withdraw_form = WithdrawForm(request.POST)
            if not withdraw_form.is_valid():
                raise ValidationFailed(_("撤回原因有误，请检查。"))
            services.case_withdraw(actor=user, case=case,
                                   reason=withdraw_form.cleaned_data["reason"])
            messages.success(request, _("申请已撤回。"))
    except DomainError as exc:
        case = _case_or_404(request, case_no)  # show the case as it is now
        text = _error_text(exc)
        if action == "upload" and material_id:
            return _render_detail(request, case, row_errors={material_id: [text]},
                                  status=exc.status)
        return _render_detail(request, case, top_error=text, withdraw_form=withdraw_form,
                              status=exc.status)
    return redirect(_detail_url(case))


@_signed_in
@require_GET
def notice_pdf(request: HttpRequest, case_no: str, notice_id: int) -> HttpResponse:
    """A notice of my case as PDF (rendered from its frozen content)."""
    case = _case_or_404(request, case_no)
    try:
        notice = selectors.notice_for_user(user=request.user, case=case, notice_id=notice_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    from onewindow.cases.pdf import render_notice

    response = HttpResponse(render_notice(notice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
    return response


@_signed_in
@require_GET
def certificate_pdf(request: HttpRequest, case_no: str) -> HttpResponse:
    """The electronic certificate my case issued, as PDF."""
    case = _case_or_404(request, case_no)
    certificate = selectors.certificate_of(case)
    if certificate is None:
        raise Http404(_("这个办件没有电子证照。"))
    from onewindow.cases.pdf import render_certificate

    response = HttpResponse(render_certificate(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{certificate.number}.pdf"'
    return response


# --- 4. lookup without signing in -------------------------------------------------------------


def _lookup_key(ip: str) -> str:
    return f"cases:lookup-failures:{ip}"


def _lookup_blocked(ip: str) -> bool:
    return int(cache.get(_lookup_key(ip), 0)) >= LOOKUP_MAX_FAILURES


def _lookup_failed(ip: str) -> None:
    ratelimit.hit(_lookup_key(ip), LOOKUP_WINDOW_SECONDS)


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """办件查询: case number + query code; at most 10 wrong pairs per address in 10 minutes."""
    ip = _ip(request) or "unknown"
    form = LookupForm(
        request.POST if request.method == "POST" else None,
        initial={"case_no": (request.GET.get("case_no") or "")[:40]},
    )
    status = 200
    if request.method == "POST":
        if _lookup_blocked(ip):
            return render(request, "cases/lookup.html", {
                "form": LookupForm(), "throttled": True,
                "minutes": LOOKUP_WINDOW_SECONDS // 60}, status=429)
        if form.is_valid():
            try:
                case = selectors.case_lookup_public(case_no=form.cleaned_data["case_no"],
                                                    query_code=form.cleaned_data["query_code"])
            except NotFound:
                _lookup_failed(ip)
                form.add_error(None, _("没有找到这个办件，请核对办件编号和查询码。"))
                status = 404
            else:
                return render(request, "cases/lookup_result.html", {
                    "case": case, "item": case.item, "timeline": _timeline(case),
                    "urgency": _urgency(case), "materials": list(case.materials.all()),
                    "stop": _open_stop(case),
                })
        else:
            status = 422
    return render(request, "cases/lookup.html", {"form": form}, status=status)


# --- 5. messages ------------------------------------------------------------------------------


@_signed_in
@require_GET
def my_messages(request: HttpRequest) -> HttpResponse:
    """站内消息, newest first; the ones shown are marked read."""
    user_id = cast(int, request.user.pk)
    qs = note_selectors.inbox_messages(user_id=user_id)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    unread = {n.pk for n in items if n.read_at is None}
    if unread:
        notifications_mark_read(user_id=user_id, ids=unread)
    return render(request, "cases/my_messages.html", {
        "items": items, "unread": unread, "page_obj": page, "base_query": "",
    })
