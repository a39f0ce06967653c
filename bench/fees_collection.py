"""Collection rates (收缴率) at 50,000 units against the demo's size.

Target (issue 10 item 3): the collection page and the collection API at 50,000 units
answer within 2× of the same at 1,412 units, with the same number of queries: both read
the kept totals per (building, year), per (run, building) and per (building, month), which
the writers of charges and allocations refresh in their own transactions
(``fees.services.collection_totals``), never every charge of the year.

The script builds a throw-away test database (SQLite in memory by default, PostgreSQL when
DATABASE_URL says so) with two compounds from ``_scale.scaled_compound`` (40 buildings
each), the case's standards and a 12-month billing run for 2022, then payments for about
80% of the households (70% in full, 10% half) written in bulk with their allocations and
the kept totals rebuilt (``collection_totals.rebuild``, as after any bulk import). It
requests each page through Django's test client in this process (a logged-in committee
member; no server: what is timed is the view, its queries and its template) and prints
the median of RUNS requests, the queries per request and the ratio 50,000 / 1,412. For
information it also times one payment through the service (its refresh is bounded by the
unit's building, so it grows with the building's size, not the compound's).

Run:   .venv/bin/python bench/fees_collection.py
or on PostgreSQL (the script makes and drops test_<name>):
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_collection \
           .venv/bin/python bench/fees_collection.py
"""

import _harness  # sets up Django: before any project import

# isort: split
import datetime as dt
import random
import statistics
import time
from decimal import Decimal
from functools import partial

from _scale import analyze, committee_member, fee_standards, scaled_compound
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fees import selectors, services
from fees.models import BillingRun, Charge, Payment, PaymentAllocation, PaymentMethod
from fees.money import to_fen
from fees.services import collection_totals
from portal.models import Compound, StreetOffice

SIZES = (1_412, 50_000)
RUNS = 15
TARGET = 2.0
START = dt.date(2022, 1, 1)


def bill(compound: Compound) -> BillingRun:
    fee_standards(compound)
    return services.billing_run_create(
        compound=compound, period_start=START, months=12, today=START
    ).run


def pay_in_bulk(compound: Compound, run: BillingRun) -> int:
    """About 80% of the households pay (70% in full, 10% half), in months spread over
    the year; payments and allocations in bulk, charges and kept totals then recomputed."""
    rng = random.Random(compound.code)
    charges = list(run.charges.order_by("id").values_list("id", "unit_id", "owner_due"))
    plans = []
    for charge_id, unit_id, due in charges:
        draw = rng.random()
        if draw >= 0.8:
            continue
        amount = due if draw < 0.7 else to_fen(due / 2)
        month = min(12, 1 + int(rng.expovariate(0.45)))
        plans.append((charge_id, unit_id, amount, dt.date(2022, month, rng.randint(1, 28))))
    payments = Payment.objects.bulk_create(
        (
            Payment(
                compound=compound,
                unit_id=unit_id,
                method=PaymentMethod.CASH,
                amount=amount,
                received_on=received,
                idempotency_key=f"bench-{unit_id}",
                fingerprint="bench",
            )
            for _charge, unit_id, amount, received in plans
        ),
        batch_size=5000,
    )
    PaymentAllocation.objects.bulk_create(
        (
            PaymentAllocation(compound=compound, payment=p, charge_id=plan[0], amount=p.amount)
            for p, plan in zip(payments, plans, strict=True)
        ),
        batch_size=5000,
    )
    charge = connection.ops.quote_name(Charge._meta.db_table)
    allocation = connection.ops.quote_name(PaymentAllocation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {charge} SET owner_paid = (SELECT SUM(a.amount) FROM {allocation} a "
            f"WHERE a.charge_id = {charge}.id) WHERE run_id = %s AND id IN "
            f"(SELECT charge_id FROM {allocation})",
            [run.pk],
        )
    collection_totals.rebuild(compound)
    return len(plans)


def one_payment(compound: Compound, n: int) -> tuple[float, int]:
    """Milliseconds and queries of recording one payment (median of 5 units)."""
    unpaid = list(
        compound.charges.filter(owner_paid=0).order_by("id").values_list("unit", flat=True)[:6]
    )
    units = {u.pk: u for u in compound.units.filter(pk__in=unpaid).select_related("building")}
    times, count = [], 0
    for i, unit_id in enumerate(unpaid):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            services.payment_record(
                compound=compound,
                unit=units[unit_id],
                amount=Decimal("10.00"),
                method=PaymentMethod.CASH,
                received_on=dt.date(2022, 12, 1),
                idempotency_key=f"timed-{n}-{i}",
            )
            elapsed = (time.perf_counter() - started) * 1000
        if i:  # the first warms up
            times.append(elapsed)
            count = len(queries)
    return statistics.median(times), count


def main() -> None:
    with _harness.throwaway_database(report_load=True):
        print(f"database: {connection.vendor}; median of {RUNS} requests per figure")
        office = StreetOffice.objects.create(code="bench", name="基准街道")
        figures: dict[str, dict[int, tuple[float, int]]] = {}
        for size in SIZES:
            started = time.perf_counter()
            compound = scaled_compound(office, f"c{size}", size)
            run = bill(compound)
            billed = time.perf_counter() - started
            payers = pay_in_bulk(compound, run)
            analyze()
            built = time.perf_counter() - started
            report = selectors.collection_report(compound, 2022)
            assert report == selectors.collection_report_recomputed(compound, 2022)
            print(
                f"{size:>6} units: {run.units_billed:,} billed, {payers:,} paying "
                f"({report.compound.rate_amount}% by amount, {len(report.buildings)} buildings); "
                f"built in {built:.1f} s (billing incl. totals {billed:.1f} s)"
            )
            client = Client()
            client.force_login(committee_member(compound))
            code = compound.code
            pages = {
                "collection page": reverse("fees:collection", args=[code]) + "?year=2022",
                "collection API": f"/api/v1/compounds/{code}/collection/?year=2022",
                "fees overview": reverse("fees:overview", args=[code]) + "?year=2022",
                "collection.xlsx": reverse("fees:collection-xlsx", args=[code]) + "?year=2022",
            }
            for name, url in pages.items():
                [(wall, _cpu, queries)] = _harness.timed_requests(
                    partial(client.get, url), runs=RUNS
                )
                figures.setdefault(name, {})[size] = (wall, queries)
            figures.setdefault("payment_record (info)", {})[size] = one_payment(compound, size)
        small, large = SIZES
        for name, by_size in figures.items():
            (ms_small, q_small), (ms_large, q_large) = by_size[small], by_size[large]
            ratio = ms_large / ms_small
            verdict = (
                f"  target ≤ {TARGET}×: {'met' if ratio <= TARGET else 'MISSED'}"
                if name in ("collection page", "collection API")
                else ""
            )
            print(
                f"{name:<22} {small:,}: {ms_small:7.1f} ms {q_small:>2} queries · "
                f"{large:,}: {ms_large:7.1f} ms {q_large:>2} queries · "
                f"ratio {ratio:.2f}×{verdict}"
            )


if __name__ == "__main__":
    main()
