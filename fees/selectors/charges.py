"""Billing runs, their charges (with each charge's corrected area) and arrears by age."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Prefetch, QuerySet

from households.models import Building, Unit, building_label
from portal.models import Compound

from ..models import (
    BillingRun,
    Charge,
    ChargeAdjustment,
    ChargeSubsidyLine,
    FenSum,
    ReminderStep,
)
from ..money import ZERO


def compound_runs(compound: Compound) -> QuerySet[BillingRun]:
    return compound.billing_runs.order_by("-period_start")


def run_building_summary(compound: Compound, run: BillingRun) -> list[dict]:
    """Per building of a run: households, owner due and paid, and its print file."""
    rows = {
        r["building_id"]: r
        for r in compound.charges.filter(run=run)
        .values("building_id")
        .annotate(
            households=Count("id"),
            due=FenSum("owner_due"),
            paid=FenSum("owner_paid"),
            subsidy=FenSum("subsidy_due"),
        )
    }
    chunks = {c.building_id: c for c in run.chunks.all()}
    result = []
    for b in compound.buildings.order_by("sort_key", "number"):
        if b.pk in rows:
            result.append({"building": b, "chunk": chunks.get(b.pk), **rows[b.pk]})
    return result


def subsidy_lines_prefetch() -> Prefetch:
    """Each charge's subsidy lines with their payer, in the order they were made."""
    return Prefetch(
        "subsidy_lines",
        queryset=ChargeSubsidyLine.objects.select_related("payer").order_by("id"),
    )


def run_charges(
    compound: Compound, run: BillingRun, building: Building | None = None
) -> QuerySet[Charge]:
    charges = (
        compound.charges.filter(run=run)
        .select_related("unit", "building")
        .prefetch_related(
            subsidy_lines_prefetch(),
            "adjustments",
        )
        .order_by("building__sort_key", "building__number", "unit__number")
    )
    if building is not None:
        charges = charges.filter(building=building)
    return charges


@dataclass
class ArrearsRow:
    unit_id: int
    unit_label: str
    buckets: list[Decimal]
    total: Decimal
    oldest: dt.date
    last_step: ReminderStep | None = None


ARREARS_BUCKETS = ((0, 3), (3, 6), (6, 12), (12, None))


def _months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def arrears_by_age(compound: Compound, today: dt.date) -> tuple[list[ArrearsRow], list[Decimal]]:
    """Units that owe, with what they owe by age of the bill (months since the period
    began: 0–3, 3–6, 6–12, 12+), and the ladder's last step. Two queries."""
    rows: dict[int, ArrearsRow] = {}
    open_charges = (
        compound.charges.filter(owner_due__gt=F("owner_paid"))
        .values(
            "unit_id",
            "unit__number",
            "building__number",
            "building__kind",
            "run__period_start",
            "owner_due",
            "owner_paid",
        )
        .order_by("building__sort_key", "building__number", "unit__number", "run__period_start")
    )
    totals = [ZERO] * len(ARREARS_BUCKETS)
    for c in open_charges:
        owed = c["owner_due"] - c["owner_paid"]
        age = _months_between(c["run__period_start"], today)
        index = (
            next(
                i
                for i, (lo, hi) in enumerate(ARREARS_BUCKETS)
                if age >= lo and (hi is None or age < hi)
            )
            if age >= 0
            else 0
        )
        row = rows.get(c["unit_id"])
        if row is None:
            label = building_label(c["building__number"], c["building__kind"])
            row = rows[c["unit_id"]] = ArrearsRow(
                unit_id=c["unit_id"],
                unit_label=f"{label} {c['unit__number']}",
                buckets=[ZERO] * len(ARREARS_BUCKETS),
                total=ZERO,
                oldest=c["run__period_start"],
            )
        row.buckets[index] += owed
        row.total += owed
        totals[index] += owed
    if rows:
        for step in ReminderStep.objects.filter(compound=compound, unit_id__in=list(rows)).order_by(
            "created_at", "id"
        ):
            row = rows[step.unit_id]
            if step.created_at.date() >= row.oldest:
                row.last_step = step
    return list(rows.values()), totals


def unit_reminder_steps(compound: Compound, unit: Unit) -> QuerySet[ReminderStep]:
    return ReminderStep.objects.filter(compound=compound, unit=unit).order_by("created_at", "id")


def adjusted_areas(compound: Compound, charge_ids: Iterable[int] | QuerySet) -> dict[int, Decimal]:
    """The area each of ``charge_ids`` is billed on now: the latest area correction's
    ``area_after``, for the charges an adjustment changed (one query). A charge missing
    from the answer was never corrected: its billed ``area`` stands."""
    return dict(
        ChargeAdjustment.objects.filter(compound=compound, charge_id__in=charge_ids)
        .order_by("charge_id", "id")
        .values_list("charge_id", "area_after")
    )
