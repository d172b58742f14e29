"""One domain error type with a stable code and a human message (Chinese first).

Services raise :class:`DomainError` (or a subclass); the API turns it into a JSON problem
response and the pages into a message next to the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class DomainError(Exception):
    """A rule of the domain was broken. ``code`` is stable, ``message`` is for people."""

    status = 422
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field_errors: Mapping[str, Sequence[str]] | None = None,
        rows: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.field_errors = {k: [str(m) for m in v] for k, v in (field_errors or {}).items()}
        self.rows: list[dict[str, Any]] = list(rows or [])

    def as_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field_errors:
            body["errors"] = self.field_errors
        if self.rows:
            body["rows"] = self.rows
        return body


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"


class NotFound(DomainError):
    """Raised for "does not exist" and "not yours" alike, so nobody can probe for records."""

    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"
