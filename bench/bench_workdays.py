"""Benchmark of the working-day calendar (工作日历): deadline computations per second.

    .venv/bin/python bench/bench_workdays.py [--n 200000] [--seed 1]

The pure calendar needs no database. The selector figures (the path the apps use: one cache
version check per call) need a migrated database; without one they are skipped, e.g.
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/onewindow_bench`` after ``migrate``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings")
os.environ.setdefault("ONEWINDOW_TESTING", "1")

SH = ZoneInfo("Asia/Shanghai")
FIRST = dt.date(2004, 1, 1).toordinal()
LAST = dt.date(2030, 12, 31).toordinal()


def rate(label: str, count: int, fn: Callable[[], None]) -> float:
    fn()  # warm up
    begin = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - begin
    per_second = count / elapsed
    print(f"{label:<48} {per_second:>12,.0f} /s   ({elapsed * 1e6 / count:.2f} µs each)")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000, help="computations per measurement")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    n = args.n

    from onewindow.workdays.calendar import DEFAULT_OFFICE_HOURS, build_calendar

    begin = time.perf_counter()
    cal = build_calendar()
    print(f"build calendar 2004–2099 (package + provisional): {time.perf_counter() - begin:.3f} s")

    starts = [dt.date.fromordinal(rng.randint(FIRST, LAST)) for _ in range(n)]
    steps = [rng.randint(0, 60) for _ in range(n)]
    ends = [dt.date.fromordinal(rng.randint(FIRST, LAST)) for _ in range(n)]
    moments = [
        dt.datetime.combine(s, dt.time(rng.randint(0, 23), rng.randint(0, 59)), tzinfo=SH)
        for s in starts
    ]
    hours = [rng.randint(0, 160) / 4 for _ in range(n)]
    pairs = list(zip(starts, steps, strict=True))

    def run_add() -> None:
        add = cal.add_workdays
        for s, k in pairs:
            add(s, k)

    def run_between() -> None:
        between = cal.workdays_between
        for a, b in zip(starts, ends, strict=True):
            between(a, b)

    def run_hours() -> None:
        add_hours = cal.add_work_hours
        for m, h in zip(moments, hours, strict=True):
            add_hours(m, h, DEFAULT_OFFICE_HOURS, SH)

    print(f"random starts 2004–2030, n 0–60 working days, hours 0–40; {n:,} calls each")
    rate("WorkCalendar.add_workdays", n, run_add)
    rate("WorkCalendar.workdays_between", n, run_between)
    rate("WorkCalendar.add_work_hours", n, run_hours)

    import django

    django.setup()
    from django.conf import settings
    from django.db import DatabaseError

    from onewindow.workdays import selectors

    try:
        selectors.get_calendar()
    except DatabaseError as exc:
        print(f"selectors.* skipped: no migrated database ({type(exc).__name__})")
        return
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]

    def run_selector_add() -> None:
        add = selectors.add_workdays
        for s, k in pairs:
            add(s, k)

    def run_build() -> None:
        for _ in range(20):
            selectors.build_calendar_from_db()

    print(f"selectors (database {engine}, cache {cache_backend}):")
    rate("selectors.add_workdays (token check <= 1/s)", n, run_selector_add)
    settings.ONEWINDOW_WORKDAYS_VERSION_CHECK_SECONDS = 0
    selectors.clear_calendar_cache()
    rate("selectors.add_workdays (token check every call)", n, run_selector_add)
    rate("selectors.build_calendar_from_db", 20, run_build)


if __name__ == "__main__":
    main()
