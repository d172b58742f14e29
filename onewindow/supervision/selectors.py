"""Reads of electronic supervision: alerts and notices in the user's scope, counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.supervision.models import Alert, AlertState, NoticeState, SupervisionNotice


def alert_scope_q(user: Any) -> Q:
    """Supervisors see every alert of their region subtree; a department's reviewers and head
    see their department's."""
    return access.scope_q(user, Perm.SUPERVISE, department_field=None) | access.scope_q(
        user, Perm.CASE_REVIEW, department_field="department"
    )


def alerts_for(user: Any, *, state: str = AlertState.OPEN, kind: str = "",
               department_id: int | None = None, after: int | None = None,
               limit: int = 50) -> tuple[list[Alert], int | None]:
    """Alerts newest first, key-set paged by id (``after`` = last id of the previous page)."""
    qs: QuerySet[Alert] = Alert.objects.filter(alert_scope_q(user))
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if department_id:
        qs = qs.filter(department_id=department_id)
    if after:
        qs = qs.filter(id__lt=after)
    rows = list(
        qs.select_related("case", "department", "task").order_by("-id")[: limit + 1]
    )
    more = rows[limit].pk if len(rows) > limit else None
    rows = rows[:limit]
    return rows, (rows[-1].pk if more and rows else None)


def alert_counts(user: Any, *, since: dt.date | None = None) -> dict[str, int]:
    qs = Alert.objects.filter(alert_scope_q(user))
    if since:
        qs = qs.filter(raised_at__date__gte=since)
    rows = qs.values("kind").annotate(n=Count("id"), open=Count("id", filter=Q(state="open")))
    out: dict[str, int] = {}
    for r in rows:
        out[r["kind"]] = r["n"]
        out[f"{r['kind']}_open"] = r["open"]
    return out


def notices_for(user: Any, *, open_only: bool = False) -> list[SupervisionNotice]:
    qs = SupervisionNotice.objects.filter(alert_scope_q(user))
    if open_only:
        qs = qs.filter(state=NoticeState.OPEN)
    return list(qs.select_related("case", "department", "issued_by").order_by("-issued_at")[:200])


def notice_in_scope(user: Any, pk: int) -> SupervisionNotice | None:
    return SupervisionNotice.objects.filter(alert_scope_q(user), pk=pk).first()
