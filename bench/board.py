"""The street-office board at 500 compounds (issue 12).

Target: the board page and its API answer with the same number of queries at 50 and at
500 compounds (the facts are read per kind of fact, not per compound), and the daily alert
check runs over 500 compounds in seconds, the second run (nothing changed) opening and
resolving nothing.

The script builds a throw-away test database (SQLite in memory by default, PostgreSQL when
DATABASE_URL says so) with one street office of 500 compounds of 40 units each
(``_scale.scaled_compound``); every second compound has a committee formed 2021 for three
years, the case's low-rise standard 2022–2024 on a published decision and 2022 billed. It
times the board page, the board API and its XLSX export (median of RUNS requests through
Django's test client, in this process), first with 50 of those compounds in the office,
then with all 500, and the alert check over all of them.

Run:   .venv/bin/python bench/board.py
or on PostgreSQL:
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_board .venv/bin/python bench/board.py
"""

import _harness  # sets up Django: before any project import

# isort: split
import datetime as dt
import time

from _scale import scaled_compound
from django.db import connection
from django.test import Client
from django.urls import reverse

from board import services
from board.models import Alert
from fees.services.collection_totals import rebuild
from portal.models import Compound, Role, StreetOffice
from tests.board.helpers import add_committee
from tests.factories import make_member
from tests.fees.helpers import bill, low_rise_standard

SIZES = (50, 500)
UNITS = 40
RUNS = 5


def build(office: StreetOffice, parking: StreetOffice, n: int) -> None:
    for i in range(n):
        compound = scaled_compound(parking, f"b{i:03d}", UNITS, buildings=2)
        if i % 2 == 0:
            add_committee(compound)
            low_rise_standard(compound)
            bill(compound)
            rebuild(compound)


def main() -> None:
    with _harness.throwaway_database(report_load=True):
        print(f"database: {connection.vendor}; median of {RUNS} requests per figure")
        office = StreetOffice.objects.create(code="bench", name="基准街道")
        parking = StreetOffice.objects.create(code="parking", name="待移入")
        started = time.perf_counter()
        build(office, parking, SIZES[-1])
        print(f"built {SIZES[-1]} compounds in {time.perf_counter() - started:.1f} s")
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
            for name, (wall, cpu, queries) in zip(("page", "api", "xlsx"), got, strict=True):
                print(
                    f"{size:4d} compounds  {name:5s} {wall:8.1f} ms wall "
                    f"{cpu:8.1f} ms CPU  {queries:3d} queries"
                )
        for i, name in enumerate(("page", "api", "xlsx")):
            small, large = results[SIZES[0]][i], results[SIZES[-1]][i]
            print(
                f"{name:5s} queries {small[2]} → {large[2]} "
                f"({'constant' if small[2] == large[2] else 'GROWS'}); "
                f"time ×{large[0] / small[0]:.1f} for ×{SIZES[-1] // SIZES[0]} compounds"
            )
        for label, day in (("first check", None), ("second check", None)):
            started = time.perf_counter()
            result = services.alerts_refresh(today=day or dt.date(2026, 12, 1))
            took = time.perf_counter() - started
            print(
                f"alerts_refresh {label}: {result.compounds} compounds, "
                f"{len(result.opened)} opened, {len(result.resolved)} resolved in {took:.2f} s"
            )
        print(f"alerts kept: {Alert.objects.count()}")


if __name__ == "__main__":
    main()
