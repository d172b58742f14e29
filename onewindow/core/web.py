"""Small helpers shared by the server-rendered pages of every app."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest

from onewindow.core.errors import DomainError


def flash_error(request: HttpRequest, exc: DomainError) -> None:
    """Show a refused action as messages: the problem, then each field's own words."""
    messages.error(request, exc.message)
    for errs in exc.field_errors.values():
        for e in errs:
            if e != exc.message:
                messages.error(request, e)
