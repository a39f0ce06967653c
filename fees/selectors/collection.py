"""收缴率: the collection rate of a year, by compound, building, period and month.

:func:`collection_report` reads the kept totals (``CollectionTotal`` and its siblings,
kept by :mod:`fees.services.collection_totals` in the transactions that change charges
and allocations): its cost follows the number of buildings, runs and months, never the
number of units. :func:`collection_report_recomputed` computes the same report from every
charge of the year; it is the oracle the tests compare the kept totals with."""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from households.models import building_label
from portal.models import Compound

from ..models import (
    BillingRun,
    CollectionMonthTotal,
    CollectionRunTotal,
    CollectionTotal,
    FenSum,
    PaymentAllocation,
)
from ..money import ZERO, percent


@dataclass
class CollectionRow:
    """Collection of one scope (the compound, a building or a period).

    ``amount_*`` are the owners' parts; ``*_with_subsidy`` add the subsidy, counted as
    collected because the payers settle it under the agreement, not household by household.
    """

    label: str
    billed_households: int = 0
    paid_households: int = 0
    amount_due: Decimal = ZERO
    amount_collected: Decimal = ZERO
    subsidy_due: Decimal = ZERO
    building_id: int | None = None

    @property
    def rate_households(self) -> Decimal:
        return percent(self.paid_households, self.billed_households)

    @property
    def rate_amount(self) -> Decimal:
        return percent(self.amount_collected, self.amount_due)

    @property
    def due_with_subsidy(self) -> Decimal:
        return self.amount_due + self.subsidy_due

    @property
    def collected_with_subsidy(self) -> Decimal:
        return self.amount_collected + self.subsidy_due

    @property
    def rate_amount_with_subsidy(self) -> Decimal:
        return percent(self.collected_with_subsidy, self.due_with_subsidy)

    @property
    def outstanding(self) -> Decimal:
        return self.amount_due - self.amount_collected

    def add_household(self, due: Decimal, paid: Decimal, subsidy: Decimal) -> None:
        self.billed_households += 1
        self.paid_households += paid >= due
        self.amount_due += due
        self.amount_collected += min(paid, due)
        self.subsidy_due += subsidy


@dataclass
class CollectionPoint:
    month: dt.date
    collected: Decimal
    rate: Decimal


@dataclass
class CollectionReport:
    year: int
    compound: CollectionRow
    buildings: list[CollectionRow] = field(default_factory=list)
    periods: list[CollectionRow] = field(default_factory=list)
    over_time: list[CollectionPoint] = field(default_factory=list)


def collection_report(compound: Compound, year: int, *, with_time: bool = True) -> CollectionReport:
    """收缴率 of ``year`` (runs starting in it): compound, buildings, periods and the
    cumulative rate by month of payment, from the kept totals. Three queries (two without
    ``with_time``), reading rows per building, not per unit.

    A household counts as paid in full when everything billed to it in the year is paid;
    amounts collected are capped at what is due, so an overpayment never lifts the rate.
    """
    total = CollectionRow(label=compound.name)
    buildings = []
    rows = (
        CollectionTotal.objects.filter(compound=compound, year=year)
        .values(
            "building_id",
            "building__number",
            "building__kind",
            "households",
            "paid_households",
            "owner_due",
            "collected",
            "subsidy_due",
        )
        .order_by("building__sort_key", "building__number")
    )
    for row in rows:
        building = CollectionRow(
            label=building_label(row["building__number"], row["building__kind"]),
            building_id=row["building_id"],
            billed_households=row["households"],
            paid_households=row["paid_households"],
            amount_due=row["owner_due"],
            amount_collected=row["collected"],
            subsidy_due=row["subsidy_due"],
        )
        if not building.billed_households:
            continue
        buildings.append(building)
        total.billed_households += building.billed_households
        total.paid_households += building.paid_households
        total.amount_due += building.amount_due
        total.amount_collected += building.amount_collected
        total.subsidy_due += building.subsidy_due

    per_run = (
        CollectionRunTotal.objects.filter(compound=compound, run__period_start__year=year)
        .values("run_id", "run__period_start", "run__months")
        .annotate(
            households=Sum("charges"),
            paid_households=Sum("paid_charges"),
            due=FenSum("owner_due"),
            paid=FenSum("owner_paid"),
            subsidy=FenSum("subsidy_due"),
        )
        .order_by("run__period_start")
    )
    periods = [_period_row(period) for period in per_run]
    report = CollectionReport(year=year, compound=total, buildings=buildings, periods=periods)
    if with_time and total.amount_due:
        monthly = (
            CollectionMonthTotal.objects.filter(compound=compound, year=year)
            .values("month")
            .annotate(s=FenSum("collected"))
            .order_by("month")
        )
        _add_over_time(report, monthly)
    return report


def _period_row(period: Mapping[str, Any]) -> CollectionRow:
    run = BillingRun(period_start=period["run__period_start"], months=period["run__months"])
    return CollectionRow(
        label=run.period_label,
        billed_households=period["households"],
        paid_households=period["paid_households"],
        amount_due=period["due"],
        amount_collected=period["paid"],
        subsidy_due=period["subsidy"],
    )


def _add_over_time(report: CollectionReport, monthly: Iterable[Mapping[str, Any]]) -> None:
    running = ZERO
    for point in monthly:
        running += point["s"]
        month = point["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        report.over_time.append(
            CollectionPoint(
                month=month, collected=running, rate=percent(running, report.compound.amount_due)
            )
        )


def collection_report_recomputed(
    compound: Compound, year: int, *, with_time: bool = True
) -> CollectionReport:
    """:func:`collection_report` computed from every charge of the year (work and memory
    grow with the compound): the oracle of the kept totals' tests. Four queries.

    A household counts as paid in full when everything billed to it in the year is paid;
    amounts collected are capped at what is due, so an overpayment never lifts the rate.
    """
    charges = compound.charges.filter(run__period_start__year=year)
    per_unit = charges.values("building_id", "unit_id").annotate(
        due=FenSum("owner_due"), paid=FenSum("owner_paid"), subsidy=FenSum("subsidy_due")
    )
    buildings = {
        b.pk: CollectionRow(label=b.label, building_id=b.pk)
        for b in compound.buildings.order_by("sort_key", "number")
    }
    total = CollectionRow(label=compound.name)
    for row in per_unit:
        total.add_household(row["due"], row["paid"], row["subsidy"])
        buildings[row["building_id"]].add_household(row["due"], row["paid"], row["subsidy"])

    periods: list[CollectionRow] = []
    per_run = (
        charges.values("run_id", "run__period_start", "run__months")
        .annotate(
            households=Count("id"),
            paid_households=Count("id", filter=Q(owner_paid__gte=F("owner_due"))),
            due=FenSum("owner_due"),
            paid=FenSum("owner_paid"),
            subsidy=FenSum("subsidy_due"),
        )
        .order_by("run__period_start")
    )
    periods.extend(_period_row(period) for period in per_run)

    report = CollectionReport(
        year=year,
        compound=total,
        buildings=[b for b in buildings.values() if b.billed_households],
        periods=periods,
    )
    if with_time and total.amount_due:
        monthly = (
            PaymentAllocation.objects.filter(
                compound=compound, charge__run__period_start__year=year
            )
            .annotate(month=TruncMonth("payment__received_on"))
            .values("month")
            .annotate(s=FenSum("amount"))
            .order_by("month")
        )
        _add_over_time(report, monthly)
    return report


def collection_years(compound: Compound) -> list[int]:
    return sorted(
        {d.year for d in compound.billing_runs.values_list("period_start", flat=True)},
        reverse=True,
    )
