"""Helpers of the dashboard pages and API (统计分析): parameters, scope, the blocks of figures
with their table, chart and export forms, the hall-wall payload.

Every block is built once, as rows of :class:`Cell` — the page's table, the CSV and the Excel
sheet are written from the same rows, and the chart data from the same :class:`Figures`, so a
number on a chart always equals the number in its table and in the export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.cases.models import Case
from onewindow.cases.workflow import CaseState
from onewindow.core import clock
from onewindow.core.errors import NotFound, ValidationFailed
from onewindow.evaluation.models import Level
from onewindow.evaluation.selectors import Period
from onewindow.regions.models import Department, Region
from onewindow.stats import selectors
from onewindow.stats.selectors import Figures, Live, Scope
from onewindow.supervision.models import AlertKind

#: Dates outside these bounds are refused (the calendar and the trend's months stay sane).
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
MAX_ID = 2_147_483_647
REGION_CODE = re.compile(r"[0-9]{12}")
OVERDUE_LIST = 50
TOP_DEPARTMENTS = 15

# --- parameters --------------------------------------------------------------------------------


def _date(raw: str | None, field_name: str, errors: dict[str, str]) -> dt.date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = dt.date.fromisoformat(raw[:10]) if len(raw) <= 10 else None
    except ValueError:
        value = None
    if value is None:
        errors[field_name] = _("日期格式应为 年-月-日，如 2026-11-01。")
        return None
    if not FIRST_DAY <= value <= LAST_DAY:
        errors[field_name] = _("日期应在 2000-01-01 至 2099-12-31 之间。")
        return None
    return value


def parse_period(start_raw: str | None, end_raw: str | None, *, today: dt.date | None = None
                 ) -> tuple[Period, dict[str, str]]:
    """The period of a page's query string; bad input gives a message per field and the
    default in its place (this year up to today)."""
    errors: dict[str, str] = {}
    start = _date(start_raw, "start", errors)
    end = _date(end_raw, "end", errors)
    if start and end and end < start:
        errors["end"] = _("结束日期不能早于开始日期，已按调换后的期间统计。")
    return selectors.period_of(start, end, today=today), errors


def check_period(start: dt.date | None, end: dt.date | None, *, today: dt.date | None = None
                 ) -> Period:
    """The API's period: typed dates, refused field by field when out of range or reversed."""
    errors: dict[str, list[str]] = {}
    for name, value in (("start", start), ("end", end)):
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            errors[name] = [_("日期应在 2000-01-01 至 2099-12-31 之间。")]
    if start and end and end < start:
        errors["end"] = [_("结束日期不能早于开始日期。")]
    if errors:
        raise ValidationFailed(_("统计期间有误，请检查后重试。"), field_errors=errors)
    return selectors.period_of(start, end, today=today)


def parse_id(raw: str | None, field_name: str, errors: dict[str, str]) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID:
        return int(raw)
    errors[field_name] = _("部门参数不正确。")
    return None


def scope_of(user: Any, *, region_code: str = "", department_id: int | None = None) -> Scope:
    """:func:`selectors.scope_for`, where a department asked for without a region is looked
    for in the user's own region first, then in its own region (so that another department
    is refused as out of scope rather than reported missing)."""
    region_code = (region_code or "").strip()
    if region_code and not REGION_CODE.fullmatch(region_code):
        raise NotFound(_("没有这个区划。"), code="not_found")
    try:
        return selectors.scope_for(user, region_code=region_code, department_id=department_id)
    except NotFound:
        if region_code or department_id is None:
            raise
        dep = Department.objects.select_related("region").filter(pk=department_id).first()
        if dep is None:
            raise
        return selectors.scope_for(user, region_code=dep.region.code,
                                   department_id=department_id)


def may_view(user: Any, region: Region, department_id: int | None = None) -> bool:
    """Whether ``user`` may open the dashboard of this region (and department): the check of
    :func:`selectors.scope_for` without its queries (for drawing links)."""
    return any(
        region.prefix.startswith(g.region_prefix)
        and (g.department_id is None or g.department_id == department_id)
        for g in access.grants_for(user, Perm.STATS_VIEW)
    )


@dataclass(frozen=True)
class Preset:
    label: str
    start: dt.date
    end: dt.date


def presets(today: dt.date) -> list[Preset]:
    quarter = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return [
        Preset(_("本月"), today.replace(day=1), today),
        Preset(_("本季度"), quarter, today),
        Preset(_("本年"), today.replace(month=1, day=1), today),
        Preset(_("近30天"), today - dt.timedelta(days=29), today),
    ]


def link(region_code: str, department_id: int | None = None, period: Period | None = None,
         **extra: Any) -> str:
    """The query string of a dashboard link (region, department, the period)."""
    params: dict[str, Any] = {"region": region_code}
    if department_id:
        params["department"] = department_id
    if period is not None:
        params["start"], params["end"] = period.start, period.end
    params.update({k: v for k, v in extra.items() if v is not None})
    return "?" + urlencode(params)


def query(scope: Scope, period: Period | None = None, **extra: Any) -> str:
    """The query string of a dashboard link for ``scope`` (and the period)."""
    return link(scope.region.code, scope.department.pk if scope.department else None, period,
                **extra)


# --- blocks -------------------------------------------------------------------------------------


def rate_text(value: Decimal | float | None) -> str:
    return "—" if value is None else f"{float(value):.1f}%"


def rate_value(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@dataclass
class Cell:
    value: Any
    text: str = ""
    url: str = ""
    alert: bool = False

    def __post_init__(self) -> None:
        if not self.text:
            self.text = "—" if self.value is None else str(self.value)


def num(value: int, *, url: str = "", alert: bool = False) -> Cell:
    return Cell(value, str(value), url, alert)


def rate(value: Decimal | None) -> Cell:
    return Cell(rate_value(value), rate_text(value))


@dataclass
class Block:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    chart: bool = True
    note: str = ""
    empty: str = ""

    @property
    def sheet(self) -> str:
        return self.title[:31]


@dataclass
class Kpi:
    key: str
    label: str
    value: Any
    text: str
    note: str = ""
    url: str = ""
    alert: bool = False


@dataclass
class OverdueCase:
    case_no: str
    item: str
    department: str
    promised_due: dt.date
    days_over: int
    may_supervise: bool


@dataclass
class Board:
    scope: Scope
    period: Period
    today: dt.date
    totals: Figures
    live: Live
    ratings: dict[int, int]
    alerts: dict[str, int]
    complaints: dict[str, int]
    children: list[Figures]
    departments: list[Figures]
    top_overdue: list[Figures]
    trend: list[Figures]
    overdue_cases: list[OverdueCase] = field(default_factory=list)
    kpis: list[Kpi] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def block(self, key: str) -> Block | None:
        return next((b for b in self.blocks if b.key == key), None)


def overdue_cases(user: Any, scope: Scope, today: dt.date, *, limit: int = OVERDUE_LIST
                  ) -> list[OverdueCase]:
    """The department's cases past their promised date (in review), most overdue first —
    an index range read of at most ``limit`` rows; no applicant data."""
    if scope.department is None:
        return []
    region_ids = Region.objects.filter(prefix__startswith=scope.region.prefix).values("id")
    rows = (Case.objects.filter(region_id__in=region_ids, department=scope.department,
                                state=CaseState.IN_REVIEW, promised_due__lt=today)
            .select_related("item__basic", "region", "department")
            .only("case_no", "promised_due", "region__prefix", "region__code", "department__name",
                  "item__basic__name")
            .order_by("promised_due", "id")[:limit])
    return [
        OverdueCase(case_no=c.case_no, item=c.item.basic.name,
                    department=c.department.name if c.department else "",
                    promised_due=c.promised_due, days_over=(today - c.promised_due).days,
                    may_supervise=access.can(user, Perm.SUPERVISE, region=c.region))
        for c in rows if c.promised_due is not None
    ]


def build(user: Any, scope: Scope, period: Period, *, today: dt.date | None = None) -> Board:
    """Everything the dashboard shows, read from the roll-up tables."""
    today = today or clock.today()
    trend_end = min(max(period.end or today, FIRST_DAY), today)
    d = selectors.dashboard(scope, period, today=today, trend_end=trend_end)
    board = Board(
        scope=scope, period=period, today=today, totals=d.totals, live=d.live,
        ratings=d.ratings, alerts=d.alerts, complaints=d.complaints, children=d.children,
        departments=d.departments, top_overdue=d.top_overdue, trend=d.trend,
        overdue_cases=overdue_cases(user, scope, today),
    )
    board.kpis = _kpis(board)
    board.blocks = _blocks(board)
    return board


def _kpis(b: Board) -> list[Kpi]:
    t, lv = b.totals, b.live
    overdue_url = "#overdue-cases" if b.scope.department is not None else "#block-top_overdue"
    return [
        Kpi("received", _("收件"), t.received, str(t.received)),
        Kpi("accepted", _("受理"), t.accepted, str(t.accepted),
            _("不予受理 %(n)s") % {"n": t.refused}),
        Kpi("decided", _("办结"), t.decided, str(t.decided)),
        Kpi("in_progress", _("在办（实时）"), lv.in_progress, str(lv.in_progress),
            _("待受理 %(w)s · 挂起 %(s)s · 待出件 %(d)s") % {
                "w": lv.waiting, "s": lv.suspended, "d": lv.awaiting_delivery}),
        Kpi("overdue", _("超期（实时）"), lv.overdue, str(lv.overdue),
            _("在审查中且已过承诺办结日期"), overdue_url if lv.overdue else "",
            alert=lv.overdue > 0),
        Kpi("on_time_rate", _("按时办结率"), rate_value(t.on_time_rate),
            rate_text(t.on_time_rate), _("按时 %(n)s / 办结 %(d)s") % {
                "n": t.on_time, "d": t.decided}),
        Kpi("on_spot_rate", _("当场办结率"), rate_value(t.on_spot_rate),
            rate_text(t.on_spot_rate), _("当场办结 %(n)s") % {"n": t.on_spot}),
        Kpi("days_saved", _("节省工作日"), t.days_saved, str(t.days_saved),
            _("提速率 %(r)s") % {"r": rate_text(t.speedup_rate)}),
        Kpi("satisfaction_rate", _("满意率"), rate_value(t.satisfaction_rate),
            rate_text(t.satisfaction_rate), _("评价 %(n)s 条") % {"n": t.rated}),
        Kpi("complaints", _("投诉"), b.complaints["received"], str(b.complaints["received"]),
            _("已答复 %(n)s") % {"n": b.complaints["answered"]}),
        Kpi("red", _("红牌"), b.alerts.get(AlertKind.RED, 0), str(b.alerts.get(AlertKind.RED, 0)),
            _("期间内发出"), alert=b.alerts.get(AlertKind.RED, 0) > 0),
        Kpi("yellow", _("黄牌"), b.alerts.get(AlertKind.YELLOW, 0),
            str(b.alerts.get(AlertKind.YELLOW, 0)), _("期间内发出")),
    ]


def _figure_row(f: Figures, *, url: str = "", overdue_url: str = "") -> list[Cell]:
    return [
        Cell(f.label, f.label, url), num(f.received), num(f.accepted), num(f.decided),
        rate(f.on_time_rate), num(f.in_progress),
        num(f.overdue, url=overdue_url if f.overdue else "", alert=f.overdue > 0),
        num(f.days_saved), rate(f.satisfaction_rate),
    ]


def _figure_headers(first: str) -> list[str]:
    return [first, _("收件"), _("受理"), _("办结"), _("按时办结率"), _("在办"), _("超期"),
            _("节省工作日"), _("满意率")]


def department_url(b: Board, dep_id: int) -> str:
    return link(b.scope.region.code, dep_id, b.period) if dep_id else ""


def region_url(b: Board, code: str) -> str:
    return "" if code == b.scope.region.code else link(code, None, b.period)


def _blocks(b: Board) -> list[Block]:
    t = b.totals
    blocks = [Block(
        "totals", _("主要指标"), [_("指标"), _("数值"), _("说明")],
        [[Cell(k.label), Cell(k.value, k.text), Cell(k.note)] for k in b.kpis], chart=False,
    )]
    blocks.append(Block(
        "trend", _("月度趋势"),
        [_("月份"), _("收件"), _("受理"), _("办结"), _("按时办结率"), _("当场办结率"),
         _("满意率")],
        [[Cell(f.label), num(f.received), num(f.accepted), num(f.decided), rate(f.on_time_rate),
          rate(f.on_spot_rate), rate(f.satisfaction_rate)] for f in b.trend],
        note=_("近 12 个月，截至统计期间的结束月份"),
    ))
    if b.scope.department is None:
        blocks.append(Block(
            "children", _("下级区划"), _figure_headers(_("区划")),
            [_figure_row(f, url=region_url(b, str(f.key))) for f in b.children],
            note=_("红色表示有超期件；点击柱形或区划名称查看下级"),
            empty=_("该区划没有下级区划的数据。"),
        ))
    blocks.append(Block(
        "departments", _("部门办件"), _figure_headers(_("部门")),
        [_figure_row(f, url=department_url(b, int(f.key or 0)),
                     overdue_url=(department_url(b, int(f.key or 0)) + "#overdue-cases")
                     if f.key else "")
         for f in b.departments],
        chart=b.scope.department is None, note=_("按办结数排列"),
        empty=_("统计期间没有部门办件。"),
    ))
    if b.scope.department is None:
        blocks.append(Block(
            "top_overdue", _("超期最多的部门"), [_("部门"), _("超期件数")],
            [[Cell(f.label, f.label, department_url(b, int(f.key or 0))),
              num(f.overdue, alert=True)] for f in b.top_overdue],
            chart=False, note=_("实时：在审查中且已过承诺办结日期"), empty=_("没有超期件。"),
        ))
    blocks.append(Block(
        "ratings", _("评价分布（好差评）"), [_("评价等级"), _("条数"), _("占比")],
        [[Cell(str(Level(lv).label)), num(n),
          Cell(rate_value(_pct(n, t.rated)), rate_text(_pct(n, t.rated)))]
         for lv, n in sorted(b.ratings.items())],
        note=_("满意率 = 非常满意、满意、基本满意 / 全部评价"),
    ))
    blocks.append(Block(
        "alerts", _("预警与违规"), [_("类型"), _("条数")],
        [[Cell(str(AlertKind(k).label)), num(n, alert=n > 0 and k != AlertKind.REMINDER)]
         for k, n in b.alerts.items()],
        note=_("按发出日期统计，不含已撤销"),
    ))
    c = b.complaints
    blocks.append(Block(
        "complaints", _("投诉"), [_("项目"), _("件数")],
        [[Cell(_("收到投诉")), num(c["received"])], [Cell(_("已答复")), num(c["answered"])],
         [Cell(_("按时答复")), num(c["answered_on_time"])],
         [Cell(_("超期未答复")), num(c["open_overdue"], alert=c["open_overdue"] > 0)],
         [Cell(_("查实")), num(c["substantiated"])]],
        chart=False,
    ))
    if b.scope.department is not None:
        blocks.append(Block(
            "overdue_cases", _("超期办件"),
            [_("办件编号"), _("事项"), _("承诺办结日期"), _("超过天数")],
            [[Cell(o.case_no, o.case_no, f"/workbench/cases/{o.case_no}/"), Cell(o.item),
              Cell(o.promised_due, o.promised_due.isoformat()), num(o.days_over, alert=True)]
             for o in b.overdue_cases],
            chart=False, note=_("实时，最多显示 %(n)s 件") % {"n": OVERDUE_LIST},
            empty=_("本部门没有超期办件。"),
        ))
    return blocks


def _pct(part: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(part) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


# --- chart data (drawn by static/stats/dashboard.js) --------------------------------------------


def chart_data(b: Board) -> dict[str, Any]:
    def rows(figs: Iterable[Figures], url: Callable[[Figures], str]) -> list[dict[str, Any]]:
        return [{**f.as_dict(), "url": url(f)} for f in figs]

    return {
        "trend": rows(b.trend, lambda f: ""),
        "children": rows(b.children, lambda f: region_url(b, str(f.key))),
        "departments": rows(b.departments[:TOP_DEPARTMENTS],
                            lambda f: department_url(b, int(f.key or 0))),
        "ratings": [{"label": str(Level(lv).label), "level": lv, "n": n}
                    for lv, n in sorted(b.ratings.items())],
        "alerts": [{"label": str(AlertKind(k).label), "kind": k, "n": n}
                   for k, n in b.alerts.items()],
        "labels": {
            "received": _("收件"), "accepted": _("受理"), "decided": _("办结"),
            "on_time_rate": _("按时办结率"), "in_progress": _("在办"), "overdue": _("超期"),
            "count": _("件数"), "rate": _("比率"), "overdue_mark": _("超期"),
            "empty": _("暂无数据"), "chart": _("图表"),
        },
    }


def board_dict(b: Board) -> dict[str, Any]:
    """The dashboard as JSON (the API): the same blocks, figures as :meth:`Figures.as_dict`."""
    return {
        "scope": {"label": b.scope.label, "region": b.scope.region.code,
                  "region_name": b.scope.region.name,
                  "department": b.scope.department.pk if b.scope.department else None,
                  "department_name": b.scope.department.name if b.scope.department else ""},
        "period": {"start": b.period.start, "end": b.period.end},
        "today": b.today,
        "totals": b.totals.as_dict(),
        "live": b.live.as_dict(),
        "ratings": {str(k): v for k, v in b.ratings.items()},
        "alerts": b.alerts,
        "complaints": b.complaints,
        "children": [f.as_dict() for f in b.children],
        "departments": [f.as_dict() for f in b.departments],
        "top_overdue": [f.as_dict() for f in b.top_overdue],
        "trend": [f.as_dict() for f in b.trend],
        "overdue_cases": [
            {"case_no": o.case_no, "item": o.item, "promised_due": o.promised_due,
             "days_over": o.days_over} for o in b.overdue_cases],
    }


# --- exports ------------------------------------------------------------------------------------


def _title(b: Board) -> str:
    return _("%(scope)s 统计期间 %(start)s 至 %(end)s") % {
        "scope": b.scope.label, "start": b.period.start, "end": b.period.end}


def xlsx_bytes(b: Board) -> bytes:
    """The whole dashboard, one sheet per block (first row: scope and period; then headers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for block in b.blocks:
        ws = wb.create_sheet(block.sheet)
        ws.append([_title(b)])
        ws.append(block.headers)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in block.rows:
            ws.append([c.value if not isinstance(c.value, dt.date) else c.text for c in row])
        ws.column_dimensions["A"].width = 28
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_text(block: Block) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(block.headers)
    for row in block.rows:
        writer.writerow([c.text for c in row])
    return "\ufeff" + buf.getvalue()  # a BOM, so that Excel reads the Chinese as UTF-8


def export_name(b: Board, suffix: str) -> str:
    who = b.scope.region.code + (f"-{b.scope.department.pk}" if b.scope.department else "")
    return f"stats-{who}-{b.period.start}-{b.period.end}{suffix}"


# --- the hall wall (大屏) -------------------------------------------------------------------------


def wall_payload(scope: Scope, *, today: dt.date | None = None) -> dict[str, Any]:
    """Key figures of the region for the wall: no personal data, only counts and names of
    regions and departments."""
    now = timezone.localtime(clock.now())
    today = today or clock.today()
    day = Period(today, today)
    month = Period(today.replace(day=1), today)
    year = Period(today.replace(month=1, day=1), today)
    d = selectors.totals(scope, day, today=today)
    m = selectors.totals(scope, month, today=today)
    y = selectors.totals(scope, year, today=today)
    ranking = selectors.by_department(scope, month, today=today)[:10]
    children = (selectors.by_child_region(scope, month, today=today)
                if scope.department is None else [])
    return {
        "scope": scope.label,
        "region": scope.region.code,
        "updated_at": now.isoformat(timespec="seconds"),
        "today": today,
        "month_label": f"{today:%Y-%m}",
        "day": {"received": d.received, "accepted": d.accepted, "decided": d.decided},
        "live": {"in_progress": m.in_progress, "overdue": m.overdue},
        "month": {"received": m.received, "decided": m.decided,
                  "on_time_rate": rate_value(m.on_time_rate),
                  "satisfaction_rate": rate_value(m.satisfaction_rate), "rated": m.rated},
        "year": {"decided": y.decided, "days_saved": y.days_saved,
                 "speedup_rate": rate_value(y.speedup_rate),
                 "on_time_rate": rate_value(y.on_time_rate)},
        "trend": [{"label": f.label, "received": f.received, "decided": f.decided,
                   "on_time_rate": rate_value(f.on_time_rate)}
                  for f in selectors.monthly_trend(scope, today=today)],
        "ranking": [{"label": f.label, "decided": f.decided,
                     "on_time_rate": rate_value(f.on_time_rate)} for f in ranking if f.decided],
        "regions": [{"label": f.label, "in_progress": f.in_progress, "overdue": f.overdue,
                     "decided": f.decided} for f in children],
    }
