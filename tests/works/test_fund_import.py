"""Opening balances from XLSX: all rows or none, every bad row named by its row number."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest

from portal.models import AuditEntry
from tests.factories import make_cast
from works.models import EntryKind, FundEntry, FundImport
from works.services import fund_import as importer
from works.services.fund_import import fund_import

from .fund_helpers import balance_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def good_rows():
    return [
        ["1", "0101", 5230.5, "2023-12-31", "home 首期"],
        ["1号楼", "0201", "1,200.00", dt.date(2023, 12, 31), ""],
        ["1", "0301", "0", "", ""],
        ["2", "0101", 800, "", ""],
    ]


def test_a_good_file_opens_every_unit_once(cast):
    report = fund_import(
        compound=cast.compound,
        data=balance_file(good_rows(), title="学院南路32号院 维修资金期初余额"),
        filename="期初.xlsx",
        actor=cast.committee,
    )
    assert report.ok, report.errors
    assert report.rows == 4 and report.entries == 3 and report.zero_rows == 1
    assert report.total == Decimal("7230.50")
    openings = FundEntry.objects.filter(compound=cast.compound, kind=EntryKind.OPENING)
    assert sorted(openings.values_list("amount", flat=True)) == [
        Decimal("800.00"),
        Decimal("1200.00"),
        Decimal("5230.50"),
    ]
    assert FundImport.objects.get().total == Decimal("7230.50")
    assert AuditEntry.objects.filter(action="works.fund_import").exists()
    # the same file again: every unit already has its opening balance
    again = fund_import(compound=cast.compound, data=balance_file(good_rows()), actor=None)
    assert not again.ok
    assert {e.row for e in again.errors} == {2, 3, 5}
    assert all("已有期初余额" in e.message for e in again.errors)
    assert openings.count() == 3


def test_every_bad_row_is_reported_and_nothing_is_written(cast):
    other_unit = cast.other_compound.units.select_related("building").first()
    rows = [
        ["1", "0101", "100.00"],  # row 2: fine
        ["9", "0101", "100.00"],  # 3: unknown building
        ["1", "9999", "100.00"],  # 4: unknown unit
        ["1", "0101", "100.00"],  # 5: the same unit as row 2
        ["1", "0201", "-5"],  # 6: negative
        ["1", "0301", "abc"],  # 7: not a number
        ["2", "0101", "1.005"],  # 8: finer than a fen
        ["2", "0201", "1e12"],  # 9: huge
        ["2", "0301", ""],  # 10: missing
        [other_unit.building.number, "0999", "5"],  # 11: not a unit of this compound
        ["2", "0301", "5", "2999-01-01"],  # 12: a future date
    ]
    report = fund_import(compound=cast.compound, data=balance_file(rows), actor=cast.committee)
    assert not report.ok
    assert sorted({e.row for e in report.errors}) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    by_row: dict = {}
    for error in report.errors:
        by_row[error.row] = by_row.get(error.row, "") + error.message
    assert "楼号" in by_row[3] and "本小区没有这个房屋" in by_row[4]
    assert "第2行" in by_row[5] and "负数" in by_row[6] and "不是数字" in by_row[7]
    assert "两位小数" in by_row[8] and "过大" in by_row[9] and "请填写余额" in by_row[10]
    assert "晚于今天" in by_row[12] and "第10行" in by_row[12]
    assert not FundEntry.objects.exists() and not FundImport.objects.exists()
    assert AuditEntry.objects.filter(action="works.fund_import_rejected").exists()


def test_a_unit_of_another_compound_is_unknown_here(cast):
    other = cast.other_compound.units.select_related("building").get(
        building__number="1", number="0101"
    )
    # the neighbour has the same building and unit numbers; its rows import into HOME only
    # as home's own units, never as the neighbour's
    report = fund_import(
        compound=cast.compound, data=balance_file([["1", "0101", "10"]]), actor=None
    )
    assert report.ok
    assert not FundEntry.objects.filter(unit=other).exists()
    bad = fund_import(
        compound=cast.compound, data=balance_file([["1", "0101-X", "10"]]), actor=None
    )
    assert [e.row for e in bad.errors] == [2]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "空"),
        (b"%PDF-1.4 not a spreadsheet", ""),
        (b"\xd0\xcf\x11\xe0old xls", ".xls"),
        (b"PK\x03\x04broken zip", ""),
    ],
)
def test_files_that_are_not_spreadsheets_are_refused(cast, data, reason):
    report = fund_import(compound=cast.compound, data=data, actor=None)
    assert not report.ok and report.errors[0].row is None
    assert reason in report.errors[0].message
    assert not FundEntry.objects.exists()


def test_missing_columns_and_bounds(cast, monkeypatch):
    no_balance = balance_file([["1", "0101"]], headers=("楼号", "房号"))
    report = fund_import(compound=cast.compound, data=no_balance, actor=None)
    assert not report.ok and "余额" in report.errors[0].message
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    rows = [["1", f"{i:04d}", "1"] for i in range(30)]
    report = fund_import(compound=cast.compound, data=balance_file(rows), actor=None)
    assert not report.ok and "3 行" in report.errors[0].message
    monkeypatch.setattr(importer, "MAX_UPLOAD_BYTES", 1000)
    report = fund_import(compound=cast.compound, data=balance_file(rows), actor=None)
    assert not report.ok and "过大" in report.errors[0].message
    assert not FundEntry.objects.exists()


def test_a_zip_bomb_is_refused_before_parsing(cast):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<a>" + b"0" * (90 * 1024 * 1024) + b"</a>")
    report = fund_import(compound=cast.compound, data=buffer.getvalue(), actor=None)
    assert not report.ok and "过大" in report.errors[0].message


def test_the_background_job_imports_once_and_forgets_the_file(
    cast, django_capture_on_commit_callbacks
):
    from works.services.fund_import import fund_import_enqueue, fund_import_run

    with django_capture_on_commit_callbacks(execute=True):
        job = fund_import_enqueue(
            compound=cast.compound,
            data=balance_file(good_rows()),
            filename="期初.xlsx",
            actor=cast.committee,
        )
    job.refresh_from_db()
    assert job.status == "done" and job.rows == job.rows_done == 4 and job.progress == 100
    assert job.entries.count() == 3 and not job.upload
    assert fund_import_run(job.pk) == "skipped"  # a redelivered message does nothing
    assert FundEntry.objects.count() == 3


def test_the_background_job_keeps_row_errors(cast, django_capture_on_commit_callbacks):
    from works.services.fund_import import fund_import_enqueue

    with django_capture_on_commit_callbacks(execute=True):
        job = fund_import_enqueue(
            compound=cast.compound, data=balance_file([["7", "0101", "5"]]), actor=None
        )
    job.refresh_from_db()
    assert job.status == "failed" and [e[0] for e in job.errors] == [2]
    assert not FundEntry.objects.exists()


def test_enqueue_refuses_empty_and_oversized_files(cast, monkeypatch):
    from django.core.exceptions import ValidationError

    from works.services.fund_import import fund_import_enqueue

    with pytest.raises(ValidationError):
        fund_import_enqueue(compound=cast.compound, data=b"", actor=None)
    monkeypatch.setattr(importer, "MAX_UPLOAD_BYTES", 10)
    with pytest.raises(ValidationError):
        fund_import_enqueue(compound=cast.compound, data=b"x" * 11, actor=None)
    assert not FundImport.objects.exists()
