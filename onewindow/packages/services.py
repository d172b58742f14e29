"""Every change to packages and package applications (一件事): keyword-only, one transaction each.

Applying: :func:`package_apply` (one call: combined form, one file per combined material, one
delivery method) or, on the pages, a draft filled in steps (:func:`application_start`,
:func:`application_save`, :func:`application_upload`) and then :func:`application_submit`.
Both check everything first — each combined field, each material, the delivery — and report
every problem at once, field by field; then, in one transaction, they create one case per item
whose prerequisites are met through the cases' own services (``case_create``,
``case_attach_material`` for the first case needing a file and ``case_reuse_material`` for the
others, ``case_submit``). Anything failing rolls the whole application back.

Following the cases: :func:`application_refresh` (run when a case is decided — the
``case_decided`` signal — and by the catch-up job :func:`applications_start_ready`) starts the
items whose prerequisites are now approved (the prerequisite's certificate attached as the
material it stands for, then submitted on the applicant's behalf: they asked for the whole
package), closes those whose prerequisite was refused or denied, and moves the application to
待统一出件 and then to its final state. :func:`application_deliver` is the one delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Applicant
from onewindow.cases import files, numbers
from onewindow.cases import services as case_services
from onewindow.cases.forms_schema import clean_form_data
from onewindow.cases.models import Case, Certificate, Channel, DeliveryMethod
from onewindow.cases.services import Upload
from onewindow.cases.workflow import FINAL_STATES as CASE_FINAL_STATES
from onewindow.cases.workflow import CaseState, Decision
from onewindow.core import clock
from onewindow.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from onewindow.core.masking import mask_phone
from onewindow.notifications.models import Channel as NoteChannel
from onewindow.notifications.services import Message, notifications_enqueue
from onewindow.packages import design as pkg_design
from onewindow.packages.design import Design, ItemPlan
from onewindow.packages.models import (
    Package,
    PackageApplication,
    PackageCase,
    PackageField,
    PackageUpload,
)
from onewindow.packages.workflow import (
    OPEN_STATES,
    ApplicationAction,
    ApplicationState,
    ItemState,
    Outcome,
    application_state_for,
    check,
)

logger = logging.getLogger(__name__)

MAX_ADDRESS = 300


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


def application_number(*, region_code: str, on: Any, serial: int) -> str:
    """``YJS-379902-20261123-00000123``: 一件事, county part of the region code, date, serial."""
    return f"YJS-{region_code[:6]}-{on:%Y%m%d}-{serial % 100_000_000:08d}"


# --- packages (staff) ----------------------------------------------------------------------------


def _require_manager(actor: Any, package: Package) -> None:
    if not access.can(actor, Perm.CATALOG_PUBLISH, region=package.region):
        raise PermissionDenied(_("您没有权限管理这个一件事。"))


def package_publish(*, actor: Any, package: Package) -> Package:
    """Publish after checking the combined form and materials against the items' guides."""
    with transaction.atomic():
        package = Package.objects.select_for_update().select_related("region").get(pk=package.pk)
        _require_manager(actor, package)
        problems = pkg_design.load_design(package).problems
        if problems:
            raise ValidationFailed(
                _("这个一件事的配置还有问题，不能发布：%(p)s") % {"p": "；".join(problems)},
                code="package_not_ready", field_errors={"package": problems},
            )
        package.published = True
        package.save(update_fields=["published", "updated_at"])
    return package


def package_unpublish(*, actor: Any, package: Package) -> Package:
    with transaction.atomic():
        package = Package.objects.select_for_update().select_related("region").get(pk=package.pk)
        _require_manager(actor, package)
        package.published = False
        package.save(update_fields=["published", "updated_at"])
    return package


def package_derive_fields(*, actor: Any, package: Package) -> list[PackageField]:
    """Add a combined field for every item field not fed yet (a starting point to edit)."""
    with transaction.atomic():
        package = Package.objects.select_for_update().select_related("region").get(pk=package.pk)
        _require_manager(actor, package)
        rows = pkg_design.derive_fields(pkg_design.load_design(package))
        return PackageField.objects.bulk_create(rows)


# --- applying ------------------------------------------------------------------------------------


def _public_design(package: Package) -> Design:
    if not package.published:
        raise NotFound(_("没有找到这个一件事，或它尚未发布。"))
    design = pkg_design.load_design(package)
    if design.problems:
        logger.warning("package %s not ready: %s", package.code, "; ".join(design.problems))
        raise Conflict(
            _("这个一件事的事项正在调整，暂时无法在线申请，请稍后再试或咨询 12345。"),
            code="package_not_ready",
        )
    return design


def _own_applicant(actor: Any, applicant: Applicant) -> None:
    if not getattr(actor, "is_authenticated", False) or applicant.user_id != actor.pk:
        raise NotFound(_("没有找到这个申请人。"))


def _is_owner(actor: Any, application: PackageApplication) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and (
        application.applicant.user_id == actor.pk or application.created_by_id == actor.pk))


def _lock(application: PackageApplication) -> PackageApplication:
    locked = (
        PackageApplication.objects.select_for_update(of=("self",))
        .select_related("package__region", "applicant", "created_by", "region")
        .filter(pk=application.pk).first()
    )
    if locked is None:
        raise NotFound(_("没有找到这份一件事申请。"))
    return locked


def _own_draft(actor: Any, application: PackageApplication) -> PackageApplication:
    application = _lock(application)
    if not _is_owner(actor, application):
        raise NotFound(_("没有找到这份一件事申请。"))
    if application.state != ApplicationState.DRAFT:
        raise Conflict(_("这份申请已经提交，不能再修改。"), code="not_a_draft")
    return application


def _new_application(*, actor: Any, package: Package, applicant: Applicant,
                     form_data: dict[str, Any]) -> PackageApplication:
    now = clock.now()
    return PackageApplication.objects.create(
        number=application_number(region_code=package.region.code,
                                  on=timezone.localdate(now), serial=numbers.next_serial()),
        package=package, region=package.region, applicant=applicant,
        created_by=actor if getattr(actor, "pk", None) else None, state=ApplicationState.DRAFT,
        form_data=form_data, created_at=now,
    )


def application_start(*, actor: Any, package: Package, applicant: Applicant,
                      form_data: dict[str, Any] | None = None) -> PackageApplication:
    """A draft application (its number given now) with what is already known filled in."""
    design = _public_design(package)
    _own_applicant(actor, applicant)
    data = _partial(design, form_data or {}, drop_bad=True)
    with transaction.atomic():
        return _new_application(actor=actor, package=package, applicant=applicant,
                                form_data=data)


def _partial(design: Design, data: Any, *, drop_bad: bool = False) -> dict[str, Any]:
    """The values given, each checked by its type (empty ones allowed)."""
    if not isinstance(data, dict):
        raise ValidationFailed(_("申请表格式不正确。"), field_errors={"form": [_("应为对象。")]})
    try:
        return clean_form_data(design.schema, data, complete=False)
    except ValidationFailed as exc:
        if not drop_bad:
            raise
        bad = {k.removeprefix("form.") for k in exc.field_errors}
        return clean_form_data(design.schema, {k: v for k, v in data.items() if k not in bad},
                               complete=False)


def application_save(*, actor: Any, application: PackageApplication,
                     form_data: dict[str, Any]) -> PackageApplication:
    """Save the draft's combined form (partial allowed; each value checked)."""
    with transaction.atomic():
        application = _own_draft(actor, application)
        design = _public_design(application.package)
        application.form_data = _partial(design, form_data)
        application.save(update_fields=["form_data"])
    return application


def application_upload(*, actor: Any, application: PackageApplication, key: str,
                       upload: Upload) -> PackageUpload:
    """Upload one material of the combined list (replaces an earlier file for it)."""
    with transaction.atomic():
        application = _own_draft(actor, application)
        design = _public_design(application.package)
        material = design.material(key)
        if material is None:
            raise _field_error("material", _("这份材料不在本一件事的材料清单中。"))
        row = _store(application, material.key, material.name, upload)
    return row


def _store(application: PackageApplication, key: str, name: str, upload: Upload, *,
           replace: bool = True) -> PackageUpload:
    from django.core.files.base import ContentFile

    info = files.inspect(upload.data, field=f"materials.{key}")
    old = PackageUpload.objects.filter(application=application, key=key).first() if replace \
        else None
    if old is not None:
        stale = old.file.name
        if stale:
            transaction.on_commit(lambda: old.file.storage.delete(stale))
        old.delete()
    row = PackageUpload(
        application=application, key=key, name=name[:200],
        file_name=(upload.name or "").strip()[:200] or f"{name[:40]}.{info.extension}",
        content_type=info.content_type, size=info.size, sha256=info.sha256,
        uploaded_at=clock.now(),
    )
    row.file.save(f"{info.sha256[:16]}.{info.extension}", ContentFile(upload.data), save=False)
    row.save(force_insert=True)
    return row


def application_discard(*, actor: Any, application: PackageApplication) -> PackageApplication:
    with transaction.atomic():
        application = _own_draft(actor, application)
        check(application.state, ApplicationAction.DISCARD)
        application.state = ApplicationState.DISCARDED
        application.save(update_fields=["state"])
        names = [str(u.file.name) for u in application.uploads.all() if u.file]
        application.uploads.all().delete()
        transaction.on_commit(lambda: _delete_files(names))
    return application


def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


@dataclass
class Checked:
    """An application that passed every check: the values each item will get."""

    combined: dict[str, Any]
    items: dict[int, dict[str, Any]]  # package item id -> that item's form data
    delivery_method: str
    delivery_address: str


def _check_all(design: Design, form_data: Any, have: set[str], *, delivery_method: str,
               delivery_address: str, errors: dict[str, list[str]] | None = None) -> Checked:
    """Every check of an application, all problems together, field by field."""
    errors = dict(errors or {})
    if not isinstance(form_data, dict):
        form_data = {}
        errors["form"] = [_("申请表格式不正确。")]
    combined: dict[str, Any] = {}
    try:
        combined = clean_form_data(design.schema, form_data, complete=True)
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
        bad = {k.removeprefix("form.") for k in exc.field_errors}
        combined = clean_form_data(design.schema, {k: v for k, v in form_data.items()
                                                   if k not in bad}, complete=False)
    labels = {f["name"]: f.get("label", f["name"]) for f in design.schema}
    items: dict[int, dict[str, Any]] = {}
    for plan in design.items:
        data = pkg_design.item_form_data(plan, combined)
        try:
            items[plan.package_item.pk] = clean_form_data(plan.schema, data, complete=True)
        except ValidationFailed as exc:
            for key, messages in exc.field_errors.items():
                source = plan.sources.get(key.removeprefix("form."))
                target = f"form.{source}" if source else "form"
                if target in errors:
                    continue  # the combined field's own message says it already
                errors[target] = [_("%(i)s：%(m)s") % {"i": plan.name, "m": m} for m in messages]
                if source is None:
                    logger.warning("package %s: %s has no source", design.package.code, key)
    for m in design.materials:
        if m.must_upload and m.key not in have:
            errors.setdefault(f"materials.{m.key}", []).append(
                _("请上传“%(n)s”。") % {"n": m.name})
    method = (delivery_method or "").strip()
    address = (delivery_address or "").strip()
    if method not in DeliveryMethod.values:
        errors["delivery_method"] = [_("请选择办结后结果的送达方式。")]
    elif method == DeliveryMethod.POST and not address:
        errors["delivery_address"] = [_("邮寄送达请填写收件地址。")]
    if len(address) > MAX_ADDRESS:
        errors["delivery_address"] = [_("不能超过 %(n)d 个字。") % {"n": MAX_ADDRESS}]
    if errors:
        named = [str(labels[k.removeprefix("form.")]) for k in errors
                 if k.removeprefix("form.") in labels and k.startswith("form.")]
        message = _("申请有误，请按标红的提示逐项修改。")
        if named:
            message += _("（申请表：%(f)s）") % {"f": "、".join(named)}
        raise ValidationFailed(message, field_errors=errors)
    return Checked(combined=combined, items=items, delivery_method=method,
                   delivery_address=address if method == DeliveryMethod.POST else "")


def package_apply(*, actor: Any, package: Package, applicant: Applicant,
                  form_data: Mapping[str, Any], uploads: Mapping[str, Upload],
                  delivery_method: str, delivery_address: str = "",
                  ip: str | None = None) -> PackageApplication:
    """Apply for a whole package in one call; nothing is written unless everything is right."""
    design = _public_design(package)
    _own_applicant(actor, applicant)
    errors: dict[str, list[str]] = {}
    keys = {m.key for m in design.materials}
    for key, upload in uploads.items():
        if key not in keys:
            errors.setdefault("materials", []).append(
                _("材料“%(k)s”不在本一件事的材料清单中。") % {"k": key[:20]})
            continue
        try:
            files.inspect(upload.data, field=f"materials.{key}")
        except ValidationFailed as exc:
            errors.update(exc.field_errors)
    checked = _check_all(design, dict(form_data), {k for k in uploads if k in keys},
                         delivery_method=delivery_method, delivery_address=delivery_address,
                         errors=errors)
    with transaction.atomic():
        application = _new_application(actor=actor, package=package, applicant=applicant,
                                       form_data=checked.combined)
        for key, upload in uploads.items():
            material = design.material(key)
            assert material is not None
            _store(application, key, material.name, upload, replace=False)
        _submit(application, design, checked, actor=actor, ip=ip)
    return application


def application_submit(*, actor: Any, application: PackageApplication, delivery_method: str,
                       delivery_address: str = "", ip: str | None = None) -> PackageApplication:
    """Submit a draft: every check, then the cases, in one transaction."""
    with transaction.atomic():
        application = _own_draft(actor, application)
        check(application.state, ApplicationAction.SUBMIT)
        design = _public_design(application.package)
        have = set(application.uploads.values_list("key", flat=True))
        checked = _check_all(design, application.form_data, have,
                             delivery_method=delivery_method, delivery_address=delivery_address)
        _submit(application, design, checked, actor=actor, ip=ip)
    return application


def _submit(application: PackageApplication, design: Design, checked: Checked, *, actor: Any,
            ip: str | None) -> None:
    now = clock.now()
    application.form_data = checked.combined
    application.delivery_method = checked.delivery_method
    application.delivery_address = checked.delivery_address
    application.submitted_at = now
    application.state = ApplicationState.IN_PROGRESS
    application.save(update_fields=["form_data", "delivery_method", "delivery_address",
                                    "submitted_at", "state"])
    rows = PackageCase.objects.bulk_create([
        PackageCase(application=application, package_item=plan.package_item,
                    sort_order=n, form_data=checked.items[plan.package_item.pk],
                    state=ItemState.WAITING,
                    note=_waiting_note(design, plan))
        for n, plan in enumerate(design.items, start=1)
    ])
    uploads = {u.key: u for u in application.uploads.all()}
    for pc, plan in zip(rows, design.items, strict=True):
        if not plan.prerequisite_ids:
            # Any failure here is the applicant's to see: the whole package rolls back.
            _start(pc, plan, design, application, uploads, actor=actor, ip=ip, certificates={})
    _notify(application, "submitted", _(
        "【一窗通】您的“%(p)s”已提交，申请编号 %(n)s，共 %(k)d 个事项，可在“我的一件事”查看进度。"
    ) % {"p": application.package.name, "n": application.number, "k": len(rows)})


def _waiting_note(design: Design, plan: ItemPlan) -> str:
    if not plan.prerequisite_ids:
        return ""
    names = "、".join(design.item(i).name for i in plan.prerequisite_ids)
    return _("等待“%(n)s”办结后自动提交") % {"n": names}


def _start(pc: PackageCase, plan: ItemPlan, design: Design, application: PackageApplication,
           uploads: dict[str, PackageUpload], *, actor: Any, ip: str | None,
           certificates: dict[int, Certificate]) -> Case:
    """Create, fill and submit the item's case through the cases' services."""
    by_id = {p.package_item.pk: p for p in design.items}
    item = plan.package_item.item
    case = case_services.case_create(
        actor=actor, item=item, applicant=application.applicant, channel=Channel.ONLINE,
        form_data=pc.form_data, submit=False, ip=ip,
    )
    for row in case.materials.all():
        prereq = pkg_design.cert_source(plan, row.name, by_id)
        if prereq is not None:
            cert = certificates.get(prereq.package_item.pk)
            if cert is not None:
                case_services.case_reuse_material(actor=actor, case=case, material_id=row.pk,
                                                  certificate_id=cert.pk)
            continue
        upload = uploads.get(pkg_design.combined_key_for(plan, row.name))
        if upload is None:
            continue
        if upload.first_material_id:
            case_services.case_reuse_material(actor=actor, case=case, material_id=row.pk,
                                              source_material_id=upload.first_material_id)
            continue
        with upload.file.open("rb") as fh:
            data = fh.read()
        stored = case_services.case_attach_material(
            actor=actor, case=case, material_id=row.pk, upload=Upload(upload.file_name, data))
        upload.first_material = stored
        upload.save(update_fields=["first_material"])
    case = case_services.case_submit(actor=actor, case=case, ip=ip)
    pc.case = case
    pc.state = ItemState.STARTED
    pc.case_state = case.state
    pc.started_at = clock.now()
    pc.note = ""
    pc.save(update_fields=["case", "state", "case_state", "started_at", "note"])
    return case


# --- following the cases -------------------------------------------------------------------------


def _outcome(case: Case) -> str:
    if case.decision == Decision.APPROVED:
        return Outcome.APPROVED
    if case.decision == Decision.DENIED:
        return Outcome.DENIED
    if case.state == CaseState.REFUSED:
        return Outcome.REFUSED
    if case.state == CaseState.WITHDRAWN:
        return Outcome.WITHDRAWN
    return Outcome.NONE


def _approved(pc: PackageCase) -> bool:
    return pc.case is not None and pc.case.decision == Decision.APPROVED


def _failed(pc: PackageCase) -> bool:
    if pc.state == ItemState.CLOSED:
        return True
    case = pc.case
    return case is not None and (
        case.decision == Decision.DENIED
        or case.state in (CaseState.REFUSED, CaseState.WITHDRAWN)
    )


def application_refresh(*, application: PackageApplication) -> PackageApplication:
    """Bring the application up to date with its cases (idempotent; see the module doc)."""
    with transaction.atomic():
        application = _lock(application)
        if application.state not in OPEN_STATES:
            return application
        _refresh(application)
    return application


def _load_items(application: PackageApplication) -> list[PackageCase]:
    return list(
        PackageCase.objects.filter(application=application)
        .select_related("case", "package_item__item__basic")
        .prefetch_related("package_item__depends_on")
        .order_by("sort_order", "id")
    )


def _snapshot(pc: PackageCase) -> tuple[Any, ...]:
    return (pc.state, pc.outcome, pc.note, pc.case_state, pc.case_id, pc.finished_at)


def _refresh(application: PackageApplication, *, retry: int | None = None) -> None:
    """Follow the cases: finish, close, start (``retry``: a blocked item to try again)."""
    pcs = _load_items(application)
    before = {pc.pk: _snapshot(pc) for pc in pcs}
    by_item = {pc.package_item_id: pc for pc in pcs}
    design: Design | None = None
    now = clock.now()
    changed = True
    while changed:
        changed = False
        for pc in pcs:
            if pc.state == ItemState.STARTED and pc.case and pc.case.state in CASE_FINAL_STATES:
                pc.state, pc.outcome, pc.finished_at = ItemState.FINISHED, _outcome(pc.case), now
                changed = True
            if pc.state not in (ItemState.WAITING, ItemState.BLOCKED):
                continue
            prereqs = [by_item[d.pk] for d in pc.package_item.depends_on.all()
                       if d.pk in by_item]
            failed = [p for p in prereqs if _failed(p)]
            if failed:
                pc.state, pc.outcome, pc.finished_at = ItemState.CLOSED, Outcome.CLOSED, now
                pc.note = _("前置事项“%(n)s”%(r)s，本事项无法继续办理，已终止。") % {
                    "n": "、".join(p.package_item.item.basic.name for p in failed),
                    "r": _describe(failed[0]),
                }
                changed = True
            elif (pc.state == ItemState.WAITING or pc.pk == retry) and all(
                _approved(p) for p in prereqs
            ):
                design = design or pkg_design.load_design(application.package)
                _try_start(pc, design, application, prereqs)
                retry = None if pc.pk == retry else retry
                changed = True
    for pc in pcs:
        if pc.case is not None:
            pc.case_state = pc.case.state
        if _snapshot(pc) != before[pc.pk]:
            pc.save(update_fields=["state", "outcome", "finished_at", "note", "case_state"])
    _update_state(application, pcs)


def _describe(pc: PackageCase) -> str:
    if pc.state == ItemState.CLOSED:
        return _("已终止")
    case = pc.case
    if case is not None and case.decision == Decision.DENIED:
        return _("未获准予（不予许可）")
    if case is not None and case.state == CaseState.REFUSED:
        return _("不予受理")
    return _("已撤回")


def _try_start(pc: PackageCase, design: Design, application: PackageApplication,
               prereqs: list[PackageCase]) -> None:
    """Start a waiting item; if the cases refuse (its guide changed since), say why."""
    plan = next((p for p in design.items if p.package_item.pk == pc.package_item_id), None)
    certificates = {p.package_item_id: c for p in prereqs if p.case_id is not None
                    and (c := Certificate.objects.filter(case_id=p.case_id).first()) is not None}
    actor = application.created_by
    reason = ""
    if plan is None or plan.version is None:
        reason = _("该事项已调整，不能自动提交")
    elif actor is None or actor.pk != application.applicant.user_id:
        reason = _("申请人账户已变更，不能代为提交")
    else:
        try:
            with transaction.atomic():
                uploads = {u.key: u for u in
                           PackageUpload.objects.select_for_update().filter(
                               application=application)}
                _start(pc, plan, design, application, uploads, actor=actor, ip=None,
                       certificates=certificates)
        except DomainError as exc:
            reason = exc.message
    if reason:
        pc.state = ItemState.BLOCKED
        pc.note = _("未能自动提交：%(r)s。请在“我的办件”中另行申请该事项，或咨询窗口。") % {
            "r": reason.rstrip("。")}
        logger.info("package application %s: item %s blocked: %s", application.number,
                    pc.package_item_id, reason)
        return
    _notify(application, f"started:{pc.pk}", _(
        "【一窗通】您的“%(p)s”（%(n)s）中，%(i)s 的前置事项已办结，已自动提交申请。"
    ) % {"p": application.package.name, "n": application.number,
         "i": plan.name if plan else ""})


def _update_state(application: PackageApplication, pcs: list[PackageCase]) -> None:
    target = application_state_for(
        (pc.state, bool(pc.case and pc.case.state == CaseState.DECIDED), pc.outcome)
        for pc in pcs
    )
    if target == application.state:
        return
    check(application.state, ApplicationAction.REFRESH, target)
    application.state = target
    fields = ["state"]
    if target not in OPEN_STATES:
        application.completed_at = clock.now()
        fields.append("completed_at")
        _release_uploads(application)
        _notify(application, f"state:{target}", _(
            "【一窗通】您的“%(p)s”（%(n)s）已全部办结：%(s)s。"
        ) % {"p": application.package.name, "n": application.number,
             "s": ApplicationState(target).label})
    elif target == ApplicationState.AWAITING_DELIVERY:
        _notify(application, f"state:{target}", _(
            "【一窗通】您的“%(p)s”（%(n)s）各事项均已作出决定，结果将按您选择的方式统一送达。"
        ) % {"p": application.package.name, "n": application.number})
    application.save(update_fields=fields)


def _release_uploads(application: PackageApplication) -> None:
    """Every item is settled: the cases hold their copies, the package's own can go."""
    rows = list(application.uploads.exclude(file=""))
    names = [str(r.file.name) for r in rows]
    PackageUpload.objects.filter(pk__in=[r.pk for r in rows]).update(file="")
    if names:
        transaction.on_commit(lambda: _delete_files(names))


def _notify(application: PackageApplication, tag: str, body: str) -> None:
    applicant = application.applicant
    link = f"/my/packages/{application.number}/"
    messages = [Message(channel=NoteChannel.SMS, phone=applicant.mobile, body=body, link=link,
                        dedupe_key=f"package:{application.pk}:{tag}:sms")]
    if applicant.user_id:
        messages.append(Message(channel=NoteChannel.IN_APP, user_id=applicant.user_id,
                                subject=body[:200], body=body, link=link,
                                dedupe_key=f"package:{application.pk}:{tag}:app"))
    notifications_enqueue(messages=messages)
    logger.info("package application %s: notified %s", application.number,
                mask_phone(applicant.mobile))


def application_refresh_for_case(*, case_id: int) -> PackageApplication | None:
    """The case was decided (or otherwise moved): bring its package application up to date."""
    app_id = (PackageCase.objects.filter(case_id=case_id)
              .values_list("application_id", flat=True).first())
    if app_id is None:
        return None
    return application_refresh(application=PackageApplication(pk=app_id))


def applications_start_ready(*, batch: int = 500) -> int:
    """Job: catch up with every case that moved since its application was last refreshed —
    start the items whose prerequisites are now issued, close those that cannot go on, and
    complete applications. Idempotent: a second run finds nothing to do."""
    ids = list(
        PackageCase.objects.filter(
            case__isnull=False,
            application__state__in=[ApplicationState.IN_PROGRESS,
                                    ApplicationState.AWAITING_DELIVERY],
        ).exclude(case__state=F("case_state"))
        .values_list("application_id", flat=True).distinct().order_by("application_id")[:batch]
    )
    for pk in ids:
        try:
            application_refresh(application=PackageApplication(pk=pk))
        except DomainError as exc:  # one application's trouble must not stop the others
            logger.warning("package application %s not refreshed: %s", pk, exc.message)
    return len(ids)


def _own_open(actor: Any, application: PackageApplication) -> PackageApplication:
    application = _lock(application)
    if not _is_owner(actor, application):
        raise NotFound(_("没有找到这份一件事申请。"))
    check(application.state, ApplicationAction.REFRESH)
    return application


def _own_item(application: PackageApplication, package_case_id: int) -> PackageCase:
    pc = PackageCase.objects.filter(application=application, pk=package_case_id).first()
    if pc is None:
        raise NotFound(_("没有找到这个事项。"))
    return pc


def application_retry_item(*, actor: Any, application: PackageApplication,
                           package_case_id: int) -> PackageCase:
    """Try again to submit an item that could not be started automatically."""
    with transaction.atomic():
        application = _own_open(actor, application)
        pc = _own_item(application, package_case_id)
        if pc.state != ItemState.BLOCKED:
            raise Conflict(_("这个事项不需要重新提交。"), code="not_blocked")
        _refresh(application, retry=pc.pk)
        pc.refresh_from_db()
    return pc


def application_drop_item(*, actor: Any, application: PackageApplication,
                          package_case_id: int) -> PackageCase:
    """The applicant no longer wants an item that has not started (its dependents close)."""
    with transaction.atomic():
        application = _own_open(actor, application)
        pc = _own_item(application, package_case_id)
        if pc.state not in (ItemState.WAITING, ItemState.BLOCKED):
            raise Conflict(_("已提交的事项请在“我的办件”中撤回。"), code="already_started")
        pc.state, pc.outcome, pc.finished_at = ItemState.CLOSED, Outcome.WITHDRAWN, clock.now()
        pc.note = _("申请人不再办理此事项。")
        pc.save(update_fields=["state", "outcome", "finished_at", "note"])
        _refresh(application)
        pc.refresh_from_db()
    return pc


# --- the one delivery (统一出件) ---------------------------------------------------------------


def application_deliver(*, actor: Any, application: PackageApplication, tracking_no: str = "",
                        identity_checked: bool = False) -> PackageApplication:
    """Hand out every decided result of the application at once, by the method the applicant
    chose (the cases' own delivery for each); the application is then complete."""
    tracking_no = (tracking_no or "").strip()
    if len(tracking_no) > 40:
        raise _field_error("tracking_no", _("不能超过 %(n)d 个字。") % {"n": 40})
    with transaction.atomic():
        application = _lock(application)
        if not access.can(actor, Perm.CASE_ACCEPT, region=application.region):
            raise NotFound(_("没有找到这份一件事申请。"))
        _refresh(application)
        check(application.state, ApplicationAction.DELIVER)
        pcs = list(PackageCase.objects.select_related("case")
                   .filter(application=application, state=ItemState.STARTED,
                           case__state=CaseState.DECIDED).order_by("sort_order"))
        for pc in pcs:
            assert pc.case is not None
            case_services.case_deliver(
                actor=actor, case=pc.case, method=application.delivery_method,
                tracking_no=tracking_no, identity_checked=identity_checked,
            )
        application.delivered_at = clock.now()
        application.delivered_by = actor
        application.tracking_no = tracking_no
        application.save(update_fields=["delivered_at", "delivered_by", "tracking_no"])
        _refresh(application)
    return application


__all__ = [
    "package_publish", "package_unpublish", "package_derive_fields", "application_start",
    "application_save", "application_upload", "application_discard", "application_submit",
    "package_apply", "application_refresh", "application_refresh_for_case",
    "applications_start_ready", "application_deliver", "application_number",
    "application_retry_item", "application_drop_item",
]
