"""The register's pages at any size: a building's page, the units and owners lists.

Targets (issue 10 items 1 and 8): the page of a 1,250-unit building runs the same number
of queries as a 108-unit building's and answers within 2× of its compound's page (the
50,000-unit compound of 40 buildings of 1,250 units, as in the issue's measurement); the units
and owners lists of a 50,000-unit compound run the same queries as at the demo's 1,412
units (a COUNT, one page of rows, small lookups), at any page, for a search too. The owners
list reads a page's ids from the nearer end of its (name, id) order, then those rows
(issue 10 leftovers): its last page reads like its first; its middle page is the deepest.

The script builds a throw-away test database (SQLite in memory by default, PostgreSQL when
DATABASE_URL says so) with two compounds from ``_scale.scaled_compound``: 1,412 units in
buildings of 1,250, 108 and 54 units, and 50,000 units in 40 buildings; then requests each
page through Django's test client in this process as a street officer (no server, no
network: what is timed is the view, its queries and its template) and prints the median
of RUNS requests, the queries per request and the ratios. One whole-compound XLSX export
at each size is timed once (wall clock and CPU), written in chunks.

Run:   .venv/bin/python bench/register_pages.py
or on PostgreSQL (the script makes and drops test_<name>):
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_lists \
           .venv/bin/python bench/register_pages.py
"""

import _harness  # sets up Django: before any project import

# isort: split
import time
from functools import partial

from _scale import scaled_compound
from django.contrib.auth.models import User
from django.db import connection
from django.http import FileResponse
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from households.models import BuildingKind
from portal.models import Membership, Role, StreetOffice

SMALL, LARGE = 1_412, 50_000
RUNS = 15
TARGET_BUILDING = 2.0


Figure = tuple[float, int, float]  # median wall ms, queries, median CPU ms (this process)


def timed(client: Client, url: str) -> Figure:
    """Median wall and CPU milliseconds over RUNS requests (after one to warm up), and
    the queries of one."""
    [(wall, cpu, queries)] = _harness.timed_requests(partial(client.get, url), runs=RUNS)
    return wall, queries, cpu


def export_once(client: Client, url: str) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of this process and bytes of one export (written in the
    request here, whatever its length: bench/list_exports.py times the background path)."""
    wall, cpu = time.perf_counter(), time.process_time()
    with override_settings(EXPORT_INLINE_ROWS=10**9):
        response = client.get(url)
    assert isinstance(response, FileResponse), response.status_code
    size = sum(len(block) for block in response.streaming_content)
    return time.perf_counter() - wall, time.process_time() - cpu, size


def line(name: str, figure: Figure) -> None:
    wall, queries, cpu = figure
    print(f"  {name:<40} {wall:7.1f} ms wall {cpu:6.1f} ms CPU {queries:>3} queries")


def compare(name: str, small: Figure, large: Figure) -> None:
    equal = "equal" if small[1] == large[1] else "DIFFER"
    print(
        f"{name:<40} {small[0]:7.1f} → {large[0]:7.1f} ms: ratio {large[0] / small[0]:.2f}× wall,"
        f" {large[2] / small[2]:.2f}× CPU; queries {small[1]} → {large[1]} ({equal})"
    )


def main() -> None:
    with _harness.throwaway_database(report_load=True):
        print(f"database: {connection.vendor}; median of {RUNS} requests per figure")
        office = StreetOffice.objects.create(code="bench", name="基准街道")
        started = time.perf_counter()
        scaled_compound(
            office, "r1412", SMALL, sizes=(1_250, 108, 54), kinds=(BuildingKind.HIGH_RISE,)
        )
        scaled_compound(office, "r50000", LARGE, buildings=40)
        print(f"built {SMALL:,} + {LARGE:,} units in {time.perf_counter() - started:.1f} s")
        officer = User.objects.create_user("bench-officer", password="x")
        Membership.objects.create(user=officer, role=Role.STREET_OFFICER, street_office=office)
        client = Client()
        client.force_login(officer)

        def page(name: str, code: str, *args: str) -> str:
            return reverse(name, args=[code, *args])

        figures: dict[str, Figure] = {}
        runs: list[tuple[str, str]] = [
            ("compound page (1,412)", reverse("compound", args=["r1412"])),
            ("compound page (50,000)", reverse("compound", args=["r50000"])),
            ("building 1,250 units", page("building", "r1412", "1")),
            ("building 1,250 units (50,000)", page("building", "r50000", "1")),
            ("building 108 units", page("building", "r1412", "2")),
            ("building 1,250, last page", page("building", "r1412", "1") + "?page=999999"),
            ("building 1,250, entrance 20", page("building", "r1412", "1") + "?entrance=20"),
        ]
        for code, size in (("r1412", SMALL), ("r50000", LARGE)):
            units, owners = page("register_units", code), page("register_owners", code)
            runs += [
                (f"units list {size:,}", units),
                (f"units list {size:,}, last page", units + "?page=999999"),
                (f"units list {size:,}, q=3号楼 1802", units + "?q=3%E5%8F%B7%E6%A5%BC+1802"),
                (f"units list {size:,}, q=业主12*", units + "?q=%E4%B8%9A%E4%B8%BB12*"),
                (f"owners list {size:,}", owners),
                (f"owners list {size:,}, last page", owners + "?page=999999"),
                # The middle of the list: the deepest a deferred page reads (from either end).
                (f"owners list {size:,}, middle page", owners + f"?page={size // 100}"),
            ]
        for name, url in runs:
            figures[name] = timed(client, url)
            line(name, figures[name])

        building_large = figures["building 1,250 units"]
        print()
        compare("building 108 → 1,250 units", figures["building 108 units"], building_large)
        # The setting: a 1,250-unit building of the 50,000-unit compound (40
        # buildings of 1,250) against that compound's page.
        wide, in_wide = figures["compound page (50,000)"], figures["building 1,250 units (50,000)"]
        ratio = in_wide[0] / wide[0]
        print(
            f"building 1,250 / its compound's page (50,000 units, 40 buildings): ratio "
            f"{ratio:.2f}× wall (target ≤ {TARGET_BUILDING}×: "
            f"{'met' if ratio <= TARGET_BUILDING else 'MISSED'}), {in_wide[2] / wide[2]:.2f}× CPU"
        )
        small = figures["compound page (1,412)"]
        print(
            f"building 1,250 / the page of a 3-building compound (1,412 units), for "
            f"information: {building_large[0] / small[0]:.2f}× wall, "
            f"{building_large[2] / small[2]:.2f}× CPU"
        )
        for kind, suffixes in (
            ("units list", ("", ", last page")),
            ("owners list", ("", ", last page", ", middle page")),
        ):
            for suffix in suffixes:
                compare(
                    f"{kind}{suffix} {SMALL:,} → {LARGE:,}",
                    figures[f"{kind} {SMALL:,}{suffix}"],
                    figures[f"{kind} {LARGE:,}{suffix}"],
                )
        for suffix in (", q=3号楼 1802", ", q=业主12*"):
            compare(
                f"units{suffix} {SMALL:,} → {LARGE:,}",
                figures[f"units list {SMALL:,}{suffix}"],
                figures[f"units list {LARGE:,}{suffix}"],
            )
        print()
        for code, size in (("r1412", SMALL), ("r50000", LARGE)):
            wall, cpu, size_bytes = export_once(
                client, page("register_units", code) + "?export=xlsx"
            )
            print(
                f"units export, whole compound {size:>6,}: {wall:5.1f} s wall, {cpu:5.1f} s CPU, "
                f"{size_bytes / 1e6:.1f} MB, {size / wall:,.0f} rows/s"
            )


if __name__ == "__main__":
    main()
