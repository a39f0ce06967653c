"""Turnout counters (投票进度): what they hold and how they are recounted.

A decision's turnout page shows, for its own scope and for each item's, per building and
for the whole scope: the roll's units, voters and area, the units without a registered
owner, and how many units, voters and how much area have voted. These figures are kept in
:class:`voting.models.TurnoutCount` rows (written by ``voting.services.turnout_counts``);
this module recounts them from the roll and the ballots (:func:`recount`), reads the kept
rows back (:func:`kept_counts`) and gives the stored list order of a roll's units
(:func:`unit_natural_key`).

"Voted" is what the live turnout always meant: for the decision's scope, a voter with any
ballot of the decision (``RollEntry.voted_at``); for an item's, a voter with a ballot on
that item. A voter counts once per building they hold a unit of in the scope, and once in
the scope's total; units and areas add up.

Functions taking ``apps`` use a migration's historical models when given one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from typing import Any

from households.selectors import ENTRANCE_MARKS

# (item id, or None for the decision's own scope; building id, or None for the scope's total)
Key = tuple[int | None, int | None]


@dataclass(frozen=True)
class Counts:
    """One kept row's figures (areas in 0.01 m²)."""

    units: int = 0
    voters: int = 0
    area: int = 0
    ownerless: int = 0
    voted_units: int = 0
    voted_voters: int = 0
    voted_area: int = 0


COUNT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Counts))
VOTED_FIELDS: tuple[str, ...] = ("voted_units", "voted_voters", "voted_area")


def unit_natural_key(number: str) -> tuple[int, str, int, str]:
    """A unit number's natural order inside its building, as the register lists it: by
    entrance (the part before "-", "门" or "单元"), shorter first, then shorter numbers
    first, so 3-901 comes before 3-1001 and "2" before "10"."""
    entrance = ""
    for mark in ENTRANCE_MARKS:
        if mark in number:
            entrance = number[: number.index(mark)]
            break
    return (len(entrance), entrance, len(number), number)


def _model(apps: Any, name: str) -> Any:
    if apps is not None:
        return apps.get_model("voting", name)
    from . import models

    return getattr(models, name)


def scopes(decision_id: int, *, apps: Any = None) -> dict[int | None, frozenset[int] | None]:
    """The kept scopes of a decision: None (its own) and each item's id, each with the
    buildings it is limited to (None: every building). The decision's own scope is the
    union of its items' buildings when every item is limited to some (as
    ``selectors.turnout_scope`` says); items cannot change once the roll is frozen."""
    item_ids = list(
        _model(apps, "Item").objects.filter(decision_id=decision_id).values_list("id", flat=True)
    )
    limited: dict[int, set[int]] = defaultdict(set)
    rows = _model(apps, "ItemBuilding").objects.filter(item__decision_id=decision_id)
    for item_id, building_id in rows.values_list("item_id", "building_id"):
        limited[item_id].add(building_id)
    found: dict[int | None, frozenset[int] | None] = {
        item_id: frozenset(limited[item_id]) if item_id in limited else None for item_id in item_ids
    }
    every_item_limited = bool(item_ids) and all(found[i] is not None for i in item_ids)
    own = frozenset().union(*(found[i] or () for i in item_ids)) if every_item_limited else None
    return {None: own, **found}


class _Tally:
    def __init__(self) -> None:
        self.units = self.area = self.ownerless = self.voted_units = self.voted_area = 0
        self.voters: set[int] = set()
        self.voted_voters: set[int] = set()

    def add(self, entry_id: int, area: int | None, ownerless: bool, voted: bool) -> None:
        self.units += 1
        self.area += area or 0
        self.ownerless += ownerless
        self.voters.add(entry_id)
        if voted:
            self.voted_units += 1
            self.voted_area += area or 0
            self.voted_voters.add(entry_id)

    def counts(self) -> Counts:
        return Counts(
            units=self.units,
            voters=len(self.voters),
            area=self.area,
            ownerless=self.ownerless,
            voted_units=self.voted_units,
            voted_voters=len(self.voted_voters),
            voted_area=self.voted_area,
        )


def recount(decision_id: int, *, apps: Any = None) -> dict[Key, Counts]:
    """Every turnout row of the decision recounted from its roll and ballots (three reads,
    then in Python): a total row for each scope (zeros when nobody is in it) and one row
    per building holding a roll unit of the scope. What the kept rows must equal."""
    roll_units = (
        _model(apps, "RollUnit")
        .objects.filter(decision_id=decision_id)
        .order_by()
        .values_list("entry_id", "building_id", "area", "entry__owner_id", "entry__voted_at")
    )
    ballots: dict[int, set[int]] = defaultdict(set)
    rows = _model(apps, "Ballot").objects.filter(decision_id=decision_id)
    for item_id, entry_id in rows.order_by().values_list("item_id", "entry_id").distinct():
        ballots[item_id].add(entry_id)
    kept = scopes(decision_id, apps=apps)
    tallies: dict[Key, _Tally] = defaultdict(_Tally)
    for scope_item in kept:
        tallies[(scope_item, None)] = _Tally()
    for entry_id, building_id, area, owner_id, voted_at in roll_units.iterator(chunk_size=5000):
        for item_id, buildings in kept.items():
            if buildings is not None and building_id not in buildings:
                continue
            voted = voted_at is not None if item_id is None else entry_id in ballots[item_id]
            for row_key in ((item_id, building_id), (item_id, None)):
                tallies[row_key].add(entry_id, area, owner_id is None, voted)
    return {key: tally.counts() for key, tally in tallies.items()}


def kept_counts(decision_id: int, *, apps: Any = None) -> dict[Key, Counts]:
    """The kept rows of a decision as they stand (empty when none were written)."""
    rows = _model(apps, "TurnoutCount").objects.filter(decision_id=decision_id)
    return {
        (row["item_id"], row["building_id"]): Counts(**{f: row[f] for f in COUNT_FIELDS})
        for row in rows.values("item_id", "building_id", *COUNT_FIELDS)
    }


def differences(decision_id: int) -> list[str]:
    """How the kept rows differ from a recount, one line per row (empty: they agree)."""
    kept, counted = kept_counts(decision_id), recount(decision_id)
    lines = []
    for key in sorted(set(kept) | set(counted), key=lambda k: (k[0] or 0, k[1] or 0)):
        if kept.get(key) != counted.get(key):
            item, building = key
            lines.append(
                f"decision {decision_id} item {item or '-'} building {building or 'total'}: "
                f"kept {kept.get(key)} != recount {counted.get(key)}"
            )
    return lines
