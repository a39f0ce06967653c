"""Co-funded works (维修改造工程) and the maintenance fund (住宅专项维修资金).

A project has a scope (buildings or units of its compound), a basis (a passed decision item
of a fitting CC 278 category, or an emergency case), a funding plan whose lines sum to the
budget, and per-unit contributions for the owners' line (split by exclusive area, CC 283).
The maintenance fund is a ledger per unit: opening balances, top-ups and draws.

Every table carries ``compound`` and the indexes that serve pages start with it. Amounts are
Decimal yuan with two places (:data:`fees.models.MONEY`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fees.models import MONEY, PaymentMethod
from households.models import Building, PropertyRightUnit, Unit
from households.printing import BuildingPrintChunk
from portal.models import Compound
from voting.models import Item


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", _("已提出")
    APPROVED = "approved", _("已批准")
    CONTRACTED = "contracted", _("已签约")
    IN_PROGRESS = "in_progress", _("施工中")
    ACCEPTED = "accepted", _("已验收")
    SETTLED = "settled", _("已结算")


class EmergencyCase(models.Model):
    """A case in which Beijing allows an urgent draw on the maintenance fund without the
    ordinary joint decision (应急使用维修资金的情形), e.g. lifts past their service life that
    fail inspection. Data, not code: the catalogue is seeded by a migration and kept in the
    admin. Not a tenant table: the cases are the city's."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    title = models.CharField(_("情形"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    evidence_required = models.CharField(_("须提交的证明"), max_length=300, blank=True)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("应急使用情形")
        verbose_name_plural = _("应急使用情形")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title


class Project(models.Model):
    """维修改造工程: one co-funded piece of works of one compound."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("工程名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PROPOSED
    )
    budget = models.DecimalField(_("预算（元）"), **MONEY)
    # The basis of approval: a passed item of category 5/6/7/8 whose scope covers the
    # project's, or an emergency case (with its application).
    basis_item = models.ForeignKey(
        Item,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("依据的表决事项"),
    )
    emergency_case = models.ForeignKey(
        EmergencyCase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("应急情形"),
    )
    contractor = models.CharField(_("施工单位"), max_length=200, blank=True)
    contract_sum = models.DecimalField(_("合同金额（元）"), null=True, blank=True, **MONEY)
    settled_amount = models.DecimalField(_("结算金额（元）"), null=True, blank=True, **MONEY)
    proposed_on = models.DateField(_("提出日期"))
    approved_on = models.DateField(_("批准日期"), null=True, blank=True)
    contracted_on = models.DateField(_("签约日期"), null=True, blank=True)
    started_on = models.DateField(_("开工日期"), null=True, blank=True)
    accepted_on = models.DateField(_("验收日期"), null=True, blank=True)
    settled_on = models.DateField(_("结算日期"), null=True, blank=True)
    illustrative = models.BooleanField(
        _("示意数据"), default=False, help_text=_("演示用的示意数字，不是实际记录")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("维修改造工程")
        verbose_name_plural = _("维修改造工程")
        ordering = ["compound_id", "-proposed_on", "-id"]
        indexes = [models.Index(fields=["compound", "status"])]
        constraints = [
            models.CheckConstraint(
                name="project_money_not_negative",
                condition=Q(budget__gte=0)
                & (Q(contract_sum__isnull=True) | Q(contract_sum__gte=0))
                & (Q(settled_amount__isnull=True) | Q(settled_amount__gte=0)),
            ),
            models.CheckConstraint(
                name="project_one_basis",
                condition=Q(basis_item__isnull=True) | Q(emergency_case__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProjectBuilding(models.Model):
    """A building in the project's scope (the whole building's units)."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scope_buildings")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "building"], name="works_building_unique")
        ]
        indexes = [models.Index(fields=["compound", "project"])]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.building_id}"


class ProjectUnit(models.Model):
    """A single unit in the project's scope (for works that concern some units only)."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scope_units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "unit"], name="works_unit_unique")
        ]
        indexes = [models.Index(fields=["compound", "project"])]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.unit_id}"


class ProjectItem(models.Model):
    """What the works replace or repair, e.g. one lift with its registration number."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("名称"), max_length=200)
    registration_number = models.CharField(_("注册代码/编号"), max_length=64, blank=True)
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("工程内容")
        verbose_name_plural = _("工程内容")
        ordering = ["project", "id"]
        indexes = [models.Index(fields=["compound", "project"])]

    def __str__(self) -> str:
        return self.name


class DocumentKind(models.TextChoices):
    CONTRACT = "contract", _("合同")
    ACCEPTANCE = "acceptance", _("验收报告")
    INVOICE = "invoice", _("发票")
    SETTLEMENT = "settlement", _("结算报告")
    EVIDENCE = "evidence", _("应急证明材料")
    OTHER = "other", _("其他")


class ProjectDocument(models.Model):
    """A document of a project (PDF or image), kept behind Django's storage API and served
    only through the portal to those who may see the project."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("类型"), max_length=12, choices=DocumentKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    file = models.FileField(_("文件"), upload_to="works/", max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    # Whether the public page may list it (an acceptance report, a settlement; never
    # anything with personal data).
    public = models.BooleanField(_("公开"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("工程文件")
        verbose_name_plural = _("工程文件")
        ordering = ["project", "uploaded_at", "id"]
        indexes = [models.Index(fields=["compound", "project"])]

    def __str__(self) -> str:
        return self.title


class ProjectEvent(models.Model):
    """A state change of a project: who moved it from which status to which, and when
    (``actor`` null: the system)."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=ProjectStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ProjectStatus.choices)
    on = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "at", "id"]
        indexes = [models.Index(fields=["compound", "project"])]

    def __str__(self) -> str:
        return f"{self.project_id} {self.from_status}→{self.to_status}"


class FundingKind(models.TextChoices):
    GOVERNMENT = "government", _("政府补贴")
    COMPANY = "company", _("物业服务企业")
    PROPERTY_UNIT = "property_unit", _("产权单位")
    MAINTENANCE_FUND = "maintenance_fund", _("专项维修资金")
    OWNERS = "owners", _("业主自筹")


class FundingLine(models.Model):
    """One payer's part of a project's budget. The lines of a project sum to its budget
    (checked by the services, since it spans rows). A project has at most one ``owners``
    line and one ``maintenance_fund`` line; a ``property_unit`` line names the unit, and
    that unit's flats are then outside the owners' split."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="funding")
    position = models.PositiveSmallIntegerField(_("序号"))
    kind = models.CharField(_("类型"), max_length=16, choices=FundingKind.choices)
    payer = models.CharField(_("出资方"), max_length=200)
    property_unit = models.ForeignKey(
        PropertyRightUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount = models.DecimalField(_("金额（元）"), **MONEY)

    class Meta:
        verbose_name = _("资金来源")
        verbose_name_plural = _("资金来源")
        ordering = ["project", "position"]
        indexes = [models.Index(fields=["compound", "project"])]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "position"], name="funding_line_unique_position"
            ),
            models.UniqueConstraint(
                fields=["project", "kind"],
                condition=Q(kind__in=["owners", "maintenance_fund"]),
                name="funding_line_one_owners_or_fund_line",
            ),
            models.CheckConstraint(name="funding_line_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="funding_line_property_unit_matches_kind",
                condition=Q(kind="property_unit", property_unit__isnull=False)
                | (~Q(kind="property_unit") & Q(property_unit__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} {self.amount}"


class Contribution(models.Model):
    """One unit's share of a project's ``owners`` line (CC 283: by exclusive area within
    the scope, largest remainder to the fen; :func:`works.money.split_by_area`). The shares
    of a line sum exactly to it. ``area`` is the counted area used for the split."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="contributions")
    line = models.ForeignKey(FundingLine, on_delete=models.CASCADE, related_name="contributions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="+")
    area = models.DecimalField(_("面积（m²）"), max_digits=10, decimal_places=2)
    share = models.DecimalField(_("应出资（元）"), **MONEY)
    paid = models.DecimalField(_("已缴（元）"), default=0, **MONEY)

    class Meta:
        verbose_name = _("业主出资")
        verbose_name_plural = _("业主出资")
        ordering = ["project", "building__sort_key", "building__number", "unit__number"]
        indexes = [
            models.Index(fields=["compound", "project", "building"]),
            models.Index(fields=["compound", "unit"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["line", "unit"], name="contribution_unique_unit"),
            models.CheckConstraint(
                name="contribution_amounts_not_negative",
                condition=Q(area__gt=0, share__gte=0, paid__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.unit_id} {self.share}"


class Receipt(models.Model):
    """Money received for one funding line: an owner's contribution (``contribution`` set)
    or a payment by another payer (the government's subsidy, the company's part).
    ``idempotency_key`` makes recording safe to retry, as for fee payments."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="receipts")
    line = models.ForeignKey(FundingLine, on_delete=models.PROTECT, related_name="receipts")
    contribution = models.ForeignKey(
        Contribution, on_delete=models.PROTECT, null=True, blank=True, related_name="receipts"
    )
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    method = models.CharField(
        _("方式"), max_length=8, choices=PaymentMethod.choices, default=PaymentMethod.BANK
    )
    reference = models.CharField(_("交易流水号"), max_length=64, blank=True)
    received_on = models.DateField(_("收款日期"))
    idempotency_key = models.CharField(_("幂等键"), max_length=64)
    fingerprint = models.CharField(max_length=64, editable=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    #: Set by the recording service when the request replayed an earlier one.
    was_replayed: bool = False

    class Meta:
        verbose_name = _("工程收款")
        verbose_name_plural = _("工程收款")
        ordering = ["project", "-received_on", "-id"]
        indexes = [models.Index(fields=["compound", "project", "line"])]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "idempotency_key"], name="works_receipt_unique_key"
            ),
            models.CheckConstraint(name="works_receipt_amount_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.line_id} {self.amount}"


class ReceiptRefund(models.Model):
    """退款: money paid back on a receipt (an overpayment, a payer who withdrew). The
    receipt stays as it was; what was raised is the receipts less their refunds. A refund
    names its reason, is recorded with an idempotency key like the receipt, and the refunds
    of one receipt never exceed its amount (checked by the service under the receipt's
    lock)."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("退款金额（元）"), **MONEY)
    refunded_on = models.DateField(_("退款日期"))
    reason = models.CharField(_("退款原因"), max_length=200)
    idempotency_key = models.CharField(_("幂等键"), max_length=64)
    fingerprint = models.CharField(max_length=64, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    #: Set by the recording service when the request replayed an earlier one.
    was_replayed: bool = False

    class Meta:
        verbose_name = _("工程退款")
        verbose_name_plural = _("工程退款")
        ordering = ["receipt", "id"]
        indexes = [models.Index(fields=["compound", "receipt"])]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "idempotency_key"], name="works_refund_unique_key"
            ),
            models.CheckConstraint(name="works_refund_amount_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_id} -{self.amount}"


class NoticeJobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ContributionNoticeJob(models.Model):
    """出资通知单打印任务: the per-unit contribution notices of a project's owners' line,
    printed per building through households.printing (Celery, progress, restart-safe)."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="notice_jobs")
    status = models.CharField(
        _("状态"), max_length=8, choices=NoticeJobStatus.choices, default=NoticeJobStatus.QUEUED
    )
    done = models.PositiveIntegerField(_("已生成"), default=0)
    total = models.PositiveIntegerField(_("通知单数"), default=0)
    # The buildings chosen for this job (ids, register order); empty: every building of
    # the project's scope.
    building_ids = models.JSONField(_("所选楼栋"), default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"))

    class Meta:
        verbose_name = _("出资通知单打印任务")
        verbose_name_plural = _("出资通知单打印任务")
        ordering = ["compound_id", "-created_at", "-id"]
        indexes = [models.Index(fields=["compound", "project", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.project_id} notices #{self.pk}"

    @property
    def progress(self) -> int:
        """Per cent of the notices made, for the progress bar."""
        if self.total == 0:
            return 100 if self.status == NoticeJobStatus.DONE else 0
        return min(100, self.done * 100 // self.total)


class ContributionNoticeChunk(BuildingPrintChunk):
    """A part of a contribution notice job's building print file."""

    job = models.ForeignKey(ContributionNoticeJob, on_delete=models.CASCADE, related_name="chunks")
    notices = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("出资通知单打印文件")
        verbose_name_plural = _("出资通知单打印文件")
        ordering = ["job", "building__sort_key", "building__number", "-part"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "building", "part"], name="works_notice_chunk_part_unique"
            )
        ]
        indexes = [models.Index(fields=["compound", "job", "status"])]

    def __str__(self) -> str:
        return f"{self.job_id} · {self.building_id} · {self.part}/{self.parts}"


# ---------------------------------------------------------------- maintenance fund


class OverdrawRule(models.TextChoices):
    REFUSE = "refuse", _("拒绝超出余额的分摊")
    FLAG = "flag", _("记为欠缴并提示续筹")


class FundSettings(models.Model):
    """A compound's rule for a draw larger than a unit's balance: refuse the draw, or take
    the balance and flag the rest as owed (续筹). Never a silent negative balance."""

    compound = models.OneToOneField(Compound, on_delete=models.CASCADE, related_name="+")
    overdraw = models.CharField(
        _("余额不足时"), max_length=8, choices=OverdrawRule.choices, default=OverdrawRule.REFUSE
    )

    class Meta:
        verbose_name = _("维修资金设置")
        verbose_name_plural = _("维修资金设置")

    def __str__(self) -> str:
        return f"{self.compound_id} {self.overdraw}"


class DrawStatus(models.TextChoices):
    PUBLISHED = "published", _("已公示")
    MADE = "made", _("已划拨")


class FundDraw(models.Model):
    """A draw on the maintenance fund for an approved project, apportioned by area within
    its scope. It is published to the owners (``published_on``) before it is made
    (``made_on``); the ledger entries are written when it is made. An emergency draw names
    its case and evidence (the project's documents of kind ``evidence``)."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="fund_draws")
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    emergency_case = models.ForeignKey(
        EmergencyCase, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=DrawStatus.choices, default=DrawStatus.PUBLISHED
    )
    published_on = models.DateField(_("公示日期"))
    made_on = models.DateField(_("划拨日期"), null=True, blank=True)
    # What the compound's overdraw rule flagged: the part of the draw the units' balances
    # did not cover (owed by them), 0 when every unit could pay its share.
    shortfall = models.DecimalField(_("余额不足部分（元）"), default=0, **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("维修资金使用")
        verbose_name_plural = _("维修资金使用")
        ordering = ["compound_id", "-published_on", "-id"]
        indexes = [models.Index(fields=["compound", "project"])]
        constraints = [
            models.CheckConstraint(
                name="fund_draw_amounts", condition=Q(amount__gt=0, shortfall__gte=0)
            ),
            models.CheckConstraint(
                name="fund_draw_made_after_published",
                condition=Q(made_on__isnull=True) | Q(made_on__gte=models.F("published_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.amount}"


class FundDrawShare(models.Model):
    """One unit's share of a fund draw, fixed when the draw is published: the split the
    owners were shown is the split that is made, whatever changes in the scope or the
    register between publication and the draw."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    draw = models.ForeignKey(FundDraw, on_delete=models.CASCADE, related_name="shares")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="+")
    area = models.DecimalField(_("面积（m²）"), max_digits=10, decimal_places=2)
    share = models.DecimalField(_("分摊金额（元）"), **MONEY)

    class Meta:
        verbose_name = _("维修资金分摊")
        verbose_name_plural = _("维修资金分摊")
        ordering = ["draw", "id"]
        indexes = [
            models.Index(fields=["compound", "draw"]),
            # An owner's shares of the draws published to them (their home page).
            models.Index(fields=["compound", "unit"], name="works_fund_share_unit_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["draw", "unit"], name="fund_draw_share_one_per_unit"),
            models.CheckConstraint(
                name="fund_draw_share_amounts", condition=Q(area__gt=0, share__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.draw_id} {self.unit_id} {self.share}"


class EntryKind(models.TextChoices):
    OPENING = "opening", _("期初余额")
    TOP_UP = "top_up", _("续筹")
    DRAW = "draw", _("使用")
    INTEREST = "interest", _("增值收益")
    # A later credit settling (part of) what a draw left owed: the draw receives the money.
    SETTLE = "settle", _("补划欠缴")


class FundImport(models.Model):
    """One import of opening balances from an XLSX file (all-or-nothing, like the roster).

    It runs in the background (a compound may have 50,000 units): the upload is kept in
    ``upload`` until the worker has read it, ``rows_done`` counts the rows checked for the
    progress bar, and a refused file keeps its row errors in ``errors`` (row, column,
    message) and writes nothing."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=8, choices=NoticeJobStatus.choices, default=NoticeJobStatus.DONE
    )
    upload = models.FileField(upload_to="works/fund-imports/", max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已检查"), default=0)
    total = models.DecimalField(_("合计（元）"), default=0, **MONEY)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("维修资金余额导入")
        verbose_name_plural = _("维修资金余额导入")
        ordering = ["compound_id", "-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.compound_id} {self.filename}"

    @property
    def in_progress(self) -> bool:
        return self.status in (NoticeJobStatus.QUEUED, NoticeJobStatus.RUNNING)

    @property
    def progress(self) -> int:
        """Per cent of the rows checked, for the progress bar."""
        if not self.in_progress:
            return 100
        return min(99, self.rows_done * 100 // self.rows) if self.rows else 0


class FundEntry(models.Model):
    """One line of a unit's maintenance-fund ledger. ``amount`` is signed: draws are
    negative. A unit's balance is the sum of its entries and never goes below zero: when
    the compound's rule flags a draw larger than the balance, the draw's entry takes the
    balance and records the rest as ``owed``.

    The ledger is append-only. A later top-up or interest settles what is owed first
    (oldest draw first) with a ``settle`` entry linked to the draw: ``amount`` is what the
    draw receives (negative) and ``owed`` the same negative change to what is owed, so
    the sum of ``owed`` over a unit's (or a draw's) entries is what remains owed, and for
    every draw ``-sum(amount) + sum(owed)`` over its entries equals the draw's amount."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=10, choices=EntryKind.choices)
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    # The part of this unit's share of a draw its balance did not cover (flag rule).
    owed = models.DecimalField(_("欠缴（元）"), default=0, **MONEY)
    draw = models.ForeignKey(
        FundDraw, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    fund_import = models.ForeignKey(
        FundImport, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    entry_date = models.DateField(_("日期"))
    note = models.CharField(_("摘要"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("维修资金分户账")
        verbose_name_plural = _("维修资金分户账")
        ordering = ["unit", "entry_date", "id"]
        indexes = [
            models.Index(fields=["compound", "unit", "entry_date"]),
            models.Index(fields=["compound", "building"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="fund_entry_sign_matches_kind_v2",
                condition=Q(kind="draw", amount__lte=0, draw__isnull=False)
                | Q(kind="settle", amount__lt=0, draw__isnull=False)
                | (~Q(kind__in=["draw", "settle"]) & Q(amount__gt=0) & Q(draw__isnull=True)),
            ),
            models.CheckConstraint(
                name="fund_entry_owed_by_kind",
                condition=(~Q(kind="settle") & Q(owed__gte=0))
                | Q(kind="settle", owed=models.F("amount")),
            ),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(kind="opening"), name="fund_entry_one_opening"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.kind} {self.amount}"
