"""Writes to the service catalogue (事项目录): items, guide versions, authorisations, imports.

Every function is keyword-only, runs in one transaction, locks what it changes and checks
permissions through :mod:`onewindow.accounts.access`.

``actor=None`` means *the system*: it is accepted only from the command line
(``onewindow catalog import``), the demo loader and scheduled jobs, and skips the permission
checks. Views, the API and the admin always pass the signed-in user.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Role, RoleAssignment
from onewindow.catalog import exchange, search
from onewindow.catalog.models import (
    Authorisation,
    BasicItem,
    Fee,
    ImportJob,
    ItemVersion,
    Material,
    ServiceItem,
    VersionStatus,
)
from onewindow.catalog.validation import (
    BASIC_KEYS,
    FEE_SPEC,
    GUIDE_SPEC,
    MATERIAL_SPEC,
    VERSION_COLUMNS,
    Problem,
    check_implementation_code,
    clean_basic,
    clean_guide,
    problems_to_field_errors,
)
from onewindow.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from onewindow.regions.models import Department, Region

logger = logging.getLogger(__name__)


def _require(
    actor: Any, perm: Perm, *, region: Region | None = None,
    department: Department | None = None,
) -> None:
    """Permission check; ``actor=None`` is the system (command line, demo, jobs)."""
    if actor is None:
        return
    access.require(actor, perm, region=region, department=department)


def _fail(problems: list[Problem], message: str | None = None) -> ValidationFailed:
    return ValidationFailed(
        message or _("请更正标出的内容。"), field_errors=problems_to_field_errors(problems)
    )


def _guide_input(raw: dict[str, Any]) -> dict[str, Any]:
    """Accept ``co_departments`` (Department objects) as well as ``co_department_codes``."""
    data = dict(raw)
    if "co_departments" in data:
        data["co_department_codes"] = [d.code for d in data.pop("co_departments") or []]
    return data


def _resolve_co_departments(
    codes: list[str], region: Region, problems: list[Problem]
) -> list[Department]:
    found = {d.code: d for d in Department.objects.filter(region=region, code__in=codes)}
    for code in codes:
        if code not in found:
            problems.append((
                "co_department_codes",
                _("联办机构“%(c)s”不是%(r)s的部门") % {"c": code, "r": region.name},
            ))
    return [found[c] for c in codes if c in found]


def _write_guide(
    version: ItemVersion,
    values: dict[str, Any],
    co_departments: list[Department],
    parts: Iterable[str] = ("materials", "fees", "co_departments"),
) -> None:
    """Replace the given children of ``version`` (materials, fees, co-departments)."""
    parts = set(parts)
    if "materials" in parts:
        version.materials.all().delete()
        Material.objects.bulk_create([
            Material(version=version, sort_order=i, **{k: m[k] for k in MATERIAL_SPEC})
            for i, m in enumerate(values["materials"], start=1)
        ])
    if "fees" in parts:
        version.fees.all().delete()
        Fee.objects.bulk_create([
            Fee(version=version, sort_order=i, **{k: f[k] for k in FEE_SPEC})
            for i, f in enumerate(values["fees"], start=1)
        ])
    if "co_departments" in parts:
        version.co_departments.set(co_departments)


def _switch_current(items: list[ServiceItem]) -> None:
    """Keep the search fields of items whose current version changed."""
    if not items:
        return
    if len(items) == 1:
        search.refresh_search_fields(items[0])
    else:
        search.refresh_search_fields_bulk(items)


# --- Items and versions ----------------------------------------------------------------------


@transaction.atomic
def item_create(
    *,
    actor: Any,
    basic: dict[str, Any],
    region: Region,
    department: Department,
    implementation_code: str,
    guide: dict[str, Any],
) -> ServiceItem:
    """新增实施清单事项: a new implementation with version 1 as a draft.

    The basic item (基本目录) is created when its basic code is new; otherwise the given basic
    fields must equal the stored ones (三级四同).
    """
    _require(actor, Perm.CATALOG_EDIT, region=region, department=department)
    basic_values, problems = clean_basic(basic)
    problems += check_implementation_code(implementation_code)
    if department.region_id != region.pk:
        problems.append(("department", _("实施主体应为该区划的部门")))
    existing_basic = (
        BasicItem.objects.select_for_update().filter(basic_code=basic_values["basic_code"]).first()
        if basic_values["basic_code"] else None
    )
    if existing_basic is not None:
        for key in BASIC_KEYS:
            if not any(p[0] == key for p in problems) and getattr(existing_basic, key) != (
                basic_values[key]
            ):
                problems.append((
                    key,
                    _("三级四同：须与基本目录一致（“%(v)s”）")
                    % {"v": getattr(existing_basic, key)},
                ))
        if ServiceItem.objects.filter(basic=existing_basic, region=region).exists():
            problems.append(("region", _("该区划已实施此基本事项")))
    if ServiceItem.objects.filter(implementation_code=implementation_code).exists():
        problems.append(("implementation_code", _("实施编码已被使用")))
    legal_limit = basic_values["legal_limit"] if isinstance(basic_values["legal_limit"], int) \
        else None
    values, guide_problems = clean_guide(
        _guide_input(guide), legal_limit=legal_limit,
        legal_limit_unit=basic_values["legal_limit_unit"],
    )
    problems += guide_problems
    co_departments = _resolve_co_departments(values["co_department_codes"], region, problems)
    if problems:
        raise _fail(problems)
    try:
        with transaction.atomic():
            basic_item = existing_basic or BasicItem.objects.create(**basic_values)
            item = ServiceItem.objects.create(
                basic=basic_item, region=region, department=department,
                implementation_code=implementation_code,
            )
    except IntegrityError:
        raise Conflict(_("该事项刚被他人创建，请刷新后重试。")) from None
    version = ItemVersion.objects.create(
        item=item, number=1, status=VersionStatus.DRAFT,
        **{k: values[k] for k in VERSION_COLUMNS},
    )
    _write_guide(version, values, co_departments)
    return item


def _lock_item(item: ServiceItem) -> ServiceItem:
    return (
        ServiceItem.objects.select_for_update()
        .select_related("basic", "region", "department")
        .get(pk=item.pk)
    )


@transaction.atomic
def version_create_draft(*, actor: Any, item: ServiceItem) -> ItemVersion:
    """新建修订草稿: clone the current published version (with materials, fees and
    co-departments) into a draft numbered one higher. An item has at most one draft."""
    item = _lock_item(item)
    _require(actor, Perm.CATALOG_EDIT, region=item.region, department=item.department)
    if item.versions.filter(status=VersionStatus.DRAFT).exists():
        raise Conflict(_("该事项已有一份草稿，请先发布或继续编辑它。"))
    base = item.current_version or (
        item.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
    )
    if base is None:
        raise ValidationFailed(_("该事项还没有已发布的版本。"))
    number = (item.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = ItemVersion.objects.create(
        item=item, number=number, status=VersionStatus.DRAFT,
        **{k: getattr(base, k) for k in VERSION_COLUMNS},
    )
    Material.objects.bulk_create([
        Material(
            version=draft, sort_order=m.sort_order, blank_form=m.blank_form, sample=m.sample,
            **{k: getattr(m, k) for k in MATERIAL_SPEC},
        )
        for m in base.materials.all()
    ])
    Fee.objects.bulk_create([
        Fee(version=draft, sort_order=f.sort_order, **{k: getattr(f, k) for k in FEE_SPEC})
        for f in base.fees.all()
    ])
    draft.co_departments.set(base.co_departments.all())
    return draft


def _lock_draft(version: ItemVersion) -> ItemVersion:
    locked = (
        ItemVersion.objects.select_for_update()
        .select_related("item__basic", "item__region", "item__department")
        .get(pk=version.pk)
    )
    if locked.status != VersionStatus.DRAFT:
        raise Conflict(_("只有草稿可以修改或发布；已发布的版本不能再改。"))
    return locked


def _validate_version(
    version: ItemVersion, data: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[Department]]:
    merged = exchange.guide_to_dict(version)
    merged.update(_guide_input(data or {}))
    basic = version.item.basic
    values, problems = clean_guide(
        merged, legal_limit=basic.legal_limit, legal_limit_unit=basic.legal_limit_unit
    )
    co_departments = _resolve_co_departments(
        values["co_department_codes"], version.item.region, problems
    )
    if problems:
        raise _fail(problems)
    return values, co_departments


@transaction.atomic
def version_update_draft(*, actor: Any, version: ItemVersion, data: dict[str, Any]) -> ItemVersion:
    """修改草稿: guide fields, ``materials``, ``fees`` and ``co_departments`` (lists replace
    what the draft had). Only drafts are editable; the whole draft is validated."""
    version = _lock_draft(version)
    item = version.item
    _require(actor, Perm.CATALOG_EDIT, region=item.region, department=item.department)
    unknown = [k for k in data if k not in GUIDE_SPEC and k not in {"co_departments",
                                                                   "change_note"}]
    if unknown:
        raise _fail([(k, _("不能修改此字段")) for k in unknown])
    guide_data = {k: v for k, v in data.items() if k != "change_note"}
    values, co_departments = _validate_version(version, guide_data)
    fields = list(VERSION_COLUMNS)
    for key in fields:
        setattr(version, key, values[key])
    if "change_note" in data:
        version.change_note = str(data["change_note"] or "")[:500]
        fields.append("change_note")
    version.save(update_fields=[*fields, "updated_at"])
    parts: list[str] = [k for k in ("materials", "fees") if k in data]
    if "co_departments" in data or "co_department_codes" in data:
        parts.append("co_departments")
    _write_guide(version, values, co_departments, parts)
    return version


@transaction.atomic
def version_publish(
    *, actor: Any, version: ItemVersion, effective_from: date | None = None
) -> ItemVersion:
    """发布: a draft becomes published. Effective today or earlier → it is the item's current
    version at once; a later date → :func:`catalog_activate_due_versions` switches it then.
    The previous version stays readable."""
    version = _lock_draft(version)
    item = _lock_item(version.item)
    _require(actor, Perm.CATALOG_PUBLISH, region=item.region, department=item.department)
    _validate_version(version)
    today = timezone.localdate()
    version.status = VersionStatus.PUBLISHED
    version.effective_from = effective_from or today
    version.published_at = timezone.now()
    version.published_by = actor
    version.save(
        update_fields=["status", "effective_from", "published_at", "published_by", "updated_at"]
    )
    if version.effective_from <= today:
        current = item.current_version
        if current is None or current.number < version.number:
            item.current_version = version
            item.save(update_fields=["current_version", "updated_at"])
            _switch_current([item])
    return version


@transaction.atomic
def version_retire(*, actor: Any, version: ItemVersion) -> ItemVersion:
    """废止 a published version that is not (or no longer) current; it stays readable."""
    locked = ItemVersion.objects.select_for_update().select_related(
        "item__region", "item__department"
    ).get(pk=version.pk)
    item = _lock_item(locked.item)
    _require(actor, Perm.CATALOG_PUBLISH, region=item.region, department=item.department)
    if locked.status != VersionStatus.PUBLISHED:
        raise Conflict(_("只有已发布的版本可以废止。"))
    if item.current_version_id == locked.pk:
        raise Conflict(_("现行版本不能废止，请先发布新版本。"))
    locked.status = VersionStatus.RETIRED
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def catalog_activate_due_versions(*, today: date | None = None) -> int:
    """Make each item's newest published version whose effective date has come its current
    version. Idempotent: a second run the same day changes nothing. Returns how many switched."""
    today = today or timezone.localdate()
    due = (
        ItemVersion.objects.filter(status=VersionStatus.PUBLISHED, effective_from__lte=today)
        .filter(
            Q(item__current_version__isnull=True)
            | Q(number__gt=F("item__current_version__number"))
        )
        .order_by("item_id", "-number")
        .values_list("item_id", "pk")
    )
    newest: dict[int, int] = {}
    for item_id, version_id in due:
        newest.setdefault(item_id, version_id)
    if not newest:
        return 0
    items = list(ServiceItem.objects.select_for_update().filter(pk__in=list(newest)))
    now = timezone.now()
    for item in items:
        item.current_version_id = newest[item.pk]
        item.updated_at = now
    ServiceItem.objects.bulk_update(items, ["current_version", "updated_at"])
    _switch_current(items)
    return len(items)


# --- Authorisations (首席代表授权书) ---------------------------------------------------------


@transaction.atomic
def authorisation_issue(
    *,
    actor: Any,
    holder: Any,
    department: Department,
    items: Iterable[ServiceItem],
    valid_from: date,
    valid_to: date,
    number: str,
) -> Authorisation:
    """签发首席代表授权书 for ``holder`` (who must hold the chief role for ``department``)
    covering ``items`` (all implemented by ``department``)."""
    department = Department.objects.select_for_update().select_related("region").get(
        pk=department.pk
    )
    _require(actor, Perm.AUTHORISATION_ISSUE, region=department.region, department=department)
    items = list(items)
    problems: list[Problem] = []
    if not RoleAssignment.objects.filter(
        user=holder, role=Role.CHIEF, department=department, is_active=True
    ).exists():
        problems.append(("holder", _("被授权人须是本部门的首席代表")))
    if not items:
        problems.append(("items", _("至少授权一个事项")))
    foreign = [i for i in items if i.department_id != department.pk]
    if foreign:
        problems.append((
            "items",
            _("以下事项不由本部门实施：%(codes)s")
            % {"codes": "、".join(i.implementation_code for i in foreign)},
        ))
    if valid_to < valid_from:
        problems.append(("valid_to", _("截止日期不得早于生效日期")))
    number = (number or "").strip()
    if not number:
        problems.append(("number", _("必填")))
    elif Authorisation.objects.filter(number=number).exists():
        problems.append(("number", _("授权书编号已被使用")))
    if problems:
        raise _fail(problems)
    try:
        with transaction.atomic():
            authorisation = Authorisation.objects.create(
                number=number, holder=holder, department=department, issued_by=actor,
                valid_from=valid_from, valid_to=valid_to,
            )
    except IntegrityError:
        raise Conflict(_("授权书编号已被使用。")) from None
    authorisation.items.set(items)
    return authorisation


@transaction.atomic
def authorisation_revoke(*, actor: Any, authorisation: Authorisation, reason: str) -> Authorisation:
    """撤销授权书; a reason is required."""
    authorisation = Authorisation.objects.select_for_update().select_related(
        "department__region"
    ).get(pk=authorisation.pk)
    _require(
        actor, Perm.AUTHORISATION_ISSUE, region=authorisation.department.region,
        department=authorisation.department,
    )
    reason = (reason or "").strip()
    if not reason:
        raise _fail([("reason", _("请填写撤销原因"))])
    if authorisation.revoked_at is not None:
        raise Conflict(_("该授权书已撤销。"))
    authorisation.revoked_at = timezone.now()
    authorisation.revoked_by = actor
    authorisation.revoke_reason = reason[:500]
    authorisation.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
    return authorisation


# --- Import (实施清单导入) --------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int

    def summary(self) -> str:
        return _("新增%(c)d项，更新%(u)d项，未变化%(n)d项") % {
            "c": self.created, "u": self.updated, "n": self.unchanged,
        }


_CONTENT_KEYS = tuple(k for k in GUIDE_SPEC)


def catalog_import(
    *,
    actor: Any,
    data: bytes,
    fmt: exchange.Format,
    progress: exchange.Progress | None = None,
) -> ImportResult:
    """Import a catalogue file, all or nothing.

    Everything is validated first (progress is reported during this phase, outside any
    transaction, so other connections can see it); then the write happens in one transaction.
    Any bad row → :class:`ValidationFailed` with ``rows`` listing every problem, nothing written.
    ``actor=None`` is the system (command line); a user needs Perm.CATALOG_IMPORT and may only
    import rows of regions within their grant.
    """
    if actor is not None and not access.has_any(actor, Perm.CATALOG_IMPORT):
        raise PermissionDenied(_("您没有导入事项目录的权限。"))
    rows = exchange.parse_catalog(data, fmt)
    validation = exchange.prepare_rows(rows, actor=actor, progress=progress)
    if validation.errors:
        raise ValidationFailed(
            exchange.summarise_errors(validation.errors), rows=validation.errors
        )
    try:
        with transaction.atomic():
            result = _import_write(actor, validation.rows)
    except IntegrityError:
        raise Conflict(_("导入期间目录被他人同时修改，请重新导入。")) from None
    if progress is not None:
        progress(len(rows), len(rows))
    return result


def _import_write(actor: Any, rows: list[exchange.PreparedRow]) -> ImportResult:
    now = timezone.now()
    today = timezone.localdate()
    existing_ids = [r.item.pk for r in rows if r.item is not None]
    locked = {
        i.pk: i for i in ServiceItem.objects.select_for_update().filter(pk__in=existing_ids)
    }
    # Compare with each existing item's newest published version.
    newest: dict[int, int] = {}
    for item_id, version_id in (
        ItemVersion.objects.filter(item_id__in=existing_ids, status=VersionStatus.PUBLISHED)
        .order_by("item_id", "-number")
        .values_list("item_id", "pk")
    ):
        newest.setdefault(item_id, version_id)
    stored: dict[int, dict[str, Any]] = {}
    for version in ItemVersion.objects.filter(pk__in=list(newest.values())).prefetch_related(
        "materials", "fees", "co_departments"
    ):
        stored[version.item_id] = exchange.guide_to_dict(version)
    max_numbers = dict(
        ItemVersion.objects.filter(item_id__in=existing_ids)
        .values("item_id").annotate(n=Max("number")).values_list("item_id", "n")
    )

    # New basic items and items.
    new_basics: dict[str, BasicItem] = {}
    for row in rows:
        code = row.values["basic_code"]
        if row.basic is None and code not in new_basics:
            new_basics[code] = BasicItem(**{k: row.values[k] for k in BASIC_KEYS})
    BasicItem.objects.bulk_create(list(new_basics.values()), batch_size=1000)
    new_items: list[ServiceItem] = []
    targets: list[tuple[exchange.PreparedRow, ServiceItem, int]] = []
    unchanged = updated = 0
    for row in rows:
        if row.item is None:
            item = ServiceItem(
                basic=row.basic or new_basics[row.values["basic_code"]],
                implementation_code=row.values["implementation_code"],
                region=row.region, department=row.department,
            )
            new_items.append(item)
            targets.append((row, item, 1))
            continue
        item = locked[row.item.pk]
        content = {k: row.values[k] for k in _CONTENT_KEYS}
        if stored.get(item.pk) == content:
            unchanged += 1
            continue
        updated += 1
        targets.append((row, item, (max_numbers.get(item.pk) or 0) + 1))
    ServiceItem.objects.bulk_create(new_items, batch_size=1000)

    versions = [
        ItemVersion(
            item=item, number=number, status=VersionStatus.PUBLISHED,
            effective_from=row.effective_from, published_at=now, published_by=actor,
            change_note=_("批量导入"),
            **{k: row.values[k] for k in VERSION_COLUMNS},
        )
        for row, item, number in targets
    ]
    ItemVersion.objects.bulk_create(versions, batch_size=1000)
    materials: list[Material] = []
    fees: list[Fee] = []
    through = ItemVersion.co_departments.through
    links: list[Any] = []
    switched: list[ServiceItem] = []
    for (row, item, _number), version in zip(targets, versions, strict=True):
        materials += [
            Material(version=version, sort_order=i, **{k: m[k] for k in MATERIAL_SPEC})
            for i, m in enumerate(row.values["materials"], start=1)
        ]
        fees += [
            Fee(version=version, sort_order=i, **{k: f[k] for k in FEE_SPEC})
            for i, f in enumerate(row.values["fees"], start=1)
        ]
        links += [
            through(itemversion_id=version.pk, department_id=d.pk) for d in row.co_departments
        ]
        if row.effective_from <= today:
            item.current_version = version
            item.updated_at = now
            switched.append(item)
    Material.objects.bulk_create(materials, batch_size=2000)
    Fee.objects.bulk_create(fees, batch_size=2000)
    through.objects.bulk_create(links, batch_size=2000)
    ServiceItem.objects.bulk_update(switched, ["current_version", "updated_at"], batch_size=1000)
    _switch_current(switched)
    logger.info(
        "catalog import: created=%d updated=%d unchanged=%d", len(new_items), updated, unchanged
    )
    return ImportResult(created=len(new_items), updated=updated, unchanged=unchanged)


# --- Import jobs started from the admin pages ------------------------------------------------


def import_job_start(*, actor: Any, file: Any, name: str) -> ImportJob:
    """Record an upload as an :class:`ImportJob` and queue ``catalog.run_import_job`` after
    commit. Only users with Perm.CATALOG_IMPORT may start one."""
    if not access.has_any(actor, Perm.CATALOG_IMPORT):
        raise PermissionDenied(_("您没有导入事项目录的权限。"))
    exchange.format_from_name(name)
    with transaction.atomic():
        job = ImportJob(original_name=name[:200], started_by=actor)
        job.file.save(name, file, save=False)
        job.save()
    from onewindow.catalog.tasks import run_import_job

    transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


def import_job_run(*, job_id: int) -> str:
    """Run one pending import job (idempotent: a job that is not pending is left alone).

    Progress (``total``/``done``) is written during validation, which runs outside the write
    transaction, so the status page sees it move; the write itself is one transaction.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    job = ImportJob.objects.select_related("started_by").get(pk=job_id)

    def progress(done: int, total: int) -> None:
        if done == total or done % 100 == 0:
            ImportJob.objects.filter(pk=job_id).update(done=done, total=total)

    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        fmt = exchange.format_from_name(job.original_name)
        result = catalog_import(actor=job.started_by, data=data, fmt=fmt, progress=progress)
    except DomainError as exc:
        errors = exc.rows or [{"row": 0, "error": exc.message}]
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, errors=errors[:2000], summary=exc.message[:500],
            updated_at=timezone.now(),
        )
        return "failed"
    except OSError:
        logger.exception("catalog import job %s: file unreadable", job_id)
        message = _("上传的文件无法读取，请重新上传。")
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, errors=[{"row": 0, "error": message}],
            summary=message, updated_at=timezone.now(),
        )
        return "failed"
    total = result.created + result.updated + result.unchanged
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.SUCCEEDED, total=total, done=total, errors=[],
        summary=result.summary(), updated_at=timezone.now(),
    )
    return "succeeded"


def item_record_view(*, item: ServiceItem) -> None:
    """Count one public view of a guide (访问量) for "most used" lists: one atomic UPDATE."""
    ServiceItem.objects.filter(pk=item.pk).update(popularity=F("popularity") + 1)
