"""Fees: standards with subsidies, billing runs and their charges, payments and reminders.

Every table carries ``compound`` and the indexes that serve pages start with it. Amounts
are Decimal yuan with two places; the splits come from :mod:`fees.money`.
"""

import calendar
import datetime as dt
from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import CombinedExpression
from django.utils.translation import gettext_lazy as _

from households.models import Building, BuildingKind, Unit

# BUILDING_FILE and ChunkStatus are re-exported: fees' pages and tests read them from here.
from households.printing import BUILDING_FILE, BuildingPrintChunk, ChunkStatus  # noqa: F401
from portal.models import Compound


class _DecimalSize(TypedDict):
    max_digits: int
    decimal_places: int


MONEY: _DecimalSize = {"max_digits": 12, "decimal_places": 2}
RATE: _DecimalSize = {"max_digits": 8, "decimal_places": 2}
# SQLite keeps decimals as floating point, so "a = b + c" checks allow less than a fen of
# float noise; on PostgreSQL (exact numeric) that is still an exact check to the fen.
_HALF_FEN = Decimal("0.005")


def _sums_to(total: str, *parts: str) -> Q:
    """Q for ``total == sum(parts)`` to the fen (see ``_HALF_FEN``)."""
    expression: F | CombinedExpression = F(parts[0])
    for part in parts[1:]:
        expression = expression + F(part)
    return Q(**{f"{total}__gt": expression - _HALF_FEN}) & Q(
        **{f"{total}__lt": expression + _HALF_FEN}
    )


class FenSum(models.Sum):
    """Sum of yuan amounts, as Decimal to the fen on every backend (SQLite sums decimals
    as floats and hands back e.g. 1698.84000000000)."""

    def __init__(self, *expressions, **extra):
        extra.setdefault("output_field", models.DecimalField(max_digits=14, decimal_places=2))
        super().__init__(*expressions, **extra)

    def get_db_converters(self, connection):
        return [*super().get_db_converters(connection), self._to_fen]

    @staticmethod
    def _to_fen(value, expression, connection):
        return value if value is None else Decimal(value).quantize(Decimal("0.01"))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the day is always 1 for billing periods)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


class NonResidentialMode(models.TextChoices):
    SAME = "same", _("与住宅相同")
    OWN = "own", _("单独费率（无补贴）")
    EXEMPT = "exempt", _("不收费")


class FeeStandard(models.Model):
    """收费标准: one version of the fee for one building kind of one compound.

    ``valid_from``/``valid_to`` are the standard's and its subsidy's term. A change makes a
    new version; charges keep a reference to the version they were billed with.
    """

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="fee_standards", verbose_name=_("小区")
    )
    building_kind = models.CharField(_("楼栋类型"), max_length=16, choices=BuildingKind.choices)
    version = models.PositiveIntegerField(_("版本"), default=1)
    appraised_rate = models.DecimalField(_("评估价（元/m²·月）"), **RATE)
    charged_rate = models.DecimalField(_("收费价（元/m²·月）"), **RATE)
    valid_from = models.DateField(_("起始月"))
    valid_to = models.DateField(_("终止日"), null=True, blank=True)
    non_residential_mode = models.CharField(
        _("非住宅"),
        max_length=8,
        choices=NonResidentialMode.choices,
        default=NonResidentialMode.SAME,
    )
    non_residential_rate = models.DecimalField(
        _("非住宅费率（元/m²·月）"), null=True, blank=True, **RATE
    )
    service_standard = models.CharField(_("服务标准"), max_length=200, blank=True)
    basis_item = models.ForeignKey(
        "voting.Item",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("依据（业主共同决定事项）"),
    )
    pending_vote = models.BooleanField(
        _("评估价，待业主共同决定"),
        default=False,
        help_text=_("尚无业主共同决定：仅公示评估价，不能据以计费"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("收费标准")
        verbose_name_plural = _("收费标准")
        ordering = ["compound_id", "building_kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "building_kind", "version"], name="fee_standard_unique_version"
            ),
            models.CheckConstraint(
                name="fee_standard_rates_positive",
                condition=Q(appraised_rate__gt=0, charged_rate__gt=0)
                & Q(charged_rate__lte=F("appraised_rate")),
            ),
            models.CheckConstraint(
                name="fee_standard_non_residential_rate",
                condition=Q(non_residential_rate__isnull=True) | Q(non_residential_rate__gt=0),
            ),
            models.CheckConstraint(
                name="fee_standard_valid_range",
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
            ),
            models.CheckConstraint(
                name="fee_standard_basis_or_pending",
                condition=Q(basis_item__isnull=True) | Q(pending_vote=False),
            ),
        ]
        indexes = [models.Index(fields=["compound", "building_kind", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.get_building_kind_display()} v{self.version}"

    @property
    def subsidy_rate(self) -> Decimal:
        return self.appraised_rate - self.charged_rate

    @property
    def is_billable(self) -> bool:
        """An appraisal still awaiting the owners' joint decision (BJ 73: fees are agreed,
        not imposed) is published as such but never billed."""
        return not self.pending_vote

    def covers(self, start: dt.date, end: dt.date) -> bool:
        """True when the standard is valid on every day from ``start`` to ``end``."""
        return self.valid_from <= start and (self.valid_to is None or self.valid_to >= end)

    def overlaps(self, start: dt.date, end: dt.date | None) -> bool:
        return (self.valid_to is None or self.valid_to >= start) and (
            end is None or self.valid_from <= end
        )

    def rates_for(self, unit: Unit) -> tuple[Decimal, Decimal] | None:
        """(appraised, charged) for ``unit``, or None when the unit is not charged."""
        if unit.is_residential or self.non_residential_mode == NonResidentialMode.SAME:
            return self.appraised_rate, self.charged_rate
        rate = self.non_residential_rate
        if self.non_residential_mode == NonResidentialMode.OWN and rate is not None:
            return rate, rate
        return None


class SubsidyPayerKind(models.TextChoices):
    STREET_OFFICE = "street_office", _("街道办事处")
    STATE_ENTERPRISE = "state_enterprise", _("国有企业")
    SERVICE_COMPANY = "service_company", _("物业服务企业")
    PROPERTY_RIGHT_UNIT = "property_right_unit", _("产权单位")
    OTHER = "other", _("其他")


class SubsidyPayer(models.Model):
    """补贴方: who pays (part of) the difference between appraised and charged fee."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="subsidy_payers")
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(
        _("类型"), max_length=24, choices=SubsidyPayerKind.choices, default=SubsidyPayerKind.OTHER
    )

    class Meta:
        verbose_name = _("补贴方")
        verbose_name_plural = _("补贴方")
        ordering = ["compound_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "name"], name="subsidy_payer_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class SubsidyShare(models.Model):
    """One payer's share (percent) of one standard's subsidy; a standard's shares sum to 100."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    standard = models.ForeignKey(FeeStandard, on_delete=models.CASCADE, related_name="shares")
    payer = models.ForeignKey(SubsidyPayer, on_delete=models.PROTECT, related_name="shares")
    share = models.DecimalField(_("份额（%）"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("补贴份额")
        verbose_name_plural = _("补贴份额")
        ordering = ["standard", "id"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "payer"], name="subsidy_share_unique"),
            models.CheckConstraint(
                name="subsidy_share_range", condition=Q(share__gt=0, share__lte=100)
            ),
        ]
        indexes = [models.Index(fields=["compound", "standard"])]

    def __str__(self) -> str:
        return f"{self.payer} {self.share}%"


class NoticeStatus(models.TextChoices):
    NONE = "none", _("未生成")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已生成")


class BillingRun(models.Model):
    """计费批次: one compound, one period of ``months`` months starting ``period_start``."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="billing_runs")
    period_start = models.DateField(_("计费起始月"))
    months = models.PositiveSmallIntegerField(_("月数"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_billed_at = models.DateTimeField(null=True, blank=True)
    units_billed = models.PositiveIntegerField(_("已计费户数"), default=0)
    blocked_units = models.JSONField(_("未计费房屋"), default=list, blank=True)
    notice_status = models.CharField(
        _("通知单"), max_length=8, choices=NoticeStatus.choices, default=NoticeStatus.NONE
    )
    notices_total = models.PositiveIntegerField(default=0)
    notices_done = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("计费批次")
        verbose_name_plural = _("计费批次")
        ordering = ["compound_id", "-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "period_start"], name="billing_run_unique_period"
            ),
            models.CheckConstraint(
                name="billing_run_months_range", condition=Q(months__gte=1, months__lte=36)
            ),
            models.CheckConstraint(
                name="billing_run_progress", condition=Q(notices_done__lte=F("notices_total"))
            ),
        ]

    def __str__(self) -> str:
        return self.period_label

    @property
    def period_end(self) -> dt.date:
        return add_months(self.period_start, self.months) - dt.timedelta(days=1)

    @property
    def period_label(self) -> str:
        start, end = self.period_start, self.period_end
        if self.months == 1:
            return f"{start:%Y-%m}"
        return f"{start:%Y-%m} – {end:%Y-%m}"

    @property
    def notice_progress(self) -> int:
        """Percent of notices generated, for the progress bar."""
        if not self.notices_total:
            return 0
        return self.notices_done * 100 // self.notices_total


class Charge(models.Model):
    """应缴: one unit's bill in one run. The ``*_amount`` fields are as billed and never
    change; ``*_due`` include the adjustment lines added after roster corrections."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="charges")
    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="charges")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="charges")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="charges")
    standard = models.ForeignKey(FeeStandard, on_delete=models.PROTECT, related_name="charges")
    area = models.DecimalField(_("计费面积（m²）"), max_digits=9, decimal_places=2)
    months = models.PositiveSmallIntegerField(_("月数"))
    appraised_rate = models.DecimalField(_("评估价"), **RATE)
    charged_rate = models.DecimalField(_("收费价"), **RATE)
    appraised_amount = models.DecimalField(_("评估金额"), **MONEY)
    owner_amount = models.DecimalField(_("业主应缴"), **MONEY)
    subsidy_amount = models.DecimalField(_("补贴金额"), **MONEY)
    appraised_due = models.DecimalField(_("评估金额（含调整）"), **MONEY)
    owner_due = models.DecimalField(_("业主应缴（含调整）"), **MONEY)
    subsidy_due = models.DecimalField(_("补贴（含调整）"), **MONEY)
    owner_paid = models.DecimalField(_("业主已缴"), default=Decimal("0.00"), **MONEY)

    class Meta:
        verbose_name = _("应缴费用")
        verbose_name_plural = _("应缴费用")
        ordering = ["run", "building__sort_key", "unit__number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "unit"], name="charge_unique_run_unit"),
            models.CheckConstraint(
                name="charge_reconciles",
                condition=_sums_to("appraised_amount", "owner_amount", "subsidy_amount")
                & _sums_to("appraised_due", "owner_due", "subsidy_due"),
            ),
            models.CheckConstraint(name="charge_area_positive", condition=Q(area__gt=0)),
        ]
        indexes = [
            models.Index(fields=["compound", "run", "building"]),
            models.Index(fields=["compound", "unit"]),
        ]

    def __str__(self) -> str:
        return f"{self.run} · {self.unit_id}"

    @property
    def outstanding(self) -> Decimal:
        return self.owner_due - self.owner_paid

    @property
    def is_paid(self) -> bool:
        return self.owner_paid >= self.owner_due


class ChargeAdjustment(models.Model):
    """调整: a visible correction of a billed charge after the roster changed (e.g. area)."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="adjustments")
    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("原因"), max_length=200)
    area_before = models.DecimalField(max_digits=9, decimal_places=2)
    area_after = models.DecimalField(max_digits=9, decimal_places=2)
    appraised_delta = models.DecimalField(**MONEY)
    owner_delta = models.DecimalField(**MONEY)
    subsidy_delta = models.DecimalField(**MONEY)

    class Meta:
        verbose_name = _("费用调整")
        verbose_name_plural = _("费用调整")
        ordering = ["charge", "id"]
        constraints = [
            models.CheckConstraint(
                name="adjustment_reconciles",
                condition=_sums_to("appraised_delta", "owner_delta", "subsidy_delta"),
            )
        ]
        indexes = [models.Index(fields=["compound", "charge"])]

    def __str__(self) -> str:
        return f"{self.charge} {self.owner_delta:+}"


class ChargeSubsidyLine(models.Model):
    """One payer's part of a charge (``adjustment`` set: part of a later correction)."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="subsidy_lines")
    adjustment = models.ForeignKey(
        ChargeAdjustment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subsidy_lines",
    )
    payer = models.ForeignKey(SubsidyPayer, on_delete=models.PROTECT, related_name="lines")
    share = models.DecimalField(max_digits=5, decimal_places=2)
    amount = models.DecimalField(**MONEY)

    class Meta:
        verbose_name = _("补贴明细")
        verbose_name_plural = _("补贴明细")
        ordering = ["charge", "id"]
        indexes = [
            models.Index(fields=["compound", "payer"]),
            models.Index(fields=["compound", "charge"]),
        ]

    def __str__(self) -> str:
        return f"{self.payer_id} {self.amount}"


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("现金")
    BANK = "bank", _("银行转账")
    WECHAT = "wechat", _("微信支付")
    ALIPAY = "alipay", _("支付宝")


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("缴费")
    REFUND = "refund", _("退款")


class Payment(models.Model):
    """收款 or 退款 for one unit. Refunds are negative and point at the payment refunded.

    ``idempotency_key`` makes recording safe to retry: the same key with the same data
    returns the first payment; with different data it is refused.
    """

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="payments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(
        _("类型"), max_length=8, choices=PaymentKind.choices, default=PaymentKind.PAYMENT
    )
    method = models.CharField(_("方式"), max_length=8, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("金额"), **MONEY)
    reference = models.CharField(_("交易流水号"), max_length=64, blank=True)
    received_on = models.DateField(_("收款日期"))
    idempotency_key = models.CharField(_("幂等键"), max_length=64)
    fingerprint = models.CharField(max_length=64, editable=False)
    is_prepayment = models.BooleanField(_("预缴"), default=False)
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("收款记录")
        verbose_name_plural = _("收款记录")
        ordering = ["compound_id", "-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "idempotency_key"], name="payment_unique_idempotency_key"
            ),
            models.CheckConstraint(
                name="payment_sign_matches_kind",
                condition=Q(kind="payment", amount__gt=0, refund_of__isnull=True)
                | Q(kind="refund", amount__lt=0, refund_of__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["compound", "unit", "received_on"]),
            models.Index(fields=["compound", "received_on"]),
        ]

    #: Set by the recording services: True when the request replayed an earlier one (same
    #: idempotency key and data) and this is the payment recorded then.
    was_replayed: bool = False

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.amount}"

    @property
    def receipt_number(self) -> str:
        return f"{self.compound_id:04d}-{self.pk:08d}" if self.pk else ""


class PaymentAllocation(models.Model):
    """How much of a payment settled which charge (negative for refunds)."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)

    class Meta:
        verbose_name = _("收款分配")
        verbose_name_plural = _("收款分配")
        ordering = ["payment", "id"]
        indexes = [
            models.Index(fields=["compound", "charge"]),
            models.Index(fields=["compound", "payment"]),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}→{self.charge_id} {self.amount}"


class ReminderKind(models.TextChoices):
    """CC 944: reminder, then a written demand, then court or arbitration. Nothing else:
    the product offers no way to cut or threaten to cut any utility."""

    REMINDER = "reminder", _("催缴提醒")
    WRITTEN_DEMAND = "written_demand", _("书面催告")
    LEGAL_HANDOVER = "legal_handover", _("移交诉讼或仲裁")


class ReminderStep(models.Model):
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="reminder_steps")
    kind = models.CharField(_("步骤"), max_length=16, choices=ReminderKind.choices)
    outstanding = models.DecimalField(_("欠费金额"), **MONEY)
    respond_by = models.DateField(_("答复期限"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("催缴步骤")
        verbose_name_plural = _("催缴步骤")
        ordering = ["unit", "created_at", "id"]
        indexes = [models.Index(fields=["compound", "unit", "created_at"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.get_kind_display()}"


class NoticeChunk(BuildingPrintChunk):
    """A piece of work of a run's print job (households.printing: parts of at most
    FEES_NOTICE_PART_SIZE households, joined into the building's print file), claimed by
    one task at a time. ``notices`` is the pages its file holds."""

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="chunks")
    notices = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("通知单打印文件")
        verbose_name_plural = _("通知单打印文件")
        # The join step (part 0) of a building last: a mapping of building to row built
        # in this order keeps the row holding the building's print file.
        ordering = ["run", "building__sort_key", "building__number", "-part"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "building", "part"], name="notice_chunk_part_unique"
            )
        ]
        indexes = [models.Index(fields=["compound", "run", "status"])]

    def __str__(self) -> str:
        return f"{self.run} · {self.building} · {self.part}/{self.parts}"


class AnnualAccount(models.Model):
    """年度收支: the service's income and spending of one year, published under BJ 70 /
    CC 943. Fee income is computed from payments; spending is entered by the company."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    other_income = models.DecimalField(_("其他收入"), default=Decimal("0.00"), **MONEY)
    spending = models.JSONField(_("支出明细"), default=list, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("年度收支")
        verbose_name_plural = _("年度收支")
        ordering = ["compound_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "year"], name="annual_account_unique")
        ]

    def __str__(self) -> str:
        return f"{self.year}"

    @property
    def spending_total(self) -> Decimal:
        return sum((Decimal(str(item["amount"])) for item in self.spending), Decimal("0.00"))


# --- kept collection totals (issue 10) ---------------------------------------------------
# The collection pages read these instead of every charge of the year. They are derived
# data: ``fees.services.collection_totals.refresh`` recomputes the rows of the buildings a
# write touched, from their charges and allocations, in the writing transaction; the
# ``collection_totals_rebuild`` command rebuilds them all.

SUM_MONEY: _DecimalSize = {"max_digits": 16, "decimal_places": 2}


class CollectionTotal(models.Model):
    """One building's collection in one year (charges of runs starting in it): billed
    households, households paid in full, the owners' due, collected capped at due per
    household, and the subsidy due."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    households = models.PositiveIntegerField(default=0)
    paid_households = models.PositiveIntegerField(default=0)
    owner_due = models.DecimalField(default=Decimal("0.00"), **SUM_MONEY)
    collected = models.DecimalField(default=Decimal("0.00"), **SUM_MONEY)
    subsidy_due = models.DecimalField(default=Decimal("0.00"), **SUM_MONEY)

    class Meta:
        verbose_name = _("收缴汇总（楼栋·年度）")
        verbose_name_plural = _("收缴汇总（楼栋·年度）")
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "year", "building"], name="collection_total_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} · {self.building_id}"


class CollectionRunTotal(models.Model):
    """One building's charges in one billing run: how many, how many paid, the sums."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="+")
    charges = models.PositiveIntegerField(default=0)
    paid_charges = models.PositiveIntegerField(default=0)
    owner_due = models.DecimalField(default=Decimal("0.00"), **SUM_MONEY)
    owner_paid = models.DecimalField(default=Decimal("0.00"), **SUM_MONEY)
    subsidy_due = models.DecimalField(default=Decimal("0.00"), **SUM_MONEY)

    class Meta:
        verbose_name = _("收缴汇总（楼栋·计费批次）")
        verbose_name_plural = _("收缴汇总（楼栋·计费批次）")
        constraints = [
            models.UniqueConstraint(fields=["run", "building"], name="collection_run_total_unique")
        ]
        indexes = [models.Index(fields=["compound", "run"])]

    def __str__(self) -> str:
        return f"{self.run_id} · {self.building_id}"


class CollectionMonthTotal(models.Model):
    """What was applied (net of refunds) in one month of payment to one building's charges
    of one year: the steps of the cumulative collection chart."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.DateField()
    collected = models.DecimalField(default=Decimal("0.00"), **SUM_MONEY)

    class Meta:
        verbose_name = _("收缴汇总（楼栋·月份）")
        verbose_name_plural = _("收缴汇总（楼栋·月份）")
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "year", "building", "month"],
                name="collection_month_total_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} · {self.building_id} · {self.month:%Y-%m}"
