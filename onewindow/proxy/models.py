"""代办服务 (village agents): the published list of items agents handle in full, the villager's
consent for each proxy case, the agent's steps and the one-time codes a villager confirms with.

- :class:`ProxyItem` — 全程代办事项清单: an item of the catalogue that agents of ``region`` (and
  its subtree) may apply for on a villager's behalf; published lists are public.
- :class:`ProxyConsent` — 代办委托: one per proxy case. The villager (the case's applicant)
  consents by SMS code, a signed paper form (photo) or in person before a witness; the agent
  and the agent's region are recorded; the case is linked when the application is submitted.
  ``stage`` is the last step done (see :mod:`onewindow.proxy.workflow`).
- :class:`ProxyStep` — 代办记录: consent, materials received, delivered to the centre, result
  collected, handed over — each once, in order, with actor, time and note.
- :class:`ProxyCode` — a 6-digit code sent to the villager's mobile (consent, hand-over); only
  its hash is stored; it expires and allows a limited number of wrong attempts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import Applicant
from onewindow.cases.models import Case
from onewindow.catalog.models import ServiceItem
from onewindow.core.models import TimeStampedModel
from onewindow.proxy.workflow import Stage, Step
from onewindow.regions.models import Region


class ProxyItem(TimeStampedModel):
    """全程代办事项: ``item`` may be applied for by the agents of ``region``'s subtree.

    The item is exercised at ``region`` or above it (a town's list may hold district items:
    the case belongs to the item's region and department). ``full_proxy`` False marks an item
    agents help with but for which the villager must appear once (``note`` says when).
    """

    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT,
                             related_name="+")
    region = models.ForeignKey(Region, verbose_name=_("清单所属区划"), on_delete=models.PROTECT,
                               related_name="+")
    full_proxy = models.BooleanField(_("全程代办"), default=True,
                                     help_text=_("不勾选：可代办，但群众须本人到场一次（请在说明中写明）。"))
    note = models.CharField(_("代办说明"), max_length=300, blank=True)
    published = models.BooleanField(_("已公布"), default=False)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("全程代办事项")
        verbose_name_plural = _("全程代办事项清单")
        ordering = ["region__code", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "region"], name="proxy_item_once_per_region"),
        ]
        indexes = [models.Index(fields=["region", "published"], name="proxy_item_list")]

    def __str__(self) -> str:
        return f"{self.region} · {self.item}"


class ConsentMethod(models.TextChoices):
    SMS = "sms", _("短信验证码确认")
    PAPER = "paper", _("签字委托书（拍照上传）")
    WITNESS = "witness", _("当面委托（见证人在场）")


class ProxyConsent(models.Model):
    """代办委托: the villager's consent for one proxy case, and where that case stands."""

    villager = models.ForeignKey(Applicant, verbose_name=_("委托人（群众）"),
                                 on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("代办员"),
                              on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, verbose_name=_("代办员所在区划"),
                               on_delete=models.PROTECT, related_name="+", db_index=False)
    method = models.CharField(_("委托方式"), max_length=10, choices=ConsentMethod.choices)
    text_version = models.CharField(_("委托书文本版本"), max_length=20)
    text = models.TextField(_("委托书文本"))
    mobile = models.CharField(_("确认手机号码"), max_length=11, blank=True)
    recorded_at = models.DateTimeField(_("委托确认时间"), null=True, blank=True)
    file = models.FileField(_("签字委托书"), upload_to="proxy/consents/%Y/%m/", blank=True,
                            max_length=200)
    file_type = models.CharField(_("文件类型"), max_length=40, blank=True)
    file_sha256 = models.CharField(_("文件摘要"), max_length=64, blank=True)
    witness_name = models.CharField(_("见证人"), max_length=50, blank=True)
    witness_relation = models.CharField(_("见证人身份"), max_length=50, blank=True)
    proxy_item = models.ForeignKey(ProxyItem, verbose_name=_("代办事项"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="+")
    case = models.OneToOneField(Case, verbose_name=_("办件"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="proxy_consent")
    stage = models.CharField(_("代办进度"), max_length=20, choices=Stage.choices,
                             default=Stage.PENDING)
    stage_at = models.DateTimeField(_("进度更新时间"))
    next_due = models.DateField(_("下一步应完成日期"), null=True, blank=True)
    step_count = models.PositiveSmallIntegerField(_("记录数"), default=0)
    created_at = models.DateTimeField(_("创建时间"))
    cancel_reason = models.CharField(_("取消原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("代办委托")
        verbose_name_plural = _("代办委托")
        indexes = [
            # An agent's list: their open proxy cases, the most urgent first.
            models.Index(fields=["agent", "next_due"], name="proxy_agent_due"),
            # The management office's list: by region subtree (prefix range), newest first.
            models.Index(fields=["region", "-created_at"], name="proxy_region_recent"),
        ]

    def __str__(self) -> str:
        return f"代办委托 {self.pk}"

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label)


class ProxyStep(models.Model):
    """代办记录: one step of the agent's work, recorded once and in order."""

    consent = models.ForeignKey(ProxyConsent, verbose_name=_("代办委托"),
                                on_delete=models.CASCADE, related_name="steps")
    seq = models.PositiveSmallIntegerField(_("序号"))
    step = models.CharField(_("环节"), max_length=20, choices=Step.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经办人"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    file = models.FileField(_("签收照片"), upload_to="proxy/steps/%Y/%m/", blank=True,
                            max_length=200)
    file_type = models.CharField(_("文件类型"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("代办记录")
        verbose_name_plural = _("代办记录")
        ordering = ["consent", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["consent", "seq"], name="proxy_step_seq"),
            models.UniqueConstraint(fields=["consent", "step"], name="proxy_step_once"),
        ]

    def __str__(self) -> str:
        return f"{self.consent_id}#{self.seq} {self.step}"


class CodePurpose(models.TextChoices):
    CONSENT = "consent", _("委托确认")
    HANDOVER = "handover", _("交付确认")


class ProxyCode(models.Model):
    """A one-time code sent to the villager's mobile. Only its hash is stored."""

    consent = models.ForeignKey(ProxyConsent, verbose_name=_("代办委托"),
                                on_delete=models.CASCADE, related_name="codes")
    purpose = models.CharField(_("用途"), max_length=10, choices=CodePurpose.choices)
    phone = models.CharField(_("手机号码"), max_length=11)
    code_hash = models.CharField(max_length=128)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发送人"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    used_at = models.DateTimeField(_("验证时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("代办验证码")
        verbose_name_plural = _("代办验证码")
        indexes = [models.Index(fields=["consent", "purpose", "-created_at"],
                                name="proxycode_recent")]

    def __str__(self) -> str:
        return f"{self.consent_id} {self.purpose}"
