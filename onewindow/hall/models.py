"""The physical hall (实体大厅): queue tickets, calling, windows' presence, appointments.

- :class:`HallSettings` — one centre's queue rules (calling order, no-show after N calls,
  per-person limits, check-in windows, no-show restrictions for bookings).
- :class:`ServiceCategory` — a business category (业务类别) with its ticket letter, served by a
  set of windows; general acceptance windows serve many categories.
- :class:`Ticket` — one number of the day (A001 …); its place in the queue is ``queue_at``
  (kept on transfer); every change appends a :class:`TicketEvent` (the log, and the signal
  the hall's display screens follow).
- :class:`WindowSession` — a member of staff signed in at a window (挂牌上岗): the day's
  presence, pauses with their public whereabouts (去向公示).
- :class:`SlotTemplate` / :class:`AppointmentSlot` / :class:`Appointment` — bookable slots
  made from a weekly schedule on working days, special off-hours slots (延时服务), bookings.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onewindow.core.models import TimeStampedModel
from onewindow.regions.models import ServiceCentre, Window


def new_token() -> str:
    """A public follow code for a ticket or booking (URL-safe, not guessable)."""
    return secrets.token_urlsafe(12)


class HallSettings(models.Model):
    """Queue rules of one centre (中心排队规则); a centre without a row uses the defaults."""

    centre = models.OneToOneField(
        ServiceCentre, verbose_name=_("服务中心"), on_delete=models.CASCADE,
        related_name="hall_settings",
    )
    priority_first = models.BooleanField(
        _("优先号优先叫"), default=True,
        help_text=_("老年人、残疾人、绿色通道等优先号排在普通号之前。"),
    )
    appointments_first = models.BooleanField(
        _("预约号优先叫"), default=True, help_text=_("已到预约时间的预约号排在现场号之前。"),
    )
    elderly_age = models.PositiveSmallIntegerField(
        _("老年人优先年龄"), default=65, help_text=_("凭身份证号码取号时自动给予优先号。"),
    )
    no_show_after_calls = models.PositiveSmallIntegerField(_("呼叫几次未到记为过号"), default=3)
    daily_limit_per_person = models.PositiveSmallIntegerField(_("每人每天取号上限"), default=3)
    online_checkin_minutes = models.PositiveSmallIntegerField(
        _("网上取号签到时限（分钟）"), default=120,
        help_text=_("网上取号后须在此时间内到厅签到，否则作废。"),
    )
    appointment_early_minutes = models.PositiveSmallIntegerField(
        _("预约可提前签到（分钟）"), default=30
    )
    appointment_late_minutes = models.PositiveSmallIntegerField(
        _("预约迟到宽限（分钟）"), default=15
    )
    no_show_limit = models.PositiveSmallIntegerField(
        _("爽约几次限制预约"), default=3, help_text=_("统计最近 90 天的爽约次数。"),
    )
    restriction_days = models.PositiveSmallIntegerField(_("限制预约天数"), default=30)
    booking_days_ahead = models.PositiveSmallIntegerField(_("可预约天数"), default=14)
    kiosk_key = models.CharField(
        _("取号机密钥"), max_length=24, default=new_token,
        help_text=_("大厅取号机页面的地址须带此密钥（?key=…），防止在厅外冒取现场号。"),
    )

    class Meta:
        verbose_name = _("排队规则")
        verbose_name_plural = _("排队规则")

    def __str__(self) -> str:
        return str(self.centre)

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        cache.delete(self.cache_key(self.centre_id))
        transaction.on_commit(lambda: cache.delete(self.cache_key(self.centre_id)))

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        cache.delete(self.cache_key(self.centre_id))
        return super().delete(*args, **kwargs)

    @staticmethod
    def cache_key(centre_id: int) -> str:
        return f"hall:rules:{centre_id}"


class ServiceCategory(TimeStampedModel):
    """A business category of a centre's queue: its letter and the windows that serve it."""

    centre = models.ForeignKey(
        ServiceCentre, verbose_name=_("服务中心"), on_delete=models.CASCADE,
        related_name="categories",
    )
    letter = models.CharField(
        _("号码字母"), max_length=2, help_text=_("票号前缀，如 A、B；同一中心内不重复。"),
    )
    name = models.CharField(_("名称"), max_length=60)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    windows = models.ManyToManyField(
        Window, verbose_name=_("服务窗口"), related_name="categories", blank=True
    )
    default_service_minutes = models.PositiveSmallIntegerField(
        _("默认办理时长（分钟）"), default=8, help_text=_("尚无近期办理记录时用于估算等候时间。"),
    )
    appointable = models.BooleanField(_("可预约"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("业务类别")
        verbose_name_plural = _("业务类别")
        ordering = ["centre", "sort_order", "letter"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "letter"], name="hall_category_letter"),
        ]

    def __str__(self) -> str:
        return f"{self.letter} {self.name}"


class TicketSource(models.TextChoices):
    KIOSK = "kiosk", _("现场取号")
    ONLINE = "online", _("网上取号")
    APPOINTMENT = "appointment", _("预约签到")
    DESK = "desk", _("导服台")


class Priority(models.TextChoices):
    NONE = "", _("普通")
    ELDERLY = "elderly", _("老年人")
    DISABLED = "disabled", _("残疾人")
    MILITARY = "military", _("军人及优抚对象")
    PREGNANT = "pregnant", _("孕妇")
    GREEN = "green", _("绿色通道")


class TicketState(models.TextChoices):
    RESERVED = "reserved", _("待签到")
    WAITING = "waiting", _("等候中")
    CALLED = "called", _("呼叫中")
    SERVING = "serving", _("办理中")
    SERVED = "served", _("已办结")
    NO_SHOW = "no_show", _("过号")
    CANCELLED = "cancelled", _("已取消")
    EXPIRED = "expired", _("已作废")


OPEN_TICKET_STATES = (TicketState.RESERVED, TicketState.WAITING, TicketState.CALLED,
                      TicketState.SERVING)


class DayCounter(models.Model):
    """The last number given in a category on a day. Bumped by one upsert in its own short
    transaction, so two tickets never wait on each other's commit (gaps are allowed)."""

    category = models.ForeignKey(ServiceCategory, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "day"], name="hall_counter_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.last}"


class Ticket(models.Model):
    """A queue number of one day in one centre (票号)."""

    centre = models.ForeignKey(
        ServiceCentre, verbose_name=_("服务中心"), on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    day = models.DateField(_("日期"))
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("业务类别"), on_delete=models.PROTECT,
        related_name="tickets", db_index=False,
    )
    number = models.CharField(_("票号"), max_length=8)
    token = models.CharField(max_length=24, unique=True, default=new_token, editable=False)
    source = models.CharField(_("来源"), max_length=12, choices=TicketSource.choices)
    priority = models.CharField(
        _("优先类别"), max_length=10, choices=Priority.choices, blank=True, default=""
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=TicketState.choices, default=TicketState.WAITING
    )
    # The holder: both optional (an anonymous kiosk ticket has neither); the key is a keyed
    # hash of the ID number or mobile, used for the per-person daily limit.
    holder_mobile = models.CharField(_("手机号码"), max_length=11, blank=True)
    holder_id_number = models.CharField(_("身份证号码"), max_length=18, blank=True)
    holder_key = models.CharField(max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("取号账户"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False,
    )
    appointment = models.OneToOneField(
        "Appointment", verbose_name=_("预约"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="ticket",
    )
    appointment_at = models.DateTimeField(_("预约时间"), null=True, blank=True)
    taken_at = models.DateTimeField(_("取号时间"))
    queue_at = models.DateTimeField(_("排队时间"), help_text=_("转移时保持原位次。"))
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    called_at = models.DateTimeField(_("呼叫时间"), null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(_("呼叫次数"), default=0)
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("办理人员"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False,
    )
    serving_at = models.DateTimeField(_("开始办理"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    case_numbers = models.JSONField(_("办件编号"), default=list, blank=True)
    transferred_from = models.ForeignKey(
        ServiceCategory, verbose_name=_("转自类别"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False,
    )
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        constraints = [
            models.UniqueConstraint(fields=["centre", "day", "number"], name="hall_ticket_number"),
        ]
        indexes = [
            # The next ticket to call: the open queue of a category in calling order.
            models.Index(
                fields=["category", "day", "queue_at", "id"], name="hall_ticket_waiting",
                condition=Q(state="waiting"),
            ),
            # What a window is doing now, and a person's tickets of the day.
            models.Index(fields=["window", "state"], name="hall_ticket_window",
                         condition=Q(state__in=["called", "serving"])),
            models.Index(fields=["holder_key", "day"], name="hall_ticket_holder"),
            # The recent service times of a category (for the estimated wait).
            models.Index(fields=["category", "-finished_at"], name="hall_ticket_served",
                         condition=Q(state="served")),
            models.Index(fields=["centre", "day", "state"], name="hall_ticket_centre_day"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TICKET_STATES


class TicketEventKind(models.TextChoices):
    TAKEN = "taken", _("取号")
    CHECKED_IN = "checked_in", _("签到")
    CALLED = "called", _("呼叫")
    RECALLED = "recalled", _("重呼")
    SERVING = "serving", _("开始办理")
    SERVED = "served", _("办结")
    NO_SHOW = "no_show", _("过号")
    TRANSFERRED = "transferred", _("转移")
    CANCELLED = "cancelled", _("取消")
    EXPIRED = "expired", _("作废")
    WINDOW = "window", _("窗口状态")
    NOTICE = "notice", _("公告")


class TicketEvent(models.Model):
    """Append-only log of the hall (票号日志). Its ids also tell the display screens that
    their centre changed (:mod:`onewindow.hall.stream`)."""

    centre = models.ForeignKey(ServiceCentre, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("动作"), max_length=12, choices=TicketEventKind.choices)
    window = models.ForeignKey(
        Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,
    )
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("大厅日志")
        verbose_name_plural = _("大厅日志")

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%H:%M:%S}"


class WindowStatus(models.TextChoices):
    OPEN = "open", _("服务中")
    PAUSED = "paused", _("暂停服务")
    CLOSED = "closed", _("已签退")


class PauseReason(models.TextChoices):
    BREAK = "break", _("临时休息")
    BUSINESS = "business", _("外出办事")
    MEETING = "meeting", _("参加会议")
    TRAINING = "training", _("参加培训")
    OTHER = "other", _("其他")


class WindowSession(models.Model):
    """One member of staff at one window from sign-in to sign-out (挂牌上岗)."""

    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), on_delete=models.CASCADE, related_name="sessions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), on_delete=models.PROTECT,
        related_name="window_sessions",
    )
    day = models.DateField(_("日期"))
    started_at = models.DateTimeField(_("签到时间"))
    ended_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=WindowStatus.choices, default=WindowStatus.OPEN
    )
    pause_reason = models.CharField(
        _("暂停原因"), max_length=10, choices=PauseReason.choices, blank=True
    )
    whereabouts = models.CharField(_("去向"), max_length=100, blank=True)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    back_at = models.DateTimeField(_("预计返回"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("暂停累计（秒）"), default=0)

    class Meta:
        verbose_name = _("窗口在岗记录")
        verbose_name_plural = _("窗口在岗记录")
        constraints = [
            models.UniqueConstraint(
                fields=["window"], condition=~Q(status="closed"), name="hall_one_open_session"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=~Q(status="closed"), name="hall_user_one_window"
            ),
        ]
        indexes = [models.Index(fields=["day", "window"], name="hall_session_day")]

    def __str__(self) -> str:
        return f"{self.window} {self.day}"


class HallNotice(TimeStampedModel):
    """A notice shown on the centre's display screen (大厅公告)."""

    centre = models.ForeignKey(
        ServiceCentre, verbose_name=_("服务中心"), on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(_("内容"), max_length=200)
    starts_on = models.DateField(_("开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("大厅公告")
        verbose_name_plural = _("大厅公告")

    def __str__(self) -> str:
        return self.text[:30]


class SlotTemplate(models.Model):
    """A weekly opening of appointments: weekday, time range and capacity (预约时段模板)."""

    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("业务类别"), on_delete=models.CASCADE,
        related_name="slot_templates",
    )
    weekday = models.PositiveSmallIntegerField(
        _("星期"), choices=[(i, n) for i, n in enumerate("一二三四五六日")],
        help_text=_(
            "0 为星期一。节假日、休息日不开放；调休上班日按该星期的模板开放，没有则按星期一的模板。"
        ),
    )
    starts = models.TimeField(_("开始"))
    ends = models.TimeField(_("结束"))
    capacity = models.PositiveSmallIntegerField(_("名额"))

    class Meta:
        verbose_name = _("预约时段模板")
        verbose_name_plural = _("预约时段模板")
        ordering = ["category", "weekday", "starts"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class AppointmentSlot(models.Model):
    """One bookable slot of one day; ``booked`` never passes ``capacity`` (one guarded UPDATE)."""

    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("业务类别"), on_delete=models.CASCADE,
        related_name="slots",
    )
    day = models.DateField(_("日期"))
    starts = models.TimeField(_("开始"))
    ends = models.TimeField(_("结束"))
    capacity = models.PositiveSmallIntegerField(_("名额"))
    booked = models.PositiveSmallIntegerField(_("已约"), default=0)
    special = models.BooleanField(
        _("延时/非工作日服务"), default=False,
        help_text=_("中心另行开放的时段（非工作日预约、延时服务）。"),
    )
    note = models.CharField(_("说明"), max_length=100, blank=True)
    is_open = models.BooleanField(_("开放"), default=True)

    class Meta:
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        ordering = ["day", "starts"]
        constraints = [
            models.UniqueConstraint(fields=["category", "day", "starts"], name="hall_slot_start"),
            models.CheckConstraint(condition=Q(booked__lte=models.F("capacity")),
                                   name="hall_slot_not_overbooked"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.starts:%H:%M}-{self.ends:%H:%M}"


class AppointmentState(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CANCELLED = "cancelled", _("已取消")
    CHECKED_IN = "checked_in", _("已签到")
    NO_SHOW = "no_show", _("爽约")


class Appointment(TimeStampedModel):
    """A booking of one slot by one person (预约)."""

    slot = models.ForeignKey(
        AppointmentSlot, verbose_name=_("时段"), on_delete=models.PROTECT,
        related_name="appointments",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("预约账户"), on_delete=models.PROTECT,
        related_name="appointments",
    )
    name = models.CharField(_("姓名"), max_length=50)
    mobile = models.CharField(_("手机号码"), max_length=11)
    item_name = models.CharField(_("办理事项"), max_length=200, blank=True)
    code = models.CharField(_("预约码"), max_length=8, unique=True)
    token = models.CharField(max_length=24, unique=True, default=new_token, editable=False)
    state = models.CharField(
        _("状态"), max_length=12, choices=AppointmentState.choices,
        default=AppointmentState.BOOKED,
    )
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        indexes = [
            models.Index(fields=["user", "state"], name="hall_appt_user"),
            models.Index(fields=["state", "slot"], name="hall_appt_state"),
        ]

    def __str__(self) -> str:
        return self.code
