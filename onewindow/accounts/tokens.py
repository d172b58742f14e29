"""API tokens for other systems: ``Authorization: Bearer ow_<prefix>_<secret>``.

The secret is shown once at creation; the database keeps its SHA-256 (a token is high-entropy,
so a fast hash is enough) and the prefix to find the row without a scan.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from onewindow.accounts.models import ApiToken, User
from onewindow.core import clock

LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; returns the row and the full token string (shown once)."""
    with transaction.atomic():
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        row = ApiToken.objects.create(
            user=user, name=name[:100], prefix=prefix, key_hash=_digest(secret)
        )
    return row, f"ow_{prefix}_{secret}"


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def token_user(raw: str) -> User | None:
    """The active user a token belongs to, or None (unknown, revoked, inactive)."""
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "ow" or len(parts[1]) != 12:
        return None
    # The staff profile comes along: services name the acting unit on every event.
    row = next(iter(
        ApiToken.objects.select_related(
            "user", "user__staff_profile__department", "user__staff_profile__region"
        ).filter(prefix=parts[1], revoked_at__isnull=True).order_by()[:1]
    ), None)
    if row is None or not hmac.compare_digest(row.key_hash, _digest(parts[2])):
        return None
    if not row.user.is_active:
        return None
    now = clock.now()
    # Recorded to the minute: one write a minute per token, not one per request.
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


# Staff endpoints accept an API token (other systems) or a signed-in session (pages). The token
# comes first: session auth raises on a failed CSRF check instead of passing to the next method,
# and a request that carries a Bearer token carries no session cookie to forge.
staff_auth = [TokenAuth(), SessionAuth()]
