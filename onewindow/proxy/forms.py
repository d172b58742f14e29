"""Forms of the agent's pages. They only parse what was typed; the rules live in the services,
whose field errors are put back beside each field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

_TEXT = {"autocomplete": "off", "spellcheck": "false"}


class VillagerLookupForm(forms.Form):
    """查找群众: by resident ID number or mobile number (exact)."""

    q = forms.CharField(
        label=_("身份证号码或手机号码"), max_length=20,
        error_messages={"required": _("请输入群众的身份证号码或手机号码。")},
        widget=forms.TextInput(attrs={**_TEXT, "autocapitalize": "characters",
                                      "inputmode": "text"}),
    )

    def clean_q(self) -> str:
        return str(self.cleaned_data["q"]).strip().replace(" ", "").upper()


class VillagerRegisterForm(forms.Form):
    """登记群众 (a person; the service checks the ID number and the mobile number)."""

    name = forms.CharField(label=_("姓名"), max_length=100, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    id_number = forms.CharField(label=_("公民身份号码"), max_length=18, required=False,
                                widget=forms.TextInput(attrs={**_TEXT,
                                                              "autocapitalize": "characters"}))
    mobile = forms.CharField(label=_("手机号码"), max_length=11, required=False,
                             widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric",
                                                           "autocomplete": "off"}))


class SmsConsentForm(forms.Form):
    mobile = forms.CharField(
        label=_("群众的手机号码"), max_length=11, required=False,
        help_text=_("请向群众核对并输入其登记的手机号码，验证码只发到这个号码。"),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric",
                                      "autocomplete": "off"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("群众告知的6位验证码"), max_length=12, required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                      "pattern": "[0-9 ]*", "maxlength": 12}),
    )


class PaperConsentForm(forms.Form):
    file = forms.FileField(
        label=_("群众签字的委托书（拍照或扫描）"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf",
                                               "capture": "environment"}),
        help_text=_("JPG、PNG 或 PDF；请拍清楚群众签名和日期。"),
    )


class WitnessConsentForm(forms.Form):
    witness_name = forms.CharField(label=_("见证人姓名"), max_length=50, required=False)
    witness_relation = forms.CharField(label=_("见证人身份"), max_length=50, required=False,
                                       help_text=_("如：村委会委员、村民小组长、邻居。"))


class ItemSearchForm(forms.Form):
    q = forms.CharField(label=_("事项名称"), max_length=60, required=False,
                        widget=forms.TextInput(attrs={**_TEXT, "type": "search"}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明（选填）"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}))


class HandoverSignatureForm(forms.Form):
    file = forms.FileField(
        label=_("群众签收的回执（拍照）"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf",
                                               "capture": "environment"}),
    )
    note = forms.CharField(label=_("说明（选填）"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}))
