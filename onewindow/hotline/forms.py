"""Forms of the knowledge-base pages (the robot's question, an article)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onewindow.catalog.models import ServiceItem
from onewindow.hotline.models import ArticleStatus
from onewindow.regions.models import Department, Region


class AskForm(forms.Form):
    q = forms.CharField(
        label=_("您的问题"), min_length=2, max_length=200, strip=True,
        error_messages={"required": _("请输入您的问题。"), "min_length": _("问题至少 2 个字。"),
                        "max_length": _("问题不能超过 200 个字。")},
    )


class ArticleForm(forms.Form):
    question = forms.CharField(label=_("标准问题"), max_length=200,
                               error_messages={"required": _("请填写标准问题。")})
    phrasings = forms.CharField(
        label=_("相似问法"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一个，写群众常用的说法，例如“身份证丢了怎么办”。"),
    )
    keywords = forms.CharField(label=_("关键词"), required=False, max_length=500,
                               help_text=_("用空格分隔。"))
    answer = forms.CharField(label=_("答复口径"), widget=forms.Textarea(attrs={"rows": 8}),
                             error_messages={"required": _("请填写答复口径。")})
    department = forms.ModelChoiceField(
        label=_("责任部门"), queryset=Department.objects.none(),
        error_messages={"required": _("请选择责任部门。"),
                        "invalid_choice": _("所选部门不在您的权限范围内。")},
    )
    region = forms.ModelChoiceField(
        label=_("适用区划"), queryset=Region.objects.all(), required=False,
        help_text=_("不选则为责任部门所在区划。"),
        error_messages={"invalid_choice": _("所选区划不存在。")},
    )
    valid_from = forms.DateField(label=_("生效日期"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 error_messages={"invalid": _("请输入正确的日期。")})
    valid_to = forms.DateField(label=_("失效日期"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}),
                               error_messages={"invalid": _("请输入正确的日期。")})
    related_codes = forms.CharField(
        label=_("关联事项"), required=False, max_length=1000,
        help_text=_("填写事项的实施编码，多个用空格分隔。"),
    )

    def __init__(self, *args: Any, departments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if departments is not None:
            field = self.fields["department"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = departments.select_related("region").order_by("region__code", "code")

    def clean_related_codes(self) -> list[ServiceItem]:
        codes = list(dict.fromkeys((self.cleaned_data.get("related_codes") or "").replace(
            ",", " ").replace("，", " ").split()))
        if not codes:
            return []
        items = {i.implementation_code: i for i in ServiceItem.objects.filter(
            implementation_code__in=codes)}
        unknown = [c for c in codes if c not in items]
        if unknown:
            raise forms.ValidationError(
                _("找不到这些事项：%(codes)s") % {"codes": "、".join(unknown[:5])})
        return [items[c] for c in codes]


class FilterForm(forms.Form):
    q = forms.CharField(label=_("检索"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部"))] + list(ArticleStatus.choices))
    department = forms.IntegerField(label=_("部门"), required=False, min_value=1)
