"""Excel (openpyxl) and PDF (ReportLab, with the platform's CJK font) exports of a run.

Both contain exactly the rows the reader may see (the caller passes them), one section per
subject kind, ranked, with every figure; the PDF is an A4 landscape report for printing and
filing, the workbook has one sheet per kind plus the scheme the run was computed with.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from onewindow.assessment.models import AssessmentRow, AssessmentRun, Grade, SubjectKind

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SCHEME_LABELS: list[tuple[str, str, str]] = [
    ("w_on_time", "按期办结率权重", "分"),
    ("w_on_spot", "即办率权重", "分"),
    ("w_speedup", "提速率权重", "分"),
    ("w_satisfaction", "满意率权重", "分"),
    ("w_workload", "办件量权重", "分"),
    ("per_bad_review", "每条差评扣分", "分"),
    ("per_upheld_complaint", "每件属实投诉扣分", "分"),
    ("per_alert", "每次黄牌预警扣分", "分"),
    ("per_red_card", "每次红牌扣分", "分"),
    ("excellent_min", "优秀分数线", "分"),
    ("good_min", "良好分数线", "分"),
    ("pass_min", "合格分数线", "分"),
    ("excellent_max_percent", "优秀比例上限", "%"),
    ("red_flag_count", "红旗窗口数", "个"),
    ("veto_red_card", "红牌一票否决", ""),
    ("veto_upheld_complaint", "属实投诉一票否决", ""),
]


def scheme_lines(scheme: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, label, unit in SCHEME_LABELS:
        if key not in scheme:
            continue
        value = scheme[key]
        if isinstance(value, bool):
            text = "是" if value else "否"
        elif value is None:
            text = "不限"
        else:
            text = f"{value}{unit}"
        out.append((label, text))
    return out


def filename(run: AssessmentRun) -> str:
    return f"assessment-{run.region.code}-{run.month:%Y-%m}"


def _title(run: AssessmentRun) -> str:
    return f"{run.region.name} {run.month.year}年{run.month.month}月 窗口考核结果"


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def _grade(row: AssessmentRow) -> str:
    return str(Grade(row.grade).label)


COLUMNS = ["排名", "名称", "所属单位", "得分", "等次", "红旗窗口", "受理件数", "办结件数",
           "按期办结件数", "按期办结率(%)", "即办件数", "即办率(%)", "平均用时(工作日)",
           "平均法定时限(工作日)", "提速率(%)", "窗口服务人次", "评价数", "满意评价数",
           "满意率(%)", "差评数", "投诉件数", "属实投诉件数", "黄牌预警", "红牌", "扣分", "说明"]


def _values(r: AssessmentRow) -> list[Any]:
    def num(v: Decimal | None) -> float | None:
        return None if v is None else float(v)

    return [r.rank, r.label, r.unit, num(r.score), _grade(r), "是" if r.red_flag else "",
            r.accepted, r.completed, r.on_time, num(r.on_time_rate), r.on_spot,
            num(r.on_spot_rate), num(r.avg_used_days), num(r.avg_legal_days),
            num(r.speedup_rate), r.tickets_served, r.rated, r.satisfied,
            num(r.satisfaction_rate), r.bad_reviews, r.complaints, r.complaints_upheld,
            r.alerts, r.red_cards, num(r.deduction), r.grade_note]


def xlsx(run: AssessmentRun, rows: Mapping[str, Sequence[AssessmentRow]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    first = True
    for kind in SubjectKind:
        if first:
            ws = wb.active
            assert ws is not None
            ws.title = str(kind.label)
            first = False
        else:
            ws = wb.create_sheet(str(kind.label))
        ws.append([f"{_title(run)}（{kind.label}）", "", "", "状态",
                   run.get_state_display()])
        ws.append(COLUMNS)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for r in rows.get(kind.value, []):
            ws.append(_values(r))
        ws.column_dimensions["B"].width = 28
        ws.column_dimensions["C"].width = 24
    sheet = wb.create_sheet("考核方案")
    sheet.append(["项目", "取值"])
    sheet.append(["方案来源", run.scheme_source])
    for label, text in scheme_lines(run.scheme):
        sheet.append([label, text])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


PDF_COLUMNS = ["排名", "名称", "所属单位", "得分", "等次", "办结", "按期办结率", "即办率",
               "提速率", "满意率", "差评", "属实投诉", "红牌", "说明"]


def pdf(run: AssessmentRun, rows: Mapping[str, Sequence[AssessmentRow]]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from onewindow.catalog.pdf import cjk_font_name

    font = cjk_font_name()
    title = ParagraphStyle("t", fontName=font, fontSize=16, leading=22, spaceAfter=4)
    head = ParagraphStyle("h", fontName=font, fontSize=12, leading=16, spaceBefore=8,
                          spaceAfter=4)
    small = ParagraphStyle("s", fontName=font, fontSize=8, leading=10,
                           textColor=colors.HexColor("#5a6270"))
    cell = ParagraphStyle("c", fontName=font, fontSize=8, leading=10, wordWrap="CJK")
    red = colors.HexColor("#c8161d")
    flag_cell = ParagraphStyle("f", parent=cell, textColor=red)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm,
                            rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title=_title(run), author="一窗通")
    story: list[Any] = [Paragraph(escape(_title(run)), title)]
    state = f"状态：{run.get_state_display()}"
    if run.published_at:
        state += f"　发布时间：{run.published_at:%Y-%m-%d %H:%M}"
    story.append(Paragraph(escape(f"{state}　计算时间：{run.computed_at:%Y-%m-%d %H:%M}"
                                  f"　{run.scheme_source}"), small))
    widths = [x * mm for x in (10, 52, 40, 14, 13, 11, 17, 14, 14, 14, 10, 13, 10, 37)]
    for kind in SubjectKind:
        part = rows.get(kind.value, [])
        if not part:
            continue
        story.append(Paragraph(escape(f"{kind.label}排名（{len(part)}）"), head))
        data: list[list[Any]] = [[Paragraph(c, cell) for c in PDF_COLUMNS]]
        flagged: list[int] = []
        for i, r in enumerate(part, start=1):
            name = r.label + ("（红旗窗口）" if r.red_flag else "")
            if r.red_flag:
                flagged.append(i)
            data.append([
                str(r.rank or "—"), Paragraph(escape(name), flag_cell if r.red_flag else cell),
                Paragraph(escape(r.unit), cell),
                "—" if r.score is None else str(r.score), _grade(r), str(r.completed),
                _pct(r.on_time_rate), _pct(r.on_spot_rate), _pct(r.speedup_rate),
                _pct(r.satisfaction_rate), str(r.bad_reviews), str(r.complaints_upheld),
                str(r.red_cards), Paragraph(escape(r.grade_note), cell),
            ])
        table = Table(data, colWidths=widths, repeatRows=1)
        style = [
            ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c0cc")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f4f7")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        style += [("TEXTCOLOR", (0, i), (1, i), red) for i in flagged]
        table.setStyle(TableStyle(style))
        story += [table, Spacer(1, 4 * mm)]
    if len(story) == 2:
        story.append(Paragraph("没有可显示的考核结果。", head))
    story.append(Paragraph(escape(
        "说明：按期办结率＝按承诺时限办结件数÷办结件数；即办率＝即办件数÷办结件数；"
        "提速率＝1－平均实际用时÷平均法定时限（工作日）；"
        "满意率＝基本满意及以上评价数÷评价数。"), small))
    doc.build(story)
    return buf.getvalue()
