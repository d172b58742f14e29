"""Region tree services: CSV import (all or nothing, bad rows reported by line number)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from onewindow.core.errors import ValidationFailed
from onewindow.regions.models import LEVEL_DEPTH, LEVEL_PREFIX_LEN, Region, RegionLevel

_CODE_RE = re.compile(r"^\d{12}$")
_LEVEL_ALIASES = {
    "city": RegionLevel.CITY, "市": RegionLevel.CITY,
    "district": RegionLevel.DISTRICT, "区县": RegionLevel.DISTRICT, "县": RegionLevel.DISTRICT,
    "区": RegionLevel.DISTRICT,
    "town": RegionLevel.TOWN, "镇街": RegionLevel.TOWN, "乡镇": RegionLevel.TOWN,
    "街道": RegionLevel.TOWN, "镇": RegionLevel.TOWN,
    "village": RegionLevel.VILLAGE, "村社区": RegionLevel.VILLAGE, "村": RegionLevel.VILLAGE,
    "社区": RegionLevel.VILLAGE,
}
REQUIRED_COLUMNS = ("code", "name", "level", "parent_code")


@dataclass(frozen=True)
class RegionImportResult:
    created: int
    updated: int


def _expected_zero_tail(code: str, level: RegionLevel) -> bool:
    return code[LEVEL_PREFIX_LEN[level]:] == "0" * (12 - LEVEL_PREFIX_LEN[level])


def region_import_csv(*, text: str) -> RegionImportResult:
    """Import a region tree from CSV with columns code,name,level,parent_code.

    Every row is validated first (code format and level, parent exists in the file or the
    database, the code lies under its parent's code, no duplicates); if any row is bad a
    :class:`ValidationFailed` lists them all (``rows=[{"line": n, "error": ...}]``) and nothing
    is written. Existing regions (same code) are updated.
    """
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValidationFailed(
            _("文件缺少列：%(cols)s。第一行应为 code,name,level,parent_code。")
            % {"cols": "、".join(missing)},
            rows=[{"line": 1, "error": _("缺少列：%s") % "、".join(missing)}],
        )
    existing = {r.code: r for r in Region.objects.all()}
    errors: list[dict[str, Any]] = []
    parsed: list[tuple[int, str, str, RegionLevel, str]] = []
    seen: dict[str, tuple[int, RegionLevel]] = {}
    for line, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        code, name = row.get("code", ""), row.get("name", "")
        level_text, parent_code = row.get("level", ""), row.get("parent_code", "")
        problems: list[str] = []
        if not _CODE_RE.match(code):
            problems.append(_("区划代码应为12位数字"))
        if not name:
            problems.append(_("名称不能为空"))
        elif len(name) > 100:
            problems.append(_("名称不能超过100个字"))
        level = _LEVEL_ALIASES.get(level_text.lower() if level_text.isascii() else level_text)
        if level is None:
            problems.append(_("层级应为 city、district、town 或 village"))
        if code in seen:
            problems.append(_("区划代码与第%(n)s行重复") % {"n": seen[code][0]})
        if not problems and level is not None:
            if not _expected_zero_tail(code, level):
                problems.append(_("区划代码与层级不符"))
            if level == RegionLevel.CITY:
                if parent_code:
                    problems.append(_("市级区划不应有上级"))
            else:
                parent_level: RegionLevel | None = None
                if parent_code in seen:
                    parent_level = seen[parent_code][1]
                elif parent_code in existing:
                    parent_level = RegionLevel(existing[parent_code].level)
                if not parent_code:
                    problems.append(_("缺少上级区划代码"))
                elif parent_level is None:
                    problems.append(
                        _("上级区划 %(p)s 不存在（上级须在文件中靠前出现或已在系统中）")
                        % {"p": parent_code}
                    )
                elif LEVEL_DEPTH[parent_level] != LEVEL_DEPTH[level] - 1:
                    problems.append(_("上级区划的层级不正确"))
                elif not code.startswith(parent_code[: LEVEL_PREFIX_LEN[parent_level]]):
                    problems.append(_("区划代码不在上级区划代码之下"))
        if problems:
            errors.append({"line": line, "code": code, "error": "；".join(problems)})
            continue
        assert level is not None
        seen[code] = (line, level)
        parsed.append((line, code, name, level, parent_code))
    if errors:
        raise ValidationFailed(
            _("导入失败：共 %(n)s 行有误，未导入任何数据。") % {"n": len(errors)}, rows=errors
        )
    if not parsed:
        raise ValidationFailed(_("文件中没有数据行。"), rows=[{"line": 2, "error": _("没有数据")}])
    created = updated = 0
    with transaction.atomic():
        by_code = dict(existing)
        for _line, code, name, level, parent_code in parsed:
            parent = by_code.get(parent_code) if parent_code else None
            region = by_code.get(code)
            if region is None:
                region = Region(code=code)
                created += 1
            else:
                updated += 1
            region.name, region.level, region.parent = name, level, parent
            region.save()
            by_code[code] = region
    return RegionImportResult(created=created, updated=updated)
