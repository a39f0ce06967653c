"""Owners' joint decisions (业主共同决定): decisions, items, the frozen roll, ballots.

The procedure (BJ 35, 37) is a state machine on :class:`Decision`; the roll is frozen into
:class:`RollEntry` / :class:`RollUnit` rows when the decision is announced; every ballot
references a roll row, and a unique constraint on (item, roll entry) makes a double vote
impossible at the database. Writes go through ``voting.services``.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from households.models import Building, Owner, Unit
from portal.models import Compound

from .rules import CATEGORY_LABELS

# Codes people read and type: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_ballot_code() -> str:
    return new_code(10)


def new_receipt_code() -> str:
    return new_code(12)


class DecisionState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ANNOUNCED = "announced", _("已公告")
    OPEN = "open", _("投票中")
    CLOSED = "closed", _("投票结束")
    COUNTED = "counted", _("已计票")
    PUBLISHED = "published", _("已公布")


class ReportStatus(models.TextChoices):
    NONE = "none", _("未生成")
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("失败")


# What the committee sets on a draft (the form, the API and decision_update); fixed once
# the decision is announced.
DRAFT_SETTINGS = (
    "title",
    "description",
    "voting_opens_at",
    "voting_closes_at",
    "spoiled_counts_as_participating",
    "allow_changes_until_close",
    "adopted_rules_follow_majority",
)


class Decision(models.Model):
    """业主共同决定: one vote on one or more items, from notice to published result."""

    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("小区")
    )
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=DecisionState.choices, default=DecisionState.DRAFT
    )
    voting_opens_at = models.DateTimeField(_("投票开始时间"), null=True, blank=True)
    voting_closes_at = models.DateTimeField(_("投票截止时间"), null=True, blank=True)
    spoiled_counts_as_participating = models.BooleanField(
        _("废票计入参与表决"),
        default=False,
        help_text=_("勾选后，废票计入参与表决的业主人数和面积，但不计入同意"),
    )
    allow_changes_until_close = models.BooleanField(
        _("允许截止前修改选票"),
        default=False,
        help_text=_("勾选后，业主在投票截止前可以修改网上选票，以最后一次为准"),
    )
    adopted_rules_follow_majority = models.BooleanField(
        _("议事规则约定未投票视为同意多数意见"),
        default=False,
        help_text=_("仅当本小区已通过的议事规则有此约定时勾选 (民法典第140条)"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    announced_at = models.DateTimeField(_("公告时间"), null=True, blank=True)
    opened_at = models.DateTimeField(_("开始投票时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束投票时间"), null=True, blank=True)
    counted_at = models.DateTimeField(_("计票时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    # The counting record (计票记录).
    counting_date = models.DateField(_("计票日期"), null=True, blank=True)
    counting_place = models.CharField(_("计票地点"), max_length=200, blank=True)
    counters = models.CharField(_("唱票、计票、监票人"), max_length=500, blank=True)
    notary_office = models.CharField(_("公证机构"), max_length=200, blank=True)
    public_counting = models.BooleanField(_("公开唱票"), default=False)
    ballot_set_sha256 = models.CharField(_("选票集 SHA-256"), max_length=64, blank=True)
    tally_snapshot = models.JSONField(_("计票结果快照"), default=dict, blank=True)
    # The tally report (PDF), made by a Celery task.
    report_status = models.CharField(
        max_length=16, choices=ReportStatus.choices, default=ReportStatus.NONE
    )
    report_progress = models.PositiveSmallIntegerField(default=0)
    report_file = models.FileField(upload_to="voting/reports/", blank=True)

    class Meta:
        verbose_name = _("业主共同决定")
        verbose_name_plural = _("业主共同决定")
        ordering = ["compound_id", "-created_at"]
        indexes = [models.Index(fields=["compound", "state", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("voting:decision", args=[self.compound.code, self.pk])

    @property
    def is_editable(self) -> bool:
        """Items may change only before the announcement (BJ 35: nothing not in the notice
        may be voted on)."""
        return self.state == DecisionState.DRAFT

    @property
    def is_result_final(self) -> bool:
        return self.state in (DecisionState.COUNTED, DecisionState.PUBLISHED)

    def is_open_at(self, moment: dt.datetime) -> bool:
        """Ballots may be cast at ``moment``: voting opened and its window holds it."""
        return (
            self.state == DecisionState.OPEN
            and self.voting_opens_at is not None
            and self.voting_closes_at is not None
            and self.voting_opens_at <= moment <= self.voting_closes_at
        )

    @property
    def may_be_tallied(self) -> bool:
        """Only a closed vote has a tally: an open one would leak the running result."""
        return self.state in (
            DecisionState.CLOSED,
            DecisionState.COUNTED,
            DecisionState.PUBLISHED,
        )


class Item(models.Model):
    """表决事项: one question, with its CC 278 category and its scope.

    ``sets_fee_standard`` says the item decides the service fee standard (BJ 73). CC 278
    has no category of its own for it (it passes by simple majority, like (4)), so the
    committee states it when adding the item; agreements rely on it."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("事项"), max_length=300)
    description = models.TextField(_("说明"), blank=True)
    category = models.PositiveSmallIntegerField(
        _("民法典第278条事项类别"),
        choices=list(CATEGORY_LABELS.items()),
    )
    sets_fee_standard = models.BooleanField(
        _("涉及物业服务收费标准"),
        default=False,
        help_text=_("本事项决定物业服务收费标准；通过后可据以生成四方协议"),
    )
    buildings = models.ManyToManyField(
        Building,
        through="ItemBuilding",
        blank=True,
        related_name="+",
        verbose_name=_("表决范围 (楼栋)"),
    )

    class Meta:
        verbose_name = _("表决事项")
        verbose_name_plural = _("表决事项")
        ordering = ["decision", "position"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "position"], name="item_unique_position")
        ]
        indexes = [models.Index(fields=["compound", "decision", "position"])]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_label(self) -> str:
        """The buildings the item is limited to ('16号楼、17号楼'); empty for the whole
        compound. Reads the prefetched scope rows."""
        return "、".join(row.building.label for row in self.scope_rows.all())


class ItemBuilding(models.Model):
    """An item limited to some buildings is decided by the owners of those buildings only."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="scope_rows")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "building"], name="itembuilding_unique")
        ]
        indexes = [models.Index(fields=["compound", "item"])]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.building_id}"


class StateChange(models.Model):
    """Who moved the decision from which state to which, and when."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="state_changes")
    from_state = models.CharField(max_length=16, choices=DecisionState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=DecisionState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["decision", "at", "id"]
        indexes = [models.Index(fields=["compound", "decision", "at"])]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class RollEntry(models.Model):
    """One voter on the frozen roll (SPC 9): one owner, or one set of co-owners voting
    through their representative, with the units they held at the announcement."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="roll")
    number = models.PositiveIntegerField(_("序号"))
    owner = models.ForeignKey(
        Owner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("投票人"),
        help_text=_("空：该房屋无登记业主，计入总人数和总面积，但不能投票"),
    )
    owner_key = models.CharField(
        max_length=200, help_text="sorted owner ids of the voter; 'unit:<id>' when ownerless"
    )
    ballot_code = models.CharField(
        _("选票编码"), max_length=16, unique=True, default=new_ballot_code
    )
    units_label = models.CharField(_("房屋"), max_length=500)
    area = models.BigIntegerField(_("面积 (0.01 m²)"))
    unknown_area_units = models.PositiveIntegerField(default=0)
    voted_at = models.DateTimeField(
        null=True, blank=True, help_text="first ballot of this voter (for turnout and 扫楼)"
    )

    class Meta:
        verbose_name = _("表决名册")
        verbose_name_plural = _("表决名册")
        ordering = ["decision", "number"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "number"], name="rollentry_unique_number"),
            models.UniqueConstraint(fields=["decision", "owner_key"], name="rollentry_unique_key"),
        ]
        indexes = [
            models.Index(fields=["compound", "decision", "owner"]),
            models.Index(fields=["compound", "decision", "voted_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.units_label}"

    @property
    def is_ownerless(self) -> bool:
        """A unit with no registered owner at the freeze (无登记业主): it counts in the
        totals (SPC 8, 9(1)) as a voter who did not vote; nobody may vote for it."""
        return self.owner_id is None


class RollUnit(models.Model):
    """A unit of a roll entry, with its building and area as frozen (area in 0.01 m²)."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="roll_units")
    entry = models.ForeignKey(RollEntry, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="+")
    unit_label = models.CharField(max_length=100)
    area = models.BigIntegerField(null=True, blank=True)
    # The unit's place in the turnout list, fixed at the freeze: by building, then natural
    # order inside it (entrance, floor, flat), so a page of one building is an index range.
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["entry", "unit_label"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "unit"], name="rollunit_unique_unit")
        ]
        indexes = [
            models.Index(
                fields=["compound", "decision", "building", "position"],
                name="rollunit_building_position",
            ),
            models.Index(fields=["compound", "entry"]),
        ]

    def __str__(self) -> str:
        return self.unit_label


class TurnoutCount(models.Model):
    """Kept turnout (投票进度) of one building, or (``building`` empty) of the whole scope,
    for the decision's own scope (``item`` empty) or for one item's: what the turnout page
    shows, so it never counts over the roll. Written at the freeze, then changed in the
    same transaction as every ballot that makes a voter count as having voted
    (``voting.services.turnout_counts``); ``manage.py turnout_counts_rebuild --check``
    compares them with a recount. Areas in 0.01 m², unknown areas counting 0."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="turnout_counts")
    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    units = models.PositiveIntegerField(default=0)
    voters = models.PositiveIntegerField(default=0)
    area = models.BigIntegerField(default=0)
    ownerless = models.PositiveIntegerField(default=0, help_text="units without an owner")
    voted_units = models.PositiveIntegerField(default=0)
    voted_voters = models.PositiveIntegerField(default=0)
    voted_area = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                models.F("compound"),
                models.F("decision"),
                Coalesce(models.F("item"), models.Value(0)),
                Coalesce(models.F("building"), models.Value(0)),
                name="turnoutcount_unique_row",
            )
        ]

    def __str__(self) -> str:
        return f"{self.decision_id}/{self.item_id or '-'}/{self.building_id or '*'}"


class Choice(models.TextChoices):
    AGREE = "agree", _("同意")
    DISAGREE = "disagree", _("反对")
    ABSTAIN = "abstain", _("弃权")
    SPOILED = "spoiled", _("废票")


class Channel(models.TextChoices):
    ONLINE = "online", _("网上投票")
    PAPER = "paper", _("书面投票")
    PROXY = "proxy", _("委托投票")


class Ballot(models.Model):
    """选票: one voter's choice on one item. The unique constraint is the last line of
    defence against double votes; the receipt code lets the voter check it was counted."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="ballots")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="ballots")
    entry = models.ForeignKey(RollEntry, on_delete=models.PROTECT, related_name="ballots")
    choice = models.CharField(_("表决意见"), max_length=16, choices=Choice.choices)
    channel = models.CharField(_("投票方式"), max_length=16, choices=Channel.choices)
    proxy = models.ForeignKey(
        "Proxy", on_delete=models.PROTECT, null=True, blank=True, related_name="ballots"
    )
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    receipt_code = models.CharField(
        _("回执码"), max_length=16, unique=True, default=new_receipt_code
    )
    cast_at = models.DateTimeField()
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("选票")
        verbose_name_plural = _("选票")
        ordering = ["decision", "item", "entry"]
        constraints = [
            models.UniqueConstraint(fields=["item", "entry"], name="ballot_one_per_voter_item")
        ]
        indexes = [models.Index(fields=["compound", "decision", "entry"])]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.entry_id}"


class PaperEntryStatus(models.TextChoices):
    PENDING = "pending", _("待第二人录入")
    CONFIRMED = "confirmed", _("两次录入一致")
    MISMATCH = "mismatch", _("两次录入不一致，待复核")
    RESOLVED = "resolved", _("已复核")


class PaperEntry(models.Model):
    """One committee member's keying of one paper ballot (双人录入). Two entries by two
    different members that agree create the ballots; a mismatch waits in the review queue."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="paper_entries")
    entry = models.ForeignKey(RollEntry, on_delete=models.PROTECT, related_name="paper_entries")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    choices = models.JSONField(help_text="{item id: choice}")
    status = models.CharField(
        max_length=16, choices=PaperEntryStatus.choices, default=PaperEntryStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["decision", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "entered_by"], name="paperentry_one_per_member"
            )
        ]
        indexes = [models.Index(fields=["compound", "decision", "status"])]

    def __str__(self) -> str:
        return f"{self.entry_id} · {self.get_status_display()}"


def proxy_upload_to(instance: "Proxy", filename: str) -> str:
    return f"voting/proxies/{instance.compound_id}/{instance.decision_id}/{filename}"


class Proxy(models.Model):
    """委托投票: an owner authorised someone to vote for them (the signed authorisation is
    uploaded). Voting in person revokes it automatically."""

    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="proxies")
    entry = models.ForeignKey(RollEntry, on_delete=models.PROTECT, related_name="proxies")
    holder_name = models.CharField(_("受托人"), max_length=100)
    holder_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("受托人账号"),
    )
    authorisation = models.FileField(_("授权委托书"), upload_to=proxy_upload_to)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("委托投票")
        verbose_name_plural = _("委托投票")
        ordering = ["decision", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(revoked_at__isnull=True),
                name="proxy_one_active_per_voter",
            )
        ]
        indexes = [models.Index(fields=["compound", "decision", "entry"])]

    def __str__(self) -> str:
        return f"{self.holder_name} → #{self.entry_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
