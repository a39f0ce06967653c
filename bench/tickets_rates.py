"""The city's three rates over 100,000 requests (issue 14).

Target: ``GET /api/v1/compounds/{code}/requests/rates/?year=YYYY``'s computation,
:func:`tickets.rates.monthly_rates`, over a compound with 100,000 requests in one year
in under 500 ms on PostgreSQL, in one query whatever the number of requests. The script
builds a throw-away test database (SQLite in memory by default, PostgreSQL when
DATABASE_URL says so), 100,000 requests spread over the twelve months of last year
(responded, resolved and rated in varying shares, through
:func:`tickets.services_bulk.requests_bulk_create`), then times the rates (median of 15
runs) and counts the queries, at 10,000 and at 100,000 requests.

Run:   .venv/bin/python bench/tickets_rates.py
or on PostgreSQL (the script makes and drops test_<name>):
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_tickets \
           .venv/bin/python bench/tickets_rates.py
"""

import datetime as dt
import random
import statistics
import time

from _harness import throwaway_database  # sets up Django: before any project import

# isort: split
from _scale import analyze
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.models import Compound, StreetOffice
from tickets.models import Channel, Rating
from tickets.rates import monthly_rates
from tickets.services_bulk import PastRequest, requests_bulk_create

TARGET_MS = 500.0
RUNS = 15
CATEGORIES = ["repairs", "sanitation", "greening", "parking", "noise", "security", "fees", "other"]
RATINGS = [Rating.SATISFIED, Rating.BASICALLY, Rating.NOT_SATISFIED, ""]


def fill(compound: Compound, count: int, year: int, seed: int) -> None:
    rnd = random.Random(seed)
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    seconds = 365 * 24 * 3600 - 7 * 24 * 3600
    batch: list[PastRequest] = []
    for n in range(count):
        received = start + dt.timedelta(seconds=rnd.randrange(seconds))
        answered = rnd.random() < 0.9
        first = received + dt.timedelta(hours=rnd.randint(1, 120)) if answered else None
        resolved = (
            first + dt.timedelta(hours=rnd.randint(1, 48)) if first and rnd.random() < 0.8 else None
        )
        hotline = rnd.random() < 0.3
        batch.append(
            PastRequest(
                category=rnd.choice(CATEGORIES),
                description="bench",
                received_at=received,
                channel=Channel.HOTLINE if hotline else Channel.ONLINE,
                hotline_case_number=f"B{seed}-{n}" if hotline else "",
                first_response_at=first,
                resolved_at=resolved,
                rating=rnd.choice(RATINGS) if resolved else "",
                closed=resolved is not None,
            )
        )
        if len(batch) == 10_000:
            requests_bulk_create(compound=compound, actor=None, items=batch)
            batch = []
    if batch:
        requests_bulk_create(compound=compound, actor=None, items=batch)


def measure(compound: Compound, year: int) -> tuple[float, int, list]:
    monthly_rates(compound, year)  # warm
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        months = monthly_rates(compound, year)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        monthly_rates(compound, year)
    return statistics.median(times), len(queries), months


def main() -> None:
    with throwaway_database(report_load=True):
        office = StreetOffice.objects.create(code="bench", name="基准街道")
        year = timezone.localdate().year - 1
        print(f"database: {connection.vendor}")
        results = {}
        for count in (10_000, 100_000):
            compound = Compound.objects.create(
                street_office=office, code=f"t{count}", name=f"工单{count}"
            )
            started = time.perf_counter()
            fill(compound, count, year, seed=count)
            built = time.perf_counter() - started
            analyze()
            median_ms, queries, months = measure(compound, year)
            results[count] = (median_ms, queries)
            march = months[2]
            print(
                f"{count:>7,} requests (built in {built:.1f} s): rates median {median_ms:.1f} ms "
                f"over {RUNS} runs, {queries} queries; {march.month}: received {march.received}, "
                f"response {march.response_rate}%, resolution {march.resolution_rate}%, "
                f"satisfaction {march.satisfaction_rate}%"
            )
        ms, queries = results[100_000]
        print(
            f"target < {TARGET_MS:.0f} ms: {'met' if ms < TARGET_MS else 'MISSED'} "
            f"({TARGET_MS / ms:.1f}× under); queries at 10,000 vs 100,000: "
            f"{results[10_000][1]} vs {queries}"
        )


if __name__ == "__main__":
    main()
