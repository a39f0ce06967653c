"""Writes of the fees app: standards, billing runs, payments, refunds and reminders.

Each service validates everything first and raises a Django ``ValidationError`` with a
specific message, inside ``transaction.atomic``, so bad input leaves nothing half-saved.
"""

import datetime as dt
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.models import BuildingKind, Unit
from portal.audit import audit_record
from portal.models import Compound

from .models import (
    BillingRun,
    Charge,
    ChargeAdjustment,
    ChargeSubsidyLine,
    FeeStandard,
    FenSum,
    NonResidentialMode,
    Payment,
    PaymentAllocation,
    PaymentKind,
    PaymentMethod,
    ReminderKind,
    ReminderStep,
    SubsidyPayer,
    SubsidyPayerKind,
    SubsidyShare,
    add_months,
)
from .money import FEN, HUNDRED, ZERO, Split, split_charge

# How far ahead of the current month a period may start (settings.FEES_MAX_MONTHS_AHEAD).
DEFAULT_MAX_MONTHS_AHEAD = 12
MAX_RUN_MONTHS = 36
# CC 944 ladder: days between a reminder and a written demand, and the demand's deadline.
DEMAND_AFTER_REMINDER_DAYS = 7
DEMAND_RESPONSE_DAYS = 15


def _actor(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


def _money(value, field_name: str, label: str) -> Decimal:
    """``value`` as Decimal with at most two places, or a ValidationError naming ``label``."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(
            {field_name: _("%(label)s不是有效的数字") % {"label": label}}
        ) from None
    if not amount.is_finite():
        raise ValidationError({field_name: _("%(label)s不是有效的数字") % {"label": label}})
    if amount != amount.quantize(FEN):
        raise ValidationError({field_name: _("%(label)s最多保留两位小数") % {"label": label}})
    return amount.quantize(FEN)


# --- fee standards ---------------------------------------------------------------------


@dataclass(frozen=True)
class ShareInput:
    """A subsidy payer (by name, created on first use) and its share in percent."""

    payer_name: str
    share: Decimal
    payer_kind: str = SubsidyPayerKind.OTHER


@transaction.atomic
def fee_standard_create(
    *,
    compound: Compound,
    building_kind: str,
    appraised_rate: Decimal,
    charged_rate: Decimal,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    shares: Sequence[ShareInput] = (),
    non_residential_mode: str = NonResidentialMode.SAME,
    non_residential_rate: Decimal | None = None,
    service_standard: str = "",
    actor: AbstractBaseUser | None = None,
) -> FeeStandard:
    """A new version of the fee standard for one building kind of ``compound``."""
    errors: dict[str, list[str]] = defaultdict(list)
    if building_kind not in BuildingKind.values:
        errors["building_kind"].append(_("未知的楼栋类型"))
    appraised_rate = _money(appraised_rate, "appraised_rate", _("评估价"))
    charged_rate = _money(charged_rate, "charged_rate", _("收费价"))
    if appraised_rate <= 0:
        errors["appraised_rate"].append(_("评估价必须大于零"))
    if charged_rate <= 0:
        errors["charged_rate"].append(_("收费价必须大于零"))
    elif charged_rate > appraised_rate > 0:
        errors["charged_rate"].append(_("收费价不能高于评估价"))
    if valid_from.day != 1:
        errors["valid_from"].append(_("起始日期须为某月1日"))
    if valid_to is not None and valid_to < valid_from:
        errors["valid_to"].append(_("终止日期不能早于起始日期"))
    if non_residential_mode not in NonResidentialMode.values:
        errors["non_residential_mode"].append(_("未知的非住宅收费方式"))
    if non_residential_mode == NonResidentialMode.OWN:
        if non_residential_rate is None:
            errors["non_residential_rate"].append(_("选择单独费率时须填写非住宅费率"))
        else:
            non_residential_rate = _money(non_residential_rate, "non_residential_rate", _("费率"))
            if non_residential_rate <= 0:
                errors["non_residential_rate"].append(_("非住宅费率必须大于零"))
    else:
        non_residential_rate = None

    subsidy = appraised_rate - charged_rate
    names = [s.payer_name.strip() for s in shares]
    share_values = []
    for s in shares:
        value = _money(s.share, "shares", _("补贴份额"))
        if value <= 0:
            errors["shares"].append(_("补贴份额必须大于零"))
        share_values.append(value)
    if any(not n for n in names):
        errors["shares"].append(_("补贴方名称不能为空"))
    if len(set(names)) != len(names):
        errors["shares"].append(_("同一补贴方不能重复列出"))
    if subsidy > 0 and not shares:
        errors["shares"].append(_("评估价高于收费价，须指定承担差额的补贴方"))
    if subsidy == 0 and shares:
        errors["shares"].append(_("评估价等于收费价，没有差额需要补贴，不应指定补贴方"))
    if shares and sum(share_values, ZERO) != HUNDRED:
        errors["shares"].append(
            _("补贴方份额合计须为100%%（现为%(total)s%%）") % {"total": sum(share_values, ZERO)}
        )
    if errors:
        raise ValidationError(dict(errors))

    # Serialise versioning per compound: two officers saving at once get distinct versions.
    Compound.objects.select_for_update().filter(pk=compound.pk).first()
    existing = list(compound.fee_standards.filter(building_kind=building_kind))
    for other in existing:
        if other.overlaps(valid_from, valid_to):
            raise ValidationError(
                {
                    "valid_from": _(
                        "%(kind)s在%(start)s至%(end)s已有收费标准（第%(version)s版），有效期不能重叠"
                    )
                    % {
                        "kind": BuildingKind(building_kind).label,
                        "start": other.valid_from,
                        "end": other.valid_to or _("长期"),
                        "version": other.version,
                    }
                }
            )
    standard = FeeStandard(
        compound=compound,
        building_kind=building_kind,
        version=max((s.version for s in existing), default=0) + 1,
        appraised_rate=appraised_rate,
        charged_rate=charged_rate,
        valid_from=valid_from,
        valid_to=valid_to,
        non_residential_mode=non_residential_mode,
        non_residential_rate=non_residential_rate,
        service_standard=service_standard,
        created_by=_actor(actor),
    )
    standard.full_clean()
    standard.save()
    for s, name, value in zip(shares, names, share_values, strict=True):
        payer, _created = SubsidyPayer.objects.get_or_create(
            compound=compound, name=name, defaults={"kind": s.payer_kind}
        )
        share = SubsidyShare(compound=compound, standard=standard, payer=payer, share=value)
        share.full_clean()
        share.save()
    audit_record(
        action="fees.standard_create",
        actor=_actor(actor),
        compound=compound,
        obj=standard,
        data={
            "kind": building_kind,
            "version": standard.version,
            "appraised_rate": str(appraised_rate),
            "charged_rate": str(charged_rate),
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
            "shares": {n: str(v) for n, v in zip(names, share_values, strict=True)},
        },
    )
    return standard


# --- billing runs ----------------------------------------------------------------------


class BlockReason:
    UNKNOWN_AREA = "unknown_area"
    NO_STANDARD = "no_standard"
    EXEMPT = "exempt"


BLOCK_REASON_LABELS = {
    BlockReason.UNKNOWN_AREA: gettext_lazy("面积未知，未计费"),
    BlockReason.NO_STANDARD: gettext_lazy("该类型无有效收费标准"),
    BlockReason.EXEMPT: gettext_lazy("非住宅免收"),
}


@dataclass
class BillingOutcome:
    run: BillingRun
    created: int = 0
    adjusted: int = 0
    unchanged: int = 0
    blocked: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class _Tariff:
    """A standard prepared for billing: rates and the payer shares in a fixed order."""

    standard: FeeStandard
    payers: tuple[SubsidyPayer, ...]
    shares: tuple[Decimal, ...]


def _tariffs_for(compound: Compound, start: dt.date, end: dt.date) -> dict[str, _Tariff | None]:
    """For each building kind: the standard covering the whole period, or None if no
    standard touches it. A standard that covers only part of it is an error."""
    standards = compound.fee_standards.prefetch_related("shares__payer")
    tariffs: dict[str, _Tariff | None] = dict.fromkeys(BuildingKind.values)
    for standard in standards:
        if not standard.overlaps(start, end):
            continue
        if not standard.covers(start, end):
            raise ValidationError(
                {
                    "period_start": _(
                        "计费期间跨越%(kind)s收费标准的有效期（%(start)s至%(end)s），"
                        "请按有效期分开计费"
                    )
                    % {
                        "kind": standard.get_building_kind_display(),
                        "start": standard.valid_from,
                        "end": standard.valid_to or _("长期"),
                    }
                }
            )
        shares = sorted(standard.shares.all(), key=lambda s: s.pk)
        tariffs[standard.building_kind] = _Tariff(
            standard=standard,
            payers=tuple(s.payer for s in shares),
            shares=tuple(s.share for s in shares),
        )
    return tariffs


def _validate_period(
    compound: Compound, period_start: dt.date, months: int, today: dt.date
) -> dt.date:
    if not 1 <= months <= MAX_RUN_MONTHS:
        raise ValidationError({"months": _("月数须在1到36之间")})
    start = period_start.replace(day=1)
    limit_months = getattr(settings, "FEES_MAX_MONTHS_AHEAD", DEFAULT_MAX_MONTHS_AHEAD)
    limit = add_months(today.replace(day=1), limit_months)
    if start > limit:
        raise ValidationError(
            {
                "period_start": _("计费期间不能晚于%(limit)s（最多提前%(n)s个月计费）")
                % {"limit": f"{limit:%Y-%m}", "n": limit_months}
            }
        )
    end = add_months(start, months) - dt.timedelta(days=1)
    for other in compound.billing_runs.all():
        if other.period_start == start:
            if other.months != months:
                raise ValidationError(
                    {
                        "months": _("%(start)s起已有%(m)s个月的计费批次，月数不能改变")
                        % {"start": f"{start:%Y-%m}", "m": other.months}
                    }
                )
        elif other.period_start <= end and other.period_end >= start:
            raise ValidationError(
                {
                    "period_start": _("与已有计费批次（%(label)s）的期间重叠")
                    % {"label": other.period_label}
                }
            )
    return start


@transaction.atomic
def billing_run_create(
    *,
    compound: Compound,
    period_start: dt.date,
    months: int = 1,
    actor: AbstractBaseUser | None = None,
    today: dt.date | None = None,
) -> BillingOutcome:
    """Bill every unit of ``compound`` for the period; idempotent.

    Running it again for the same period changes nothing, except where the roster has
    changed since: a unit that gained a known area is billed, a unit whose area was
    corrected gets an adjustment line (the original charge is never rewritten). Units
    without a known area are listed as blocked, never guessed.
    """
    today = today or timezone.localdate()
    start = _validate_period(compound, period_start, months, today)
    end = add_months(start, months) - dt.timedelta(days=1)
    tariffs = _tariffs_for(compound, start, end)

    run, _created = BillingRun.objects.select_for_update().get_or_create(
        compound=compound,
        period_start=start,
        defaults={"months": months, "created_by": _actor(actor)},
    )
    existing = {
        c["unit_id"]: c
        for c in run.charges.values(
            "id", "unit_id", "standard_id", "area", "appraised_due", "owner_due", "subsidy_due"
        )
    }
    payer_totals: dict[int, dict[int, Decimal]] = defaultdict(dict)
    if existing:
        rows = (
            ChargeSubsidyLine.objects.filter(compound=compound, charge__run=run)
            .values("charge_id", "payer_id")
            .annotate(total=FenSum("amount"))
        )
        for row in rows:
            payer_totals[row["charge_id"]][row["payer_id"]] = row["total"]
    standards_by_id = {t.standard.pk: t for t in tariffs.values() if t is not None}

    outcome = BillingOutcome(run=run)
    new_charges: list[Charge] = []
    new_splits: list[tuple[Charge, _Tariff, Split]] = []
    adjustments: list[tuple[int, _Tariff, Split, Split, Decimal, Decimal]] = []
    units = compound.units.values(
        "id",
        "building_id",
        "number",
        "floor_area",
        "is_residential",
        "building__kind",
        "building__number",
    ).order_by("building__sort_key", "building__number", "number")
    for u in units:
        label = f"{u['building__number']}-{u['number']}"
        charge = existing.get(u["id"])
        if u["floor_area"] is None:
            if charge is None:
                outcome.blocked.append(
                    {"unit_id": u["id"], "unit": label, "reason": BlockReason.UNKNOWN_AREA}
                )
            else:
                outcome.unchanged += 1
            continue
        tariff = tariffs.get(u["building__kind"])
        if charge is not None:
            # Keep the version the charge was billed with.
            tariff = standards_by_id.get(charge["standard_id"], tariff)
        if tariff is None:
            outcome.blocked.append(
                {"unit_id": u["id"], "unit": label, "reason": BlockReason.NO_STANDARD}
            )
            continue
        probe = Unit(is_residential=u["is_residential"])
        rates = tariff.standard.rates_for(probe)
        if rates is None:
            outcome.blocked.append(
                {"unit_id": u["id"], "unit": label, "reason": BlockReason.EXEMPT}
            )
            continue
        appraised_rate, charged_rate = rates
        own_rate = appraised_rate == charged_rate
        split = split_charge(
            area=u["floor_area"],
            appraised_rate=appraised_rate,
            charged_rate=charged_rate,
            months=months,
            shares=() if own_rate else tariff.shares,
        )
        if charge is None:
            c = Charge(
                compound=compound,
                run=run,
                unit_id=u["id"],
                building_id=u["building_id"],
                standard=tariff.standard,
                area=u["floor_area"],
                months=months,
                appraised_rate=appraised_rate,
                charged_rate=charged_rate,
                appraised_amount=split.appraised,
                owner_amount=split.owner,
                subsidy_amount=split.subsidy,
                appraised_due=split.appraised,
                owner_due=split.owner,
                subsidy_due=split.subsidy,
            )
            new_charges.append(c)
            new_splits.append((c, tariff, split))
            continue
        if split.appraised == charge["appraised_due"] and split.owner == charge["owner_due"]:
            outcome.unchanged += 1
            continue
        totals = payer_totals.get(charge["id"], {})
        payers = () if own_rate else tariff.payers
        current = Split(
            appraised=charge["appraised_due"],
            owner=charge["owner_due"],
            subsidy=charge["subsidy_due"],
            payers=tuple(totals.get(p.pk, ZERO) for p in payers),
        )
        adjustments.append(
            (charge["id"], tariff, split, split - current, charge["area"], u["floor_area"])
        )

    created = Charge.objects.bulk_create(new_charges, batch_size=2000)
    lines = [
        ChargeSubsidyLine(compound=compound, charge=c, payer=payer, share=share, amount=amount)
        for c, (_c, tariff, split) in zip(created, new_splits, strict=True)
        for payer, share, amount in zip(tariff.payers, tariff.shares, split.payers, strict=False)
    ]
    ChargeSubsidyLine.objects.bulk_create(lines, batch_size=5000)
    outcome.created = len(created)

    if adjustments:
        _record_adjustments(compound, adjustments)
        outcome.adjusted = len(adjustments)

    run.units_billed = run.charges.count()
    run.blocked_units = outcome.blocked
    run.last_billed_at = timezone.now()
    run.save(update_fields=["units_billed", "blocked_units", "last_billed_at"])
    if outcome.created:
        _apply_credit(compound, [c.unit_id for c in created])
    audit_record(
        action="fees.run_bill",
        actor=_actor(actor),
        compound=compound,
        obj=run,
        data={
            "period": run.period_label,
            "created": outcome.created,
            "adjusted": outcome.adjusted,
            "blocked": len(outcome.blocked),
        },
    )
    return outcome


def _record_adjustments(compound: Compound, adjustments: list) -> None:
    last_area = dict(
        ChargeAdjustment.objects.filter(
            compound=compound, charge_id__in=[a[0] for a in adjustments]
        )
        .order_by("charge_id", "id")
        .values_list("charge_id", "area_after")
    )
    for charge_id, tariff, _new, delta, billed_area, new_area in adjustments:
        adjustment = ChargeAdjustment.objects.create(
            compound=compound,
            charge_id=charge_id,
            reason=_("面积更正"),
            area_before=last_area.get(charge_id, billed_area),
            area_after=new_area,
            appraised_delta=delta.appraised,
            owner_delta=delta.owner,
            subsidy_delta=delta.subsidy,
        )
        ChargeSubsidyLine.objects.bulk_create(
            ChargeSubsidyLine(
                compound=compound,
                charge_id=charge_id,
                adjustment=adjustment,
                payer=payer,
                share=share,
                amount=amount,
            )
            for payer, share, amount in zip(
                tariff.payers, tariff.shares, delta.payers, strict=False
            )
            if amount
        )
        Charge.objects.filter(pk=charge_id).update(
            appraised_due=F("appraised_due") + delta.appraised,
            owner_due=F("owner_due") + delta.owner,
            subsidy_due=F("subsidy_due") + delta.subsidy,
        )


# --- payments --------------------------------------------------------------------------


def _fingerprint(**data) -> str:
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


def _open_charges(compound: Compound, unit_id: int) -> list[Charge]:
    """The unit's charges that still owe something, oldest first, locked for update."""
    return [
        c
        for c in compound.charges.select_for_update()
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


def _apply_credit(compound: Compound, unit_ids: list[int]) -> None:
    """Prepaid money of these units settles their newly billed charges."""
    received = dict(
        compound.payments.filter(unit_id__in=unit_ids)
        .values("unit_id")
        .annotate(s=FenSum("amount"))
        .values_list("unit_id", "s")
    )
    if not received:
        return
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
        _allocate(compound, source, _open_charges(compound, unit_id), credit)


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
    """Insert under a savepoint so a concurrent duplicate key is reported, not a 500."""
    payment.full_clean(exclude=["fingerprint"])
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        replay = _existing_by_key(payment.compound, payment.idempotency_key, payment.fingerprint)
        if replay is None:
            raise
        return replay
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
    kind: str,
    amount,
    method: str,
    received_on: dt.date,
    idempotency_key: str,
    **request_data,
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
    actor: AbstractBaseUser | None = None,
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
    if payment.was_replayed:
        return payment
    _allocate(compound, payment, charges, amount)
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
    actor: AbstractBaseUser | None = None,
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
    Payment.objects.select_for_update().filter(pk=payment.pk).first()
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
    if refund.was_replayed:
        return refund
    to_unsettle = amount - min(credit, amount)
    settled = (
        compound.charges.select_for_update()
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
    audit_record(
        action="fees.refund_record",
        actor=_actor(actor),
        compound=compound,
        obj=refund,
        data={"refund_of": payment.pk, "amount": str(amount)},
    )
    return refund


# --- reminders (CC 944) -----------------------------------------------------------------


def unit_outstanding(compound: Compound, unit_id: int) -> tuple[Decimal, dt.date | None]:
    """What the unit owes now, and the start of its oldest unpaid period."""
    owed = ZERO
    oldest = None
    for c in (
        compound.charges.filter(unit_id=unit_id).select_related("run").order_by("run__period_start")
    ):
        if c.outstanding > 0:
            owed += c.outstanding
            oldest = oldest or c.run.period_start
    return owed, oldest


def reminder_next_kind(steps: Sequence[ReminderStep], today: dt.date) -> tuple[str | None, str]:
    """The ladder's next permitted step and, if none is permitted yet, why."""
    kinds = [s.kind for s in steps]
    if ReminderKind.WRITTEN_DEMAND in kinds:
        demand = [s for s in steps if s.kind == ReminderKind.WRITTEN_DEMAND][-1]
        if ReminderKind.LEGAL_HANDOVER in kinds:
            return None, _("已移交诉讼或仲裁")
        if demand.respond_by and demand.respond_by >= today:
            return None, _("书面催告的答复期限（%(date)s）尚未届满") % {"date": demand.respond_by}
        return ReminderKind.LEGAL_HANDOVER, ""
    if ReminderKind.REMINDER in kinds:
        last = [s for s in steps if s.kind == ReminderKind.REMINDER][-1]
        earliest = last.created_at.date() + dt.timedelta(days=DEMAND_AFTER_REMINDER_DAYS)
        if today < earliest:
            return ReminderKind.REMINDER, _("书面催告须在催缴提醒%(n)s天之后（%(date)s起）") % {
                "n": DEMAND_AFTER_REMINDER_DAYS,
                "date": earliest,
            }
        return ReminderKind.WRITTEN_DEMAND, ""
    return ReminderKind.REMINDER, ""


@transaction.atomic
def reminder_step_record(
    *,
    compound: Compound,
    unit: Unit,
    kind: str,
    note: str = "",
    actor: AbstractBaseUser | None = None,
    today: dt.date | None = None,
) -> ReminderStep:
    """The next step of the CC 944 ladder for ``unit``: reminder → written demand →
    hand-over for lawsuit or arbitration, each only after the previous one."""
    today = today or timezone.localdate()
    if unit.compound_id != compound.pk:
        raise ValidationError({"unit": _("该房屋不属于本小区")})
    if kind not in ReminderKind.values:
        raise ValidationError({"kind": _("未知的催缴步骤")})
    owed, oldest = unit_outstanding(compound, unit.pk)
    if owed <= 0:
        raise ValidationError({"kind": _("该户没有欠费，无需催缴")})
    steps = list(compound_reminder_steps(compound).filter(unit=unit, created_at__date__gte=oldest))
    allowed, why = reminder_next_kind(steps, today)
    if kind != allowed:
        if kind == ReminderKind.WRITTEN_DEMAND and not why:
            why = _("须先发出催缴提醒")
        elif kind == ReminderKind.LEGAL_HANDOVER and not why:
            why = _("须先发出书面催告，且答复期限届满")
        raise ValidationError(
            {"kind": why or _("催缴须按提醒、书面催告、移交诉讼或仲裁的顺序进行")}
        )
    step = ReminderStep(
        compound=compound,
        unit=unit,
        kind=kind,
        outstanding=owed,
        respond_by=today + dt.timedelta(days=DEMAND_RESPONSE_DAYS)
        if kind == ReminderKind.WRITTEN_DEMAND
        else None,
        note=note,
        created_by=_actor(actor),
    )
    step.full_clean()
    step.save()
    audit_record(
        action="fees.reminder_step",
        actor=_actor(actor),
        compound=compound,
        obj=step,
        data={"unit": unit.pk, "kind": kind, "outstanding": str(owed)},
    )
    return step


def compound_reminder_steps(compound: Compound):
    return ReminderStep.objects.filter(compound=compound)


# --- notices (缴费通知单) ------------------------------------------------------------------

# A chunk claimed longer ago than this by a task that never finished may be taken over.
NOTICE_CLAIM_LEASE = dt.timedelta(minutes=10)


@transaction.atomic
def notices_start(
    *, compound: Compound, run: BillingRun, actor: AbstractBaseUser | None = None
) -> bool:
    """Prepare one print job per building of ``run`` (False if already running).

    The caller queues :func:`fees.tasks.enqueue_notice_chunks` on commit.
    """
    from .models import ChunkStatus, NoticeChunk, NoticeStatus

    total = run.charges.count()
    started = (
        BillingRun.objects.filter(pk=run.pk, compound=compound)
        .exclude(notice_status=NoticeStatus.RUNNING)
        .update(notice_status=NoticeStatus.RUNNING, notices_total=total, notices_done=0)
    )
    if not started:
        return False
    old_files = list(run.chunks.exclude(file="").values_list("file", flat=True))
    run.chunks.all().delete()
    building_ids = run.charges.values_list("building_id", flat=True).distinct()
    NoticeChunk.objects.bulk_create(
        NoticeChunk(compound=compound, run=run, building_id=b, status=ChunkStatus.PENDING)
        for b in sorted(set(building_ids))
    )
    if total == 0:
        BillingRun.objects.filter(pk=run.pk).update(notice_status=NoticeStatus.DONE)
    transaction.on_commit(lambda: _delete_files(old_files))
    audit_record(
        action="fees.notices_start",
        actor=_actor(actor),
        compound=compound,
        obj=run,
        data={"notices": total},
    )
    return True


def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if default_storage.exists(name):
            default_storage.delete(name)


def notice_chunk_render(*, chunk_id: int, claim: str) -> bool:
    """Render one building's notices into one stored PDF, exactly once.

    ``claim`` is the task's id: a redelivered task (same id, after its worker died) takes
    its chunk back; another task does not, unless the claim's lease has run out. The file
    has a name of its own per claim, and the chunk is marked done and the run's progress
    bumped in one transaction that only the current claimant can commit, so every notice
    is counted once and each building file holds each of its notices once.
    """
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db.models import Q

    from . import pdf
    from .models import ChunkStatus, NoticeChunk, NoticeStatus

    now = timezone.now()
    claimed = (
        NoticeChunk.objects.filter(pk=chunk_id)
        .filter(
            Q(status=ChunkStatus.PENDING)
            | Q(status=ChunkStatus.RUNNING, claimed_by=claim)
            | Q(status=ChunkStatus.RUNNING, claimed_at__lt=now - NOTICE_CLAIM_LEASE)
        )
        .update(
            status=ChunkStatus.RUNNING, claimed_by=claim, claimed_at=now, attempts=F("attempts") + 1
        )
    )
    if not claimed:
        return False
    chunk = NoticeChunk.objects.select_related("run__compound", "building").get(pk=chunk_id)
    run, compound = chunk.run, chunk.run.compound
    _test_delay()
    notices = pdf.build_notices(compound, pdf.notice_charges(compound, run, chunk.building_id))
    content = pdf.render_notices(compound, notices)
    tag = hashlib.sha256(claim.encode()).hexdigest()[:10]
    name = default_storage.save(
        f"fees/notices/{compound.code}/run-{run.pk}/building-{chunk.building.number}-{tag}.pdf",
        ContentFile(content),
    )
    with transaction.atomic():
        BillingRun.objects.select_for_update().filter(pk=run.pk).first()
        done = NoticeChunk.objects.filter(
            pk=chunk_id, status=ChunkStatus.RUNNING, claimed_by=claim
        ).update(
            status=ChunkStatus.DONE, file=name, notices=len(notices), finished_at=timezone.now()
        )
        if done:
            BillingRun.objects.filter(pk=run.pk).update(
                notices_done=F("notices_done") + len(notices)
            )
            if not run.chunks.exclude(status=ChunkStatus.DONE).exists():
                BillingRun.objects.filter(pk=run.pk).update(notice_status=NoticeStatus.DONE)
    if not done:
        default_storage.delete(name)
    return bool(done)


def _test_delay() -> None:
    """The restart-safety test's hook (settings.FEES_CHUNK_DELAY_FOR_TESTS, 0 outside
    tests and always 0 in production): a slow chunk lets it kill a worker mid-chunk."""
    delay = settings.FEES_CHUNK_DELAY_FOR_TESTS
    if delay:
        time.sleep(delay)
