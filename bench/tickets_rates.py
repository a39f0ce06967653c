"""The city's three rates over 100,000 requests (issue 14).

Target: ``GET /api/v1/compounds/{code}/requests/rates/?year=YYYY``'s computation,
:func:`tickets.rates.monthly_rates`, over a compound with 100,000 requests in one year
in under 500 ms on PostgreSQL, in one query whatever the number of requests. The script
builds a throw-away test database (SQLite in memory by default, PostgreSQL when
DATABASE_URL says so) with two compounds of last year's requests (10,000 and 100,000,
spread over the twelve months: every category, channel and state, first responses before
and after the due time, resolved, closed, reopened and rated in varying shares), then
times the rates (median of RUNS, wall and CPU, this process's and, on PostgreSQL, the
database backend's) and counts the queries at both sizes.

On PostgreSQL the requests and their events are made by the database itself (one
``INSERT ... SELECT`` over ``generate_series``, seeded, about 15 s for 110,000 on a busy
machine), then ``VACUUM ANALYZE`` sets the visibility map so the covering index
``request_rates_covering`` can be read without the table; ``EXPLAIN (ANALYZE, BUFFERS)``
of the query shows the plan's nodes (an ``Index Only Scan`` with no heap fetch, no sort
spilling to disk). On SQLite the requests go through
:func:`tickets.services_bulk.requests_bulk_create` as before.

Run:   .venv/bin/python bench/tickets_rates.py
or on PostgreSQL (the script makes and drops test_<name>; about 3 minutes, most of it
the test database's migrations):
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_bench_rates \\
           .venv/bin/python bench/tickets_rates.py
"""

import datetime as dt
import json
import os
import random
import statistics
import time
from pathlib import Path

from _harness import print_load, throwaway_database  # sets up Django: first

# isort: split
from _scale import analyze
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.audit import audit_record
from portal.models import Compound, StreetOffice
from tickets.models import Channel, Rating
from tickets.rates import monthly_rates
from tickets.services_bulk import PastRequest, requests_bulk_create

TARGET_MS = 500.0
RUNS = 15
SIZES = (10_000, 100_000)
CATEGORIES = ["repairs", "sanitation", "greening", "parking", "noise", "security", "fees", "other"]
RATINGS = [Rating.SATISFIED, Rating.BASICALLY, Rating.NOT_SATISFIED, ""]
# Received over the year but its last week (so that December's requests had time to be
# answered), up to the first instant of the year in local time plus this many seconds.
SPAN = 365 * 24 * 3600 - 7 * 24 * 3600

# One request per row of generate_series, every draw from random() after setseed(), so a
# run builds the same requests. Shares: 8% never answered; the first response at 5%–135%
# of the category's service level (about a quarter late); 82% of the answered resolved
# 1–73 h later, 3% of those reopened after a bad rating; 75% of the resolved closed and
# 70% rated (62% satisfied, 26% basically, 12% not); 3% emergencies (the category's
# emergency time limit); channels 30% 12345 (with a case number), 20% phone, 30% online,
# 10% WeChat, 10% walk-in; categories evenly.
FILL_SQL = """
INSERT INTO tickets_request (
    compound_id, channel, hotline_case_number, category_id, place, description, emergency,
    received_at, due_at, state, assigned_party, caller_phone, rating, rating_comment,
    rated_at, first_response_at, resolved_at, closed_at, result, reopen_count,
    escalation_level, updated_at
)
SELECT %(compound)s, channel,
       CASE WHEN channel = '12345' THEN %(prefix)s || n ELSE '' END,
       category_id, '', '基准工单', emergency, received, due,
       CASE WHEN reopened THEN 'reopened'
            WHEN resolved IS NOT NULL AND closed THEN 'closed'
            WHEN resolved IS NOT NULL THEN 'resolved'
            WHEN answered THEN 'in_progress' ELSE 'new' END,
       CASE WHEN answered THEN 'company' ELSE '' END, '',
       rating, '', CASE WHEN rating <> '' THEN coalesce(resolved, first_at) END,
       first_at, resolved, CASE WHEN closed THEN resolved END,
       CASE WHEN resolved IS NOT NULL THEN '已处理' ELSE '' END,
       CASE WHEN reopened THEN 1 ELSE 0 END, 0, now()
FROM (
    SELECT n, channel, category_id, emergency, received, due, answered, first_at, reopened,
           CASE WHEN resolves AND NOT reopened
                THEN first_at + resolve_hours * interval '1 hour' END AS resolved,
           resolves AND NOT reopened AND u_close < 0.75 AS closed,
           CASE WHEN reopened THEN 'not_satisfied'
                WHEN NOT resolves OR u_rate >= 0.7 THEN ''
                WHEN u_rating < 0.62 THEN 'satisfied'
                WHEN u_rating < 0.88 THEN 'basically'
                ELSE 'not_satisfied' END AS rating
    FROM (
        SELECT n, channel, category_id, emergency, received,
               received + hours * interval '1 hour' AS due, answered,
               CASE WHEN answered
                    THEN received + hours * (0.05 + u_resp * 1.3) * interval '1 hour'
               END AS first_at,
               answered AND u_resolve < 0.82 AS resolves,
               answered AND u_resolve < 0.82 AND u_reopen < 0.03 AS reopened,
               1 + u_res_h * 72 AS resolve_hours, u_close, u_rate, u_rating
        FROM (
            SELECT n, c.id AS category_id, d.u_emerg < 0.03 AS emergency,
                   CASE WHEN d.u_emerg < 0.03 THEN c.emergency_hours
                        ELSE c.service_level_hours END AS hours,
                   %(start)s + d.u_recv * %(span)s * interval '1 second' AS received,
                   CASE WHEN d.u_channel < 0.3 THEN '12345' WHEN d.u_channel < 0.5 THEN 'phone'
                        WHEN d.u_channel < 0.8 THEN 'online' WHEN d.u_channel < 0.9 THEN 'wechat'
                        ELSE 'walk_in' END AS channel,
                   d.u_answer < 0.92 AS answered, u_resp, u_resolve, u_res_h, u_close,
                   u_rate, u_rating, u_reopen
            FROM (
                SELECT n, random() AS u_recv, random() AS u_cat, random() AS u_emerg,
                       random() AS u_channel, random() AS u_answer, random() AS u_resp,
                       random() AS u_resolve, random() AS u_res_h, random() AS u_close,
                       random() AS u_rate, random() AS u_rating, random() AS u_reopen
                FROM generate_series(1, %(count)s) AS n
            ) AS d
            JOIN (
                SELECT id, service_level_hours, emergency_hours,
                       row_number() OVER (ORDER BY code) - 1 AS k, count(*) OVER () AS total
                FROM tickets_category WHERE code = ANY(%(categories)s)
            ) AS c ON c.k = floor(d.u_cat * c.total)
        ) AS drawn
    ) AS timed
) AS outcome
"""
# The events requests_bulk_create writes (received or imported; resolved), and the
# reopening of the reopened ones.
EVENTS_SQL = """
INSERT INTO tickets_requestevent
    (compound_id, request_id, kind, from_state, to_state, note, created_at)
SELECT compound_id, id, CASE WHEN channel = '12345' THEN 'imported' ELSE 'created' END,
       '', 'new', '', received_at
FROM tickets_request WHERE compound_id = %(compound)s
UNION ALL
SELECT compound_id, id, 'resolved', '', 'resolved', result, resolved_at
FROM tickets_request WHERE compound_id = %(compound)s AND resolved_at IS NOT NULL
UNION ALL
SELECT compound_id, id, 'reopened', 'resolved', 'reopened', '', rated_at
FROM tickets_request WHERE compound_id = %(compound)s AND state = 'reopened'
"""


def fill(compound: Compound, count: int, year: int, seed: int) -> None:
    """``count`` requests received in ``year`` in ``compound``."""
    if connection.vendor == "postgresql":
        fill_in_database(compound, count, year, seed)
    else:
        fill_through_service(compound, count, year, seed)


def fill_in_database(compound: Compound, count: int, year: int, seed: int) -> None:
    """PostgreSQL makes the rows itself: nothing crosses the wire but the statement."""
    params = {
        "compound": compound.pk,
        "prefix": f"B{seed}-",
        "start": timezone.make_aware(dt.datetime(year, 1, 1)),
        "span": SPAN,
        "count": count,
        "categories": CATEGORIES,
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed % 9973 / 9973])
        cursor.execute(FILL_SQL, params)
        cursor.execute(EVENTS_SQL, params)
    audit_record(action="request.bulk_create", actor=None, compound=compound, data={"count": count})


def fill_through_service(compound: Compound, count: int, year: int, seed: int) -> None:
    rnd = random.Random(seed)
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    batch: list[PastRequest] = []
    for n in range(count):
        received = start + dt.timedelta(seconds=rnd.randrange(SPAN))
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
        if len(batch) == 20_000:
            requests_bulk_create(compound=compound, actor=None, items=batch, batch_size=5000)
            batch = []
    if batch:
        requests_bulk_create(compound=compound, actor=None, items=batch, batch_size=5000)


def vacuum() -> None:
    """Set the visibility map (and statistics), as autovacuum would after a bulk load:
    without it an index-only scan must still visit the table for every row."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE tickets_request")
    else:
        analyze()


def backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(compound: Compound, year: int) -> dict:
    monthly_rates(compound, year)  # warm
    walls, cpus = [], []
    server_before = backend_cpu()
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        months = monthly_rates(compound, year)
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    server_after = backend_cpu()
    server = None
    if server_before is not None and server_after is not None:
        server = (server_after - server_before) * 1000 / RUNS
    with CaptureQueriesContext(connection) as queries:
        monthly_rates(compound, year)
    return {
        "median": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "server_cpu": server,
        "queries": len(queries),
        "sql": queries.captured_queries[-1]["sql"],
        "months": months,
        "load": os.getloadavg()[0],
    }


def explain(sql: str) -> str:
    """The plan's nodes, outermost first, with what tells an index-only scan and a sort
    that spilled: heap fetches, sort method and space, temporary blocks written."""
    if connection.vendor != "postgresql":
        return "(EXPLAIN only on PostgreSQL)"
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    nodes = []

    def walk(node: dict) -> None:
        name = node["Node Type"]
        if node.get("Index Name"):
            name += f" using {node['Index Name']}"
        details = []
        if "Heap Fetches" in node:
            details.append(f"heap fetches {node['Heap Fetches']}")
        if node.get("Sort Method"):
            details.append(f"{node['Sort Method']} {node.get('Sort Space Used')} kB")
        if node.get("Temp Written Blocks"):
            details.append(f"temp written {node['Temp Written Blocks']} blocks")
        if node.get("Strategy") and node["Node Type"] == "Aggregate":
            details.append(str(node["Strategy"]).lower())
        nodes.append(name + (f" ({', '.join(details)})" if details else ""))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return " > ".join(nodes) + f"; execution {plan['Execution Time']:.1f} ms under EXPLAIN"


def main() -> None:
    began = time.perf_counter()
    with throwaway_database(report_load=True):
        print(f"test database made (migrations) in {time.perf_counter() - began:.1f} s")
        office = StreetOffice.objects.create(code="bench", name="基准街道")
        year = timezone.localdate().year - 1
        print(f"database: {connection.vendor}; median of {RUNS} runs per figure")
        compounds = {}
        started = time.perf_counter()
        for count in SIZES:
            compounds[count] = Compound.objects.create(
                street_office=office, code=f"t{count}", name=f"工单{count}"
            )
            fill(compounds[count], count, year, seed=count)
        vacuum()
        print(f"built {sum(SIZES):,} requests in {time.perf_counter() - started:.1f} s")
        results = {}
        for count in SIZES:
            got = results[count] = measure(compounds[count], year)
            march = got["months"][2]
            server = f", database CPU {got['server_cpu']:.1f} ms" if got["server_cpu"] else ""
            print(
                f"{count:>7,} requests: rates median {got['median']:.1f} ms wall, "
                f"CPU {got['cpu']:.1f} ms here{server}, {got['queries']} queries, "
                f"load average {got['load']:.2f}; {march.month}: received {march.received}, "
                f"response {march.response_rate}%, resolution {march.resolution_rate}%, "
                f"satisfaction {march.satisfaction_rate}%"
            )
            got["plan"] = explain(got["sql"])
            print(f"    plan: {got['plan']}")
        small, large = results[SIZES[0]], results[SIZES[-1]]
        print_load("at the end of the runs")
        print(
            f"target < {TARGET_MS:.0f} ms at 100,000 requests: "
            f"{'met' if large['median'] < TARGET_MS else 'MISSED'} "
            f"({large['median']:.1f} ms, {TARGET_MS / large['median']:.1f}× under); "
            f"100,000 vs 10,000 ×{large['median'] / small['median']:.1f} wall; "
            f"queries {small['queries']} vs {large['queries']}"
        )
        print(f"target's plan at 100,000: {large['plan']}")
        print(f"whole run so far {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
