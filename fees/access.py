"""Access to the fees app's objects: the object for this user, or 404.

Pages and the API call these helpers, never a lookup of their own, so "forbidden" and
"absent" look the same everywhere (another compound's run, a resident asking for a
neighbour's receipt, a committee member asking to refund). Each helper resolves the
compound with the roles the operation needs and hangs it on the object it returns.
"""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404
from django.shortcuts import get_object_or_404

from households.access import get_unit_for_user
from households.models import Unit
from portal.access import get_compound_for_user, is_staff_in
from portal.models import STAFF_ROLES, Role

from . import selectors
from .models import (
    BUILDING_FILE,
    BillingRun,
    Charge,
    ChunkStatus,
    NoticeChunk,
    Payment,
    PaymentKind,
    ReminderKind,
    ReminderStep,
    SubsidyPayer,
)

#: Who sets fee standards: the street office (it also sets the subsidy).
STANDARD_EDITORS = frozenset({Role.STREET_OFFICER})
#: Who bills a period and prints its notices.
RUN_EDITORS = frozenset({Role.STREET_OFFICER, Role.COMPANY_STAFF})
#: Who records payments, refunds and reminder steps: the service company.
CASHIERS = frozenset({Role.COMPANY_STAFF})


def get_run_for_user(
    user: AbstractBaseUser, code: str, run_id: int, roles: Iterable[Role] = STAFF_ROLES
) -> BillingRun:
    """A billing run of compound ``code``, for a holder of one of ``roles`` there."""
    compound = get_compound_for_user(user, code, roles)
    run = get_object_or_404(compound.billing_runs, pk=run_id)
    run.compound = compound
    return run


def get_notice_file_for_user(
    user: AbstractBaseUser, code: str, run_id: int, number: str
) -> NoticeChunk:
    """A building's finished print file of a run, for staff (its one part's file, or its
    parts' joined: a building whose parts are not joined yet has none)."""
    run = get_run_for_user(user, code, run_id)
    chunk = get_object_or_404(
        run.chunks.filter(BUILDING_FILE).select_related("building"),
        building__number=number,
        status=ChunkStatus.DONE,
    )
    chunk.run = run
    return chunk


def get_payment_for_user(user: AbstractBaseUser, code: str, payment_id: int) -> Payment:
    """A payment or refund: staff see every one; a resident those of the units they own
    now (a receipt is the owner's, not the flat's former owner's)."""
    compound = get_compound_for_user(user, code)
    payments = compound.payments.select_related("unit__building")
    if not is_staff_in(user, compound):
        payments = payments.filter(unit__in=compound.units.owned_by(user))
    payment = get_object_or_404(payments, pk=payment_id)
    payment.compound = compound
    return payment


def get_refundable_payment_for_user(user: AbstractBaseUser, code: str, payment_id: int) -> Payment:
    """A payment (not a refund: a refund's id looks absent) for a cashier to refund."""
    compound = get_compound_for_user(user, code, CASHIERS)
    payment = get_object_or_404(
        compound.payments.select_related("unit__building"), pk=payment_id, kind=PaymentKind.PAYMENT
    )
    payment.compound = compound
    return payment


def get_debtor_unit_for_user(user: AbstractBaseUser, code: str, unit_id: int) -> Unit:
    """A unit of the compound on the arrears ladder, for staff."""
    compound = get_compound_for_user(user, code, STAFF_ROLES)
    unit = get_object_or_404(compound.units.select_related("building"), pk=unit_id)
    unit.compound = compound
    return unit


def get_demand_for_user(user: AbstractBaseUser, code: str, step_id: int) -> ReminderStep:
    """A written demand (书面催告) of the arrears ladder, for staff; other steps have no
    letter and look absent."""
    compound = get_compound_for_user(user, code, STAFF_ROLES)
    step = get_object_or_404(
        ReminderStep.objects.select_related("unit__building"),
        compound=compound,
        pk=step_id,
        kind=ReminderKind.WRITTEN_DEMAND,
    )
    step.compound = compound
    return step


def get_subsidy_payer_for_user(user: AbstractBaseUser, code: str, payer_id: int) -> SubsidyPayer:
    """A subsidy payer of the compound, for staff (its statements)."""
    compound = get_compound_for_user(user, code, STAFF_ROLES)
    payer = get_object_or_404(SubsidyPayer.objects, compound=compound, pk=payer_id)
    payer.compound = compound
    return payer


def get_unit_notice_charge_for_user(user: AbstractBaseUser, code: str, unit_id: int) -> Charge:
    """The charge a unit's notice is printed from (its latest): staff for any unit, a
    resident for the units they own now; 404 too when the unit was never billed."""
    unit = get_unit_for_user(user, code, unit_id)
    charge = selectors.latest_charge(unit.compound, unit)
    if charge is None:
        raise Http404
    charge.unit = unit
    return charge
