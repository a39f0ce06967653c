"""plan_charges: what billing does with each unit, from plain data (no database)."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fees.billing_plan import (
    BilledCharge,
    BlockReason,
    Tariff,
    UnitToBill,
    plan_charges,
)
from fees.money import split_charge

D = Decimal
LOW = Tariff(
    standard_id=1,
    residential=(D("1.78"), D("1.00")),
    non_residential=None,
    payer_ids=(10, 11),
    shares=(D("50"), D("50")),
)


def unit(id: int, area: str | None = "60.50", kind: str = "low_rise", residential=True):
    return UnitToBill(
        id=id,
        building_id=1,
        label=f"1-{id}01",
        building_kind=kind,
        floor_area=D(area) if area is not None else None,
        is_residential=residential,
    )


def billed(id: int, area: str, tariff: Tariff = LOW, months: int = 12) -> BilledCharge:
    appraised, charged = tariff.residential
    s = split_charge(
        area=D(area),
        appraised_rate=appraised,
        charged_rate=charged,
        months=months,
        shares=tariff.shares,
    )
    return BilledCharge(
        id=id,
        standard_id=tariff.standard_id,
        area=D(area),
        appraised_due=s.appraised,
        owner_due=s.owner,
        subsidy_due=s.subsidy,
        payer_totals=dict(zip(tariff.payer_ids, s.payers, strict=True)),
    )


def plan(units, billed_charges=None, tariffs=None, pending=frozenset(), months=12):
    return plan_charges(
        units=units,
        tariffs={"low_rise": LOW, "high_rise": None} if tariffs is None else tariffs,
        pending_kinds=set(pending),
        billed=billed_charges or {},
        months=months,
    )


def test_a_first_run_bills_every_unit_with_a_known_area_and_lists_the_rest():
    result = plan(
        [
            unit(1),
            unit(2, area=None),
            unit(3, kind="high_rise"),
            unit(4, residential=False),
        ],
        pending={"high_rise"},
    )
    [new] = result.new
    assert new.unit.id == 1 and new.split.appraised == D("1292.28")
    assert new.split.owner == D("726.00") and new.split.payers == (D("283.14"), D("283.14"))
    assert new.subsidy_lines == [(10, D("50"), D("283.14")), (11, D("50"), D("283.14"))]
    assert [(b.unit_id, b.reason) for b in result.blocked] == [
        (2, BlockReason.UNKNOWN_AREA),
        (3, BlockReason.PENDING_VOTE),
        (4, BlockReason.EXEMPT),
    ]
    assert result.blocked[0].as_json() == {"unit_id": 2, "unit": "1-201", "reason": "unknown_area"}


def test_a_kind_without_any_standard_is_blocked_as_such():
    [blocked] = plan([unit(1, kind="high_rise")]).blocked
    assert blocked.reason == BlockReason.NO_STANDARD


def test_running_again_changes_nothing_for_units_billed_as_they_are():
    result = plan([unit(1), unit(2, area=None)], {1: billed(100, "60.50"), 2: billed(101, "50")})
    assert (result.new, result.adjustments, result.blocked, result.unchanged) == ([], [], [], 2)


def test_a_corrected_area_gives_an_adjustment_that_reconciles():
    [adjustment] = plan([unit(1, area="70.00")], {1: billed(100, "60.50")}).adjustments
    assert (adjustment.charge_id, adjustment.billed_area, adjustment.new_area) == (
        100,
        D("60.50"),
        D("70.00"),
    )
    delta = adjustment.delta
    assert delta.owner == D("114.00")  # 9.50 m² × 1.00 × 12
    assert delta.owner + sum(delta.payers) == delta.appraised and delta.reconciles


def test_a_billed_unit_keeps_the_standard_it_was_billed_with():
    newer = Tariff(2, (D("2.00"), D("2.00")), None, (), ())
    result = plan(
        [unit(1, area="70.00")],
        {1: billed(100, "60.50")},
        tariffs={"low_rise": newer, "old": LOW},
    )
    [adjustment] = result.adjustments
    assert adjustment.tariff == LOW


@settings(max_examples=200)
@given(
    billed_area=st.decimals(min_value="0.01", max_value="999.99", places=2),
    new_area=st.decimals(min_value="0.01", max_value="999.99", places=2),
    months=st.integers(min_value=1, max_value=36),
)
def test_billed_plus_adjustment_is_what_the_new_area_bills(billed_area, new_area, months):
    charge = billed(100, str(billed_area), months=months)
    result = plan([unit(1, area=str(new_area))], {1: charge}, months=months)
    fresh = plan([unit(1, area=str(new_area))], months=months).new[0].split
    if not result.adjustments:
        assert (fresh.appraised, fresh.owner) == (charge.appraised_due, charge.owner_due)
        return
    delta = result.adjustments[0].delta
    assert charge.appraised_due + delta.appraised == fresh.appraised
    assert charge.owner_due + delta.owner == fresh.owner
    totals = [charge.payer_totals[p] + d for p, d in zip(LOW.payer_ids, delta.payers, strict=True)]
    assert tuple(totals) == fresh.payers
