"""Verification of the work orders' hash chains (the same chain as the case log).

The hashing itself is :func:`onewindow.cases.audit.chain_hash`; the hashed content of an event
is :func:`onewindow.hotline.orders.order_payload`.
"""

from __future__ import annotations

from collections.abc import Iterator

from onewindow.cases.audit import Break, chain_hash
from onewindow.hotline.models import WorkOrder, WorkOrderEvent
from onewindow.hotline.orders import order_payload


def verify_order(order: WorkOrder, events: list[WorkOrderEvent]) -> Break | None:
    prev = ""
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return Break(order.order_no, expected_seq, "日志缺失（序号不连续）")
        if event.prev_hash != prev:
            return Break(order.order_no, event.seq, "前一哈希不匹配（日志被删除或替换）")
        if chain_hash(prev, order_payload(event, order.order_no)) != event.hash:
            return Break(order.order_no, event.seq, "内容与哈希不符（日志被修改）")
        prev = event.hash
    if len(events) != order.event_count or prev != order.head_hash:
        return Break(order.order_no, len(events) or None, "链头与工单记录不符（末尾日志被删除）")
    return None


def _batches(batch: int) -> Iterator[list[WorkOrder]]:
    last = 0
    while True:
        rows = list(WorkOrder.objects.filter(pk__gt=last).order_by("pk")
                    .only("pk", "order_no", "event_count", "head_hash")[:batch])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def verify_all_orders(*, batch: int = 2000) -> tuple[int, Break | None]:
    """Check every order's chain. Returns (orders checked, first break or None)."""
    checked = 0
    for rows in _batches(batch):
        by_order: dict[int, list[WorkOrderEvent]] = {o.pk: [] for o in rows}
        for event in WorkOrderEvent.objects.filter(order_id__in=by_order).order_by("order_id",
                                                                                    "seq"):
            by_order[event.order_id].append(event)
        for order in rows:
            broken = verify_order(order, by_order[order.pk])
            if broken:
                return checked, broken
            checked += 1
    return checked, None
