"""The resident's page: charges, payments, what is owed and any credit, per unit."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from households.models import Unit
from portal.models import Compound

from ..models import (
    Charge,
    ChargeAdjustment,
    Payment,
)
from ..money import ZERO
from .charges import subsidy_lines_prefetch


@dataclass
class UnitFees:
    unit: Unit
    charges: list[Charge]
    payments: list[Payment]
    owed: Decimal
    credit: Decimal


def fees_of_units(compound: Compound, units: Iterable[Unit]) -> list[UnitFees]:
    """Charges (with subsidy lines and adjustments) and payments of ``units``: four queries
    whatever the number of units, charges or payments."""
    units = list(units)
    ids = [u.pk for u in units]
    charges = defaultdict(list)
    for c in (
        compound.charges.filter(unit_id__in=ids)
        .select_related("run", "standard")
        .prefetch_related(
            subsidy_lines_prefetch(),
            Prefetch("adjustments", queryset=ChargeAdjustment.objects.order_by("id")),
        )
        .order_by("-run__period_start")
    ):
        charges[c.unit_id].append(c)
    payments = defaultdict(list)
    for p in compound.payments.filter(unit_id__in=ids).order_by("-received_on", "-id"):
        payments[p.unit_id].append(p)
    result = []
    for unit in units:
        unit_charges = charges[unit.pk]
        received = sum((p.amount for p in payments[unit.pk]), ZERO)
        applied = sum((c.owner_paid for c in unit_charges), ZERO)
        result.append(
            UnitFees(
                unit=unit,
                charges=unit_charges,
                payments=payments[unit.pk],
                owed=sum((max(c.outstanding, ZERO) for c in unit_charges), ZERO),
                credit=max(received - applied, ZERO),
            )
        )
    return result


def latest_charge(compound: Compound, unit: Unit) -> Charge | None:
    return (
        compound.charges.filter(unit=unit)
        .select_related("run", "standard", "unit__building")
        .order_by("-run__period_start")
        .first()
    )
