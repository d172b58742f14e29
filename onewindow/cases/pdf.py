"""Notices (文书) and certificates (电子证照) as A4 PDFs.

A notice is laid out like a paper notice of a Chinese administrative organ: the issuing
department as a red header over the service centre, the title, the document number, the
addressee, the frozen paragraphs (wrapped character by character, as Chinese is), a table of
its lines, and at the bottom the department and date at the seal position (印章) with, on the
left, a QR code to the public verification page, the verification code and the start of the
content digest. Everything is drawn from ``notice.content`` — the content frozen at issue — so
the PDF of a notice reads the same whenever it is downloaded.

Chinese text uses the TrueType CJK font :func:`onewindow.catalog.pdf.cjk_font_name` finds
(WenQuanYi Micro Hei on Debian): ReportLab embeds a subset of it with a ToUnicode map, so the
text can be searched and extracted from the PDF.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

import qrcode
from django.utils import timezone
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from onewindow.cases import notices
from onewindow.cases.models import Certificate, Notice, NoticeKind
from onewindow.catalog.pdf import cjk_font_name

RED = colors.HexColor("#c8161d")
SEAL = colors.Color(0.78, 0.09, 0.11, alpha=0.55)
INK = colors.HexColor("#1f2329")
MUTED = colors.HexColor("#5a6270")
RULE = colors.HexColor("#b8c0cc")
SHADE = colors.HexColor("#f2f4f7")

PAGE_W, PAGE_H = A4
MARGIN_X = 25 * mm
TEXT_W = PAGE_W - 2 * MARGIN_X
QR_SIZE = 26 * mm

# Column headings of a notice's table, for the kinds whose lines are a list of materials.
LINE_HEADINGS: dict[str, tuple[str, str]] = {
    NoticeKind.SUPPLEMENT: ("需要补正的材料", "补正要求"),
    NoticeKind.TOLERANCE: ("容缺材料", "补交承诺"),
}


# --- QR code -------------------------------------------------------------------------------

def qr_matrix(data: str) -> list[list[bool]]:
    """The modules of the QR code for ``data`` (True = dark), without the quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def draw_qr(canvas: Canvas, x: float, y: float, size: float, data: str) -> None:
    """Draw the QR code for ``data`` as vector squares, lower-left corner at (x, y).

    Each run of dark modules in a row is one rectangle (small files, crisp at any zoom); a
    white quiet zone of two modules is painted around it so it scans on any background.
    """
    matrix = qr_matrix(data)
    n = len(matrix)
    module = size / n
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x - 2 * module, y - 2 * module, size + 4 * module, size + 4 * module,
                stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    for r, row in enumerate(matrix):
        top = y + size - (r + 1) * module
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            canvas.rect(x + start * module, top, (c - start) * module, module, stroke=0, fill=1)
    canvas.restoreState()


# --- Building blocks -----------------------------------------------------------------------

def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Split ``text`` into lines no wider than ``width`` (character by character)."""
    lines: list[str] = []
    current = ""
    for ch in text:
        if current and pdfmetrics.stringWidth(current + ch, font, size) > width:
            lines.append(current)
            current = ch
        else:
            current += ch
    if current or not lines:
        lines.append(current)
    return lines


def _fit(text: str, font: str, size: float, width: float, smallest: float) -> float:
    """The largest font size ≤ ``size`` (down to ``smallest``) at which ``text`` fits."""
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


class CentredLine(Flowable):
    """One centred line of large text (header, title), shrunk to fit; optionally emboldened."""

    def __init__(self, text: str, *, font: str, size: float, color: Any = INK,
                 bold: bool = False, space_after: float = 0, tracking: float = 0) -> None:
        super().__init__()
        self.text, self.font, self.color, self.bold = text, font, color, bold
        self.tracking = tracking
        self.size = size
        self.space_after = space_after

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        extra = self.tracking * max(len(self.text) - 1, 0)
        self.size = _fit(self.text, self.font, self.size, avail_width - extra, 9)
        self.height = self.size * 1.35 + self.space_after
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(self.color)
        canvas.setStrokeColor(self.color)
        text = canvas.beginText()
        text.setFont(self.font, self.size)
        text.setCharSpace(self.tracking)
        if self.bold:  # fill and stroke: a heavier weight of the one CJK font we have
            text.setTextRenderMode(2)
            canvas.setLineWidth(self.size / 28)
        width = pdfmetrics.stringWidth(self.text, self.font, self.size)
        width += self.tracking * max(len(self.text) - 1, 0)
        text.setTextOrigin((self.width - width) / 2, self.space_after + self.size * 0.3)
        text.textOut(self.text)
        canvas.drawText(text)
        canvas.restoreState()


class Rule(Flowable):
    """The red double rule under a red header (红头)."""

    def __init__(self, color: Any = RED, space: float = 4 * mm) -> None:
        super().__init__()
        self.color, self.space = color, space

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        self.height = self.space * 2 + 3
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setStrokeColor(self.color)
        canvas.setLineWidth(1.6)
        canvas.line(0, self.space + 3, self.width, self.space + 3)
        canvas.setLineWidth(0.5)
        canvas.line(0, self.space, self.width, self.space)
        canvas.restoreState()


class VerifyBlock(Flowable):
    """QR code to the verification page, 扫码核验, the code, the digest and the address."""

    def __init__(self, *, font: str, url: str, code: str, digest: str = "",
                 width: float = 62 * mm) -> None:
        super().__init__()
        self.font, self.url, self.code, self.digest = font, url, code, digest
        self.block_width = width

    def _lines(self) -> list[tuple[str, float, Any]]:
        lines: list[tuple[str, float, Any]] = [
            ("扫码核验", 10, INK),
            (f"核验码 {' '.join(self.code[i:i + 4] for i in range(0, len(self.code), 4))}",
             9, INK),
        ]
        if self.digest:
            lines.append((f"内容摘要 {self.digest[:16]}", 7.5, MUTED))
        lines.extend((line, 7, MUTED) for line in _wrap(self.url, self.font, 7, self.block_width))
        return lines

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = min(self.block_width, avail_width)
        self.height = QR_SIZE + 2 * mm + sum(size * 1.45 for _, size, _ in self._lines())
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        draw_qr(canvas, 0, self.height - QR_SIZE, QR_SIZE, self.url)
        y = self.height - QR_SIZE - 2 * mm
        canvas.saveState()
        for text, size, color in self._lines():
            y -= size * 1.3
            canvas.setFont(self.font, size)
            canvas.setFillColor(color)
            canvas.drawString(0, y, text)
            y -= size * 0.15
        canvas.restoreState()


class SealBlock(Flowable):
    """The issuing department and date at the bottom right, with the seal position (印章)."""

    def __init__(self, *, font: str, department: str, date: str, size: float = 12) -> None:
        super().__init__()
        self.font, self.department, self.date, self.size = font, department, date, size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        self.height = 44 * mm
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        size = _fit(self.department, self.font, self.size, self.width, 8)
        widest = max(pdfmetrics.stringWidth(self.department, self.font, size),
                     pdfmetrics.stringWidth(self.date, self.font, size), 40 * mm)
        centre_x = self.width - widest / 2 - 2 * mm
        mid_y = self.height / 2
        canvas.saveState()
        # The seal position: a dashed circle over the department's name and the date.
        canvas.setStrokeColor(SEAL)
        canvas.setDash(3, 2)
        canvas.setLineWidth(1)
        canvas.circle(centre_x, mid_y, 20 * mm, stroke=1, fill=0)
        canvas.setDash()
        canvas.setFillColor(INK)
        canvas.setFont(self.font, size)
        canvas.drawCentredString(centre_x, mid_y + 7 * mm, self.department)
        canvas.setFillColor(SEAL)
        canvas.setFont(self.font, 10)
        canvas.drawCentredString(centre_x, mid_y - 1.5 * mm, "（印章）")
        canvas.setFillColor(INK)
        canvas.setFont(self.font, size)
        canvas.drawCentredString(centre_x, mid_y - 10 * mm, self.date)
        canvas.restoreState()


def _styles(font: str) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=font, fontSize=12, leading=22, textColor=INK,
                          wordWrap="CJK", firstLineIndent=24, alignment=TA_LEFT)
    return {
        "body": body,
        "addressee": ParagraphStyle("addressee", parent=body, firstLineIndent=0,
                                    spaceBefore=6, spaceAfter=2),
        "number": ParagraphStyle("number", parent=body, fontSize=10.5, leading=16,
                                 firstLineIndent=0, alignment=TA_CENTER, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=10.5, leading=15,
                               firstLineIndent=0),
        "head": ParagraphStyle("head", parent=body, fontSize=10.5, leading=15,
                               firstLineIndent=0, textColor=MUTED),
        "small": ParagraphStyle("small", parent=body, fontSize=9, leading=14,
                                firstLineIndent=0, textColor=MUTED),
        "sub": ParagraphStyle("sub", parent=body, fontSize=10.5, leading=14,
                              firstLineIndent=0, alignment=TA_CENTER, textColor=RED),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text or "")), style)


def _table(rows: Sequence[Sequence[Any]], styles: dict[str, ParagraphStyle], *,
           heading: tuple[str, str] | None = None, label_width: float = 45 * mm) -> Table:
    data: list[list[Paragraph]] = []
    if heading:
        data.append([_p(heading[0], styles["head"]), _p(heading[1], styles["head"])])
    for row in rows:
        label = row[0] if row else ""
        value = row[1] if len(row) > 1 else ""
        data.append([_p(label, styles["cell"]), _p(value, styles["cell"])])
    table = Table(data, colWidths=[label_width, TEXT_W - label_width], hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.6, RULE),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
    ]
    if heading:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e9f0")))
    table.setStyle(TableStyle(commands))
    return table


def _footer(font: str, left: str) -> PageHook:
    """Every page: a thin rule, who issued it and its verification code, and — n — ."""

    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN_X, 16 * mm, PAGE_W - MARGIN_X, 16 * mm)
        canvas.setFont(font, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN_X, 12 * mm, left)
        canvas.setFont(font, 9)
        canvas.drawRightString(PAGE_W - MARGIN_X, 12 * mm, f"— {doc.page} —")
        canvas.restoreState()

    return draw


PageHook = Callable[[Canvas, Any], None]


def _blank(canvas: Canvas, doc: Any) -> None:
    """A page hook that draws nothing."""


def _build(story: list[Flowable], *, title: str, author: str, subject: str,
           before: PageHook | None = None, after: PageHook | None = None) -> bytes:
    """Lay ``story`` out on A4 pages; ``before`` draws under each page, ``after`` over it."""
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=20 * mm,
        bottomMargin=22 * mm, title=title, author=author, subject=subject, creator="一窗通",
        lang="zh-CN", displayDocTitle=True,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=before or _blank,
                                       onPageEnd=after or _blank)])
    doc.build(story)
    return buffer.getvalue()


# --- Notices -------------------------------------------------------------------------------

def render_notice(notice: Notice) -> bytes:
    """The notice as an A4 PDF, drawn from its frozen content."""
    font = cjk_font_name()
    styles = _styles(font)
    content: dict[str, Any] = notice.content or {}
    title = str(content.get("title") or notice.get_kind_display())
    department = str(content.get("department") or "")
    centre = str(content.get("centre") or "")
    url = notices.verify_url(notice.verify_code)

    story: list[Flowable] = [
        CentredLine(department or centre, font=font, size=22, color=RED, bold=True,
                    tracking=1),
    ]
    if department and centre:
        story.append(_p(centre, styles["sub"]))
    story += [
        Rule(),
        CentredLine(title, font=font, size=20, bold=True, tracking=2, space_after=2),
        _p(f"编号：{notice.number}", styles["number"]),
        Spacer(0, 5 * mm),
        _p(f"{content.get('applicant', '')}：", styles["addressee"]),
    ]
    story += [_p(text, styles["body"]) for text in content.get("paragraphs") or []]
    lines = [row for row in content.get("lines") or [] if isinstance(row, list | tuple)]
    if lines:
        story += [Spacer(0, 3 * mm),
                  _table(lines, styles, heading=LINE_HEADINGS.get(notice.kind))]

    facts = [f"办件编号：{content.get('case_no', notice.case.case_no)}"]
    if content.get("item"):
        facts.append(f"办理事项：{content['item']}")
    if content.get("phone"):
        facts.append(f"咨询电话：{content['phone']}")
    closing = Table(
        [[VerifyBlock(font=font, url=url, code=notice.verify_code, digest=notice.digest),
          SealBlock(font=font, department=department or centre,
                    date=str(content.get("issued_on") or ""))]],
        colWidths=[66 * mm, TEXT_W - 66 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                          ("LEFTPADDING", (0, 0), (-1, -1), 0),
                          ("RIGHTPADDING", (0, 0), (-1, -1), 0)]),
    )
    story.append(KeepTogether([
        Spacer(0, 4 * mm), _p("　".join(facts), styles["small"]), Spacer(0, 6 * mm), closing,
    ]))

    return _build(story, title=f"{title} {notice.number}", author=department or centre,
                  subject=str(content.get("item") or ""),
                  after=_footer(font, f"{centre} · {title} · 核验码 {notice.verify_code}"))


# --- Certificates --------------------------------------------------------------------------

def _certificate_page(font: str, cert: Certificate, revoked: bool) -> PageHook:
    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        # A double frame, as printed licences have.
        canvas.setStrokeColor(RED)
        canvas.setLineWidth(2.2)
        canvas.rect(12 * mm, 12 * mm, PAGE_W - 24 * mm, PAGE_H - 24 * mm)
        canvas.setLineWidth(0.6)
        canvas.rect(15 * mm, 15 * mm, PAGE_W - 30 * mm, PAGE_H - 30 * mm)
        if revoked:
            canvas.setFont(font, 96)
            canvas.setFillColor(colors.Color(0.78, 0.09, 0.11, alpha=0.18))
            canvas.translate(PAGE_W / 2, PAGE_H / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, -30, "已注销")
        canvas.restoreState()
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawCentredString(PAGE_W / 2, 19 * mm,
                                 f"电子证照 · 由一窗通出具 · 核验码 {cert.verify_code}")
        canvas.restoreState()

    return draw


def render_certificate(cert: Certificate) -> bytes:
    """The electronic certificate as an A4 PDF, with its QR code; marked 已注销 if revoked."""
    font = cjk_font_name()
    styles = _styles(font)
    content: dict[str, Any] = cert.content or {}
    department = str(content.get("department") or "")
    url = notices.verify_url(cert.verify_code)
    revoked = cert.revoked_at is not None

    def d(value: Any) -> str:
        return f"{value.year}年{value.month}月{value.day}日" if value else ""

    rows: list[list[str]] = [
        ["证照编号", cert.number],
        ["持证人", cert.holder.name],
        ["许可事项", str(content.get("item") or "")],
        ["发证机关", department],
        ["发证日期", d(cert.issued_on)],
        ["有效期至", d(cert.valid_until) if cert.valid_until else "长期有效"],
        ["办件编号", str(content.get("case_no") or cert.case.case_no)],
    ]
    if revoked and cert.revoked_at is not None:
        rows.append(["状态", f"已于{d(timezone.localdate(cert.revoked_at))}注销"])
    story: list[Flowable] = [
        Spacer(0, 14 * mm),
        CentredLine(cert.name, font=font, size=30, color=RED, bold=True, tracking=4,
                    space_after=4 * mm),
        _p("（电子证照）", styles["number"]),
        Spacer(0, 12 * mm),
        _table(rows, styles, label_width=32 * mm),
        Spacer(0, 40 * mm),
        Table(
            [[VerifyBlock(font=font, url=url, code=cert.verify_code),
              SealBlock(font=font, department=department, date=d(cert.issued_on))]],
            colWidths=[66 * mm, TEXT_W - 66 * mm],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0)]),
        ),
    ]
    return _build(story, title=f"{cert.name} {cert.number}", author=department,
                  subject=str(content.get("item") or ""),
                  before=_certificate_page(font, cert, revoked))
