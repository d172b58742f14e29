"""The case log's hash chain (全程留痕) and its verification.

Each :class:`~onewindow.cases.models.CaseEvent` stores ``hash = SHA-256(prev_hash ‖ payload)``
where the payload is the canonical JSON of the event's fields. The case row keeps the chain's
head and length, written in the same transaction. A daily :class:`AuditAnchor` digests every
event created that day, so deleting a whole chain (case and events) shows as well.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Min

from onewindow.cases.models import AuditAnchor, Case, CaseEvent


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def utc_iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_payload(*, case_no: str, seq: int, action: str, actor_id: int | None,
                  actor_role: str, actor_unit: str, from_state: str, to_state: str,
                  data: dict[str, Any], public: bool, ip: str | None,
                  created_at: dt.datetime) -> dict[str, Any]:
    return {
        "case": case_no, "seq": seq, "action": action, "actor": actor_id,
        "role": actor_role, "unit": actor_unit, "from": from_state, "to": to_state,
        "data": data, "public": public, "ip": ip, "at": utc_iso(created_at),
    }


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(payload)).encode()).hexdigest()


def payload_of(event: CaseEvent, case_no: str) -> dict[str, Any]:
    return event_payload(
        case_no=case_no, seq=event.seq, action=event.action, actor_id=event.actor_id,
        actor_role=event.actor_role, actor_unit=event.actor_unit,
        from_state=event.from_state, to_state=event.to_state, data=event.data,
        public=event.public, ip=event.ip, created_at=event.created_at,
    )


@dataclass(frozen=True, slots=True)
class Break:
    """The first broken link found: which case, which event, and why."""

    case_no: str
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.case_no} 第 {self.seq} 条" if self.seq else self.case_no
        return f"{where}：{self.reason}"


def verify_case(case: Case, events: list[CaseEvent]) -> Break | None:
    prev = ""
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return Break(case.case_no, expected_seq, "日志缺失（序号不连续）")
        if event.prev_hash != prev:
            return Break(case.case_no, event.seq, "前一哈希不匹配（日志被删除或替换）")
        if chain_hash(prev, payload_of(event, case.case_no)) != event.hash:
            return Break(case.case_no, event.seq, "内容与哈希不符（日志被修改）")
        prev = event.hash
    if len(events) != case.event_count or prev != case.head_hash:
        return Break(case.case_no, len(events) or None, "链头与办件记录不符（末尾日志被删除）")
    return None


def _cases_in_batches(batch: int) -> Iterator[list[Case]]:
    last = 0
    while True:
        rows = list(
            Case.objects.filter(pk__gt=last).order_by("pk")
            .only("pk", "case_no", "event_count", "head_hash")[:batch]
        )
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def verify_all(*, batch: int = 2000) -> tuple[int, Break | None]:
    """Check every chain, then every anchor. Returns (cases checked, first break or None)."""
    checked = 0
    for cases in _cases_in_batches(batch):
        by_case: dict[int, list[CaseEvent]] = {c.pk: [] for c in cases}
        for event in CaseEvent.objects.filter(case_id__in=by_case).order_by("case_id", "seq"):
            by_case[event.case_id].append(event)
        for case in cases:
            broken = verify_case(case, by_case[case.pk])
            if broken:
                return checked, broken
            checked += 1
    for anchor in AuditAnchor.objects.order_by("day"):
        count, digest = day_digest(anchor.day)
        if (count, digest) != (anchor.event_count, anchor.digest):
            return checked, Break(
                f"{anchor.day:%Y-%m-%d} 锚定", None,
                f"当日日志摘要不符（锚定 {anchor.event_count} 条，现有 {count} 条）",
            )
    return checked, None


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    from django.utils import timezone

    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def day_digest(day: dt.date) -> tuple[int, str]:
    start, end = _day_bounds(day)
    digest = hashlib.sha256()
    count = 0
    hashes = (
        CaseEvent.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by("id").values_list("hash", flat=True)
    )
    for h in hashes.iterator(chunk_size=5000):
        digest.update(h.encode())
        count += 1
    return count, digest.hexdigest()


def anchor_days(*, until: dt.date) -> int:
    """Anchor every day before ``until`` that has events and no anchor yet (idempotent)."""
    first = CaseEvent.objects.aggregate(m=Min("created_at"))["m"]
    if first is None:
        return 0
    from django.utils import timezone

    day = timezone.localdate(first)
    existing = set(AuditAnchor.objects.filter(day__lt=until).values_list("day", flat=True))
    made = 0
    while day < until:
        if day not in existing:
            count, digest = day_digest(day)
            if count:
                AuditAnchor.objects.get_or_create(
                    day=day, defaults={"event_count": count, "digest": digest}
                )
                made += 1
        day += dt.timedelta(days=1)
    return made
