"""Admin screens of 好差评 and 投诉: read-only lists for looking things up, scoped like the
workbench. Every state change (follow-up, appeal, complaint) goes through the workbench pages
and their services, so nothing here can be added, changed or deleted — not even by a superuser.

Who reads what (the rows of the user's region subtree / department, as ``ScopedAdmin`` does):

- 好差评 (:class:`Evaluation`): the supervision office (``supervise``) and whoever reads the
  figures (``stats.view``: a department head or chief representative for their department);
- 差评整改 (:class:`FollowUp`): as the workbench inbox (``selectors.follow_up_scope_q``): the
  responsible department's case handlers, a centre's management for its general windows, the
  supervision office;
- 申诉复核, 投诉, 评价邀请: the supervision office only. A complaint's complainant is masked
  here too; an invitation's reply code and link token (they let anyone rate) are never shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import BigIntegerField, Exists, Model, OuterRef, Q, QuerySet, When
from django.db.models import Case as DbCase
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.admin_scoping import ScopedAdmin
from onewindow.cases.models import Case
from onewindow.core import clock
from onewindow.core.masking import mask_name, mask_phone, mask_text
from onewindow.evaluation import selectors
from onewindow.evaluation.models import (
    Appeal,
    Complaint,
    Evaluation,
    FollowUp,
    Invitation,
    ServiceKind,
)
from onewindow.hall.models import Ticket


def masked_user(user: Any) -> str:
    """An applicant's account as a list may show it: a masked name, else a masked mobile."""
    if user is None:
        return ""
    if user.display_name:
        return mask_name(user.display_name)
    if user.phone and user.username == user.phone:
        return mask_phone(user.phone)
    return mask_name(user.username)


# What the detail pages show: every field read-only, personal data through masked columns.
EVALUATION_FIELDS = (
    "service_kind", "service_ref", "service_label", "region", "department", "window", "staff",
    "level", "comment", "channel", "rater_masked", "phone_masked", "real_name", "created_at",
    "excluded", "second_level", "second_comment", "second_channel", "second_at",
)
FOLLOW_UP_FIELDS = (
    "evaluation", "state", "responsible", "region", "department", "opened_at", "due",
    "due_provisional", "verification", "callback_note", "called_at", "called_by", "outcome",
    "response", "rectify_by", "answered_at", "answered_by", "on_time", "closed_at",
    "closed_reason",
)
APPEAL_FIELDS = (
    "evaluation", "state", "reason", "filed_by", "filed_at", "decided_by", "decided_at",
    "decision_note",
)
COMPLAINT_FIELDS = (
    "number", "channel", "state", "target_kind", "target_window", "target_staff", "target_case",
    "department", "region", "subject", "content_masked", "complainant_name_masked",
    "complainant_mobile_masked", "complainant_account", "created_at", "due", "assignee",
    "assigned_at", "department_asked", "department_statement", "statement_at", "investigation",
    "substantiated", "answer", "answered_at", "answered_by", "on_time", "rating",
    "rating_comment", "rated_at",
)
INVITATION_FIELDS = (
    "service_kind", "service_ref", "purpose", "phone_masked", "user_masked", "sent_at",
    "expires_at", "used_at",
)


class ReadOnlyScopedAdmin(ScopedAdmin):
    """Read-only, and narrowed to the rows any of ``view_perms`` reaches."""

    view_perms: tuple[Perm, ...] = (Perm.SUPERVISE,)
    region_field: str | None = "region"
    department_field: str | None = "department"

    def scope(self, user: Any) -> Q:
        q = Q(pk__in=[])
        for perm in self.view_perms:
            q |= access.scope_q(user, perm, region_field=self.region_field or "region",
                                department_field=self.department_field)
        return q

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        return qs.filter(self.scope(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or any(
            access.has_any(request.user, p) for p in self.view_perms)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if not self.has_module_permission(request):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


class OverdueFilter(admin.SimpleListFilter):
    """逾期: still open and past its due date."""

    title = _("是否逾期")
    parameter_name = "overdue"
    open_states: tuple[str, ...] = ()

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("已逾期")), ("0", _("未逾期"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        overdue = Q(state__in=self.open_states, due__lt=clock.today())
        if self.value() == "1":
            return queryset.filter(overdue)
        if self.value() == "0":
            return queryset.exclude(overdue)
        return queryset


class FollowUpOverdue(OverdueFilter):
    open_states = tuple(selectors.OPEN_FOLLOW_UP)


class ComplaintOverdue(OverdueFilter):
    open_states = tuple(selectors.OPEN_COMPLAINT)


# --- 好差评 ----------------------------------------------------------------------------------


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyScopedAdmin):
    view_perms = (Perm.SUPERVISE, Perm.STATS_VIEW)
    list_display = ["service_label", "service_kind", "level", "channel", "department",
                    "window", "staff", "rater_masked", "phone_masked", "created_at", "excluded"]
    list_filter = ["level", "channel", "excluded", "service_kind"]
    list_select_related = ["department", "window", "staff", "rater"]
    search_fields = ["=service_ref"]
    search_help_text = _("按办件编号或排队号编号精确查找")
    fields = EVALUATION_FIELDS
    readonly_fields = EVALUATION_FIELDS
    ordering = ["-created_at", "-id"]

    @admin.display(description=_("评价人"))
    def rater_masked(self, obj: Evaluation) -> str:
        return masked_user(obj.rater)

    @admin.display(description=_("评价人手机"))
    def phone_masked(self, obj: Evaluation) -> str:
        return mask_phone(obj.rater_phone)


# --- 差评整改 ----------------------------------------------------------------------------------


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyScopedAdmin):
    view_perms = (Perm.SUPERVISE, Perm.CASE_REVIEW, Perm.HALL_MANAGE)
    list_display = ["service", "level", "state", "responsible", "department", "region",
                    "opened_at", "due", "is_overdue", "answered_at", "on_time"]
    list_filter = ["state", FollowUpOverdue, "responsible", "outcome"]
    list_select_related = ["evaluation", "department", "region"]
    fields = FOLLOW_UP_FIELDS
    readonly_fields = FOLLOW_UP_FIELDS
    ordering = ["due", "id"]

    def scope(self, user: Any) -> Q:
        return selectors.follow_up_scope_q(user)

    @admin.display(description=_("评价对象"), ordering="evaluation__service_label")
    def service(self, obj: FollowUp) -> str:
        return obj.evaluation.service_label

    @admin.display(description=_("评价等级"), ordering="evaluation__level")
    def level(self, obj: FollowUp) -> str:
        return str(obj.evaluation.get_level_display())

    @admin.display(description=_("已逾期"), boolean=True)
    def is_overdue(self, obj: FollowUp) -> bool:
        return obj.state in selectors.OPEN_FOLLOW_UP and obj.due < clock.today()


# --- 申诉复核 ----------------------------------------------------------------------------------


@admin.register(Appeal)
class AppealAdmin(ReadOnlyScopedAdmin):
    region_field = "evaluation__region"
    department_field = "evaluation__department"
    list_display = ["service", "department", "state", "filed_by", "filed_at", "decided_by",
                    "decided_at"]
    list_filter = ["state"]
    list_select_related = ["evaluation__department", "filed_by", "decided_by"]
    fields = APPEAL_FIELDS
    readonly_fields = APPEAL_FIELDS
    ordering = ["-filed_at", "-id"]

    @admin.display(description=_("评价对象"), ordering="evaluation__service_label")
    def service(self, obj: Appeal) -> str:
        return obj.evaluation.service_label

    @admin.display(description=_("部门"))
    def department(self, obj: Appeal) -> str:
        dept = obj.evaluation.department
        return dept.name if dept else str(_("服务中心"))


# --- 投诉 ------------------------------------------------------------------------------------


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyScopedAdmin):
    """Only the supervision office, and even then the complainant is masked (the workbench's
    complaint page is where the handler sees whom to call back)."""

    list_display = ["number", "channel", "state", "target_kind", "department", "region",
                    "subject", "complainant_name_masked", "complainant_mobile_masked",
                    "created_at", "due", "is_overdue"]
    list_filter = ["state", ComplaintOverdue, "channel", "target_kind", "substantiated"]
    list_select_related = ["department", "region"]
    search_fields = ["=number"]
    search_help_text = _("按投诉编号精确查找")
    fields = COMPLAINT_FIELDS
    readonly_fields = COMPLAINT_FIELDS
    ordering = ["-created_at", "-id"]

    def scope(self, user: Any) -> Q:
        return selectors.supervision_q(user)

    @admin.display(description=_("投诉人"))
    def complainant_name_masked(self, obj: Complaint) -> str:
        return mask_name(obj.complainant_name)

    @admin.display(description=_("投诉人手机"))
    def complainant_mobile_masked(self, obj: Complaint) -> str:
        return mask_phone(obj.complainant_mobile)

    @admin.display(description=_("投诉人账户"))
    def complainant_account(self, obj: Complaint) -> str:
        return masked_user(obj.complainant_user)

    @admin.display(description=_("投诉内容"))
    def content_masked(self, obj: Complaint) -> str:
        text = mask_text(obj.content)
        name = obj.complainant_name.strip()
        return text.replace(name, mask_name(name)) if name else text

    @admin.display(description=_("已逾期"), boolean=True)
    def is_overdue(self, obj: Complaint) -> bool:
        return obj.state in selectors.OPEN_COMPLAINT and obj.due < clock.today()


# --- 评价邀请 ----------------------------------------------------------------------------------


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyScopedAdmin):
    """Invitations name their service by kind and reference only: the scope is that of the
    case or the ticket (its centre's region, its window's department)."""

    list_display = ["service_kind", "service_ref", "purpose", "phone_masked", "user_masked",
                    "sent_at", "expires_at", "used_at"]
    list_filter = ["purpose", "service_kind"]
    search_fields = ["=service_ref"]
    search_help_text = _("按办件编号或排队号编号精确查找")
    fields = INVITATION_FIELDS
    readonly_fields = INVITATION_FIELDS
    ordering = ["-sent_at", "-id"]

    def scope(self, user: Any) -> Q:
        cases = Case.objects.filter(access.scope_q(user, Perm.SUPERVISE),
                                    case_no=OuterRef("service_ref"))
        tickets = Ticket.objects.filter(
            access.scope_q(user, Perm.SUPERVISE, region_field="centre__region",
                           department_field="window__department"),
            pk=OuterRef("ticket_ref"))
        return (Q(service_kind=ServiceKind.CASE) & Exists(cases)) | (
            Q(service_kind=ServiceKind.TICKET) & Exists(tickets))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # A ticket's reference is its id as text; the CASE keeps other kinds' references
        # (case numbers) away from the cast.
        qs = admin.ModelAdmin.get_queryset(self, request).select_related("user").annotate(
            ticket_ref=DbCase(When(service_kind=ServiceKind.TICKET,
                                   then=Cast("service_ref", BigIntegerField())),
                              default=None, output_field=BigIntegerField()))
        if request.user.is_superuser:
            return qs
        return qs.filter(self.scope(request.user))

    @admin.display(description=_("手机号码"))
    def phone_masked(self, obj: Invitation) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("账户"))
    def user_masked(self, obj: Invitation) -> str:
        return masked_user(obj.user)
