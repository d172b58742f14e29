"""Joint site inspection (联合踏勘) and joint review meeting (联席会议 / 集中会审) of parallel
approval (并联审批).

Configuration, per service item:

- :class:`JointSettings` — whether the item's cases need a joint inspection, whether the clock
  stops while it is pending (a special procedure, 行政许可法 art. 45), whether they need a
  joint review meeting;
- :class:`InspectionNeed` — which of the item's parallel participants
  (:class:`~onewindow.cases.models.ParallelParticipant`) take part in the inspection.

Per case:

- :class:`JointInspection` — the one inspection the lead department schedules; each invited
  department answers (:class:`InspectionInvite`: confirms or proposes another time), records
  its findings (:class:`InspectionFinding`, with :class:`InspectionPhoto`); the lead closes the
  record, which is frozen as a PDF attached to the case;
- :class:`JointMeeting` — the meeting the lead convenes; minutes and each invited department's
  conclusion (:class:`MeetingConclusion`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onewindow.cases.models import Case, ClockStop, Notice, ParallelParticipant
from onewindow.catalog.models import ServiceItem
from onewindow.joint.workflow import (
    FindingConclusion,
    InspectionState,
    InviteState,
    MeetingConclusionKind,
    MeetingState,
)
from onewindow.regions.models import Department


class JointSettings(models.Model):
    """联合踏勘 / 联席会议 settings of one service item."""

    item = models.OneToOneField(
        ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE,
        related_name="joint_settings",
    )
    needs_inspection = models.BooleanField(
        _("需要联合踏勘"), default=False,
        help_text=_("牵头部门组织一次联合踏勘，勾选“参加踏勘”的并联审批部门参加。"),
    )
    inspection_stops_clock = models.BooleanField(
        _("踏勘期间暂停计时"), default=False,
        help_text=_("作为现场勘查特别程序，踏勘所需时间不计入办理时限，并书面告知申请人。"),
    )
    needs_meeting = models.BooleanField(
        _("需要联席会议"), default=False,
        help_text=_("牵头部门召集全部并联审批部门集中会审，形成会议纪要。"),
    )

    class Meta:
        verbose_name = _("联合踏勘与联席会议设置")
        verbose_name_plural = _("联合踏勘与联席会议设置")
        ordering = ["item"]

    def __str__(self) -> str:
        return str(self.item)


class InspectionNeed(models.Model):
    """A parallel participant of the item that takes part in the joint inspection."""

    participant = models.OneToOneField(
        ParallelParticipant, verbose_name=_("并联审批部门"), on_delete=models.CASCADE,
        related_name="inspection_need",
    )
    note = models.CharField(_("踏勘内容"), max_length=100, blank=True,
                            help_text=_("例如：消防设施、排水和油烟处理"))

    class Meta:
        verbose_name = _("参加踏勘的部门")
        verbose_name_plural = _("参加踏勘的部门")
        ordering = ["participant__item", "participant__sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.participant.item} · {self.participant.department}"


class JointInspection(models.Model):
    """联合踏勘 of one case, organised by the lead department."""

    number = models.CharField(_("踏勘编号"), max_length=48, unique=True)
    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="joint_inspections",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="+",
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("组织人"), null=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    scheduled_at = models.DateTimeField(_("踏勘时间"))
    place = models.CharField(_("踏勘地点"), max_length=200)
    purpose = models.TextField(_("踏勘内容"), blank=True)
    state = models.CharField(_("状态"), max_length=14, choices=InspectionState.choices,
                             default=InspectionState.SCHEDULED)
    stops_clock = models.BooleanField(_("暂停计时"), default=False)
    stop = models.ForeignKey(
        ClockStop, verbose_name=_("暂停计时记录"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    special_notice = models.ForeignKey(
        Notice, verbose_name=_("特别程序告知书"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    reschedules = models.JSONField(_("改期记录"), default=list, blank=True)
    summary = models.TextField(_("踏勘综合意见"), blank=True)
    cancel_reason = models.CharField(_("取消理由"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("安排时间"))
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("形成记录人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    record = models.FileField(_("踏勘记录（PDF）"), upload_to="joint/%Y/%m/", blank=True,
                              max_length=200)
    record_sha256 = models.CharField(_("记录摘要"), max_length=64, blank=True)
    record_size = models.PositiveIntegerField(_("记录大小"), default=0)

    class Meta:
        verbose_name = _("联合踏勘")
        verbose_name_plural = _("联合踏勘")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(state__in=["scheduled", "rescheduling"]),
                name="joint_one_open_inspection",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "scheduled_at"], name="joint_insp_lead_open",
                         condition=Q(state__in=["scheduled", "rescheduling"])),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in (InspectionState.SCHEDULED, InspectionState.RESCHEDULING)


class InspectionInvite(models.Model):
    """A department invited to the inspection, and its answer."""

    inspection = models.ForeignKey(
        JointInspection, verbose_name=_("联合踏勘"), on_delete=models.CASCADE,
        related_name="invites",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("受邀部门"), on_delete=models.PROTECT, related_name="+",
    )
    subject = models.CharField(_("踏勘内容"), max_length=100, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("序号"), default=0)
    state = models.CharField(_("回复"), max_length=16, choices=InviteState.choices,
                             default=InviteState.INVITED)
    proposed_at = models.DateTimeField(_("提议时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回复人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    responded_at = models.DateTimeField(_("回复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("踏勘邀请")
        verbose_name_plural = _("踏勘邀请")
        ordering = ["inspection", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "department"],
                                    name="joint_invite_once"),
        ]
        indexes = [models.Index(fields=["department", "inspection"], name="joint_invite_dept")]

    def __str__(self) -> str:
        return f"{self.inspection_id}·{self.department_id}"


class InspectionFinding(models.Model):
    """One department's findings at the inspection (踏勘意见)."""

    inspection = models.ForeignKey(
        JointInspection, verbose_name=_("联合踏勘"), on_delete=models.CASCADE,
        related_name="findings",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+",
    )
    findings = models.TextField(_("踏勘情况"))
    conclusion = models.CharField(_("结论"), max_length=10, choices=FindingConclusion.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("踏勘意见")
        verbose_name_plural = _("踏勘意见")
        ordering = ["inspection", "recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "department"],
                                    name="joint_finding_once"),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}·{self.department_id}"


class InspectionPhoto(models.Model):
    """A photo taken at the inspection (JPEG or PNG, checked by content)."""

    finding = models.ForeignKey(
        InspectionFinding, verbose_name=_("踏勘意见"), on_delete=models.CASCADE,
        related_name="photos",
    )
    image = models.FileField(_("照片"), upload_to="joint/photos/%Y/%m/", max_length=200)
    file_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(_("摘要"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("踏勘照片")
        verbose_name_plural = _("踏勘照片")
        ordering = ["finding", "id"]

    def __str__(self) -> str:
        return self.file_name or str(self.pk)


class JointMeeting(models.Model):
    """联席会议 / 集中会审 of one case, convened by the lead department."""

    number = models.CharField(_("会议编号"), max_length=48, unique=True)
    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="joint_meetings",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("召集部门"), on_delete=models.PROTECT, related_name="+",
    )
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("召集人"), null=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    held_at = models.DateTimeField(_("会议时间"))
    place = models.CharField(_("会议地点"), max_length=200)
    topic = models.TextField(_("会审议题"), blank=True)
    minutes = models.TextField(_("会议纪要"), blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=MeetingState.choices,
                             default=MeetingState.CONVENED)
    cancel_reason = models.CharField(_("取消理由"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("召集时间"))
    closed_at = models.DateTimeField(_("纪要形成时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("纪要形成人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    record = models.FileField(_("会议纪要（PDF）"), upload_to="joint/%Y/%m/", blank=True,
                              max_length=200)
    record_sha256 = models.CharField(_("纪要摘要"), max_length=64, blank=True)
    record_size = models.PositiveIntegerField(_("纪要大小"), default=0)

    class Meta:
        verbose_name = _("联席会议")
        verbose_name_plural = _("联席会议")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(state="convened"),
                                    name="joint_one_open_meeting"),
        ]
        indexes = [
            models.Index(fields=["department", "held_at"], name="joint_meeting_lead_open",
                         condition=Q(state="convened")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state == MeetingState.CONVENED


class MeetingConclusion(models.Model):
    """An invited department's conclusion at the meeting (empty until recorded)."""

    meeting = models.ForeignKey(
        JointMeeting, verbose_name=_("联席会议"), on_delete=models.CASCADE,
        related_name="conclusions",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+",
    )
    sort_order = models.PositiveSmallIntegerField(_("序号"), default=0)
    conclusion = models.CharField(_("结论"), max_length=12, choices=MeetingConclusionKind.choices,
                                  default=MeetingConclusionKind.PENDING, blank=True)
    text = models.TextField(_("意见"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("部门会审结论")
        verbose_name_plural = _("部门会审结论")
        ordering = ["meeting", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "department"],
                                    name="joint_conclusion_once"),
        ]
        indexes = [models.Index(fields=["department", "meeting"], name="joint_conclusion_dept")]

    def __str__(self) -> str:
        return f"{self.meeting_id}·{self.department_id}"
