"""How a package's combined form and material list are put together (一表制 · 一套材料).

Combined form: the package's :class:`~onewindow.packages.models.PackageField` rows, in order.
Each item's form field is fed by one combined field: the one its ``field_map`` names
(``{combined name: item field name}``), else the combined field of the same name. A combined
field is required when it says so or when any item field it feeds is required. Its values are
checked with the cases' own rules (:func:`onewindow.cases.forms_schema.clean_form_data`) on the
combined schema and again on every item's schema, and every error is reported on the combined
field the applicant typed.

Combined materials: every item's checklist (its current version), merged by name — the same
name after normalisation (full-width/half-width forms and spaces ignored), or the name an
item's ``material_map`` gives it — so that the same material is uploaded once. A material of an
item whose name matches the result of one of its prerequisites (营业执照 ↔ 公司设立登记's
营业执照) is not asked for at all: the prerequisite's certificate is attached when it is issued.

:func:`load_design` reads a package in a fixed number of queries; :func:`problems` lists, in
Chinese, what would make its combined form or materials unusable (checked before publishing).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from onewindow.catalog.models import ItemVersion, Material, VersionStatus
from onewindow.core import clock
from onewindow.packages.models import Package, PackageField, PackageItem

_NAME_NOISE = re.compile(r"[（(][^）)]*[）)]|复印件|原件|副本|正本|电子证照|\s")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TEXT_TYPES = frozenset({"text", "textarea"})


def normalise_name(name: str) -> str:
    """营业执照 （副本） → 营业执照(副本): compatibility forms folded, spaces dropped."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or ""))


def material_key(name: str) -> str:
    """A short, stable key for a combined material (used in forms and the API)."""
    return "m" + hashlib.sha256(normalise_name(name).encode()).hexdigest()[:10]


def names_match(material: str, certificate: str) -> bool:
    """Whether a certificate can stand for a material: one name contains the other, once notes
    like （个体工商户） or 复印件 are left out (营业执照复印件 ↔ 营业执照（个体工商户））."""
    a = _NAME_NOISE.sub("", unicodedata.normalize("NFKC", material or ""))
    b = _NAME_NOISE.sub("", unicodedata.normalize("NFKC", certificate or ""))
    # Too short a name would match far too much (证明 is in every …证明).
    return min(len(a), len(b)) >= 3 and (a in b or b in a)


@dataclass
class MaterialUse:
    package_item_id: int
    item_name: str
    material: Material


@dataclass
class CombinedMaterial:
    """One row of the combined material list: uploaded once, attached to each use."""

    key: str
    name: str
    uses: list[MaterialUse] = field(default_factory=list)

    @property
    def required(self) -> bool:
        return any(u.material.required for u in self.uses)

    @property
    def must_upload(self) -> bool:
        """Needed before submitting: required and not tolerable (容缺) for some item."""
        return any(u.material.required and not u.material.tolerable for u in self.uses)

    @property
    def tolerable(self) -> bool:
        return self.required and not self.must_upload

    @property
    def requirements(self) -> str:
        return next((u.material.requirements for u in self.uses if u.material.requirements), "")

    @property
    def item_names(self) -> list[str]:
        return [u.item_name for u in self.uses]


@dataclass
class CertificateUse:
    """A material an item gets from a prerequisite's certificate (no upload)."""

    package_item_id: int
    item_name: str
    material_name: str
    prerequisite_id: int
    prerequisite_name: str
    result_name: str


@dataclass
class ItemPlan:
    package_item: PackageItem
    version: ItemVersion | None
    prerequisite_ids: list[int]
    # item field name -> combined field name feeding it
    sources: dict[str, str]
    prerequisite_names: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.package_item.item.basic.name

    @property
    def schema(self) -> list[dict[str, Any]]:
        return [f for f in (self.version.form_schema if self.version else []) or []
                if isinstance(f, dict) and f.get("name")]


@dataclass
class Design:
    package: Package
    items: list[ItemPlan]
    fields: list[PackageField]
    schema: list[dict[str, Any]]
    materials: list[CombinedMaterial]
    from_certificates: list[CertificateUse]
    problems: list[str]

    def item(self, package_item_id: int) -> ItemPlan:
        return next(p for p in self.items if p.package_item.pk == package_item_id)

    def material(self, key: str) -> CombinedMaterial | None:
        return next((m for m in self.materials if m.key == key), None)

    def levels(self) -> list[list[ItemPlan]]:
        """The items in the order they can run: each level needs only earlier ones."""
        done: set[int] = set()
        left = list(self.items)
        out: list[list[ItemPlan]] = []
        while left:
            ready = [p for p in left if set(p.prerequisite_ids) <= done]
            if not ready:  # a cycle (reported by problems()): show the rest as one level
                out.append(left)
                break
            out.append(ready)
            done |= {p.package_item.pk for p in ready}
            left = [p for p in left if p not in ready]
        return out


def live_version(version: ItemVersion | None) -> ItemVersion | None:
    if version is None or version.status != VersionStatus.PUBLISHED:
        return None
    if version.effective_from and version.effective_from > clock.today():
        return None
    return version


def load_design(package: Package) -> Design:
    """The package's items, combined form and material list (a fixed number of queries)."""
    items = list(
        PackageItem.objects.filter(package=package)
        .select_related("item__basic", "item__department", "item__region",
                        "item__current_version")
        .prefetch_related(
            Prefetch("depends_on", queryset=PackageItem.objects.only("id", "package_id")),
            Prefetch("item__current_version__materials",
                     queryset=Material.objects.order_by("sort_order", "id")),
        )
        .order_by("sort_order", "id")
    )
    fields = list(PackageField.objects.filter(package=package).order_by("sort_order", "id"))
    return build_design(package, items, fields)


def build_design(package: Package, items: list[PackageItem],
                 fields: list[PackageField]) -> Design:
    problems: list[str] = []
    by_name = {f.name: f for f in fields}
    ids = {pi.pk for pi in items}
    plans: list[ItemPlan] = []
    for pi in items:
        version = live_version(pi.item.current_version)
        label = pi.item.basic.name
        if version is None:
            problems.append(_("事项“%(i)s”没有已发布的现行版本。") % {"i": label})
        elif not version.online:
            problems.append(_("事项“%(i)s”不支持网上办理，不能纳入一件事在线申请。") % {"i": label})
        prereqs = [d.pk for d in pi.depends_on.all()]
        for d in pi.depends_on.all():
            if d.pk not in ids or d.package_id != package.pk:
                problems.append(_("事项“%(i)s”的前置事项不属于本一件事。") % {"i": label})
            if d.pk == pi.pk:
                problems.append(_("事项“%(i)s”不能以自己为前置事项。") % {"i": label})
        plan = ItemPlan(package_item=pi, version=version, prerequisite_ids=prereqs, sources={})
        plan.sources = _sources(plan, by_name, problems)
        plans.append(plan)
    names = {p.package_item.pk: p.name for p in plans}
    for p in plans:
        p.prerequisite_names = [names[i] for i in p.prerequisite_ids if i in names]
    if _has_cycle(plans):
        problems.append(_("前置事项之间存在循环依赖，请检查。"))
    schema = _combined_schema(plans, fields, problems)
    materials, from_certs = _combined_materials(plans, problems)
    if not items:
        problems.append(_("一件事至少应包含一个事项。"))
    return Design(package=package, items=plans, fields=fields, schema=schema,
                  materials=materials, from_certificates=from_certs, problems=problems)


def _sources(plan: ItemPlan, fields: dict[str, PackageField], problems: list[str]
             ) -> dict[str, str]:
    """Which combined field feeds each field of the item's form."""
    label = plan.name
    raw = plan.package_item.field_map
    item_fields = {f["name"]: f for f in plan.schema}
    sources: dict[str, str] = {}
    if not isinstance(raw, dict):
        problems.append(_("事项“%(i)s”的字段对应应为 JSON 对象。") % {"i": label})
        raw = {}
    for combined, target in raw.items():
        if not isinstance(target, str) or not isinstance(combined, str):
            problems.append(_("事项“%(i)s”的字段对应应为“字段名: 字段名”。") % {"i": label})
            continue
        if combined not in fields:
            problems.append(_("事项“%(i)s”的字段对应中，联合表单没有字段“%(f)s”。")
                            % {"i": label, "f": combined})
            continue
        if plan.version is not None and target not in item_fields:
            problems.append(_("事项“%(i)s”的申请表没有字段“%(f)s”。") % {"i": label, "f": target})
            continue
        if target in sources:
            problems.append(_("事项“%(i)s”的字段“%(f)s”对应了多个联合表单字段。")
                            % {"i": label, "f": target})
            continue
        sources[target] = combined
    for name in item_fields:
        if name not in sources and name in fields:
            sources[name] = name
    for name, f in item_fields.items():
        if name not in sources:
            if f.get("required"):
                problems.append(_("事项“%(i)s”的必填项“%(l)s”（%(f)s）没有对应的联合表单字段。")
                                % {"i": label, "l": f.get("label", name), "f": name})
            continue
        _compatible(label, f, fields[sources[name]], problems)
    return sources


def _compatible(label: str, target: dict[str, Any], source: PackageField,
                problems: list[str]) -> None:
    kind = target.get("type", "text")
    if source.type == kind or (kind in _TEXT_TYPES and source.type != "boolean"):
        if kind == "select" and not set(source.choices or []) <= set(target.get("choices") or []):
            problems.append(_("联合表单字段“%(s)s”的选项不全在事项“%(i)s”的“%(l)s”选项之中。")
                            % {"s": source.label, "i": label, "l": target.get("label", "")})
        return
    problems.append(_("联合表单字段“%(s)s”的类型与事项“%(i)s”的“%(l)s”不一致。")
                    % {"s": source.label, "i": label, "l": target.get("label", "")})


def _has_cycle(plans: list[ItemPlan]) -> bool:
    graph = {p.package_item.pk: set(p.prerequisite_ids) for p in plans}
    state: dict[int, int] = {}

    def visit(node: int) -> bool:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1 or (state.get(nxt) is None and nxt in graph and visit(nxt)):
                return True
        state[node] = 2
        return False

    return any(state.get(n) is None and visit(n) for n in graph)


def field_entry(f: PackageField, *, required: bool) -> dict[str, Any]:
    """A combined field in the item form-schema format (so the cases' form code serves it)."""
    entry: dict[str, Any] = {"name": f.name, "label": f.label, "type": f.type,
                             "required": required}
    if f.help:
        entry["help"] = f.help
    if f.type == "select":
        entry["choices"] = list(f.choices or [])
    if f.max_length:
        entry["max_length"] = f.max_length
    return entry


def _combined_schema(plans: list[ItemPlan], fields: list[PackageField],
                     problems: list[str]) -> list[dict[str, Any]]:
    fed_required: set[str] = set()
    used: set[str] = set()
    for plan in plans:
        item_fields = {f["name"]: f for f in plan.schema}
        for target, source in plan.sources.items():
            used.add(source)
            if item_fields.get(target, {}).get("required"):
                fed_required.add(source)
    schema = []
    for f in fields:
        if not FIELD_NAME.match(f.name):
            problems.append(_("联合表单字段名“%(f)s”不合规。") % {"f": f.name})
        if f.type == "select" and not f.choices:
            problems.append(_("联合表单字段“%(l)s”为下拉选择，请填写选项。") % {"l": f.label})
        if f.name not in used:
            problems.append(_("联合表单字段“%(l)s”没有对应任何事项的字段。") % {"l": f.label})
        schema.append(field_entry(f, required=f.required or f.name in fed_required))
    return schema


def _combined_materials(plans: list[ItemPlan], problems: list[str]
                        ) -> tuple[list[CombinedMaterial], list[CertificateUse]]:
    by_key: dict[str, CombinedMaterial] = {}
    certs: list[CertificateUse] = []
    by_id = {p.package_item.pk: p for p in plans}
    for plan in plans:
        if plan.version is None:
            continue
        aliases = plan.package_item.material_map
        if not isinstance(aliases, dict):
            problems.append(_("事项“%(i)s”的材料合并应为 JSON 对象。") % {"i": plan.name})
            aliases = {}
        names = {m.name for m in plan.version.materials.all()}
        for alias in aliases:
            if alias not in names:
                problems.append(_("事项“%(i)s”没有名为“%(m)s”的材料。")
                                % {"i": plan.name, "m": alias})
        for m in plan.version.materials.all():
            prereq = cert_source(plan, m.name, by_id)
            if prereq is not None:
                certs.append(CertificateUse(
                    package_item_id=plan.package_item.pk, item_name=plan.name,
                    material_name=m.name, prerequisite_id=prereq.package_item.pk,
                    prerequisite_name=prereq.name,
                    result_name=prereq.version.result_name if prereq.version else "",
                ))
                continue
            combined = str(aliases.get(m.name) or m.name)
            key = material_key(combined)
            row = by_key.setdefault(key, CombinedMaterial(key=key, name=combined))
            row.uses.append(MaterialUse(plan.package_item.pk, plan.name, m))
    return list(by_key.values()), certs


def cert_source(plan: ItemPlan, material_name: str, by_id: dict[int, ItemPlan]
                ) -> ItemPlan | None:
    """The prerequisite whose certificate stands for this material of the item, if any."""
    for pid in plan.prerequisite_ids:
        prereq = by_id.get(pid)
        if prereq and prereq.version and prereq.version.result_name and names_match(
            material_name, prereq.version.result_name
        ):
            return prereq
    return None


def combined_key_for(plan: ItemPlan, material_name: str) -> str:
    aliases = plan.package_item.material_map if isinstance(
        plan.package_item.material_map, dict) else {}
    return material_key(str(aliases.get(material_name) or material_name))


def item_form_data(plan: ItemPlan, combined: dict[str, Any]) -> dict[str, Any]:
    """The item's own form data from the combined form's values."""
    return {target: combined[source] for target, source in plan.sources.items()
            if source in combined}


def derive_fields(design: Design) -> list[PackageField]:
    """Combined fields for every item field not fed yet (unsaved), labelled by the first item
    that has it — a starting point the admin then edits."""
    have = {f.name for f in design.fields}
    out: list[PackageField] = []
    order = max((f.sort_order for f in design.fields), default=0)
    for plan in design.items:
        explicit = {}
        if isinstance(plan.package_item.field_map, dict):
            explicit = {v: k for k, v in plan.package_item.field_map.items()
                        if isinstance(v, str) and isinstance(k, str)}
        for f in plan.schema:
            name = explicit.get(f["name"], f["name"])
            if name in have or not FIELD_NAME.match(name):
                continue
            have.add(name)
            order += 10
            out.append(PackageField(
                package=design.package, sort_order=order, name=name,
                label=str(f.get("label") or name)[:100], type=f.get("type", "text"),
                required=bool(f.get("required")), help=str(f.get("help") or "")[:200],
                choices=list(f.get("choices") or []) if f.get("type") == "select" else [],
                max_length=f.get("max_length") or None,
            ))
    return out
