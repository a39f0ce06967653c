"""fees.access: the object for this user, or 404 for forbidden and absent alike."""

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404

from fees import access, services
from tests.fees.helpers import home_fees


def _refund(cast, payment):
    return services.refund_record(
        compound=cast.compound,
        payment=payment,
        amount=Decimal("10.00"),
        method="cash",
        received_on=dt.date(2022, 3, 2),
        idempotency_key="access-refund-1",
    )


@pytest.mark.django_db
def test_a_resident_gets_the_payments_of_their_own_unit_only(cast):
    data = home_fees(cast)
    mine = data["payment"]
    theirs = services.payment_record(
        compound=cast.compound,
        unit=data["debtor"],
        amount=Decimal("50.00"),
        method="cash",
        received_on=dt.date(2022, 3, 1),
        idempotency_key="access-pay-2",
    )
    assert access.get_payment_for_user(cast.resident, cast.compound.code, mine.pk) == mine
    with pytest.raises(Http404):
        access.get_payment_for_user(cast.resident, cast.compound.code, theirs.pk)
    assert access.get_payment_for_user(cast.committee, cast.compound.code, theirs.pk) == theirs
    for outsider in cast.outsiders.values():
        with pytest.raises(Http404):
            access.get_payment_for_user(outsider, cast.compound.code, mine.pk)


@pytest.mark.django_db
def test_only_cashiers_may_refund_and_a_refund_is_not_refundable(cast):
    payment = home_fees(cast)["payment"]
    code = cast.compound.code
    assert access.get_refundable_payment_for_user(cast.company_staff, code, payment.pk) == payment
    for user in (cast.committee, cast.officer, cast.resident):
        with pytest.raises(Http404):
            access.get_refundable_payment_for_user(user, code, payment.pk)
    refund = _refund(cast, payment)
    with pytest.raises(Http404):
        access.get_refundable_payment_for_user(cast.company_staff, code, refund.pk)


@pytest.mark.django_db
def test_a_units_notice_is_for_staff_and_its_current_owner(cast):
    data = home_fees(cast)
    code = cast.compound.code
    charge = access.get_unit_notice_charge_for_user(cast.resident, code, data["unit"].pk)
    assert charge.unit == data["unit"] and charge.run == data["run"]
    with pytest.raises(Http404):  # a neighbour's unit
        access.get_unit_notice_charge_for_user(cast.resident, code, data["debtor"].pk)
    assert access.get_unit_notice_charge_for_user(cast.committee, code, data["debtor"].pk)
    never_billed = cast.other_compound.units.first()
    with pytest.raises(Http404):  # another compound's unit, through this compound
        access.get_unit_notice_charge_for_user(cast.committee, code, never_billed.pk)


@pytest.mark.django_db
def test_runs_resolve_with_the_roles_the_operation_needs(cast):
    run = home_fees(cast)["run"]
    code = cast.compound.code
    assert access.get_run_for_user(cast.committee, code, run.pk).compound == cast.compound
    with pytest.raises(Http404):  # committee members see runs but do not print notices
        access.get_run_for_user(cast.committee, code, run.pk, access.RUN_EDITORS)
    with pytest.raises(Http404):
        access.get_run_for_user(cast.resident, code, run.pk)
    with pytest.raises(Http404):  # another compound's code
        access.get_run_for_user(cast.committee, cast.other_compound.code, run.pk)
