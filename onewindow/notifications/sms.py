"""Pluggable SMS backends. The default stores messages so the demo and tests can read them.

Every message carries a ``message_id`` that stays the same across retries. Real gateways take
it as the client's message reference and drop a repeat (at-least-once delivery from the outbox
plus an idempotent receiver: a worker that dies between sending and marking never makes a
recipient get the same message twice).
"""

from __future__ import annotations

import threading
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SmsBackend(Protocol):
    def send(self, *, phone: str, body: str, message_id: str) -> None: ...


class StoredSmsBackend:
    """Delivers nothing outside: the outbox row itself is the stored message."""

    def send(self, *, phone: str, body: str, message_id: str) -> None:
        return None


class FailingSmsBackend:
    """A backend that always fails; used to test retries."""

    def send(self, *, phone: str, body: str, message_id: str) -> None:
        raise ConnectionError("SMS gateway unreachable")


class RecordingSmsBackend:
    """An in-process gateway that, like a real one, accepts each message id once (tests)."""

    _lock = threading.Lock()
    received: dict[str, tuple[str, str]] = {}
    calls: list[str] = []

    def send(self, *, phone: str, body: str, message_id: str) -> None:
        with self._lock:
            type(self).calls.append(message_id)
            type(self).received.setdefault(message_id, (phone, body))

    @classmethod
    def reset(cls) -> None:
        with cls._lock:
            cls.received = {}
            cls.calls = []


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend
