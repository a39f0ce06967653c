"""Result pages of a counted decision at 50,000 voters against the demo's size.

Target (issue 10 item 4): the tally API and the public result page of a counted and
published decision at 50,000 voters answer within 1.5× of the same at the demo's 1,412
households, with the same number of queries: both read the certified snapshot (the tally
and the roll's figures, counted once), never recount per request. The decision page is
printed beside them.

Target (issue 10 leftovers): the turnout page (投票进度 and its list of units, the canvass
list) within 1.3× of the demo's at 50,000 units, with the same queries, for the counted
decision and for an open one (a second decision on the same compound, 80% voted, still
open): its figures are the kept turnout counters (or the certified snapshot), its list
counts its pages from them and reads a page from the buildings it spans in their stored
order, so neither a COUNT nor a sort over the roll runs per request. Measured: the first
page, the last page of units not yet voted, and one item's turnout.

The script builds a throw-away test database (SQLite in memory by default, PostgreSQL when
DATABASE_URL says so) with two compounds from ``_scale.scaled_compound`` and a counted,
published decision on each (``_scale.counted_decision``, 80% turnout), then requests each
page through Django's test client in this process (no server, no network: what is timed
is the view, its queries and its template), the two sizes in turn so both see the same load,
and prints the median wall and CPU time of RUNS requests, the queries per request and the
ratios 50,000 / 1,412.

Run:   .venv/bin/python bench/voting_pages.py
or on PostgreSQL (the script makes and drops test_<name>):
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_voting \
           .venv/bin/python bench/voting_pages.py
"""

import _harness  # sets up Django: before any project import

# isort: split
import time
from functools import partial

from _scale import committee_member, counted_decision, scaled_compound
from django.db import connection
from django.test import Client
from django.urls import reverse

from portal.models import StreetOffice

SIZES = (1_412, 50_000)
RUNS = 15
TARGET = 1.5
TARGET_TURNOUT = 1.3


def main() -> None:
    with _harness.throwaway_database(report_load=True):
        print(f"database: {connection.vendor}; median of {RUNS} requests per figure")
        office = StreetOffice.objects.create(code="bench", name="基准街道")
        pages_by_size: dict[int, tuple[Client, dict[str, str]]] = {}
        for size in SIZES:
            started = time.perf_counter()
            compound = scaled_compound(office, f"v{size}", size)
            decision, ballots = counted_decision(compound)
            running, _ballots = counted_decision(compound, publish=False)
            built = time.perf_counter() - started
            voted = decision.roll.filter(voted_at__isnull=False).count()
            last_page = (voted + 199) // 200
            client = Client()
            client.force_login(committee_member(compound))
            code, pk = compound.code, decision.pk
            result = reverse("voting_public:result", args=[code, pk])
            turnout, open_turnout = (
                reverse("voting:turnout", args=[code, d.pk]) for d in (decision, running)
            )
            item = running.items.get(position=1).pk
            pages_by_size[size] = (
                client,
                {
                    "tally API": f"/api/v1/compounds/{code}/decisions/{pk}/tally/",
                    "public result page": result,
                    "public result, last page": f"{result}?page={last_page}",
                    "decision page": reverse("voting:decision", args=[code, pk]),
                    "turnout page": turnout,
                    "turnout, not voted, last page": f"{turnout}?voted=no&page=999999",
                    "turnout page (open)": open_turnout,
                    "turnout (open), not voted, last": f"{open_turnout}?voted=no&page=999999",
                    "turnout (open), one item": f"{open_turnout}?item={item}",
                },
            )
            print(
                f"{size:>6} voters: {ballots:,} ballots, {voted:,} participants "
                f"({last_page} pages of 200), built in {built:.1f} s"
            )
        small, large = SIZES
        (client_s, urls_s), (client_l, urls_l) = pages_by_size[small], pages_by_size[large]
        for name in urls_s:
            (wall_s, cpu_s, q_s), (wall_l, cpu_l, q_l) = _harness.timed_requests(
                partial(client_s.get, urls_s[name]), partial(client_l.get, urls_l[name]), runs=RUNS
            )
            ratio = wall_l / wall_s
            target = TARGET_TURNOUT if name.startswith("turnout") else TARGET
            verdict = (
                ""
                if name.startswith("decision")
                else f"  target ≤ {target}×: {'met' if ratio <= target else 'MISSED'}"
                + ("" if q_s == q_l else " (queries DIFFER)")
            )
            print(
                f"{name:<33} {small:,}: {wall_s:6.1f} ms ({cpu_s:5.1f} CPU) {q_s:>2} queries · "
                f"{large:,}: {wall_l:6.1f} ms ({cpu_l:5.1f} CPU) {q_l:>2} queries · "
                f"ratio {ratio:.2f}× wall, {cpu_l / cpu_s:.2f}× CPU{verdict}"
            )


if __name__ == "__main__":
    main()
