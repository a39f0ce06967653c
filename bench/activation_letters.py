"""Activation letters (开通通知书) against fee notices, per household, in the same run.

Target (issue 11): activation letters for all 1,412 demo households through Celery with
2 worker processes at least as fast per household as the fee notices, measured in the same
run, per CPU second and by the wall clock.

Both are building print files made by the same machinery (households.printing): parts of
PRINT_PART_SIZE / FEES_NOTICE_PART_SIZE households joined per building. A letter also
issues its household's code (a PBKDF2 hash, portal.hashers.CodeHasher) and draws its own
QR code (the link carries the code); a notice carries more text and one QR code shared by
the file.

Needs PostgreSQL and Redis. The script builds a throw-away test database with the demo
compound (1,412 households, all made to owe so each gets a notice), starts
``celery -A portal worker --concurrency=2``, warms both pool processes up with a small
compound's notices and letters, then prints the demo's notices and then its letters (all
buildings), reading the CPU of the worker and its pool processes from /proc (as
bench/fees_notices.py does) before and after each job.

Run:   DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_letters_bench \\
       CELERY_BROKER_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/activation_letters.py
"""

import os
import sys
import time

from _harness import throwaway_database  # sets up Django: before any import

# isort: split
from django.conf import settings
from django.db import connection
from fees_notices import billed, cpu_seconds, met, print_run, tree

from fees import demo
from households.demo import seed_register
from households.models import ActivationLetterJob, LetterJobStatus
from households.services import letters
from portal.models import Compound
from portal.worker_process import celery_worker


def print_letters(compound: Compound, timeout: float = 1800) -> tuple[float, ActivationLetterJob]:
    """Print the letters of every building of ``compound`` and wait until the job is done;
    the wall clock in seconds and the job."""
    t = time.perf_counter()
    job = letters.activation_letters_start(
        compound=compound, buildings=list(compound.buildings.all()), actor=None
    )
    while True:
        job.refresh_from_db()
        if job.status == LetterJobStatus.DONE:
            break
        if job.status == LetterJobStatus.FAILED or time.perf_counter() - t > timeout:
            sys.exit(f"letters of {compound.code}: {job.status} after {time.perf_counter() - t} s")
        time.sleep(0.1)
    return time.perf_counter() - t, job


def measured(worker_pid: int, work) -> tuple[float, float, float, object]:
    """(all the worker's CPU, its pool processes' CPU, wall) seconds of ``work()``."""
    before = cpu_seconds(tree(worker_pid))
    wall, result = work()
    after = cpu_seconds(tree(worker_pid))
    used = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
    cpu = sum(used.values())
    return cpu, cpu - used.get(worker_pid, 0.0), wall, result


def main() -> None:
    if connection.vendor != "postgresql" or not os.environ.get("CELERY_BROKER_URL"):
        sys.exit("needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)")
    with throwaway_database(report_load=True):
        compound = seed_register()
        demo.seed(compound)
        run = compound.billing_runs.get()
        run.charges.update(owner_paid=0)  # every household gets a notice
        warm_compound, warm_run = billed(compound.street_office, "warm", (2,) * 8)
        with celery_worker("bench-letters-worker.log", loglevel="WARNING", concurrency=2) as w:
            print_run(warm_compound, warm_run)  # each pool process loads WeasyPrint, fonts
            print_letters(warm_compound)
            n_cpu, n_pool, n_wall, _ = measured(
                w.pid, lambda: (print_run(compound, run, timeout=1800), None)
            )
            l_cpu, l_pool, l_wall, job = measured(w.pid, lambda: print_letters(compound))
        run.refresh_from_db()
        notices, households = run.notices_done, run.charges.count()
        letters_made = job.done
        print(
            f"fee notices (parts of {settings.FEES_NOTICE_PART_SIZE}): {notices} households; "
            f"worker CPU {n_cpu:.1f} s (pool {n_pool:.1f} s) = {n_cpu / notices * 1000:.1f} ms "
            f"per household; wall {n_wall:.1f} s = {n_wall / notices * 1000:.1f} ms per household"
        )
        print(
            f"activation letters (parts of {settings.PRINT_PART_SIZE}): {letters_made} letters "
            f"({job.chunks.exclude(part=0).count()} parts, "
            f"{job.chunks.exclude(file='').count()} building files); worker CPU {l_cpu:.1f} s "
            f"(pool {l_pool:.1f} s) = {l_cpu / letters_made * 1000:.1f} ms per household; "
            f"wall {l_wall:.1f} s = {l_wall / letters_made * 1000:.1f} ms per household"
        )
        cpu_ratio = (l_cpu / letters_made) / (n_cpu / notices)
        wall_ratio = (l_wall / letters_made) / (n_wall / notices)
        print(
            f"letters / notices per household ({households} households billed): CPU "
            f"{cpu_ratio:.2f} ({met(cpu_ratio <= 1)}: target <= 1), wall {wall_ratio:.2f} "
            f"({met(wall_ratio <= 1)}: target <= 1)"
        )


if __name__ == "__main__":
    main()
