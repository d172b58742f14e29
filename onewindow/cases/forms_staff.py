"""Forms of the staff pages (工作台): searches, filters, registering an applicant, actions.

These forms only parse and coerce what was typed (numbers, dates, choices). The rules — what
is required, what is allowed in which state, who may act — live in the services, whose
:class:`~onewindow.core.errors.DomainError` field errors are put back beside each field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import ApplicantKind
from onewindow.cases.models import SPECIAL_PROCEDURES, DeliveryMethod, StopKind
from onewindow.cases.workflow import CaseState

_TEXT = {"autocomplete": "off", "spellcheck": "false"}


class ApplicantLookupForm(forms.Form):
    """查找申请人: by resident ID number, unified social credit code or mobile number."""

    q = forms.CharField(
        label=_("证件号码或手机号码"), max_length=20,
        error_messages={"required": _("请输入公民身份号码、统一社会信用代码或手机号码。")},
        widget=forms.TextInput(attrs={**_TEXT, "autocapitalize": "characters"}),
        help_text=_("输入完整号码（精确匹配）；结果中的号码已脱敏。"),
    )

    def clean_q(self) -> str:
        return str(self.cleaned_data["q"]).strip().replace(" ", "").upper()


class ApplicantRegisterForm(forms.Form):
    """登记新申请人 at the counter (the service checks ID numbers and mobile numbers)."""

    kind = forms.ChoiceField(label=_("申请人类型"), choices=ApplicantKind.choices,
                             initial=ApplicantKind.PERSON)
    name = forms.CharField(label=_("姓名 / 单位名称"), max_length=100, required=False)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=18, required=False,
                                widget=forms.TextInput(attrs=_TEXT))
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False,
                                  widget=forms.TextInput(attrs=_TEXT))
    legal_representative = forms.CharField(label=_("法定代表人（法人填写）"), max_length=50,
                                           required=False)
    mobile = forms.CharField(label=_("手机号码"), max_length=11, required=False,
                             widget=forms.TextInput(attrs={"type": "tel",
                                                           "inputmode": "numeric"}))


class ItemSearchForm(forms.Form):
    iq = forms.CharField(
        label=_("事项名称或实施编码"), max_length=60, required=False,
        widget=forms.TextInput(attrs={**_TEXT, "type": "search"}),
    )


class CaseSearchForm(forms.Form):
    """办件查询: state and a case number prefix, applicant name or identity number."""

    q = forms.CharField(
        label=_("办件编号 / 申请人姓名 / 证件号码"), max_length=40, required=False,
        widget=forms.TextInput(attrs={**_TEXT, "type": "search"}),
    )
    state = forms.ChoiceField(
        label=_("状态"), required=False,
        choices=[("", _("全部状态"))] + [c for c in CaseState.choices if c[0] != CaseState.DRAFT],
    )
    within = forms.IntegerField(label=_("几个工作日内到期"), required=False, min_value=0,
                                max_value=60)


class InboxFilterForm(forms.Form):
    item = forms.CharField(label=_("事项实施编码"), max_length=36, required=False,
                           widget=forms.TextInput(attrs=_TEXT))
    due_before = forms.DateField(label=_("环节到期不晚于"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 error_messages={"invalid": _("请输入正确的日期（YYYY-MM-DD）。")})


# --- actions on the case screen ------------------------------------------------------------
# Text fields are not required here: the services say what is missing, in the same words as
# the API. Only coercion happens in these forms.


def _reason(label: Any, limit: int = 2000) -> forms.CharField:
    return forms.CharField(label=label, max_length=limit, required=False)


def _int(label: Any, **kw: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False,
        error_messages={"invalid": _("请输入整数。"),
                        "min_value": _("不能小于 %(limit_value)s。"),
                        "max_value": _("不能大于 %(limit_value)s。")},
        **kw,
    )


class CheckMaterialForm(forms.Form):
    material = _int(_("材料"))
    verdict = forms.ChoiceField(choices=[("verified", _("核验通过")), ("missing", _("需补正")),
                                         ("not_needed", _("无需提交"))])
    note = _reason(_("说明"), 500)


class MaterialForm(forms.Form):
    material = _int(_("材料"))


class RefuseForm(forms.Form):
    reason = _reason(_("不予受理理由"), 1000)
    refer_to = _reason(_("告知向何机关申请"), 300)


class OtherForm(forms.Form):
    """一次性告知补正 / 要求补正: the materials come from checkboxes; this is the rest."""

    other = _reason(_("其他需要说明的事项"), 1000)
    days = _int(_("补正期限（工作日）"), min_value=0, max_value=60)


class DecisionChoice(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("准予")), ("deny", _("不予"))],
                                 error_messages={"required": _("请选择准予或不予。"),
                                                 "invalid_choice": _("请选择准予或不予。")})


class OnSpotForm(DecisionChoice):
    opinion = _reason(_("意见"), 1000)
    delivery_method = forms.ChoiceField(choices=DeliveryMethod.choices, required=False)


class PassForm(forms.Form):
    opinion = _reason(_("审查意见"))


class ReturnForm(forms.Form):
    to_seq = _int(_("退回到环节"), min_value=1)
    reason = _reason(_("退回理由"))


class SpecialForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(k.value, k.label) for k in SPECIAL_PROCEDURES],
        error_messages={"required": _("请选择特别程序的种类。"),
                        "invalid_choice": _("请选择特别程序的种类。")},
    )
    reason = _reason(_("原因"), 1000)
    expected_days = _int(_("预计所需工作日"))


class ResumeForm(forms.Form):
    result = _reason(_("特别程序结果"), 1000)


class ExtendForm(forms.Form):
    days = _int(_("延长工作日"))
    reason = _reason(_("延期理由"), 1000)


class DecideForm(DecisionChoice):
    reason = _reason(_("决定理由"))


class OpinionForm(DecisionChoice):
    """并联审查意见: 同意 (approve) or 不同意 (deny) with the reasons or conditions."""

    opinion = _reason(_("审查意见"), 2000)


class DeliverForm(forms.Form):
    method = forms.ChoiceField(choices=DeliveryMethod.choices,
                               error_messages={"required": _("请选择送达方式。"),
                                               "invalid_choice": _("请选择送达方式。")})
    tracking_no = _reason(_("快递单号"), 40)
    identity_checked = forms.BooleanField(required=False)


def special_kinds() -> list[tuple[str, str]]:
    return [(k.value, str(StopKind(k).label)) for k in SPECIAL_PROCEDURES]


def parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None
