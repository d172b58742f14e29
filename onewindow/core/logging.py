from __future__ import annotations

import logging

from onewindow.core.masking import mask_text


class MaskPersonalDataFilter(logging.Filter):
    """Rewrites every log record so that no ID or phone number reaches the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True
