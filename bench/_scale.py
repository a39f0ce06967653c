"""Large synthetic compounds for the benchmarks: a register of any size, bulk-created.

``scaled_compound`` builds buildings, units, owners and ownerships in a few bulk inserts
(50,000 units in seconds); ``counted_decision`` adds a decision announced on that register,
with ballots for a share of the voters, closed and counted (its certified snapshot written).
``fee_standards`` gives a compound the case's fee standards, ``committee_member`` a user to
request its pages as. Each benchmark adds what it
measures on top (billing, payments, print jobs).
Import after ``_harness``.
"""

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from fees import demo as fees_demo
from fees import services as fees_services
from households.models import AreaSource, Building, BuildingKind, Owner, Ownership, Unit
from portal.models import Compound, Role, StreetOffice
from tests.factories import make_member
from tests.fees.helpers import fee_basis_item
from voting import services as voting_services
from voting.models import Ballot, Decision
from voting.services import turnout_counts

CHOICES = ["agree", "disagree", "abstain", "spoiled"]
CHOICE_WEIGHTS = [70, 20, 8, 2]


def analyze() -> None:
    """Fresh planner statistics after bulk inserts, as autovacuum would give them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def committee_member(compound: Compound) -> User:
    """A user on ``compound``'s committee, to request its pages as."""
    return make_member(f"committee-{compound.code}", Role.COMMITTEE_MEMBER, compound=compound)


def fee_standards(compound: Compound) -> None:
    """The case's fee standards (the demo's rates per building kind, its term and shares)
    on ``compound``, based on a passed decision item as voting leaves it."""
    basis_item_id = fee_basis_item(compound).pk
    for kind, (appraised, charged) in fees_demo.RATES.items():
        fees_services.fee_standard_create(
            compound=compound,
            building_kind=kind,
            appraised_rate=appraised,
            charged_rate=charged,
            valid_from=fees_demo.TERM_START,
            valid_to=fees_demo.TERM_END,
            shares=fees_demo.SHARES,
            basis_item_id=basis_item_id,
        )


def scaled_compound(
    office: StreetOffice,
    code: str,
    units: int,
    *,
    buildings: int = 40,
    sizes: Sequence[int] = (),
    kinds: Sequence[str] = (BuildingKind.LOW_RISE,),
    second_units: float = 0.01,
) -> Compound:
    """A compound of ``units`` units spread over ``buildings`` buildings (kinds in turn),
    or, with ``sizes``, buildings of exactly those sizes (``units`` is then their sum).
    One owner per unit, except that the last ``second_units`` share of units go to the
    first owners (voters holding two units)."""
    rng = random.Random(code)
    compound = Compound.objects.create(street_office=office, code=code, name=f"基准小区{code}")
    counts = list(sizes) or [units // buildings + (i < units % buildings) for i in range(buildings)]
    made = Building.objects.bulk_create(
        Building(compound=compound, number=str(n), kind=kinds[(n - 1) % len(kinds)], sort_key=n)
        for n in range(1, len(counts) + 1)
    )
    # Numbered 单元-室 as in the register: 18 floors of 2 flats per entrance (3-1802).
    rows = [
        Unit(
            compound=compound,
            building=building,
            number=f"{i // 36 + 1}-{i % 36 // 2 + 1}{i % 2 + 1:02d}",
            floor_area=Decimal(rng.randint(3000, 12000)) / 100,
            area_source=AreaSource.REGISTERED,
        )
        for building, count in zip(made, counts, strict=True)
        for i in range(count)
    ]
    created = Unit.objects.bulk_create(rows, batch_size=5000)
    owner_count = len(created) - int(len(created) * second_units)
    owners = Owner.objects.bulk_create(
        (Owner(compound=compound, name=f"业主{i}") for i in range(owner_count)), batch_size=5000
    )
    holders = owners + owners[: len(created) - owner_count]
    Ownership.objects.bulk_create(
        (
            Ownership(compound=compound, unit=u, owner=o, valid_from=dt.date(2020, 1, 1))
            for u, o in zip(created, holders, strict=True)
        ),
        batch_size=5000,
    )
    analyze()
    return compound


def counted_decision(
    compound: Compound, *, turnout: float = 0.8, publish: bool = True
) -> tuple[Decision, int]:
    """A decision of two items (the whole compound; building 1, category 7), announced,
    voted by ``turnout`` of the roll, closed and counted (and published; with ``publish``
    false it stays open with its ballots). Returns the decision and the number of
    ballots."""
    decision = announced_decision(compound)
    voting_services.decision_open(decision=decision, actor=None, at=timezone.now())
    ballots = cast_ballots(decision, turnout, building=compound.buildings.get(number="1"))
    if publish:
        close_and_publish(decision)
    analyze()
    return decision, ballots


def announced_decision(compound: Compound) -> Decision:
    """The decision of :func:`counted_decision` up to its announcement (the roll frozen),
    so a benchmark can time the freeze on its own."""
    now = timezone.now()
    decision = voting_services.decision_create(
        compound=compound,
        actor=None,
        title="基准表决",
        voting_opens_at=now - dt.timedelta(days=1),
        voting_closes_at=now + dt.timedelta(days=5),
    )
    voting_services.item_add(decision=decision, actor=None, title="选聘物业", category=4)
    one = compound.buildings.get(number="1")
    voting_services.item_add(
        decision=decision, actor=None, title="改造", category=7, building_ids=[one.pk]
    )
    voting_services.decision_announce(decision=decision, actor=None, at=now - dt.timedelta(days=20))
    return decision


def cast_ballots(decision: Decision, turnout: float, *, building: Building) -> int:
    """Paper ballots, bulk-inserted, for ``turnout`` of the roll (item 2 only in its
    building). Whatever the draw, a turnout between 0 and 1 leaves the roll's first entry
    voted and its last not voted, so a small roll always has both kinds."""
    now = timezone.now()
    rng = random.Random(f"ballots-{decision.pk}")
    items = list(decision.items.order_by("position"))
    scoped = set(decision.roll_units.filter(building=building).values_list("entry_id", flat=True))
    voted, ballots = [], []
    entries = list(decision.roll.order_by("id").values_list("id", flat=True))
    for index, entry_id in enumerate(entries):
        draw = rng.random() < turnout
        if 0 < turnout < 1 and index in (0, len(entries) - 1):
            draw = index == 0
        if not draw:
            continue
        voted.append(entry_id)
        for item in items:
            if item.position == 2 and entry_id not in scoped:
                continue
            ballots.append(
                Ballot(
                    compound=decision.compound,
                    decision=decision,
                    item=item,
                    entry_id=entry_id,
                    choice=rng.choices(CHOICES, CHOICE_WEIGHTS)[0],
                    channel="paper",
                    cast_at=now,
                )
            )
    Ballot.objects.bulk_create(ballots, batch_size=5000)
    decision.roll.filter(id__in=voted).update(voted_at=now)
    # Inserted past the services: count the kept turnout again, as after any bulk write.
    turnout_counts.rebuild(decision)
    # Counting (and any page) then plans with the ballots' statistics, as autovacuum would
    # have them after ballots came in over days; stale ones made the per-item turnout scan
    # every ballot for every roll unit.
    analyze()
    return len(ballots)


def close_and_publish(decision: Decision) -> None:
    """Close the vote after its closing time, count it (which writes the certified
    snapshot) and publish the result."""
    assert decision.voting_closes_at is not None
    after = decision.voting_closes_at + dt.timedelta(minutes=1)
    voting_services.decision_close(decision=decision, actor=None, at=after)
    voting_services.decision_count(
        decision=decision,
        actor=None,
        counting_date=after.date(),
        counting_place="物业用房",
        counters="计票人甲、计票人乙",
        at=after,
    )
    voting_services.decision_publish(decision=decision, actor=None, at=after)


def scaled_compounds(
    office: StreetOffice,
    codes: Sequence[str],
    units: int,
    *,
    buildings: int = 40,
    kinds: Sequence[str] = (BuildingKind.LOW_RISE,),
    second_units: float = 0.01,
) -> list[Compound]:
    """Many compounds at once, each exactly what :func:`scaled_compound` makes of its code
    (same buildings, unit numbers, areas drawn from the same seed, owners and ownerships),
    in a handful of bulk inserts for all of them and ONE ``ANALYZE`` at the end: called
    compound by compound, the whole database's ``ANALYZE`` after each compound is what
    made 500 compounds take more than 25 minutes on PostgreSQL."""
    compounds = Compound.objects.bulk_create(
        Compound(street_office=office, code=code, name=f"基准小区{code}") for code in codes
    )
    counts = [units // buildings + (i < units % buildings) for i in range(buildings)]
    made = Building.objects.bulk_create(
        (
            Building(compound=compound, number=str(n), kind=kinds[(n - 1) % len(kinds)], sort_key=n)
            for compound in compounds
            for n in range(1, len(counts) + 1)
        ),
        batch_size=5000,
    )
    rows = []
    for index, compound in enumerate(compounds):
        rng = random.Random(compound.code)
        own = made[index * len(counts) : (index + 1) * len(counts)]
        rows += [
            Unit(
                compound=compound,
                building=building,
                number=f"{i // 36 + 1}-{i % 36 // 2 + 1}{i % 2 + 1:02d}",
                floor_area=Decimal(rng.randint(3000, 12000)) / 100,
                area_source=AreaSource.REGISTERED,
            )
            for building, count in zip(own, counts, strict=True)
            for i in range(count)
        ]
    created = Unit.objects.bulk_create(rows, batch_size=5000)
    owner_count = units - int(units * second_units)
    owners = Owner.objects.bulk_create(
        (
            Owner(compound=compound, name=f"业主{i}")
            for compound in compounds
            for i in range(owner_count)
        ),
        batch_size=5000,
    )
    ownerships = []
    for index, compound in enumerate(compounds):
        own_units = created[index * units : (index + 1) * units]
        own_owners = owners[index * owner_count : (index + 1) * owner_count]
        holders = own_owners + own_owners[: units - owner_count]
        ownerships += [
            Ownership(compound=compound, unit=u, owner=o, valid_from=dt.date(2020, 1, 1))
            for u, o in zip(own_units, holders, strict=True)
        ]
    Ownership.objects.bulk_create(ownerships, batch_size=5000)
    analyze()
    return compounds
