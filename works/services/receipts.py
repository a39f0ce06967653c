"""Receipts of a works project (工程收款): money received for one funding line.

An owner's contribution names the unit; its receipt raises that unit's
``Contribution.paid`` in the same transaction, never above the unit's share. Another
payer's receipt (the government's subsidy, the company's part) is checked against its
line's target. Recording is safe to retry as fee payments are: the same idempotency key
with the same data returns the first receipt (``was_replayed``), with different data it
is refused (fees.services.payments).

A refund (退款, :func:`receipt_refund`) pays back part or all of one receipt, with its
reason: recorded with an idempotency key in the same way, never more than what is left of
the receipt (checked under the receipt's row lock, so two refunds at once cannot pass it
together), and an owner's refund lowers the contribution's ``paid`` by as much. What a
line raised is its receipts less their refunds.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fees.models import FenSum, PaymentMethod
from fees.money import ZERO
from fees.services.payments import _fingerprint
from households.models import Unit
from portal.audit import audit_record
from portal.idempotency import insert_or_replay
from portal.models import Compound

from ..models import (
    Contribution,
    FundingKind,
    FundingLine,
    Project,
    ProjectStatus,
    Receipt,
    ReceiptRefund,
)
from ._inputs import acting, money

#: Statuses in which money may be received: approved (the plan stands) up to acceptance.
#: A proposed project has no approved plan yet; a settled one is closed.
RECEIVING = frozenset(
    {
        ProjectStatus.APPROVED,
        ProjectStatus.CONTRACTED,
        ProjectStatus.IN_PROGRESS,
        ProjectStatus.ACCEPTED,
    }
)


def _replay(compound: Compound, idempotency_key: str, fingerprint: str) -> Receipt | None:
    """The receipt recorded earlier under ``idempotency_key`` (a replay), None if none;
    a different request under that key is refused."""
    existing = Receipt.objects.filter(compound=compound, idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if existing.fingerprint != fingerprint:
        raise ValidationError(
            {
                "idempotency_key": _(
                    "幂等键“%(key)s”已用于另一笔内容不同的工程收款（%(day)s，%(amount)s元），"
                    "请勿重复使用"
                )
                % {
                    "key": idempotency_key,
                    "day": existing.received_on.isoformat(),
                    "amount": existing.amount,
                }
            }
        )
    existing.was_replayed = True
    return existing


def _check_request(
    *,
    project: Project,
    line: FundingLine,
    unit: Unit | None,
    method: str,
    received_on: dt.date,
    idempotency_key: str,
) -> None:
    """What can be refused without reading the money already received."""
    if not idempotency_key or not idempotency_key.strip():
        raise ValidationError({"idempotency_key": _("缺少幂等键，无法防止重复记账")})
    if len(idempotency_key) > 64:
        raise ValidationError({"idempotency_key": _("幂等键最长64个字符")})
    if line.project_id != project.pk:
        raise ValidationError({"line": _("该资金来源不属于本工程")})
    if line.kind == FundingKind.OWNERS and unit is None:
        raise ValidationError({"unit": _("业主自筹的收款须指明房屋")})
    if line.kind != FundingKind.OWNERS and unit is not None:
        raise ValidationError({"unit": _("只有业主自筹的收款按房屋记录")})
    if unit is not None and unit.compound_id != project.compound_id:
        raise ValidationError({"unit": _("本小区没有这个房屋")})
    if method not in PaymentMethod.values:
        raise ValidationError({"method": _("未知的收款方式")})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("收款日期不能晚于今天")})
    if received_on < project.proposed_on:
        raise ValidationError(
            {
                "received_on": _("收款日期%(day)s早于工程提出日期%(proposed)s，请核对")
                % {"day": received_on.isoformat(), "proposed": project.proposed_on.isoformat()}
            }
        )


@transaction.atomic
def receipt_record(
    *,
    compound: Compound,
    project: Project,
    line: FundingLine,
    amount: object,
    received_on: dt.date,
    idempotency_key: str,
    unit: Unit | None = None,
    method: str = PaymentMethod.BANK,
    reference: str = "",
    note: str = "",
    actor: User | AnonymousUser | None = None,
) -> Receipt:
    """Record money received for ``line`` of ``project`` (of ``compound``).

    For the ``owners`` line ``unit`` names whose contribution it is: the amount may not
    exceed that unit's outstanding share, and the contribution's ``paid`` rises with it.
    For any other line the amount may not exceed what the line still lacks. Amounts are
    positive yuan to the fen; the date is not in the future nor before the project was
    proposed; the project must be approved and not yet settled.

    The same ``idempotency_key`` with the same data returns the first receipt (its
    ``was_replayed`` is True); with different data it is refused.
    """
    if project.compound_id != compound.pk:
        raise ValidationError({"project": _("本小区没有这个工程")})
    amount = money(amount, "amount", _("收款金额"))
    _check_request(
        project=project,
        line=line,
        unit=unit,
        method=method,
        received_on=received_on,
        idempotency_key=idempotency_key,
    )
    fingerprint = _fingerprint(
        project=project.pk,
        line=line.pk,
        unit=unit.pk if unit is not None else None,
        amount=str(amount),
        method=method,
        received_on=received_on.isoformat(),
        reference=reference,
        note=note,
    )
    replay = _replay(compound, idempotency_key, fingerprint)
    if replay is not None:
        return replay
    if project.status not in RECEIVING:
        raise ValidationError(
            {
                "project": _("工程状态为“%(status)s”，不能登记收款（须已批准且尚未结算）")
                % {"status": project.get_status_display()}
            }
        )
    return insert_or_replay(
        lambda: _insert(
            compound=compound,
            project=project,
            line=line,
            unit=unit,
            amount=amount,
            method=method,
            received_on=received_on,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            reference=reference,
            note=note,
            actor=acting(actor),
        ),
        lambda: _replay(compound, idempotency_key, fingerprint),
    )


def _insert(
    *,
    compound: Compound,
    project: Project,
    line: FundingLine,
    unit: Unit | None,
    amount: Decimal,
    method: str,
    received_on: dt.date,
    idempotency_key: str,
    fingerprint: str,
    reference: str,
    note: str,
    actor: User | None,
) -> Receipt:
    """Lock what the receipt pays into, check the amount against it, save and audit."""
    # The line is locked for every receipt, so the sums read below cannot move meanwhile.
    FundingLine.objects.select_for_update(of=("self",)).filter(pk=line.pk).first()
    contribution = None
    if unit is not None:
        contribution = (
            Contribution.objects.select_for_update(of=("self",))
            .filter(compound=compound, line=line, unit=unit)
            .first()
        )
        if contribution is None:
            raise ValidationError(
                {"unit": _("%(unit)s不在本工程业主自筹的分摊范围内") % {"unit": unit.label}}
            )
        outstanding = contribution.share - contribution.paid
        if amount > outstanding:
            raise ValidationError(
                {
                    "amount": _(
                        "收款金额%(amount)s元超过%(unit)s尚未缴纳的%(outstanding)s元"
                        "（应出资%(share)s元，已缴%(paid)s元）"
                    )
                    % {
                        "amount": amount,
                        "unit": unit.label,
                        "outstanding": outstanding,
                        "share": contribution.share,
                        "paid": contribution.paid,
                    }
                }
            )
    else:
        received = line.receipts.aggregate(s=FenSum("amount"))["s"] or ZERO
        refunded = (
            ReceiptRefund.objects.filter(receipt__line=line).aggregate(s=FenSum("amount"))["s"]
            or ZERO
        )
        raised = received - refunded
        outstanding = line.amount - raised
        if amount > outstanding:
            raise ValidationError(
                {
                    "amount": _(
                        "收款金额%(amount)s元超过“%(payer)s”尚未到位的%(outstanding)s元"
                        "（计划%(target)s元，已到位%(raised)s元）"
                    )
                    % {
                        "amount": amount,
                        "payer": line.payer,
                        "outstanding": outstanding,
                        "target": line.amount,
                        "raised": raised,
                    }
                }
            )
    receipt = Receipt(
        compound=compound,
        project=project,
        line=line,
        contribution=contribution,
        amount=amount,
        method=method,
        reference=reference.strip(),
        received_on=received_on,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        note=note.strip(),
        recorded_by=actor,
    )
    receipt.full_clean(exclude=["fingerprint"])
    receipt.save()
    if contribution is not None:
        Contribution.objects.filter(pk=contribution.pk).update(paid=F("paid") + amount)
    audit_record(
        action="works.receipt_record",
        actor=actor,
        compound=compound,
        obj=receipt,
        data={
            "project": project.pk,
            "line": line.pk,
            "kind": line.kind,
            "unit": unit.pk if unit is not None else None,
            "amount": str(amount),
            "received_on": received_on.isoformat(),
        },
    )
    return receipt


# ---------------------------------------------------------------- refunds


class RefundKeyConflict(ValidationError):
    """The idempotency key was used for a different refund (the API answers 409)."""


def _refund_replay(
    compound: Compound, idempotency_key: str, fingerprint: str
) -> ReceiptRefund | None:
    """The refund recorded earlier under ``idempotency_key`` (a replay), None if none; a
    different request under that key is refused (:class:`RefundKeyConflict`)."""
    existing = ReceiptRefund.objects.filter(
        compound=compound, idempotency_key=idempotency_key
    ).first()
    if existing is None:
        return None
    if existing.fingerprint != fingerprint:
        raise RefundKeyConflict(
            {
                "idempotency_key": _(
                    "幂等键“%(key)s”已用于另一笔内容不同的退款（%(day)s，%(amount)s元），"
                    "请勿重复使用"
                )
                % {
                    "key": idempotency_key,
                    "day": existing.refunded_on.isoformat(),
                    "amount": existing.amount,
                }
            }
        )
    existing.was_replayed = True
    return existing


def _check_refund_request(
    *,
    compound: Compound,
    project: Project,
    receipt: Receipt,
    refunded_on: dt.date,
    reason: str,
    idempotency_key: str,
) -> None:
    """What can be refused without reading the receipt's refunds."""
    if project.compound_id != compound.pk:
        raise ValidationError({"project": _("本小区没有这个工程")})
    if receipt.compound_id != compound.pk or receipt.project_id != project.pk:
        raise ValidationError({"receipt": _("该收款不属于本工程")})
    if not idempotency_key or not idempotency_key.strip():
        raise ValidationError({"idempotency_key": _("缺少幂等键，无法防止重复记账")})
    if len(idempotency_key) > 64:
        raise ValidationError({"idempotency_key": _("幂等键最长64个字符")})
    if not reason:
        raise ValidationError({"reason": _("请填写退款原因")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("退款原因最长200个字符")})
    if refunded_on > timezone.localdate():
        raise ValidationError({"refunded_on": _("退款日期不能晚于今天")})
    if refunded_on < receipt.received_on:
        raise ValidationError(
            {
                "refunded_on": _("退款日期不能早于原收款日期%(day)s")
                % {"day": receipt.received_on.isoformat()}
            }
        )


@transaction.atomic
def receipt_refund(
    *,
    compound: Compound,
    project: Project,
    receipt: Receipt,
    amount: object,
    refunded_on: dt.date,
    reason: str,
    idempotency_key: str,
    actor: User | AnonymousUser | None = None,
) -> ReceiptRefund:
    """Pay back ``amount`` of ``receipt`` (of ``project`` of ``compound``) for ``reason``.

    The amount is positive yuan to the fen and at most what is left of the receipt (its
    amount less its earlier refunds, read under the receipt's row lock); the date is not
    in the future nor before the receipt; the reason is required. An owner's refund lowers
    the contribution's ``paid`` by the amount, so the unit owes it again. Refunds are
    recorded while the project may receive money (approved, not yet settled). Audited.

    The same ``idempotency_key`` with the same data returns the first refund (its
    ``was_replayed`` is True); with different data it is refused
    (:class:`RefundKeyConflict`).
    """
    reason = (reason or "").strip()
    amount = money(amount, "amount", _("退款金额"))
    _check_refund_request(
        compound=compound,
        project=project,
        receipt=receipt,
        refunded_on=refunded_on,
        reason=reason,
        idempotency_key=idempotency_key,
    )
    fingerprint = _fingerprint(
        receipt=receipt.pk, amount=str(amount), refunded_on=refunded_on.isoformat(), reason=reason
    )
    replay = _refund_replay(compound, idempotency_key, fingerprint)
    if replay is not None:
        return replay
    if project.status not in RECEIVING:
        raise ValidationError(
            {
                "project": _("工程状态为“%(status)s”，不能登记退款（须已批准且尚未结算）")
                % {"status": project.get_status_display()}
            }
        )
    return insert_or_replay(
        lambda: _refund_insert(
            compound=compound,
            project=project,
            receipt=receipt,
            amount=amount,
            refunded_on=refunded_on,
            reason=reason,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            actor=acting(actor),
        ),
        lambda: _refund_replay(compound, idempotency_key, fingerprint),
    )


def _refund_insert(
    *,
    compound: Compound,
    project: Project,
    receipt: Receipt,
    amount: Decimal,
    refunded_on: dt.date,
    reason: str,
    idempotency_key: str,
    fingerprint: str,
    actor: User | None,
) -> ReceiptRefund:
    """Lock the receipt, check the amount against what is left of it, save and audit."""
    locked = (
        Receipt.objects.select_for_update(of=("self",))
        .select_related("contribution")
        .filter(pk=receipt.pk)
        .first()
    )
    if locked is None:
        raise ValidationError({"receipt": _("该收款不属于本工程")})
    refunded = (
        ReceiptRefund.objects.filter(receipt=locked).aggregate(s=FenSum("amount"))["s"] or ZERO
    )
    refundable = locked.amount - refunded
    if amount > refundable:
        raise ValidationError(
            {
                "amount": _(
                    "退款金额%(amount)s元超过该笔收款可退的%(left)s元"
                    "（收款%(received)s元，已退%(refunded)s元）"
                )
                % {
                    "amount": amount,
                    "left": refundable,
                    "received": locked.amount,
                    "refunded": refunded,
                }
            }
        )
    refund = ReceiptRefund(
        compound=compound,
        receipt=locked,
        amount=amount,
        refunded_on=refunded_on,
        reason=reason,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        recorded_by=actor,
    )
    refund.full_clean(exclude=["fingerprint"])
    refund.save()
    contribution = locked.contribution
    if contribution is not None:
        Contribution.objects.filter(pk=contribution.pk).update(paid=F("paid") - amount)
    audit_record(
        action="works.receipt_refund",
        actor=actor,
        compound=compound,
        obj=refund,
        data={
            "project": project.pk,
            "receipt": locked.pk,
            "line": locked.line_id,
            "unit": contribution.unit_id if contribution is not None else None,
            "amount": str(amount),
            "refunded_on": refunded_on.isoformat(),
            "reason": reason,
        },
    )
    return refund
