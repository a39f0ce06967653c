"""The voter roll (表决名册), frozen from the ownerships when a decision is announced."""

import datetime as dt
from decimal import Decimal

from households.models import building_label

from .. import rules
from ..models import Decision, RollEntry, RollUnit
from ..turnout import unit_natural_key
from . import turnout_counts


def _area_hundredths(area: Decimal | None) -> int | None:
    return None if area is None else int(area * 100)


def roll_freeze(decision: Decision, on: dt.date) -> int:
    """Write the roll: the voters (SPC 9) from the ownerships valid on ``on``; every unit
    without a registered owner is a voter of its own with no owner, who counts in the totals
    and never votes. Returns the number of voters. Reads in two queries and bulk-inserts,
    whatever the size; then writes the kept turnout counters (nobody has voted yet)."""
    compound = decision.compound
    units = {
        row["id"]: row
        for row in compound.units.values(
            "id",
            "number",
            "building_id",
            "floor_area",
            "building__number",
            "building__kind",
            "building__sort_key",
        )
    }
    owners: dict[int, list[rules.RosterOwner]] = {}
    ownerships = compound.ownerships.current(on)
    for unit_id, owner_id, is_rep in ownerships.values_list(
        "unit_id", "owner_id", "is_representative"
    ).order_by("unit_id", "owner_id"):
        owners.setdefault(unit_id, []).append(rules.RosterOwner(owner_id, is_rep))
    roster = [
        rules.RosterUnit(
            unit_id=uid,
            building_id=row["building_id"],
            area=_area_hundredths(row["floor_area"]),
            owners=tuple(owners.get(uid, ())),
        )
        for uid, row in sorted(units.items())
    ]
    voters = rules.build_roll(roster)

    # The turnout list's order, fixed with the roll: by building, then natural unit order.
    listed = sorted(
        units.values(),
        key=lambda row: (
            row["building__sort_key"],
            row["building__number"],
            unit_natural_key(row["number"]),
            row["id"],
        ),
    )
    positions = {row["id"]: n for n, row in enumerate(listed, start=1)}

    def label(unit_id: int) -> str:
        row = units[unit_id]
        return f"{building_label(row['building__number'], row['building__kind'])} {row['number']}"

    entries = [
        RollEntry(
            compound=compound,
            decision=decision,
            number=n,
            owner_id=voter.representative_id,
            owner_key=(
                ",".join(map(str, voter.key))
                if not voter.is_ownerless
                else f"unit:{voter.units[0].unit_id}"
            ),
            units_label="、".join(label(u.unit_id) for u in voter.units)[:500],
            area=voter.area,
            unknown_area_units=voter.unknown_area_units,
        )
        for n, voter in enumerate(voters, start=1)
    ]
    RollEntry.objects.bulk_create(entries, batch_size=2000)
    ids = dict(
        decision.roll.values_list("number", "id")
    )  # bulk_create returns ids on PostgreSQL only; read them back everywhere
    RollUnit.objects.bulk_create(
        (
            RollUnit(
                compound=compound,
                decision=decision,
                entry_id=ids[n],
                unit_id=u.unit_id,
                building_id=u.building_id,
                unit_label=label(u.unit_id),
                area=u.area,
                position=positions[u.unit_id],
            )
            for n, voter in enumerate(voters, start=1)
            for u in voter.units
        ),
        batch_size=2000,
    )
    turnout_counts.rebuild(decision)
    return len(voters)
