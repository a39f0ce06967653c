"""Money released by a lowered charge becomes credit (issue 8, item 2).

The balance rule, per unit and to the fen: paid − refunded = applied + credit; no charge
holds more than it is due; no credit waits while a charge of the unit is open."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fees import selectors, services
from fees.models import Charge, FenSum, Payment, PaymentAllocation, PaymentKind
from households.models import Unit

from .helpers import low_rise_standard, refund_at_most, remeasure

PAID_ON = dt.date(2022, 6, 1)
ZERO = Decimal("0.00")


def _unit(cast, n: int = 0) -> Unit:
    return cast.compound.units.order_by("id")[n]


def _bill(compound, month: int):
    return services.billing_run_create(
        compound=compound, period_start=dt.date(2022, month, 1), months=1, today=dt.date(2022, 1, 1)
    )


def _pay(cast, unit, amount, key, prepay=True):
    return services.payment_record(
        compound=cast.compound,
        unit=unit,
        amount=Decimal(amount),
        method="cash",
        received_on=PAID_ON,
        idempotency_key=key,
        is_prepayment=prepay,
    )


def assert_balance_rule(compound) -> None:
    for unit in compound.units.all():
        payments = Payment.objects.filter(compound=compound, unit=unit)
        paid = payments.filter(kind=PaymentKind.PAYMENT).aggregate(s=FenSum("amount"))["s"] or ZERO
        refunded = -(
            payments.filter(kind=PaymentKind.REFUND).aggregate(s=FenSum("amount"))["s"] or ZERO
        )
        charges = list(Charge.objects.filter(compound=compound, unit=unit))
        applied = sum((c.owner_paid for c in charges), ZERO)
        allocated = (
            PaymentAllocation.objects.filter(charge__unit=unit).aggregate(s=FenSum("amount"))["s"]
            or ZERO
        )
        credit = services.unit_credit(compound, unit.pk)
        assert allocated == applied, unit
        assert paid - refunded == applied + credit, unit
        assert credit >= 0, unit
        for c in charges:
            assert ZERO <= c.owner_paid <= c.owner_due, (unit, c.owner_paid, c.owner_due)
        if credit > 0:
            assert all(c.outstanding <= 0 for c in charges), (unit, credit)


def test_a_lowered_paid_charge_releases_credit_that_settles_the_next_bill(cast, client):
    compound = cast.compound
    low_rise_standard(compound)
    unit = _unit(cast)  # 60.50 m²: 60.50 a month
    first = _bill(compound, 1).run
    _pay(cast, unit, "60.50", "p1", prepay=False)
    remeasure(compound, unit, "50.00")
    charge = first.charges.get(unit=unit)
    assert (charge.owner_due, charge.owner_paid) == (Decimal("50.00"), Decimal("50.00"))
    assert services.unit_credit(compound, unit.pk) == Decimal("10.50")
    assert PaymentAllocation.objects.get(charge=charge).amount == Decimal("50.00")
    (fees,) = selectors.fees_of_units(compound, [unit])
    assert (fees.credit, fees.owed) == (Decimal("10.50"), ZERO)
    report = selectors.collection_report(compound, 2022)
    unit_rows = [b for b in report.buildings if b.building_id == unit.building_id]
    assert unit_rows[0].paid_households == 1

    # The released money settles the next month's bill, oldest first.
    second = _bill(compound, 2).run
    later = second.charges.get(unit=unit)
    assert later.owner_paid == Decimal("10.50") and later.outstanding == Decimal("39.50")
    assert services.unit_credit(compound, unit.pk) == ZERO

    # The resident's page shows what is left to pay after the released money.
    client.force_login(cast.resident)
    page = client.get(f"/c/{compound.code}/fees/my/").content.decode()
    assert "39.50" in page
    assert_balance_rule(compound)


def test_a_raised_charge_takes_up_waiting_credit(cast):
    compound = cast.compound
    low_rise_standard(compound)
    unit = _unit(cast)
    _bill(compound, 1)
    _pay(cast, unit, "100.00", "p1")  # 60.50 due, 39.50 credit
    remeasure(compound, unit, "70.00")
    charge = Charge.objects.get(unit=unit)
    assert charge.owner_due == charge.owner_paid == Decimal("70.00")
    assert services.unit_credit(compound, unit.pk) == Decimal("30.00")
    assert_balance_rule(compound)


def test_a_refund_after_a_release_comes_from_the_credit_first(cast):
    compound = cast.compound
    low_rise_standard(compound)
    unit = _unit(cast)
    _bill(compound, 1)
    payment = _pay(cast, unit, "60.50", "p1", prepay=False)
    remeasure(compound, unit, "50.00")
    services.refund_record(
        compound=compound,
        payment=payment,
        amount=Decimal("10.50"),
        method="cash",
        received_on=PAID_ON,
        idempotency_key="r1",
    )
    assert Charge.objects.get(unit=unit).owner_paid == Decimal("50.00")
    assert services.unit_credit(compound, unit.pk) == ZERO
    assert_balance_rule(compound)


AREAS = st.decimals(min_value=Decimal("10.00"), max_value=Decimal("120.00"), places=2)
AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300.00"), places=2)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("bill")),
        st.tuples(st.just("remeasure"), st.integers(0, 1), AREAS),
        st.tuples(st.just("pay"), st.integers(0, 1), AMOUNTS),
        st.tuples(st.just("refund"), st.integers(0, 7), AMOUNTS),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_any_sequence_keeps_the_balance_rule_to_the_fen(cast, operations):
    compound = cast.compound
    with transaction.atomic():
        low_rise_standard(compound)
        months = 0
        for n, op in enumerate(operations):
            if op[0] == "bill" and months < 6:
                months += 1
                _bill(compound, months)
            elif op[0] == "remeasure":
                remeasure(compound, _unit(cast, op[1]), op[2])
            elif op[0] == "pay":
                _pay(cast, _unit(cast, op[1]), op[2], f"p{n}")
            elif op[0] == "refund":
                refund_at_most(compound, op[1], op[2], not_before=PAID_ON, key=f"r{n}")
            assert_balance_rule(compound)
        transaction.set_rollback(True)
