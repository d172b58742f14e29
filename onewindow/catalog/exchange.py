"""Catalogue exchange format (实施清单交换格式): read, write and validate; see
docs/catalog-format.md.

- :func:`export_catalog` writes the current versions as JSON or xlsx.
- :func:`parse_catalog` reads a file into item dicts (exchange keys). Each dict may carry private
  keys starting with ``_``: ``_loc`` (where the item came from, for error reports), ``_errors``
  (problems already found while reading, e.g. an Excel cell that is not 是/否).
- :func:`validate_rows` checks everything, including references to regions and departments and
  三级四同 consistency against the database and within the file, and returns row errors
  ``{"sheet"?, "row", "field"?, "error"}``. It writes nothing.

The write itself is :func:`onewindow.catalog.services.catalog_import`.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from onewindow.catalog.models import BasicItem, ItemVersion, ServiceItem
from onewindow.catalog.validation import (
    BASIC_KEYS,
    FEE_SPEC,
    FORM_FIELD_KEYS,
    ITEM_SPEC,
    MATERIAL_SPEC,
    Problem,
    clean_item,
)
from onewindow.core.errors import ValidationFailed
from onewindow.regions.models import Department, Region

Format = Literal["json", "xlsx"]
FORMAT_MARKER = "onewindow-catalog/1"
Progress = Callable[[int, int], None]

# Chinese column names (the part before the key in an Excel header).
LABELS: dict[str, str] = {
    "basic_code": "基本编码", "name": "事项名称", "item_type": "事项类型",
    "legal_basis": "设定依据", "legal_limit": "法定办结时限", "legal_limit_unit": "时限单位",
    "legal_limit_note": "法定时限说明", "implementation_code": "实施编码",
    "region_code": "实施区划", "department_code": "实施主体", "effective_from": "生效日期",
    "exercising_level": "行使层级", "body_nature": "实施主体性质", "case_type": "办件类型",
    "content": "办理内容", "acceptance_conditions": "受理条件",
    "promised_limit": "承诺办结时限", "promised_limit_note": "承诺时限说明",
    "co_department_codes": "联办机构", "handling_organisation": "办理机构",
    "intermediary_services": "中介服务", "quantity_limit": "数量限制",
    "result_name": "审批结果名称", "result_type": "审批结果类型", "charges_fee": "是否收费",
    "fee_basis": "收费依据", "cross_region_scope": "通办范围", "audiences": "服务对象",
    "person_themes": "自然人主题", "org_themes": "法人主题", "handling_forms": "办理形式",
    "special_procedures": "特别程序", "supports_booking": "支持预约",
    "supports_online_payment": "支持网上支付", "supports_delivery": "支持快递",
    "online": "网上可办", "online_depth": "网上办理深度", "visits": "到现场次数",
    "place": "办理地点", "hours": "办理时间", "consult_phone": "咨询电话",
    "complaint_phone": "监督投诉电话", "version": "版本号",
}
MATERIAL_LABELS = {
    "name": "材料名称", "issuing_body": "出具单位", "requirements": "材料要求",
    "form": "材料形式", "original_count": "原件份数", "copy_count": "复印件份数",
    "required": "是否必要", "tolerable": "是否容缺", "source": "来源渠道",
    "acceptance_standard": "受理标准",
}
FEE_LABELS = {
    "name": "收费项目名称", "standard": "收费标准", "basis": "收费依据",
    "allows_reduction": "是否允许减免",
}
STEP_LABELS = {"name": "环节名称", "description": "环节说明"}
FAQ_LABELS = {"q": "问题", "a": "解答"}
FORM_LABELS = {
    "name": "字段名", "label": "标签", "type": "类型", "required": "是否必填",
    "choices": "选项", "max_length": "最大长度", "help": "填写说明",
}

LIST_KEYS = ("procedure", "faq", "form_schema", "materials", "fees")
ITEM_SHEET = "事项"
# list key -> (sheet name, child keys, labels)
CHILD_SHEETS: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {
    "materials": ("申请材料", tuple(MATERIAL_SPEC), MATERIAL_LABELS),
    "fees": ("收费标准", tuple(FEE_SPEC), FEE_LABELS),
    "procedure": ("办理流程", ("name", "description"), STEP_LABELS),
    "faq": ("常见问题", ("q", "a"), FAQ_LABELS),
    "form_schema": ("申请表单", FORM_FIELD_KEYS, FORM_LABELS),
}
ITEM_COLUMNS = tuple(k for k in ITEM_SPEC if k not in LIST_KEYS) + ("version",)
CODE_LIST_KEYS = frozenset(k for k, spec in ITEM_SPEC.items() if spec[0] == "codes")
BOOL_KEYS = frozenset(
    [k for k, spec in ITEM_SPEC.items() if spec[0] == "bool"]
    + ["required", "tolerable", "allows_reduction"]
)
INT_KEYS = frozenset(
    [k for k, spec in ITEM_SPEC.items() if spec[0] == "int"]
    + ["original_count", "copy_count", "max_length"]
)


# --- Export --------------------------------------------------------------------------------


def version_to_dict(item: ServiceItem, version: ItemVersion) -> dict[str, Any]:
    """One item in the exchange format, from ``version`` (children should be prefetched)."""
    basic = item.basic
    out: dict[str, Any] = {
        "basic_code": basic.basic_code,
        "name": basic.name,
        "item_type": basic.item_type,
        "legal_basis": basic.legal_basis,
        "legal_limit": basic.legal_limit,
        "legal_limit_unit": basic.legal_limit_unit,
        "legal_limit_note": basic.legal_limit_note,
        "implementation_code": item.implementation_code,
        "region_code": item.region.code,
        "department_code": item.department.code,
        "effective_from": version.effective_from.isoformat() if version.effective_from else None,
    }
    out.update(guide_to_dict(version))
    out["version"] = version.number
    return out


def guide_to_dict(version: ItemVersion) -> dict[str, Any]:
    """The guide part of a version in canonical exchange form (what import compares)."""
    out: dict[str, Any] = {}
    for key in ITEM_SPEC:
        if key in BASIC_KEYS or key in {
            "implementation_code", "region_code", "department_code", "effective_from",
        }:
            continue
        if key == "co_department_codes":
            out[key] = sorted({d.code for d in version.co_departments.all()})
        elif key == "materials":
            out[key] = [
                {k: getattr(m, k) for k in MATERIAL_SPEC} for m in version.materials.all()
            ]
        elif key == "fees":
            out[key] = [{k: getattr(f, k) for k in FEE_SPEC} for f in version.fees.all()]
        else:
            out[key] = getattr(version, key)
    return out


def _export_queryset(items_qs: QuerySet[ServiceItem] | None) -> QuerySet[ServiceItem]:
    qs = items_qs if items_qs is not None else ServiceItem.objects.all()
    return (
        qs.filter(current_version__isnull=False)
        .select_related("basic", "region", "department", "current_version")
        .prefetch_related(
            Prefetch("current_version__materials"),
            Prefetch("current_version__fees"),
            Prefetch("current_version__co_departments"),
        )
        .order_by("implementation_code")
    )


def export_items(items_qs: QuerySet[ServiceItem] | None = None) -> list[dict[str, Any]]:
    out = []
    for item in _export_queryset(items_qs).iterator(chunk_size=500):
        assert item.current_version is not None
        out.append(version_to_dict(item, item.current_version))
    return out


def export_catalog(*, fmt: Format, items_qs: QuerySet[ServiceItem] | None = None) -> bytes:
    """The current version of every item (or of ``items_qs``) in the exchange format."""
    items = export_items(items_qs)
    if fmt == "json":
        doc = {"format": FORMAT_MARKER, "items": items}
        return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
    if fmt == "xlsx":
        return _write_xlsx(items)
    raise ValidationFailed(_("不支持的格式：%(fmt)s（应为 json 或 xlsx）") % {"fmt": fmt})


def _cell(key: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if key in CODE_LIST_KEYS:
        return ",".join(value)
    if key == "choices":
        return "|".join(value)
    return value


def _write_xlsx(items: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(ITEM_SHEET)
    sheet.append([f"{LABELS[k]} {k}" for k in ITEM_COLUMNS])
    for item in items:
        sheet.append([_cell(k, item.get(k)) for k in ITEM_COLUMNS])
    for key, (title, keys, labels) in CHILD_SHEETS.items():
        child_sheet = wb.create_sheet(title)
        child_sheet.append(
            [f"{LABELS['implementation_code']} implementation_code"]
            + [f"{labels[k]} {k}" for k in keys]
        )
        for item in items:
            for child in item.get(key) or []:
                child_sheet.append(
                    [item["implementation_code"]] + [_cell(k, child.get(k)) for k in keys]
                )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- Parse ---------------------------------------------------------------------------------


def format_from_name(name: str) -> Format:
    lower = name.lower()
    if lower.endswith(".xlsx"):
        return "xlsx"
    if lower.endswith(".json"):
        return "json"
    raise ValidationFailed(_("无法识别文件类型：请使用 .xlsx 或 .json 文件"), code="bad_file")


def parse_catalog(data: bytes, fmt: Format) -> list[dict[str, Any]]:
    """Read a catalogue file into item dicts; a file that cannot be read raises ValidationFailed."""
    if fmt == "json":
        return _parse_json(data)
    if fmt == "xlsx":
        return _parse_xlsx(data)
    raise ValidationFailed(_("不支持的格式：%(fmt)s（应为 json 或 xlsx）") % {"fmt": fmt})


def _bad_file(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="bad_file", rows=[{"row": 0, "error": message}])


def _parse_json(data: bytes) -> list[dict[str, Any]]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise _bad_file(_("文件不是有效的 JSON（UTF-8 编码）")) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_MARKER:
        raise _bad_file(
            _("格式标记不正确：应为 {\"format\": \"%(m)s\", \"items\": [...]}")
            % {"m": FORMAT_MARKER}
        )
    items = doc.get("items")
    if not isinstance(items, list):
        raise _bad_file(_("缺少事项列表 items"))
    rows: list[dict[str, Any]] = []
    for index, raw in enumerate(items, start=1):
        if isinstance(raw, dict):
            row = {k: v for k, v in raw.items() if not k.startswith("_")}
            row["_loc"] = {"row": index}
        else:
            row = {
                "_loc": {"row": index}, "_orphan": True,
                "_errors": [{"row": index, "error": _("每个事项应为一个对象")}],
            }
        rows.append(row)
    return rows


def _header_key(value: Any) -> str:
    text = str(value or "").strip()
    return text.rsplit(" ", 1)[-1] if " " in text else text


def _sheet_rows(ws: Any) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    header: list[str] = []
    rows: list[tuple[int, list[Any]]] = []
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if number == 1:
            header = [_header_key(v) for v in values]
            continue
        cells = list(values)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
            continue
        rows.append((number, cells))
    return header, rows


_TRUE = {"是", "true", "TRUE", "True", "1", "Y", "y", "yes"}
_FALSE = {"否", "false", "FALSE", "False", "0", "N", "n", "no"}


def _from_cell(key: str, value: Any) -> tuple[Any, str | None]:
    """Excel cell -> exchange value (None when empty), plus a problem message if unreadable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if key in CODE_LIST_KEYS:
            return [], None
        return None, None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if key in BOOL_KEYS:
        if isinstance(value, bool):
            return value, None
        text = str(value).strip()
        if text in _TRUE:
            return True, None
        if text in _FALSE:
            return False, None
        return None, _("应填“是”或“否”")
    if key in INT_KEYS:
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        text = str(value).strip()
        if text.lstrip("-").isdigit():
            return int(text), None
        return None, _("应为整数")
    if key in CODE_LIST_KEYS:
        text = str(value).replace("，", ",").replace("、", ",")
        return [part.strip() for part in text.split(",") if part.strip()], None
    if key == "choices":
        return [part.strip() for part in str(value).split("|") if part.strip()], None
    if key == "effective_from" and isinstance(value, date):
        return value.isoformat()[:10], None
    if isinstance(value, int | float):
        return str(value), None
    return str(value), None


def _parse_xlsx(data: bytes) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise _bad_file(_("文件不是有效的 Excel（xlsx）工作簿")) from None
    except Exception:  # openpyxl raises its own InvalidFileException and friends
        raise _bad_file(_("文件不是有效的 Excel（xlsx）工作簿")) from None
    try:
        missing = [
            name for name in [ITEM_SHEET] + [s[0] for s in CHILD_SHEETS.values()]
            if name not in wb.sheetnames
        ]
        if missing:
            raise _bad_file(
                _("缺少工作表：%(names)s") % {"names": "、".join(f"“{n}”" for n in missing)}
            )
        header, item_rows = _sheet_rows(wb[ITEM_SHEET])
        known = set(ITEM_COLUMNS)
        unknown = [k for k in header if k and k not in known]
        if unknown:
            raise _bad_file(
                _("工作表“%(s)s”有无法识别的列：%(cols)s")
                % {"s": ITEM_SHEET, "cols": "、".join(unknown)}
            )
        if "implementation_code" not in header:
            raise _bad_file(
                _("工作表“%(s)s”缺少列 implementation_code") % {"s": ITEM_SHEET}
            )
        items: list[dict[str, Any]] = []
        by_code: dict[str, dict[str, Any]] = {}
        for number, cells in item_rows:
            item: dict[str, Any] = {"_loc": {"sheet": ITEM_SHEET, "row": number}, "_errors": []}
            for key, value in zip(header, cells, strict=False):
                if not key or key == "version":
                    continue
                converted, problem = _from_cell(key, value)
                if problem:
                    item["_errors"].append(
                        {"sheet": ITEM_SHEET, "row": number, "field": key, "error": problem}
                    )
                elif converted is not None:
                    item[key] = converted
            for key in LIST_KEYS:
                item[key] = []
            items.append(item)
            code = item.get("implementation_code")
            if isinstance(code, str) and code not in by_code:
                by_code[code] = item
        for list_key, (title, keys, _labels) in CHILD_SHEETS.items():
            child_header, child_rows = _sheet_rows(wb[title])
            allowed = {"implementation_code", *keys}
            unknown = [k for k in child_header if k and k not in allowed]
            if unknown or "implementation_code" not in child_header:
                raise _bad_file(
                    _("工作表“%(s)s”的表头不正确（应有 implementation_code 和 %(keys)s）")
                    % {"s": title, "keys": "、".join(keys)}
                )
            for number, cells in child_rows:
                child: dict[str, Any] = {"_loc": {"sheet": title, "row": number}}
                problems: list[dict[str, Any]] = []
                code = None
                for key, value in zip(child_header, cells, strict=False):
                    if not key:
                        continue
                    converted, problem = _from_cell(key, value)
                    if problem:
                        problems.append(
                            {"sheet": title, "row": number, "field": key, "error": problem}
                        )
                    elif key == "implementation_code":
                        code = converted
                    elif converted is not None:
                        child[key] = converted
                owner = by_code.get(code) if isinstance(code, str) else None
                if owner is None:
                    items.append({
                        "_loc": {"sheet": title, "row": number},
                        "_orphan": True,
                        "_errors": problems + [{
                            "sheet": title, "row": number, "field": "implementation_code",
                            "error": _("实施编码“%(c)s”不在工作表“事项”中")
                            % {"c": code or ""},
                        }],
                    })
                    continue
                owner["_errors"].extend(problems)
                owner[list_key].append(child)
    finally:
        wb.close()
    return items


# --- Validate ------------------------------------------------------------------------------


@dataclass
class PreparedRow:
    """A valid row with its references resolved (used by the import service)."""

    values: dict[str, Any]
    region: Region
    department: Department
    co_departments: list[Department]
    basic: BasicItem | None
    item: ServiceItem | None
    effective_from: date


@dataclass
class Validation:
    errors: list[dict[str, Any]] = field(default_factory=list)
    rows: list[PreparedRow] = field(default_factory=list)


def _locate(row: dict[str, Any], field_name: str) -> dict[str, Any]:
    """Where a problem in ``field_name`` of ``row`` is in the source file."""
    loc = dict(row.get("_loc") or {})
    head, _sep, rest = field_name.partition("].")
    if rest and "[" in head:
        list_key, index_text = head.split("[", 1)
        children = row.get(list_key) or []
        try:
            child = children[int(index_text) - 1]
        except (ValueError, IndexError):
            child = None
        if isinstance(child, dict) and child.get("_loc"):
            return {**child["_loc"], "field": rest}
    return {**loc, "field": field_name}


def _error(row: dict[str, Any], field_name: str | None, message: str) -> dict[str, Any]:
    if field_name is None:
        out = dict(row.get("_loc") or {})
    else:
        out = _locate(row, field_name)
    out["error"] = message
    return out


def _strip_private(raw: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in raw.items() if not k.startswith("_")}
    for key in LIST_KEYS:
        if isinstance(out.get(key), list):
            out[key] = [
                {k: v for k, v in c.items() if not k.startswith("_")} if isinstance(c, dict) else c
                for c in out[key]
            ]
    return out


def validate_rows(
    rows: list[dict[str, Any]], *, actor: Any = None, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Every problem in ``rows`` (as returned by :func:`parse_catalog`); writes nothing.

    ``actor`` (a user) limits the regions rows may belong to (Perm.CATALOG_IMPORT); ``None``
    means the system (the command line), which may import anywhere.
    """
    return prepare_rows(rows, actor=actor, progress=progress).errors


def prepare_rows(
    rows: list[dict[str, Any]], *, actor: Any = None, progress: Progress | None = None
) -> Validation:
    from django.utils import timezone

    from onewindow.accounts import access
    from onewindow.accounts.access import Perm

    result = Validation()
    total = len(rows)
    today = timezone.localdate()
    cleaned: list[tuple[dict[str, Any], dict[str, Any], list[Problem]]] = []
    for raw in rows:
        result.errors.extend(raw.get("_errors") or [])
        if raw.get("_orphan"):
            continue
        values, problems = clean_item(_strip_private(raw))
        cleaned.append((raw, values, problems))

    # Bulk lookups: every reference is resolved with a handful of queries.
    region_codes = {v["region_code"] for _r, v, _p in cleaned if v["region_code"]}
    regions = {r.code: r for r in Region.objects.filter(code__in=region_codes)}
    departments = {
        (d.region_id, d.code): d
        for d in Department.objects.filter(region__code__in=region_codes).select_related(
            "region"
        )
    }
    basic_codes = {v["basic_code"] for _r, v, _p in cleaned if v["basic_code"]}
    basics = {b.basic_code: b for b in BasicItem.objects.filter(basic_code__in=basic_codes)}
    impl_codes = {v["implementation_code"] for _r, v, _p in cleaned if v["implementation_code"]}
    existing = {
        i.implementation_code: i
        for i in ServiceItem.objects.filter(implementation_code__in=impl_codes).select_related(
            "basic", "region", "department"
        )
    }
    by_basic_region = {
        (i.basic_id, i.region_id): i
        for i in ServiceItem.objects.filter(basic__basic_code__in=basic_codes).only(
            "pk", "basic_id", "region_id", "implementation_code"
        )
    }

    seen_impl: dict[str, int] = {}
    seen_basic: dict[str, tuple[dict[str, Any], Any]] = {}
    seen_basic_region: dict[tuple[str, str], str] = {}
    allowed_prefixes: list[tuple[str, int | None]] | None = None
    if actor is not None:
        allowed_prefixes = [
            (g.region_prefix, g.department_id)
            for g in access.grants_for(actor, Perm.CATALOG_IMPORT)
        ]

    for done, (raw, values, problems) in enumerate(cleaned, start=1):
        row_errors = [_error(raw, f, m) for f, m in problems]
        region = regions.get(values["region_code"])
        department = None
        if values["region_code"] and region is None and not any(
            f == "region_code" for f, _m in problems
        ):
            row_errors.append(_error(raw, "region_code", _("区划代码“%(c)s”不存在")
                                     % {"c": values["region_code"]}))
        if region is not None:
            department = departments.get((region.pk, values["department_code"]))
            if values["department_code"] and department is None:
                row_errors.append(_error(
                    raw, "department_code",
                    _("%(r)s没有编码为“%(c)s”的部门") % {"r": region.name,
                                                     "c": values["department_code"]},
                ))
            if allowed_prefixes is not None and not any(
                region.prefix.startswith(prefix)
                and (dep is None or (department is not None and department.pk == dep))
                for prefix, dep in allowed_prefixes
            ):
                row_errors.append(_error(
                    raw, "region_code",
                    _("您无权导入%(r)s的事项") % {"r": region.name},
                ))
        co_departments: list[Department] = []
        for code in values["co_department_codes"]:
            co = departments.get((region.pk, code)) if region is not None else None
            if co is None and region is not None:
                row_errors.append(_error(
                    raw, "co_department_codes",
                    _("联办机构“%(c)s”不是%(r)s的部门") % {"c": code, "r": region.name},
                ))
            elif co is not None:
                co_departments.append(co)

        # Duplicate implementation codes in the file.
        code = values["implementation_code"]
        if code:
            first = seen_impl.get(code)
            if first is not None:
                row_errors.append(_error(
                    raw, "implementation_code",
                    _("实施编码“%(c)s”与第%(n)s行重复") % {"c": code, "n": first},
                ))
            else:
                seen_impl[code] = (raw.get("_loc") or {}).get("row", 0)

        # 三级四同: same basic code => same name, type, basis and legal limit.
        basic_code = values["basic_code"]
        basic = basics.get(basic_code)
        if basic_code and not any(f in BASIC_KEYS for f, _m in problems):
            reference: dict[str, Any] | None = None
            source = ""
            if basic is not None:
                reference = {k: getattr(basic, k) for k in BASIC_KEYS}
                source = _("基本目录")
            elif basic_code in seen_basic:
                reference, first_loc = seen_basic[basic_code]
                source = _("第%(n)s行") % {"n": first_loc}
            else:
                seen_basic[basic_code] = (
                    {k: values[k] for k in BASIC_KEYS}, (raw.get("_loc") or {}).get("row", 0)
                )
            if reference is not None:
                for key in BASIC_KEYS:
                    if values[key] != reference[key]:
                        row_errors.append(_error(
                            raw, key,
                            _("三级四同：基本编码%(b)s的%(f)s应与%(src)s一致（“%(v)s”）")
                            % {"b": basic_code, "f": LABELS[key], "src": source,
                               "v": reference[key]},
                        ))
        # One implementation per basic item and region.
        if basic_code and region is not None and code:
            pair = (basic_code, region.code)
            other = seen_basic_region.get(pair)
            if other is not None and other != code:
                row_errors.append(_error(
                    raw, "implementation_code",
                    _("%(r)s已在本文件中以实施编码“%(c)s”实施该基本事项")
                    % {"r": region.name, "c": other},
                ))
            seen_basic_region.setdefault(pair, code)
            if basic is not None:
                twin = by_basic_region.get((basic.pk, region.pk))
                if twin is not None and twin.implementation_code != code:
                    row_errors.append(_error(
                        raw, "implementation_code",
                        _("%(r)s已以实施编码“%(c)s”实施该基本事项")
                        % {"r": region.name, "c": twin.implementation_code},
                    ))
        # An existing item keeps its basic item, region and department.
        item = existing.get(code) if code else None
        if item is not None:
            if basic_code and item.basic.basic_code != basic_code:
                row_errors.append(_error(
                    raw, "basic_code",
                    _("实施编码“%(c)s”已属于基本编码%(b)s") % {"c": code,
                                                       "b": item.basic.basic_code},
                ))
            if region is not None and item.region_id != region.pk:
                row_errors.append(_error(
                    raw, "region_code",
                    _("实施编码“%(c)s”已属于%(r)s") % {"c": code, "r": item.region.name},
                ))
            if department is not None and item.department_id != department.pk:
                row_errors.append(_error(
                    raw, "department_code",
                    _("实施编码“%(c)s”已属于%(d)s") % {"c": code, "d": item.department.name},
                ))

        if row_errors:
            result.errors.extend(row_errors)
        elif region is not None and department is not None:
            effective = (
                date.fromisoformat(values["effective_from"]) if values["effective_from"]
                else today
            )
            result.rows.append(PreparedRow(
                values=values, region=region, department=department,
                co_departments=co_departments, basic=basic, item=item,
                effective_from=effective,
            ))
        if progress is not None:
            progress(done, total)
    if not rows:
        result.errors.append({"row": 0, "error": _("文件中没有事项")})
    result.errors.sort(key=_error_sort_key)
    return result


def _error_sort_key(error: dict[str, Any]) -> tuple[str, int]:
    sheet = error.get("sheet") or ""
    order = [ITEM_SHEET] + [s[0] for s in CHILD_SHEETS.values()]
    index = order.index(sheet) if sheet in order else 0
    return (f"{index:02d}", int(error.get("row") or 0))


def format_error(error: dict[str, Any]) -> str:
    """``第5行（申请材料）tolerable：只有必要材料可以容缺`` — one line for people."""
    text = _("第%(n)s行") % {"n": error.get("row", 0)}
    if error.get("sheet"):
        text += f"（{error['sheet']}）"
    if error.get("field"):
        text += f" {error['field']}"
    return f"{text}：{error['error']}"


def summarise_errors(errors: Iterable[dict[str, Any]]) -> str:
    count = len(list(errors))
    return _("导入未通过校验：共%(n)d处错误，未写入任何数据") % {"n": count}
