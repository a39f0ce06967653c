"""The tally engine: CC 278 thresholds over SPC 8/9 counts, as pure functions.

Plain data in, exact results out: owner counts are integers, areas are integer hundredths
of a square metre, ratios are :class:`fractions.Fraction`, and every threshold is checked by
integer cross-multiplication (``3 * participating >= 2 * total``), never with floats.
The page, the API, the PDF and the tests all call :func:`tally`; the database side only
aggregates ballots into an :class:`ItemCounts`.

Law encoded here (see DOMAIN.md):

* CC 278: participation ≥ 2/3 of all owners AND of all area ("三分之二以上", boundary
  included); consent of categories 6, 7, 8 ≥ 3/4 of the participating owners AND area
  ("四分之三以上", included); consent of the other categories > 1/2 ("过半数", boundary
  excluded, CC 1259).
* SPC 8/9: one owner per exclusive unit, one owner for several units of one person, one
  owner for all units of one holder (property-right unit), one ballot per co-owned unit
  through its representative; area of units with an unknown area is missing, and the
  tally says it is incomplete.
* Abstaining is participating, not consenting. Spoiled ballots count as participating only
  when the decision says so; either way they are shown.
* "Non-voters follow the majority" applies only when the compound's adopted rules contain
  such a clause (CC 140); then the raw and the adjusted tallies are shown side by side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum
from fractions import Fraction

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Category(IntEnum):
    """CC 278 (1)–(9): the matter decided fixes the consent threshold."""

    MEETING_RULES = 1  # 制定和修改业主大会议事规则
    MANAGEMENT_COVENANT = 2  # 制定和修改管理规约
    COMMITTEE_ELECTION = 3  # 选举业主委员会或者更换业主委员会成员
    SERVICE_COMPANY = 4  # 选聘和解聘物业服务企业或者其他管理人
    MAINTENANCE_FUND_USE = 5  # 使用建筑物及其附属设施的维修资金
    MAINTENANCE_FUND_RAISE = 6  # 筹集建筑物及其附属设施的维修资金
    REBUILDING = 7  # 改建、重建建筑物及其附属设施
    COMMON_PARTS_USE = 8  # 改变共有部分的用途或者利用共有部分从事经营活动
    OTHER_MAJOR = 9  # 有关共有和共同管理权利的其他重大事项


#: The matters of CC 278 as the law names them (the item form's choices, every tally).
CATEGORY_LABELS = {
    Category.MEETING_RULES: _("(一) 制定和修改业主大会议事规则"),
    Category.MANAGEMENT_COVENANT: _("(二) 制定和修改管理规约"),
    Category.COMMITTEE_ELECTION: _("(三) 选举业主委员会或者更换业主委员会成员"),
    Category.SERVICE_COMPANY: _("(四) 选聘和解聘物业服务企业或者其他管理人"),
    Category.MAINTENANCE_FUND_USE: _("(五) 使用建筑物及其附属设施的维修资金"),
    Category.MAINTENANCE_FUND_RAISE: _("(六) 筹集建筑物及其附属设施的维修资金"),
    Category.REBUILDING: _("(七) 改建、重建建筑物及其附属设施"),
    Category.COMMON_PARTS_USE: _("(八) 改变共有部分的用途或者利用共有部分从事经营活动"),
    Category.OTHER_MAJOR: _("(九) 有关共有和共同管理权利的其他重大事项"),
}


def category_label(category: int) -> str:
    return str(CATEGORY_LABELS[Category(category)])


class Rule(StrEnum):
    """The four CC 278 checks of every item: participation and consent, each over owners
    and over area."""

    PARTICIPATION_OWNERS = "participation_owners"
    PARTICIPATION_AREA = "participation_area"
    CONSENT_OWNERS = "consent_owners"
    CONSENT_AREA = "consent_area"


@dataclass(frozen=True)
class RuleLabel:
    name: str | Promise  # the ratio's name, in prose: 同意面积比例
    formula: str | Promise  # how it is computed, in the tally tables: 同意面积 / 参与表决面积


#: The one label table of the rules, for pages, template tags, the PDF, the API and the
#: other apps (agreements' reasons and facts).
RULE_LABELS: dict[str, RuleLabel] = {
    Rule.PARTICIPATION_OWNERS: RuleLabel(_("参与表决人数比例"), _("参与表决人数 / 总人数")),
    Rule.PARTICIPATION_AREA: RuleLabel(_("参与表决面积比例"), _("参与表决面积 / 总面积")),
    Rule.CONSENT_OWNERS: RuleLabel(_("同意人数比例"), _("同意人数 / 参与表决人数")),
    Rule.CONSENT_AREA: RuleLabel(_("同意面积比例"), _("同意面积 / 参与表决面积")),
}


def rule_name(rule: str) -> str:
    """'同意面积比例' for 'consent_area'; an unknown rule is shown as it is stored."""
    return str(RULE_LABELS[rule].name) if rule in RULE_LABELS else rule


def rule_formula(rule: str) -> str:
    """'同意面积 / 参与表决面积' for 'consent_area'; an unknown rule as it is stored."""
    return str(RULE_LABELS[rule].formula) if rule in RULE_LABELS else rule


#: Categories whose consent threshold is three quarters ("应当经…四分之三以上").
MAJOR_CATEGORIES = frozenset(
    {Category.MAINTENANCE_FUND_RAISE, Category.REBUILDING, Category.COMMON_PARTS_USE}
)

PARTICIPATION_THRESHOLD = Fraction(2, 3)
MAJOR_CONSENT_THRESHOLD = Fraction(3, 4)
ORDINARY_CONSENT_THRESHOLD = Fraction(1, 2)


class Choice(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    ABSTAIN = "abstain"
    SPOILED = "spoiled"


@dataclass(frozen=True)
class Share:
    """A number of owners and their area (integer hundredths of m²)."""

    owners: int = 0
    area: int = 0

    def __add__(self, other: Share) -> Share:
        return Share(self.owners + other.owners, self.area + other.area)

    def __sub__(self, other: Share) -> Share:
        return Share(self.owners - other.owners, self.area - other.area)


@dataclass(frozen=True)
class ItemCounts:
    """What the database hands the engine for one item: totals of the roll in scope and
    the sums per choice. ``unknown_area_units`` counts roll units in scope without area."""

    total: Share
    agree: Share = Share()
    disagree: Share = Share()
    abstain: Share = Share()
    spoiled: Share = Share()
    unknown_area_units: int = 0

    @property
    def voted(self) -> Share:
        return self.agree + self.disagree + self.abstain + self.spoiled

    @property
    def not_voted(self) -> Share:
        return self.total - self.voted


def meets(numerator: int, denominator: int, threshold: Fraction, *, inclusive: bool) -> bool:
    """``numerator / denominator`` ≥ (inclusive, "以上") or > ("过半数") ``threshold``,
    by integer cross-multiplication. Nothing meets a threshold over an empty base."""
    if denominator <= 0:
        return False
    left = numerator * threshold.denominator
    right = threshold.numerator * denominator
    return left >= right if inclusive else left > right


def ratio(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def percent(value: Fraction | None) -> str:
    """A ratio as a percentage with two decimals, rounded half-up: 7413/10000 → '74.13'."""
    if value is None:
        return "—"
    scaled = value * 10000  # hundredths of a percent
    whole = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    return str((Decimal(whole) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def area_str(hundredths: int) -> str:
    """Integer hundredths of m² as a decimal string: 6050 → '60.50'."""
    sign = "-" if hundredths < 0 else ""
    whole, frac = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{frac:02d}"


@dataclass(frozen=True)
class Check:
    """One CC 278 rule applied to one dimension (owners or area)."""

    name: str  # a Rule
    numerator: int
    denominator: int
    threshold: Fraction
    inclusive: bool

    @property
    def ratio(self) -> Fraction | None:
        return ratio(self.numerator, self.denominator)

    @property
    def passed(self) -> bool:
        return meets(self.numerator, self.denominator, self.threshold, inclusive=self.inclusive)

    @property
    def threshold_text(self) -> str:
        """'≥ 2/3' or '> 1/2', as the law words it."""
        sign = "≥" if self.inclusive else ">"
        return f"{sign} {self.threshold.numerator}/{self.threshold.denominator}"


@dataclass(frozen=True)
class Tally:
    """The result of one item under one reading (raw, or with non-voters adjusted)."""

    category: Category
    total: Share
    participating: Share
    consenting: Share
    opposing: Share
    abstaining: Share
    spoiled: Share
    not_voted: Share
    spoiled_counts_as_participating: bool
    unknown_area_units: int
    checks: tuple[Check, ...]
    adjusted: bool = False

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def incomplete(self) -> bool:
        """Some unit in scope has no known area: the area ratios are not final (SPC 8)."""
        return self.unknown_area_units > 0

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    @property
    def ratios(self) -> dict[str, Fraction | None]:
        return {c.name: c.ratio for c in self.checks}

    @property
    def percents(self) -> dict[str, str]:
        return {c.name: percent(c.ratio) for c in self.checks}


@dataclass(frozen=True)
class ItemResult:
    raw: Tally
    adjusted: Tally | None = None  # only when non-voters follow the majority by the rules

    @property
    def passed(self) -> bool:
        """The lawful reading decides: the adjusted one when the adopted rules allow it."""
        return (self.adjusted or self.raw).passed


def consent_threshold(category: int) -> tuple[Fraction, bool]:
    """(threshold, inclusive) of consent for a CC 278 category."""
    if Category(category) in MAJOR_CATEGORIES:
        return MAJOR_CONSENT_THRESHOLD, True
    return ORDINARY_CONSENT_THRESHOLD, False


def _tally(
    category: Category,
    total: Share,
    agree: Share,
    disagree: Share,
    abstain: Share,
    spoiled: Share,
    not_voted: Share,
    *,
    spoiled_counts_as_participating: bool,
    unknown_area_units: int,
    adjusted: bool,
) -> Tally:
    participating = agree + disagree + abstain
    if spoiled_counts_as_participating:
        participating = participating + spoiled
    consent, inclusive = consent_threshold(category)
    checks = (
        Check(
            Rule.PARTICIPATION_OWNERS,
            participating.owners,
            total.owners,
            PARTICIPATION_THRESHOLD,
            True,
        ),
        Check(
            Rule.PARTICIPATION_AREA, participating.area, total.area, PARTICIPATION_THRESHOLD, True
        ),
        Check(Rule.CONSENT_OWNERS, agree.owners, participating.owners, consent, inclusive),
        Check(Rule.CONSENT_AREA, agree.area, participating.area, consent, inclusive),
    )
    return Tally(
        category=category,
        total=total,
        participating=participating,
        consenting=agree,
        opposing=disagree,
        abstaining=abstain,
        spoiled=spoiled,
        not_voted=not_voted,
        spoiled_counts_as_participating=spoiled_counts_as_participating,
        unknown_area_units=unknown_area_units,
        checks=checks,
        adjusted=adjusted,
    )


def tally(
    counts: ItemCounts,
    *,
    category: int,
    spoiled_counts_as_participating: bool = False,
    non_voters_follow_majority: bool = False,
) -> ItemResult:
    """Tally one item. ``non_voters_follow_majority`` must come from the compound's
    adopted rules; then the owners who did not vote join, per dimension, the side (agree or
    disagree) that has more of that dimension among the voters, and both readings are
    returned. A tie gives no majority to follow, so nobody is added on that dimension."""
    category = Category(category)
    if counts.voted.owners > counts.total.owners or counts.voted.area > counts.total.area:
        raise ValueError("more ballots than owners on the roll")
    raw = _tally(
        category,
        counts.total,
        counts.agree,
        counts.disagree,
        counts.abstain,
        counts.spoiled,
        counts.not_voted,
        spoiled_counts_as_participating=spoiled_counts_as_participating,
        unknown_area_units=counts.unknown_area_units,
        adjusted=False,
    )
    if not non_voters_follow_majority:
        return ItemResult(raw=raw)
    absent = counts.not_voted
    agree_extra = Share(
        absent.owners if counts.agree.owners > counts.disagree.owners else 0,
        absent.area if counts.agree.area > counts.disagree.area else 0,
    )
    disagree_extra = Share(
        absent.owners if counts.disagree.owners > counts.agree.owners else 0,
        absent.area if counts.disagree.area > counts.agree.area else 0,
    )
    adjusted = _tally(
        category,
        counts.total,
        counts.agree + agree_extra,
        counts.disagree + disagree_extra,
        counts.abstain,
        counts.spoiled,
        absent - agree_extra - disagree_extra,
        spoiled_counts_as_participating=spoiled_counts_as_participating,
        unknown_area_units=counts.unknown_area_units,
        adjusted=True,
    )
    return ItemResult(raw=raw, adjusted=adjusted)


# --- The roll (SPC 8/9): from units and their current owners to voters -------------------


@dataclass(frozen=True)
class RosterOwner:
    owner_id: int
    is_representative: bool = True


@dataclass(frozen=True)
class RosterUnit:
    """One exclusive unit (专有部分) as the register has it at the freeze."""

    unit_id: int
    building_id: int
    area: int | None  # hundredths of m²; None when no area is known
    owners: tuple[RosterOwner, ...]


@dataclass(frozen=True)
class VoterUnit:
    unit_id: int
    building_id: int
    area: int | None


@dataclass(frozen=True)
class Voter:
    """One owner in the SPC 9 sense: all units held by the same owner (or the same set of
    co-owners) are one voter; ``representative_id`` casts its ballot."""

    key: tuple[int, ...]  # the sorted owner ids; () for a unit without a registered owner
    representative_id: int | None  # None: nobody may cast this voter's ballot
    units: tuple[VoterUnit, ...] = field(default=())

    @property
    def is_ownerless(self) -> bool:
        """A unit with no registered owner (无登记业主): it counts in the totals as a voter
        who did not vote, and nobody can vote for it."""
        return not self.key

    @property
    def area(self) -> int:
        return sum(u.area for u in self.units if u.area is not None)

    @property
    def unknown_area_units(self) -> int:
        return sum(u.area is None for u in self.units)

    def in_scope(self, building_ids: Iterable[int] | None) -> Voter | None:
        """This voter limited to the units in the given buildings (None = whole compound);
        None when no unit is in scope."""
        if building_ids is None:
            return self
        wanted = set(building_ids)
        units = tuple(u for u in self.units if u.building_id in wanted)
        return Voter(self.key, self.representative_id, units) if units else None


def build_roll(units: Iterable[RosterUnit]) -> list[Voter]:
    """Group units into voters (SPC 9).

    The identity of a voter is the set of the unit's owners: a person with two flats is one
    voter, a property-right unit holding many unsold flats (one organisation owner) is one
    voter, a couple owning a flat together is one voter through its representative — and a
    different voter from either spouse's own flat, since the co-owners together are the
    owner of that unit.

    A unit without any registered owner is still an exclusive part: SPC 9(1) counts every
    one as an owner and SPC 8 sums all their areas, so leaving it out would shrink the
    totals and let a vote pass that the law fails. It becomes a voter of its own, with no
    representative, who can never vote."""
    grouped: dict[tuple[int, ...], list[RosterUnit]] = {}
    voters = []
    for unit in units:
        if not unit.owners:
            voters.append(Voter((), None, (VoterUnit(unit.unit_id, unit.building_id, unit.area),)))
            continue
        key = tuple(sorted({o.owner_id for o in unit.owners}))
        grouped.setdefault(key, []).append(unit)
    for key, held in grouped.items():
        held.sort(key=lambda u: u.unit_id)
        representatives = sorted(o.owner_id for u in held for o in u.owners if o.is_representative)
        voters.append(
            Voter(
                key=key,
                representative_id=representatives[0] if representatives else key[0],
                units=tuple(VoterUnit(u.unit_id, u.building_id, u.area) for u in held),
            )
        )
    voters.sort(key=lambda v: v.units[0].unit_id)
    return voters


def count_ballots(
    voters: Iterable[Voter],
    ballots: Mapping[tuple[int, ...], Choice | str],
    building_ids: Iterable[int] | None = None,
) -> ItemCounts:
    """In-memory counterpart of the SQL aggregation: the counts of one item whose scope is
    ``building_ids`` (None = whole compound), given each voter's choice by voter key."""
    sums = {choice: Share() for choice in Choice}
    total = Share()
    unknown = 0
    scope = None if building_ids is None else list(building_ids)
    for voter in voters:
        scoped = voter.in_scope(scope)
        if scoped is None:
            continue
        share = Share(1, scoped.area)
        total = total + share
        unknown += scoped.unknown_area_units
        choice = ballots.get(voter.key)
        if choice is not None:
            sums[Choice(choice)] = sums[Choice(choice)] + share
    return ItemCounts(
        total=total,
        agree=sums[Choice.AGREE],
        disagree=sums[Choice.DISAGREE],
        abstain=sums[Choice.ABSTAIN],
        spoiled=sums[Choice.SPOILED],
        unknown_area_units=unknown,
    )
