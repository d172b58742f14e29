"""Forms of the applicants' pages (网上办事大厅).

The application form (申请表) is generated from the item version's ``form_schema``. These forms
only collect and re-display what was typed: every value is checked by the services
(:func:`onewindow.cases.forms_schema.clean_form_data`), whose field errors (``form.<name>``)
are put back beside each field, so the rules live in one place.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import Applicant, ApplicantKind

# Widgets per schema type: (widget class, extra HTML attributes).
_BOOLEAN_CHOICES = [("true", _("是")), ("false", _("否"))]


def _widget(field: dict[str, Any]) -> forms.Widget:
    kind = field.get("type", "text")
    limit = field.get("max_length")
    attrs: dict[str, Any] = {}
    if kind == "textarea":
        attrs.update(rows=4, maxlength=limit or 2000)
        return forms.Textarea(attrs=attrs)
    if kind == "select":
        choices = [("", _("请选择"))] + [(c, c) for c in field.get("choices") or []]
        return forms.Select(choices=choices)
    if kind == "boolean":
        return forms.RadioSelect(choices=_BOOLEAN_CHOICES)
    if kind == "date":
        return forms.DateInput(attrs={"type": "date"})
    if kind == "number":
        attrs.update(inputmode="decimal", maxlength=limit or 30)
    elif kind == "phone":
        return forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "maxlength": 11,
                                      "autocomplete": "tel"})
    elif kind == "id_number":
        attrs.update(maxlength=18, autocomplete="off", spellcheck="false",
                     autocapitalize="characters")
    elif kind == "credit_code":
        attrs.update(maxlength=18, autocomplete="off", spellcheck="false",
                     autocapitalize="characters")
    else:
        attrs.update(maxlength=limit or 200)
    return forms.TextInput(attrs=attrs)


def initial_value(field: dict[str, Any], value: Any) -> Any:
    """A stored form value as the widget shows it (booleans as the radio choice)."""
    if field.get("type") == "boolean" and isinstance(value, bool):
        return "true" if value else "false"
    return value


def display_value(field: dict[str, Any], value: Any) -> str:
    """A stored form value as read in the summary (是/否 for booleans)."""
    if value is None or value == "":
        return ""
    if field.get("type") == "boolean":
        return str(_("是")) if value is True else str(_("否"))
    return str(value)


def schema_fields(schema: Any) -> list[dict[str, Any]]:
    """The usable entries of a form schema (a dict with a name each)."""
    return [f for f in (schema or []) if isinstance(f, dict) and f.get("name")]


class ApplicationForm(forms.Form):
    """申请表: one field per schema entry. Nothing is required here: drafts may be partial and
    the service decides what is missing or wrong; ``schema_required`` drives the required mark.
    """

    row_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, schema: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema_fields(schema)
        for entry in self.schema:
            field = forms.CharField(
                label=entry.get("label") or entry["name"], required=False,
                widget=_widget(entry), help_text=entry.get("help", ""),
            )
            field.schema_required = bool(entry.get("required"))  # type: ignore[attr-defined]
            field.schema_type = entry.get("type", "text")  # type: ignore[attr-defined]
            self.fields[entry["name"]] = field

    def form_data(self) -> dict[str, Any]:
        """The typed values by schema name (after :meth:`is_valid`)."""
        return {e["name"]: self.cleaned_data.get(e["name"], "") for e in self.schema}

    def add_service_errors(self, field_errors: dict[str, list[str]]) -> list[str]:
        """Put ``form.<name>`` errors beside their fields; return the ones without a field."""
        rest: list[str] = []
        for key, messages in field_errors.items():
            name = key.removeprefix("form.")
            if key.startswith("form.") and name in self.fields:
                for message in messages:
                    self.add_error(name, message)
            else:
                rest.extend(messages)
        return rest


def prefill(schema: Any, applicant: Applicant) -> dict[str, Any]:
    """Values the applicant's real-name identity already gives (name, ID, mobile …)."""
    person = applicant.kind == ApplicantKind.PERSON
    data: dict[str, Any] = {}
    for entry in schema_fields(schema):
        name, kind = entry["name"], entry.get("type")
        value: str | None = None
        if kind == "id_number" and person and name in ("id_number", "applicant_id"):
            value = applicant.id_number
        elif kind == "credit_code" and not person:
            value = applicant.credit_code
        elif kind == "phone" and name in ("mobile", "contact_mobile", "phone"):
            value = applicant.mobile
        elif kind == "text" and person and name in ("applicant_name", "name"):
            value = applicant.name
        elif kind == "text" and not person and name in ("org_name", "company_name"):
            value = applicant.name
        elif kind == "text" and not person and name == "legal_representative":
            value = applicant.legal_representative
        if value:
            data[name] = value
    return data


class ApplicantChoiceForm(forms.Form):
    """Which of the signed-in user's identities applies (本人 or a company they represent)."""

    applicant = forms.TypedChoiceField(
        label=_("以哪个身份申请"), coerce=int, widget=forms.RadioSelect,
        error_messages={"required": _("请选择申请人身份。"),
                        "invalid_choice": _("请选择申请人身份。")},
    )

    def __init__(self, applicants: list[Applicant], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applicants = {a.pk: a for a in applicants}
        self.fields["applicant"].choices = [  # type: ignore[attr-defined]
            (a.pk, f"{a.get_kind_display()}：{a.masked_name}（{a.masked_identity}）")
            for a in applicants
        ]
        if len(applicants) == 1:
            self.fields["applicant"].initial = applicants[0].pk

    def chosen(self) -> Applicant:
        return self.applicants[self.cleaned_data["applicant"]]


class LookupForm(forms.Form):
    """办件查询: case number and query code (both needed; no hint which one was wrong)."""

    case_no = forms.CharField(
        label=_("办件编号"), max_length=40,
        error_messages={"required": _("请输入办件编号。")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "placeholder": "379902-20260101-00000001"}),
    )
    query_code = forms.CharField(
        label=_("查询码"), max_length=24,
        error_messages={"required": _("请输入查询码。")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "characters"}),
        help_text=_("8 位查询码见提交成功页面和短信通知。"),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("撤回原因（选填）"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
    )
