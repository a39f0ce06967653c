"""The compound register: buildings, units, owners and who owns what, since when."""

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.models import Compound

from .masking import mask_id_number, mask_phone
from .printing import BuildingPrintChunk
from .validators import validate_register_number

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class BuildingKind(models.TextChoices):
    HIGH_RISE = "high_rise", _("高楼")
    LOW_RISE = "low_rise", _("低楼")
    BUNGALOW = "bungalow", _("平房区")


def building_label(number: str, kind: str) -> str:
    """楼号 as people say it: '16号楼' for a numbered building, a bungalow area's (or any
    named building's) own name as registered."""
    if kind == BuildingKind.BUNGALOW or not number.isdigit():
        return number
    return f"{number}号楼"


class Building(models.Model):
    """楼房 or 平房区: the unit of fee standards (by kind) and of door-to-door work."""

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("小区")
    )
    number = models.CharField(_("楼号"), max_length=32, validators=[validate_register_number])
    kind = models.CharField(_("类型"), max_length=16, choices=BuildingKind.choices)
    floors = models.PositiveSmallIntegerField(_("层数"), default=1)
    lifts = models.PositiveSmallIntegerField(_("电梯数"), default=0)
    sort_key = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["compound_id", "sort_key", "number"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "number"], name="building_unique_number")
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("building", args=[self.compound.code, self.number])

    @property
    def label(self) -> str:
        """楼号 as people say it: '16号楼', or the bungalow area's own name."""
        return building_label(self.number, self.kind)

    @staticmethod
    def natural_sort_key(number: str) -> int:
        """Order '2' before '10' and bungalow areas after the numbered buildings."""
        digits = "".join(ch for ch in number if ch.isdigit())
        base = int(digits) if digits else 0
        return base if number.isdigit() else 10_000 + base


class AreaSource(models.TextChoices):
    """SPC 8: registered area first, then surveyed, then the contract's."""

    REGISTERED = "registered", _("不动产登记面积")
    SURVEYED = "surveyed", _("测绘面积")
    CONTRACT = "contract", _("合同面积")
    UNKNOWN = "unknown", _("未知")


class UnitQuerySet(models.QuerySet["Unit"]):
    def owned_by(self, user: "AbstractBaseUser | AnonymousUser") -> "UnitQuerySet":
        """The units ``user`` owns now (through a current ownership of one of their owner
        records), each once; none for an anonymous visitor."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            ownerships__owner__user_id=user.pk, ownerships__valid_to__isnull=True
        ).distinct()


class Unit(models.Model):
    """专有部分: one flat or one bungalow household; one unit is one vote and one bill."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="units")
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="units", verbose_name=_("楼栋")
    )
    number = models.CharField(_("房号"), max_length=32, validators=[validate_register_number])
    floor_area = models.DecimalField(
        _("建筑面积(m²)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    area_source = models.CharField(
        _("面积来源"), max_length=16, choices=AreaSource.choices, default=AreaSource.UNKNOWN
    )
    is_residential = models.BooleanField(_("住宅"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["building__sort_key", "building__number", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="unit_unique_number"),
            models.CheckConstraint(
                name="unit_area_matches_source",
                condition=(
                    models.Q(area_source="unknown", floor_area__isnull=True)
                    | (~models.Q(area_source="unknown") & models.Q(floor_area__gt=0))
                ),
            ),
        ]
        indexes = [models.Index(fields=["compound", "building", "number"])]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("unit", args=[self.compound.code, self.pk])

    @property
    def label(self) -> str:
        return f"{self.building.label} {self.number}"

    @property
    def has_known_area(self) -> bool:
        """A unit without a known area can be neither billed nor weighed in a vote."""
        return self.floor_area is not None


class OwnerKind(models.TextChoices):
    PERSON = "person", _("个人")
    ORGANISATION = "organisation", _("单位")


class Owner(models.Model):
    """业主: a person or an organisation, as one voter in the SPC 9 sense.

    The ID-card number is kept only to match roster rows and accounts to the same person;
    it is shown masked everywhere (PIPL).
    """

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="owners")
    kind = models.CharField(
        _("类型"), max_length=16, choices=OwnerKind.choices, default=OwnerKind.PERSON
    )
    name = models.CharField(_("姓名/名称"), max_length=200)
    id_number = models.CharField(_("证件号码"), max_length=32, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owner_records",
        verbose_name=_("登录账号"),
    )
    property_right_unit = models.OneToOneField(
        "PropertyRightUnit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="owner",
        verbose_name=_("产权单位"),
        help_text=_("产权单位持有的全部未售房屋计为一名业主 (SPC 9)"),
    )

    class Meta:
        verbose_name = _("业主")
        verbose_name_plural = _("业主")
        ordering = ["compound_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "id_number"],
                name="owner_unique_id_number",
                condition=~models.Q(id_number=""),
            )
        ]
        indexes = [models.Index(fields=["compound", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class OwnershipQuerySet(models.QuerySet["Ownership"]):
    def current(self, on: dt.date | None = None) -> "OwnershipQuerySet":
        """Ownerships in force. Without ``on``: those still open (no ``valid_to``). With
        ``on``: those in force that day, begun on or before it and not yet ended.
        ``valid_to`` (终止日期) is the last day owned: a sale closes the seller's row on the
        day before the buyer's ``valid_from``, so every day has exactly one holder."""
        if on is None:
            return self.filter(valid_to__isnull=True)
        return self.filter(valid_from__lte=on).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=on)
        )


class Ownership(models.Model):
    """Unit ↔ owner over time: a change closes a row and opens another, keeping history."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="ownerships")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="ownerships")
    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="ownerships")
    share = models.DecimalField(
        _("份额"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.0001"))],
    )
    is_representative = models.BooleanField(
        _("共有人代表"),
        default=True,
        help_text=_("共有房屋只有一张选票，由代表投出"),
    )
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("终止日期"), null=True, blank=True)

    objects = OwnershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("产权关系")
        verbose_name_plural = _("产权关系")
        ordering = ["unit", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "owner"],
                condition=models.Q(valid_to__isnull=True),
                name="ownership_one_current_row",
            ),
            models.CheckConstraint(
                name="ownership_valid_range",
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
            ),
        ]
        indexes = [models.Index(fields=["compound", "unit", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.unit} · {self.owner}"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class TransferStatus(models.TextChoices):
    TRANSFERRED = "transferred", _("已移交")
    RETAINED = "retained", _("未移交")


class PropertyRightUnit(models.Model):
    """产权单位: a former owner-employer; it may have handed its non-operating assets over."""

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="property_right_units"
    )
    name = models.CharField(_("名称"), max_length=200)
    transfer_status = models.CharField(
        _("非经资产移交"),
        max_length=16,
        choices=TransferStatus.choices,
        default=TransferStatus.RETAINED,
    )
    transfer_date = models.DateField(_("移交日期"), null=True, blank=True)
    receiver = models.CharField(_("接收单位"), max_length=200, blank=True)
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="represented_property_units",
        verbose_name=_("授权代表"),
    )

    class Meta:
        verbose_name = _("产权单位")
        verbose_name_plural = _("产权单位")
        ordering = ["compound_id", "name"]
        constraints = [models.UniqueConstraint(fields=["compound", "name"], name="pru_unique_name")]

    def __str__(self) -> str:
        return self.name


class Committee(models.Model):
    """物业管理委员会: the temporary body the street office forms where no owners' assembly
    exists (BJ 52–58)."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="committees")
    formed_on = models.DateField(_("成立日期"))
    term_end = models.DateField(_("任期届满"))

    class Meta:
        verbose_name = _("物业管理委员会")
        verbose_name_plural = _("物业管理委员会")
        ordering = ["compound_id", "-formed_on"]

    def __str__(self) -> str:
        return f"{self.compound} 物管会 ({self.formed_on:%Y})"

    def composition_problems(self) -> list[str]:
        """What breaks BJ 54 in the current membership: an odd number of at least seven
        members, of whom owner representatives are at least half. Empty when lawful."""
        members = list(self.members.all())
        size = len(members)
        owner_reps = sum(m.role == CommitteeRole.OWNER_REPRESENTATIVE for m in members)
        problems: list[str] = []
        if size < 7:
            problems.append(_("委员不足7人") + f" ({size})")
        if size % 2 == 0:
            problems.append(_("委员人数须为单数") + f" ({size})")
        if 2 * owner_reps < size:
            problems.append(_("业主代表不足半数") + f" ({owner_reps}/{size})")
        if not any(m.role == CommitteeRole.CHAIR for m in members):
            problems.append(str(_("未设主任")))
        return problems


class CommitteeRole(models.TextChoices):
    CHAIR = "chair", _("主任")
    VICE_CHAIR = "vice_chair", _("副主任")
    OWNER_REPRESENTATIVE = "owner_rep", _("业主代表")
    MEMBER = "member", _("委员")


class CommitteeMember(models.Model):
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="committee_members"
    )
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("姓名"), max_length=100)
    role = models.CharField(_("职务"), max_length=16, choices=CommitteeRole.choices)
    affiliation = models.CharField(_("所在单位"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="committee_seats",
    )
    term_start = models.DateField(_("任期开始"))
    term_end = models.DateField(_("任期结束"))

    class Meta:
        verbose_name = _("物管会委员")
        verbose_name_plural = _("物管会委员")
        ordering = ["committee", "role", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class FormationStep(models.TextChoices):
    """The steps of a committee's formation, in order (the value names the date field)."""

    ANNOUNCED = "announced_on", _("公告")
    NOMINATED = "nominated_on", _("推荐")
    CONFIRMED = "confirmed_on", _("确定")
    PUBLICITY = "publicity_start", _("公示")
    FILED = "filed_on", _("备案")


class CommitteeFormation(models.Model):
    """组建记录: how one committee was formed, step by step (BJ 52–58): the street office
    announces the formation (公告), candidates are nominated (推荐), the members are
    confirmed (确定: the committee exists from that day, its term begins), the composition
    is posted for 10 working days (公示), then the committee is filed with the street
    office (备案). Steps are recorded in order; ``publicity_end`` is computed when the
    publicity starts (:func:`households.workdays.add_working_days`) and kept, so a later
    change of the holiday list does not rewrite the record.

    At most one formation of a compound is unfinished (not yet filed) at a time; until it
    is confirmed it has no committee."""

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="committee_formations"
    )
    committee = models.OneToOneField(
        Committee,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="formation",
        verbose_name=_("物业管理委员会"),
    )
    announced_on = models.DateField(_("组建公告日期"))
    nominated_on = models.DateField(_("推荐日期"), null=True, blank=True)
    confirmed_on = models.DateField(_("确定日期"), null=True, blank=True)
    publicity_start = models.DateField(_("公示开始日期"), null=True, blank=True)
    publicity_end = models.DateField(_("公示期满日期"), null=True, blank=True)
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    illustrative = models.BooleanField(
        _("示意数据"), default=False, help_text=_("演示用的示意日期，不是实际记录")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("物管会组建记录")
        verbose_name_plural = _("物管会组建记录")
        ordering = ["compound_id", "-announced_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound"],
                condition=models.Q(filed_on__isnull=True),
                name="committee_formation_one_unfinished",
            ),
            models.CheckConstraint(
                name="committee_formation_steps_in_order",
                condition=(
                    (
                        models.Q(nominated_on__isnull=True)
                        | models.Q(nominated_on__gte=models.F("announced_on"))
                    )
                    & (
                        models.Q(confirmed_on__isnull=True)
                        | models.Q(confirmed_on__gte=models.F("nominated_on"))
                    )
                    & (
                        models.Q(publicity_start__isnull=True)
                        | models.Q(publicity_start__gte=models.F("confirmed_on"))
                    )
                    & (
                        models.Q(publicity_end__isnull=True)
                        | models.Q(publicity_end__gte=models.F("publicity_start"))
                    )
                    & (
                        models.Q(filed_on__isnull=True)
                        | models.Q(filed_on__gt=models.F("publicity_end"))
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compound} 物管会组建 ({self.announced_on:%Y-%m-%d})"

    @property
    def next_step(self) -> "FormationStep | None":
        """The first step not yet recorded (None once filed)."""
        for step in FormationStep:
            if getattr(self, step.value) is None:
                return step
        return None

    @property
    def is_finished(self) -> bool:
        return self.filed_on is not None


class CandidateKind(models.TextChoices):
    """Whom a candidate (候选人) stands for: an owner of the compound, or a representative
    of one of the bodies that sit on a committee (BJ 54: owner representatives at least
    half; the chair from the residents' committee)."""

    OWNER = "owner", _("业主")
    STREET_OFFICE = "street_office", _("街道办事处代表")
    RESIDENTS_COMMITTEE = "residents_committee", _("社区居委会代表")
    PROPERTY_RIGHT_UNIT = "property_right_unit", _("产权单位代表")
    OTHER = "other", _("其他代表")


class CommitteeCandidate(models.Model):
    """候选人: a person nominated at a formation's 推荐 step, with the seat proposed for
    them. At 确定 the street office seats the candidates it confirms
    (``member`` then points at the seat); eligibility warnings are computed when shown
    (:mod:`households.committee_checks`), never stored, since arrears and the roster
    change."""

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="committee_candidates"
    )
    formation = models.ForeignKey(
        CommitteeFormation, on_delete=models.CASCADE, related_name="candidates"
    )
    name = models.CharField(_("姓名"), max_length=100)
    kind = models.CharField(_("类别"), max_length=24, choices=CandidateKind.choices)
    role = models.CharField(_("拟任职务"), max_length=16, choices=CommitteeRole.choices)
    affiliation = models.CharField(_("所在单位"), max_length=200, blank=True)
    member = models.OneToOneField(
        CommitteeMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="candidate",
        verbose_name=_("当选委员"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("物管会候选人")
        verbose_name_plural = _("物管会候选人")
        ordering = ["compound_id", "formation_id", "id"]
        indexes = [models.Index(fields=["compound", "formation"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class ActivationCode(models.Model):
    """开通码: the one-time code printed on a household's activation letter (开通通知书).

    One per household (unit) at a time: printing again revokes the open code. Any current
    owner of the unit activates with it and their own ID suffix; it is then used. The
    secret half is stored hashed (portal.codes); after ACTIVATION_MAX_ATTEMPTS wrong tries
    the code locks."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="activation_codes")
    selector = models.CharField(max_length=8, unique=True)
    secret_hash = models.CharField(max_length=128)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("开通码")
        verbose_name_plural = _("开通码")
        ordering = ["compound_id", "unit", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=models.Q(used_at__isnull=True, revoked_at__isnull=True),
                name="activation_code_one_open_per_unit",
            )
        ]
        indexes = [models.Index(fields=["compound", "unit"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.selector}"


class ActivationFailure(models.Model):
    """A wrong activation attempt from one client address: after a few within the window
    the address is refused, whichever codes it tries (no probing across codes)."""

    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("开通失败记录")
        verbose_name_plural = _("开通失败记录")
        indexes = [models.Index(fields=["ip", "created_at"])]

    def __str__(self) -> str:
        return f"{self.ip} {self.created_at:%Y-%m-%d %H:%M}"


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")


class OwnershipClaim(models.Model):
    """房屋认领: a resident without a letter asks to be linked to a unit; the committee
    approves it only when the ID number matches a current owner of the unit on the roster,
    or rejects it with a reason the resident sees."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ownership_claims"
    )
    name = models.CharField(_("姓名"), max_length=100)
    id_number = models.CharField(_("证件号码"), max_length=32)
    certificate_number = models.CharField(_("不动产权证号"), max_length=64, blank=True)
    photo = models.FileField(_("权属证明照片"), upload_to="claims/", blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.PENDING
    )
    reason = models.CharField(_("驳回理由"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("房屋认领")
        verbose_name_plural = _("房屋认领")
        ordering = ["compound_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit"],
                condition=models.Q(status="pending"),
                name="claim_one_pending_per_user_unit",
            )
        ]
        indexes = [models.Index(fields=["compound", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.name} ({self.get_status_display()})"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class LetterJobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ActivationLetterJob(models.Model):
    """开通通知书打印任务: one request to print the activation letters of some buildings,
    one letter per household (unit) with a current owner, as building print files
    (households.printing). The codes are issued when each part is rendered
    (households.services.letters), so their plaintext exists only in the worker's memory
    and the PDF."""

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="activation_letter_jobs"
    )
    buildings = models.ManyToManyField(Building, related_name="+", verbose_name=_("楼栋"))
    status = models.CharField(
        _("状态"), max_length=8, choices=LetterJobStatus.choices, default=LetterJobStatus.QUEUED
    )
    done = models.PositiveIntegerField(_("已生成"), default=0)
    total = models.PositiveIntegerField(_("通知书数"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"))

    class Meta:
        verbose_name = _("开通通知书打印任务")
        verbose_name_plural = _("开通通知书打印任务")
        ordering = ["compound_id", "-created_at", "-id"]
        indexes = [models.Index(fields=["compound", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.compound_id} letters #{self.pk}"

    @property
    def progress(self) -> int:
        """Per cent of the letters made, for the progress bar."""
        if self.total == 0:
            return 100 if self.status == LetterJobStatus.DONE else 0
        return min(100, self.done * 100 // self.total)


class ActivationLetterChunk(BuildingPrintChunk):
    """A part of a letter job's building print file (households.printing): the units it
    prints were fixed when the job started (``unit_ids``, in unit order), so an ownership
    recorded meanwhile neither shifts nor repeats a letter. ``letters`` is the pages its
    file holds."""

    job = models.ForeignKey(ActivationLetterJob, on_delete=models.CASCADE, related_name="chunks")
    unit_ids = models.JSONField(default=list, blank=True)
    letters = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("开通通知书打印文件")
        verbose_name_plural = _("开通通知书打印文件")
        ordering = ["job", "building__sort_key", "building__number", "-part"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "building", "part"], name="letter_chunk_part_unique"
            )
        ]
        indexes = [models.Index(fields=["compound", "job", "status"])]

    def __str__(self) -> str:
        return f"{self.job_id} · {self.building_id} · {self.part}/{self.parts}"
