"""The safe XLSX writer: formulas neutralised, types kept, file readable."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.xlsx import XLSX_CONTENT_TYPE, Sheet, safe_cell, workbook_bytes, xlsx_response


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-12", "'-12"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("张三", "张三"),
        ("a=b", "a=b"),
        ("", ""),
        ("bell\x07", "bell"),
    ],
)
def test_safe_cell_neutralises_leading_formula_triggers(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize("value", [None, -12, 3.5, Decimal("-1.25"), True, dt.date(2021, 12, 10)])
def test_safe_cell_keeps_typed_values(value):
    assert safe_cell(value) is value


def test_workbook_reads_back_as_text_not_formulas():
    data = workbook_bytes(
        Sheet("名单", ["姓名", "=header"], [["=1+1", Decimal("65.50")], ["@x", -3]]),
        Sheet("名单", ["second"], [["-2"]]),
    )
    workbook = load_workbook(io.BytesIO(data))
    first, second = workbook.worksheets
    assert [first.title, second.title] == ["名单", "名单 (2)"]
    cells = [list(row) for row in first.iter_rows()]
    assert [c.value for c in cells[0]] == ["姓名", "'=header"]
    assert [c.value for c in cells[1]] == ["'=1+1", 65.5]
    assert [c.value for c in cells[2]] == ["'@x", -3]
    assert all(c.data_type != "f" for row in cells for c in row)
    assert first.freeze_panes == "A2"
    assert second["A2"].value == "'-2"


def test_response_is_an_attachment_with_a_chinese_name():
    response = xlsx_response("名册 home.xlsx", Sheet("s", ["a"], [[1]]))
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E5%90%8D%E5%86%8C%20home.xlsx"
    )
    assert "no-store" in response["Cache-Control"]
    assert load_workbook(io.BytesIO(response.content)).active["A2"].value == 1


def test_text_columns_are_formatted_as_text():
    data = workbook_bytes(Sheet("s", ["房号", "证件号码"], [["0101", "x"]], text_columns=[1]))
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.column_dimensions["B"].number_format == "@"
    assert sheet.column_dimensions["A"].number_format == "General"
