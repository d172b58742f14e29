"""Keeping the roll-up tables current: incremental, idempotent, bounded per run.

``stats_refresh()`` (job ``stats.refresh``, every few minutes) does three things under a lock on
its state row, each batch in one transaction with the watermark:

1. **Cases whose log moved.** Case events after the watermark name the cases that changed. For
   each, the fact is computed afresh from the case row (:func:`fact_of`), the difference with
   the stored fact is added to the day, month and open counters, and the fact is replaced.
   Doing it twice changes nothing (the difference is then zero). Only events older than
   ``ONEWINDOW_STATS_LAG_SECONDS`` are read, so an event whose transaction commits late (its id
   was taken before a younger, already committed one) is not stepped over.
2. **Ratings.** Days with new evaluations, or with an evaluation whose appeal was decided since
   the last run (an upheld appeal takes a review out of the figures), are recounted whole.
3. **Alerts.** Days with new alerts, or with an alert withdrawn since the last run, are recounted.

``stats_rebuild()`` empties everything and starts again (on PostgreSQL the facts of a million
cases are rebuilt by set-based SQL; elsewhere through the same code as the refresh).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from onewindow.cases.deadlines import days_between
from onewindow.cases.models import Case, CaseEvent, Notice, NoticeKind
from onewindow.cases.workflow import CaseState
from onewindow.core import clock
from onewindow.evaluation.models import Appeal, Evaluation
from onewindow.stats.models import (
    CaseFact,
    DailyAlerts,
    DailyFigures,
    DailyRatings,
    MonthlyFigures,
    MonthlyRatings,
    OpenFigures,
    RollupState,
)
from onewindow.supervision.models import Alert, AlertState
from onewindow.workdays.calendar import CalendarRangeError, WorkCalendar
from onewindow.workdays.selectors import get_calendar

BATCH = 2_000
MAX_EVENTS = 200_000  # case events read per run; the rest waits for the next run
NO_DUE = dt.date(9999, 12, 31)

#: States counted as "open" (not yet decided) in OpenFigures.
OPEN_STATES = (CaseState.SUBMITTED, CaseState.AWAITING_SUPPLEMENT, CaseState.IN_REVIEW,
               CaseState.SUSPENDED, CaseState.DECIDED)
DECIDED_STATES = (CaseState.DECIDED, CaseState.COMPLETED)
COUNTERS = ("received", "accepted", "refused", "decided", "on_time", "on_spot", "timed",
            "legal_days", "used_days")

_CASE_FIELDS = ("id", "region_id", "department_id", "accepted_by_id", "state", "received_on",
                "submitted_at", "accepted_on", "decided_at", "is_instant", "limit_unit",
                "legal_limit_days", "stopped_days", "promised_due")
_FACT_FIELDS = ("region_id", "department_id", "staff_id", "state", "received_on", "accepted_on",
                "refused_on", "decided_on", "on_time", "on_spot", "legal_days", "used_days",
                "promised_due")


def _lag() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "ONEWINDOW_STATS_LAG_SECONDS", 30))


def _local(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value is not None else None


def fact_of(row: dict[str, Any], refused_at: dt.datetime | None, cal: WorkCalendar
            ) -> dict[str, Any]:
    """The statistical fact of one case row (values of ``_CASE_FIELDS``)."""
    state = row["state"]
    decided_on = _local(row["decided_at"]) if state in DECIDED_STATES else None
    on_spot = bool(decided_on and row["is_instant"])
    on_time = used = None
    if decided_on is not None:
        due = row["promised_due"]
        on_time = True if on_spot or due is None else decided_on <= due
        if on_spot:
            used = 0
        elif row["accepted_on"] is not None:
            try:
                used = max(0, days_between(cal, row["accepted_on"], decided_on, row["limit_unit"])
                           - row["stopped_days"])
            except CalendarRangeError:
                used = None
    received = row["received_on"] or _local(row["submitted_at"])
    return {
        "region_id": row["region_id"], "department_id": row["department_id"] or 0,
        "staff_id": row["accepted_by_id"] or 0, "state": state,
        "received_on": received if row["submitted_at"] is not None else None,
        "accepted_on": row["accepted_on"],
        "refused_on": _local(refused_at) if state == CaseState.REFUSED else None,
        "decided_on": decided_on, "on_time": on_time, "on_spot": on_spot,
        "legal_days": row["legal_limit_days"], "used_days": used,
        "promised_due": row["promised_due"],
    }


def _month(d: dt.date) -> dt.date:
    return d.replace(day=1)


class _Deltas:
    """Counter changes collected over a batch, applied in one go."""

    def __init__(self) -> None:
        self.daily: dict[tuple[dt.date, int, int], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(COUNTERS, 0))
        self.open: dict[tuple[int, int, str, dt.date], int] = defaultdict(int)

    def add(self, f: dict[str, Any] | None, sign: int) -> None:
        if f is None:
            return
        r, d = f["region_id"], f["department_id"]
        if f["received_on"]:
            self.daily[(f["received_on"], r, d)]["received"] += sign
        if f["accepted_on"]:
            self.daily[(f["accepted_on"], r, d)]["accepted"] += sign
        if f["refused_on"]:
            self.daily[(f["refused_on"], r, d)]["refused"] += sign
        if f["decided_on"]:
            c = self.daily[(f["decided_on"], r, d)]
            c["decided"] += sign
            c["on_time"] += sign * bool(f["on_time"])
            c["on_spot"] += sign * bool(f["on_spot"])
            if f["used_days"] is not None:
                c["timed"] += sign
                c["legal_days"] += sign * f["legal_days"]
                c["used_days"] += sign * f["used_days"]
        if f["state"] in OPEN_STATES:
            self.open[(r, d, f["state"], f["promised_due"] or NO_DUE)] += sign

    def apply(self) -> None:
        monthly: dict[tuple[dt.date, int, int], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(COUNTERS, 0))
        for (day, r, d), c in self.daily.items():
            m = monthly[(_month(day), r, d)]
            for k, v in c.items():
                m[k] += v
        _apply_counters(DailyFigures, "day", self.daily)
        _apply_counters(MonthlyFigures, "month", monthly)
        _apply_open(self.open)


def _apply_counters(model: Any, key: str,
                    deltas: dict[tuple[dt.date, int, int], dict[str, int]]) -> None:
    changes = {k: v for k, v in deltas.items() if any(v.values())}
    if not changes:
        return
    existing = {
        (getattr(o, key), o.region_id, o.department_id): o
        for o in model.objects.select_for_update().filter(
            **{f"{key}__in": {k[0] for k in changes}},
            region_id__in={k[1] for k in changes},
        )
    }
    new, changed = [], []
    for k, delta in changes.items():
        row = existing.get(k)
        if row is None:
            row = model(**{key: k[0]}, region_id=k[1], department_id=k[2])
            new.append(row)
        else:
            changed.append(row)
        for field, v in delta.items():
            setattr(row, field, getattr(row, field) + v)
    if changed:
        model.objects.bulk_update(changed, list(COUNTERS), batch_size=1000)
    if new:
        model.objects.bulk_create(new, batch_size=1000)


def _apply_open(deltas: dict[tuple[int, int, str, dt.date], int]) -> None:
    changes = {k: v for k, v in deltas.items() if v}
    if not changes:
        return
    existing = {
        (o.region_id, o.department_id, o.state, o.due): o
        for o in OpenFigures.objects.select_for_update().filter(
            region_id__in={k[0] for k in changes}, due__in={k[3] for k in changes},
        )
    }
    new: list[OpenFigures] = []
    changed: list[OpenFigures] = []
    empty: list[OpenFigures] = []
    for k, v in changes.items():
        row = existing.get(k)
        if row is None:
            new.append(OpenFigures(region_id=k[0], department_id=k[1], state=k[2], due=k[3], n=v))
            continue
        row.n += v
        (empty if row.n == 0 else changed).append(row)
    if changed:
        OpenFigures.objects.bulk_update(changed, ["n"], batch_size=1000)
    if empty:
        OpenFigures.objects.filter(pk__in=[o.pk for o in empty]).delete()
    if new:
        OpenFigures.objects.bulk_create(new, batch_size=1000)


def refresh_cases(case_ids: Iterable[int], cal: WorkCalendar | None = None) -> int:
    """Bring the facts and counters of these cases up to date (call inside a transaction)."""
    ids = list(set(case_ids))
    if not ids:
        return 0
    cal = cal or get_calendar()
    rows = {r["id"]: r for r in Case.objects.filter(pk__in=ids).values(*_CASE_FIELDS)}
    refused = dict(
        Notice.objects.filter(case_id__in=[i for i, r in rows.items()
                                           if r["state"] == CaseState.REFUSED],
                              kind=NoticeKind.REFUSAL)
        .values_list("case_id", "issued_at")
    )
    old = {f["case_id"]: f for f in CaseFact.objects.select_for_update()
           .filter(case_id__in=ids).values("case_id", *_FACT_FIELDS)}
    deltas = _Deltas()
    upsert: list[CaseFact] = []
    for case_id in ids:
        row = rows.get(case_id)
        before = old.get(case_id)
        if before is not None:
            before = {k: before[k] for k in _FACT_FIELDS}
        after = fact_of(row, refused.get(case_id), cal) if row is not None else None
        if after == before:
            continue
        deltas.add(before, -1)
        deltas.add(after, +1)
        if after is not None:
            upsert.append(CaseFact(case_id=case_id, **after))
    deltas.apply()
    if upsert:
        CaseFact.objects.bulk_create(
            upsert, update_conflicts=True, unique_fields=["case"],
            update_fields=list(_FACT_FIELDS), batch_size=1000,
        )
    return len(upsert)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def recount_rating_days(days: Iterable[dt.date]) -> None:
    days = sorted(set(days))
    for day in days:
        start, end = _day_bounds(day)
        DailyRatings.objects.filter(day=day).delete()
        DailyRatings.objects.bulk_create([
            DailyRatings(day=day, region_id=r["region_id"], department_id=r["department_id"] or 0,
                         level=r["level"], n=r["n"])
            for r in Evaluation.objects.filter(created_at__gte=start, created_at__lt=end,
                                               excluded=False)
            .values("region_id", "department_id", "level").annotate(n=Count("id"))
        ])
    # The months of those days, summed again from their day rows.
    for month in sorted({_month(d) for d in days}):
        MonthlyRatings.objects.filter(month=month).delete()
        nxt = (month + dt.timedelta(days=32)).replace(day=1)
        MonthlyRatings.objects.bulk_create([
            MonthlyRatings(month=month, region_id=r["region_id"],
                           department_id=r["department_id"], level=r["level"], n=r["n"])
            for r in DailyRatings.objects.filter(day__gte=month, day__lt=nxt)
            .values("region_id", "department_id", "level").annotate(n=Sum("n"))
        ])


def recount_alert_days(days: Iterable[dt.date]) -> None:
    for day in sorted(set(days)):
        start, end = _day_bounds(day)
        DailyAlerts.objects.filter(day=day).delete()
        DailyAlerts.objects.bulk_create([
            DailyAlerts(day=day, region_id=r["region_id"], department_id=r["department_id"] or 0,
                        kind=r["kind"], n=r["n"])
            for r in Alert.objects.filter(raised_at__gte=start, raised_at__lt=end)
            .exclude(state=AlertState.WITHDRAWN)
            .values("region_id", "department_id", "kind").annotate(n=Count("id"))
        ])


@dataclass
class RefreshResult:
    cases: int = 0
    rating_days: int = 0
    alert_days: int = 0
    ms: int = 0
    more: bool = False  # events were left for the next run


def stats_refresh(*, max_events: int = MAX_EVENTS, lag: dt.timedelta | None = None
                  ) -> RefreshResult:
    """Bring the roll-up tables up to date (idempotent; one runner at a time)."""
    started = time.perf_counter()
    result = RefreshResult()
    now = clock.now()
    horizon = now - (_lag() if lag is None else lag)
    with transaction.atomic():
        state, _created = RollupState.objects.select_for_update().get_or_create(pk=1)
        since = (state.last_run_at or now) - (_lag() if lag is None else lag) - dt.timedelta(
            minutes=5)
        cal = get_calendar()
        read = 0
        while read < max_events:
            events = list(
                CaseEvent.objects.filter(id__gt=state.last_event_id, created_at__lt=horizon)
                .order_by("id").values_list("id", "case_id")[:BATCH * 5]
            )
            if not events:
                break
            read += len(events)
            case_ids = {c for _i, c in events}
            for i in range(0, len(case_ids), BATCH):
                result.cases += refresh_cases(list(case_ids)[i:i + BATCH], cal)
            state.last_event_id = events[-1][0]
        else:
            result.more = True

        new_evals = Evaluation.objects.filter(id__gt=state.last_evaluation_id,
                                              created_at__lt=horizon)
        rating_days = {_local(t) for t in new_evals.values_list("created_at", flat=True)}
        top = new_evals.aggregate(m=Max("id"))["m"]
        rating_days |= {
            _local(t) for t in Appeal.objects.filter(decided_at__gte=since)
            .values_list("evaluation__created_at", flat=True)
        }
        rating_days.discard(None)
        recount_rating_days(rating_days)  # type: ignore[arg-type]
        result.rating_days = len(rating_days)
        if top:
            state.last_evaluation_id = top

        new_alerts = Alert.objects.filter(id__gt=state.last_alert_id, raised_at__lt=horizon)
        alert_days = {_local(t) for t in new_alerts.values_list("raised_at", flat=True)}
        top = new_alerts.aggregate(m=Max("id"))["m"]
        alert_days |= {
            _local(t) for t in Alert.objects.filter(state=AlertState.WITHDRAWN,
                                                    closed_at__gte=since)
            .values_list("raised_at", flat=True)
        }
        alert_days.discard(None)
        recount_alert_days(alert_days)  # type: ignore[arg-type]
        result.alert_days = len(alert_days)
        if top:
            state.last_alert_id = top

        result.ms = int((time.perf_counter() - started) * 1000)
        state.last_run_at, state.last_run_ms, state.last_cases = now, result.ms, result.cases
        state.save()
    return result


def stats_verify() -> list[str]:
    """Compare the roll-up with direct counts over the cases, per region and department:
    received, accepted, decided and the open cases per state. Returns the differences found
    (empty when the dashboards are right). Reads every case: an operator's check, not a job."""

    problems: list[str] = []
    direct: dict[tuple[int, int, str], int] = defaultdict(int)
    cases = Case.objects.all()
    for key, q in (("received", {"submitted_at__isnull": False}),
                   ("accepted", {"accepted_on__isnull": False}),
                   ("decided", {"state__in": DECIDED_STATES, "decided_at__isnull": False})):
        for r, d, n in (cases.filter(**q).values("region_id", "department_id")
                        .annotate(n=Count("id")).values_list("region_id", "department_id", "n")):
            direct[(r, d or 0, key)] += n
    for r, d, st, n in (cases.filter(state__in=OPEN_STATES)
                        .values("region_id", "department_id", "state").annotate(n=Count("id"))
                        .values_list("region_id", "department_id", "state", "n")):
        direct[(r, d or 0, f"open:{st}")] += n
    rolled: dict[tuple[int, int, str], int] = defaultdict(int)
    for row in (DailyFigures.objects.values("region_id", "department_id")
                .annotate(received=Sum("received"), accepted=Sum("accepted"),
                          decided=Sum("decided"))):
        for counter in ("received", "accepted", "decided"):
            rolled[(row["region_id"], row["department_id"], counter)] += row[counter] or 0
    for r, d, st, n in (OpenFigures.objects.values("region_id", "department_id", "state")
                        .annotate(n=Sum("n"))
                        .values_list("region_id", "department_id", "state", "n")):
        rolled[(r, d, f"open:{st}")] += n
    for k in sorted(set(direct) | set(rolled)):
        if direct.get(k, 0) != rolled.get(k, 0):
            problems.append(f"区划 {k[0]} 部门 {k[1]} {k[2]}：办件 {direct.get(k, 0)}，"
                            f"统计 {rolled.get(k, 0)}")
    return problems


_REBUILD_FACTS_SQL = """
INSERT INTO stats_casefact (case_id, region_id, department_id, staff_id, state, received_on,
    accepted_on, refused_on, decided_on, on_time, on_spot, legal_days, used_days, promised_due)
SELECT c.id, c.region_id, COALESCE(c.department_id, 0), COALESCE(c.accepted_by_id, 0), c.state,
    CASE WHEN c.submitted_at IS NULL THEN NULL
         ELSE COALESCE(c.received_on, (c.submitted_at AT TIME ZONE %(tz)s)::date) END,
    c.accepted_on,
    CASE WHEN c.state = 'refused' THEN (
        SELECT (n.issued_at AT TIME ZONE %(tz)s)::date FROM cases_notice n
        WHERE n.case_id = c.id AND n.kind = %(refusal)s ORDER BY n.id LIMIT 1) END,
    d.decided_on,
    CASE WHEN d.decided_on IS NULL THEN NULL
         WHEN c.is_instant OR c.promised_due IS NULL THEN TRUE
         ELSE d.decided_on <= c.promised_due END,
    COALESCE(c.is_instant AND d.decided_on IS NOT NULL, FALSE),
    c.legal_limit_days,
    CASE WHEN d.decided_on IS NULL THEN NULL
         WHEN c.is_instant THEN 0
         WHEN c.accepted_on IS NULL THEN NULL
         WHEN c.limit_unit = 'natural_day' THEN
              GREATEST(0, (d.decided_on - c.accepted_on) - c.stopped_days)
         WHEN wa.n IS NULL OR wd.n IS NULL THEN NULL
         ELSE GREATEST(0, (wd.n - wa.n) - c.stopped_days) END,
    c.promised_due
FROM cases_case c
CROSS JOIN LATERAL (SELECT CASE WHEN c.state IN ('decided', 'completed')
                           THEN (c.decided_at AT TIME ZONE %(tz)s)::date END AS decided_on) d
LEFT JOIN stats_workday wa ON wa.day = c.accepted_on
LEFT JOIN stats_workday wd ON wd.day = d.decided_on
"""

_REBUILD_COUNTERS_SQL = """
INSERT INTO {table} ({key}, region_id, department_id, received, accepted, refused, decided,
    on_time, on_spot, timed, legal_days, used_days)
SELECT k, region_id, department_id, SUM(received), SUM(accepted), SUM(refused), SUM(decided),
    SUM(on_time), SUM(on_spot), SUM(timed), SUM(legal_days), SUM(used_days)
FROM (
    SELECT {received} AS k, region_id, department_id, 1 AS received, 0 AS accepted,
        0 AS refused, 0 AS decided, 0 AS on_time, 0 AS on_spot, 0 AS timed, 0 AS legal_days,
        0 AS used_days FROM stats_casefact WHERE received_on IS NOT NULL
    UNION ALL
    SELECT {accepted}, region_id, department_id, 0, 1, 0, 0, 0, 0, 0, 0, 0
    FROM stats_casefact WHERE accepted_on IS NOT NULL
    UNION ALL
    SELECT {refused}, region_id, department_id, 0, 0, 1, 0, 0, 0, 0, 0, 0
    FROM stats_casefact WHERE refused_on IS NOT NULL
    UNION ALL
    SELECT {decided}, region_id, department_id, 0, 0, 0, 1, on_time::int,
        on_spot::int, (used_days IS NOT NULL)::int,
        CASE WHEN used_days IS NULL THEN 0 ELSE legal_days END, COALESCE(used_days, 0)
    FROM stats_casefact WHERE decided_on IS NOT NULL
) x GROUP BY k, region_id, department_id
"""


def _workday_table(cal: WorkCalendar, first: dt.date, last: dt.date) -> None:
    """A temporary table of every date with its count of working days since ``first``."""
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS stats_workday "
                    "(day date PRIMARY KEY, n integer) ON COMMIT DROP")
        cur.execute("TRUNCATE stats_workday")
        rows, n, d = [], 0, first
        while d <= last:
            if cal.is_workday(d):
                n += 1
            rows.append((d, n))
            d += dt.timedelta(days=1)
        cur.executemany("INSERT INTO stats_workday VALUES (%s, %s)", rows)


def stats_rebuild() -> RefreshResult:
    """Empty the roll-up tables and compute them again from the cases."""
    started = time.perf_counter()
    cal = get_calendar()
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(pk=1)
        top_event = CaseEvent.objects.aggregate(m=Max("id"))["m"] or 0
        for model in (CaseFact, DailyFigures, MonthlyFigures, OpenFigures, DailyRatings,
                      MonthlyRatings,
                      DailyAlerts):
            model.objects.all().delete()
        if connection.vendor == "postgresql":
            _rebuild_pg(cal)
            result = RefreshResult(cases=CaseFact.objects.count())
        else:
            result = RefreshResult()
            ids = list(Case.objects.values_list("id", flat=True))
            for i in range(0, len(ids), BATCH):
                result.cases += refresh_cases(ids[i:i + BATCH], cal)
        state.last_event_id = top_event
        state.last_evaluation_id = Evaluation.objects.aggregate(m=Max("id"))["m"] or 0
        state.last_alert_id = Alert.objects.aggregate(m=Max("id"))["m"] or 0
        recount_rating_days(
            {t.date() for t in Evaluation.objects.datetimes("created_at", "day")})
        recount_alert_days({t.date() for t in Alert.objects.datetimes("raised_at", "day")})
        state.last_run_at = clock.now()
        result.ms = int((time.perf_counter() - started) * 1000)
        state.last_run_ms, state.last_cases = result.ms, result.cases
        state.save()
    return result


def _rebuild_pg(cal: WorkCalendar) -> None:
    _workday_table(cal, dt.date(cal.first_year, 1, 1), dt.date(cal.last_year, 12, 31))
    tz = timezone.get_current_timezone_name()
    with connection.cursor() as cur:
        cur.execute(_REBUILD_FACTS_SQL, {"tz": tz, "refusal": NoticeKind.REFUSAL.value})
        for table, key, fmt in (("stats_dailyfigures", "day", "{}"),
                                ("stats_monthlyfigures", "month",
                                 "date_trunc('month', {})::date")):
            cols = {c: fmt.format(f"{c}_on") for c in ("received", "accepted", "refused",
                                                       "decided")}
            cur.execute(_REBUILD_COUNTERS_SQL.format(table=table, key=key, **cols))
        cur.execute(
            "INSERT INTO stats_openfigures (region_id, department_id, state, due, n) "
            "SELECT region_id, department_id, state, COALESCE(promised_due, %s), COUNT(*) "
            "FROM stats_casefact WHERE state = ANY(%s) GROUP BY 1, 2, 3, 4",
            [NO_DUE, [s.value for s in OPEN_STATES]],
        )


__all__ = ["RefreshResult", "fact_of", "refresh_cases", "stats_rebuild", "stats_refresh"]
