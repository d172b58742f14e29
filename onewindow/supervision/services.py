"""Electronic supervision: the scan that raises alerts, withdrawing them, supervision notices.

The scan (:func:`supervision_scan`, a periodic job) reads only what changed since the last run:

- **Due-date windows.** A case (or step) gets a reminder when its working days left fall to the
  rule's ``reminder_days``, a yellow card at ``yellow_days`` and a red card once overdue. Those
  are due-date thresholds: ``due ≤ add_workdays(today, d)`` and ``due < today``. The last run's
  thresholds are kept in :class:`~onewindow.supervision.models.ScanState`, so a run reads the
  due dates between the last threshold and today's — a range read on the partial indexes of
  open cases and active steps — not every open case.
- **Changes.** Cases with log events after the last run's watermark are looked at again: a
  clock stop, an extension or a decision moves their due date or ends them (their open alerts
  are then closed), and their decisions are checked for irregularities.

Raising is idempotent: an alert's ``key`` is unique per (kind, case, step), rows already there
are skipped, and the scan runs under a lock on its state row, so two workers never both raise.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Role, RoleAssignment
from onewindow.cases.models import Case, CaseEvent, CaseHop, HopKind, Task
from onewindow.cases.workflow import Action, CaseState, TaskState
from onewindow.core import clock
from onewindow.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from onewindow.notifications.models import Channel as NoteChannel
from onewindow.notifications.services import Message, notifications_enqueue
from onewindow.supervision.models import (
    LEVELS,
    Alert,
    AlertKind,
    AlertRule,
    AlertState,
    NoticeState,
    ScanState,
    SupervisionNotice,
)
from onewindow.workdays.selectors import add_workdays

DEFAULT_REMINDER_DAYS = 3
DEFAULT_YELLOW_DAYS = 1
NOTICE_REPLY_DAYS = 3
OPEN_CASE = CaseState.IN_REVIEW  # the clock runs only while in review


# --- rules ---------------------------------------------------------------------------------------


@dataclass
class Rules:
    """The active rules, most specific first: a case takes the deepest region's rule, an
    item-type rule before an all-types rule."""

    rows: list[tuple[str, str, int, int]] = field(default_factory=list)  # prefix, type, rem, y

    @classmethod
    def load(cls) -> Rules:
        rows = [
            (r.region.prefix, r.item_type, r.reminder_days, r.yellow_days)
            for r in AlertRule.objects.filter(is_active=True).select_related("region")
        ]
        rows.sort(key=lambda r: (len(r[0]), bool(r[1])), reverse=True)
        return cls(rows)

    def days(self, region_prefix: str, item_type: str) -> tuple[int, int]:
        for prefix, typ, rem, yellow in self.rows:
            if region_prefix.startswith(prefix) and (not typ or typ == item_type):
                return rem, yellow
        return DEFAULT_REMINDER_DAYS, DEFAULT_YELLOW_DAYS

    def values(self, kind: str) -> set[int]:
        out = {DEFAULT_REMINDER_DAYS if kind == "reminder" else DEFAULT_YELLOW_DAYS}
        for _p, _t, rem, yellow in self.rows:
            out.add(rem if kind == "reminder" else yellow)
        return out


# --- the scan ------------------------------------------------------------------------------------


@dataclass
class ScanResult:
    raised: dict[str, int] = field(default_factory=dict)
    closed: int = 0
    candidates: int = 0
    changed_cases: int = 0
    ms: int = 0

    @property
    def total(self) -> int:
        return sum(self.raised.values())


@dataclass
class _Hit:
    kind: str
    case: Any
    task: Any = None
    due: dt.date | None = None
    detail: str = ""
    ref: int = 0  # tells apart several alerts of one kind on one case without a task (hops)


CASE_FIELDS = ("id", "case_no", "state", "region_id", "department_id", "promised_due",
               "legal_due", "decided_at", "accepted_on", "created_at", "refusal_reason",
               "item_id", "region__prefix", "item__basic__item_type")


def _cases(q: Q) -> list[Case]:
    return list(
        Case.objects.filter(q).select_related("region", "item__basic")
        .only(*CASE_FIELDS)
    )


TASK_FIELDS = ("id", "due", "state", "name", "department_id", "case__id", "case__case_no",
               "case__state", "case__region_id", "case__department_id", "case__item_id",
               "case__region__prefix", "case__item__basic__item_type")


def _tasks(q: Q) -> list[Task]:
    return list(_tasks_qs(q))


def _tasks_qs(q: Q) -> QuerySet[Task]:
    return Task.objects.filter(q).select_related("case__region", "case__item__basic") \
        .only(*TASK_FIELDS)


def _tasks_iter(q: Q) -> Iterable[Task]:
    return _tasks_qs(q).iterator(chunk_size=BATCH)


def _cases_iter(q: Q) -> Iterable[Case]:
    return Case.objects.filter(q).select_related("region", "item__basic") \
        .only(*CASE_FIELDS).iterator(chunk_size=BATCH)


def _rule_days(rules: Rules, case: Case) -> tuple[int, int]:
    item_type = getattr(getattr(case.item, "basic", None), "item_type", "") or ""
    return rules.days(case.region.prefix, item_type)


def _due_hits(rules: Rules, case: Case, due: dt.date | None, today: dt.date,
              task: Task | None = None) -> list[_Hit]:
    """The due-date alerts ``case`` (or its step ``task``) deserves today."""
    if due is None:
        return []
    rem, yellow = _rule_days(rules, case)
    hits = []
    if due < today:
        hits.append(_Hit(AlertKind.RED, case, task, due))
    if due <= add_workdays(today, yellow).date:
        hits.append(_Hit(AlertKind.YELLOW, case, task, due))
    if due <= add_workdays(today, rem).date:
        hits.append(_Hit(AlertKind.REMINDER, case, task, due))
    return hits


def _irregularities(case: Case, events: list[CaseEvent], tasks_by_case: dict[int, list[Task]]
                    ) -> list[_Hit]:
    hits = []
    for e in events:
        if e.action == Action.REFUSE and not (case.refusal_reason or e.data.get("reason")):
            hits.append(_Hit(AlertKind.REFUSED_WITHOUT_REASON, case,
                             detail=_("不予受理决定未载明理由。")))
        if e.action in (Action.APPROVE, Action.DENY, Action.DECIDE_ON_SPOT):
            day = timezone.localdate(e.created_at)
            if case.legal_due and day > case.legal_due:
                hits.append(_Hit(AlertKind.DECIDED_LATE, case, due=case.legal_due,
                                 detail=_("决定日期 %(d)s 晚于法定办结日期 %(l)s。")
                                 % {"d": day, "l": case.legal_due}))
            skipped = [t.name for t in tasks_by_case.get(case.pk, [])
                       if t.state in (TaskState.PENDING, TaskState.ACTIVE)
                       and e.action != Action.DECIDE_ON_SPOT]
            if skipped and e.action in (Action.APPROVE, Action.DENY):
                hits.append(_Hit(AlertKind.MISSING_STEPS, case,
                                 detail=_("未完成的环节：%(s)s。") % {"s": "、".join(skipped)}))
        if e.action in (Action.ACCEPT, Action.ACCEPT_TOLERANT) and case.accepted_on and \
                case.accepted_on < timezone.localdate(case.created_at):
            hits.append(_Hit(AlertKind.BACKDATED, case,
                             detail=_("受理日期 %(a)s 早于录入日期 %(c)s。")
                             % {"a": case.accepted_on, "c": timezone.localdate(case.created_at)}))
    return hits


MAX_EVENTS = 50_000  # case-log events looked at per run; the next run continues from there
BATCH = 2_000  # rows read (and alerts written) at a time


def _chunks(ids: list[int], size: int = BATCH) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def supervision_scan(*, max_events: int = MAX_EVENTS) -> ScanResult:
    """Raise the alerts due since the last run; close those of finished cases. Idempotent.

    The very first run (no scan state yet) catches up on every open case already inside a
    window, starts the case-log watermark at the log's end (history is not re-judged) and
    sends no messages for that catch-up: the cards are there for supervisors to read.
    """
    started = time.perf_counter()
    result = ScanResult()
    with transaction.atomic():
        state, first_run = ScanState.objects.select_for_update().get_or_create(pk=1)
        if first_run:
            state.last_event_id = (
                CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            )
        today = clock.today()
        rules = Rules.load()
        pending: list[_Hit] = []
        notify = not first_run

        def flush(force: bool = False) -> None:
            if pending and (force or len(pending) >= BATCH):
                for kind, n in _raise(pending, notify=notify).items():
                    result.raised[kind] = result.raised.get(kind, 0) + n
                pending.clear()

        # 1. Cases whose log moved since the last run: look at them again (bounded per run).
        events = list(
            CaseEvent.objects.filter(id__gt=state.last_event_id)
            .only("id", "case_id", "action", "data", "created_at").order_by("id")[:max_events]
        )
        seen_cases: set[int] = set()
        seen_tasks: set[int] = set()
        by_case: dict[int, list[CaseEvent]] = {}
        for e in events:
            by_case.setdefault(e.case_id, []).append(e)
        result.changed_cases = len(by_case)
        for ids in _chunks(list(by_case)):
            tasks_by_case: dict[int, list[Task]] = {}
            for t in _tasks(Q(case_id__in=ids)):
                tasks_by_case.setdefault(t.case.pk, []).append(t)
            finished = []
            for case in _cases(Q(pk__in=ids)):
                pending.extend(_irregularities(case, by_case.get(case.pk, []), tasks_by_case))
                if case.state != OPEN_CASE:
                    finished.append(case.pk)
                    continue
                seen_cases.add(case.pk)
                pending.extend(_due_hits(rules, case, case.promised_due, today))
                for t in tasks_by_case.get(case.pk, []):
                    if t.state == TaskState.ACTIVE:
                        seen_tasks.add(t.pk)
                        pending.extend(_due_hits(rules, t.case, t.due, today, task=t))
            if finished:
                result.closed += Alert.objects.filter(
                    case_id__in=finished, state=AlertState.OPEN,
                    kind__in=(AlertKind.REMINDER, AlertKind.YELLOW, AlertKind.RED),
                ).update(state=AlertState.CLOSED, closed_at=clock.now())
            flush()
        if events:
            state.last_event_id = events[-1].id

        # 2. Due dates that crossed a threshold since the last run (cases, then steps), read
        #    as ranges on the partial indexes of open cases and active steps, streamed.
        marks: dict[str, dt.date] = {}
        windows: list[tuple[Q, Q]] = []
        red_from = state.red_through
        windows.append((
            Q(promised_due__lt=today) & (Q(promised_due__gte=red_from) if red_from else Q()),
            Q(due__lt=today) & (Q(due__gte=red_from) if red_from else Q()),
        ))
        for kind, through in (("yellow", state.yellow_through),
                              ("reminder", state.reminder_through)):
            for d in sorted(rules.values(kind)):
                upto = add_workdays(today, d).date
                windows.append((
                    Q(promised_due__lte=upto) & (Q(promised_due__gt=through) if through else Q()),
                    Q(due__lte=upto) & (Q(due__gt=through) if through else Q()),
                ))
                marks[kind] = max(marks.get(kind, upto), upto)
        for case_q, task_q in windows:
            for case in _cases_iter(Q(state=OPEN_CASE) & case_q):
                if case.pk not in seen_cases:
                    seen_cases.add(case.pk)
                    pending.extend(_due_hits(rules, case, case.promised_due, today))
                    flush()
            for task in _tasks_iter(Q(state=TaskState.ACTIVE, case__state=OPEN_CASE) & task_q):
                if task.pk not in seen_tasks:
                    seen_tasks.add(task.pk)
                    pending.extend(_due_hits(rules, task.case, task.due, today, task=task))
                    flush()
        # 3. 四级联动: files forwarded up or results sent down and not received in time
        #    (late forwarding of a preliminary review is an irregularity of its own).
        late_hops = list(CaseHop.objects.filter(received_at__isnull=True, due__lt=today)
                         .values_list("case_id", "seq", "kind", "due", "to_region__name")
                         .order_by("due", "id")[:max_events])
        hop_cases = {c.pk: c for c in _cases(Q(pk__in={h[0] for h in late_hops}))}
        for case_id, seq, kind, due, to_name in late_hops:
            if case_id in hop_cases:
                pending.append(_Hit(kind=AlertKind.HOP_LATE, case=hop_cases[case_id], due=due,
                                    ref=seq, detail=f"{HopKind(kind).label}未在 {due} 前由"
                                                    f"{to_name}接收"))
                flush()
        flush(force=True)
        result.candidates = len(seen_cases) + len(seen_tasks)
        state.red_through = today
        state.yellow_through = marks.get("yellow", state.yellow_through)
        state.reminder_through = marks.get("reminder", state.reminder_through)
        state.last_run_at = clock.now()
        result.ms = int((time.perf_counter() - started) * 1000)
        state.last_run_ms = result.ms
        state.last_raised = result.total
        state.save()
    return result


def _key(hit: _Hit) -> str:
    return f"{hit.kind}:{hit.case.pk}:{hit.task.pk if hit.task is not None else hit.ref}"


def _raise(hits: Iterable[_Hit], *, notify: bool = True) -> dict[str, int]:
    """Write the alerts not raised before and notify the people responsible."""
    by_key: dict[str, _Hit] = {}
    for h in hits:
        by_key.setdefault(_key(h), h)
    if not by_key:
        return {}
    existing = set(Alert.objects.filter(key__in=list(by_key)).values_list("key", flat=True))
    now = clock.now()
    new = [
        Alert(
            key=k, kind=h.kind, level=LEVELS[AlertKind(h.kind)], case_id=h.case.pk,
            task_id=h.task.pk if h.task is not None else None, region_id=h.case.region_id,
            department_id=(h.task.department_id if h.task is not None and h.task.department_id
                           else h.case.department_id),
            due=h.due, detail=h.detail[:300], raised_at=now,
        )
        for k, h in by_key.items() if k not in existing
    ]
    Alert.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    if notify:
        _notify(new, {a.key: by_key[a.key] for a in new})
    counts: dict[str, int] = {}
    for a in new:
        counts[a.kind] = counts.get(a.kind, 0) + 1
    return counts


def _notify(alerts: list[Alert], hits: dict[str, _Hit]) -> None:
    """In-app messages to the department's reviewers (responsible) and heads (their head);
    red cards and irregularities also by SMS to the heads with a mobile number."""
    if not alerts:
        return
    departments = {a.department_id for a in alerts}
    people: dict[int, list[tuple[int, str, str]]] = {}
    for ra in RoleAssignment.objects.filter(
        department_id__in=departments, is_active=True,
        role__in=(Role.REVIEWER, Role.CHIEF, Role.DEPARTMENT_HEAD),
    ).select_related("user"):
        if ra.department_id is not None:
            people.setdefault(ra.department_id, []).append(
                (ra.user_id, ra.role, ra.user.phone or ""))
    messages: list[Message] = []
    for a in alerts:
        hit = hits[a.key]
        label = AlertKind(a.kind).label
        where = f"「{hit.task.name}」环节" if hit.task is not None else ""
        body = _("【电子监察】%(k)s：办件 %(n)s %(w)s%(d)s") % {
            "k": label, "n": hit.case.case_no, "w": where,
            "d": (_("，到期日 %(due)s") % {"due": a.due}) if a.due else (
                f"，{a.detail}" if a.detail else ""),
        }
        for user_id, role, phone in people.get(a.department_id, []):
            if a.level < 2 and role == Role.DEPARTMENT_HEAD:
                continue  # a reminder goes to the people doing the work only
            messages.append(Message(channel=NoteChannel.IN_APP, user_id=user_id, body=body,
                                    subject=str(label), dedupe_key=f"alert-{a.key}-{user_id}",
                                    link=f"/workbench/cases/{hit.case.case_no}/"))
            if a.level >= 3 and role == Role.DEPARTMENT_HEAD and phone:
                messages.append(Message(channel=NoteChannel.SMS, phone=phone, body=body,
                                        dedupe_key=f"alert-sms-{a.key}-{user_id}"))
    notifications_enqueue(messages=messages)


# --- by hand -------------------------------------------------------------------------------------


def alert_withdraw(*, actor: Any, alert: Alert, reason: str) -> Alert:
    """A supervisor withdraws an alert (e.g. raised on wrong data) with a reason."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        message = _("请填写撤销理由（至少4个字）。")
        raise ValidationFailed(message, field_errors={"reason": [message]})
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("region").get(pk=alert.pk)
        access.require(actor, Perm.SUPERVISE, region=alert.region)
        if alert.state == AlertState.WITHDRAWN:
            raise Conflict(_("该预警已撤销。"), code="already_withdrawn")
        alert.state = AlertState.WITHDRAWN
        alert.withdrawn_by = actor
        alert.withdraw_reason = reason[:300]
        alert.closed_at = clock.now()
        alert.save()
    return alert


def notice_issue(*, actor: Any, case: Case, request: str, alert: Alert | None = None,
                 reply_days: int = NOTICE_REPLY_DAYS) -> SupervisionNotice:
    """督办单: a supervisor asks the case's department to act and reply by a date."""
    access.require(actor, Perm.SUPERVISE, region=case.region)
    request = (request or "").strip()
    errors: dict[str, list[str]] = {}
    if len(request) < 4:
        errors["request"] = [_("请填写督办要求（至少4个字）。")]
    if not 1 <= reply_days <= 20:
        errors["reply_days"] = [_("回复期限应为1至20个工作日。")]
    if errors:
        raise ValidationFailed(_("督办单填写有误。"), field_errors=errors)
    now = clock.now()
    with transaction.atomic():
        notice = SupervisionNotice.objects.create(
            number=f"DB{now:%Y%m%d%H%M%S}{case.pk % 1000:03d}{now.microsecond // 1000:03d}",
            case=case, alert=alert, region_id=case.region_id, department_id=case.department_id,
            issued_by=actor, issued_at=now, request=request[:2000],
            reply_due=add_workdays(clock.today(), reply_days).date,
        )
        heads = RoleAssignment.objects.filter(
            department_id=case.department_id, role=Role.DEPARTMENT_HEAD, is_active=True
        ).values_list("user_id", flat=True)
        notifications_enqueue(messages=[
            Message(channel=NoteChannel.IN_APP, user_id=uid, subject=_("督办单"),
                    body=_("督办单 %(n)s：办件 %(c)s，请于 %(d)s 前回复。")
                    % {"n": notice.number, "c": case.case_no, "d": notice.reply_due},
                    dedupe_key=f"notice-{notice.number}-{uid}",
                    link="/workbench/supervision/notices/")
            for uid in heads
        ])
    return notice


def notice_reply(*, actor: Any, notice: SupervisionNotice, reply: str) -> SupervisionNotice:
    """The department answers a notice (its head or reviewers, within the department)."""
    reply = (reply or "").strip()
    if len(reply) < 4:
        message = _("请填写回复内容（至少4个字）。")
        raise ValidationFailed(message, field_errors={"reply": [message]})
    with transaction.atomic():
        notice = SupervisionNotice.objects.select_for_update().select_related(
            "region", "department").get(pk=notice.pk)
        if not access.can(actor, Perm.CASE_REVIEW, region=notice.region,
                          department=notice.department):
            raise PermissionDenied(_("只有被督办部门可以回复。"), code="forbidden")
        if notice.state != NoticeState.OPEN:
            raise Conflict(_("该督办单已回复。"), code="already_replied")
        notice.state = NoticeState.REPLIED
        notice.reply = reply[:2000]
        notice.replied_by = actor
        notice.replied_at = clock.now()
        notice.save()
    return notice


def notice_close(*, actor: Any, notice: SupervisionNotice) -> SupervisionNotice:
    with transaction.atomic():
        notice = SupervisionNotice.objects.select_for_update().select_related("region").get(
            pk=notice.pk)
        access.require(actor, Perm.SUPERVISE, region=notice.region)
        if notice.state != NoticeState.REPLIED:
            raise Conflict(_("部门回复后方可办结督办单。"), code="not_replied")
        notice.state = NoticeState.CLOSED
        notice.save(update_fields=["state"])
    return notice


def alert_get(pk: int) -> Alert:
    found = Alert.objects.select_related("region", "case", "department").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("没有找到这条预警。"), code="alert_not_found")
    return found
