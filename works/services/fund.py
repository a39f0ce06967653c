"""The maintenance fund (住宅专项维修资金): the compound's overdraw rule, top-ups (续筹) and
interest (增值收益) credited to units' ledgers, the settlement of what flagged draws left
owed, and the row locks every ledger write that reads balances takes.

A unit's balance is the sum of its :class:`~works.models.FundEntry` rows. Writes that can
lower a balance (draws, :mod:`.fund_draws`, and the settlements a credit makes) lock the
units they touch first (:func:`lock_units`), so two writers never both read the same
balance, or the same amount owed, and both spend it.

A credit to a unit that owes on a draw (the rule ``flag`` let the draw exceed its balance)
pays what is owed first, oldest draw first, in the same transaction: a ``settle`` entry
linked to the draw takes the money (the ledger stays append-only) and lowers what is owed
by as much, and the draw's ``shortfall`` goes down with it. Only draws made on or before
the credit's date are settled by it.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from households.models import Building, Unit
from portal.audit import audit_record
from portal.models import Compound

from ..models import EntryKind, FundDraw, FundEntry, FundSettings, OverdrawRule
from ..money import split_by_area
from ._inputs import money, record_date

#: The most one entry of one unit may credit: a flat's fund is thousands of yuan, a whole
#: building's top-up a few million; anything beyond this is a typo.
MAX_UNIT_AMOUNT = Decimal("10000000.00")
CREDIT_KINDS = (EntryKind.TOP_UP, EntryKind.INTEREST)
BATCH = 1000
ZERO = Decimal("0.00")


def fund_money(value: object, field_name: str, label: str) -> Decimal:
    """``value`` as a positive amount in yuan to the fen (at most
    :data:`works.services._inputs.MAX_AMOUNT`), or a ValidationError on ``field_name``;
    an absurd exponent (``1e400``) is "not a number" too."""
    try:
        return money(value, field_name, label)
    except InvalidOperation:
        raise ValidationError(
            {field_name: _("%(label)s不是有效的数字") % {"label": label}}
        ) from None


def recorder(actor: User | None) -> User | None:
    """The user to record on a row (None for the system or an anonymous caller)."""
    return actor if actor is not None and actor.is_authenticated else None


def fund_settings(compound: Compound) -> FundSettings:
    """The compound's fund settings (the default rule, unsaved, when none were set)."""
    found = FundSettings.objects.filter(compound=compound).first()
    return found or FundSettings(compound=compound, overdraw=OverdrawRule.REFUSE)


@transaction.atomic
def fund_settings_update(
    *, compound: Compound, overdraw: str, actor: User | None = None
) -> FundSettings:
    """Set what a draw larger than a unit's balance does in ``compound``: refuse the draw,
    or take the balance and flag the rest as owed. Audited."""
    if overdraw not in OverdrawRule.values:
        raise ValidationError({"overdraw": _("余额不足时的处理方式无效")})
    settings_row, _created = FundSettings.objects.select_for_update(of=("self",)).get_or_create(
        compound=compound, defaults={"overdraw": overdraw}
    )
    before = settings_row.overdraw
    if settings_row.overdraw != overdraw:
        settings_row.overdraw = overdraw
        settings_row.save(update_fields=["overdraw"])
    audit_record(
        action="works.fund_settings",
        actor=actor,
        compound=compound,
        obj=settings_row,
        data={"overdraw": overdraw, "before": before},
    )
    return settings_row


def lock_units(compound: Compound, unit_ids: Iterable[int]) -> list[int]:
    """Lock the units ``unit_ids`` of ``compound`` (their own rows only, in id order so two
    writers never wait on each other crosswise) until the transaction ends; their ids."""
    return list(
        Unit.objects.select_for_update(of=("self",))
        .filter(compound=compound, pk__in=list(unit_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def balances(compound: Compound, unit_ids: Sequence[int] | None = None) -> dict[int, Decimal]:
    """The balance of each unit of ``compound`` that has entries (one query), summed in
    Python so SQLite's floating decimals cannot blur a fen."""
    entries = FundEntry.objects.filter(compound=compound)
    if unit_ids is not None:
        entries = entries.filter(unit_id__in=list(unit_ids))
    totals: dict[int, Decimal] = {}
    for unit_id, amount in entries.values_list("unit_id", "amount"):
        totals[unit_id] = totals.get(unit_id, Decimal("0.00")) + amount
    return totals


def _credit_targets(
    compound: Compound, unit: Unit | None, building: Building | None
) -> tuple[dict[Unit, Decimal], list[Unit]]:
    """The units a credit goes to with their areas, and the building's units of unknown
    area (left out of a split by area)."""
    if (unit is None) == (building is None):
        raise ValidationError({"target": _("请选择一个房屋，或一栋楼（按面积分摊）")})
    if unit is not None:
        if unit.compound_id != compound.pk:
            raise ValidationError({"unit": _("本小区没有这个房屋")})
        return {unit: Decimal("1")}, []
    assert building is not None
    if building.compound_id != compound.pk:
        raise ValidationError({"building": _("本小区没有这栋楼")})
    units = list(
        compound.units.filter(building=building).select_related("building").order_by("number", "pk")
    )
    known = {u: u.floor_area for u in units if u.floor_area is not None}
    if not known:
        raise ValidationError({"building": _("该楼没有已知面积的房屋，无法按面积分摊")})
    return known, [u for u in units if u.floor_area is None]


@dataclass(frozen=True)
class Settlement:
    """What one credit pays of one unit's debt on one draw."""

    unit_id: int
    draw_id: int
    amount: Decimal


def settlement_plan(
    credits: Mapping[int, Decimal], owed: Mapping[int, Sequence[tuple[int, Decimal]]]
) -> list[Settlement]:
    """Pure: what each unit's credit pays of what it owes, draw by draw in the order given
    (oldest first), never more than the credit nor than a draw's debt. What is left of a
    credit stays in the unit's balance."""
    plan = []
    for unit_id, credit in credits.items():
        left = credit
        for draw_id, due in owed.get(unit_id, ()):
            if left <= 0:
                break
            paid = min(left, due)
            if paid > 0:
                plan.append(Settlement(unit_id, draw_id, paid))
                left -= paid
    return plan


def owed_by_unit(
    compound: Compound, unit_ids: Sequence[int], *, made_by: dt.date
) -> dict[int, list[tuple[int, Decimal]]]:
    """What each of ``unit_ids`` still owes per draw made on or before ``made_by``, oldest
    draw first (one query; summed in Python, like :func:`balances`). Draws fully settled
    are left out."""
    sums: dict[tuple[int, int], Decimal] = {}
    order: dict[int, tuple[dt.date | None, int]] = {}
    rows = (
        FundEntry.objects.filter(
            compound=compound,
            unit_id__in=list(unit_ids),
            draw__isnull=False,
            draw__made_on__lte=made_by,
        )
        .exclude(owed=0)
        .values_list("unit_id", "draw_id", "owed", "draw__made_on")
    )
    for unit_id, draw_id, owed, made_on in rows:
        sums[unit_id, draw_id] = sums.get((unit_id, draw_id), ZERO) + owed
        order[draw_id] = (made_on, draw_id)  # made_on is set: filtered on it
    result: dict[int, list[tuple[int, Decimal]]] = {}
    for (unit_id, draw_id), due in sorted(
        sums.items(), key=lambda kv: (order[kv[0][1]][0] or made_by, kv[0][1])
    ):
        if due > 0:
            result.setdefault(unit_id, []).append((draw_id, due))
    return result


def _settle(
    compound: Compound,
    credits: Mapping[int, Decimal],
    building_of: Mapping[int, int],
    on: dt.date,
    actor: User | None,
) -> list[FundEntry]:
    """Pay what the credited units owe from ``credits`` (the units are locked by the
    caller): ``settle`` entries linked to the draws, and each draw's shortfall lowered
    under its row lock. Audited per draw."""
    plan = settlement_plan(credits, owed_by_unit(compound, list(credits), made_by=on))
    if not plan:
        return []
    per_draw: dict[int, Decimal] = {}
    for item in plan:
        per_draw[item.draw_id] = per_draw.get(item.draw_id, ZERO) + item.amount
    draws = {
        d.pk: d
        for d in FundDraw.objects.select_for_update(of=("self",))
        .select_related("project")
        .filter(compound=compound, pk__in=list(per_draw))
        .order_by("pk")
    }
    entries = [
        FundEntry(
            compound=compound,
            unit_id=item.unit_id,
            building_id=building_of[item.unit_id],
            kind=EntryKind.SETTLE,
            amount=-item.amount,
            owed=-item.amount,
            draw_id=item.draw_id,
            entry_date=on,
            note=(_("补划欠缴：%(title)s") % {"title": draws[item.draw_id].project.title})[:200],
            created_by=recorder(actor),
        )
        for item in plan
    ]
    FundEntry.objects.bulk_create(entries, batch_size=BATCH)
    for draw_id, paid in per_draw.items():
        draw = draws[draw_id]
        before = draw.shortfall
        # The shortfall is the sum of what the draw's entries still owe; a settlement can
        # never pay more than that, so it stays at or above zero.
        draw.shortfall = max(before - paid, ZERO)
        draw.save(update_fields=["shortfall"])
        audit_record(
            action="works.fund_draw_settle",
            actor=actor,
            compound=compound,
            obj=draw,
            data={
                "settled": str(paid),
                "shortfall_before": str(before),
                "shortfall": str(draw.shortfall),
                "units": sum(1 for item in plan if item.draw_id == draw_id),
                "date": on.isoformat(),
            },
        )
    return entries


@transaction.atomic
def fund_credit(
    *,
    compound: Compound,
    kind: str,
    amount: object,
    entry_date: dt.date | None = None,
    unit: Unit | None = None,
    building: Building | None = None,
    note: str = "",
    actor: User | None = None,
) -> list[FundEntry]:
    """Credit a top-up (续筹) or interest (增值收益) to one unit, or to a building's units
    split by area (largest remainder, the parts sum to ``amount`` exactly; units of
    unknown area get nothing and the audit names how many). A unit that owes on draws
    pays them first from its part, oldest draw first (``settle`` entries; see the module
    docstring). Returns the entries written: the credits (a unit whose part rounds to 0
    fen gets none), then the settlements."""
    if kind not in CREDIT_KINDS:
        raise ValidationError({"kind": _("只能记入续筹或增值收益")})
    total = fund_money(amount, "amount", _("金额"))
    if unit is not None and total > MAX_UNIT_AMOUNT:
        raise ValidationError(
            {"amount": _("单户金额不能超过 %(max)s 元") % {"max": MAX_UNIT_AMOUNT}}
        )
    on = record_date(entry_date, "entry_date", _("日期"))
    areas, unknown = _credit_targets(compound, unit, building)
    parts = split_by_area(total, areas)
    if max(parts.values()) > MAX_UNIT_AMOUNT:
        raise ValidationError(
            {"amount": _("单户金额不能超过 %(max)s 元") % {"max": MAX_UNIT_AMOUNT}}
        )
    credited = {target: part for target, part in parts.items() if part > 0}
    lock_units(compound, [target.pk for target in credited])
    entries = [
        FundEntry(
            compound=compound,
            unit=target,
            building_id=target.building_id,
            kind=kind,
            amount=part,
            entry_date=on,
            note=note.strip()[:200],
            created_by=recorder(actor),
        )
        for target, part in credited.items()
    ]
    for entry in entries[:1]:
        entry.full_clean(exclude=["compound", "unit", "building", "created_by"])
    FundEntry.objects.bulk_create(entries, batch_size=BATCH)
    settlements = _settle(
        compound,
        {target.pk: part for target, part in credited.items()},
        {target.pk: target.building_id for target in credited},
        on,
        actor,
    )
    audit_record(
        action="works.fund_credit",
        actor=actor,
        compound=compound,
        data={
            "kind": kind,
            "amount": str(total),
            "date": on.isoformat(),
            "unit": unit.pk if unit else None,
            "building": building.pk if building else None,
            "entries": len(entries),
            "units_of_unknown_area": len(unknown),
            "settled": str(sum((-e.amount for e in settlements), ZERO)),
            "settlements": len(settlements),
        },
    )
    return entries + settlements
