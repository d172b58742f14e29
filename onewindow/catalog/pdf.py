"""Generated blank forms and samples (空白表格 / 示例样表) for materials without uploaded files.

The blank form lists the item's application form fields (``form_schema``) as empty boxes; the
sample fills them with example values and carries a 样表 watermark. Chinese text needs a CJK
font: a TrueType CJK font from the system when one is usable (ReportLab cannot embed the CFF
outlines of Debian's Noto CJK .ttc, so those are tried and skipped), else ReportLab's built-in
CID font STSong-Light, which every PDF reader can substitute.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from onewindow.catalog.models import ItemVersion, Material, ServiceItem

logger = logging.getLogger(__name__)

# (path, subfont index) tried in order; the first one ReportLab can load is used.
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # SC; CFF: usually refused
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
CID_FALLBACK = "STSong-Light"

SAMPLE_VALUES: dict[str, str] = {
    "text": "张三",
    "textarea": "（请如实填写，示例：申请事项的具体情况说明。）",
    "number": "1",
    "date": "2025-01-01",
    "id_number": "11010519491231002X",
    "credit_code": "91110000100000000X",
    "phone": "138****0000",
    "boolean": "是",
}


@lru_cache(maxsize=1)
def cjk_font_name() -> str:
    """Register a CJK font once and return its ReportLab name."""
    for path, index in FONT_CANDIDATES:
        try:
            pdfmetrics.registerFont(TTFont("OneWindowCJK", path, subfontIndex=index))
        except Exception:  # noqa: BLE001,S112 - any unusable font file: try the next one
            continue
        return "OneWindowCJK"
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CID_FALLBACK


def _fields(version: ItemVersion) -> list[dict[str, Any]]:
    fields = [f for f in (version.form_schema or []) if isinstance(f, dict)]
    if not fields:
        fields = [
            {"name": "applicant", "label": "申请人（单位）名称", "type": "text"},
            {"name": "id", "label": "证件号码", "type": "id_number"},
            {"name": "phone", "label": "联系电话", "type": "phone"},
            {"name": "address", "label": "联系地址", "type": "text"},
            {"name": "details", "label": "申请事项说明", "type": "textarea"},
        ]
    return fields


def _sample_value(field: dict[str, Any]) -> str:
    kind = str(field.get("type", "text"))
    if kind == "select":
        choices = field.get("choices") or []
        return str(choices[0]) if choices else ""
    return SAMPLE_VALUES.get(kind, "示例")


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for ch in text:
        if ch == "\n":
            lines.append(current)
            current = ""
            continue
        if pdfmetrics.stringWidth(current + ch, font, size) > width:
            lines.append(current)
            current = ch
        else:
            current += ch
    if current:
        lines.append(current)
    return lines


def material_form_pdf(
    *, item: ServiceItem, version: ItemVersion, material: Material, sample: bool
) -> bytes:
    """A one-page (or more) A4 PDF: blank form, or filled sample watermarked 样表."""
    font = cjk_font_name()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    title = f"{material.name}（{'示例样表' if sample else '空白表格'}）"
    canvas.setTitle(title)
    canvas.setAuthor("一窗通")

    def watermark() -> None:
        if not sample:
            return
        canvas.saveState()
        canvas.setFont(font, 110)
        canvas.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.12))
        canvas.translate(width / 2, height / 2)
        canvas.rotate(35)
        canvas.drawCentredString(0, -40, "样表")
        canvas.restoreState()

    def header() -> float:
        watermark()
        canvas.setFont(font, 17)
        canvas.drawCentredString(width / 2, height - 25 * mm, material.name)
        canvas.setFont(font, 10)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawCentredString(
            width / 2, height - 32 * mm,
            f"{item.basic.name} · 实施编码 {item.implementation_code} · 第 {version.number} 版",
        )
        canvas.setFillColor(colors.black)
        return height - 42 * mm

    y = header()
    label_w = 50 * mm
    for field in _fields(version):
        label = str(field.get("label") or field.get("name") or "")
        if field.get("required"):
            label += " *"
        tall = str(field.get("type")) == "textarea"
        box_h = 30 * mm if tall else 11 * mm
        if y - box_h < 25 * mm:
            canvas.showPage()
            y = header()
        canvas.setStrokeColor(colors.HexColor("#555555"))
        canvas.rect(left, y - box_h, right - left, box_h)
        canvas.line(left + label_w, y, left + label_w, y - box_h)
        canvas.setFont(font, 10.5)
        for i, line in enumerate(_wrap(label, font, 10.5, label_w - 4 * mm)[:3]):
            canvas.drawString(left + 2 * mm, y - 7 * mm - i * 5 * mm, line)
        if sample:
            value = _sample_value(field)
            canvas.setFillColor(colors.HexColor("#1a4f9c"))
            lines = _wrap(value, font, 10.5, right - left - label_w - 4 * mm)
            for i, line in enumerate(lines[:5]):
                canvas.drawString(left + label_w + 2 * mm, y - 7 * mm - i * 5 * mm, line)
            canvas.setFillColor(colors.black)
        y -= box_h
    y -= 10 * mm
    canvas.setFont(font, 10)
    notes = [
        "申请人（签名/盖章）：____________        日期：______年____月____日",
        "说明：本表由一窗通根据办事指南自动生成，以窗口实际受理要求为准。",
    ]
    if material.requirements:
        notes.insert(0, f"材料要求：{material.requirements}")
    for note in notes:
        for line in _wrap(note, font, 10, right - left):
            if y < 20 * mm:
                canvas.showPage()
                y = header()
                canvas.setFont(font, 10)
            canvas.drawString(left, y, line)
            y -= 6 * mm
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
