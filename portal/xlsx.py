"""XLSX exports that are safe to open: no cell of ours ever becomes a formula.

A text cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return,
which some spreadsheets skip before looking) is run as a formula by Excel, WPS and
LibreOffice, in the file or after a round trip through CSV ("CSV/formula injection",
OWASP). Names, addresses and notes come from users, so every exported text cell goes
through :func:`safe_cell`, which puts an apostrophe in front, the spreadsheets' own way of
saying "this is text". Numbers, dates and booleans stay typed.

Usage::

    return xlsx_response("收缴率.xlsx", Sheet(_("收缴率"), headers, rows))
"""

import datetime as dt
import io
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Control characters XML 1.0 cannot carry (openpyxl refuses them).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def safe_cell(value: object) -> object:
    """``value`` as an export cell should hold it: numbers, dates and booleans as they
    are, text with control characters removed and a leading formula trigger neutralised
    by an apostrophe (``=1+1`` → ``'=1+1``; ``-12`` as text → ``'-12``, as a number stays
    -12)."""
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date | dt.time):
        return value
    text = _ILLEGAL.sub("", str(value))
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


@dataclass
class Sheet:
    """One worksheet: a bold header row and data rows (any iterable, consumed once).

    ``text_columns`` (0-based) are formatted as text, so what people type there later
    (ID numbers, room numbers like 0101) is not turned into a number by the spreadsheet.
    """

    title: str
    headers: Sequence[object]
    rows: Iterable[Sequence[object]]
    widths: Sequence[int] | None = None
    text_columns: Sequence[int] = ()


def _sheet_title(title: str, taken: set[str]) -> str:
    base = _SHEET_TITLE_FORBIDDEN.sub("_", str(title)).strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def workbook_bytes(*sheets: Sheet) -> bytes:
    """An .xlsx file of ``sheets``, streamed row by row (constant memory per row)."""
    buffer = io.BytesIO()
    write_workbook(buffer, *sheets)
    return buffer.getvalue()


def write_workbook(target: IO[bytes], *sheets: Sheet) -> None:
    """Write ``sheets`` as an .xlsx file to ``target``, row by row: openpyxl's write-only
    mode keeps each sheet in a temporary file, not in memory."""
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    bold = Font(bold=True)
    for sheet in sheets:
        ws = workbook.create_sheet(_sheet_title(sheet.title, taken))
        widths = sheet.widths or [max(10, min(40, 2 * len(str(h)) + 4)) for h in sheet.headers]
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        for index in sheet.text_columns:
            ws.column_dimensions[get_column_letter(index + 1)].number_format = "@"
        ws.freeze_panes = "A2"
        header = []
        for title in sheet.headers:
            cell = WriteOnlyCell(ws, value=safe_cell(title))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            ws.append([safe_cell(value) for value in row])
    workbook.save(target)


def xlsx_response(filename: str, *sheets: Sheet) -> HttpResponse:
    """A download of ``sheets`` as ``filename`` (Chinese names survive: RFC 6266)."""
    response = HttpResponse(workbook_bytes(*sheets), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # Exports carry personal data, even masked: keep them out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


def xlsx_file_response(filename: str, *sheets: Sheet) -> FileResponse:
    """Like :func:`xlsx_response`, for files of any length (a whole filtered list): written
    to a temporary file and streamed from it in blocks, so neither the workbook nor the
    finished file is held in memory. The file is deleted when the response is closed."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    write_workbook(spool, *sheets)
    spool.seek(0)
    response = FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "private, no-store"
    return response
