"""Listening to the cases app: a decided case may let waiting items of its package start.

The cases app sends ``case_decided`` after the deciding transaction commits. The receiver runs
in its own transaction and never lets a failure reach the member of staff who decided the case
(their decision is already saved): it logs, and the catch-up job ``packages.start_ready``
picks the application up on its next run.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def on_case_decided(sender: Any, *, case_id: int, approved: bool = False,
                    certificate_id: int | None = None, **kwargs: Any) -> None:
    from onewindow.packages.services import application_refresh_for_case

    try:
        application_refresh_for_case(case_id=case_id)
    except Exception:  # the job catches up; the decider's request must not fail after commit
        logger.exception("packages: refreshing the application of case %s failed", case_id)
