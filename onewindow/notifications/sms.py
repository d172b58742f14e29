"""Pluggable SMS backends. The default stores messages so the demo and tests can read them."""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SmsBackend(Protocol):
    def send(self, *, phone: str, body: str) -> None: ...


class StoredSmsBackend:
    """Delivers nothing outside: the outbox row itself is the stored message."""

    def send(self, *, phone: str, body: str) -> None:
        return None


class FailingSmsBackend:
    """A backend that always fails; used to test retries."""

    def send(self, *, phone: str, body: str) -> None:
        raise ConnectionError("SMS gateway unreachable")


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend
