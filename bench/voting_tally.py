"""Tally speed: one decision with 20,000 voters.

Target (issue 4): the tally of a decision with 20,000 voters in under 200 ms on
PostgreSQL, with a number of queries that does not grow with the voters. The script builds
a throw-away test database (SQLite file by default, PostgreSQL when DATABASE_URL says so),
a compound of 20,000 voters with ``_scale.scaled_compound`` (one unit each, 1% of them
owning a second unit), announces the decision of ``_scale.announced_decision`` (two items:
the whole compound, and one building; the roll freeze timed), casts ballots for 80% of the
voters (``_scale.cast_ballots``), then times :func:`voting.selectors.decision_tally`
(median of 15 runs) and counts its queries, at 20,000 and at 2,000 voters.

Run:   .venv/bin/python bench/voting_tally.py
or on PostgreSQL (the script makes and drops test_<name>):
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_voting_bench \
           .venv/bin/python bench/voting_tally.py
"""

import statistics
import time

from _harness import throwaway_database  # sets up Django: before any project import

# isort: split
from _scale import analyze, announced_decision, cast_ballots, scaled_compound
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.models import Compound, StreetOffice
from voting import selectors, services

TARGET_MS = 200.0
RUNS = 15
# 1% of voters own a second unit: ``voters`` owners over voters + voters // 100 units
# (the share is rounded down by scaled_compound, hence the 1 in 100,000 above 1/101).
SECOND_UNITS = 0.00991


def build_decision(compound: Compound):
    """Announce (timing the roll freeze), open, and cast ballots for 80% of the roll."""
    started = time.perf_counter()
    decision = announced_decision(compound)
    freeze = time.perf_counter() - started
    services.decision_open(decision=decision, actor=None, at=timezone.now())
    ballots = cast_ballots(decision, 0.8, building=compound.buildings.get(number="1"))
    analyze()
    return decision, freeze, ballots


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
    with throwaway_database(report_load=True):
        office = StreetOffice.objects.create(code="bench", name="基准街道")
        print(f"database: {connection.vendor}")
        results = {}
        for voters in (2_000, 20_000):
            compound = scaled_compound(
                office, f"b{voters}", voters + voters // 100, second_units=SECOND_UNITS
            )
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
