"""Signals other apps may listen to (the cases app never imports them).

``case_decided`` is sent after the transaction that decided a case commits (approved or
denied, at the counter or at the last step): ``sender=Case, case_id=…, approved=…,
certificate_id=… or None``. Receivers run outside that transaction and must be idempotent
(a job may also catch up on decisions they missed).
"""

from __future__ import annotations

from django.dispatch import Signal

case_decided = Signal()
