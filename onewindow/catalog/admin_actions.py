"""Admin screens that write through services: publish drafts, issue and revoke authorisations.

Each asks only for what the action needs (an effective date, a reason …) and shows the
service's field errors next to the fields; nothing is written when a rule is broken.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Role, User
from onewindow.catalog import services
from onewindow.catalog.exchange import guide_to_dict
from onewindow.catalog.models import Authorisation, ItemVersion, ServiceItem, VersionStatus
from onewindow.catalog.validation import BASIC_KEYS
from onewindow.core.errors import DomainError
from onewindow.regions.models import Department


def _render(
    request: HttpRequest, model_admin: admin.ModelAdmin, *, title: str, form: forms.Form,
    submit_label: str, ids: list[int] | None = None, action: str = "", intro: str = "",
    objects: list[Any] | None = None,
) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title, "form": form, "submit_label": submit_label, "ids": ids or [],
        "action": action, "intro": intro, "objects": objects or [],
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/catalog/action_form.html", context)


def _apply_errors(form: forms.Form, exc: DomainError) -> None:
    placed = False
    for field, problems in exc.field_errors.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


# --- publishing drafts ------------------------------------------------------------------------


class PublishForm(forms.Form):
    effective_from = forms.DateField(
        label=gettext_lazy("生效日期"), help_text=gettext_lazy("今天或以后；到期自动生效。"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_effective_from(self) -> date:
        value: date = self.cleaned_data["effective_from"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("生效日期不能早于今天。"))
        return value


@admin.action(description=gettext_lazy("发布所选草稿"))
def publish_drafts(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[ItemVersion]
) -> HttpResponse | None:
    drafts = list(
        queryset.filter(status=VersionStatus.DRAFT).select_related("item__basic", "item__region")
    )
    if not drafts:
        model_admin.message_user(request, _("所选版本中没有草稿。"), messages.WARNING)
        return None
    form = PublishForm(request.POST if "apply" in request.POST else None,
                       initial={"effective_from": timezone.localdate()})
    if "apply" in request.POST and form.is_valid():
        published, failed = 0, []
        for version in drafts:
            try:
                services.version_publish(
                    actor=request.user, version=version,
                    effective_from=form.cleaned_data["effective_from"],
                )
                published += 1
            except DomainError as exc:
                failed.append(f"{version}：{exc.message}")
        if published:
            model_admin.message_user(
                request, _("已发布 %(n)s 个版本。") % {"n": published}, messages.SUCCESS
            )
        for line in failed:
            model_admin.message_user(request, line, messages.ERROR)
        return None
    return _render(
        request, model_admin, title=_("发布草稿"), form=form, submit_label=_("发布"),
        ids=[v.pk for v in drafts], action="publish_drafts", objects=drafts,
        intro=_("发布后，新版本自生效日期起对外公开；此前的版本仍可查阅。"),
    )



# --- chief representative authorisations --------------------------------------------------


class IssueForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("授权书编号"), max_length=40)
    department = forms.ModelChoiceField(
        label=gettext_lazy("授权部门"), queryset=Department.objects.none()
    )
    holder = forms.ModelChoiceField(label=gettext_lazy("首席代表"), queryset=User.objects.none())
    items = forms.ModelMultipleChoiceField(
        label=gettext_lazy("授权事项"), queryset=ServiceItem.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=gettext_lazy("只能选择本部门实施的事项。"),
    )
    valid_from = forms.DateField(
        label=gettext_lazy("生效日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=gettext_lazy("截止日期"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = Department.objects.filter(
            access.department_scope_q(user, Perm.AUTHORISATION_ISSUE)
        )
        dep_field: Any = self.fields["department"]
        dep_field.queryset = departments.select_related("region")
        holder_field: Any = self.fields["holder"]
        holder_field.queryset = User.objects.filter(
            role_assignments__role=Role.CHIEF, role_assignments__is_active=True,
            role_assignments__department__in=departments,
        ).distinct()
        item_field: Any = self.fields["items"]
        item_field.queryset = ServiceItem.objects.filter(
            department__in=departments
        ).select_related("basic")


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("撤销原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


def issue_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not access.has_any(request.user, Perm.AUTHORISATION_ISSUE):
        raise DjangoPermissionDenied
    today = timezone.localdate()
    form = IssueForm(
        request.POST or None, user=request.user,
        initial={"valid_from": today, "valid_to": today + timedelta(days=365)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.authorisation_issue(
                actor=request.user, holder=data["holder"], department=data["department"],
                items=data["items"], valid_from=data["valid_from"], valid_to=data["valid_to"],
                number=data["number"],
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            model_admin.message_user(request, _("授权书已签发。"), messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:catalog_authorisation_changelist"))
    return _render(request, model_admin, title=_("签发首席代表授权书"), form=form,
                   submit_label=_("签发"))


@admin.action(description=gettext_lazy("撤销所选授权书"))
def revoke_authorisations(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Authorisation]
) -> HttpResponse | None:
    rows = list(queryset.filter(revoked_at__isnull=True).select_related("department__region"))
    if not rows:
        model_admin.message_user(request, _("所选授权书都已撤销。"), messages.WARNING)
        return None
    form = RevokeForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        for row in rows:
            try:
                services.authorisation_revoke(
                    actor=request.user, authorisation=row, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                model_admin.message_user(request, f"{row}：{exc.message}", messages.ERROR)
            else:
                model_admin.message_user(request, _("%(n)s 已撤销。") % {"n": row.number})
        return None
    return _render(
        request, model_admin, title=_("撤销授权书"), form=form, submit_label=_("撤销"),
        ids=[r.pk for r in rows], action="revoke_authorisations", objects=rows,
    )



# --- a new implementation from an existing one (三级四同) -----------------------------------


class CopyItemForm(forms.Form):
    source = forms.ModelChoiceField(
        label=gettext_lazy("参照事项"), queryset=ServiceItem.objects.none(),
        help_text=gettext_lazy(
            "新事项沿用其基本目录（名称、类型、依据、法定时限）并复制办事指南为草稿。"
        ),
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("实施主体"), queryset=Department.objects.none(),
        help_text=gettext_lazy("实施区划即该部门所属区划。"),
    )
    implementation_code = forms.CharField(label=gettext_lazy("实施编码"), max_length=36)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source: Any = self.fields["source"]
        source.queryset = ServiceItem.objects.filter(
            current_version__isnull=False
        ).select_related("basic", "region").order_by("basic__name", "region__code")
        department: Any = self.fields["department"]
        department.queryset = Department.objects.filter(
            access.department_scope_q(user, Perm.CATALOG_EDIT)
        ).select_related("region")


def copy_item_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """新建实施事项: the same basic item implemented by another region's department."""
    if not access.has_any(request.user, Perm.CATALOG_EDIT):
        raise DjangoPermissionDenied
    form = CopyItemForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        source: ServiceItem = form.cleaned_data["source"]
        department: Department = form.cleaned_data["department"]
        assert source.current_version is not None
        basic = {key: getattr(source.basic, key) for key in BASIC_KEYS}
        guide = guide_to_dict(source.current_version)
        guide["co_department_codes"] = []  # another region's departments do not apply here
        try:
            item = services.item_create(
                actor=request.user, basic=basic, region=department.region,
                department=department,
                implementation_code=form.cleaned_data["implementation_code"].strip(),
                guide=guide,
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            draft = item.versions.get()
            model_admin.message_user(
                request, _("已新建事项草稿，请核对办事指南后发布。"), messages.SUCCESS
            )
            return HttpResponseRedirect(
                reverse("admin:catalog_itemversion_change", args=[draft.pk])
            )
    return _render(request, model_admin, title=_("新建实施事项"), form=form,
                   submit_label=_("新建草稿"))
