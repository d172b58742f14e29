"""API tokens: other systems call the API as a user; revoked or wrong tokens get 401."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from onewindow.accounts.models import ApiToken, Applicant
from onewindow.accounts.tokens import token_create, token_revoke

pytestmark = pytest.mark.django_db

BODY = {
    "kind": "person", "name": "王建国", "mobile": "13905391001",
    "id_number": "11010519491231002X", "region_code": "379902000000",
}


def _post(client, token):
    return client.post(
        "/api/v1/accounts/applicants", data=json.dumps(BODY), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_token_acts_as_its_user_with_the_users_scope(client, regions, make_staff):
    _row, token = token_create(user=make_staff("clerk", regions["d1"]), name="自助终端")
    response = _post(client, token)
    assert response.status_code == 201, response.content
    other_scope = token_create(user=make_staff("clerk", regions["d2"]))[1]
    assert _post(client, other_scope).status_code == 403
    assert Applicant.objects.count() == 1
    assert ApiToken.objects.get(name="自助终端").last_used_at is not None


def test_wrong_revoked_and_inactive_tokens_are_refused(client, regions, make_staff):
    user = make_staff("clerk", regions["city"])
    row, token = token_create(user=user)
    assert _post(client, token[:-2] + "xx").status_code == 401
    assert _post(client, "not-a-token").status_code == 401
    token_revoke(token=row)
    assert _post(client, token).status_code == 401
    _row2, token2 = token_create(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _post(client, token2).status_code == 401
    assert Applicant.objects.count() == 0


def test_only_a_hash_is_stored(regions, make_staff):
    row, token = token_create(user=make_staff("clerk", regions["city"]))
    assert token.split("_", 2)[2] not in row.key_hash


def test_token_command_creates_and_revokes(regions, make_staff):
    make_staff("clerk", regions["city"], username="gateway")
    out = io.StringIO()
    call_command("token", "create", "gateway", "--name", "一体化平台", stdout=out,
                 stderr=io.StringIO())
    token = out.getvalue().strip()
    assert token.startswith("ow_")
    prefix = token.split("_")[1]
    call_command("token", "revoke", prefix, stdout=io.StringIO())
    assert ApiToken.objects.get(prefix=prefix).revoked_at is not None
    with pytest.raises(CommandError):
        call_command("token", "create", "nobody")
