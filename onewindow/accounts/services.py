"""Account services: one-time sign-in codes, applicant registration, staff and roles."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import (
    DEPARTMENT_ROLES,
    Applicant,
    ApplicantKind,
    PhoneCode,
    Role,
    RoleAssignment,
    StaffMember,
    User,
)
from onewindow.core.errors import Conflict, ValidationFailed
from onewindow.core.identity import (
    IdentityError,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)
from onewindow.notifications.services import sms_enqueue
from onewindow.regions.models import Department, Region


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


# --- one-time codes -------------------------------------------------------------------------


def phone_code_send(*, phone: str) -> PhoneCode:
    """Send a 6-digit sign-in code by SMS (through the outbox). Rate-limited per number."""
    try:
        phone = validate_mobile(phone)
    except IdentityError as exc:
        raise _field_error("phone", str(exc)) from exc
    now = timezone.now()
    with transaction.atomic():
        recent = (
            PhoneCode.objects.select_for_update()
            .filter(
                phone=phone,
                created_at__gt=now - timedelta(seconds=settings.OTP_RESEND_SECONDS),
            )
            .exists()
        )
        if recent:
            raise _field_error(
                "phone",
                _("验证码已发送，请%(s)s秒后再试。") % {"s": settings.OTP_RESEND_SECONDS},
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        row = PhoneCode.objects.create(
            phone=phone,
            code_hash=make_password(code),
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        minutes = max(settings.OTP_TTL_SECONDS // 60, 1)
        sms_enqueue(
            phone=phone,
            body=_("【一窗通】您的登录验证码是%(code)s，%(m)s分钟内有效。请勿告诉他人。")
            % {"code": code, "m": minutes},
        )
    return row


def phone_code_verify(*, phone: str, code: str) -> User | None:
    """Check a code; on success return (creating if needed) the applicant's user account.

    Each code is single-use, expires, and allows a limited number of wrong attempts.
    """
    try:
        phone = validate_mobile(phone)
    except IdentityError:
        return None
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if row is None or row.attempts >= settings.OTP_MAX_ATTEMPTS:
            return None
        if not check_password(code, row.code_hash):
            PhoneCode.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
            return None
        row.used_at = now
        row.save(update_fields=["used_at"])
        user = User.objects.filter(phone=phone).first()
        if user is None:
            user = User.objects.create_user(username=f"m{phone}", phone=phone)
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if not user.is_active:
            return None
        return user


# --- applicants -----------------------------------------------------------------------------


def applicant_register(
    *,
    actor: Any,
    kind: str,
    name: str,
    mobile: str,
    id_number: str = "",
    credit_code: str = "",
    legal_representative: str = "",
    region: Region | None = None,
    link_user: User | None = None,
) -> Applicant:
    """Register an applicant: by a clerk/agent at the counter, or by the signed-in person.

    ``actor`` is the staff member registering (checked against their scope via ``region``), or
    the applicant's own user (``link_user``) registering themselves.
    """
    if link_user is None:
        access.require(actor, Perm.APPLICANT_REGISTER, region=region)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("请填写姓名或名称。")]
    elif len(name) > 100:
        errors["name"] = [_("姓名或名称不能超过100个字。")]
    try:
        mobile = validate_mobile(mobile)
    except IdentityError as exc:
        errors["mobile"] = [str(exc)]
    if kind == ApplicantKind.PERSON:
        try:
            id_number = validate_id_number(id_number)
        except IdentityError as exc:
            errors["id_number"] = [str(exc)]
    elif kind == ApplicantKind.ORGANISATION:
        try:
            credit_code = validate_credit_code(credit_code)
        except IdentityError as exc:
            errors["credit_code"] = [str(exc)]
        if not legal_representative.strip():
            errors["legal_representative"] = [_("请填写法定代表人。")]
    else:
        errors["kind"] = [_("申请人类型不正确。")]
    if errors:
        raise ValidationFailed(_("请检查标红的字段。"), field_errors=errors)
    try:
        with transaction.atomic():
            return Applicant.objects.create(
                kind=kind,
                name=name,
                mobile=mobile,
                id_number=id_number if kind == ApplicantKind.PERSON else None,
                credit_code=credit_code if kind == ApplicantKind.ORGANISATION else None,
                legal_representative=legal_representative.strip(),
                user=link_user,
            )
    except IntegrityError as exc:
        field = "id_number" if kind == ApplicantKind.PERSON else "credit_code"
        raise Conflict(
            _("该证件号码已登记，请直接查找该申请人。"),
            code="applicant_exists",
            field_errors={field: [_("该证件号码已登记。")]},
        ) from exc


# --- staff ----------------------------------------------------------------------------------


def role_assign(
    *,
    actor: Any,
    user: User,
    role: str,
    region: Region,
    department: Department | None = None,
) -> RoleAssignment:
    """Give ``user`` a role within ``region`` (and ``department`` for departmental roles).

    The actor must manage staff in that region; nobody can grant beyond their own subtree.
    """
    access.require(actor, Perm.STAFF_MANAGE, region=region)
    try:
        role_value = Role(role)
    except ValueError as exc:
        raise _field_error("role", _("角色不正确。")) from exc
    if role_value in DEPARTMENT_ROLES and department is None:
        raise _field_error("department", _("该角色必须指定所属部门。"))
    if department is not None and not department.region.is_within(region):
        raise _field_error("department", _("部门不在所选区划范围内。"))
    assignment, _created = RoleAssignment.objects.update_or_create(
        user=user, role=role_value, region=region, department=department,
        defaults={"is_active": True},
    )
    access.forget_grants(user)
    return assignment


def role_revoke(*, actor: Any, assignment: RoleAssignment) -> None:
    access.require(actor, Perm.STAFF_MANAGE, region=assignment.region)
    RoleAssignment.objects.filter(pk=assignment.pk).update(is_active=False)
    access.forget_grants(assignment.user)


def staff_create(
    *,
    actor: Any,
    username: str,
    display_name: str,
    staff_number: str,
    region: Region,
    department: Department | None = None,
    password: str | None = None,
    title: str = "",
) -> StaffMember:
    """Create a staff account. Without a password the account cannot sign in until one is set."""
    if actor is not None:
        access.require(actor, Perm.STAFF_MANAGE, region=region)
    if User.objects.filter(username=username).exists():
        raise _field_error("username", _("用户名已存在。"))
    with transaction.atomic():
        user = User.objects.create_user(username=username, display_name=display_name)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(update_fields=["password"])
        return StaffMember.objects.create(
            user=user, staff_number=staff_number, region=region, department=department,
            title=title,
        )
