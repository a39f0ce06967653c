"""Bounds on a roster file, checked before anything is parsed, so a small crafted file
(a "spreadsheet bomb") cannot take a worker's memory or minutes of its time.

A roster uses 13 columns; a few more of notes are tolerated up to column Z. An XLSX file
is a zip archive: its members' sizes are read from the archive's directory (``zipfile``
never hands out more bytes than a member declares) and the first sheet is scanned as a
stream of XML events, refusing at the first value beyond column Z or the row limit,
before openpyxl builds a single row. Every other part (the shared strings above all,
which openpyxl loads whole) has a smaller bound of its own.
"""

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

MAX_ROWS = 20_000
MAX_COLUMNS = 26  # Z: the roster's 13 columns and room for a few notes
MAX_ARCHIVE_MEMBERS = 200
MAX_PART_BYTES = 8 * 1024 * 1024  # any part but the sheet, e.g. the shared strings
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


class RosterFileError(Exception):
    """The file as a whole cannot be read as a roster (size, format, encoding, header)."""


@dataclass(frozen=True)
class Limits:
    upload_bytes: int
    unpacked_bytes: int
    rows: int = MAX_ROWS
    columns: int = MAX_COLUMNS

    @classmethod
    def from_settings(cls) -> "Limits":
        """``ROSTER_MAX_UPLOAD_BYTES`` (the file as uploaded) and
        ``ROSTER_MAX_UNPACKED_BYTES`` (an XLSX archive's members, unpacked)."""
        return cls(
            upload_bytes=settings.ROSTER_MAX_UPLOAD_BYTES,
            unpacked_bytes=settings.ROSTER_MAX_UNPACKED_BYTES,
        )


def human_size(size: int) -> str:
    """5242880 → '5 MB', 2048 → '2 KB' (one decimal at most)."""
    if size >= 1024 * 1024:
        return f"{round(size / (1024 * 1024), 1):g} MB"
    return f"{round(size / 1024, 1):g} KB"


def check_size(size: int, limits: Limits) -> None:
    if size > limits.upload_bytes:
        raise RosterFileError(
            _("文件过大：上限为 %(size)s（约 %(rows)d 行），请分批导入")
            % {"size": human_size(limits.upload_bytes), "rows": limits.rows}
        )


def column_number(letters: str) -> int:
    """'A' → 1, 'Z' → 26, 'XFD' → 16384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def too_wide(row: int, column: int) -> RosterFileError:
    return RosterFileError(
        _("第%(row)d行的 %(column)s 列有内容：名册最多使用到 %(last)s 列，请删除多余的列后重试")
        % {"row": row, "column": get_column_letter(column), "last": get_column_letter(MAX_COLUMNS)}
    )


def too_long(limits: Limits) -> RosterFileError:
    return RosterFileError(_("文件超过 %(n)d 行，请分批导入") % {"n": limits.rows})


def check_xlsx(data: bytes, limits: Limits) -> None:
    """Refuse an XLSX archive whose members unpack beyond the limits, or whose first
    sheet has a value beyond column Z or beyond the row limit (a scan of the XML, one
    element at a time)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ARCHIVE_MEMBERS:
                raise RosterFileError(_("XLSX 文件内部的部件过多，不像名册"))
            unpacked = sum(m.file_size for m in members)
            if unpacked > limits.unpacked_bytes:
                raise RosterFileError(
                    _("XLSX 文件解压后过大（%(size)s，上限 %(limit)s）")
                    % {"size": human_size(unpacked), "limit": human_size(limits.unpacked_bytes)}
                )
            # Parts other than sheets (shared strings above all) are loaded whole.
            for member in members:
                if (
                    not member.filename.startswith("xl/worksheets/")
                    and member.file_size > MAX_PART_BYTES
                ):
                    raise RosterFileError(
                        _("XLSX 文件中的 %(name)s 解压后过大（%(size)s，上限 %(limit)s）")
                        % {
                            "name": member.filename,
                            "size": human_size(member.file_size),
                            "limit": human_size(MAX_PART_BYTES),
                        }
                    )
            sheet = _first_sheet(archive)
            if sheet is not None:
                with archive.open(sheet) as stream:
                    _scan_sheet(stream, limits)
    except (zipfile.BadZipFile, KeyError, ParseError, ValueError, EOFError):
        return  # not a readable workbook: openpyxl says so in its own words


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """Path of the workbook's first sheet, as openpyxl will read it."""
    workbook = _parse(archive.read("xl/workbook.xml"))
    first = next(workbook.iter(f"{_MAIN}sheet"), None)
    if first is None:
        return None
    rels = _parse(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{_RELS}Relationship"):
        if rel.get("Id") == first.get(_OFFICE_REL):
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _element_events(parser: "XMLPullParser[Element]") -> Iterator[tuple[str, Element]]:
    """The parser's pending "start" and "end" events (the only kinds it is asked for)."""
    for event in parser.read_events():
        if len(event) == 2 and isinstance(event[1], Element):
            yield event[0], event[1]


def _parse(xml: bytes) -> Element:
    parser: XMLPullParser[Element] = XMLPullParser(events=("end",))
    parser.feed(xml)
    parser.close()  # raises ParseError on a document without any element
    root = None
    for _event, element in _element_events(parser):
        root = element
    if root is None:
        raise ParseError("no element found")
    return root


def _scan_sheet(stream: IO[bytes], limits: Limits) -> None:
    """Walk the sheet's XML; refuse at the first value beyond the bounds. Cells without a
    value (formatting only) are ignored: openpyxl is told to read up to column Z only."""
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    row = column = 0
    sheet_data: Element | None = None
    row_element: Element | None = None
    while chunk := stream.read(64 * 1024):
        parser.feed(chunk)
        for event, element in _element_events(parser):
            tag = element.tag
            if event == "start":
                if tag == f"{_MAIN}row":
                    row = int(element.get("r") or row + 1)
                    column, row_element = 0, element
                elif tag == f"{_MAIN}c":
                    match = _CELL_REF.match(element.get("r") or "")
                    column = column_number(match.group(1)) if match else column + 1
                elif tag == f"{_MAIN}sheetData":
                    sheet_data = element
                continue
            # Drop each cell and row once seen: memory stays that of one cell.
            if tag == f"{_MAIN}c":
                if len(element):  # a <v> or <is>: the cell holds a value
                    if column > limits.columns:
                        raise too_wide(row, column)
                    if row > limits.rows + 10:
                        raise too_long(limits)
                if row_element is not None:
                    row_element.remove(element)
            elif tag == f"{_MAIN}row" and sheet_data is not None:
                sheet_data.remove(element)
    parser.close()
