"""Billing runs (计费批次): charges per unit, subsidy lines per payer, area-correction
adjustments; idempotent per (compound, period).

``billing_run_create`` loads (the period's tariffs, the units, what the run has billed),
plans with the pure :func:`fees.billing_plan.plan_charges`, and writes the plan."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.models import BuildingKind, Unit
from portal.audit import audit_record
from portal.models import Compound

from ..billing_plan import (
    Adjustment,
    BilledCharge,
    BlockReason,
    ChargePlan,
    Tariff,
    UnitToBill,
    plan_charges,
)
from ..models import (
    BillingRun,
    Charge,
    ChargeAdjustment,
    ChargeSubsidyLine,
    FeeStandard,
    FenSum,
    add_months,
)
from ..selectors import adjusted_areas
from . import collection_totals
from ._common import _actor
from .payments import unit_rebalance

# How far ahead of the current month a period may start (settings.FEES_MAX_MONTHS_AHEAD).
DEFAULT_MAX_MONTHS_AHEAD = 12
MAX_RUN_MONTHS = 36
# Units planned and written together (settings.FEES_BILLING_BATCH_UNITS).
DEFAULT_BATCH_UNITS = 2000


BLOCK_REASON_LABELS = {
    BlockReason.UNKNOWN_AREA: gettext_lazy("面积未知，未计费"),
    BlockReason.NO_STANDARD: gettext_lazy("该类型无有效收费标准"),
    BlockReason.PENDING_VOTE: gettext_lazy("收费标准为评估价，待业主共同决定，不能计费"),
    BlockReason.EXEMPT: gettext_lazy("非住宅免收"),
}


@dataclass
class BillingOutcome:
    run: BillingRun
    created: int = 0
    adjusted: int = 0
    unchanged: int = 0
    blocked: list[dict] = field(default_factory=list)


def _tariff(standard: FeeStandard) -> Tariff:
    """``standard`` as plain data for :func:`plan_charges` (payers in a fixed order)."""
    shares = sorted(standard.shares.all(), key=lambda s: s.pk)
    residential = standard.rates_for(Unit(is_residential=True))
    assert residential is not None  # a standard always charges dwellings
    return Tariff(
        standard_id=standard.pk,
        residential=residential,
        non_residential=standard.rates_for(Unit(is_residential=False)),
        payer_ids=tuple(s.payer_id for s in shares),
        shares=tuple(s.share for s in shares),
    )


def _tariffs_for(
    compound: Compound, start: dt.date, end: dt.date
) -> tuple[dict[str, Tariff | None], set[str]]:
    """For each building kind: the standard covering the whole period, or None if no
    billable standard touches it; and the kinds whose standard for the period is an
    appraisal pending the owners' vote (never billed). A standard that covers only part
    of the period is an error."""
    standards = compound.fee_standards.prefetch_related("shares")
    tariffs: dict[str, Tariff | None] = dict.fromkeys(BuildingKind.values)
    pending: set[str] = set()
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
        if not standard.is_billable:
            pending.add(standard.building_kind)
            continue
        tariffs[standard.building_kind] = _tariff(standard)
    return tariffs, pending


def _refuse_without_standards(
    compound: Compound,
    tariffs: dict[str, Tariff | None],
    pending: set[str],
    start: dt.date,
    end: dt.date,
) -> None:
    """A period that no billable standard covers for any kind of building the compound
    has would make an empty run listing every unit: refuse it with one message naming
    the kinds (and which of them only have an appraisal pending the owners' vote)."""
    kinds = set(compound.units.values_list("building__kind", flat=True).distinct())
    if not kinds or any(tariffs.get(kind) for kind in kinds):
        return
    order = list(BuildingKind.values)
    missing = sorted(kinds - pending, key=order.index)
    waiting = sorted(kinds & pending, key=order.index)
    parts = []
    if missing:
        parts.append(
            _("%(kinds)s没有收费标准")
            % {"kinds": "、".join(str(BuildingKind(k).label) for k in missing)}
        )
    if waiting:
        parts.append(
            _("%(kinds)s的收费标准为评估价，待业主共同决定，不能计费")
            % {"kinds": "、".join(str(BuildingKind(k).label) for k in waiting)}
        )
    raise ValidationError(
        {
            "period_start": _("%(start)s至%(end)s无可计费的收费标准：%(why)s；未生成计费批次")
            % {"start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}", "why": "；".join(parts)}
        }
    )


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


def batch_units() -> int:
    """How many units one batch of a billing run plans and writes at a time
    (settings.FEES_BILLING_BATCH_UNITS): memory and the size of each query grow with it,
    never with the run."""
    return max(1, int(getattr(settings, "FEES_BILLING_BATCH_UNITS", DEFAULT_BATCH_UNITS)))


@transaction.atomic
def billing_run_create(
    *,
    compound: Compound,
    period_start: dt.date,
    months: int = 1,
    actor: User | None = None,
    today: dt.date | None = None,
) -> BillingOutcome:
    """Bill every unit of ``compound`` for the period; idempotent.

    Running it again for the same period changes nothing, except where the roster has
    changed since: a unit that gained a known area is billed, a unit whose area was
    corrected gets an adjustment line (the original charge is never rewritten). Units
    without a known area are listed as blocked, never guessed.

    The units are read through one cursor and billed :func:`batch_units` at a time (what
    the run has billed for them, the plan, the inserts, their credit), so memory does not
    grow with the compound; the whole run is still one transaction, all or nothing.
    """
    today = today or timezone.localdate()
    start = _validate_period(compound, period_start, months, today)
    end = add_months(start, months) - dt.timedelta(days=1)
    tariffs, pending = _tariffs_for(compound, start, end)
    if not compound.billing_runs.filter(period_start=start).exists():
        _refuse_without_standards(compound, tariffs, pending, start, end)

    run, _created = BillingRun.objects.select_for_update(of=("self",)).get_or_create(
        compound=compound,
        period_start=start,
        defaults={"months": months, "created_by": _actor(actor)},
    )
    outcome = BillingOutcome(run=run)
    for units in _unit_batches(compound, batch_units()):
        plan = plan_charges(
            units=units,
            tariffs=tariffs,
            pending_kinds=pending,
            billed=_billed_charges(compound, run, [u.id for u in units]),
            months=months,
        )
        _write_batch(compound, run, months, plan, outcome)

    run.units_billed = run.charges.count()
    run.blocked_units = outcome.blocked
    run.last_billed_at = timezone.now()
    run.save(update_fields=["units_billed", "blocked_units", "last_billed_at"])
    collection_totals.refresh(compound, run.period_start.year)
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


def _write_batch(
    compound: Compound, run: BillingRun, months: int, plan: ChargePlan, outcome: BillingOutcome
) -> None:
    """Write one batch's plan: its new charges with their subsidy lines, its adjustments,
    and the credit of the units whose bills changed; count it into ``outcome``."""
    outcome.unchanged += plan.unchanged
    outcome.blocked.extend(b.as_json() for b in plan.blocked)
    created = Charge.objects.bulk_create(
        (
            Charge(
                compound=compound,
                run=run,
                unit_id=n.unit.id,
                building_id=n.unit.building_id,
                standard_id=n.tariff.standard_id,
                area=n.area,
                months=months,
                appraised_rate=n.appraised_rate,
                charged_rate=n.charged_rate,
                appraised_amount=n.split.appraised,
                owner_amount=n.split.owner,
                subsidy_amount=n.split.subsidy,
                appraised_due=n.split.appraised,
                owner_due=n.split.owner,
                subsidy_due=n.split.subsidy,
            )
            for n in plan.new
        ),
        batch_size=2000,
    )
    ChargeSubsidyLine.objects.bulk_create(
        (
            ChargeSubsidyLine(
                compound=compound, charge=c, payer_id=payer_id, share=share, amount=amount
            )
            for c, n in zip(created, plan.new, strict=True)
            for payer_id, share, amount in n.subsidy_lines
        ),
        batch_size=5000,
    )
    outcome.created += len(created)
    if plan.adjustments:
        _record_adjustments(compound, plan.adjustments)
        outcome.adjusted += len(plan.adjustments)
    changed = [c.unit_id for c in created] + [a.unit_id for a in plan.adjustments]
    if changed:
        # New bills take up credit; a lowered bill releases its excess as credit.
        unit_rebalance(compound, changed)


def _unit_batches(compound: Compound, size: int) -> Iterator[list[UnitToBill]]:
    """Every unit of ``compound`` in the order of the run's pages, ``size`` at a time,
    read through one cursor (server-side on PostgreSQL), never all at once."""
    rows = (
        compound.units.values_list(
            "id",
            "building_id",
            "number",
            "floor_area",
            "is_residential",
            "building__kind",
            "building__number",
        )
        .order_by("building__sort_key", "building__number", "number", "id")
        .iterator(chunk_size=size)
    )
    units = (
        UnitToBill(
            id=unit_id,
            building_id=building_id,
            label=f"{building_number}-{number}",
            building_kind=kind,
            floor_area=floor_area,
            is_residential=is_residential,
        )
        for unit_id, building_id, number, floor_area, is_residential, kind, building_number in rows
    )
    while batch := list(islice(units, size)):
        yield batch


def _billed_charges(
    compound: Compound, run: BillingRun, unit_ids: list[int]
) -> dict[int, BilledCharge]:
    """The run's charges of ``unit_ids`` by unit, as they stand, with each payer's total
    so far."""
    charges = list(
        run.charges.filter(unit_id__in=unit_ids)
        .order_by()  # no joins for Charge's default ordering
        .values("id", "unit_id", "standard_id", "area", "appraised_due", "owner_due", "subsidy_due")
    )
    payer_totals: dict[int, dict[int, Decimal]] = defaultdict(dict)
    if charges:
        rows = (
            ChargeSubsidyLine.objects.filter(
                compound=compound, charge_id__in=[c["id"] for c in charges]
            )
            .order_by()
            .values("charge_id", "payer_id")
            .annotate(total=FenSum("amount"))
        )
        for row in rows:
            payer_totals[row["charge_id"]][row["payer_id"]] = row["total"]
    return {
        c["unit_id"]: BilledCharge(
            id=c["id"],
            standard_id=c["standard_id"],
            area=c["area"],
            appraised_due=c["appraised_due"],
            owner_due=c["owner_due"],
            subsidy_due=c["subsidy_due"],
            payer_totals=payer_totals.get(c["id"], {}),
        )
        for c in charges
    }


def _record_adjustments(compound: Compound, adjustments: list[Adjustment]) -> None:
    """One adjustment (with its payers' lines) per corrected charge, and the charges' dues
    moved by the deltas: a constant number of queries however many there are."""
    last_area = adjusted_areas(compound, [a.charge_id for a in adjustments])
    made = ChargeAdjustment.objects.bulk_create(
        (
            ChargeAdjustment(
                compound=compound,
                charge_id=a.charge_id,
                reason=_("面积更正"),
                area_before=last_area.get(a.charge_id, a.billed_area),
                area_after=a.new_area,
                appraised_delta=a.delta.appraised,
                owner_delta=a.delta.owner,
                subsidy_delta=a.delta.subsidy,
            )
            for a in adjustments
        ),
        batch_size=2000,
    )
    ChargeSubsidyLine.objects.bulk_create(
        (
            ChargeSubsidyLine(
                compound=compound,
                charge_id=a.charge_id,
                adjustment=adjustment,
                payer_id=payer_id,
                share=share,
                amount=amount,
            )
            for adjustment, a in zip(made, adjustments, strict=True)
            for payer_id, share, amount in a.subsidy_lines
        ),
        batch_size=5000,
    )
    Charge.objects.bulk_update(
        [
            Charge(
                pk=a.charge_id,
                appraised_due=F("appraised_due") + a.delta.appraised,
                owner_due=F("owner_due") + a.delta.owner,
                subsidy_due=F("subsidy_due") + a.delta.subsidy,
            )
            for a in adjustments
        ],
        ["appraised_due", "owner_due", "subsidy_due"],
        batch_size=500,
    )
