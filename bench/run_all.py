"""Run every benchmark in bench/, each in its own process, and print their figures.

The scripts read DATABASE_URL and CELERY_BROKER_URL like the portal does; without them
the PostgreSQL/Redis-only parts (150,000-unit billing, notices through Celery) say so and
are left out. `make bench` runs this with the local PostgreSQL and Redis when reachable.
At the end it prints every script's target lines (each with its figure, ratio and verdict)
and the load average before and after each script, in one place. Before each script it
waits (at most SETTLE_SECONDS) until the machine is quiet, so one script's aftermath (its
processes exiting, PostgreSQL dropping its database) is not measured as the next one's
load. Record new figures in bench/RESULTS.md with the command that produced them.
"""

import os
import re
import subprocess
import sys
import time
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
    "tickets_rates.py",
    "http_load.py",
]
# The HTTP ratios move with the machine's load: three rounds, judged on their median.
ARGUMENTS = {"http_load.py": ["--rounds", "3"]}
# The lines gathered at the end: every target's verdict and the load around each script.
SUMMARY = re.compile(r"target|load average", re.IGNORECASE)
NEEDS_REAL_SERVICES = {"fees_notices.py", "activation_letters.py", "http_load.py"}
#: Quiet: the CPUs busy less than this share of one second. Waited for at most this long.
QUIET_BUSY = 0.10
SETTLE_SECONDS = 60


def main() -> int:
    real = os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get(
        "CELERY_BROKER_URL", ""
    ).startswith("redis")
    failures = 0
    summary: list[tuple[str, int, list[str]]] = []
    for script in SCRIPTS:
        print(f"\n=== {script} ===", flush=True)
        if script in NEEDS_REAL_SERVICES and not real:
            print("left out: needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)")
            continue
        settle()
        command = [sys.executable, str(BENCH / script), *ARGUMENTS.get(script, [])]
        returncode, lines = run_echoed(command)
        failures += returncode != 0
        summary.append((script, returncode, [x for x in lines if SUMMARY.search(x)]))
    print("\n=== targets (each script's target lines and the load average around it) ===")
    for script, returncode, lines in summary:
        print(f"{script}{'' if returncode == 0 else f'  FAILED (exit {returncode})'}")
        for line in lines:
            print(f"    {line}")
    return 1 if failures else 0


def busy_share(seconds: float = 1.0) -> float:
    """How busy the machine's CPUs were over ``seconds`` (0 to 1), from /proc/stat."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle and iowait
        return sum(fields), idle

    total, idle = sample()
    time.sleep(seconds)
    total2, idle2 = sample()
    return 1 - (idle2 - idle) / max(total2 - total, 1)


def settle() -> None:
    """Wait until the machine is quiet (or SETTLE_SECONDS passed) and say how long it took."""
    started = time.monotonic()
    busy = busy_share()
    while busy >= QUIET_BUSY and time.monotonic() - started < SETTLE_SECONDS:
        busy = busy_share()
    print(
        f"settled: CPUs {busy:.0%} busy after {time.monotonic() - started:.0f} s of waiting",
        flush=True,
    )


def run_echoed(command: list[str]) -> tuple[int, list[str]]:
    """Run ``command``, echoing its output as it comes; its exit code and output lines."""
    lines = []
    with subprocess.Popen(
        command, cwd=BENCH.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line.rstrip("\n"))
    return process.returncode, lines


if __name__ == "__main__":
    sys.exit(main())
