"""Fee-notice speed: building print files through Celery, and single notices on demand.

Targets (issue 3), on this 2-core machine:
- all 1,412 demo households' building print files through Celery with 2 worker processes:
  at least 60 notices/s end to end, and at least 5x the rate of rendering one PDF per
  household, measured in the same run;
- a single household's notice on demand: median under 150 ms, file under 150 KB.

Needs PostgreSQL and Redis (the worker is a separate process). The script builds a
throw-away test database with the demo compound (register, standards, 2022 billed and
collected), times single notices in this process (median of 60 after one warm-up; sizes),
renders one PDF per household for a sample of 200 households (the baseline rate), then
starts ``celery -A portal worker --concurrency=2`` on the same database and broker, queues
the run's building files and waits until every notice is done.

Run:   DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_fees_bench \\
       CELERY_BROKER_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/fees_notices.py
"""

import os
import statistics
import sys
import time

from _harness import throwaway_database  # sets up Django: before any project import

# isort: split
from django.db import connection, transaction

from fees import demo, pdf, selectors, services
from fees.models import BillingRun, NoticeStatus
from households.demo import seed_register
from portal.worker_process import celery_worker

SINGLE_RUNS = 60
BASELINE_SAMPLE = 200


def notice_pdf(compound, charge) -> bytes:
    """One household's notice as the single download makes it: gathered, then rendered."""
    return pdf.render_notices(compound, [selectors.unit_notice(compound, charge)])


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
        charges = list(selectors.notice_charges(compound, run).order_by("id"))
        notice_pdf(compound, charges[0])  # warm-up: fonts, templates

        times, sizes = [], []
        for charge in charges[:: len(charges) // SINGLE_RUNS][:SINGLE_RUNS]:
            t = time.perf_counter()
            content = notice_pdf(compound, charge)
            times.append(time.perf_counter() - t)
            sizes.append(len(content))
        median_ms = statistics.median(times) * 1000
        print(
            f"single notice on demand: median {median_ms:.0f} ms (target < 150 ms), "
            f"p90 {statistics.quantiles(times, n=10)[-1] * 1000:.0f} ms, size median "
            f"{statistics.median(sizes) / 1024:.0f} KB, max {max(sizes) / 1024:.0f} KB "
            f"(target < 150 KB), n={len(times)}"
        )

        sample = charges[:: len(charges) // BASELINE_SAMPLE][:BASELINE_SAMPLE]
        t = time.perf_counter()
        for charge in sample:
            notice_pdf(compound, charge)
        baseline = len(sample) / (time.perf_counter() - t)
        print(f"baseline, one PDF per household (1 process): {baseline:.1f} notices/s")

        with celery_worker("bench-fees-worker.log", loglevel="WARNING"):
            cpu = time.process_time()
            t = time.perf_counter()
            with transaction.atomic():
                services.notices_start(compound=compound, run=run)
            services.notice_chunks_enqueue(run_id=run.pk)
            while BillingRun.objects.get(pk=run.pk).notice_status != NoticeStatus.DONE:
                time.sleep(0.1)
            elapsed = time.perf_counter() - t
            run.refresh_from_db()
            chunks = list(run.chunks.all())
            busy = sum((c.finished_at - c.claimed_at).total_seconds() for c in chunks)
            first = min(c.claimed_at for c in chunks)
            last = max(c.finished_at for c in chunks)
            print(
                f"  workers: first claim to last file {(last - first).total_seconds():.1f} s, "
                f"{busy / run.notices_done * 1000:.0f} ms per notice inside the tasks; this "
                f"process used {time.process_time() - cpu:.1f} s CPU meanwhile"
            )
            run.refresh_from_db()
            rate = run.notices_done / elapsed
            files = run.chunks.count()
            print(
                f"building files through Celery, 2 worker processes: {run.notices_done} notices in "
                f"{files} files, {elapsed:.1f} s end to end = {rate:.1f} notices/s "
                f"(target >= 60), {rate / baseline:.1f}x the baseline (target >= 5x)"
            )


if __name__ == "__main__":
    main()
