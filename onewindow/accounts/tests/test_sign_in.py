"""Sign-in: applicants by mobile number + one-time code, staff by password with lock-out."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import reverse

from onewindow.accounts import services
from onewindow.accounts.models import Applicant, PhoneCode, User
from onewindow.core.errors import ValidationFailed
from onewindow.notifications.models import Notification, OutboxStatus


def _last_code(phone: str) -> str:
    body = Notification.objects.filter(phone=phone).latest("created_at").body
    match = re.search(r"(\d{6})", body)
    assert match, body
    return match.group(1)


@pytest.mark.django_db(transaction=True)
def test_code_is_sent_through_the_outbox_and_signs_the_applicant_in(client):
    response = client.post(
        reverse("accounts:applicant_login"), {"step": "send", "phone": "13905391009"}
    )
    assert response.status_code == 200
    note = Notification.objects.get(phone="13905391009")
    assert note.status == OutboxStatus.SENT  # delivered after commit by the job (eager in tests)
    code = _last_code("13905391009")
    assert code not in PhoneCode.objects.get().code_hash  # only a hash is stored
    response = client.post(
        reverse("accounts:applicant_login"),
        {"step": "verify", "phone": "13905391009", "code": code},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:applicant_profile")
    assert User.objects.get(phone="13905391009").has_usable_password() is False


@pytest.mark.django_db
def test_a_code_is_single_use_and_limited_in_attempts(settings):
    services.phone_code_send(phone="13905391008")
    code = _last_code("13905391008")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.OTP_MAX_ATTEMPTS):
        assert services.phone_code_verify(phone="13905391008", code=wrong) is None
    # After too many wrong attempts even the right code no longer works.
    assert services.phone_code_verify(phone="13905391008", code=code) is None


@pytest.mark.django_db
def test_a_used_or_expired_code_is_refused():
    services.phone_code_send(phone="13905391007")
    code = _last_code("13905391007")
    assert services.phone_code_verify(phone="13905391007", code=code) is not None
    assert services.phone_code_verify(phone="13905391007", code=code) is None
    with time_machine.travel("2030-01-01 00:00 +0800"):
        services.phone_code_send(phone="13905391006")
        code2 = _last_code("13905391006")
    with time_machine.travel("2030-01-01 00:10 +0800"):
        assert services.phone_code_verify(phone="13905391006", code=code2) is None


@pytest.mark.django_db
def test_resending_too_soon_is_refused_with_a_field_message():
    services.phone_code_send(phone="13905391005")
    with pytest.raises(ValidationFailed) as err:
        services.phone_code_send(phone="13905391005")
    assert "秒后再试" in err.value.field_errors["phone"][0]
    assert PhoneCode.objects.count() == 1


@pytest.mark.django_db
def test_bad_phone_number_gets_a_chinese_field_error(client):
    response = client.post(reverse("accounts:applicant_login"), {"step": "send", "phone": "123"})
    assert response.status_code == 200
    assert "请输入正确的11位手机号码" in response.content.decode()
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_first_sign_in_completes_real_name_with_checked_id(client):
    user = User.objects.create_user(username="m13905391004", phone="13905391004")
    client.force_login(user, backend="onewindow.accounts.backends.PhoneCodeBackend")
    url = reverse("accounts:applicant_profile")
    bad = client.post(url, {"kind": "person", "name": "赵六", "id_number": "110105194912310021"})
    assert "校验码不正确" in bad.content.decode()
    assert Applicant.objects.count() == 0
    ok = client.post(url, {"kind": "person", "name": "赵六", "id_number": "11010519491231002X"})
    assert ok.status_code == 302
    applicant = Applicant.objects.get()
    assert applicant.user == user and applicant.mobile == "13905391004"
    assert applicant.masked_identity == "110105********002X"


@pytest.mark.django_db
def test_staff_password_sign_in_locks_out_after_repeated_failures(
    client, regions, make_staff, settings
):
    make_staff("clerk", regions["city"], username="clerk_a")
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(url, {"username": "clerk_a", "password": "wrong-password"})
        assert response.status_code in (200, 429)
    locked = client.post(url, {"username": "clerk_a", "password": "Correct-Horse-9"})
    assert locked.status_code == 429
    assert "锁定" in locked.content.decode()


@pytest.mark.django_db
def test_staff_sign_in_with_the_right_password_reaches_the_workbench(client, regions, make_staff):
    make_staff("clerk", regions["city"], username="clerk_b")
    response = client.post(
        reverse("accounts:login"), {"username": "clerk_b", "password": "Correct-Horse-9"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/workbench/"
