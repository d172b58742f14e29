"""The inspection record (联合踏勘记录) and the meeting minutes (联席会议纪要) as A4 PDFs.

Laid out like the case's notices (:mod:`onewindow.cases.pdf`): the lead department as a red
header, the title and number, the facts as a table, then one section per department — its
findings, conclusion, who recorded it, and its photos — the lead's summary, and the department
and date at the seal position. Chinese text uses the project's CJK TrueType font, embedded as a
subset with a ToUnicode map, so the text can be searched and extracted (``pdftotext``).

Both are rendered once, when the lead closes the record, and stored with their SHA-256: the
file attached to the case is the record as it was closed.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from onewindow.cases.pdf import CentredLine, Rule, SealBlock
from onewindow.catalog.pdf import cjk_font_name
from onewindow.joint.models import (
    InspectionFinding,
    InspectionInvite,
    JointInspection,
    JointMeeting,
    MeetingConclusion,
)
from onewindow.joint.workflow import FindingConclusion, InviteState, MeetingConclusionKind

logger = logging.getLogger(__name__)

RED = colors.HexColor("#c8161d")
INK = colors.HexColor("#1f2329")
MUTED = colors.HexColor("#5a6270")
RULE = colors.HexColor("#b8c0cc")
SHADE = colors.HexColor("#f2f4f7")
PAGE_W, PAGE_H = A4
MARGIN_X = 22 * mm
TEXT_W = PAGE_W - 2 * MARGIN_X
LABEL_W = 32 * mm
PHOTO_W = (TEXT_W - 8 * mm) / 3
NUMERALS = "一二三四五六七八九十"


def _styles(font: str) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=19, textColor=INK,
                          wordWrap="CJK", alignment=TA_LEFT)
    return {
        "body": body,
        "indent": ParagraphStyle("indent", parent=body, firstLineIndent=22),
        "cell": ParagraphStyle("cell", parent=body, fontSize=10.5, leading=16),
        "head": ParagraphStyle("head", parent=body, fontSize=10.5, leading=16,
                               textColor=MUTED),
        "h2": ParagraphStyle("h2", parent=body, fontSize=13, leading=20, spaceBefore=8,
                             spaceAfter=4),
        "number": ParagraphStyle("number", parent=body, fontSize=10, leading=15,
                                 alignment=TA_CENTER, textColor=MUTED),
        "caption": ParagraphStyle("caption", parent=body, fontSize=8, leading=11,
                                  alignment=TA_CENTER, textColor=MUTED),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _grid(rows: Sequence[Sequence[Any]], styles: dict[str, ParagraphStyle], *,
          widths: Sequence[float] | None = None, heading: Sequence[str] | None = None,
          label_column: bool = True) -> Table:
    data: list[list[Any]] = []
    if heading:
        data.append([_p(h, styles["head"]) for h in heading])
    for row in rows:
        data.append([c if isinstance(c, Flowable) else _p(c, styles["cell"]) for c in row])
    ncols = len(data[0]) if data else 2
    widths = list(widths or [LABEL_W] + [(TEXT_W - LABEL_W) / max(ncols - 1, 1)] * (ncols - 1))
    table = Table(data, colWidths=widths, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.6, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
    ]
    if label_column:
        commands.append(("BACKGROUND", (0, 0), (0, -1), SHADE))
    if heading:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e9f0")))
    table.setStyle(TableStyle(commands))
    return table


def _at(value: Any) -> str:
    return f"{timezone.localtime(value):%Y年%m月%d日 %H:%M}" if value else ""


def _day(value: Any) -> str:
    return f"{timezone.localtime(value):%Y年%m月%d日}" if value else ""


def _person(user: Any) -> str:
    if user is None:
        return ""
    return str(getattr(user, "display_name", "") or user.get_username())


def _header(font: str, department: str, title: str, number: str,
            styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [
        CentredLine(department, font=font, size=22, color=RED, bold=True, tracking=1),
        Rule(),
        CentredLine(title, font=font, size=20, bold=True, tracking=2, space_after=2),
        _p(f"编号：{number}", styles["number"]),
        Spacer(0, 4 * mm),
    ]


def _footer(font: str, left: str) -> Any:
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


def _build(story: list[Flowable], *, title: str, author: str, subject: str, footer: Any
           ) -> bytes:
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=18 * mm,
        bottomMargin=22 * mm, title=title, author=author, subject=subject, creator="一窗通",
        lang="zh-CN", displayDocTitle=True,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=footer)])
    doc.build(story)
    return buffer.getvalue()


def _photo(photo: Any, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """One photo scaled into a third of the text width, with its file name below."""
    from PIL import Image as PILImage

    try:
        with photo.image.open("rb") as handle:
            data = handle.read()
        with PILImage.open(io.BytesIO(data)) as probe:
            w, h = probe.size
        width = PHOTO_W - 4 * mm
        height = min(width * h / max(w, 1), 60 * mm)
        width = height * w / max(h, 1)
        image: Flowable = Image(io.BytesIO(data), width=width, height=height)
    except (OSError, ValueError) as exc:
        logger.warning("joint: photo %s unreadable for the record: %s", photo.pk, exc)
        image = _p("（照片无法读取）", styles["caption"])
    return [image, _p(photo.file_name or "", styles["caption"])]


def _photo_grid(photos: list[Any], styles: dict[str, ParagraphStyle]) -> Table:
    cells: list[Any] = [_photo(p, styles) for p in photos]
    rows = [cells[i:i + 3] for i in range(0, len(cells), 3)]
    rows[-1] += [""] * (3 - len(rows[-1]))
    table = Table(rows, colWidths=[PHOTO_W] * 3, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _finding_section(n: int, department: str, subject: str, finding: InspectionFinding,
                     styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    head = f"{NUMERALS[n - 1] if n <= len(NUMERALS) else n}、{department}"
    if subject:
        head += f"（{subject}）"
    rows: list[list[Any]] = [
        ["踏勘情况", finding.findings],
        ["结论", FindingConclusion(finding.conclusion).label],
        ["记录", f"{_person(finding.recorded_by)}　{_at(finding.recorded_at)}"],
    ]
    photos = list(finding.photos.all())
    if photos:
        rows.append(["现场照片", f"{len(photos)} 张（见下）"])
    story: list[Flowable] = [KeepTogether([_p(head, styles["h2"]), _grid(rows, styles)])]
    if photos:
        story += [Spacer(0, 2 * mm), _photo_grid(photos, styles)]
    return story


def _reply(invite: InspectionInvite) -> str:
    label = str(InviteState(invite.state).label)
    if invite.state == InviteState.PROPOSED_OTHER and invite.proposed_at:
        label += f"（{_at(invite.proposed_at)}）"
    return label


def render_inspection(inspection: JointInspection) -> bytes:
    """The closed inspection record: facts, departments, findings with photos, summary."""
    font = cjk_font_name()
    styles = _styles(font)
    case = inspection.case
    lead = inspection.department.name
    invites = list(inspection.invites.select_related("department").order_by("sort_order", "id"))
    findings = {f.department_id: f for f in inspection.findings.select_related(
        "department", "recorded_by").prefetch_related("photos")}
    story = _header(font, lead, "联合踏勘记录", inspection.number, styles)
    facts: list[list[Any]] = [
        ["办件编号", case.case_no],
        ["办理事项", case.item.basic.name],
        ["申请人", case.applicant.name],
        ["踏勘时间", _at(inspection.scheduled_at)],
        ["踏勘地点", inspection.place],
        ["牵头部门", f"{lead}（组织人：{_person(inspection.organiser)}）"],
    ]
    if inspection.purpose:
        facts.append(["踏勘内容", inspection.purpose])
    if inspection.stops_clock:
        notice = inspection.special_notice.number if inspection.special_notice else ""
        facts.append(["办理时限", f"现场勘查特别程序，踏勘所需时间不计入办理时限（{notice}）"])
    story += [_grid(facts, styles), Spacer(0, 3 * mm)]
    story += [_p("参加部门", styles["h2"]), _grid(
        [[i.department.name, i.subject, _reply(i)] for i in invites], styles,
        widths=[TEXT_W * 0.4, TEXT_W * 0.35, TEXT_W * 0.25], heading=["部门", "踏勘内容", "回复"],
        label_column=False)]
    order: list[tuple[str, str, InspectionFinding]] = []
    if inspection.department_id in findings:
        order.append((lead, "牵头部门", findings[inspection.department_id]))
    order += [(i.department.name, i.subject, findings[i.department_id]) for i in invites
              if i.department_id in findings]
    story.append(_p("各部门踏勘意见", styles["h2"]))
    for n, (name, subject, finding) in enumerate(order, start=1):
        story += _finding_section(n, name, subject, finding, styles)
    if inspection.reschedules:
        story += [_p("改期记录", styles["h2"]), _grid(
            [[r.get("from", ""), r.get("to", ""), r.get("reason", "")]
             for r in inspection.reschedules], styles,
            widths=[TEXT_W * 0.25, TEXT_W * 0.25, TEXT_W * 0.5],
            heading=["原定时间", "改至", "理由"], label_column=False)]
    story += [_p("踏勘综合意见", styles["h2"]), _p(inspection.summary, styles["indent"]),
              KeepTogether([Spacer(0, 6 * mm), SealBlock(font=font, department=lead,
                                                         date=_day(inspection.closed_at))])]
    return _build(story, title=f"联合踏勘记录 {inspection.number}", author=lead,
                  subject=case.item.basic.name,
                  footer=_footer(font, f"联合踏勘记录 · {inspection.number} · 办件 {case.case_no}"))


def render_meeting(meeting: JointMeeting) -> bytes:
    """The minutes of a joint review meeting with each department's conclusion."""
    font = cjk_font_name()
    styles = _styles(font)
    case = meeting.case
    lead = meeting.department.name
    rows: list[MeetingConclusion] = list(
        meeting.conclusions.select_related("department", "recorded_by")
        .order_by("sort_order", "id"))
    story = _header(font, lead, "联席会议纪要", meeting.number, styles)
    facts: list[list[Any]] = [
        ["办件编号", case.case_no],
        ["办理事项", case.item.basic.name],
        ["申请人", case.applicant.name],
        ["会议时间", _at(meeting.held_at)],
        ["会议地点", meeting.place],
        ["召集部门", f"{lead}（召集人：{_person(meeting.convened_by)}）"],
    ]
    if meeting.topic:
        facts.append(["会审议题", meeting.topic])
    story += [_grid(facts, styles), _p("会议纪要", styles["h2"]),
              _p(meeting.minutes, styles["indent"]), _p("各部门会审结论", styles["h2"]),
              _grid([[c.department.name,
                      str(MeetingConclusionKind(c.conclusion).label), c.text or "—"]
                     for c in rows], styles,
                    widths=[TEXT_W * 0.32, TEXT_W * 0.16, TEXT_W * 0.52],
                    heading=["部门", "结论", "意见"], label_column=False),
              KeepTogether([Spacer(0, 6 * mm), SealBlock(font=font, department=lead,
                                                         date=_day(meeting.closed_at))])]
    return _build(story, title=f"联席会议纪要 {meeting.number}", author=lead,
                  subject=case.item.basic.name,
                  footer=_footer(font, f"联席会议纪要 · {meeting.number} · 办件 {case.case_no}"))
