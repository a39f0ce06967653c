"""Issue 8.6: spreadsheet bombs. Small crafted files that unpack or widen into gigabytes
are refused before parsing, quickly, in a process whose memory is capped; uploads are
bounded by ROSTER_MAX_UPLOAD_BYTES on the page and in the command."""

import io
import json
import os
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from households.roster import HEADERS, Limits, RosterFileError, read_table

from .roster_files import csv_bytes, owner_row, xlsx_bytes

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
MEMORY_HEADROOM = 200 * 1024 * 1024  # what the parse may add to the process
SECONDS = 10  # generous: the machine is shared; each refusal takes well under a second


SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def with_members(replacements: dict[str, bytes], extra: dict[str, bytes] | None = None):
    """A real workbook (the roster header and one row) with some members replaced."""
    extra = extra or {}
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([owner_row("1", "101", "张三", 1)])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml" and "xl/sharedStrings.xml" in extra:
                data = data.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            target.writestr(info.filename, replacements.get(info.filename, data))
        for name, data in extra.items():  # openpyxl now loads these shared strings
            target.writestr(name, data)
    return out.getvalue()


def header_row() -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
        for i, h in enumerate(HEADERS)
    )
    return f'<row r="1">{cells}</row>'


def sheet(rows: str) -> bytes:
    return f"<worksheet {NS}><sheetData>{header_row()}{rows}</sheetData></worksheet>".encode()


def far_column_bomb() -> bytes:
    """One cell in column XFD on 20,000 rows: ~100 KB that openpyxl widened to 2.7 GB."""
    rows = "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>' for n in range(2, 20_002))
    return with_members({"xl/worksheets/sheet1.xml": sheet(rows)})


def shared_strings_bomb() -> bytes:
    """Three million tiny shared strings: 50 MB of XML from a ~100 KB file."""
    strings = b"<si><t>a</t></si>" * 3_000_000
    xml = f'<sst {NS} count="3000000" uniqueCount="3000000">'.encode() + strings + b"</sst>"
    return with_members({}, extra={"xl/sharedStrings.xml": xml})


def inflating_member_bomb() -> bytes:
    """A member of 200 MB of zeros, compressed to ~200 KB."""
    return with_members({}, extra={"xl/media/image1.png": bytes(200 * 1024 * 1024)})


def far_row_bomb() -> bytes:
    return with_members(
        {"xl/worksheets/sheet1.xml": sheet('<row r="1048576"><c r="A1048576"><v>1</v></c></row>')}
    )


PARSE_UNDER_A_CAP = textwrap.dedent(
    """
    import json, os, resource, sys, time
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    import openpyxl.reader.excel  # everything the parse needs, loaded before the cap
    from households.roster import RosterFileError, read_table

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    for path in sys.argv[2:]:
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))  # the last file's cap is lifted
        data = open(path, "rb").read()
        size = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
        cap = size + int(sys.argv[1])
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        start = time.monotonic()
        try:
            read_table(data)
        except RosterFileError as exc:
            outcome = f"REFUSED {round(time.monotonic() - start, 2)} {exc}"
        except MemoryError:
            outcome = "MemoryError: the parse went over the cap"
        else:
            outcome = "READ"
        del data
        print(json.dumps([path, outcome]), flush=True)
    """
)


def parse_in_capped_process(files: dict[str, bytes], tmp_path: Path) -> dict[str, str]:
    """Each file parsed in one Python process (started once for all of them), under a cap
    of the process's size before that file's parse plus MEMORY_HEADROOM."""
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / f"{name}.xlsx"
        paths[name].write_bytes(data)
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    result = subprocess.run(
        [sys.executable, "-c", PARSE_UNDER_A_CAP, str(MEMORY_HEADROOM), *map(str, paths.values())],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outcomes = dict(json.loads(line) for line in result.stdout.splitlines())
    return {name: outcomes[str(path)] for name, path in paths.items()}


BOMBS = {
    "column-XFD-on-20000-rows": (far_column_bomb, "XFD 列有内容"),
    "shared-strings": (shared_strings_bomb, "解压后过大"),
    "inflating-member": (inflating_member_bomb, "解压后过大"),
    "row-1048576": (far_row_bomb, "超过 20000 行"),
}


@pytest.fixture(scope="module")
def bombs_parsed(tmp_path_factory) -> dict[str, tuple[int, str]]:
    """Size and capped-parse outcome of every crafted file (one subprocess for all four:
    Django's and openpyxl's start-up, not the refusals, was most of these tests' time)."""
    files = {name: make_file() for name, (make_file, _words) in BOMBS.items()}
    outcomes = parse_in_capped_process(files, tmp_path_factory.mktemp("bombs"))
    return {name: (len(files[name]), outcomes[name]) for name in BOMBS}


@pytest.mark.parametrize("name", BOMBS)
def test_a_crafted_file_is_refused_quickly_under_a_memory_cap(bombs_parsed, name):
    size, outcome = bombs_parsed[name]
    assert size < 1024 * 1024
    assert outcome.startswith("REFUSED"), outcome
    seconds = float(outcome.split()[1])
    assert seconds < SECONDS
    assert BOMBS[name][1] in outcome


def test_shared_strings_have_their_own_bound_below_the_unpacked_one():
    strings = b"<si><t>a</t></si>" * 600_000  # 10 MB: under 40 MB unpacked, over 8 MB
    xml = f"<sst {NS}>".encode() + strings + b"</sst>"
    with pytest.raises(RosterFileError, match="sharedStrings.xml 解压后过大"):
        read_table(with_members({}, extra={"xl/sharedStrings.xml": xml}))


def test_blank_formatted_cells_far_right_are_ignored_not_read():
    """Formatting alone (a border far to the right) is no reason to refuse a roster."""
    row = owner_row("1", "101", "张三", 1)
    cells = "".join(
        f'<c r="{chr(65 + i)}2" t="inlineStr"><is><t>{row[h]}</t></is></c>'
        for i, h in enumerate(HEADERS)
        if row[h]
    )
    data = with_members(
        {"xl/worksheets/sheet1.xml": sheet(f'<row r="2">{cells}<c r="XFD2" s="0"/></row>')}
    )
    table = read_table(data)
    assert [len(cells) for _n, cells in table.records] == [26]


def test_a_csv_wider_than_column_z_is_refused():
    wide = ",".join(["1", "102"] + [""] * 30 + ["x"]).encode() + b"\n"
    with pytest.raises(RosterFileError, match="第3行的 AG 列有内容"):
        read_table(csv_bytes([owner_row("1", "101", "张三", 1)]) + wide)


def test_a_csv_of_a_million_empty_lines_stops_at_the_row_limit():
    data = csv_bytes([owner_row("1", "101", "张三", 1)]) + b",\n" * 1_000_000
    start = time.monotonic()
    with pytest.raises(RosterFileError, match="超过 100 行"):
        read_table(data, Limits(upload_bytes=len(data), unpacked_bytes=1, rows=100))
    assert time.monotonic() - start < SECONDS


def test_a_file_over_the_upload_limit_is_refused_before_reading(settings):
    settings.ROSTER_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(RosterFileError, match="文件过大"):
        read_table(b"x" * 1001)


def test_the_page_refuses_an_upload_over_the_setting(cast, client, settings):
    settings.ROSTER_MAX_UPLOAD_BYTES = 2 * 1024
    client.force_login(cast.committee)
    data = csv_bytes([owner_row("1", f"{n}01", "张三", 1) for n in range(30)])
    assert len(data) > 2 * 1024
    response = client.post(
        f"/c/{cast.compound.code}/roster/", {"file": SimpleUploadedFile("r.csv", data)}
    )
    assert response.status_code == 400
    assert "文件过大：上限为 2 KB" in response.content.decode()
    assert not cast.compound.units.filter(number="101").exists()


def test_the_command_refuses_a_file_over_the_setting(cast, settings, tmp_path):
    settings.ROSTER_MAX_UPLOAD_BYTES = 1024
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes([owner_row("1", f"{n}01", "张三", 1) for n in range(30)]))
    with pytest.raises(CommandError, match="文件过大"):
        call_command("import_roster", cast.compound.code, str(path))
