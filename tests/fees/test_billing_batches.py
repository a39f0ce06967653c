"""Billing in batches (issue 10, item 5): a run reads, plans and writes its units
``FEES_BILLING_BATCH_UNITS`` at a time, so its memory does not grow with the compound.

The batches must not show: at any batch size the run writes exactly the charges, subsidy
lines (largest-remainder splits to the fen), adjustments and blocked list that the pure
:func:`fees.billing_plan.plan_charges` gives for the whole register at once; running it
again changes nothing; a failure in a late batch leaves nothing of the run behind; and the
queries grow by a constant per batch, never per unit."""

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fees import services
from fees.billing_plan import BilledCharge, ChargePlan, Tariff, UnitToBill, plan_charges
from fees.models import (
    BillingRun,
    Charge,
    ChargeAdjustment,
    ChargeSubsidyLine,
    NonResidentialMode,
    Payment,
)
from fees.services import billing
from households.models import AreaSource, Building, BuildingKind, Unit
from portal.models import AuditEntry, Compound, StreetOffice
from tests.fees.helpers import CASE_SHARES, fee_basis_item

pytestmark = pytest.mark.django_db

START = dt.date(2022, 1, 1)
END = dt.date(2022, 12, 31)
MONTHS = 12
THREE_PAYERS = (
    services.ShareInput("北太平庄街道", Decimal("33.33")),
    services.ShareInput("首开集团", Decimal("33.33")),
    services.ShareInput("海淀区住建委", Decimal("33.34")),
)
KINDS = (BuildingKind.LOW_RISE, BuildingKind.HIGH_RISE, BuildingKind.BUNGALOW)


# --- registers --------------------------------------------------------------------------


def _office() -> StreetOffice:
    return StreetOffice.objects.get_or_create(code="batch-office", name="批量街道")[0]


def _standards(compound: Compound, *, bungalow_pending: bool) -> None:
    """Low-rise: 1.78/1.00 split among three payers (33.33/33.33/33.34, so the largest
    remainder decides fens); high-rise: 3.10/2.45 split 50/50, non-residential at its own
    3.00; bungalows: an appraisal pending the owners' vote, or no standard at all."""
    basis = fee_basis_item(compound).pk
    common: dict[str, Any] = {
        "compound": compound,
        "valid_from": START,
        "valid_to": dt.date(2024, 12, 31),
    }
    services.fee_standard_create(
        **common,
        building_kind=BuildingKind.LOW_RISE,
        appraised_rate=Decimal("1.78"),
        charged_rate=Decimal("1.00"),
        shares=THREE_PAYERS,
        basis_item_id=basis,
    )
    services.fee_standard_create(
        **common,
        building_kind=BuildingKind.HIGH_RISE,
        appraised_rate=Decimal("3.10"),
        charged_rate=Decimal("2.45"),
        shares=CASE_SHARES,
        non_residential_mode=NonResidentialMode.OWN,
        non_residential_rate=Decimal("3.00"),
        basis_item_id=basis,
    )
    if bungalow_pending:
        services.fee_standard_create(
            **common,
            building_kind=BuildingKind.BUNGALOW,
            appraised_rate=Decimal("1.20"),
            charged_rate=Decimal("0.90"),
            shares=CASE_SHARES,
            pending_vote=True,
        )


def _random_register(seed: int) -> Compound:
    """A compound of 4–7 buildings of random kinds and sort keys (ties included), 0–16
    units each with random areas to the fen; about one unit in ten of unknown area and
    one in seven non-residential."""
    rng = random.Random(seed)
    compound = Compound.objects.create(street_office=_office(), code=f"b{seed}", name=f"批{seed}")
    for b in range(rng.randint(4, 7)):
        building = Building.objects.create(
            compound=compound,
            number=str(b + 1),
            kind=rng.choice(KINDS),
            sort_key=rng.randint(1, 4),
        )
        numbers = rng.sample(range(101, 1900), rng.randint(0, 16))
        for n in numbers:
            known = rng.random() > 0.1
            Unit.objects.create(
                compound=compound,
                building=building,
                number=f"{rng.randint(1, 3)}-{n}",
                floor_area=Decimal(rng.randint(1000, 15000)) / 100 if known else None,
                area_source=AreaSource.REGISTERED if known else AreaSource.UNKNOWN,
                is_residential=rng.random() > 1 / 7,
            )
    _standards(compound, bungalow_pending=seed % 2 == 0)
    return compound


def _flat_register(code: str, units: int, *, per_building: int = 5) -> Compound:
    """``units`` low-rise units of 60.50 m², ``per_building`` to a building."""
    compound = Compound.objects.create(street_office=_office(), code=code, name=code)
    for i in range(units):
        if i % per_building == 0:
            building = Building.objects.create(
                compound=compound,
                number=str(i // per_building + 1),
                kind=BuildingKind.LOW_RISE,
                sort_key=i,
            )
        Unit.objects.create(
            compound=compound,
            building=building,
            number=f"1-{101 + i % per_building}",
            floor_area=Decimal("60.50"),
            area_source=AreaSource.REGISTERED,
        )
    _standards(compound, bungalow_pending=False)
    return compound


# --- what the pure plan says for the whole register at once ------------------------------


def _all_units(compound: Compound) -> list[UnitToBill]:
    return [
        UnitToBill(
            id=u.pk,
            building_id=u.building_id,
            label=f"{u.building.number}-{u.number}",
            building_kind=u.building.kind,
            floor_area=u.floor_area,
            is_residential=u.is_residential,
        )
        for u in compound.units.select_related("building").order_by(
            "building__sort_key", "building__number", "number"
        )
    ]


def _billed(compound: Compound) -> dict[int, BilledCharge]:
    """What the compound's 2022 run has billed, read straight from the tables."""
    totals: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in ChargeSubsidyLine.objects.filter(compound=compound):
        totals[line.charge_id][line.payer_id] += line.amount
    return {
        c.unit_id: BilledCharge(
            id=c.pk,
            standard_id=c.standard_id,
            area=c.area,
            appraised_due=c.appraised_due,
            owner_due=c.owner_due,
            subsidy_due=c.subsidy_due,
            payer_totals=dict(totals[c.pk]),
        )
        for c in Charge.objects.filter(compound=compound)
    }


def _whole_plan(compound: Compound) -> ChargePlan:
    tariffs: dict[str, Tariff | None]
    tariffs, pending = billing._tariffs_for(compound, START, END)
    return plan_charges(
        units=_all_units(compound),
        tariffs=tariffs,
        pending_kinds=pending,
        billed=_billed(compound),
        months=MONTHS,
    )


def _bill(compound: Compound, settings, batch: int) -> services.BillingOutcome:
    settings.FEES_BILLING_BATCH_UNITS = batch
    return services.billing_run_create(
        compound=compound, period_start=START, months=MONTHS, today=START
    )


def _charges(compound: Compound) -> dict[int, tuple]:
    return {
        c.unit_id: (
            c.building_id,
            c.standard_id,
            c.area,
            c.months,
            c.appraised_rate,
            c.charged_rate,
            c.appraised_amount,
            c.owner_amount,
            c.subsidy_amount,
            c.appraised_due,
            c.owner_due,
            c.subsidy_due,
        )
        for c in Charge.objects.filter(compound=compound)
    }


def _lines(compound: Compound, *, adjustments: bool) -> dict[int, list[tuple]]:
    """Each unit's subsidy lines (of its charge, or of its adjustments) in writing order."""
    lines = defaultdict(list)
    for line in (
        ChargeSubsidyLine.objects.filter(compound=compound, adjustment__isnull=not adjustments)
        .select_related("charge")
        .order_by("id")
    ):
        lines[line.charge.unit_id].append((line.payer_id, line.share, line.amount))
    return dict(lines)


def _expected_charges(plan: ChargePlan) -> dict[int, tuple]:
    return {
        n.unit.id: (
            n.unit.building_id,
            n.tariff.standard_id,
            n.area,
            MONTHS,
            n.appraised_rate,
            n.charged_rate,
            n.split.appraised,
            n.split.owner,
            n.split.subsidy,
            n.split.appraised,
            n.split.owner,
            n.split.subsidy,
        )
        for n in plan.new
    }


# --- the same run at any batch size -------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("batch", [1, 7, 5000])
def test_batches_write_exactly_the_whole_plan(settings, seed, batch):
    compound = _random_register(seed)
    plan = _whole_plan(compound)
    assert plan.new and plan.blocked  # the register exercises both
    outcome = _bill(compound, settings, batch)

    assert (outcome.created, outcome.adjusted, outcome.unchanged) == (len(plan.new), 0, 0)
    assert outcome.blocked == [b.as_json() for b in plan.blocked]  # in page order
    run = BillingRun.objects.get(compound=compound)
    assert run.blocked_units == outcome.blocked
    assert run.units_billed == len(plan.new)
    assert _charges(compound) == _expected_charges(plan)
    assert _lines(compound, adjustments=False) == {
        n.unit.id: n.subsidy_lines for n in plan.new if n.subsidy_lines
    }
    assert AuditEntry.objects.filter(action="fees.run_bill").count() == 1


@pytest.mark.parametrize(("first", "second"), [(7, 3), (1, 5000), (5000, 1)])
def test_corrections_across_batches_match_the_plan_and_settle(settings, first, second):
    compound = _random_register(4)
    _bill(compound, settings, first)
    rng = random.Random(first * 10 + second)
    known = list(compound.units.filter(floor_area__isnull=False).order_by("id"))
    corrected = rng.sample(known, 4)  # spread over the register, so over the batches
    for unit in corrected:
        Unit.objects.filter(pk=unit.pk).update(floor_area=unit.floor_area + Decimal("3.17"))
    unknown = compound.units.filter(floor_area__isnull=True).order_by("id").first()
    Unit.objects.filter(pk=unknown.pk).update(
        floor_area=Decimal("47.11"), area_source=AreaSource.SURVEYED
    )
    before = _billed(compound)
    plan = _whole_plan(compound)
    assert plan.adjustments

    outcome = _bill(compound, settings, second)

    assert (outcome.created, outcome.adjusted, outcome.unchanged) == (
        len(plan.new),
        len(plan.adjustments),
        plan.unchanged,
    )
    assert outcome.blocked == [b.as_json() for b in plan.blocked]
    made = {a.charge_id: a for a in ChargeAdjustment.objects.filter(compound=compound)}
    assert {
        charge_id: (a.area_before, a.area_after, a.appraised_delta, a.owner_delta, a.subsidy_delta)
        for charge_id, a in made.items()
    } == {
        a.charge_id: (
            a.billed_area,
            a.new_area,
            a.delta.appraised,
            a.delta.owner,
            a.delta.subsidy,
        )
        for a in plan.adjustments
    }
    assert _lines(compound, adjustments=True) == {
        a.unit_id: a.subsidy_lines for a in plan.adjustments if a.subsidy_lines
    }
    for a in plan.adjustments:
        charge = Charge.objects.get(pk=a.charge_id)
        was = before[a.unit_id]
        assert charge.owner_due == was.owner_due + a.delta.owner
        assert charge.appraised_due == was.appraised_due + a.delta.appraised
        assert charge.appraised_due == charge.owner_due + charge.subsidy_due
    # The unit that gained its area is billed, and nothing else is new.
    assert [n.unit.id for n in plan.new] == ([unknown.pk] if plan.new else [])

    # Idempotent across batches: again, at yet another batch size, changes nothing.
    rows = (_charges(compound), _lines(compound, adjustments=True), len(made))
    again = _bill(compound, settings, 2)
    assert (again.created, again.adjusted) == (0, 0)
    assert again.unchanged == outcome.unchanged + len(plan.new) + len(plan.adjustments)
    assert rows == (
        _charges(compound),
        _lines(compound, adjustments=True),
        ChargeAdjustment.objects.filter(compound=compound).count(),
    )


def test_credit_settles_new_bills_in_every_batch(settings):
    """Prepaid units in the first and the last batch both have their new bill settled."""
    compound = _flat_register("credit", 9)
    units = list(compound.units.order_by("building__sort_key", "number"))
    for n, unit in enumerate((units[0], units[-1])):
        services.payment_record(
            compound=compound,
            unit=unit,
            amount=Decimal("100.00"),
            method="cash",
            received_on=START,
            idempotency_key=f"pre{n}",
            is_prepayment=True,
        )
    _bill(compound, settings, 2)
    paid = dict(Charge.objects.filter(compound=compound).values_list("unit_id", "owner_paid"))
    assert paid[units[0].pk] == paid[units[-1].pk] == Decimal("100.00")
    assert sum(paid.values()) == Decimal("200.00")
    assert Payment.objects.filter(compound=compound).count() == 2


# --- all or nothing ---------------------------------------------------------------------


def _failing_on(call: int):
    """``unit_rebalance`` that fails on its ``call``-th call (a late batch, after that
    batch's charges and lines are inserted)."""
    real = billing.unit_rebalance
    calls = {"n": 0}

    def rebalance(compound, unit_ids):
        calls["n"] += 1
        if calls["n"] == call:
            raise RuntimeError("batch failed")
        return real(compound, unit_ids)

    return mock.patch.object(billing, "unit_rebalance", side_effect=rebalance), calls


def test_a_failure_in_a_late_batch_leaves_no_run_behind(settings):
    compound = _flat_register("fail", 20)
    audits = AuditEntry.objects.count()
    patch, calls = _failing_on(4)
    with patch, pytest.raises(RuntimeError):
        _bill(compound, settings, 5)
    assert calls["n"] == 4  # three batches were written before the fourth failed
    assert not BillingRun.objects.filter(compound=compound).exists()
    assert not Charge.objects.filter(compound=compound).exists()
    assert not ChargeSubsidyLine.objects.filter(compound=compound).exists()
    assert AuditEntry.objects.count() == audits
    # The same run afterwards bills everything once.
    assert _bill(compound, settings, 5).created == 20


def test_a_failed_rerun_keeps_the_run_as_it_was(settings):
    compound = _flat_register("refail", 20)
    _bill(compound, settings, 5)
    run = BillingRun.objects.get(compound=compound)
    before = (_charges(compound), ChargeSubsidyLine.objects.count(), run.last_billed_at)
    compound.units.update(floor_area=Decimal("61.33"))  # every unit corrected
    patch, calls = _failing_on(3)
    with patch, pytest.raises(RuntimeError):
        _bill(compound, settings, 5)
    run.refresh_from_db()
    assert (_charges(compound), ChargeSubsidyLine.objects.count(), run.last_billed_at) == before
    assert not ChargeAdjustment.objects.filter(compound=compound).exists()
    assert _bill(compound, settings, 5).adjusted == 20


# --- queries: constant per batch, never per unit -----------------------------------------


def _queries(compound: Compound, settings, batch: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _bill(compound, settings, batch)
    return len(ctx.captured_queries)


def test_queries_grow_by_a_constant_per_batch(settings):
    two, four, six = (_flat_register(f"q{n}", n * 5) for n in (2, 4, 6))
    q2, q4, q6 = (_queries(c, settings, 5) for c in (two, four, six))
    # Per batch: the run's charges of the batch, the charges, the lines, the credit and
    # whatever else a batch's writes keep up to date; the same for every batch.
    assert q4 - q2 == q6 - q4 > 0


def test_queries_do_not_grow_with_the_units_of_a_batch(settings):
    small, large = _flat_register("small", 10), _flat_register("large", 40)
    assert _queries(small, settings, 100) == _queries(large, settings, 100)
    # Running again (nothing to do) and correcting every area (an adjustment per unit).
    assert _queries(small, settings, 100) == _queries(large, settings, 100)
    for compound in (small, large):
        compound.units.update(floor_area=Decimal("61.33"))
    assert _queries(small, settings, 100) == _queries(large, settings, 100)
    assert ChargeAdjustment.objects.filter(compound=large).count() == 40
