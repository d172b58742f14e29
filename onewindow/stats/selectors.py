"""Dashboard figures (统计分析), read from the roll-up tables only.

Every function takes a :class:`Scope` — a region subtree, optionally one department — that
:func:`scope_for` builds from what the user may see (``stats.view``): the management office
and supervisors a subtree, a department head or chief representative their department.

Definitions (the same in the roll-up, the tests' direct counts and docs/decisions/0012):

- 收件 received: cases submitted (material receipt date) in the period;
- 受理 accepted / 不予受理 refused: by acceptance / refusal date;
- 办结 decided: a decision made (approved or denied) in the period, by decision date;
- 按时办结率 on-time rate: decided on or before the promised due date / decided;
- 当场办结率 on-the-spot rate: instant cases decided at the counter / decided;
- 提速率 speed-up: 1 − working days used / legal working days, over decided cases whose use is
  known (accepted on the platform); 节省时间 time saved = legal days − used days;
- live counts are as of now: 待受理 waiting (submitted, awaiting supplement), 在办 in progress
  (in review, clock stopped), 待出件 decided not yet delivered, 超期 overdue (in review past the
  promised due date);
- 满意率 satisfaction: reviews rated 1–3 / counted reviews (excluded ones not counted), by rating
  date; alerts by the day they were raised, withdrawn ones not counted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.cases.workflow import CaseState
from onewindow.core import clock
from onewindow.core.errors import NotFound, PermissionDenied
from onewindow.evaluation.selectors import Period, complaint_figures
from onewindow.regions.models import Department, Region
from onewindow.stats.models import (
    DailyAlerts,
    DailyFigures,
    DailyRatings,
    MonthlyFigures,
    MonthlyRatings,
    OpenFigures,
)
from onewindow.stats.rollup import COUNTERS, NO_DUE
from onewindow.supervision.models import AlertKind

SATISFIED = (1, 2, 3)


@dataclass(frozen=True)
class Scope:
    region: Region
    department: Department | None = None

    @property
    def label(self) -> str:
        if self.department is not None:
            return f"{self.region.name} · {self.department.name}"
        return self.region.name

    def q(self, region_ids: list[int]) -> Q:
        q = Q(region_id__in=region_ids)
        if self.department is not None:
            q &= Q(department_id=self.department.pk)
        return q


def _rate(part: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(part) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Figures:
    """Counters over a period, with the rates derived from them."""

    key: Any = None
    label: str = ""
    received: int = 0
    accepted: int = 0
    refused: int = 0
    decided: int = 0
    on_time: int = 0
    on_spot: int = 0
    timed: int = 0
    legal_days: int = 0
    used_days: int = 0
    overdue: int = 0
    in_progress: int = 0
    rated: int = 0
    satisfied: int = 0

    @property
    def on_time_rate(self) -> Decimal | None:
        return _rate(self.on_time, self.decided)

    @property
    def on_spot_rate(self) -> Decimal | None:
        return _rate(self.on_spot, self.decided)

    @property
    def days_saved(self) -> int:
        return self.legal_days - self.used_days

    @property
    def speedup_rate(self) -> Decimal | None:
        return _rate(self.legal_days - self.used_days, self.legal_days)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return _rate(self.satisfied, self.rated)

    def add(self, row: dict[str, Any]) -> None:
        for k in COUNTERS:
            setattr(self, k, getattr(self, k) + (row.get(k) or 0))

    def as_dict(self) -> dict[str, Any]:
        def num(v: Decimal | None) -> float | None:
            return float(v) if v is not None else None

        return {
            "key": self.key, "label": self.label, "received": self.received,
            "accepted": self.accepted, "refused": self.refused, "decided": self.decided,
            "on_time": self.on_time, "on_spot": self.on_spot, "overdue": self.overdue,
            "in_progress": self.in_progress, "on_time_rate": num(self.on_time_rate),
            "on_spot_rate": num(self.on_spot_rate), "days_saved": self.days_saved,
            "speedup_rate": num(self.speedup_rate), "rated": self.rated,
            "satisfied": self.satisfied, "satisfaction_rate": num(self.satisfaction_rate),
        }


@dataclass
class Live:
    waiting: int = 0
    in_progress: int = 0
    suspended: int = 0
    awaiting_delivery: int = 0
    overdue: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Dashboard:
    scope: Scope
    period: Period
    totals: Figures
    live: Live
    ratings: dict[int, int]
    alerts: dict[str, int]
    complaints: dict[str, int]
    children: list[Figures] = field(default_factory=list)
    departments: list[Figures] = field(default_factory=list)
    top_overdue: list[Figures] = field(default_factory=list)
    trend: list[Figures] = field(default_factory=list)


# --- scope ------------------------------------------------------------------------------------


def scope_for(user: Any, *, region_code: str = "", department_id: int | None = None) -> Scope:
    """The subtree (and department) asked for, if the user may see it; else their widest."""
    grants = access.grants_for(user, Perm.STATS_VIEW)
    if not grants:
        raise PermissionDenied(_("您没有查看统计数据的权限。"), code="forbidden")
    if region_code and not (len(region_code) == 12 and region_code.isascii()
                            and region_code.isdigit()):
        raise NotFound(_("没有这个区划。"), code="not_found")
    if not region_code and department_id is not None:
        # A department asked for on its own: look in its own region.
        dep = Department.objects.filter(pk=department_id).select_related("region").first()
        if dep is None:
            raise NotFound(_("没有这个部门。"), code="not_found")
        region_code = dep.region.code
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise NotFound(_("没有这个区划。"), code="not_found")
    else:
        widest = min(grants, key=lambda g: (len(g.region_prefix), g.department_id is not None))
        region = Region.objects.get(pk=widest.region_id)
        if department_id is None and widest.department_id is not None:
            department_id = widest.department_id
    department = None
    if department_id is not None:
        department = Department.objects.filter(pk=department_id).select_related("region").first()
        if department is None:
            raise NotFound(_("没有这个部门。"), code="not_found")
        if not department.region.is_within(region) and not region.is_within(department.region):
            raise NotFound(_("该部门不在所选区划内。"), code="not_found")
    # A departmental grant sees its department wherever the region lies inside its subtree.
    ok = any(
        region.prefix.startswith(g.region_prefix)
        and (g.department_id is None or (department is not None
                                         and g.department_id == department.pk))
        for g in grants
    )
    if not ok:
        raise PermissionDenied(_("您没有查看该区划或部门统计数据的权限。"), code="forbidden")
    return Scope(region=region, department=department)


def _subtree(region: Region) -> dict[int, str]:
    return dict(Region.objects.filter(prefix__startswith=region.prefix)
                .values_list("id", "prefix"))


# --- figures ----------------------------------------------------------------------------------


def _spans(period: Period) -> tuple[Q, Q | None]:
    """A period as day rows at its ragged edges and month rows for the whole months between:
    a year's figures read a dozen month rows per department instead of 365 day rows."""
    start, end = period.start, period.end
    assert start is not None and end is not None
    first_full = start if start.day == 1 else (start.replace(day=28) + dt.timedelta(days=4)
                                                ).replace(day=1)
    after_end = end + dt.timedelta(days=1)
    last_full = end if after_end.day == 1 else end.replace(day=1) - dt.timedelta(days=1)
    if first_full > last_full:
        return Q(day__gte=start, day__lte=end), None
    days = Q(pk__in=[])
    if start < first_full:
        days |= Q(day__gte=start, day__lt=first_full)
    if last_full < end:
        days |= Q(day__gt=last_full, day__lte=end)
    return days, Q(month__gte=first_full, month__lte=last_full.replace(day=1))


def _counter_rows(scope: Scope, period: Period, ids: list[int], by: list[str]
                  ) -> list[dict[str, Any]]:
    """Counters summed per ``by`` over the period (day and month rows together)."""
    days, months = _spans(period)
    sums = {k: Sum(k) for k in COUNTERS}
    tables = [(DailyFigures, days)] + ([(MonthlyFigures, months)] if months is not None else [])
    rows: list[dict[str, Any]] = []
    for model, q in tables:
        qs = model.objects.filter(scope.q(ids)).filter(q)
        # No grouping asked for: one aggregate (``values()`` alone would group by every column).
        rows += [qs.aggregate(**sums)] if not by else list(qs.values(*by).annotate(**sums))
    return rows


def _rating_rows(scope: Scope, period: Period, ids: list[int], by: list[str]
                 ) -> list[dict[str, Any]]:
    days, months = _spans(period)
    tables = [(DailyRatings, days)] + ([(MonthlyRatings, months)] if months is not None else [])
    rows: list[dict[str, Any]] = []
    for model, q in tables:
        rows += list(model.objects.filter(scope.q(ids)).filter(q).values(*by, "level")
                     .annotate(n=Sum("n")))
    return rows


def live(scope: Scope, *, today: dt.date | None = None) -> Live:
    today = today or clock.today()
    ids = list(_subtree(scope.region))
    out = Live()
    for state, due, n in (OpenFigures.objects.filter(scope.q(ids)).values("state", "due")
                          .annotate(n=Sum("n")).values_list("state", "due", "n")):
        _add_live(out, state, due, n, today)
    return out


def _add_live(out: Live, state: str, due: dt.date, n: int, today: dt.date) -> None:
    if state in (CaseState.SUBMITTED, CaseState.AWAITING_SUPPLEMENT):
        out.waiting += n
    elif state == CaseState.DECIDED:
        out.awaiting_delivery += n
    else:
        out.in_progress += n
        if state == CaseState.SUSPENDED:
            out.suspended += n
        elif due < today and due != NO_DUE:
            out.overdue += n


def totals(scope: Scope, period: Period, *, today: dt.date | None = None) -> Figures:
    ids = list(_subtree(scope.region))
    f = Figures(key=scope.region.code, label=scope.label)
    for row in _counter_rows(scope, period, ids, []):
        f.add(row)
    rated = ratings(scope, period, ids=ids)
    f.rated = sum(rated.values())
    f.satisfied = sum(n for lv, n in rated.items() if lv in SATISFIED)
    lv = live(scope, today=today)
    f.overdue, f.in_progress = lv.overdue, lv.in_progress
    return f


def ratings(scope: Scope, period: Period, *, ids: list[int] | None = None) -> dict[int, int]:
    ids = ids if ids is not None else list(_subtree(scope.region))
    out = dict.fromkeys(range(1, 6), 0)
    for row in _rating_rows(scope, period, ids, []):
        out[row["level"]] += row["n"] or 0
    return out


def alerts(scope: Scope, period: Period) -> dict[str, int]:
    ids = list(_subtree(scope.region))
    out = {k.value: 0 for k in AlertKind}
    for kind, n in (DailyAlerts.objects.filter(scope.q(ids), day__gte=period.start,
                                               day__lte=period.end)
                    .values("kind").annotate(n=Sum("n")).values_list("kind", "n")):
        out[kind] = n
    return out


def complaints(scope: Scope, period: Period) -> dict[str, int]:
    row = complaint_figures(region=scope.region,
                            department_id=scope.department.pk if scope.department else None,
                            period=period)[0]
    return {"received": row.received, "answered": row.answered,
            "answered_on_time": row.answered_on_time, "open_overdue": row.open_overdue,
            "substantiated": row.substantiated}


def _grouped(scope: Scope, period: Period, ids: list[int], by: str,
             today: dt.date) -> dict[int, Figures]:
    """Figures per ``region_id`` or ``department_id`` (rows of the roll-up tables)."""
    return {k: f for (k, _other), f in _by_pair(scope, period, ids, today, keys=(by,)).items()}


def _by_pair(scope: Scope, period: Period, ids: list[int], today: dt.date,
             keys: tuple[str, ...] = ("region_id", "department_id")
             ) -> dict[tuple[int, int], Figures]:
    """One pass over the roll-up: figures per (region, department) — or per one of them —
    from which totals, child regions and departments are all summed in Python."""
    out: dict[tuple[int, int], Figures] = defaultdict(Figures)
    by = list(keys)

    def key(row: dict[str, Any]) -> tuple[int, int]:
        return (row[by[0]], row[by[1]] if len(by) > 1 else 0)

    for row in _counter_rows(scope, period, ids, by):
        out[key(row)].add(row)
    for row in _rating_rows(scope, period, ids, by):
        f = out[key(row)]
        f.rated += row["n"] or 0
        if row["level"] in SATISFIED:
            f.satisfied += row["n"] or 0
    for row in (OpenFigures.objects.filter(scope.q(ids)).values(*by, "state", "due")
                .annotate(n=Sum("n"))):
        lv = Live()
        _add_live(lv, row["state"], row["due"], row["n"], today)
        f = out[key(row)]
        f.overdue += lv.overdue
        f.in_progress += lv.in_progress
    return out


def _merge(target: Figures, src: Figures) -> None:
    for k in (*COUNTERS, "overdue", "in_progress", "rated", "satisfied"):
        setattr(target, k, getattr(target, k) + getattr(src, k))


def by_child_region(scope: Scope, period: Period, *, today: dt.date | None = None
                    ) -> list[Figures]:
    """One row per region directly beneath the scope's region (for drilling down)."""
    today = today or clock.today()
    subtree = _subtree(scope.region)
    children = list(Region.objects.filter(parent=scope.region).order_by("code"))
    rows = {c.pk: Figures(key=c.code, label=c.name) for c in children}
    own = Figures(key=scope.region.code, label=_("%(name)s本级") % {"name": scope.region.name})
    for region_id, f in _grouped(scope, period, list(subtree), "region_id", today).items():
        prefix = subtree.get(region_id, "")
        target = next((rows[c.pk] for c in children if prefix.startswith(c.prefix)), own)
        _merge(target, f)
    out = [own, *rows.values()]
    return [f for f in out if f is not own or f.received or f.decided or f.in_progress]


def by_department(scope: Scope, period: Period, *, today: dt.date | None = None
                  ) -> list[Figures]:
    today = today or clock.today()
    ids = list(_subtree(scope.region))
    grouped = _grouped(scope, period, ids, "department_id", today)
    names = dict(Department.objects.filter(pk__in=list(grouped)).values_list("id", "name"))
    rows = []
    for dep_id, f in grouped.items():
        f.key, f.label = dep_id, names.get(dep_id, _("未指定部门"))
        rows.append(f)
    rows.sort(key=lambda f: (-f.decided, -f.received, f.label))
    return rows


def top_overdue_departments(scope: Scope, *, limit: int = 10, today: dt.date | None = None
                            ) -> list[Figures]:
    today = today or clock.today()
    ids = list(_subtree(scope.region))
    counts: dict[int, int] = defaultdict(int)
    for dep_id, n in (OpenFigures.objects.filter(scope.q(ids), state=CaseState.IN_REVIEW,
                                                 due__lt=today)
                      .values("department_id").annotate(n=Sum("n"))
                      .values_list("department_id", "n")):
        counts[dep_id] += n
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:limit]
    names = dict(Department.objects.filter(pk__in=[k for k, _n in top])
                 .values_list("id", "name"))
    return [Figures(key=k, label=names.get(k, _("未指定部门")), overdue=n) for k, n in top]


def monthly_trend(scope: Scope, *, months: int = 12, today: dt.date | None = None
                  ) -> list[Figures]:
    today = today or clock.today()
    first = today.replace(day=1)
    month_list = []
    y, m = first.year, first.month
    for _i in range(months):
        month_list.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    month_list.reverse()
    ids = list(_subtree(scope.region))
    out = {mo: Figures(key=mo.isoformat(), label=f"{mo:%Y-%m}") for mo in month_list}
    for row in (MonthlyFigures.objects.filter(scope.q(ids), month__gte=month_list[0])
                .values("month").annotate(**{k: Sum(k) for k in COUNTERS})):
        if row["month"] in out:
            out[row["month"]].add(dict(row))
    for month, level, n in (MonthlyRatings.objects.filter(scope.q(ids),
                                                          month__gte=month_list[0])
                            .values("month", "level").annotate(n=Sum("n"))
                            .values_list("month", "level", "n")):
        f = out.get(month)
        if f is not None:
            f.rated += n
            f.satisfied += n if level in SATISFIED else 0
    return list(out.values())


def dashboard(scope: Scope, period: Period, *, today: dt.date | None = None,
              trend_end: dt.date | None = None) -> Dashboard:
    """Every block of the dashboard, from one pass over each roll-up table; the monthly trend
    ends with ``trend_end``'s month (default: this month)."""
    today = today or clock.today()
    subtree = _subtree(scope.region)
    ids = list(subtree)
    pairs = _by_pair(scope, period, ids, today)
    t = Figures(key=scope.region.code, label=scope.label)
    lv = live(scope, today=today)
    rated: dict[int, int] = dict.fromkeys(range(1, 6), 0)
    for row in _rating_rows(scope, period, ids, []):
        rated[row["level"]] += row["n"] or 0
    for f in pairs.values():
        _merge(t, f)
    t.overdue, t.in_progress = lv.overdue, lv.in_progress

    # Child regions: each (region, department) pair summed into the child above its region.
    children: list[Figures] = []
    if scope.department is None:
        kids = list(Region.objects.filter(parent=scope.region).order_by("code"))
        rows = {c.pk: Figures(key=c.code, label=c.name) for c in kids}
        own = Figures(key=scope.region.code,
                      label=_("%(name)s本级") % {"name": scope.region.name})
        for (region_id, _dep), f in pairs.items():
            prefix = subtree.get(region_id, "")
            _merge(next((rows[c.pk] for c in kids if prefix.startswith(c.prefix)), own), f)
        children = [f for f in (own, *rows.values())
                    if f is not own or f.received or f.decided or f.in_progress]

    deps: dict[int, Figures] = defaultdict(Figures)
    for (_region, dep_id), f in pairs.items():
        _merge(deps[dep_id], f)
    names = dict(Department.objects.filter(pk__in=list(deps)).values_list("id", "name"))
    departments = []
    for dep_id, f in deps.items():
        f.key, f.label = dep_id, names.get(dep_id, _("未指定部门"))
        departments.append(f)
    departments.sort(key=lambda f: (-f.decided, -f.received, f.label))
    top = sorted((f for f in departments if f.overdue), key=lambda f: -f.overdue)[:10]
    return Dashboard(
        scope=scope, period=period, totals=t, live=lv, ratings=rated,
        alerts=alerts(scope, period), complaints=complaints(scope, period),
        children=children, departments=departments,
        top_overdue=[Figures(key=f.key, label=f.label, overdue=f.overdue) for f in top],
        trend=monthly_trend(scope, today=trend_end or today),
    )


def period_of(start: dt.date | None, end: dt.date | None, *, today: dt.date | None = None
              ) -> Period:
    """The period asked for; by default this year up to today."""
    today = today or clock.today()
    start = start or today.replace(month=1, day=1)
    end = end or today
    if end < start:
        start, end = end, start
    return Period(start, end)
