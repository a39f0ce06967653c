"""Builders of roster files for the tests: rows as dicts keyed by header, written as CSV in
any encoding or as XLSX, and valid ID numbers made on the fly."""

import csv
import io
from collections.abc import Iterable, Mapping

from openpyxl import Workbook

from households.id_numbers import id_check_character
from households.roster import HEADERS


def make_id(seq: int, *, birth: str = "19800101", region: str = "110105") -> str:
    """A well-formed 18-character ID number with the right check character."""
    first17 = f"{region}{birth}{seq:03d}"
    return first17 + id_check_character(first17)


def owner_row(building: str, unit: str, name: str, seq: int, **extra: object) -> dict:
    """A sole owner's row, valid unless ``extra`` says otherwise."""
    row = {
        "楼号": building,
        "房号": unit,
        "建筑面积(m²)": "65.50",
        "面积来源": "不动产登记",
        "住宅": "是",
        "业主类型": "个人",
        "业主姓名": name,
        "证件号码": make_id(seq),
        "电话": f"1380013{seq:04d}",
        "份额": "",
        "共有人代表": "",
        "产权单位": "",
        "起始日期": "2020-05-01",
    }
    row.update(extra)
    return row


def table_cells(rows: Iterable[Mapping[str, object]], headers=HEADERS) -> list[list[object]]:
    return [list(headers)] + [[row.get(h, "") for h in headers] for row in rows]


def csv_bytes(
    rows: Iterable[Mapping[str, object]], *, encoding: str = "utf-8", headers=HEADERS
) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(table_cells(rows, headers))
    # Like Excel saving "CSV" in China: characters GBK lacks ('²' of the area header)
    # become '?'.
    return buffer.getvalue().encode(encoding, errors="replace")


def xlsx_bytes(rows: Iterable[Mapping[str, object]], *, headers=HEADERS, title_row=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title_row:
        sheet.append([title_row])
    for cells in table_cells(rows, headers):
        sheet.append([None if c == "" else c for c in cells])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
