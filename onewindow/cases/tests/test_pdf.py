"""Notices and certificates as PDFs: real cases through the services, text read back with pypdf."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import qrcode
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import ContentStream
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from onewindow.cases import notices, pdf, services
from onewindow.cases.models import Certificate, Notice, NoticeKind, StopKind

pytestmark = pytest.mark.django_db

REFUSAL_REASON = "申请事项依法不需要取得行政许可"
DENIAL_REASON = "经现场核查，经营场所与有毒有害场所的距离不符合食品安全要求"


def issue(world, kind: str) -> Notice:
    """A notice of ``kind`` issued the way staff issue it, on a fresh case."""
    if kind == NoticeKind.SUPPLEMENT:
        case = world.new_case()
        first, second = list(case.materials.all())
        return services.case_request_supplement(
            actor=world.clerk, case=case, other="请一并提供房屋租赁合同",
            materials=[{"id": first.pk, "note": "营业执照已过期，请提供有效期内的执照"},
                       {"id": second.pk, "note": "需加盖公章"}],
        )
    if kind == NoticeKind.REFUSAL:
        return services.case_refuse(actor=world.clerk, case=world.new_case(),
                                    reason=REFUSAL_REASON, refer_to="云溪市卫生健康委员会")
    if kind in (NoticeKind.ACCEPTANCE, NoticeKind.TOLERANCE):
        case = world.new_case()
        licence, plan = list(case.materials.all())
        world.verify_all(case)
        tolerated = []
        if kind == NoticeKind.TOLERANCE:
            tolerated = [{"id": licence.pk,
                          "promised_by": (timezone.localdate() + timedelta(days=10)).isoformat()}]
        services.case_accept(actor=world.clerk, case=case, tolerated=tolerated)
        return case.notices.get(kind=kind)
    case = world.accepted_case()
    review, decide = list(case.tasks.order_by("seq"))
    if kind == NoticeKind.SPECIAL:
        return services.task_start_special(actor=world.reviewer, task=review,
                                           kind=StopKind.EXPERT_REVIEW,
                                           reason="涉及新型食品工艺，需组织专家论证",
                                           expected_days=10)
    if kind == NoticeKind.EXTENSION:
        return services.case_extend(actor=world.head, case=case, days=10,
                                    reason="需要组织现场核查")
    services.task_pass(actor=world.reviewer, task=review, opinion="符合条件")
    decide.refresh_from_db()
    return services.task_decide(actor=world.head, task=decide,
                                approve=kind == NoticeKind.APPROVAL,
                                reason="" if kind == NoticeKind.APPROVAL else DENIAL_REASON)


FOOTER = re.compile(r"^.*· 核验码 [0-9A-Z]+$|^— \d+ —$", re.MULTILINE)


def read(data: bytes) -> tuple[PdfReader, str]:
    """The parsed PDF and its text with all whitespace removed (wrapping splits phrases).

    The running footer of each page is dropped so that a paragraph split across two pages
    reads as one (the long-text test checks the footers).
    """
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    text = "".join(FOOTER.sub("", page.extract_text()) for page in reader.pages)
    return reader, re.sub(r"\s+", "", text)


def flat(value: str) -> str:
    return re.sub(r"\s+", "", value)


@pytest.mark.parametrize("kind", list(NoticeKind.values))
def test_every_notice_kind_renders_as_an_a4_pdf_with_its_title_number_case_and_applicant(
    world, kind
):
    notice = issue(world, kind)
    reader, text = read(pdf.render_notice(notice))
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (
        round(A4[0]), round(A4[1]))
    content = notice.content
    assert content["title"] == NoticeKind(kind).label
    for expected in (content["title"], notice.number, notice.case.case_no, "张三丰：",
                     content["department"], content["centre"], content["issued_on"],
                     "（印章）", "扫码核验", notice.verify_code, notice.digest[:16],
                     notices.verify_url(notice.verify_code)):
        assert flat(expected) in text, expected
    for paragraph in content["paragraphs"]:
        assert flat(paragraph) in text
    for label, value in content["lines"]:
        assert flat(label) in text and flat(value) in text
    assert reader.metadata.title == f"{content['title']} {notice.number}"


def test_acceptance_notice_cites_the_licensing_law_and_states_the_deadlines(world):
    notice = issue(world, NoticeKind.ACCEPTANCE)
    _, text = read(pdf.render_notice(notice))
    assert "《中华人民共和国行政许可法》第三十二条" in text
    assert "决定予以受理" in text
    case = notice.case
    assert f"承诺{case.promised_limit_days}个工作日内办结" in text
    assert "法定办结日期" in text and "承诺办结日期" in text


def test_supplement_notice_lists_every_missing_material_once_with_its_requirement(world):
    notice = issue(world, NoticeKind.SUPPLEMENT)
    _, text = read(pdf.render_notice(notice))
    assert "一次性告知" in text
    assert "需要补正的材料" in text and "补正要求" in text  # the table's headings
    for name, note in (("营业执照", "营业执照已过期，请提供有效期内的执照"),
                       ("经营场所平面图", "需加盖公章"), ("其他说明", "请一并提供房屋租赁合同")):
        assert f"{name}{note}" in text


def test_refusal_notice_gives_the_reason_the_competent_body_and_the_remedies(world):
    notice = issue(world, NoticeKind.REFUSAL)
    _, text = read(pdf.render_notice(notice))
    assert "决定不予受理" in text and REFUSAL_REASON in text
    assert "请向云溪市卫生健康委员会提出申请" in text
    assert "六十日内" in text and "申请行政复议" in text and "行政诉讼" in text


def test_denial_notice_gives_the_reasons_and_the_remedies(world):
    notice = issue(world, NoticeKind.DENIAL)
    _, text = read(pdf.render_notice(notice))
    assert "不予行政许可" in text and DENIAL_REASON in text
    assert "第三十八条第二款" in text
    assert "申请行政复议" in text and "六个月内依法向人民法院提起行政诉讼" in text


def test_approval_notice_names_the_certificate_issued(world):
    notice = issue(world, NoticeKind.APPROVAL)
    _, text = read(pdf.render_notice(notice))
    cert = notice.case.certificate
    assert "决定准予行政许可" in text
    assert f"证照编号{cert.number}" in text and cert.name in text


def test_tolerance_special_and_extension_notices_carry_their_own_wording(world):
    _, tolerance = read(pdf.render_notice(issue(world, NoticeKind.TOLERANCE)))
    assert "容缺材料" in tolerance and "补交承诺" in tolerance and "先办后补" in tolerance
    assert "营业执照承诺于" in tolerance
    _, special = read(pdf.render_notice(issue(world, NoticeKind.SPECIAL)))
    assert "专家评审" in special and "第四十五条" in special and "需组织专家论证" in special
    _, extension = read(pdf.render_notice(issue(world, NoticeKind.EXTENSION)))
    assert "延长10个工作日" in extension and "第四十二条" in extension


def test_long_chinese_text_wraps_by_character_and_flows_onto_further_pages(world):
    reason = "".join(f"第{i}项：申请材料所载经营项目与经营场所用途不一致" for i in range(1, 40))
    assert len(reason) <= 1000 and " " not in reason
    notice = services.case_refuse(actor=world.clerk, case=world.new_case(), reason=reason)
    reader, text = read(pdf.render_notice(notice))
    assert len(reader.pages) >= 2  # nothing is cut off at the bottom of page one
    assert reason in text and "申请行政复议" in text and notice.verify_code in text
    for number, page in enumerate(reader.pages, start=1):  # every page names its notice
        footer = FOOTER.findall(page.extract_text())
        assert f"— {number} —" in footer
        assert any(f"不予受理通知书 · 核验码 {notice.verify_code}" in f for f in footer)
    # No line is wider than the text column: 160 mm holds at most 38 characters of 12 pt.
    lines = [ln for page in reader.pages for ln in page.extract_text().splitlines()]
    body = [ln for ln in lines if "经营场所用途" in ln]
    assert body and max(len(ln.strip()) for ln in body) <= 38
    assert max(len(ln.strip()) for ln in body) >= 30  # and lines are filled, not broken early


def test_markup_in_frozen_content_is_printed_as_text(world):
    notice = issue(world, NoticeKind.REFUSAL)
    notice.content["paragraphs"].append("<b>不是标记</b> & <font size=40>也不是</font>")
    _, text = read(pdf.render_notice(notice))
    assert "<b>不是标记</b>&<fontsize=40>也不是</font>" in text


def test_the_notice_qr_code_encodes_the_verification_url(world, monkeypatch):
    notice = issue(world, NoticeKind.ACCEPTANCE)
    encoded: list[str] = []
    original = pdf.qr_matrix

    def spy(data: str) -> list[list[bool]]:
        encoded.append(data)
        return original(data)

    monkeypatch.setattr(pdf, "qr_matrix", spy)
    pdf.render_notice(notice)
    assert encoded and set(encoded) == {notices.verify_url(notice.verify_code)}


def test_draw_qr_paints_exactly_the_modules_of_the_qr_code(world):
    """Read the squares back from the PDF and compare them with qrcode's own matrix."""
    url = notices.verify_url("ABCDEFGHJKMNPQRS")
    reference = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    reference.add_data(url)
    reference.make(fit=True)
    expected = [[bool(c) for c in row] for row in reference.get_matrix()]

    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4)
    x0, y0, size = 100.0, 300.0, 90.0
    pdf.draw_qr(canvas, x0, y0, size, url)
    canvas.showPage()
    canvas.save()
    reader = PdfReader(io.BytesIO(buf.getvalue()))
    ops = ContentStream(reader.pages[0].get_contents(), reader).operations

    n = len(expected)
    module = size / n
    seen = [[False] * n for _ in range(n)]
    fill = None
    for operands, op in ops:
        if op == b"rg":
            fill = tuple(float(v) for v in operands)
        elif op == b"re" and fill == (0.0, 0.0, 0.0):
            x, y, w, h = (float(v) for v in operands)
            row = round((y0 + size - y - h) / module)
            start, count = round((x - x0) / module), round(w / module)
            assert round(h / module) == 1
            for c in range(start, start + count):
                seen[row][c] = True
    assert seen == expected


def test_certificate_pdf_shows_name_number_holder_item_department_date_and_qr(world):
    notice = issue(world, NoticeKind.APPROVAL)
    cert = Certificate.objects.get(case=notice.case)
    reader, text = read(pdf.render_certificate(cert))
    assert len(reader.pages) == 1
    issued = f"{cert.issued_on.year}年{cert.issued_on.month}月{cert.issued_on.day}日"
    for expected in (cert.name, cert.number, "持证人张三丰", cert.content["item"],
                     cert.content["department"], issued, "长期有效", "扫码核验",
                     cert.verify_code, notices.verify_url(cert.verify_code)):
        assert flat(expected) in text, expected
    assert "已注销" not in text


def test_revoked_certificate_pdf_is_marked_revoked(world):
    notice = issue(world, NoticeKind.APPROVAL)
    Certificate.objects.filter(case=notice.case).update(revoked_at=timezone.now())
    cert = Certificate.objects.get(case=notice.case)
    _, text = read(pdf.render_certificate(cert))
    assert "已注销" in text and cert.number in text
