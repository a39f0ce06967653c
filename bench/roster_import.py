"""Roster import speed: a 1,412-household XLSX into a fresh compound.

Target (issue 2): ``import_roster`` imports the case's 1,412 households (25 apartment
buildings + 11 bungalow areas) in under 10 s. The script builds a throw-away test database
(SQLite file by default, PostgreSQL when DATABASE_URL says so), writes the XLSX into a temp
dir, and times:

1. ``manage.py import_roster`` as a separate process (wall clock, Python start included);
2. the same command in-process into another fresh compound, with the query count;
3. the same file again (idempotent: no change).

Run:   .venv/bin/python bench/roster_import.py
or on PostgreSQL (any database name; the script makes and drops test_<name>):
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_roster \
           .venv/bin/python bench/roster_import.py
"""

import datetime as dt
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import ROOT, throwaway_database  # sets up Django: before any project import

# isort: split
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from households.id_numbers import id_check_character
from households.models import Building, BuildingKind, PropertyRightUnit
from households.roster import HEADERS
from portal.models import Compound, StreetOffice

HOUSEHOLDS = 1_412
TARGET_SECONDS = 10.0
BUNGALOW_AREAS = [f"平房{n}区" for n in "一二三四五六七八九十"] + ["平房十一区"]
PROPERTY_RIGHT_UNITS = ["北京某研究所", "某建筑公司", "某大学", "某设计院"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"


def person_id(n: int) -> str:
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=(n * 37) % 20_000)
    first17 = f"110108{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_character(first17)


def roster_rows(rng: random.Random) -> list[list[object]]:
    """1,412 households: 52 or 48 per apartment building, 12 per bungalow area; about 8%
    co-owned, 3% still held by a property-right unit, 1% of unknown area, and some people
    owning two units (SPC 9: one owner each)."""
    places = [(str(b), 52 if b <= 20 else 48) for b in range(1, 26)]
    places += [(name, 12) for name in BUNGALOW_AREAS]
    assert sum(n for _place, n in places) == HOUSEHOLDS
    rows: list[list[object]] = []
    person = 0
    for building, count in places:
        for k in range(count):
            unit = (
                f"{k // 12 + 1}-{k % 12 // 2 + 1}{k % 2 + 1:02d}"
                if building.isdigit()
                else str(k + 1)
            )
            area = round(rng.uniform(38, 110), 2)
            source = rng.choices(["不动产登记", "测绘", "合同"], [80, 15, 5])[0]
            if rng.random() < 0.01:
                area, source = None, "未知"
            base = [building, unit, area, source, "是"]
            roll = rng.random()
            if roll < 0.03:
                pru = rng.choice(PROPERTY_RIGHT_UNITS)
                rows.append(base + ["单位", pru, None, None, None, None, pru, "2019-06-30"])
                continue
            owners = 2 if roll < 0.11 else 1
            for i in range(owners):
                # Now and then the previous owner also owns this unit.
                if not (owners == 1 and rng.random() < 0.02 and person > 10):
                    person += 1
                n = person
                same = random.Random(n)  # the same person keeps the same name
                name = same.choice(SURNAMES) + same.choice(GIVEN) + same.choice(GIVEN)
                share = "0.5" if owners == 2 else None
                rep = ("是" if i == 0 else "否") if owners == 2 else None
                phone = f"139{n:08d}"
                rows.append(
                    base + ["个人", name, person_id(n), phone, share, rep, None, "2021-12-10"]
                )
    return rows


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("名册")
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def fresh_compound(office: StreetOffice, code: str) -> Compound:
    compound = Compound.objects.create(street_office=office, code=code, name=f"基准小区 {code}")
    for b in range(1, 26):
        Building.objects.create(
            compound=compound,
            number=str(b),
            kind=BuildingKind.HIGH_RISE if b >= 16 else BuildingKind.LOW_RISE,
            floors=12 if b >= 16 else 6,
            lifts=2 if b >= 16 else 0,
            sort_key=b,
        )
    for name in BUNGALOW_AREAS:
        Building.objects.create(
            compound=compound,
            number=name,
            kind=BuildingKind.BUNGALOW,
            sort_key=Building.natural_sort_key(name),
        )
    for name in PROPERTY_RIGHT_UNITS:
        PropertyRightUnit.objects.create(compound=compound, name=name)
    return compound


def database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-roster-"))
    # A file, not memory, on SQLite: the separate `manage.py` process sees the same database.
    with throwaway_database(tmp / "bench.sqlite3"):
        rows = roster_rows(random.Random(32))
        path = tmp / "roster-1412.xlsx"
        write_xlsx(path, rows)
        office = StreetOffice.objects.create(code="bench-office", name="基准街道")
        fresh_compound(office, "bench-a")
        fresh_compound(office, "bench-b")
        print(
            f"database: {connection.vendor}; file: {path.name}, {path.stat().st_size // 1024} KB,"
            f" {len(rows)} rows, {HOUSEHOLDS} households"
        )

        started = time.perf_counter()
        process = subprocess.run(
            [sys.executable, "manage.py", "import_roster", "bench-a", str(path)],
            cwd=ROOT,
            env=dict(os.environ, DATABASE_URL=database_url()),
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        if process.returncode != 0:
            sys.exit(f"import_roster failed:\n{process.stdout}\n{process.stderr}")
        print(
            f"manage.py import_roster (separate process, wall clock): {wall:.2f} s"
            f" = {HOUSEHOLDS / wall:.0f} households/s; target < {TARGET_SECONDS:.0f} s"
            f" ({TARGET_SECONDS / wall:.1f}x under)"
        )

        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            call_command("import_roster", "bench-b", str(path), stdout=io.StringIO())
            first = time.perf_counter() - started
        print(
            f"import_roster in-process, fresh compound: {first:.2f} s"
            f" = {len(rows) / first:.0f} rows/s, {len(queries)} queries"
        )
        started = time.perf_counter()
        call_command("import_roster", "bench-b", str(path), stdout=io.StringIO())
        again = time.perf_counter() - started
        compound = Compound.objects.get(code="bench-b")
        print(
            f"same file again (no change): {again:.2f} s;"
            f" register: {compound.units.count()} units, {compound.owners.count()} owners,"
            f" {compound.ownerships.count()} ownerships"
        )
        if wall >= TARGET_SECONDS:
            sys.exit(f"FAIL: {wall:.2f} s is over the {TARGET_SECONDS:.0f} s target")


if __name__ == "__main__":
    main()
