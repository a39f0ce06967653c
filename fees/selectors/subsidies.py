"""Subsidies: each payer's statement of a run, totals, and standards whose subsidy ends soon."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F

from households.models import Unit, building_label
from portal.models import Compound, StreetOffice

from ..models import (
    BillingRun,
    ChargeSubsidyLine,
    FeeStandard,
    FenSum,
    SubsidyPayer,
    add_months,
)
from ..money import ZERO, to_fen
from .charges import adjusted_areas


@dataclass
class ReconciliationLine:
    unit_label: str
    building_label: str
    area: Decimal
    amount: Decimal


@dataclass
class Reconciliation:
    """补贴对账单: one payer's part of one run, unit by unit, matching the charges."""

    compound: Compound
    payer: SubsidyPayer
    run: BillingRun
    lines: list[ReconciliationLine]
    total_area: Decimal
    total_amount: Decimal
    by_building: list[tuple[str, int, Decimal, Decimal]]


def subsidy_reconciliation(
    compound: Compound, payer: SubsidyPayer, run: BillingRun
) -> Reconciliation:
    """One query: the payer's lines (incl. adjustments) of ``run`` summed per unit."""
    rows = (
        ChargeSubsidyLine.objects.filter(compound=compound, payer=payer, charge__run=run)
        .values(
            "charge_id",
            "charge__unit__number",
            "charge__building__number",
            "charge__building__kind",
            "charge__building__sort_key",
        )
        .annotate(amount=FenSum("amount"), area=F("charge__area"))
        .order_by("charge__building__sort_key", "charge__building__number", "charge__unit__number")
    )
    adjusted_area = adjusted_areas(compound, compound.charges.filter(run=run).values("id"))
    lines = []
    buildings: dict[str, list] = {}
    for r in rows:
        label = building_label(r["charge__building__number"], r["charge__building__kind"])
        area = adjusted_area.get(r["charge_id"], r["area"])
        lines.append(
            ReconciliationLine(
                unit_label=f"{label} {r['charge__unit__number']}",
                building_label=label,
                area=area,
                amount=r["amount"],
            )
        )
        b = buildings.setdefault(label, [label, 0, ZERO, ZERO])
        b[1] += 1
        b[2] += area
        b[3] += r["amount"]
    return Reconciliation(
        compound=compound,
        payer=payer,
        run=run,
        lines=lines,
        total_area=sum((line.area for line in lines), ZERO),
        total_amount=sum((line.amount for line in lines), ZERO),
        by_building=[tuple(b) for b in buildings.values()],
    )


def subsidy_summary(compound: Compound) -> list[dict[str, Any]]:
    """Per payer and run: the subsidy total (one query)."""
    return [
        dict(row)
        for row in ChargeSubsidyLine.objects.filter(compound=compound)
        .values("payer_id", "payer__name", "charge__run_id", "charge__run__period_start")
        .annotate(amount=FenSum("amount"), units=Count("charge_id", distinct=True))
        .order_by("charge__run__period_start", "payer_id")
    ]


WARNING_MONTHS = 6


@dataclass
class SubsidyEnding:
    """A subsidised standard whose term ends within six months, and what comes after."""

    compound: Compound
    standard: FeeStandard
    households: int
    area: Decimal
    rate_after: Decimal
    next_standard: FeeStandard | None

    @property
    def monthly_now_total(self) -> Decimal:
        """What all households of the kind pay per month now, together."""
        return to_fen(self.area * self.standard.charged_rate)

    @property
    def monthly_after_total(self) -> Decimal:
        return to_fen(self.area * self.rate_after)

    @property
    def average_now(self) -> Decimal:
        return to_fen(self.monthly_now_total / self.households) if self.households else ZERO

    @property
    def average_after(self) -> Decimal:
        return to_fen(self.monthly_after_total / self.households) if self.households else ZERO


def subsidy_endings(compounds: Iterable[Compound], today: dt.date) -> list[SubsidyEnding]:
    """Subsidies of ``compounds`` ending between today and six months ahead; after the term
    households pay the next standard's charged rate, or the appraised rate if none is set.
    Two queries."""
    by_id = {c.pk: c for c in compounds}
    horizon = add_months(today, WARNING_MONTHS)
    standards = list(
        FeeStandard.objects.filter(compound_id__in=list(by_id)).order_by(
            "compound_id", "building_kind", "valid_from"
        )
    )
    areas: dict[tuple[int, str], tuple[int, Decimal]] = {
        (r["compound_id"], r["building__kind"]): (r["n"], r["area"] or ZERO)
        for r in Unit.objects.filter(compound_id__in=list(by_id), floor_area__isnull=False)
        .values("compound_id", "building__kind")
        .annotate(n=Count("id"), area=FenSum("floor_area"))
    }
    result = []
    for s in standards:
        if s.valid_to is None or not (today <= s.valid_to <= horizon) or s.subsidy_rate <= 0:
            continue
        nxt = next(
            (
                o
                for o in standards
                if o.compound_id == s.compound_id
                and o.building_kind == s.building_kind
                and o.valid_from > s.valid_to
            ),
            None,
        )
        households, area = areas.get((s.compound_id, s.building_kind), (0, ZERO))
        result.append(
            SubsidyEnding(
                compound=by_id[s.compound_id],
                standard=s,
                households=households,
                area=area,
                rate_after=nxt.charged_rate if nxt else s.appraised_rate,
                next_standard=nxt,
            )
        )
    return result


def office_subsidy_endings(office: StreetOffice, today: dt.date) -> list[SubsidyEnding]:
    return subsidy_endings(office.compounds.all(), today)


def households_after_subsidy(
    compound: Compound, ending: SubsidyEnding
) -> list[tuple[Unit, Decimal, Decimal]]:
    """The households of the ending standard's kind, each with its monthly fee now and
    once the subsidy ends (area × rate, unrounded as the page has always shown it)."""
    units = (
        compound.units.filter(
            building__kind=ending.standard.building_kind, floor_area__isnull=False
        )
        .select_related("building")
        .order_by("building__sort_key", "building__number", "number")
    )
    return [
        (u, area * ending.standard.charged_rate, area * ending.rate_after)
        for u in units
        if (area := u.floor_area) is not None
    ]
