"""Rules of a catalogue item (事项校验), shared by the services and the importer.

An item is handled as a plain dict in the exchange format (docs/catalog-format.md). The
functions here check shapes and code tables and return canonical values; they never touch the
database (references to regions and departments are checked by the callers, which know how to
look them up in bulk). Every problem is a ``(field, message)`` pair with a Chinese message;
nested fields are named ``materials[2].name`` (1-based).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from onewindow.catalog.codes import (
    ORG_THEMES,
    PERSON_THEMES,
    Audience,
    BodyNature,
    CaseType,
    CrossRegionScope,
    ExercisingLevel,
    FormFieldType,
    HandlingForm,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    OnlineDepth,
)

Problem = tuple[str, str]

BASIC_CODE_RE = re.compile(r"^[0-9A-Za-z]{1,10}$")
IMPLEMENTATION_CODE_RE = re.compile(r"^[0-9A-Za-z-]{1,36}$")
REGION_CODE_RE = re.compile(r"^[0-9]{12}$")
FORM_FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
RESULT_TYPES = ("证照", "批文", "其他")

# Field kinds: str (single line, max length), text (no limit), int, bool, codes (list of str),
# date (ISO string), list (list of dicts, checked separately).
# key -> (kind, required, default, max_length)
BASIC_SPEC: dict[str, tuple[str, bool, Any, int | None]] = {
    "basic_code": ("str", True, "", 10),
    "name": ("str", True, "", 200),
    "item_type": ("str", True, "", None),
    "legal_basis": ("text", True, "", None),
    "legal_limit": ("int", True, None, None),
    "legal_limit_unit": ("str", False, LimitUnit.WORKDAY.value, None),
    "legal_limit_note": ("str", False, "", 500),
}
PLACEMENT_SPEC: dict[str, tuple[str, bool, Any, int | None]] = {
    "implementation_code": ("str", True, "", 36),
    "region_code": ("str", True, "", 12),
    "department_code": ("str", True, "", 40),
    "effective_from": ("date", False, None, None),
}
GUIDE_SPEC: dict[str, tuple[str, bool, Any, int | None]] = {
    "exercising_level": ("str", True, "", None),
    "body_nature": ("str", False, BodyNature.STATUTORY.value, None),
    "case_type": ("str", True, "", None),
    "content": ("text", False, "", None),
    "acceptance_conditions": ("text", True, "", None),
    "promised_limit": ("int", True, None, None),
    "promised_limit_note": ("str", False, "", 500),
    "co_department_codes": ("codes", False, [], None),
    "handling_organisation": ("str", False, "", 200),
    "intermediary_services": ("text", False, "", None),
    "quantity_limit": ("str", False, "", 500),
    "result_name": ("str", False, "", 200),
    "result_type": ("str", False, "", 50),
    "charges_fee": ("bool", False, False, None),
    "fee_basis": ("text", False, "", None),
    "cross_region_scope": ("str", False, CrossRegionScope.NONE.value, None),
    "audiences": ("codes", True, [], None),
    "person_themes": ("codes", False, [], None),
    "org_themes": ("codes", False, [], None),
    "handling_forms": ("codes", True, [], None),
    "special_procedures": ("text", False, "", None),
    "supports_booking": ("bool", False, False, None),
    "supports_online_payment": ("bool", False, False, None),
    "supports_delivery": ("bool", False, False, None),
    "online": ("bool", False, False, None),
    "online_depth": ("str", False, OnlineDepth.INFO.value, None),
    "visits": ("int", False, 1, None),
    "procedure": ("list", True, [], None),
    "place": ("str", True, "", 300),
    "hours": ("str", True, "", 300),
    "consult_phone": ("str", True, "", 100),
    "complaint_phone": ("str", True, "", 100),
    "faq": ("list", False, [], None),
    "form_schema": ("list", False, [], None),
    "materials": ("list", False, [], None),
    "fees": ("list", False, [], None),
}
ITEM_SPEC = {**BASIC_SPEC, **PLACEMENT_SPEC, **GUIDE_SPEC}
BASIC_KEYS = tuple(BASIC_SPEC)
# Guide keys that are plain columns of ItemVersion (everything but children and co-departments).
VERSION_COLUMNS = tuple(
    k for k in GUIDE_SPEC if k not in {"co_department_codes", "materials", "fees"}
)

MATERIAL_SPEC: dict[str, tuple[str, bool, Any, int | None]] = {
    "name": ("str", True, "", 200),
    "issuing_body": ("str", False, "", 200),
    "requirements": ("text", False, "", None),
    "form": ("str", False, MaterialForm.BOTH.value, None),
    "original_count": ("int", False, 0, None),
    "copy_count": ("int", False, 0, None),
    "required": ("bool", False, True, None),
    "tolerable": ("bool", False, False, None),
    "source": ("str", False, MaterialSource.APPLICANT.value, None),
    "acceptance_standard": ("text", False, "", None),
}
FEE_SPEC: dict[str, tuple[str, bool, Any, int | None]] = {
    "name": ("str", True, "", 200),
    "standard": ("str", True, "", 500),
    "basis": ("text", False, "", None),
    "allows_reduction": ("bool", False, False, None),
}
STEP_SPEC: dict[str, tuple[str, bool, Any, int | None]] = {
    "name": ("str", True, "", 200),
    "description": ("text", False, "", None),
}
FAQ_SPEC: dict[str, tuple[str, bool, Any, int | None]] = {
    "q": ("text", True, "", None),
    "a": ("text", True, "", None),
}
FORM_FIELD_KEYS = ("name", "label", "type", "required", "choices", "max_length", "help")

_CODE_TABLES: dict[str, tuple[str, ...]] = {
    "item_type": tuple(ItemType.values),
    "legal_limit_unit": tuple(LimitUnit.values),
    "exercising_level": tuple(ExercisingLevel.values),
    "body_nature": tuple(BodyNature.values),
    "case_type": tuple(CaseType.values),
    "cross_region_scope": tuple(CrossRegionScope.values),
    "online_depth": tuple(OnlineDepth.values),
}
_LIST_CODE_TABLES: dict[str, tuple[str, ...]] = {
    "audiences": tuple(Audience.values),
    "handling_forms": tuple(HandlingForm.values),
    "person_themes": tuple(PERSON_THEMES),
    "org_themes": tuple(ORG_THEMES),
}


def _required_msg() -> str:
    return _("必填")


def _coerce(
    raw: dict[str, Any], spec: dict[str, tuple[str, bool, Any, int | None]], prefix: str = ""
) -> tuple[dict[str, Any], list[Problem]]:
    """Type-check ``raw`` against ``spec``: (values with defaults filled in, problems)."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, (kind, required, default, max_length) in spec.items():
        field = f"{prefix}{key}"
        value = raw.get(key)
        if value is None or (kind in {"str", "text", "date"} and value == ""):
            if required and kind != "list":
                problems.append((field, _required_msg()))
            out[key] = list(default) if isinstance(default, list) else default
            continue
        if kind in {"str", "text"}:
            if isinstance(value, bool) or not isinstance(value, str | int):
                problems.append((field, _("应为文本")))
                out[key] = default
                continue
            value = str(value).strip()
            if required and not value:
                problems.append((field, _required_msg()))
            if max_length is not None and len(value) > max_length:
                problems.append((field, _("不得超过%(n)d个字符") % {"n": max_length}))
        elif kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append((field, _("应为整数")))
                out[key] = default
                continue
            if value < 0:
                problems.append((field, _("不得为负数")))
        elif kind == "bool":
            if not isinstance(value, bool):
                problems.append((field, _("应为是或否（true/false）")))
                out[key] = default
                continue
        elif kind == "codes":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append((field, _("应为代码列表")))
                out[key] = []
                continue
            value = [v.strip() for v in value if v.strip()]
        elif kind == "date":
            if isinstance(value, date):
                value = value.isoformat()
            try:
                value = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                problems.append((field, _("应为日期（YYYY-MM-DD）")))
                out[key] = None
                continue
        elif kind == "list":
            if not isinstance(value, list):
                problems.append((field, _("应为列表")))
                out[key] = []
                continue
        out[key] = value
    return out, problems


def _check_codes(values: dict[str, Any], keys: tuple[str, ...]) -> list[Problem]:
    problems: list[Problem] = []
    for key in keys:
        if key in _CODE_TABLES:
            value = values.get(key)
            if value and value not in _CODE_TABLES[key]:
                problems.append((key, _("“%(v)s”不在代码表中") % {"v": value}))
        if key in _LIST_CODE_TABLES:
            for code in values.get(key) or []:
                if code not in _LIST_CODE_TABLES[key]:
                    problems.append((key, _("“%(v)s”不在代码表中") % {"v": code}))
    return problems


def clean_basic(raw: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The basic-item part (三级四同 fields): canonical values and problems."""
    values, problems = _coerce(raw, BASIC_SPEC)
    code = values["basic_code"]
    if code and not BASIC_CODE_RE.match(code):
        problems.append(("basic_code", _("基本编码应为1–10位字母或数字")))
    problems += _check_codes(values, BASIC_KEYS)
    return values, problems


def check_implementation_code(code: Any) -> list[Problem]:
    if not isinstance(code, str) or not IMPLEMENTATION_CODE_RE.match(code):
        return [("implementation_code", _("实施编码应为1–36位字母、数字或连字符"))]
    return []


def limit_text(limit: int, unit: str) -> str:
    label = _("个自然日") if unit == LimitUnit.NATURAL_DAY else _("个工作日")
    return f"{limit}{label}"


def _clean_children(
    values: dict[str, Any],
    key: str,
    spec: dict[str, tuple[str, bool, Any, int | None]],
    problems: list[Problem],
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for index, child in enumerate(values.get(key) or [], start=1):
        prefix = f"{key}[{index}]."
        if not isinstance(child, dict):
            problems.append((f"{key}[{index}]", _("应为对象")))
            continue
        clean, child_problems = _coerce(child, spec, prefix)
        problems += child_problems
        out.append(clean)
    return out


def clean_form_field(raw: dict[str, Any], prefix: str) -> tuple[dict[str, Any], list[Problem]]:
    """One ``form_schema`` entry in canonical form (empty optional keys left out)."""
    problems: list[Problem] = []
    name = raw.get("name")
    if not isinstance(name, str) or not FORM_FIELD_NAME_RE.match(name):
        problems.append((f"{prefix}name", _("字段名应为小写字母开头的标识符（a-z、0-9、_）")))
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        problems.append((f"{prefix}label", _required_msg()))
    kind = raw.get("type")
    if kind not in FormFieldType.values:
        problems.append((f"{prefix}type", _("“%(v)s”不是可用的字段类型") % {"v": kind}))
    required = raw.get("required", False)
    if not isinstance(required, bool):
        problems.append((f"{prefix}required", _("应为是或否（true/false）")))
        required = False
    clean: dict[str, Any] = {
        "name": name, "label": label.strip() if isinstance(label, str) else label,
        "type": kind, "required": required,
    }
    choices = raw.get("choices")
    if choices not in (None, "", []):
        if not isinstance(choices, list) or not all(
            isinstance(c, str) and c.strip() for c in choices
        ):
            problems.append((f"{prefix}choices", _("选项应为非空文本列表")))
        else:
            clean["choices"] = [c.strip() for c in choices]
    if kind == FormFieldType.SELECT and not clean.get("choices"):
        problems.append((f"{prefix}choices", _("下拉选择字段必须提供选项")))
    max_length = raw.get("max_length")
    if max_length not in (None, ""):
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length <= 0:
            problems.append((f"{prefix}max_length", _("应为正整数")))
        else:
            clean["max_length"] = max_length
    help_text = raw.get("help")
    if help_text not in (None, ""):
        if not isinstance(help_text, str):
            problems.append((f"{prefix}help", _("应为文本")))
        else:
            clean["help"] = help_text
    return clean, problems


def clean_guide(
    raw: dict[str, Any], *, legal_limit: int | None, legal_limit_unit: str
) -> tuple[dict[str, Any], list[Problem]]:
    """The guide (办事指南) part of an item: canonical values and problems.

    ``legal_limit``/``legal_limit_unit`` come from the basic item (the promised limit is in the
    same unit and must not exceed it).
    """
    values, problems = _coerce(raw, GUIDE_SPEC)
    problems += _check_codes(values, tuple(GUIDE_SPEC))
    promised = values["promised_limit"]
    if isinstance(promised, int) and isinstance(legal_limit, int) and promised > legal_limit:
        problems.append((
            "promised_limit",
            _("承诺时限不得超过法定时限（%(limit)s）")
            % {"limit": limit_text(legal_limit, legal_limit_unit)},
        ))
    if values["case_type"] == CaseType.INSTANT and promised not in (0, None):
        problems.append(("promised_limit", _("即办件的承诺时限应为0")))
    if values["result_type"] and values["result_type"] not in RESULT_TYPES:
        problems.append(("result_type", _("审批结果类型应为证照、批文或其他")))
    if isinstance(values["visits"], int) and values["visits"] > 5:
        problems.append(("visits", _("到现场次数应在0–5之间")))
    if not values["audiences"] and not any(p[0] == "audiences" for p in problems):
        problems.append(("audiences", _("至少选择一类服务对象")))
    if not values["handling_forms"] and not any(p[0] == "handling_forms" for p in problems):
        problems.append(("handling_forms", _("至少选择一种办理形式")))
    values["co_department_codes"] = sorted(set(values["co_department_codes"]))

    values["procedure"] = _clean_children(values, "procedure", STEP_SPEC, problems)
    if not values["procedure"] and not any(p[0].startswith("procedure") for p in problems):
        problems.append(("procedure", _("办理流程至少有一个环节")))
    values["faq"] = _clean_children(values, "faq", FAQ_SPEC, problems)
    values["materials"] = _clean_children(values, "materials", MATERIAL_SPEC, problems)
    for index, material in enumerate(values["materials"], start=1):
        prefix = f"materials[{index}]."
        if material["form"] not in MaterialForm.values:
            problems.append((prefix + "form", _("材料形式应为 paper、electronic 或 both")))
        if material["source"] not in MaterialSource.values:
            problems.append((prefix + "source", _("来源渠道应为1、2或9")))
        if material["tolerable"] and not material["required"]:
            problems.append((prefix + "tolerable", _("只有必要材料可以容缺")))
        for key in ("original_count", "copy_count"):
            if isinstance(material[key], int) and material[key] > 100:
                problems.append((prefix + key, _("份数不得超过100")))
    values["fees"] = _clean_children(values, "fees", FEE_SPEC, problems)
    if values["charges_fee"] and not values["fees"] and not any(
        p[0].startswith("fees") for p in problems
    ):
        problems.append(("fees", _("收费事项至少要有一个收费项目")))

    schema: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(values["form_schema"], start=1):
        prefix = f"form_schema[{index}]."
        if not isinstance(entry, dict):
            problems.append((f"form_schema[{index}]", _("应为对象")))
            continue
        clean, field_problems = clean_form_field(entry, prefix)
        problems += field_problems
        if isinstance(clean["name"], str):
            if clean["name"] in seen:
                problems.append((prefix + "name", _("字段名“%(n)s”重复") % {"n": clean["name"]}))
            seen.add(clean["name"])
        schema.append(clean)
    values["form_schema"] = schema
    return values, problems


def clean_item(raw: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """A whole exchange-format item (basic + placement + guide), without database checks."""
    basic, problems = clean_basic(raw)
    placement, placement_problems = _coerce(raw, PLACEMENT_SPEC)
    problems += placement_problems
    code = placement["implementation_code"]
    if code:
        problems += check_implementation_code(code)
    if placement["region_code"] and not REGION_CODE_RE.match(placement["region_code"]):
        problems.append(("region_code", _("区划代码应为12位数字")))
    legal_limit = basic["legal_limit"] if isinstance(basic["legal_limit"], int) else None
    guide, guide_problems = clean_guide(
        raw, legal_limit=legal_limit, legal_limit_unit=basic["legal_limit_unit"]
    )
    problems += guide_problems
    return {**basic, **placement, **guide}, problems


def problems_to_field_errors(problems: list[Problem]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for field, message in problems:
        out.setdefault(field, []).append(message)
    return out
