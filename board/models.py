"""The board's own records: what only a street office knows (the environment renovation,
its collection target) and the alerts the daily check keeps.

Everything else a milestone shows is derived from the other apps' rows
(:mod:`board.milestones`), never typed twice.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Compound, StreetOffice

DEFAULT_COLLECTION_TARGET = Decimal("80.00")


class BoardSettings(models.Model):
    """One street office's settings of its board: the collection-rate target (收缴率目标)."""

    street_office = models.OneToOneField(
        StreetOffice, on_delete=models.CASCADE, related_name="board_settings"
    )
    collection_target = models.DecimalField(
        _("收缴率目标（%）"),
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_COLLECTION_TARGET,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("看板设置")
        verbose_name_plural = _("看板设置")
        constraints = [
            models.CheckConstraint(
                name="board_settings_target_range",
                condition=Q(collection_target__gte=0, collection_target__lte=100),
            )
        ]

    def __str__(self) -> str:
        return f"{self.street_office} {self.collection_target}%"


class Renovation(models.Model):
    """环境整治: the street office's renovation of one compound, the first step of the
    transition (money invested, illegal structures and parking ground-locks removed,
    buildings renovated). One record per compound, corrected in place (audited)."""

    compound = models.OneToOneField(Compound, on_delete=models.CASCADE, related_name="renovation")
    started_on = models.DateField(_("开始日期"))
    finished_on = models.DateField(_("完成日期"), null=True, blank=True)
    money_invested = models.DecimalField(
        _("投入资金（元）"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    illegal_structures_removed = models.DecimalField(
        _("拆除违建面积（m²）"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    ground_locks_removed = models.PositiveIntegerField(_("拆除地锁（个）"), default=0)
    buildings_renovated = models.PositiveIntegerField(_("改造楼栋（栋）"), default=0)
    illustrative = models.BooleanField(
        _("示意数据"), default=False, help_text=_("演示用的示意数字，不是实际记录")
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("环境整治")
        verbose_name_plural = _("环境整治")
        constraints = [
            models.CheckConstraint(
                name="renovation_amounts_not_negative",
                condition=Q(money_invested__gte=0, illegal_structures_removed__gte=0),
            ),
            models.CheckConstraint(
                name="renovation_finished_after_start",
                condition=Q(finished_on__isnull=True) | Q(finished_on__gte=models.F("started_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compound} 环境整治"


class AlertKind(models.TextChoices):
    COMMITTEE_TERM_ENDED = "committee_term_ended", _("物管会任期已届满")
    COMMITTEE_TERM_ENDING = "committee_term_ending", _("物管会任期即将届满")
    SUBSIDY_ENDED = "subsidy_ended", _("补贴已到期")
    SUBSIDY_ENDING = "subsidy_ending", _("补贴即将到期")
    AGREEMENT_NOT_FILED = "agreement_not_filed", _("协议未按期备案")
    AGREEMENT_EXPIRED = "agreement_expired", _("协议已到期或即将到期")
    FEE_STANDARD_EXPIRED = "fee_standard_expired", _("收费标准已到期或即将到期")
    RESULT_NOT_PUBLISHED = "result_not_published", _("表决结果未按期公布")
    COLLECTION_BELOW_TARGET = "collection_below_target", _("收缴率低于目标")


class AlertState(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    RESOLVED = "resolved", _("已解除")


class Alert(models.Model):
    """A deadline of one compound that is near or past (提醒). ``subject`` names what it is
    about (``committee:12``, ``agreement:3``, ``subsidy:2024-12-31``), so a compound has at
    most one unresolved alert per (kind, subject); the daily check
    (:func:`board.services.alerts.alerts_refresh`) opens, updates and resolves them."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=32, choices=AlertKind.choices)
    subject = models.CharField(max_length=64)
    due = models.DateField(_("期限"))
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=AlertState.choices, default=AlertState.OPEN
    )
    opened_at = models.DateTimeField(_("提醒时间"))
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledge_note = models.CharField(_("确认说明"), max_length=500, blank=True)
    resolved_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolve_note = models.CharField(_("解除说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        ordering = ["compound_id", "due", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "kind", "subject"],
                condition=~Q(state="resolved"),
                name="alert_unique_unresolved",
            ),
            models.CheckConstraint(
                name="alert_acknowledged_has_note",
                condition=~Q(state="acknowledged") | ~Q(acknowledge_note=""),
            ),
        ]
        indexes = [models.Index(fields=["compound", "state", "due"])]

    def __str__(self) -> str:
        return f"{self.compound_id} {self.kind} {self.subject}"

    @property
    def is_unresolved(self) -> bool:
        return self.state != AlertState.RESOLVED
