"""Exports read back: the workbook with openpyxl, the PDF's text with pdftotext (poppler-utils);
both hold exactly the rows the reader may see."""

from __future__ import annotations

import io
import shutil
import subprocess
from typing import Any

import pytest
from openpyxl import load_workbook

from onewindow.accounts.models import StaffMember
from onewindow.assessment import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(known: Any) -> Any:
    return services.assessment_compute(actor=known.admin, region=known.w.regions["d1"],
                                       month="2026-10")


def workbook(client: Any, user: Any, run: Any) -> Any:
    client.force_login(user)
    resp = client.get(f"/workbench/assessment/{run.pk}/export.xlsx")
    assert resp.status_code == 200
    assert resp["Content-Disposition"] == (
        'attachment; filename="assessment-379902000000-2026-10.xlsx"')
    return load_workbook(io.BytesIO(resp.content))


def pdf_text(client: Any, user: Any, run: Any) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    client.force_login(user)
    resp = client.get(f"/workbench/assessment/{run.pk}/export.pdf")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=resp.content,
                         capture_output=True, check=True)
    return out.stdout.decode()


def test_workbook_has_a_ranked_sheet_per_kind_and_the_scheme(client, known, run):
    wb = workbook(client, known.admin, run)
    assert wb.sheetnames == ["窗口", "部门", "工作人员", "考核方案"]
    ws = wb["窗口"]
    assert ws["A1"].value == "东湖区 2026年10月 窗口考核结果（窗口）"
    header = [c.value for c in ws[2]]
    assert header[:6] == ["排名", "名称", "所属单位", "得分", "等次", "红旗窗口"]
    data = [dict(zip(header, (c.value for c in row), strict=True))
            for row in ws.iter_rows(min_row=3)]
    assert [(r["排名"], r["名称"], r["得分"], r["等次"], r["红旗窗口"]) for r in data] == [
        (1, "B07 卫生健康窗口", 91.0, "优秀", "是"),
        (2, "B05 市场监管窗口", 85.8, "合格", None),
        (3, "A01 综合受理窗口", 67.63, "合格", None),
    ]
    w1 = data[2]
    assert (w1["受理件数"], w1["办结件数"], w1["按期办结件数"], w1["按期办结率(%)"],
            w1["提速率(%)"], w1["平均用时(工作日)"], w1["窗口服务人次"], w1["黄牌预警"],
            w1["红牌"], w1["扣分"]) == (2, 2, 1, 50.0, 77.5, 4.5, 3, 1, 1, 4.0)
    assert data[1]["说明"] == "属实投诉一票否决"
    assert [r[1].value for r in wb["部门"].iter_rows(min_row=3)] == [
        "东湖区卫生健康局", "东湖区市场监督管理局"]
    assert wb["工作人员"].max_row == 5  # title, header, three people
    scheme = {r[0].value: r[1].value for r in wb["考核方案"].iter_rows(min_row=2)}
    assert scheme["方案来源"] == "系统默认方案" and scheme["按期办结率权重"] == "30分"
    assert scheme["优秀比例上限"] == "不限" and scheme["红牌一票否决"] == "是"


def test_a_department_head_exports_only_their_department(client, known, run):
    wb = workbook(client, known.head, run)
    assert [r[1].value for r in wb["窗口"].iter_rows(min_row=3)] == ["B05 市场监管窗口"]
    assert [r[1].value for r in wb["部门"].iter_rows(min_row=3)] == ["东湖区市场监督管理局"]
    chief = StaffMember.objects.get(user=known.chief).staff_number
    assert [r[1].value.split()[0] for r in wb["工作人员"].iter_rows(min_row=3)] == [chief]


def test_pdf_text_reads_back(client, known, run):
    text = pdf_text(client, known.admin, run)
    assert "东湖区 2026年10月 窗口考核结果" in text
    assert "窗口排名（3）" in text and "部门排名（2）" in text and "工作人员排名（3）" in text
    for expected in ("B07 卫生健康窗口（红旗窗口）", "91.00", "85.80", "67.63", "77.5%",
                     "东湖区卫生健康局", "87.25", "55.31", "不合格", "属实投诉一票否决"):
        assert expected in text, expected
    head = pdf_text(client, known.health_head, run)
    assert "B07 卫生健康窗口" in head and "B05" not in head and "A01" not in head
    assert "部门排名（1）" in head
