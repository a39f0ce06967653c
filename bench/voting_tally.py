"""Tally speed: one decision with 20,000 voters.

Target (issue 4): the tally of a decision with 20,000 voters in under 200 ms on
PostgreSQL, with a number of queries that does not grow with the voters. The script builds
a throw-away test database (SQLite file by default, PostgreSQL when DATABASE_URL says so),
a compound of 20,000 units (one owner each, 1% of them owning a second unit), announces a
decision with two items (the whole compound, and one building), casts ballots for 80% of
the voters, then times :func:`voting.selectors.decision_tally` (median of 15 runs) and
counts its queries, at 20,000 and at 2,000 voters.

Run:   .venv/bin/python bench/voting_tally.py
or on PostgreSQL (the script makes and drops test_<name>):
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_voting_bench \
           .venv/bin/python bench/voting_tally.py
"""

import datetime as dt
import random
import statistics
import time
from decimal import Decimal

from _harness import throwaway_database  # sets up Django: before any project import

# isort: split
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from households.models import AreaSource, Building, BuildingKind, Owner, Ownership, Unit
from portal.models import Compound, StreetOffice
from voting import selectors, services
from voting.models import Ballot

TARGET_MS = 200.0
RUNS = 15


def build_compound(office: StreetOffice, code: str, voters: int) -> Compound:
    rng = random.Random(code)
    compound = Compound.objects.create(street_office=office, code=code, name=f"基准小区{code}")
    buildings = Building.objects.bulk_create(
        Building(compound=compound, number=str(n), kind=BuildingKind.LOW_RISE, sort_key=n)
        for n in range(1, 41)
    )
    units = Unit.objects.bulk_create(
        (
            Unit(
                compound=compound,
                building=buildings[i % len(buildings)],
                number=f"{i:06d}",
                floor_area=Decimal(rng.randint(3000, 12000)) / 100,
                area_source=AreaSource.REGISTERED,
            )
            for i in range(voters + voters // 100)
        ),
        batch_size=5000,
    )
    owners = Owner.objects.bulk_create(
        (Owner(compound=compound, name=f"业主{i}") for i in range(voters)), batch_size=5000
    )
    # The last 1% of units go to the first owners: one voter with two units each.
    holders = owners + owners[: voters // 100]
    Ownership.objects.bulk_create(
        (
            Ownership(compound=compound, unit=u, owner=o, valid_from=dt.date(2020, 1, 1))
            for u, o in zip(units, holders, strict=True)
        ),
        batch_size=5000,
    )
    return compound


def build_decision(compound: Compound):
    now = timezone.now()
    decision = services.decision_create(
        compound=compound,
        actor=None,
        title="基准表决",
        voting_opens_at=now - dt.timedelta(days=1),
        voting_closes_at=now + dt.timedelta(days=5),
    )
    services.item_add(decision=decision, actor=None, title="选聘物业", category=4)
    one = compound.buildings.get(number="1")
    services.item_add(
        decision=decision, actor=None, title="改造", category=7, building_ids=[one.pk]
    )
    started = time.perf_counter()
    services.decision_announce(decision=decision, actor=None, at=now - dt.timedelta(days=20))
    freeze = time.perf_counter() - started
    services.decision_open(decision=decision, actor=None, at=now)
    rng = random.Random("ballots")
    items = list(decision.items.all())
    scoped = set(decision.roll_units.filter(building=one).values_list("entry_id", flat=True))
    voted = []
    ballots = []
    for entry_id in decision.roll.values_list("id", flat=True):
        if rng.random() < 0.8:
            voted.append(entry_id)
            for item in items:
                if item.position == 2 and entry_id not in scoped:
                    continue
                ballots.append(
                    Ballot(
                        compound=compound,
                        decision=decision,
                        item=item,
                        entry_id=entry_id,
                        choice=rng.choices(
                            ["agree", "disagree", "abstain", "spoiled"], [70, 20, 8, 2]
                        )[0],
                        channel="paper",
                        cast_at=now,
                    )
                )
    Ballot.objects.bulk_create(ballots, batch_size=5000)
    decision.roll.filter(id__in=voted).update(voted_at=now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return decision, freeze, len(ballots)


def measure(decision) -> tuple[float, int, list]:
    selectors.decision_tally(decision)  # warm
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        tallies = selectors.decision_tally(decision)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        selectors.decision_tally(decision)
    return statistics.median(times), len(queries), tallies


def main() -> None:
    with throwaway_database():
        office = StreetOffice.objects.create(code="bench", name="基准街道")
        print(f"database: {connection.vendor}")
        results = {}
        for voters in (2_000, 20_000):
            compound = build_compound(office, f"b{voters}", voters)
            decision, freeze, ballots = build_decision(compound)
            median_ms, queries, tallies = measure(decision)
            results[voters] = (median_ms, queries)
            raw = tallies[0].raw
            print(
                f"{voters:>6} voters ({decision.roll_units.count():,} units, {ballots:,} "
                f"ballots): tally median {median_ms:.1f} ms over {RUNS} runs, {queries} "
                f"queries; roll freeze {freeze:.2f} s; item 1 participation "
                f"{raw.percents['participation_owners']}% / {raw.percents['participation_area']}%"
            )
        ms, queries = results[20_000]
        print(
            f"target < {TARGET_MS:.0f} ms: {'met' if ms < TARGET_MS else 'MISSED'} "
            f"({TARGET_MS / ms:.1f}× under); queries at 2,000 vs 20,000 voters: "
            f"{results[2_000][1]} vs {queries}"
        )


if __name__ == "__main__":
    main()
