"""Pure planning of a billing run: plain data in, the plan out, no ORM.

``fees.services.billing_run_create`` loads the units, the tariffs and what the run has
already billed, asks :func:`plan_charges` what to do with each unit, and writes the plan:
a new charge for a unit billed for the first time, an adjustment for a unit whose area was
corrected since (the charge itself is never rewritten), the unit listed as blocked when it
cannot be billed (unknown area, no billable standard, exempt), or nothing when the bill
still stands. Every amount comes from :func:`fees.money.split_charge`, so each new charge
and each adjustment reconciles to the fen.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .money import ZERO, Split, split_charge


class BlockReason:
    UNKNOWN_AREA = "unknown_area"
    NO_STANDARD = "no_standard"
    PENDING_VOTE = "pending_vote"
    EXEMPT = "exempt"


Rates = tuple[Decimal, Decimal]  # (appraised, charged) per m² and month


@dataclass(frozen=True)
class Tariff:
    """A fee standard prepared for billing: its rates and its payers' shares in a fixed
    order. ``non_residential`` is None when non-residential units are not charged."""

    standard_id: int
    residential: Rates
    non_residential: Rates | None
    payer_ids: tuple[int, ...]
    shares: tuple[Decimal, ...]

    def rates_for(self, is_residential: bool) -> Rates | None:
        return self.residential if is_residential else self.non_residential


@dataclass(frozen=True)
class UnitToBill:
    id: int
    building_id: int
    label: str  # 楼号-房号, as the run's blocked list shows it
    building_kind: str
    floor_area: Decimal | None
    is_residential: bool


@dataclass(frozen=True)
class BilledCharge:
    """What the run has already billed a unit: the charge as it stands now (adjustments
    included), and each payer's total so far."""

    id: int
    standard_id: int
    area: Decimal  # as first billed
    appraised_due: Decimal
    owner_due: Decimal
    subsidy_due: Decimal
    payer_totals: Mapping[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class NewCharge:
    unit: UnitToBill
    tariff: Tariff
    area: Decimal
    appraised_rate: Decimal
    charged_rate: Decimal
    split: Split

    @property
    def subsidy_lines(self) -> list[tuple[int, Decimal, Decimal]]:
        """(payer id, share, amount) of each payer (none when the owners pay the full rate)."""
        return list(zip(self.tariff.payer_ids, self.tariff.shares, self.split.payers, strict=False))


@dataclass(frozen=True)
class Adjustment:
    """A billed charge whose unit's area was corrected: what changes, and the areas."""

    charge_id: int
    unit_id: int
    tariff: Tariff
    delta: Split
    billed_area: Decimal
    new_area: Decimal

    @property
    def subsidy_lines(self) -> list[tuple[int, Decimal, Decimal]]:
        """(payer id, share, amount) of each payer whose part changes."""
        return [
            (payer_id, share, amount)
            for payer_id, share, amount in zip(
                self.tariff.payer_ids, self.tariff.shares, self.delta.payers, strict=False
            )
            if amount
        ]


@dataclass(frozen=True)
class Blocked:
    unit_id: int
    unit: str
    reason: str

    def as_json(self) -> dict[str, int | str]:
        """As stored in ``BillingRun.blocked_units`` and shown on the run page."""
        return {"unit_id": self.unit_id, "unit": self.unit, "reason": self.reason}


@dataclass
class ChargePlan:
    new: list[NewCharge] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
    unchanged: int = 0


def plan_charges(
    *,
    units: Iterable[UnitToBill],
    tariffs: Mapping[str, Tariff | None],
    pending_kinds: set[str],
    billed: Mapping[int, BilledCharge],
    months: int,
) -> ChargePlan:
    """What billing ``units`` for ``months`` months does, unit by unit.

    ``tariffs`` maps a building kind to the standard covering the period (None: no
    billable standard; the kinds in ``pending_kinds`` have an appraisal pending the
    owners' vote). ``billed`` maps a unit id to its charge in this run, if any: such a
    unit keeps the standard it was billed with, and gets an adjustment only if its bill
    would now differ. A unit without a known area is never guessed: blocked if it was
    never billed, left as billed otherwise.
    """
    by_standard = {t.standard_id: t for t in tariffs.values() if t is not None}
    plan = ChargePlan()
    for unit in units:
        charge = billed.get(unit.id)
        if unit.floor_area is None:
            if charge is None:
                plan.blocked.append(Blocked(unit.id, unit.label, BlockReason.UNKNOWN_AREA))
            else:
                plan.unchanged += 1
            continue
        tariff = tariffs.get(unit.building_kind)
        if charge is not None:  # keep the version the charge was billed with
            tariff = by_standard.get(charge.standard_id, tariff)
        if tariff is None:
            reason = (
                BlockReason.PENDING_VOTE
                if unit.building_kind in pending_kinds
                else BlockReason.NO_STANDARD
            )
            plan.blocked.append(Blocked(unit.id, unit.label, reason))
            continue
        rates = tariff.rates_for(unit.is_residential)
        if rates is None:
            plan.blocked.append(Blocked(unit.id, unit.label, BlockReason.EXEMPT))
            continue
        appraised_rate, charged_rate = rates
        own_rate = appraised_rate == charged_rate
        split = split_charge(
            area=unit.floor_area,
            appraised_rate=appraised_rate,
            charged_rate=charged_rate,
            months=months,
            shares=() if own_rate else tariff.shares,
        )
        if charge is None:
            plan.new.append(
                NewCharge(unit, tariff, unit.floor_area, appraised_rate, charged_rate, split)
            )
            continue
        if split.appraised == charge.appraised_due and split.owner == charge.owner_due:
            plan.unchanged += 1
            continue
        payer_ids = () if own_rate else tariff.payer_ids
        current = Split(
            appraised=charge.appraised_due,
            owner=charge.owner_due,
            subsidy=charge.subsidy_due,
            payers=tuple(charge.payer_totals.get(p, ZERO) for p in payer_ids),
        )
        plan.adjustments.append(
            Adjustment(
                charge_id=charge.id,
                unit_id=unit.id,
                tariff=tariff,
                delta=split - current,
                billed_area=charge.area,
                new_area=unit.floor_area,
            )
        )
    return plan
