"""What every benchmark script needs first: Django set up from this checkout, a throw-away
test database, the machine's load printed beside the figures, and requests timed alike
(``timed_requests``).

Import it before any project module (``import _harness`` then ``# isort: split``).
"""

import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def print_load(when: str) -> None:
    """Other processes slow every figure down; print what they were doing."""
    print(f"load average {when}: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


@contextmanager
def throwaway_database(
    sqlite_file: Path | None = None, *, report_load: bool = False
) -> Iterator[None]:
    """Create test_<name> (SQLite in memory, or ``sqlite_file`` when another process must
    see it; PostgreSQL when DATABASE_URL says so), and drop it afterwards. With
    ``report_load`` the load average is printed before and after."""
    if report_load:
        print_load("before")
    if sqlite_file is not None and connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(sqlite_file)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        if report_load:
            print_load("after")
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def timed_requests(*gets: Callable[[], object], runs: int) -> list[tuple[float, float, int]]:
    """Per request function: median wall and CPU milliseconds over ``runs`` requests
    (after one each to warm up), and the queries of one. Several are requested in turn,
    so all see the same load on this shared machine. CPU is this process's (view, ORM,
    template, driver); wall adds the database server. Each response must be a 200."""
    samples: list[tuple[list[float], list[float]]] = [([], []) for _ in gets]
    for get in gets:
        get()  # warm
    for _ in range(runs):
        for get, (walls, cpus) in zip(gets, samples, strict=True):
            wall, cpu = time.perf_counter(), time.process_time()
            response = get()
            cpus.append((time.process_time() - cpu) * 1000)
            walls.append((time.perf_counter() - wall) * 1000)
            assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
    figures = []
    for get, (walls, cpus) in zip(gets, samples, strict=True):
        with CaptureQueriesContext(connection) as queries:
            get()
        figures.append((statistics.median(walls), statistics.median(cpus), len(queries)))
    return figures
