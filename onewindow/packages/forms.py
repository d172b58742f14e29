"""Forms of the package pages. They only collect what was typed: the services check every value
(the combined form with the cases' own rules) and their field errors are put back beside each
field. The combined form itself is the cases' :class:`ApplicationForm` over the combined schema.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onewindow.cases.models import DeliveryMethod


class DeliveryForm(forms.Form):
    """统一出件: how every result of the package reaches the applicant, chosen once."""

    delivery_method = forms.ChoiceField(
        label=_("结果送达方式"), choices=DeliveryMethod.choices, required=False,
        widget=forms.RadioSelect,
    )
    delivery_address = forms.CharField(
        label=_("邮寄地址（选择邮寄送达时填写）"), required=False, max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 300,
                                     "autocomplete": "street-address"}),
    )

    def add_service_errors(self, field_errors: dict[str, list[str]]) -> None:
        for key, messages in field_errors.items():
            if key in self.fields:
                for message in messages:
                    self.add_error(key, message)


class StaffDeliverForm(forms.Form):
    tracking_no = forms.CharField(label=_("快递单号（邮寄送达时填写）"), required=False,
                                  max_length=40)
    identity_checked = forms.BooleanField(label=_("已核验领取人身份（窗口领取时勾选）"),
                                          required=False)

    def values(self) -> dict[str, Any]:
        return {"tracking_no": self.cleaned_data.get("tracking_no", ""),
                "identity_checked": bool(self.cleaned_data.get("identity_checked"))}
