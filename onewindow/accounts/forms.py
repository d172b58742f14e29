from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import ApplicantKind


class StaffLoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。连续多次输入错误，账户将被暂时锁定。"),
        "inactive": _("该账户已停用。"),
    }


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("手机号码"), max_length=20)


class PhoneCodeForm(forms.Form):
    phone = forms.CharField(label=_("手机号码"), max_length=20)
    code = forms.CharField(label=_("短信验证码"), max_length=6, min_length=6)


class ApplicantProfileForm(forms.Form):
    kind = forms.ChoiceField(label=_("申请人类型"), choices=ApplicantKind.choices)
    name = forms.CharField(label=_("姓名 / 单位名称"), max_length=100)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=18, required=False)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    legal_representative = forms.CharField(
        label=_("法定代表人"), max_length=50, required=False
    )
