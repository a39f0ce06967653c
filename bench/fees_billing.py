"""Billing-run speed: the demo compound (1,412 units), then 150,000 units.

Targets (issue 3): a billing run of 1,412 units under 2 s (SQLite and PostgreSQL);
150,000 units (100 synthetic compounds of 1,500 units) under 60 s on PostgreSQL.
The script builds a throw-away test database (SQLite file by default, PostgreSQL when
DATABASE_URL says so), the demo register of 学院南路32号院 with the case's standards, and
times :func:`fees.services.billing_run_create` for 2022 (12 months), then the same run again
(idempotent: nothing changes). On PostgreSQL it then builds 100 compounds of 1,500 units and
bills them all.

Run:   .venv/bin/python bench/fees_billing.py
or:    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_fees_bench \\
           .venv/bin/python bench/fees_billing.py
"""

import datetime as dt
import random
import time
from decimal import Decimal

from _harness import throwaway_database  # sets up Django: before any project import

# isort: split
from django.db import connection

from fees import demo, services
from fees.models import Charge, ChargeSubsidyLine
from households.demo import seed_register
from households.models import AreaSource, Building, BuildingKind, Unit
from portal.models import Compound, StreetOffice
from tests.fees.helpers import fee_basis_item

START = dt.date(2022, 1, 1)


def standards(compound: Compound) -> None:
    for kind, (appraised, charged) in demo.RATES.items():
        services.fee_standard_create(
            compound=compound,
            building_kind=kind,
            appraised_rate=appraised,
            charged_rate=charged,
            valid_from=demo.TERM_START,
            valid_to=demo.TERM_END,
            shares=demo.SHARES,
            basis_item_id=fee_basis_item(compound).pk,
        )


def synthetic(office: StreetOffice, n: int, units: int = 1500) -> Compound:
    rng = random.Random(n)
    compound = Compound.objects.create(street_office=office, code=f"syn{n:03d}", name=f"合成{n}")
    kinds = (
        [BuildingKind.LOW_RISE] * 20 + [BuildingKind.HIGH_RISE] * 5 + [BuildingKind.BUNGALOW] * 5
    )
    buildings = Building.objects.bulk_create(
        Building(compound=compound, number=str(i + 1), kind=k, sort_key=i + 1)
        for i, k in enumerate(kinds)
    )
    Unit.objects.bulk_create(
        (
            Unit(
                compound=compound,
                building=buildings[i % len(buildings)],
                number=f"{i:05d}",
                floor_area=Decimal(rng.randint(2500, 14000)) / 100,
                area_source=AreaSource.REGISTERED,
            )
            for i in range(units)
        ),
        batch_size=2000,
    )
    standards(compound)
    return compound


def main() -> None:
    vendor = connection.vendor
    with throwaway_database(report_load=True):
        compound = seed_register()
        standards(compound)
        t = time.perf_counter()
        outcome = services.billing_run_create(
            compound=compound, period_start=START, months=12, today=START
        )
        first = time.perf_counter() - t
        t = time.perf_counter()
        again = services.billing_run_create(
            compound=compound, period_start=START, months=12, today=START
        )
        second = time.perf_counter() - t
        print(f"database: {vendor}")
        print(
            f"demo compound: {outcome.created} units billed in {first:.2f} s "
            f"({outcome.created / first:,.0f} units/s; target < 2 s: {2 / first:.1f}x under), "
            f"{len(outcome.blocked)} blocked"
        )
        print(f"same run again: {second:.2f} s, created {again.created}, adjusted {again.adjusted}")
        if vendor != "postgresql":
            print("150,000-unit run: PostgreSQL only (set DATABASE_URL)")
            return
        office = StreetOffice.objects.create(code="bench-office", name="基准街道")
        t = time.perf_counter()
        compounds = [synthetic(office, n) for n in range(100)]
        print(f"built 100 compounds x 1,500 units in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        created = 0
        for c in compounds:
            created += services.billing_run_create(
                compound=c, period_start=START, months=12, today=START
            ).created
        elapsed = time.perf_counter() - t
        lines = ChargeSubsidyLine.objects.count()
        print(
            f"150,000 units: {created:,} charges (+{lines:,} subsidy lines in all) billed in "
            f"{elapsed:.1f} s ({created / elapsed:,.0f} units/s; target < 60 s: "
            f"{60 / elapsed:.1f}x under)"
        )
        assert Charge.objects.count() >= created


if __name__ == "__main__":
    main()
