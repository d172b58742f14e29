"""Accounts API: who am I, SMS sign-in codes, applicant registration at the counter."""

from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from onewindow.accounts import access, services
from onewindow.accounts.models import Applicant
from onewindow.accounts.tokens import staff_auth
from onewindow.core.errors import PermissionDenied, ValidationFailed
from onewindow.regions.selectors import region_by_code

router = Router(tags=["账户"])


class GrantOut(Schema):
    role: str
    region_prefix: str
    department_id: int | None


class MeOut(Schema):
    username: str
    display_name: str
    grants: list[GrantOut]


@router.get("/me", response=MeOut, auth=staff_auth, summary="当前用户及其角色范围")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    return MeOut(
        username=user.username,
        display_name=getattr(user, "display_name", ""),
        grants=[
            GrantOut(
                role=g.role.value, region_prefix=g.region_prefix, department_id=g.department_id
            )
            for g in access.grants(user)
        ],
    )


class PhoneIn(Schema):
    phone: str = Field(..., max_length=20)


class CodeIn(Schema):
    phone: str = Field(..., max_length=20)
    code: str = Field(..., max_length=6)


class OkOut(Schema):
    ok: bool
    message: str


@router.post("/sms-code", response=OkOut, summary="发送登录验证码")
def send_code(request: HttpRequest, payload: PhoneIn) -> OkOut:
    services.phone_code_send(phone=payload.phone)
    return OkOut(ok=True, message=_("验证码已发送。"))


@router.post("/sms-login", response=OkOut, summary="验证码登录")
def sms_login(request: HttpRequest, payload: CodeIn) -> OkOut:
    user = services.phone_code_verify(phone=payload.phone, code=payload.code)
    if user is None:
        raise ValidationFailed(
            _("验证码不正确或已过期。"), field_errors={"code": [_("验证码不正确或已过期。")]}
        )
    login(request, user, backend="onewindow.accounts.backends.PhoneCodeBackend")
    return OkOut(ok=True, message=_("登录成功。"))


class ApplicantIn(Schema):
    kind: str = Field(..., max_length=20)
    name: str = Field(..., max_length=100)
    mobile: str = Field(..., max_length=20)
    id_number: str = Field("", max_length=18)
    credit_code: str = Field("", max_length=18)
    legal_representative: str = Field("", max_length=50)
    region_code: str = Field(..., max_length=12, description="登记窗口所在区划")


class ApplicantOut(Schema):
    id: int
    kind: str
    name: str
    identity: str
    mobile: str


def applicant_out(a: Applicant) -> ApplicantOut:
    return ApplicantOut(
        id=a.pk, kind=a.kind, name=a.masked_name, identity=a.masked_identity,
        mobile=a.masked_mobile,
    )


@router.post(
    "/applicants", response={201: ApplicantOut}, auth=staff_auth,
    summary="窗口/代办员登记申请人（身份证号、统一社会信用代码校验）",
)
def register_applicant(request: HttpRequest, payload: ApplicantIn) -> Status[ApplicantOut]:
    region = region_by_code(payload.region_code)
    if region is None:
        raise PermissionDenied(_("您没有权限执行此操作。"))
    applicant = services.applicant_register(
        actor=request.user, kind=payload.kind, name=payload.name, mobile=payload.mobile,
        id_number=payload.id_number, credit_code=payload.credit_code,
        legal_representative=payload.legal_representative, region=region,
    )
    return Status(201, applicant_out(applicant))
