"""Service requests (工单): repairs, complaints and 12345 hotline cases of one compound.

A request comes in through a channel (the city hotline 12345 with its case number, the
phone, online, walk-in, WeChat), belongs to a category of the configurable catalogue
(whose service level sets its due time), names a place (a unit, a building or a common
area in words) and moves new → assigned → in progress → resolved → closed, or back to
reopened. Every transition and comment is a :class:`RequestEvent`; the resident who filed
it rates the result. The city's three measures (响应率, 解决率, 满意率) are computed from
these rows in :mod:`tickets.rates`.
"""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from households.masking import mask_phone
from households.models import Building, PropertyRightUnit, Unit
from portal.models import Compound

category_code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{1,31}$", _("类别代码须为2–32位小写字母、数字或下划线，以字母开头")
)


class Category(models.Model):
    """报修类别: one entry of the catalogue, with its service level (服务时限).

    ``service_level_hours`` is the time from receipt to resolution the company promises
    for an ordinary request, ``emergency_hours`` for an emergency (漏水、停电、困梯…).
    ``covered_by_contract``: the service contract covers it, so the company handles it;
    otherwise it goes to the committee, the street office or a property-right unit."""

    code = models.CharField(
        _("代码"), max_length=32, unique=True, validators=[category_code_validator]
    )
    name = models.CharField(_("名称"), max_length=50)
    service_level_hours = models.PositiveIntegerField(
        _("服务时限（小时）"), validators=[MinValueValidator(1), MaxValueValidator(24 * 90)]
    )
    emergency_hours = models.PositiveIntegerField(
        _("紧急时限（小时）"), validators=[MinValueValidator(1), MaxValueValidator(24 * 90)]
    )
    covered_by_contract = models.BooleanField(_("属物业服务合同范围"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("报修类别")
        verbose_name_plural = _("报修类别")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    HOTLINE = "12345", _("12345热线")
    PHONE = "phone", _("电话")
    ONLINE = "online", _("网上")
    WALK_IN = "walk_in", _("来访")
    WECHAT = "wechat", _("微信")


class State(models.TextChoices):
    NEW = "new", _("待派单")
    ASSIGNED = "assigned", _("已派单")
    IN_PROGRESS = "in_progress", _("处理中")
    RESOLVED = "resolved", _("已办结")
    CLOSED = "closed", _("已关闭")
    REOPENED = "reopened", _("已重启")


#: States in which the request still waits for someone (the queue's "open").
OPEN_STATES = (State.NEW, State.ASSIGNED, State.IN_PROGRESS, State.REOPENED)


class Party(models.TextChoices):
    """Who is responsible: the company for what the contract covers, else one of the others."""

    COMPANY = "company", _("物业服务企业")
    COMMITTEE = "committee", _("物管会")
    STREET_OFFICE = "street_office", _("街道办事处")
    PROPERTY_RIGHT_UNIT = "property_right_unit", _("产权单位")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    NOT_SATISFIED = "not_satisfied", _("不满意")


class Request(models.Model):
    """工单: one request or hotline case of one compound."""

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="service_requests", verbose_name=_("小区")
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    hotline_case_number = models.CharField(_("12345工单号"), max_length=40, blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="requests", verbose_name=_("类别")
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("房屋"),
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("楼栋"),
    )
    place = models.CharField(_("地点（公共区域）"), max_length=200, blank=True)
    description = models.TextField(_("内容"), max_length=2000)
    emergency = models.BooleanField(_("紧急"), default=False)
    received_at = models.DateTimeField(_("受理时间"))
    due_at = models.DateTimeField(_("办理时限"))
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.NEW)
    assigned_party = models.CharField(_("责任方"), max_length=24, choices=Party.choices, blank=True)
    property_right_unit = models.ForeignKey(
        PropertyRightUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("产权单位"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_service_requests",
        verbose_name=_("处理人"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_requests",
        verbose_name=_("报修人"),
    )
    # The caller's phone as given (12345 cases, phone calls): shown masked (PIPL).
    caller_phone = models.CharField(_("来电号码"), max_length=32, blank=True)
    rating = models.CharField(_("评价"), max_length=16, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # What was done, in words: the result the 12345 export carries back (办理结果).
    result = models.CharField(_("办理结果"), max_length=1000, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重启次数"), default=0)
    # 0: not escalated; 1: the committee was told it is overdue; 2: the street office too.
    escalation_level = models.PositiveSmallIntegerField(_("督办级别"), default=0)
    # The due time the "due soon" notice was sent for (once per deadline; a new deadline,
    # e.g. after a reopening, may be announced again): tickets.services.requests_due_soon.
    due_soon_notified_for = models.DateTimeField(_("即将超时提醒对应的时限"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "hotline_case_number"],
                condition=~models.Q(hotline_case_number=""),
                name="request_unique_hotline_case",
            ),
            models.CheckConstraint(
                name="request_hotline_case_only_on_12345",
                condition=models.Q(hotline_case_number="") | models.Q(channel="12345"),
            ),
        ]
        indexes = [
            # The rates' one query reads only these columns: an index-only scan on
            # PostgreSQL (elsewhere a plain index on the first two).
            models.Index(
                fields=["compound", "received_at"],
                include=["first_response_at", "due_at", "resolved_at", "rating"],
                name="request_rates_covering",
            ),
            models.Index(fields=["compound", "state", "due_at"]),
            models.Index(fields=["compound", "reporter", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category_id}"

    def get_absolute_url(self) -> str:
        return reverse("tickets:detail", args=[self.compound.code, self.pk])

    @property
    def caller_phone_masked(self) -> str:
        return mask_phone(self.caller_phone)

    @property
    def place_label(self) -> str:
        """Where, as people say it: the unit, else the building and the place in words."""
        if self.unit is not None:
            return self.unit.label
        parts = [self.building.label] if self.building is not None else []
        if self.place:
            parts.append(self.place)
        return " ".join(parts)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue(self, now) -> bool:  # noqa: ANN001 (a datetime)
        """Open past its due time (a resolved request is judged by its resolved_at)."""
        return self.is_open and self.due_at < now


class EventKind(models.TextChoices):
    CREATED = "created", _("受理")
    IMPORTED = "imported", _("12345导入")
    ASSIGNED = "assigned", _("派单")
    STARTED = "started", _("开始处理")
    RESOLVED = "resolved", _("办结")
    CLOSED = "closed", _("关闭")
    REOPENED = "reopened", _("重启")
    COMMENTED = "commented", _("留言")
    RATED = "rated", _("评价")
    ESCALATED = "escalated", _("超时督办")


class RequestEvent(models.Model):
    """One step in a request's life: a transition (from → to) or a comment, with who."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事项"), max_length=16, choices=EventKind.choices)
    from_state = models.CharField(max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=State.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=1000, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["compound", "request", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.request_id} {self.kind}"


class RequestPhoto(models.Model):
    """A photo of a request, re-encoded without metadata, with a thumbnail; served only
    through the request's photo view to those who may see the request."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="tickets/")
    thumbnail = models.FileField(upload_to="tickets/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("工单照片")
        verbose_name_plural = _("工单照片")
        ordering = ["id"]
        indexes = [models.Index(fields=["compound", "request"])]

    def __str__(self) -> str:
        return f"#{self.request_id} photo {self.pk}"


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("派单给你")
    DUE_SOON = "due_soon", _("即将超时")
    OVERDUE = "overdue", _("已超时")
    RESOLVED = "resolved", _("已办结，请评价")
    REOPENED = "reopened", _("业主不满意，已重启")


class Notification(models.Model):
    """站内通知: one message to one user about one request; unread until opened."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_notifications"
    )
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类型"), max_length=16, choices=NotificationKind.choices)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    # When the e-mail copy went out (only where EMAIL_URL is configured): sent once.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} #{self.request_id}"


class MailLanguage(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class NotificationPreference(models.Model):
    """How a user wants notifications by e-mail: in which language (the portal's default,
    Chinese, unless chosen) and whether at all. No row: Chinese, e-mail on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_mail_preference"
    )
    language = models.CharField(
        _("邮件语言"), max_length=8, choices=MailLanguage.choices, default=MailLanguage.ZH_HANS
    )
    email = models.BooleanField(_("通过邮件接收通知"), default=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return f"{self.user_id} {self.language}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已导入")
    FAILED = "failed", _("未导入")


class HotlineImport(models.Model):
    """One import of the 12345 hotline's case file, run in the background.

    The upload is kept (through the storage API) until the worker has read it; ``done`` of
    ``total`` rows checked feed the progress bar; ``report`` is the row report (created,
    merged, already, repaired_rows, file_error, errors: [{row, column, message}]). All or
    nothing: ``done`` means every case was written in the one transaction that also
    marked the job done; ``failed`` means nothing was written. ``claim`` is the task that
    holds the job and ``heartbeat_at`` when it last said so: a job whose worker died is
    taken back by the same (redelivered) task, or re-run once its heartbeat is stale."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(_("文件名"), max_length=200)
    upload = models.FileField(upload_to="tickets/hotline-imports/", max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    done = models.PositiveIntegerField(_("已检查"), default=0)
    total = models.PositiveIntegerField(_("行数"), default=0)
    report = models.JSONField(_("导入报告"), default=dict, blank=True)
    claim = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("12345工单导入")
        verbose_name_plural = _("12345工单导入")
        ordering = ["compound_id", "-created_at", "-id"]
        indexes = [models.Index(fields=["compound", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.compound_id} {self.filename}"

    def get_absolute_url(self) -> str:
        return reverse("tickets:hotline-import", args=[self.compound.code, self.pk])

    @property
    def in_progress(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    @property
    def progress(self) -> int:
        """Per cent of the rows checked, for the progress bar (100 once finished)."""
        if not self.in_progress:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0

    def is_stalled(self, now) -> bool:  # noqa: ANN001 (a datetime)
        """Running, but its worker has not been heard of for :data:`STALLED_AFTER`."""
        if self.status == ImportStatus.QUEUED:
            return self.created_at < now - STALLED_AFTER
        if self.status == ImportStatus.RUNNING:
            return self.heartbeat_at is None or self.heartbeat_at < now - STALLED_AFTER
        return False


#: A running import whose worker has been silent this long may be run again.
STALLED_AFTER = dt.timedelta(minutes=10)
