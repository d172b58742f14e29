from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def staff_login(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/login.html", {})


def lockout_response(request: HttpRequest, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:  # type: ignore[no-untyped-def]
    return render(request, "accounts/locked.html", status=429)
