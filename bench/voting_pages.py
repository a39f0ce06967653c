"""Result pages of a counted decision at 50,000 voters against the demo's size.

Target (issue 10 item 4): the tally API and the public result page of a counted and
published decision at 50,000 voters answer within 1.5× of the same at the demo's 1,412
households, with the same number of queries: both read the certified snapshot (the tally
and the roll's figures, counted once), never recount per request. The decision page is
printed beside them.

The script builds a throw-away test database (SQLite in memory by default, PostgreSQL when
DATABASE_URL says so) with two compounds from ``_scale.scaled_compound`` and a counted,
published decision on each (``_scale.counted_decision``, 80% turnout), then requests each
page through Django's test client in this process (no server, no network: what is timed
is the view, its queries and its template) and prints the median of RUNS requests, the
queries per request and the ratio 50,000 / 1,412.

Run:   .venv/bin/python bench/voting_pages.py
or on PostgreSQL (the script makes and drops test_<name>):
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_voting \
           .venv/bin/python bench/voting_pages.py
"""

import _harness  # sets up Django: before any project import

# isort: split
import statistics
import time
from collections.abc import Callable
from functools import partial

from _scale import counted_decision, scaled_compound
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Compound, Membership, Role, StreetOffice

SIZES = (1_412, 50_000)
RUNS = 15
TARGET = 1.5


def member_of(compound: Compound) -> User:
    user = User.objects.create_user(f"committee-{compound.code}", password="x")
    Membership.objects.create(user=user, role=Role.COMMITTEE_MEMBER, compound=compound)
    return user


def timed(get: Callable[[], object]) -> tuple[float, int]:
    """Median milliseconds over RUNS requests (after one to warm up) and the queries of one."""
    get()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = get()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
    with CaptureQueriesContext(connection) as queries:
        get()
    return statistics.median(times), len(queries)


def main() -> None:
    with _harness.throwaway_database(report_load=True):
        print(f"database: {connection.vendor}; median of {RUNS} requests per figure")
        office = StreetOffice.objects.create(code="bench", name="基准街道")
        figures: dict[str, dict[int, tuple[float, int]]] = {}
        for size in SIZES:
            started = time.perf_counter()
            compound = scaled_compound(office, f"v{size}", size)
            decision, ballots = counted_decision(compound)
            built = time.perf_counter() - started
            voted = decision.roll.filter(voted_at__isnull=False).count()
            last_page = (voted + 199) // 200
            client = Client()
            client.force_login(member_of(compound))
            code, pk = compound.code, decision.pk
            result = reverse("voting_public:result", args=[code, pk])
            pages = {
                "tally API": f"/api/v1/compounds/{code}/decisions/{pk}/tally/",
                "public result page": result,
                "public result, last page": f"{result}?page={last_page}",
                "decision page": reverse("voting:decision", args=[code, pk]),
            }
            print(
                f"{size:>6} voters: {ballots:,} ballots, {voted:,} participants "
                f"({last_page} pages of 200), built in {built:.1f} s"
            )
            for name, url in pages.items():
                figures.setdefault(name, {})[size] = timed(partial(client.get, url))
        small, large = SIZES
        for name, by_size in figures.items():
            (ms_small, q_small), (ms_large, q_large) = by_size[small], by_size[large]
            ratio = ms_large / ms_small
            verdict = (
                ""
                if name.startswith("decision")
                else (f"  target ≤ {TARGET}×: {'met' if ratio <= TARGET else 'MISSED'}")
            )
            print(
                f"{name:<26} {small:,}: {ms_small:6.1f} ms {q_small:>2} queries · "
                f"{large:,}: {ms_large:6.1f} ms {q_large:>2} queries · "
                f"ratio {ratio:.2f}×{verdict}"
            )


if __name__ == "__main__":
    main()
