from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend


class PhoneCodeBackend(BaseBackend):
    """Signs an applicant in with mobile number plus one-time code."""

    def authenticate(  # type: ignore[override]
        self, request: Any, phone: str | None = None, code: str | None = None, **kwargs: Any
    ) -> Any:
        if phone is None or code is None:
            return None
        from onewindow.accounts.services import phone_code_verify

        return phone_code_verify(phone=phone, code=code)

    def get_user(self, user_id: int):  # type: ignore[no-untyped-def]
        from onewindow.accounts.models import User

        return User.objects.filter(pk=user_id, is_active=True).first()
