"""Reading a roster file into a :class:`Table`: XLSX, or CSV in UTF-8 (with or without
BOM), UTF-16 or GB18030, its delimiter guessed, the header row found below any title.
Sizes, rows and columns are bounded first (:mod:`.limits`)."""

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .columns import column_field
from .limits import Limits, RosterFileError, check_size, check_xlsx, too_long, too_wide


@dataclass
class Table:
    """A sheet's header and its data rows, each with the row number a spreadsheet shows."""

    headers: list[str]
    records: list[tuple[int, list[object]]]
    header_row: int = 1
    source: str = ""


def decode_text(data: bytes) -> tuple[str, str]:
    """Text of a CSV file and the encoding used: a BOM decides; else UTF-8 if it decodes;
    else GB18030, the superset of GBK that Excel in China saves."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise RosterFileError(_("无法识别文件编码：请保存为 UTF-8 或 GBK 编码的 CSV，或 XLSX"))


def _find_header(rows: list[tuple[int, list[object]]]) -> int:
    """Index of the header row: the first of the first ten rows naming 楼号 and 房号 (a
    title row above the header is common in hand-made rosters)."""
    for index, (_number, cells) in enumerate(rows[:10]):
        fields = {column_field(c) for c in cells}
        if {"building", "unit"} <= fields:
            return index
    raise RosterFileError(_("找不到表头：前10行中没有同时包含“楼号”和“房号”的一行（请使用模板）"))


def _table_from_rows(
    rows: Iterable[tuple[int, list[object]]], source: str, limits: Limits
) -> Table:
    collected: list[tuple[int, list[object]]] = []
    for number, cells in rows:
        if number > limits.rows + 10:
            raise too_long(limits)
        if len(cells) > limits.columns:
            beyond = [i for i, c in enumerate(cells) if i >= limits.columns and _is_filled(c)]
            if beyond:
                raise too_wide(number, beyond[0] + 1)
            cells = cells[: limits.columns]
        collected.append((number, cells))
    if not any(any(_is_filled(c) for c in cells) for _n, cells in collected):
        raise RosterFileError(_("文件是空的"))
    index = _find_header(collected)
    header_row, headers = collected[index]
    records = [
        (number, cells)
        for number, cells in collected[index + 1 :]
        if any(_is_filled(c) for c in cells)
    ]
    return Table(
        headers=["" if h is None else str(h).strip() for h in headers],
        records=records,
        header_row=header_row,
        source=source,
    )


def _is_filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def read_table(data: bytes, limits: Limits | None = None) -> Table:
    """The first sheet of an XLSX file, or a CSV file in UTF-8 (with or without BOM),
    UTF-16 or GBK/GB18030, delimited by comma, semicolon or tab; within ``limits`` (by
    default those of the settings), else :class:`RosterFileError`."""
    limits = limits or Limits.from_settings()
    if not data:
        raise RosterFileError(_("文件是空的"))
    check_size(len(data), limits)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError(_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV"))
    if data.startswith(b"PK\x03\x04"):
        check_xlsx(data, limits)
        return _read_xlsx(data, limits)
    text, encoding = decode_text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: Iterable[tuple[int, list[object]]] = (
        (number, list(cells)) for number, cells in enumerate(reader, start=1)
    )
    try:
        return _table_from_rows(rows, f"CSV {encoding}", limits)
    except csv.Error as exc:
        raise RosterFileError(_("CSV 格式错误：%(reason)s") % {"reason": exc}) from None


def _read_xlsx(data: bytes, limits: Limits) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise RosterFileError(_("无法读取该 XLSX 文件（文件损坏或不是 Excel 工作簿）")) from None
    try:
        sheet = workbook.worksheets[0]
        # Some writers store a wrong sheet size; read what is there, not what it claims.
        sheet.reset_dimensions()
        # Up to column Z only: a stray cell far to the right must not widen every row.
        cells = sheet.iter_rows(max_col=limits.columns, values_only=True)
        rows = ((number, list(values)) for number, values in enumerate(cells, start=1))
        return _table_from_rows(rows, "XLSX", limits)
    finally:
        workbook.close()
