"""Periodic jobs of the statistics roll-up."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="stats.refresh")
def refresh() -> dict[str, Any]:
    """Bring the dashboards' roll-up tables up to date (incremental, idempotent)."""
    from onewindow.stats.rollup import stats_refresh

    r = stats_refresh()
    return {"cases": r.cases, "rating_days": r.rating_days, "alert_days": r.alert_days,
            "ms": r.ms, "more": r.more}
