"""Accounts: staff with scoped roles, applicants (persons and organisations), one-time codes."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.core.masking import mask_id_number, mask_name, mask_phone
from onewindow.core.models import TimeStampedModel
from onewindow.regions.models import Department, Region


class User(AbstractUser):
    """Every person who signs in: staff (password) or applicant (mobile number + code)."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号码"), max_length=11, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def shown_name(self) -> str:
        """The name in the page header: an applicant's user name is their mobile number, which is
        masked there (the header is on every page, screenshots and shoulder-surfing included)."""
        if self.display_name:
            return self.display_name
        if self.phone and self.username == self.phone:
            return mask_phone(self.phone)
        return self.username

    @property
    def is_applicant(self) -> bool:
        return self.applicants.exists()


class Role(models.TextChoices):
    ADMIN = "admin", _("政管办管理员")
    CLERK = "clerk", _("窗口受理人员")
    CHIEF = "chief", _("首席代表")
    REVIEWER = "reviewer", _("审核人员")
    DEPARTMENT_HEAD = "dept_head", _("部门负责人")
    AGENT = "agent", _("代办员")
    OPERATOR = "operator", _("话务员")
    SUPERVISOR = "supervisor", _("监察室人员")


# Roles that are always held for one department (a department's own staff).
DEPARTMENT_ROLES = frozenset({Role.CHIEF, Role.REVIEWER, Role.DEPARTMENT_HEAD})


class StaffMember(TimeStampedModel):
    """工作人员: the staff profile of a user (staff number, home region and department)."""

    user = models.OneToOneField(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="staff_profile"
    )
    staff_number = models.CharField(_("工号"), max_length=20, unique=True)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT)
    department = models.ForeignKey(
        Department, verbose_name=_("所属部门"), null=True, blank=True, on_delete=models.PROTECT
    )
    title = models.CharField(_("职务"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        ordering = ["staff_number"]

    def __str__(self) -> str:
        return f"{self.staff_number} {self.user}"


class RoleAssignment(TimeStampedModel):
    """A role held within a region subtree and, where it applies, one department."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("辖区"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            # Two partial constraints instead of NULLS NOT DISTINCT, which SQLite lacks.
            models.UniqueConstraint(
                fields=["user", "role", "region", "department"], name="unique_role_assignment",
                condition=models.Q(department__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region"], name="unique_role_assignment_no_department",
                condition=models.Q(department__isnull=True),
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=sorted(r.value for r in DEPARTMENT_ROLES))
                | models.Q(department__isnull=False),
                name="department_role_has_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region}"


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("法人及其他组织")


class Applicant(TimeStampedModel):
    """申请人: a person (resident ID, GB 11643) or an organisation (credit code, GB 32100)."""

    kind = models.CharField(_("类型"), max_length=20, choices=ApplicantKind.choices)
    name = models.CharField(_("姓名/名称"), max_length=100)
    id_number = models.CharField(
        _("公民身份号码"), max_length=18, null=True, blank=True, unique=True
    )
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=11)
    user = models.ForeignKey(
        User, verbose_name=_("账户"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="applicants",
    )

    class Meta:
        verbose_name = _("申请人")
        verbose_name_plural = _("申请人")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="person") & models.Q(id_number__isnull=False))
                | (models.Q(kind="organisation") & models.Q(credit_code__isnull=False)),
                name="applicant_has_identity_number",
            )
        ]

    def __str__(self) -> str:
        return self.masked_name

    @property
    def masked_name(self) -> str:
        return self.name if self.kind == ApplicantKind.ORGANISATION else mask_name(self.name)

    @property
    def masked_identity(self) -> str:
        if self.kind == ApplicantKind.PERSON:
            return mask_id_number(self.id_number)
        return self.credit_code or ""

    @property
    def masked_mobile(self) -> str:
        return mask_phone(self.mobile)


class PhoneCode(models.Model):
    """A one-time sign-in code sent by SMS. Only its hash is stored."""

    phone = models.CharField(_("手机号码"), max_length=11, db_index=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [models.Index(fields=["phone", "-created_at"], name="phonecode_recent")]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """接口令牌: lets another system call the API as a user. Only a hash of the secret is kept."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("用途"), max_length=100, blank=True)
    prefix = models.CharField(_("令牌前缀"), max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
