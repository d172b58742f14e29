"""Small helpers shared by the apps' API routers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import SessionAuth


class StaffSession(SessionAuth):
    """Session authentication (CSRF-checked for unsafe methods)."""


session_auth = StaffSession()


def current_user(request: HttpRequest) -> Any:
    return request.user
