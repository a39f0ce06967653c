"""Payments and refunds, and the unit a payment names."""

from decimal import Decimal

from django.db.models import QuerySet

from households.models import Unit
from portal.models import Compound

from ..models import (
    FenSum,
    Payment,
    PaymentKind,
)
from ..money import ZERO


def unit_by_id(compound: Compound, unit_id: int) -> Unit | None:
    """The unit a payment names by id, if it is one of ``compound``'s."""
    return compound.units.select_related("building").filter(pk=unit_id).first()


def unit_by_number(compound: Compound, building: str, number: str) -> Unit | None:
    """The unit a payment names by 楼号 and 房号, if it is one of ``compound``'s."""
    return (
        compound.units.select_related("building")
        .filter(building__number=building.strip(), number=number.strip())
        .first()
    )


def payments_of_compound(compound: Compound, limit: int = 50) -> QuerySet[Payment]:
    return compound.payments.select_related("unit__building").order_by("-created_at", "-id")[:limit]


def refundable(payment: Payment) -> Decimal:
    if payment.kind != PaymentKind.PAYMENT:
        return ZERO
    refunded = payment.refunds.aggregate(s=FenSum("amount"))["s"] or ZERO
    return payment.amount + refunded
