"""Sign-in pages: staff with password (lock-out after repeated failures), applicants by SMS code."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from onewindow.accounts import services
from onewindow.accounts.forms import (
    ApplicantProfileForm,
    PhoneCodeForm,
    PhoneForm,
    StaffLoginForm,
)
from onewindow.accounts.models import Applicant, User
from onewindow.core.errors import DomainError
from onewindow.notifications.models import Notification


class StaffLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = StaffLoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return "/workbench/"


staff_login = StaffLoginView.as_view()


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:  # noqa: E501
    minutes = int(float(settings.AXES_COOLOFF_TIME) * 60)
    return render(request, "accounts/locked.html", {"minutes": minutes}, status=429)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@require_http_methods(["GET", "POST"])
def applicant_login(request: HttpRequest) -> HttpResponse:
    """Two steps on one page: send a code to the mobile number, then enter it."""
    send_form = PhoneForm(request.POST or None if request.POST.get("step") == "send" else None)
    code_form = PhoneCodeForm(
        request.POST if request.POST.get("step") == "verify" else None,
        initial={"phone": request.POST.get("phone", "")},
    )
    code_sent = False
    if request.method == "POST" and request.POST.get("step") == "send" and send_form.is_valid():
        try:
            services.phone_code_send(phone=send_form.cleaned_data["phone"])
        except DomainError as exc:
            for field, errs in exc.field_errors.items():
                for err in errs:
                    send_form.add_error(field if field in send_form.fields else None, err)
        else:
            code_sent = True
            code_form = PhoneCodeForm(initial={"phone": send_form.cleaned_data["phone"]})
            messages.success(request, _("验证码已发送，请查收短信。"))
    elif request.method == "POST" and request.POST.get("step") == "verify":
        code_sent = True
        if code_form.is_valid():
            user = services.phone_code_verify(
                phone=code_form.cleaned_data["phone"], code=code_form.cleaned_data["code"]
            )
            if user is None:
                code_form.add_error("code", _("验证码不正确或已过期，请重新获取。"))
            else:
                login(request, user, backend="onewindow.accounts.backends.PhoneCodeBackend")
                if not Applicant.objects.filter(user=user).exists():
                    return redirect("accounts:applicant_profile")
                return redirect(_next_url(request))
    return render(
        request,
        "accounts/applicant_login.html",
        {
            "send_form": send_form,
            "code_form": code_form,
            "code_sent": code_sent,
            "next": _next_url(request),
            "demo_sms": settings.DEBUG,
        },
    )


@login_required(login_url="accounts:applicant_login")
@require_http_methods(["GET", "POST"])
def applicant_profile(request: HttpRequest) -> HttpResponse:
    """First sign-in: the person or company completes their identity (real-name)."""
    user = cast(User, request.user)
    existing = Applicant.objects.filter(user=user).order_by("id")
    form = ApplicantProfileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.applicant_register(
                actor=user,
                kind=data["kind"],
                name=data["name"],
                mobile=user.phone or "",
                id_number=data["id_number"],
                credit_code=data["credit_code"],
                legal_representative=data["legal_representative"],
                link_user=user,
            )
        except DomainError as exc:
            for field, errs in exc.field_errors.items():
                for err in errs:
                    form.add_error(field if field in form.fields else None, err)
            if not exc.field_errors:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("实名信息已保存。"))
            return redirect("portal:home")
    return render(
        request, "accounts/applicant_profile.html", {"form": form, "applicants": existing}
    )


def demo_sms(request: HttpRequest) -> HttpResponse:
    """Demo only (DEBUG): the stored SMS messages of one number, to read a sign-in code."""
    if not settings.DEBUG:
        raise Http404
    form = PhoneForm(request.GET or None)
    rows: list[Notification] = []
    if form.is_valid():
        rows = list(
            Notification.objects.filter(phone=form.cleaned_data["phone"]).order_by("-created_at")[
                :10
            ]
        )
    return render(request, "accounts/demo_sms.html", {"form": form, "rows": rows})
