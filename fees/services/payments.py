"""Payments and refunds (收款、退款): idempotency keys, oldest-first settlement, credit."""

import datetime as dt
import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.models import Unit
from portal.audit import audit_record
from portal.idempotency import insert_or_replay
from portal.models import Compound

from ..models import (
    Charge,
    FenSum,
    Payment,
    PaymentAllocation,
    PaymentKind,
    PaymentMethod,
    add_months,
)
from ..money import ZERO, to_fen
from . import collection_totals
from ._common import EARLIEST_RECORD_DATE, _actor, _money


def _fingerprint(**data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def unit_credit(compound: Compound, unit_id: int) -> Decimal:
    """Money received for the unit (net of refunds) not yet applied to any charge."""
    received = compound.payments.filter(unit_id=unit_id).aggregate(s=FenSum("amount"))["s"] or ZERO
    applied = (
        PaymentAllocation.objects.filter(compound=compound, charge__unit_id=unit_id).aggregate(
            s=FenSum("amount")
        )["s"]
        or ZERO
    )
    return received - applied


def records_begin(compound: Compound) -> dt.date:
    """The earliest date a payment or refund of ``compound`` may carry: a year (the
    longest prepayment lead, ``FEES_MAX_MONTHS_AHEAD``) before its first fee standard
    begins, and never before 2000-01-01; with no standard yet, 2000-01-01."""
    first = compound.fee_standards.order_by("valid_from").values_list("valid_from", flat=True)
    start = first.first()
    if start is None:
        return EARLIEST_RECORD_DATE
    lead = getattr(settings, "FEES_MAX_MONTHS_AHEAD", 12)
    return max(EARLIEST_RECORD_DATE, add_months(start.replace(day=1), -lead))


def unit_monthly_fee(compound: Compound, unit: Unit) -> Decimal | None:
    """What the unit's owner pays a month now: from its latest bill, else from the
    billable standard of its kind valid today (or the latest one begun); None without
    either (or without area)."""
    latest = (
        compound.charges.filter(unit=unit)
        .order_by("-run__period_start")
        .values_list("owner_due", "months")
        .first()
    )
    if latest is not None:
        return to_fen(latest[0] / latest[1])
    if unit.floor_area is None:
        return None
    today = timezone.localdate()
    standards = list(
        compound.fee_standards.filter(
            building_kind=unit.building.kind, valid_from__lte=today, pending_vote=False
        ).order_by("-valid_from")
    )
    current = next((s for s in standards if s.valid_to is None or s.valid_to >= today), None)
    standard = current or (standards[0] if standards else None)
    rates = standard.rates_for(unit) if standard else None
    return to_fen(unit.floor_area * rates[1]) if rates else None


def _check_prepayment_cap(compound: Compound, unit: Unit, amount: Decimal, owed: Decimal) -> None:
    """A prepayment covers at most ``FEES_MAX_PREPAID_MONTHS`` (36) months of the unit's
    current fee beyond what it owes: ten billion yuan for one flat is a typo."""
    months = settings.FEES_MAX_PREPAID_MONTHS
    monthly = unit_monthly_fee(compound, unit)
    if monthly is None:
        raise ValidationError(
            {
                "amount": _("该户尚无可计费的收费标准或面积，不能预缴；收款不能超过欠费%(owed)s元")
                % {"owed": owed}
            }
        )
    cap = owed + monthly * months
    if amount > cap:
        raise ValidationError(
            {
                "amount": _(
                    "收款金额%(amount)s元超过上限%(cap)s元（欠费%(owed)s元加%(months)s个月的"
                    "物业费，每月%(monthly)s元），请核对金额"
                )
                % {
                    "amount": amount,
                    "cap": cap,
                    "owed": owed,
                    "months": months,
                    "monthly": monthly,
                }
            }
        )


def _open_charges(compound: Compound, unit_id: int) -> list[Charge]:
    """The unit's charges that still owe something, oldest first, locked for update."""
    return [
        c
        for c in compound.charges.select_for_update(of=("self",))
        .filter(unit_id=unit_id)
        .order_by("run__period_start", "id")
        if c.outstanding > 0
    ]


def _allocate(
    compound: Compound, payment: Payment, charges: list[Charge], amount: Decimal
) -> Decimal:
    """Settle ``charges`` oldest first with up to ``amount``; returns what is left."""
    allocations = []
    for charge in charges:
        if amount <= 0:
            break
        part = min(amount, charge.outstanding)
        if part <= 0:
            continue
        allocations.append(
            PaymentAllocation(compound=compound, payment=payment, charge=charge, amount=part)
        )
        Charge.objects.filter(pk=charge.pk).update(owner_paid=F("owner_paid") + part)
        charge.owner_paid += part
        amount -= part
    PaymentAllocation.objects.bulk_create(allocations)
    return amount


def _release_overpaid(compound: Compound, unit_ids: list[int]) -> set[int]:
    """Give back what a lowered charge no longer needs.

    A roster correction can lower a charge below what was already applied to it (a smaller
    re-measured area, re-billed). The excess must not stay on that charge: its newest
    allocations shrink (or go) by the excess and ``owner_paid`` falls to the new amount
    due, so the money becomes the unit's credit (received − applied) for later charges.
    The adjustment line and the audit entry of the re-billing keep the history. Returns
    the units whose charges changed.
    """
    changed: set[int] = set()
    charges = compound.charges.select_for_update(of=("self",)).filter(unit_id__in=unit_ids)
    for charge in charges:
        due = max(charge.owner_due, ZERO)
        excess = charge.owner_paid - due
        if excess <= 0:
            continue
        allocations = (
            charge.allocations.select_for_update(of=("self",)).filter(amount__gt=0).order_by("-id")
        )
        for allocation in allocations:
            if excess <= 0:
                break
            part = min(excess, allocation.amount)
            if part == allocation.amount:
                allocation.delete()
            else:
                allocation.amount -= part
                allocation.save(update_fields=["amount"])
            excess -= part
        Charge.objects.filter(pk=charge.pk).update(owner_paid=due)
        changed.add(charge.unit_id)
    return changed


def unit_rebalance(compound: Compound, unit_ids: list[int]) -> None:
    """Restore the units' balance rule after their charges changed: no charge holds more
    than it is due (the excess becomes credit), and credit settles open charges oldest
    first, so paid − refunded = applied + credit and no credit waits beside an open bill.

    The units whose charges changed are noted for the collection totals: the caller (a
    billing run) ends its transaction with ``collection_totals.refresh``, which
    recomputes them once every charge lock is taken."""
    changed = _release_overpaid(compound, unit_ids)
    changed |= _apply_credit(compound, unit_ids)
    collection_totals.defer_units(compound, changed)


def _apply_credit(compound: Compound, unit_ids: list[int]) -> set[int]:
    """Money of these units not applied to any charge (prepaid, or released by a lowered
    charge) settles their open charges, oldest first. Returns the units that had credit."""
    changed: set[int] = set()
    received = dict(
        compound.payments.filter(unit_id__in=unit_ids)
        .values("unit_id")
        .annotate(s=FenSum("amount"))
        .values_list("unit_id", "s")
    )
    if not received:
        return changed
    applied = dict(
        PaymentAllocation.objects.filter(compound=compound, charge__unit_id__in=list(received))
        .values("charge__unit_id")
        .annotate(s=FenSum("amount"))
        .values_list("charge__unit_id", "s")
    )
    for unit_id, total in received.items():
        credit = total - (applied.get(unit_id) or ZERO)
        if credit <= 0:
            continue
        source = (
            compound.payments.filter(unit_id=unit_id, kind=PaymentKind.PAYMENT)
            .order_by("-received_on", "-id")
            .first()
        )
        if source is None:  # credit comes from payments: there is always one
            continue
        _allocate(compound, source, _open_charges(compound, unit_id), credit)
        changed.add(unit_id)
    return changed


def _existing_by_key(compound: Compound, idempotency_key: str, fingerprint: str) -> Payment | None:
    existing = compound.payments.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if existing.fingerprint != fingerprint:
        raise ValidationError(
            {
                "idempotency_key": _(
                    "幂等键“%(key)s”已用于另一笔内容不同的收款（收据号%(receipt)s），请勿重复使用"
                )
                % {"key": idempotency_key, "receipt": existing.receipt_number}
            }
        )
    existing.was_replayed = True
    return existing


def _save_payment(payment: Payment) -> Payment:
    payment.full_clean(exclude=["fingerprint"])
    payment.save()
    payment.was_replayed = False
    return payment


# The words of a payment's and a refund's errors (whole sentences, for the translators).
_ENTRY_WORDS = {
    PaymentKind.PAYMENT: {
        "amount": gettext_lazy("收款金额"),
        "positive": gettext_lazy("收款金额必须大于零"),
        "method": gettext_lazy("未知的收款方式"),
    },
    PaymentKind.REFUND: {
        "amount": gettext_lazy("退款金额"),
        "positive": gettext_lazy("退款金额必须大于零"),
        "method": gettext_lazy("未知的退款方式"),
    },
}


def _entry_check(
    *,
    compound: Compound,
    kind: PaymentKind,
    amount: object,
    method: str,
    received_on: dt.date,
    idempotency_key: str,
    **request_data: object,
) -> tuple[Decimal, str, Payment | None]:
    """The first steps of recording a payment or a refund: the amount parsed, the key and
    the date checked, the request's fingerprint (over ``request_data`` too), and the entry
    recorded earlier under the same key if this is a replay of it (a different request
    under that key is refused). Amount and method are checked only when it is not."""
    words = _ENTRY_WORDS[kind]
    amount = _money(amount, "amount", str(words["amount"]))
    if not idempotency_key or not idempotency_key.strip():
        raise ValidationError({"idempotency_key": _("缺少幂等键，无法防止重复记账")})
    if len(idempotency_key) > 64:
        raise ValidationError({"idempotency_key": _("幂等键最长64个字符")})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("收款日期不能晚于今天")})
    floor = records_begin(compound)
    if received_on < floor:
        raise ValidationError(
            {
                "received_on": _("日期%(day)s早于本小区收费记录的起点%(floor)s，请核对")
                % {"day": received_on.isoformat(), "floor": floor.isoformat()}
            }
        )
    fingerprint = _fingerprint(
        amount=str(amount), method=method, received_on=received_on.isoformat(), **request_data
    )
    replay = _existing_by_key(compound, idempotency_key, fingerprint)
    if replay is None:
        if amount <= 0:
            raise ValidationError({"amount": str(words["positive"])})
        if method not in PaymentMethod.values:
            raise ValidationError({"method": str(words["method"])})
    return amount, fingerprint, replay


@transaction.atomic
def payment_record(
    *,
    compound: Compound,
    unit: Unit,
    amount: Decimal,
    method: str,
    received_on: dt.date,
    idempotency_key: str,
    reference: str = "",
    is_prepayment: bool = False,
    note: str = "",
    actor: User | None = None,
) -> Payment:
    """Record money received for ``unit``; oldest charges are settled first.

    The same ``idempotency_key`` with the same data returns the first payment (its
    ``was_replayed`` is True); with different data it is refused. More than the unit owes
    is refused unless ``is_prepayment`` is set, in which case the excess is kept as credit
    for the next bills.
    """
    if unit.compound_id != compound.pk:
        raise ValidationError({"unit": _("该房屋不属于本小区")})
    amount, fingerprint, replay = _entry_check(
        compound=compound,
        kind=PaymentKind.PAYMENT,
        amount=amount,
        method=method,
        received_on=received_on,
        idempotency_key=idempotency_key,
        unit=unit.pk,
        reference=reference,
        is_prepayment=is_prepayment,
    )
    if replay is not None:
        return replay
    return insert_or_replay(
        lambda: _payment_insert(
            compound=compound,
            unit=unit,
            amount=amount,
            method=method,
            received_on=received_on,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            reference=reference,
            is_prepayment=is_prepayment,
            note=note,
            actor=actor,
        ),
        lambda: _existing_by_key(compound, idempotency_key, fingerprint),
    )


def _payment_insert(
    *,
    compound: Compound,
    unit: Unit,
    amount: Decimal,
    method: str,
    received_on: dt.date,
    idempotency_key: str,
    fingerprint: str,
    reference: str,
    is_prepayment: bool,
    note: str,
    actor: User | None,
) -> Payment:
    """A new payment: checked against what the unit owes, saved, settled oldest first."""
    if method != PaymentMethod.CASH and not reference.strip():
        raise ValidationError({"reference": _("银行转账、微信和支付宝收款须填写交易流水号")})

    charges = _open_charges(compound, unit.pk)
    owed = sum((c.outstanding for c in charges), ZERO) - max(unit_credit(compound, unit.pk), ZERO)
    owed = max(owed, ZERO)
    if amount > owed and not is_prepayment:
        raise ValidationError(
            {
                "amount": _("收款金额%(amount)s元超过该户欠费%(owed)s元；如确为预缴，请勾选“预缴”")
                % {"amount": amount, "owed": owed}
            }
        )
    if amount > owed:
        _check_prepayment_cap(compound, unit, amount, owed)
    payment = _save_payment(
        Payment(
            compound=compound,
            unit=unit,
            kind=PaymentKind.PAYMENT,
            method=method,
            amount=amount,
            reference=reference.strip(),
            received_on=received_on,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            is_prepayment=is_prepayment,
            note=note,
            recorded_by=_actor(actor),
        )
    )
    if _allocate(compound, payment, charges, amount) < amount:
        collection_totals.refresh_units(compound, [unit.pk])
    audit_record(
        action="fees.payment_record",
        actor=_actor(actor),
        compound=compound,
        obj=payment,
        data={"unit": unit.pk, "amount": str(amount), "method": method},
    )
    return payment


@transaction.atomic
def refund_record(
    *,
    compound: Compound,
    payment: Payment,
    amount: Decimal,
    method: str,
    received_on: dt.date,
    idempotency_key: str,
    reference: str = "",
    note: str = "",
    actor: User | None = None,
) -> Payment:
    """Refund (part of) ``payment``: unapplied credit first, then the newest settlements."""
    if payment.compound_id != compound.pk or payment.kind != PaymentKind.PAYMENT:
        raise ValidationError({"payment": _("只能对本小区的收款办理退款")})
    amount, fingerprint, replay = _entry_check(
        compound=compound,
        kind=PaymentKind.REFUND,
        amount=amount,
        method=method,
        received_on=received_on,
        idempotency_key=idempotency_key,
        refund_of=payment.pk,
        reference=reference,
    )
    if replay is not None:
        return replay
    return insert_or_replay(
        lambda: _refund_insert(
            compound=compound,
            payment=payment,
            amount=amount,
            method=method,
            received_on=received_on,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            reference=reference,
            note=note,
            actor=actor,
        ),
        lambda: _existing_by_key(compound, idempotency_key, fingerprint),
    )


def _refund_insert(
    *,
    compound: Compound,
    payment: Payment,
    amount: Decimal,
    method: str,
    received_on: dt.date,
    idempotency_key: str,
    fingerprint: str,
    reference: str,
    note: str,
    actor: User | None,
) -> Payment:
    """A new refund: at most what is left of ``payment``, unapplied credit first, then
    the newest settlements undone."""
    Payment.objects.select_for_update(of=("self",)).filter(pk=payment.pk).first()
    if received_on < payment.received_on:
        raise ValidationError(
            {
                "received_on": _("退款日期不能早于原收款日期%(day)s")
                % {"day": payment.received_on.isoformat()}
            }
        )
    refunded = -(payment.refunds.aggregate(s=FenSum("amount"))["s"] or ZERO)
    refundable = payment.amount - refunded
    if amount > refundable:
        raise ValidationError(
            {
                "amount": _("退款金额%(amount)s元超过该笔收款可退余额%(left)s元")
                % {"amount": amount, "left": refundable}
            }
        )
    credit = max(unit_credit(compound, payment.unit_id), ZERO)
    refund = _save_payment(
        Payment(
            compound=compound,
            unit_id=payment.unit_id,
            kind=PaymentKind.REFUND,
            method=method,
            amount=-amount,
            reference=reference.strip(),
            received_on=received_on,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            refund_of=payment,
            note=note,
            recorded_by=_actor(actor),
        )
    )
    to_unsettle = amount - min(credit, amount)
    settled = (
        compound.charges.select_for_update(of=("self",))
        .filter(unit_id=payment.unit_id, owner_paid__gt=0)
        .order_by("-run__period_start", "-id")
    )
    reversals = []
    for charge in settled:
        if to_unsettle <= 0:
            break
        part = min(to_unsettle, charge.owner_paid)
        reversals.append(
            PaymentAllocation(compound=compound, payment=refund, charge=charge, amount=-part)
        )
        Charge.objects.filter(pk=charge.pk).update(owner_paid=F("owner_paid") - part)
        to_unsettle -= part
    PaymentAllocation.objects.bulk_create(reversals)
    if reversals:
        collection_totals.refresh_units(compound, [payment.unit_id])
    audit_record(
        action="fees.refund_record",
        actor=_actor(actor),
        compound=compound,
        obj=refund,
        data={"refund_of": payment.pk, "amount": str(amount)},
    )
    return refund
