"""Selectors: collection rates, arrears, reconciliation and warnings, in constant queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from fees import selectors, services
from fees.models import Charge, ChargeSubsidyLine, SubsidyPayer
from tests.factories import make_compound
from tests.fees.helpers import bill, low_rise_standard

pytestmark = pytest.mark.django_db


def _billed_compound(cast, code: str, buildings: int, units: int):
    compound = make_compound(cast.office, code, buildings=buildings, units_per_building=units)
    low_rise_standard(compound)
    bill(compound, months=6)
    bill(compound, start=dt.date(2022, 7, 1), months=6)
    for n, unit in enumerate(compound.units.order_by("id")):
        if n % 3:
            services.payment_record(
                compound=compound,
                unit=unit,
                amount=Decimal("363.00"),
                method="cash",
                received_on=dt.date(2022, 1 + n % 6, 5),
                idempotency_key=f"p{n}",
            )
    return compound


def test_collection_rates_by_households_and_amount(cast):
    compound = _billed_compound(cast, "c1", buildings=2, units=3)
    report = selectors.collection_report(compound, 2022)
    # 6 units × 2 runs of 363.00; units 1,2,4,5 paid the first half year.
    assert report.compound.billed_households == 6
    assert report.compound.paid_households == 0
    assert report.compound.amount_due == Decimal("4356.00")
    assert report.compound.amount_collected == Decimal("1452.00")
    assert report.compound.rate_amount == Decimal("33.33")
    first, second = report.periods
    assert (first.billed_households, first.paid_households) == (6, 4)
    assert first.rate_households == Decimal("66.67")
    assert second.paid_households == 0
    assert [b.billed_households for b in report.buildings] == [3, 3]
    # With the subsidy the owners' unpaid part weighs less.
    assert report.compound.rate_amount_with_subsidy > report.compound.rate_amount
    assert report.over_time[-1].collected == Decimal("1452.00")
    assert report.over_time[-1].rate == Decimal("33.33")


def test_collection_report_runs_constant_queries(cast, django_assert_num_queries):
    small = _billed_compound(cast, "small", buildings=1, units=2)
    large = _billed_compound(cast, "large", buildings=6, units=8)
    # Read from the kept totals: buildings, periods, months.
    with django_assert_num_queries(3):
        selectors.collection_report(small, 2022)
    with django_assert_num_queries(3):
        report = selectors.collection_report(large, 2022)
    assert report.compound.billed_households == 48


def test_fees_of_units_runs_constant_queries(cast, django_assert_num_queries):
    compound = _billed_compound(cast, "res", buildings=3, units=4)
    one = list(compound.units.order_by("id")[:1])
    many = list(compound.units.order_by("id"))
    with django_assert_num_queries(4):
        selectors.fees_of_units(compound, one)
    with django_assert_num_queries(4):
        fees = selectors.fees_of_units(compound, many)
    assert sum(len(f.charges) for f in fees) == 24
    assert fees[0].owed == Decimal("726.00")
    assert fees[1].owed == Decimal("363.00") and len(fees[1].payments) == 1


def test_arrears_by_age_buckets(cast):
    compound = _billed_compound(cast, "arr", buildings=1, units=3)
    rows, totals = selectors.arrears_by_age(compound, dt.date(2023, 3, 1))
    # First half of 2022 is 14 months old (12+), the second 8 months (6–12).
    first = rows[0]
    assert first.buckets == [Decimal("0"), Decimal("0"), Decimal("363.00"), Decimal("363.00")]
    assert totals[3] == Decimal("363.00")  # only unit 0 left H1 unpaid
    assert totals[2] == Decimal("1089.00")


def test_reconciliation_matches_the_charges_to_the_fen(cast):
    compound = _billed_compound(cast, "rec", buildings=2, units=3)
    unit = compound.units.order_by("id").first()
    unit.floor_area = Decimal("70.01")
    unit.save()
    run = compound.billing_runs.order_by("period_start").first()
    services.billing_run_create(
        compound=compound, period_start=run.period_start, months=6, today=dt.date(2022, 1, 1)
    )
    total = Decimal("0")
    for payer in SubsidyPayer.objects.filter(compound=compound):
        statement = selectors.subsidy_reconciliation(compound, payer, run)
        assert len(statement.lines) == 6
        assert (
            statement.total_amount
            == ChargeSubsidyLine.objects.filter(payer=payer, charge__run=run).aggregate(
                s=Sum("amount")
            )["s"]
        )
        assert Decimal("70.01") in [line.area for line in statement.lines]
        total += statement.total_amount
    assert total == Charge.objects.filter(run=run).aggregate(s=Sum("subsidy_due"))["s"]


def test_subsidy_ending_warning_from_six_months_before(cast):
    low_rise_standard(cast.compound)
    assert selectors.subsidy_endings([cast.compound], dt.date(2024, 6, 30)) == []
    (ending,) = selectors.subsidy_endings([cast.compound], dt.date(2024, 7, 1))
    assert ending.households == 6
    assert ending.monthly_now_total == Decimal("363.00")
    assert ending.average_after == Decimal("107.69")  # 60.50 × 1.78, no next standard
    assert selectors.subsidy_endings([cast.compound], dt.date(2025, 1, 1)) == []
