"""Billing runs: speed and peak memory, the demo compound (1,412 units) against one
compound of 150,000 units.

Targets (issue 10, item 5): billing 150,000 units peaks under 300 MB, and bills at least
0.8x as many units per second as the demo's 1,412 (issue 3: the demo run under 2 s).

The script builds a throw-away test database (an SQLite file by default, PostgreSQL when
DATABASE_URL says so): the demo register of 学院南路32号院 with the case's standards, and
small warm-up compounds. Each measured run then happens in a fresh child process that
imports Django, bills a warm-up compound (so both measured runs start warm), reads its
RSS high-water mark, and times :func:`fees.services.billing_run_create` for 2022
(12 months); the demo's child then runs it again (idempotent: nothing changes). The peak
is the child's VmHWM (its whole RSS high-water mark: interpreter, Django, the run); the
growth over the mark after the warm-up is what the run itself added. Children run with
DEBUG off, as deployed (DEBUG keeps the last 9,000 queries' SQL in memory). On PostgreSQL
the script then builds one compound of 150,000 units (``_scale.scaled_compound``: 300
low-rise, high-rise and bungalow buildings in turn, the demo's rates) and bills it the
same way.

Run:   .venv/bin/python bench/fees_billing.py
or:    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_fees_bench \\
           .venv/bin/python bench/fees_billing.py
"""

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from _harness import print_load, throwaway_database  # sets up Django first

# isort: split
from django.conf import settings
from django.db import connection

from fees import services
from fees.models import Charge, ChargeSubsidyLine
from households.demo import seed_register
from households.models import BuildingKind
from portal.models import Compound, StreetOffice

START = dt.date(2022, 1, 1)
BIG_UNITS = 150_000
BIG_BUILDINGS = 300  # 500 units a building, kinds in turn
KINDS = (BuildingKind.LOW_RISE, BuildingKind.HIGH_RISE, BuildingKind.BUNGALOW)
PEAK_TARGET_MB = 300
RATE_TARGET = 0.8


def maxrss_mb() -> float:
    """This process's RSS high-water mark in MB: VmHWM, which starts afresh at exec (the
    ``ru_maxrss`` of a child keeps its parent's mark from before the exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


# --- the child: one measured run in a fresh process ---------------------------------------


def bill(code: str) -> services.BillingOutcome:
    return services.billing_run_create(
        compound=Compound.objects.get(code=code), period_start=START, months=12, today=START
    )


def child(code: str, warm: str, again: bool) -> None:
    bill(warm)
    before = maxrss_mb()
    cpu = time.process_time()
    t = time.perf_counter()
    outcome = bill(code)
    elapsed = time.perf_counter() - t
    cpu = time.process_time() - cpu
    figures = {
        "created": outcome.created,
        "blocked": len(outcome.blocked),
        "seconds": elapsed,
        "cpu": cpu,
        "rss_before": before,
        "rss_peak": maxrss_mb(),
    }
    if again:
        t = time.perf_counter()
        rerun = bill(code)
        figures["again_seconds"] = time.perf_counter() - t
        figures["again_changed"] = rerun.created + rerun.adjusted
        figures["rss_after_again"] = maxrss_mb()
    print(json.dumps(figures))


# --- the parent ---------------------------------------------------------------------------


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = urllib.parse.quote(s.get("USER") or "postgres")
    if s.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(s["PASSWORD"])
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def measure(code: str, warm: str, *, again: bool) -> dict:
    """Bill ``code`` in a fresh process (after ``warm``; with ``again`` once more) and
    return what it measured."""
    env = dict(os.environ, DATABASE_URL=database_url(), DEBUG="0")
    out = subprocess.run(
        [sys.executable, __file__, "--child", code, warm, "again" if again else "once"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        sys.exit(f"child billing {code} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def warm_compound(office: StreetOffice, code: str) -> None:
    from _scale import fee_standards, scaled_compound

    fee_standards(scaled_compound(office, code, 36, buildings=3, kinds=KINDS))


def met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(label: str, m: dict) -> float:
    rate = m["created"] / m["seconds"]
    print(
        f"{label}: {m['created']:,} units billed ({m['blocked']} blocked) in "
        f"{m['seconds']:.2f} s = {rate:,.0f} units/s ({m['created'] / m['cpu']:,.0f} per "
        f"CPU-second); peak RSS {m['rss_peak']:.0f} MB (+{m['rss_peak'] - m['rss_before']:.0f} "
        f"MB over the warmed-up process's {m['rss_before']:.0f} MB)"
    )
    if "again_seconds" in m:
        print(
            f"  same run again: {m['again_seconds']:.2f} s, {m['again_changed']} created or "
            f"adjusted; peak RSS after it {m['rss_after_again']:.0f} MB"
        )
    return rate


def main() -> None:
    vendor = connection.vendor
    with (
        tempfile.TemporaryDirectory() as tmp,
        throwaway_database(Path(tmp) / "bench.sqlite3", report_load=True),
    ):
        from _scale import analyze, fee_standards, scaled_compound

        office = StreetOffice.objects.create(code="bench-office", name="基准街道")
        compound = seed_register()
        fee_standards(compound)
        warm_compound(office, "warm1")
        warm_compound(office, "warm2")
        print(f"database: {vendor}; batch {settings.FEES_BILLING_BATCH_UNITS} units")
        small = measure(compound.code, "warm1", again=True)
        small_rate = report("demo compound", small)
        print(f"  demo run under 2 s (issue 3): {met(small['seconds'] < 2)}")
        if vendor != "postgresql":
            print("150,000-unit compound: left out (PostgreSQL only; set DATABASE_URL)")
            return
        t = time.perf_counter()
        big = scaled_compound(office, "big", BIG_UNITS, buildings=BIG_BUILDINGS, kinds=KINDS)
        fee_standards(big)
        analyze()
        print(
            f"built one compound of {BIG_UNITS:,} units in {BIG_BUILDINGS} buildings in "
            f"{time.perf_counter() - t:.1f} s"
        )
        print_load("before the 150,000-unit run")
        large = measure(big.code, "warm2", again=False)
        large_rate = report(f"{BIG_UNITS:,} units, one compound", large)
        lines = ChargeSubsidyLine.objects.filter(compound=big).count()
        assert Charge.objects.filter(compound=big).count() == large["created"] == BIG_UNITS
        print(f"  {lines:,} subsidy lines written")
        ratio = large_rate / small_rate
        cpu_ratio = (large["created"] / large["cpu"]) / (small["created"] / small["cpu"])
        peak = large["rss_peak"]
        print(
            f"peak RSS at {BIG_UNITS:,} units: {peak:.0f} MB (target < {PEAK_TARGET_MB} MB: "
            f"{met(peak < PEAK_TARGET_MB)}); {peak / small['rss_peak']:.2f}x the demo run's peak"
        )
        print(
            f"units/s at {BIG_UNITS:,} vs 1,412, wall clock: {ratio:.2f}x (target >= "
            f"{RATE_TARGET}x: {met(ratio >= RATE_TARGET)}); per CPU-second of the billing "
            f"process (the database server's CPU not included): {cpu_ratio:.2f}x"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], sys.argv[4] == "again")
    else:
        main()
