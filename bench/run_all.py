"""Run every benchmark in bench/, each in its own process, and print their figures.

The scripts read DATABASE_URL and CELERY_BROKER_URL like the portal does; without them
the PostgreSQL/Redis-only parts (150,000-unit billing, notices through Celery) say so and
are left out. `make bench` runs this with the local PostgreSQL and Redis when reachable.
Record new figures in bench/RESULTS.md with the command that produced them.
"""

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = [
    "roster_import.py",
    "fees_billing.py",
    "fees_notices.py",
    "activation_letters.py",
    "voting_tally.py",
    "register_pages.py",
    "fees_collection.py",
    "voting_pages.py",
    "list_exports.py",
    "board.py",
    "http_load.py",
]
NEEDS_REAL_SERVICES = {"fees_notices.py", "activation_letters.py", "http_load.py"}


def main() -> int:
    real = os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get(
        "CELERY_BROKER_URL", ""
    ).startswith("redis")
    failures = 0
    for script in SCRIPTS:
        print(f"\n=== {script} ===", flush=True)
        if script in NEEDS_REAL_SERVICES and not real:
            print("left out: needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)")
            continue
        result = subprocess.run([sys.executable, str(BENCH / script)], cwd=BENCH.parent)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
