"""Fee-notice cost: building print files through Celery against one PDF per household, per
CPU second; and a print worker's peak memory for a large building against a small one.

Targets (issue 10 items 5 and 7; issue 3's single-notice figures are still printed):
- building print files: CPU time per notice at most 1/4 of the one-PDF-per-household
  path's, for the same compound's households (wall clock reported separately);
- printing a 1,250-unit building: peak worker memory within 1.3x of a 108-unit one's;
- a single household's notice on demand: median under 150 ms, file under 150 KB.

Needs PostgreSQL and Redis (the worker is a separate process). The script builds a
throw-away test database with the demo compound (1,412 households, all made to owe so each
gets a page), then:

1. single notices on demand in this process (median of 30 after a warm-up; sizes);
2. the one-PDF-per-household path: a sample of 150 households spread over the compound,
   each gathered and rendered as the single download does, in this process; CPU seconds
   per notice are this process's CPU time (``time.process_time``), after start-up's
   objects are frozen out of the garbage collector's sight as in a web process
   (``portal.startup``), so both paths run alike;
3. the building-file path: ``celery -A portal worker --concurrency=2`` prints the whole
   run (parts of FEES_NOTICE_PART_SIZE, joined per building). Its CPU is read from
   /proc/<pid>/stat (utime + stime) of the worker and its pool processes before queuing
   and after the run is done, after a small warm-up job has loaded WeasyPrint and the font
   in each pool process, so start-up is not charged to the notices;
4. peak memory: two compounds built with ``bench/_scale.py``, one building of 1,250 units
   and one of 108, each printed by a fresh worker (2 pool processes); the highest VmHWM
   (RSS high-water mark) of its pool processes after the job is compared.

Run:   DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_fees_bench \\
       CELERY_BROKER_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/fees_notices.py
"""

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

from _harness import print_load, throwaway_database  # sets up Django: before any import

# isort: split
from django.conf import settings
from django.db import connection, transaction

from fees import demo, pdf, selectors, services
from fees.models import BillingRun, NoticeStatus
from households.demo import seed_register
from portal.models import Compound, StreetOffice
from portal.startup import freeze_startup_objects
from portal.worker_process import celery_worker

SINGLE_RUNS = 30
BASELINE_SAMPLE = 150
CPU_TARGET = 0.25
MEMORY_TARGET = 1.3
START = dt.date(2022, 1, 1)
TICK = os.sysconf("SC_CLK_TCK")


def notice_pdf(compound, charge) -> bytes:
    """One household's notice as the single download makes it: gathered, then rendered."""
    return pdf.render_notices(compound, [selectors.unit_notice(compound, charge)])


# --- the worker's processes, read from /proc ----------------------------------------------


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the Celery worker and its pool processes)."""
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                pids += tree(int(child))
    except OSError:
        pass
    return pids


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time of each process (fields 14 and 15 of /proc/<pid>/stat)."""
    seconds = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return seconds


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- print jobs -----------------------------------------------------------------------------


def print_run(compound: Compound, run: BillingRun, timeout: float = 300) -> float:
    """Queue ``run``'s print job and wait until it is done; the wall clock in seconds."""
    t = time.perf_counter()
    with transaction.atomic():
        services.notices_start(compound=compound, run=run)
    services.notice_chunks_enqueue(run_id=run.pk)
    while BillingRun.objects.get(pk=run.pk).notice_status != NoticeStatus.DONE:
        if time.perf_counter() - t > timeout:
            sys.exit(f"print job of {compound.code} not done after {timeout} s")
        time.sleep(0.1)
    return time.perf_counter() - t


def billed(office: StreetOffice, code: str, sizes: tuple[int, ...]) -> tuple[Compound, BillingRun]:
    from _scale import fee_standards, scaled_compound

    compound = scaled_compound(office, code, sum(sizes), sizes=sizes)
    fee_standards(compound)
    run = services.billing_run_create(
        compound=compound, period_start=START, months=12, today=START
    ).run
    return compound, run


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


# --- the measurements -------------------------------------------------------------------------


def single_notices(compound: Compound, charges: list) -> None:
    times, sizes = [], []
    for charge in charges[:: len(charges) // SINGLE_RUNS][:SINGLE_RUNS]:
        t = time.perf_counter()
        content = notice_pdf(compound, charge)
        times.append(time.perf_counter() - t)
        sizes.append(len(content))
    median_ms = statistics.median(times) * 1000
    print(
        f"single notice on demand: median {median_ms:.0f} ms (target < 150 ms), "
        f"size median {statistics.median(sizes) / 1024:.0f} KB, max {max(sizes) / 1024:.0f} KB "
        f"(target < 150 KB), n={len(times)}"
    )


def per_household(compound: Compound, charges: list) -> tuple[float, float]:
    """CPU seconds and wall seconds per notice of one PDF per household, in this process."""
    sample = charges[:: len(charges) // BASELINE_SAMPLE][:BASELINE_SAMPLE]
    cpu, t = time.process_time(), time.perf_counter()
    for charge in sample:
        notice_pdf(compound, charge)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - t
    print(
        f"one PDF per household (1 process, {len(sample)} households): "
        f"{cpu / len(sample) * 1000:.1f} ms CPU per notice, {wall / len(sample) * 1000:.1f} ms "
        f"wall per notice ({len(sample) / wall:.1f} notices/s)"
    )
    return cpu / len(sample), wall / len(sample)


def building_files(
    compound: Compound, run: BillingRun, warm: tuple[Compound, BillingRun]
) -> tuple[float, float, float]:
    """CPU seconds (all the worker's processes, and its pool processes alone) and wall
    seconds per notice of the run's building print files through Celery with 2 pool
    processes."""
    with celery_worker("bench-fees-worker.log", loglevel="WARNING", concurrency=2) as worker:
        print_run(*warm)  # each pool process loads WeasyPrint and the font
        before = cpu_seconds(tree(worker.pid))
        mine = time.process_time()
        elapsed = print_run(compound, run)
        after = cpu_seconds(tree(worker.pid))
        mine = time.process_time() - mine
    used = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
    cpu = sum(used.values())
    parent = used.get(worker.pid, 0.0)
    run.refresh_from_db()
    n = run.notices_done
    parts = run.chunks.exclude(part=0).count()
    files = run.chunks.exclude(file="").count()
    print(
        f"building files through Celery (2 pool processes, parts of "
        f"{settings.FEES_NOTICE_PART_SIZE}): {n} notices, {parts} parts joined into {files} "
        f"files; worker CPU {cpu:.1f} s (pool processes {cpu - parent:.1f} s, the worker's "
        f"main process {parent:.1f} s) = {cpu / n * 1000:.1f} ms per notice; wall "
        f"{elapsed:.1f} s = {n / elapsed:.1f} notices/s ({elapsed / n * 1000:.1f} ms per notice); "
        f"this process polled with {mine:.1f} s CPU"
    )
    return cpu / n, (cpu - parent) / n, elapsed / n


def peak_memory(compound: Compound, run: BillingRun) -> float:
    """The highest VmHWM of the pool processes of a fresh worker that printed ``run``
    (MB): each pool process has rendered parts (and joined) from its start."""
    with celery_worker("bench-fees-memory.log", loglevel="WARNING", concurrency=2) as worker:
        elapsed = print_run(compound, run)
        pool = [pid for pid in tree(worker.pid) if pid != worker.pid]
        peak = max(vm_hwm_mb(pid) for pid in pool)
        parent = vm_hwm_mb(worker.pid)
    households = run.charges.count()
    print(
        f"  {households:>5}-unit building: pool processes' peak RSS {peak:.0f} MB "
        f"(worker parent {parent:.0f} MB), {elapsed:.1f} s, "
        f"{run.chunks.exclude(part=0).count()} parts"
    )
    return peak


def main() -> None:
    if connection.vendor != "postgresql" or not os.environ.get("CELERY_BROKER_URL"):
        sys.exit("needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)")
    with throwaway_database(report_load=True):
        compound = seed_register()
        demo.seed(compound)
        run = compound.billing_runs.get()
        # The worst case: every household owes and gets a notice (paid-up households get
        # none, and 82 % of the demo's have paid).
        run.charges.update(owner_paid=0)
        office = compound.street_office
        warm = billed(office, "warm", (2,) * 8)  # enough tasks to reach both pool processes
        small = billed(office, "b108", (108,))
        large = billed(office, "b1250", (1250,))
        charges = list(selectors.notice_charges(compound, run).order_by("id"))
        notice_pdf(compound, charges[0])  # warm-up: fonts, templates
        # As a web process (portal/wsgi.py) and each print worker's pool process do:
        # what is loaded by now stays out of the garbage collector's full collections.
        freeze_startup_objects(pdf=True)

        single_notices(compound, charges)
        household_cpu, household_wall = per_household(compound, charges)
        building_cpu, pool_cpu, building_wall = building_files(compound, run, warm)
        ratio = building_cpu / household_cpu
        print(
            f"CPU per notice, building files / one PDF per household: {ratio:.2f} "
            f"(1/{1 / ratio:.1f}; target <= {CPU_TARGET} {met(ratio <= CPU_TARGET)}); "
            f"the pool processes alone: {pool_cpu / household_cpu:.2f}; "
            f"wall per notice: {building_wall / household_wall:.2f} "
            f"(2 pool processes against 1 process)"
        )
        print_load("between")

        print("peak print-worker memory, one fresh worker (2 pool processes) per building:")
        small_peak = peak_memory(*small)
        large_peak = peak_memory(*large)
        memory = large_peak / small_peak
        print(
            f"peak memory, 1,250-unit building / 108-unit building: {memory:.2f}x "
            f"(target <= {MEMORY_TARGET}x {met(memory <= MEMORY_TARGET)})"
        )


if __name__ == "__main__":
    main()
