"""Supervision metrics of work orders (考核指标) and hot topics (热点诉求).

Read by the hotline centre and the supervision office over their regions. Each figure is one
aggregate query grouped by department or category (conditional counts), never a loop over rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.core import clock
from onewindow.core.errors import PermissionDenied, ValidationFailed
from onewindow.hotline.models import WorkOrder
from onewindow.hotline.order_selectors import centre_q
from onewindow.regions.models import Region

MAX_DAYS = 400


def require_metrics(user: Any) -> None:
    if not (access.has_any(user, Perm.HOTLINE_OPERATE) or access.has_any(user, Perm.SUPERVISE)):
        raise PermissionDenied(_("您没有查看热线考核指标的权限。"))


def orders_for_metrics(user: Any) -> QuerySet[WorkOrder]:
    require_metrics(user)
    q = centre_q(user) | access.scope_q(user, Perm.SUPERVISE, region_field="region",
                                        department_field=None)
    return WorkOrder.objects.filter(q).filter(merged_into__isnull=True)


def _bounds(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.datetime, dt.datetime]:
    today = clock.today()
    date_to = date_to or today
    date_from = date_from or (date_to - dt.timedelta(days=29))
    if date_from > date_to or (date_to - date_from).days > MAX_DAYS:
        raise ValidationFailed(_("统计期间有误。"), field_errors={
            "date_from": [_("开始日期应早于结束日期，且期间不超过 400 天。")]})
    start = timezone.make_aware(dt.datetime.combine(date_from, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min))
    return start, end


_AGG = {
    "n_total": Count("pk"),
    "n_direct": Count("pk", filter=Q(direct=True)),
    "n_dispatched": Count("pk", filter=Q(dispatch_count__gt=0)),
    "n_signed": Count("pk", filter=Q(signed_at__isnull=False)),
    "n_signed_on_time": Count("pk", filter=Q(signed_at__isnull=False, sign_late=False)),
    "n_replied": Count("pk", filter=Q(replied_at__isnull=False, direct=False)),
    "n_replied_on_time": Count("pk", filter=Q(replied_at__isnull=False, direct=False,
                                            reply_late=False)),
    "n_visited": Count("pk", filter=Q(visit_at__isnull=False)),
    "n_solved": Count("pk", filter=Q(solved=True)),
    "n_rated": Count("pk", filter=Q(satisfaction__isnull=False)),
    "n_satisfied": Count("pk", filter=Q(satisfaction__gte=4)),
    "n_overdue": Count("pk", filter=Q(overdue=True)),
    "n_avg_satisfaction": Avg("satisfaction"),
}


class RateRow(Schema):
    key: str
    name: str
    total: int
    direct_rate: float | None
    sign_on_time_rate: float | None
    reply_on_time_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    avg_satisfaction: float | None
    overdue: int
    repeated: int


class MetricsOut(Schema):
    date_from: dt.date
    date_to: dt.date
    overall: RateRow
    by_department: list[RateRow]
    by_category: list[RateRow]


def _rate(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _row(key: str, name: str, r: dict[str, Any], repeated: int) -> RateRow:
    avg = r.get("n_avg_satisfaction")
    return RateRow(
        key=key, name=name, total=r["n_total"], direct_rate=_rate(r["n_direct"], r["n_total"]),
        sign_on_time_rate=_rate(r["n_signed_on_time"], r["n_signed"]),
        reply_on_time_rate=_rate(r["n_replied_on_time"], r["n_replied"]),
        resolution_rate=_rate(r["n_solved"], r["n_visited"]),
        satisfaction_rate=_rate(r["n_satisfied"], r["n_rated"]),
        avg_satisfaction=round(float(avg), 2) if avg is not None else None,
        overdue=r["n_overdue"], repeated=repeated,
    )


def _repeats(qs: QuerySet[WorkOrder], field: str | None) -> dict[Any, int]:
    """重复诉求: requests beyond the first of one caller in one category, per group."""
    keys = ["caller_phone", "category_id"] + ([field] if field else [])
    rows = (qs.exclude(caller_phone="").values(*keys).annotate(n=Count("pk"))
            .filter(n__gt=1))
    out: dict[Any, int] = {}
    for r in rows:
        k = r[field] if field else None
        out[k] = out.get(k, 0) + r["n"] - 1
    return out


def metrics_out(*, user: Any, date_from: dt.date | None = None,
                date_to: dt.date | None = None) -> MetricsOut:
    start, end = _bounds(date_from, date_to)
    qs = orders_for_metrics(user).filter(created_at__gte=start, created_at__lt=end)
    overall = qs.aggregate(**_AGG)
    rep_all = _repeats(qs, None).get(None, 0)
    rep_dep = _repeats(qs, "department_id")
    rep_cat = _repeats(qs, "category_id")
    dep_rows: Any = qs.filter(department__isnull=False).values(
        "department_id", "department__name").annotate(**_AGG)
    cat_rows: Any = qs.values("category_id", "category__code", "category__name").annotate(**_AGG)
    by_dep = [
        _row(str(r["department_id"]), r["department__name"], r, rep_dep.get(r["department_id"], 0))
        for r in dep_rows.order_by("-n_total", "department_id")[:100]
    ]
    by_cat = [
        _row(r["category__code"], r["category__name"], r, rep_cat.get(r["category_id"], 0))
        for r in cat_rows.order_by("-n_total", "category__code")[:100]
    ]
    return MetricsOut(
        date_from=timezone.localdate(start),
        date_to=timezone.localdate(end - dt.timedelta(days=1)),
        overall=_row("all", _("全部"), overall, rep_all), by_department=by_dep,
        by_category=by_cat,
    )


# --- hot topics -------------------------------------------------------------------------------


class HotItem(Schema):
    key: str
    name: str
    count: int
    previous: int
    change: int


class RegionRow(Schema):
    code: str
    name: str
    total: int
    counts: list[int]  # per category of ``HotOut.columns``


class HotOut(Schema):
    week_start: dt.date
    categories: list[HotItem]
    regions: list[HotItem]
    rising: list[HotItem]
    columns: list[str]
    table: list[RegionRow]


@dataclass(frozen=True)
class _Week:
    start: dt.datetime
    end: dt.datetime
    prev_start: dt.datetime


def _week(day: dt.date | None) -> _Week:
    day = day or clock.today()
    monday = day - dt.timedelta(days=day.weekday())
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time.min))
    return _Week(start, start + dt.timedelta(days=7), start - dt.timedelta(days=7))


def _district(code: str) -> str:
    return code[:6] + "000000"


def hot_out(*, user: Any, week: dt.date | None = None, top: int = 10) -> HotOut:
    """The week's most frequent categories and districts, rising topics against the previous
    week, and a table of districts × the week's top categories."""
    w = _week(week)
    qs = orders_for_metrics(user)
    now_qs = qs.filter(created_at__gte=w.start, created_at__lt=w.end)
    prev_qs = qs.filter(created_at__gte=w.prev_start, created_at__lt=w.start)

    def by_cat(q: QuerySet[WorkOrder]) -> dict[tuple[str, str], int]:
        return {(r["category__code"], r["category__name"]): r["n"]
                for r in q.values("category__code", "category__name").annotate(n=Count("pk"))}

    def by_region(q: QuerySet[WorkOrder]) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in q.values("region__code").annotate(n=Count("pk")):
            key = _district(r["region__code"])
            out[key] = out.get(key, 0) + r["n"]
        return out

    cats, prev_cats = by_cat(now_qs), by_cat(prev_qs)
    regs, prev_regs = by_region(now_qs), by_region(prev_qs)
    names = dict(Region.objects.filter(code__in=set(regs) | set(prev_regs))
                 .values_list("code", "name"))
    cat_items = sorted(
        (HotItem(key=k[0], name=k[1], count=n, previous=prev_cats.get(k, 0),
                 change=n - prev_cats.get(k, 0)) for k, n in cats.items()),
        key=lambda h: (-h.count, h.key))
    reg_items = sorted(
        (HotItem(key=k, name=names.get(k, k), count=n, previous=prev_regs.get(k, 0),
                 change=n - prev_regs.get(k, 0)) for k, n in regs.items()),
        key=lambda h: (-h.count, h.key))
    rising = sorted((h for h in cat_items if h.change > 0 and h.count >= 2),
                    key=lambda h: (-h.change, -h.count, h.key))
    columns = [h.key for h in cat_items[:6]]
    col_names = [h.name for h in cat_items[:6]]
    grid: dict[str, dict[str, int]] = {}
    for r in now_qs.filter(category__code__in=columns).values(
            "region__code", "category__code").annotate(n=Count("pk")):
        row = grid.setdefault(_district(r["region__code"]), {})
        row[r["category__code"]] = row.get(r["category__code"], 0) + r["n"]
    table = [RegionRow(code=h.key, name=h.name, total=h.count,
                       counts=[grid.get(h.key, {}).get(c, 0) for c in columns])
             for h in reg_items]
    return HotOut(week_start=timezone.localdate(w.start), categories=cat_items[:top],
                  regions=reg_items[:top], rising=rising[:top], columns=col_names, table=table)
