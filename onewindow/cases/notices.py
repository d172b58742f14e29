"""The wording of each notice (文书) and the frozen content it is issued with.

A notice's content is built once, when it is issued, from the case as it is at that moment,
and stored with a digest; the PDF (:mod:`onewindow.cases.pdf`) and the public verification page
render that stored content, so a document reads the same whenever it is downloaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings

from onewindow.cases.audit import canonical
from onewindow.cases.models import Case, NoticeKind

# Remedies told with every adverse decision (行政复议法 art. 20, 行政诉讼法 art. 46).
REMEDIES = (
    "如不服本决定，可以自收到本决定书之日起六十日内向{review_body}申请行政复议，"
    "或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。"
)

TITLES = {k.value: str(k.label) for k in NoticeKind}

NUMBER_TAGS = {
    NoticeKind.ACCEPTANCE: "SL", NoticeKind.REFUSAL: "BSL", NoticeKind.SUPPLEMENT: "BZ",
    NoticeKind.TOLERANCE: "RQ", NoticeKind.SPECIAL: "TB", NoticeKind.EXTENSION: "YQ",
    NoticeKind.APPROVAL: "ZY", NoticeKind.DENIAL: "BY",
}


def _d(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def centre_name(case: Case) -> str:
    if case.centre_id and case.centre is not None:
        return case.centre.name
    return f"{case.region.name}政务服务中心"


def build(kind: str, case: Case, *, issued_on: dt.date, extra: dict[str, Any] | None = None
          ) -> dict[str, Any]:
    """The content of a notice of ``kind`` on ``case`` (JSON-serialisable)."""
    extra = dict(extra or {})
    applicant = case.applicant
    item_name = case.item.basic.name
    department = case.department.name
    paragraphs: list[str] = []
    lines: list[list[str]] = []  # a table of (label, value)
    received = _d(case.received_on)

    if kind == NoticeKind.ACCEPTANCE:
        unit = "日" if case.limit_unit == "natural_day" else "个工作日"
        promise = (
            "承诺当场办结" if case.promised_limit_days == 0
            else f"承诺{case.promised_limit_days}{unit}内办结"
        )
        paragraphs = [
            f"你（单位）于{received}提出的{item_name}申请，申请材料齐全、符合法定形式。"
            f"根据《中华人民共和国行政许可法》第三十二条的规定，本机关决定予以受理。",
            f"本机关将自受理之日起{case.legal_limit_days}{unit}内作出决定（{promise}）。"
            "依法需要听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审的，"
            "所需时间不计算在期限内。",
        ]
        if case.deemed_accepted:
            paragraphs.append(
                "因未在收到申请材料之日起五个工作日内一次告知需要补正的全部内容，"
                "依法自收到申请材料之日起即为受理。"
            )
        lines = [["受理日期", _d(case.accepted_on)], ["法定办结日期", _d(case.legal_due)],
                 ["承诺办结日期", _d(case.promised_due)]]
    elif kind == NoticeKind.TOLERANCE:
        paragraphs = [
            f"你（单位）申请的{item_name}，主要申请材料齐全、符合法定形式，下列次要材料暂缺。"
            "本机关实行容缺受理（先办后补），你（单位）已承诺在下列期限内补交。"
            "容缺材料补齐前，不予发放审批结果。",
        ]
        lines = [[m["name"], f"承诺于{m['promised_by']}前补交"] for m in extra.get("materials", [])]
    elif kind == NoticeKind.REFUSAL:
        paragraphs = [
            f"你（单位）于{received}提出的{item_name}申请，经审查，"
            f"因{extra.get('reason', '')}，根据《中华人民共和国行政许可法》第三十二条的规定，"
            "本机关决定不予受理。",
        ]
        if extra.get("refer_to"):
            paragraphs.append(f"请向{extra['refer_to']}提出申请。")
        paragraphs.append(REMEDIES.format(review_body=extra.get("review_body") or "本级人民政府"))
    elif kind == NoticeKind.SUPPLEMENT:
        deadline = extra.get("deadline") or ""
        paragraphs = [
            f"你（单位）提出的{item_name}申请，申请材料不齐全或者不符合法定形式。"
            "根据《中华人民共和国行政许可法》第三十二条的规定，现一次性告知你（单位）"
            "需要补正的全部内容如下：",
        ]
        lines = [[m["name"], m.get("note") or "请补正"] for m in extra.get("materials", [])]
        if extra.get("other"):
            lines.append(["其他说明", extra["other"]])
        paragraphs.append(
            "请按上述要求补正后重新提交。补正期间不计入办理时限"
            + (f"；请于{deadline}前补正。" if deadline else "。")
        )
    elif kind == NoticeKind.SPECIAL:
        paragraphs = [
            f"你（单位）申请的{item_name}（办件编号 {case.case_no}），"
            f"依法需要进行{extra.get('procedure', '')}。根据《中华人民共和国行政许可法》"
            "第四十五条的规定，所需时间不计算在办理期限内。",
            f"原因：{extra.get('reason', '')}",
        ]
        lines = [["开始日期", extra.get("started_on", "")],
                 ["预计所需时间", f"{extra.get('expected_days', 0)}个工作日"]]
    elif kind == NoticeKind.EXTENSION:
        paragraphs = [
            f"你（单位）申请的{item_name}（办件编号 {case.case_no}），因{extra.get('reason', '')}，"
            f"不能在法定期限内作出决定。经本机关负责人批准，办理期限延长{extra.get('days', 0)}个"
            "工作日。根据《中华人民共和国行政许可法》第四十二条的规定，特此告知。",
        ]
        lines = [["延长后办结日期", _d(case.legal_due)]]
    elif kind == NoticeKind.APPROVAL:
        paragraphs = [
            f"你（单位）于{received}提出的{item_name}申请，本机关已于{_d(case.accepted_on)}受理。"
            "经审查，申请符合法定条件、标准。根据《中华人民共和国行政许可法》第三十八条第一款"
            "的规定，本机关决定准予行政许可。",
        ]
        if extra.get("certificate_no"):
            lines = [["证照名称", extra.get("certificate_name", "")],
                     ["证照编号", extra["certificate_no"]]]
    elif kind == NoticeKind.DENIAL:
        paragraphs = [
            f"你（单位）于{received}提出的{item_name}申请，本机关已于{_d(case.accepted_on)}受理。"
            f"经审查，{extra.get('reason', '')}。根据《中华人民共和国行政许可法》第三十八条"
            "第二款的规定，本机关决定不予行政许可。",
            REMEDIES.format(review_body=extra.get("review_body") or "本级人民政府"),
        ]
    return {
        "title": TITLES[kind],
        "centre": centre_name(case),
        "department": department,
        "case_no": case.case_no,
        "item": item_name,
        "applicant": applicant.name,
        "paragraphs": paragraphs,
        "lines": lines,
        "issued_on": _d(issued_on),
        "phone": case.version.consult_phone,
    }


def digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content).encode()).hexdigest()


def verify_url(code: str) -> str:
    base = str(getattr(settings, "ONEWINDOW_SITE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return f"{base}/verify/{code}/"
