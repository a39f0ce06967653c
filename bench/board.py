"""The street-office board at 500 compounds (issue 12).

Target: the board page and its API answer with the same number of queries at 50 and at
500 compounds (the facts are read per kind of fact, not per compound), and the daily alert
check runs over 500 compounds in seconds, the second run (nothing changed) opening and
resolving nothing.

The script builds a throw-away test database (SQLite in memory by default, PostgreSQL when
DATABASE_URL says so) with one street office of 500 compounds of 40 units each
(``_scale.scaled_compounds``: the registers of all 500 in a few bulk inserts and one
``ANALYZE``); every second compound has a committee formed 2021 for three years, the
case's low-rise standard 2022–2024 on a published decision and 2022 billed, through the
fee services as a street office would (the standard; the billing run, which keeps the
collection totals). It times the board page, the board API and its XLSX export (median of
RUNS requests through Django's test client, in this process: wall and this process's CPU;
queries of one), first with 50 of those compounds in the office, then with all 500, and
the daily alert check over all of them, twice (the second changes nothing).

Run:   .venv/bin/python bench/board.py
or on PostgreSQL (a few minutes, most of it the test database's migrations):
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_bench_board \
           .venv/bin/python bench/board.py
"""

import _harness  # sets up Django: before any project import

# isort: split
import datetime as dt
import os
import time

from _scale import analyze, scaled_compounds
from django.db import connection
from django.test import Client
from django.urls import reverse

from board import services
from board.models import Alert
from portal.models import Compound, Role, StreetOffice
from tests.board.helpers import add_committee
from tests.factories import make_member
from tests.fees.helpers import bill, low_rise_standard

SIZES = (50, 500)
UNITS = 40
RUNS = 5


def build(parking: StreetOffice, n: int) -> None:
    started = time.perf_counter()
    compounds = scaled_compounds(parking, [f"b{i:03d}" for i in range(n)], UNITS, buildings=2)
    registers = time.perf_counter() - started
    # The billing run keeps the collection totals itself (collection_totals.refresh), so
    # no rebuild follows it.
    for compound in compounds[::2]:
        add_committee(compound)
        low_rise_standard(compound)
        bill(compound)
    analyze()
    print(
        f"built {n} compounds in {time.perf_counter() - started:.1f} s "
        f"(registers {registers:.1f} s, then {len(compounds[::2])} committees, standards and "
        f"2022 billings through the services)"
    )


def main() -> None:
    began = time.perf_counter()
    with _harness.throwaway_database(report_load=True):
        print(f"test database made (migrations) in {time.perf_counter() - began:.1f} s")
        print(f"database: {connection.vendor}; median of {RUNS} requests per figure")
        office = StreetOffice.objects.create(code="bench", name="基准街道")
        parking = StreetOffice.objects.create(code="parking", name="待移入")
        build(parking, SIZES[-1])
        client = Client()
        client.force_login(make_member("bench-officer", Role.STREET_OFFICER, street_office=office))
        page = reverse("board:office-board", args=["bench"])
        api = reverse("api-street-office-board", args=["bench"])
        results = {}
        for size in SIZES:
            ids = list(Compound.objects.order_by("code").values_list("id", flat=True)[:size])
            Compound.objects.filter(id__in=ids).update(street_office=office)
            got = _harness.timed_requests(
                lambda: client.get(page),
                lambda: client.get(api),
                lambda: client.get(page, {"format": "xlsx"}),
                runs=RUNS,
            )
            results[size] = got
            load = os.getloadavg()[0]
            for name, (wall, cpu, queries) in zip(("page", "api", "xlsx"), got, strict=True):
                print(
                    f"{size:4d} compounds  {name:5s} {wall:8.1f} ms wall "
                    f"{cpu:8.1f} ms CPU  {queries:3d} queries  (load average {load:.2f})"
                )
        for i, name in enumerate(("page", "api", "xlsx")):
            small, large = results[SIZES[0]][i], results[SIZES[-1]][i]
            print(
                f"target constant queries, board {name}: {small[2]} → {large[2]} "
                f"({'constant' if small[2] == large[2] else 'GROWS'}); "
                f"×{large[0] / small[0]:.1f} wall, ×{large[1] / small[1]:.1f} CPU "
                f"for ×{SIZES[-1] // SIZES[0]} compounds ({large[0]:.0f} ms at {SIZES[-1]})"
            )
        checks = []
        for label in ("first", "second"):
            wall, cpu = time.perf_counter(), time.process_time()
            result = services.alerts_refresh(today=dt.date(2026, 12, 1))
            took, cpu = time.perf_counter() - wall, time.process_time() - cpu
            checks.append((result, took))
            print(
                f"alerts_refresh {label} check: {result.compounds} compounds, "
                f"{len(result.opened)} opened, {len(result.resolved)} resolved in {took:.2f} s "
                f"({cpu:.2f} s CPU; load average {os.getloadavg()[0]:.2f})"
            )
        (first, first_s), (second, second_s) = checks
        idle = not second.opened and not second.resolved
        print(
            f"target daily alert check over {first.compounds} compounds: first {first_s:.2f} s "
            f"({len(first.opened)} opened), second {second_s:.2f} s "
            f"({'idempotent' if idle else 'NOT idempotent'}); alerts kept: "
            f"{Alert.objects.count()}"
        )


if __name__ == "__main__":
    main()
