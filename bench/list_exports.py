"""A whole filtered list as XLSX: what the request costs once long exports run in the
background (issue 10 item 8, portal.exports).

Before, the request wrote the file itself: at 50,000 units 24–51 s under load, past
gunicorn's 30 s worker timeout. Now a list over EXPORT_INLINE_ROWS (5,000) makes a job
(one COUNT, one INSERT) and redirects to its progress page; the worker writes the file.

The script builds a throw-away database with two compounds from ``_scale.scaled_compound``
(SMALL and LARGE units), asks for the units register's export as a street officer through
Django's test client (the task is held, not run, as a worker would take it later), then
runs each task in this process. It prints per size: the request's wall and CPU time
(median of RUNS) and queries, and the task's wall and CPU time and rows; the ratios
LARGE/SMALL of the request (which should stay near 1: only the COUNT grows) and of the
task (which grows with the rows, off the web worker).

Run:   .venv/bin/python bench/list_exports.py
or on PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_x .venv/bin/python ...
"""

import _harness  # sets up Django: before any project import

# isort: split
import statistics
import time
from unittest import mock

from _scale import scaled_compound
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal import exports
from portal.models import ExportFile, Membership, Role, StreetOffice

SMALL, LARGE = 6_000, 30_000
RUNS = 5


def main() -> None:
    with _harness.throwaway_database(report_load=True):
        print(f"database: {connection.vendor}; request: median of {RUNS}; task: once")
        office = StreetOffice.objects.create(code="bench", name="基准街道")
        started = time.perf_counter()
        for size in (SMALL, LARGE):
            scaled_compound(office, f"x{size}", size, buildings=20)
        print(f"built {SMALL:,} + {LARGE:,} units in {time.perf_counter() - started:.1f} s")
        officer = User.objects.create_user("bench-officer", password="x")
        Membership.objects.create(user=officer, role=Role.STREET_OFFICER, street_office=office)
        client = Client()
        client.force_login(officer)
        held: list[int] = []
        figures = {}
        for size in (SMALL, LARGE):
            url = reverse("register_units", args=[f"x{size}"]) + "?export=xlsx"
            walls, cpus = [], []
            with mock.patch.object(exports, "enqueue", lambda _name, pk: held.append(pk)):
                for _run in range(RUNS):
                    wall, cpu = time.perf_counter(), time.process_time()
                    with CaptureQueriesContext(connection) as queries:
                        response = client.get(url)
                    walls.append(time.perf_counter() - wall)
                    cpus.append(time.process_time() - cpu)
                    assert response.status_code == 302, response.status_code
                    if _run < RUNS - 1:  # a person may have 3 exports waiting: keep one
                        ExportFile.objects.filter(pk=held.pop()).delete()
            request = (statistics.median(walls) * 1000, statistics.median(cpus) * 1000)
            wall, cpu = time.perf_counter(), time.process_time()
            assert exports.run_export(held[-1]) == "done"
            task = (time.perf_counter() - wall, time.process_time() - cpu)
            job = ExportFile.objects.get(pk=held[-1])
            assert job.rows_done == job.rows_total == size
            figures[size] = (request, len(queries), task)
            print(
                f"units export {size:>6,}: request {request[0]:6.1f} ms wall "
                f"{request[1]:6.1f} ms CPU {len(queries)} queries → 302; "
                f"task {task[0]:5.1f} s wall {task[1]:5.1f} s CPU, {job.rows_done:,} rows, "
                f"{job.rows_done / task[0]:,.0f} rows/s"
            )
            job.file.delete(save=False)
        (rs, qs, ts), (rl, ql, tl) = figures[SMALL], figures[LARGE]
        print(
            f"request {SMALL:,} → {LARGE:,}: ratio {rl[0] / rs[0]:.2f}× wall, "
            f"{rl[1] / rs[1]:.2f}× CPU; queries {qs} → {ql} "
            f"({'equal' if qs == ql else 'DIFFER'}); rows ratio {LARGE / SMALL:.1f}×"
        )
        print(
            f"task {SMALL:,} → {LARGE:,}: ratio {tl[0] / ts[0]:.2f}× wall, "
            f"{tl[1] / ts[1]:.2f}× CPU (in the worker, not the request)"
        )
        ExportFile.objects.all().delete()


if __name__ == "__main__":
    main()
