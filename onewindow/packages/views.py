"""Applicants' pages of 一件事 (phone first). Thin: parse, one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.accounts.models import Applicant
from onewindow.cases import files
from onewindow.cases.forms import (
    ApplicantChoiceForm,
    ApplicationForm,
    display_value,
    initial_value,
    prefill,
)
from onewindow.cases.forms_schema import clean_form_data
from onewindow.cases.services import Upload
from onewindow.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from onewindow.core.web import flash_error
from onewindow.packages import design as pkg_design
from onewindow.packages import selectors, services
from onewindow.packages.design import CombinedMaterial
from onewindow.packages.forms import DeliveryForm
from onewindow.packages.models import Package, PackageApplication, PackageUpload
from onewindow.packages.workflow import ApplicationState, ItemState

APPLICANT_LOGIN_URL = "/accounts/applicant/login/"
PAGE_SIZE = 20
STEPS = ((1, gettext_lazy("填写联合申请表")), (2, gettext_lazy("上传材料")),
         (3, gettext_lazy("送达方式与提交")))


def _signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), APPLICANT_LOGIN_URL)
        return view(request, *args, **kwargs)

    return wrapper


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _package_or_404(code: str) -> Package:
    try:
        return selectors.package_get_public(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _mine_or_404(request: HttpRequest, number: str) -> PackageApplication:
    try:
        return selectors.application_get_for_applicant(user=request.user, number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _wizard_url(application: PackageApplication, step: int = 1) -> str:
    return reverse("packages:wizard", args=[application.package.code,
                                            application.number]) + f"?step={step}"


def _tracking_url(application: PackageApplication) -> str:
    return reverse("packages:tracking", args=[application.number])


# --- the public guide ----------------------------------------------------------------------------


@require_GET
def package_list(request: HttpRequest) -> HttpResponse:
    """一件事一次办: every published package."""
    return render(request, "packages/list.html", {"packages": list(selectors.packages_public())})


@require_GET
def package_guide(request: HttpRequest, code: str) -> HttpResponse:
    """The package's guide: items, the order they run in, one combined material list."""
    package = _package_or_404(code)
    d = pkg_design.load_design(package)
    return render(request, "packages/guide.html", {
        "package": package, "design": d, "levels": d.levels(),
        "names": {p.package_item.pk: p.name for p in d.items},
        "form_fields": d.schema, "ready": not d.problems,
    })


# --- applying: choose the identity, then the wizard ----------------------------------------------


@_signed_in
@require_http_methods(["GET", "POST"])
def apply_start(request: HttpRequest, code: str) -> HttpResponse:
    package = _package_or_404(code)
    user = request.user
    applicants = list(Applicant.objects.filter(user_id=cast(int, user.pk)).order_by("id"))
    if not applicants:
        messages.info(request, _("在线申请前，请先完善实名信息。"))
        return redirect("accounts:applicant_profile")
    d = pkg_design.load_design(package)
    drafts = list(selectors.applications_for_applicant(user=user).filter(
        package=package, state=ApplicationState.DRAFT)[:3])
    form = ApplicantChoiceForm(applicants, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        applicant = form.chosen()
        try:
            application = services.application_start(
                actor=user, package=package, applicant=applicant,
                form_data=prefill(d.schema, applicant),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, _(
                "已创建申请草稿（申请编号 %(n)s）。填写的内容随时保存，可稍后在“我的一件事”继续。"
            ) % {"n": application.number})
            return redirect(_wizard_url(application))
    elif request.method == "POST":
        status = 422
    return render(request, "packages/apply_start.html", {
        "package": package, "design": d, "form": form, "drafts": drafts,
        "steps": STEPS, "step": 0,
    }, status=status)


@dataclass
class MaterialRow:
    m: CombinedMaterial
    upload: PackageUpload | None
    errors: list[str]


def _render_wizard(request: HttpRequest, application: PackageApplication, step: int, *,
                   form: ApplicationForm | None = None,
                   delivery: DeliveryForm | None = None,
                   material_errors: dict[str, list[str]] | None = None,
                   top_error: str = "", status: int = 200) -> HttpResponse:
    d = pkg_design.load_design(application.package)
    if form is None:
        form = ApplicationForm(d.schema, initial={
            f["name"]: initial_value(f, application.form_data.get(f["name"])) for f in d.schema})
    uploads = {u.key: u for u in application.uploads.all()}
    rows = [MaterialRow(m=m, upload=uploads.get(m.key),
                        errors=(material_errors or {}).get(f"materials.{m.key}", []))
            for m in d.materials]
    summary: list[tuple[str, str]] = []
    form_problems: list[str] = []
    if step == 3:
        summary = [(f["label"], display_value(f, application.form_data.get(f["name"])))
                   for f in d.schema]
        try:
            clean_form_data(d.schema, application.form_data, complete=True)
        except ValidationFailed as exc:
            form_problems = [m for msgs in exc.field_errors.values() for m in msgs]
    missing = [r.m for r in rows if r.m.must_upload and r.upload is None]
    return render(request, "packages/apply_wizard.html", {
        "application": application, "package": application.package, "design": d,
        "step": step, "steps": STEPS, "form": form, "rows": rows,
        "delivery": delivery or DeliveryForm(initial={
            "delivery_method": application.delivery_method or "electronic",
            "delivery_address": application.delivery_address}),
        "summary": summary, "form_problems": form_problems, "missing": missing,
        "top_error": top_error, "names": {p.package_item.pk: p.name for p in d.items},
    }, status=status)


@_signed_in
@require_http_methods(["GET", "POST"])
def apply_wizard(request: HttpRequest, code: str, number: str) -> HttpResponse:
    application = _mine_or_404(request, number)
    if application.package.code != code:
        raise Http404(_("没有找到这份一件事申请。"))
    if application.state != ApplicationState.DRAFT:
        if application.state == ApplicationState.DISCARDED:
            raise Http404(_("没有找到这份一件事申请。"))
        return redirect(_tracking_url(application))
    step = _int(request.POST.get("step") or request.GET.get("step")) or 1
    step = step if step in (1, 2, 3) else 1
    if request.method == "GET":
        return _render_wizard(request, application, step)
    action = request.POST.get("action", "")
    if action in ("save", "next"):
        return _post_form(request, application, go_next=action == "next")
    if action == "upload":
        return _post_upload(request, application)
    if action == "submit":
        return _post_submit(request, application)
    if action == "discard":
        try:
            services.application_discard(actor=request.user, application=application)
        except DomainError as exc:
            flash_error(request, exc)
            return redirect(_wizard_url(application, step))
        messages.success(request, _("草稿已放弃。"))
        return redirect("packages:mine")
    return redirect(_wizard_url(application, step))


def _post_form(request: HttpRequest, application: PackageApplication, *,
               go_next: bool) -> HttpResponse:
    d = pkg_design.load_design(application.package)
    form = ApplicationForm(d.schema, request.POST)
    if not form.is_valid():
        return _render_wizard(request, application, 1, form=form, status=422,
                              top_error=_("申请表有误，请检查标红的字段。"))
    data = form.form_data()
    try:
        services.application_save(actor=request.user, application=application, form_data=data)
    except ValidationFailed as exc:
        rest = form.add_service_errors(exc.field_errors)
        bad = {k.removeprefix("form.") for k in exc.field_errors if k.startswith("form.")}
        top = exc.message
        if bad:  # keep what is right, flag the rest
            try:
                services.application_save(actor=request.user, application=application,
                                          form_data={k: v for k, v in data.items()
                                                     if k not in bad})
            except DomainError:
                pass
            else:
                top = _("标红的字段有误，请修改；其余内容已保存为草稿。")
        return _render_wizard(request, application, 1, form=form, status=exc.status,
                              top_error=" ".join([top, *rest]))
    except DomainError as exc:
        return _render_wizard(request, application, 1, form=form, status=exc.status,
                              top_error=exc.message)
    if go_next:
        try:
            clean_form_data(d.schema, data, complete=True)
        except ValidationFailed as exc:
            form.add_service_errors(exc.field_errors)
            return _render_wizard(request, application, 1, form=form, status=422, top_error=_(
                "草稿已保存。请填写标红的必填项后再进入下一步。"))
        messages.success(request, _("申请表已保存。各事项需要的信息已自动填入，无需重复填写。"))
        return redirect(_wizard_url(application, 2))
    messages.success(request, _("草稿已保存。"))
    return redirect(_wizard_url(application, 1))


def _post_upload(request: HttpRequest, application: PackageApplication) -> HttpResponse:
    key = (request.POST.get("material") or "")[:20]
    file = request.FILES.get("file")
    if file is None:
        return _render_wizard(request, application, 2, status=422,
                              material_errors={f"materials.{key}": [_("请选择要上传的文件。")]})
    try:
        row = services.application_upload(
            actor=request.user, application=application, key=key,
            upload=Upload(name=file.name or "", data=file.read(files.max_bytes() + 1)))
    except DomainError as exc:
        errors = exc.field_errors or {f"materials.{key}": [exc.message]}
        if "material" in errors:
            errors = {f"materials.{key}": errors["material"]}
        return _render_wizard(request, application, 2, status=exc.status,
                              material_errors=errors)
    messages.success(request, _("“%(n)s”已上传，将用于所有需要它的事项。") % {"n": row.name})
    return redirect(_wizard_url(application, 2) + f"#m-{row.key}")


def _post_submit(request: HttpRequest, application: PackageApplication) -> HttpResponse:
    delivery = DeliveryForm(request.POST)
    delivery.is_valid()
    values = delivery.cleaned_data
    try:
        services.application_submit(
            actor=request.user, application=application,
            delivery_method=values.get("delivery_method") or "",
            delivery_address=values.get("delivery_address") or "", ip=_ip(request))
    except ValidationFailed as exc:
        application = _mine_or_404(request, application.number)
        errors = exc.field_errors
        if any(k.startswith("form") for k in errors):
            d = pkg_design.load_design(application.package)
            form = ApplicationForm(d.schema, {
                f["name"]: initial_value(f, application.form_data.get(f["name"], ""))
                for f in d.schema})
            form.is_valid()
            form.add_service_errors(errors)
            return _render_wizard(request, application, 1, form=form, status=exc.status,
                                  top_error=_("请先完善申请表中标红的字段，再提交。"))
        if any(k.startswith("materials") for k in errors):
            return _render_wizard(request, application, 2, status=exc.status,
                                  material_errors=errors, top_error=_("还有材料未上传。"))
        delivery.add_service_errors(errors)
        return _render_wizard(request, application, 3, delivery=delivery, status=exc.status,
                              top_error=exc.message)
    except DomainError as exc:
        return _render_wizard(request, application, 3, delivery=delivery, status=exc.status,
                              top_error=exc.message)
    messages.success(request, _("申请已提交。请记下申请编号 %(n)s，凭它查看全部事项的进度。")
                     % {"n": application.number})
    return redirect(_tracking_url(application))


# --- my packages ---------------------------------------------------------------------------------


@_signed_in
@require_GET
def my_packages(request: HttpRequest) -> HttpResponse:
    qs = selectors.applications_for_applicant(user=request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(a, selectors.item_rows(a)) for a in page.object_list]
    return render(request, "packages/mine.html", {
        "rows": rows, "page_obj": page, "base_query": "",
    })


@_signed_in
@require_http_methods(["GET", "POST"])
def tracking(request: HttpRequest, number: str) -> HttpResponse:
    """One number to follow: every item's case and state, what each still waits for."""
    application = _mine_or_404(request, number)
    if application.state == ApplicationState.DRAFT:
        return redirect(_wizard_url(application))
    if application.state == ApplicationState.DISCARDED:
        raise Http404(_("没有找到这份一件事申请。"))
    if request.method == "POST":
        pc_id = _int(request.POST.get("item")) or 0
        action = request.POST.get("action", "")
        try:
            if action == "retry":
                pc = services.application_retry_item(actor=request.user,
                                                     application=application,
                                                     package_case_id=pc_id)
                if pc.state == ItemState.STARTED:
                    messages.success(request, _("已重新提交。"))
                else:
                    messages.error(request, pc.note)
            elif action == "drop":
                services.application_drop_item(actor=request.user, application=application,
                                               package_case_id=pc_id)
                messages.success(request, _("已不再办理该事项。"))
            else:
                raise Conflict(_("无法识别的操作。"))
        except DomainError as exc:
            flash_error(request, exc)
        return redirect(_tracking_url(application))
    rows = selectors.item_rows(application)
    return render(request, "packages/tracking.html", {
        "application": application, "package": application.package, "rows": rows,
        "done": sum(1 for r in rows if r.pc.state in (ItemState.FINISHED, ItemState.CLOSED)),
    })
