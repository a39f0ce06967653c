"""Kept turnout counters (投票进度): written at the freeze, changed by every ballot that
makes a voter count as having voted, in the same transaction (see :mod:`voting.turnout`
for what they hold).

Writers: :func:`voting.services.roll.roll_freeze` calls :func:`rebuild` (nobody has voted
yet: the roll's figures per building and scope); :func:`ballot_cast`, the paper keying
that confirms or resolves a ballot and the historical import call :func:`record_votes`
after their last ballot and audit record. Ballots are never deleted and a changed choice
changes no turnout, so there is no other writer.

:func:`record_votes` reads the new voters' roll units, locks the rows they touch (their
buildings' and the scopes' totals, in id order, so two casts queue rather than deadlock)
and adds to them: three queries whatever the size of the roll. :func:`rebuild` recounts
every row of a decision (the freeze, the ``turnout_counts_rebuild`` command, the data
migration, bulk-seeded benchmarks).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q

from .. import turnout
from ..models import Decision, RollUnit, TurnoutCount


@transaction.atomic
def rebuild(decision: Decision | int, *, apps: Any = None) -> int:
    """Replace the decision's kept rows with a recount (:func:`voting.turnout.recount`).
    Returns the number of rows written."""
    decision_id = decision if isinstance(decision, int) else decision.pk
    model = apps.get_model("voting", "TurnoutCount") if apps is not None else TurnoutCount
    decision_model = apps.get_model("voting", "Decision") if apps is not None else Decision
    compound_id = (
        decision_model.objects.select_for_update(of=("self",))
        .filter(pk=decision_id)
        .values_list("compound_id", flat=True)
        .get()
    )
    counted = turnout.recount(decision_id, apps=apps)
    model.objects.filter(decision_id=decision_id).delete()
    model.objects.bulk_create(
        (
            model(
                compound_id=compound_id,
                decision_id=decision_id,
                item_id=item_id,
                building_id=building_id,
                **{name: getattr(counts, name) for name in turnout.COUNT_FIELDS},
            )
            for (item_id, building_id), counts in counted.items()
        ),
        batch_size=1000,
    )
    return len(counted)


def record_votes(
    decision: Decision,
    *,
    ballots: Iterable[tuple[int, int]] = (),
    first_voters: Iterable[int] = (),
) -> None:
    """Count new votes: ``ballots`` are the (roll entry id, item id) of ballots just
    inserted (a changed ballot is no new vote), ``first_voters`` the roll entries whose
    first ballot of the decision this was (their ``voted_at`` just set). Call it inside
    the writing transaction, after the ballots and their audit records. A decision
    without kept rows (none written yet) is left alone: its pages recount."""
    by_item: dict[int | None, set[int]] = defaultdict(set)
    for entry_id, item_id in ballots:
        by_item[item_id].add(entry_id)
    by_item[None] = set(first_voters)
    entry_ids = set().union(*by_item.values())
    if not entry_ids:
        return
    units: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for entry_id, building_id, area in RollUnit.objects.filter(
        compound_id=decision.compound_id, decision_id=decision.pk, entry_id__in=entry_ids
    ).values_list("entry_id", "building_id", "area"):
        units[entry_id].append((building_id, area or 0))
    buildings = {b for held in units.values() for b, _area in held}
    locked = (
        TurnoutCount.objects.select_for_update(of=("self",))
        .filter(
            Q(building_id__in=buildings) | Q(building__isnull=True),
            compound_id=decision.compound_id,
            decision_id=decision.pk,
        )
        .order_by("pk")
    )
    rows = {(row.item_id, row.building_id): row for row in locked}
    if not rows:
        return
    changed: dict[int, TurnoutCount] = {}

    def add(row: TurnoutCount, voters: int, count: int, area: int) -> None:
        row.voted_voters += voters
        row.voted_units += count
        row.voted_area += area
        changed[row.pk] = row

    for scope_item, voted in by_item.items():
        total = rows.get((scope_item, None))
        if total is None:
            continue  # not a kept scope (an item of another decision cannot be here)
        for entry_id in voted:
            # A building is in the scope exactly when the scope has a row for it (every
            # unit's building has one): count the voter's units there, once per building.
            per_building: dict[int, list[int]] = defaultdict(list)
            for building_id, area in units[entry_id]:
                if (scope_item, building_id) in rows:
                    per_building[building_id].append(area)
            for building_id, areas in per_building.items():
                add(rows[(scope_item, building_id)], 1, len(areas), sum(areas))
            if per_building:
                held = [a for areas in per_building.values() for a in areas]
                add(total, 1, len(held), sum(held))
    if changed:
        TurnoutCount.objects.bulk_update(
            sorted(changed.values(), key=lambda row: row.pk), turnout.VOTED_FIELDS
        )
