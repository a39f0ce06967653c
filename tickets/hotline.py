"""The 12345 hotline's case spreadsheet (接诉即办工单): reading it, checking every row,
and writing it back with the handling result.

Pure: bytes in, plain dataclasses out; what a row needs to know about the compound (its
units, the catalogue, the cases already imported) comes in a :class:`HotlineContext`.
Every problem is collected with its spreadsheet row number and column, so one upload
reports all bad rows; :func:`tickets.services_hotline.hotline_import` writes nothing
unless every row is good.

Columns (the header row may sit below a title, within the first 10 rows; order free;
extra columns ignored):

========== ======== ================================================================
header      required  value
========== ======== ================================================================
工单编号     yes       the hotline's case number (up to 40 characters)
受理时间     yes       date and time, e.g. 2024-03-05 14:30 (or an Excel date cell)
来电号码     no        the caller's phone (stored, shown masked)
地址        no        楼号-房号 (``3-0101``) or ``3号楼 0101`` to link a unit, else text
问题类别     yes       a catalogue name (维修, 环境卫生 …) or code (repairs …)
诉求内容     yes       the complaint, up to 2000 characters
办理时限     no        date and time; empty: receipt + the category's service level
紧急        no        是 / 否
========== ======== ================================================================

The export adds 办理状态, 首次响应时间, 办结时间, 办理结果 and 评价.
"""

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from households.roster.limits import Limits, RosterFileError, check_size, check_xlsx
from households.roster.reading import decode_text

HEADERS = {
    "case_number": "工单编号",
    "received_at": "受理时间",
    "caller_phone": "来电号码",
    "address": "地址",
    "category": "问题类别",
    "content": "诉求内容",
    "deadline": "办理时限",
    "emergency": "紧急",
}
REQUIRED = ("case_number", "received_at", "category", "content")
EXPORT_HEADERS = [
    *HEADERS.values(),
    "办理状态",
    "首次响应时间",
    "办结时间",
    "办理结果",
    "评价",
]
MAX_ROWS = 5000
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)
YES = {"是", "y", "yes", "1", "紧急", "true"}
NO = {"", "否", "n", "no", "0", "false"}
_ADDRESS = re.compile(
    r"^(?P<building>[^\s\-－号#]+)(?:号楼|号|#|\s|-|－)+\s*(?P<unit>[0-9A-Za-z\-]+)$"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class HotlineFileError(Exception):
    """The file as a whole cannot be read (format, size, header)."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass(frozen=True)
class HotlineRow:
    row: int
    case_number: str
    received_at: dt.datetime
    caller_phone: str
    unit_key: tuple[str, str] | None
    place: str
    category: str  # a catalogue code
    content: str
    deadline: dt.datetime | None
    emergency: bool


@dataclass
class HotlineContext:
    """What the checks need: catalogue names and codes → code; the compound's units by
    (building, number); cases already imported → their content."""

    categories: Mapping[str, str]
    units: Mapping[tuple[str, str], int]
    existing: Mapping[str, str]


@dataclass
class ParsedFile:
    rows: list[HotlineRow] = field(default_factory=list)
    merged: list[int] = field(default_factory=list)  # spreadsheet rows merged into another
    already: list[str] = field(default_factory=list)  # case numbers imported before
    repaired: list[int] = field(default_factory=list)  # rows whose text was mis-decoded
    errors: list[RowError] = field(default_factory=list)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", _CONTROL.sub("", str(value))).strip()


def fix_mojibake(text: str) -> tuple[str, bool]:
    """Text that was UTF-8 (or GBK) read as Latin-1 somewhere on its way ('è¡\x8c' for
    '行') decoded back; (text, True) when repaired, (text, False) when it was fine."""
    if text.isascii():
        return text, False
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        return text, False  # real CJK characters: nothing to repair
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding), True
        except UnicodeDecodeError:
            continue
    return text, False


def parse_datetime(value: object) -> dt.datetime | None:
    """A spreadsheet's date or date-time cell, or text in one of :data:`DATETIME_FORMATS`,
    as an aware datetime in the portal's time zone; None if it is none of them."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        text = _text(value)
        for pattern in DATETIME_FORMATS:
            try:
                moment = dt.datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            return None
    if timezone.is_aware(moment):
        return moment
    if not 2000 <= moment.year <= 2100:
        return None
    return timezone.make_aware(moment)


def read_rows(data: bytes, limits: Limits | None = None) -> list[tuple[int, list[object]]]:
    """The first sheet of an XLSX file (or a CSV in UTF-8, UTF-16 or GBK), bounded by the
    roster's size and archive limits, as (row number, cells)."""
    limits = limits or Limits.from_settings()
    if not data:
        raise HotlineFileError(_("文件是空的"))
    try:
        check_size(len(data), limits)
        if data.startswith(b"PK\x03\x04"):
            check_xlsx(data, limits)
            return _xlsx_rows(data)
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise HotlineFileError(_("不支持旧版 .xls 文件，请另存为 .xlsx"))
        text, _encoding = decode_text(data)
    except RosterFileError as exc:
        raise HotlineFileError(str(exc)) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [(n, list(cells)) for n, cells in enumerate(reader, start=1) if n <= MAX_ROWS + 11]
    except csv.Error as exc:
        raise HotlineFileError(_("CSV 格式错误：%(reason)s") % {"reason": exc}) from None


def _xlsx_rows(data: bytes) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise HotlineFileError(_("无法读取该 XLSX 文件（文件损坏或不是 Excel 工作簿）")) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        rows = []
        for number, values in enumerate(sheet.iter_rows(max_col=26, values_only=True), start=1):
            if number > MAX_ROWS + 11:
                raise HotlineFileError(_("行数过多：一次最多导入 %(n)d 行") % {"n": MAX_ROWS})
            rows.append((number, list(values)))
        return rows
    finally:
        workbook.close()


def _header(rows: list[tuple[int, list[object]]]) -> tuple[int, dict[str, int]]:
    for index, (_number, cells) in enumerate(rows[:10]):
        names = [_text(c) for c in cells]
        if HEADERS["case_number"] in names:
            columns = {key: names.index(title) for key, title in HEADERS.items() if title in names}
            missing = [HEADERS[key] for key in REQUIRED if key not in columns]
            if missing:
                raise HotlineFileError(
                    _("缺少必需的列：%(columns)s") % {"columns": "、".join(missing)}
                )
            return index, columns
    raise HotlineFileError(_("找不到表头：前10行中没有“工单编号”列（请使用导出的格式）"))


def parse_file(
    data: bytes,
    context: HotlineContext,
    progress: Callable[[int, int], None] | None = None,
    steps: int = 20,
) -> ParsedFile:
    """Every row checked against the catalogue, the compound's units, each other and the
    cases imported before. Raises :class:`HotlineFileError` for the file as a whole.

    ``progress(done, total)`` is called when the rows are known and then about ``steps``
    times while they are checked (never once per row: each call may write to the database)."""
    rows = read_rows(data)
    index, columns = _header(rows)
    result = ParsedFile()
    seen: dict[str, HotlineRow] = {}
    records = [(n, cells) for n, cells in rows[index + 1 :] if any(_text(c) for c in cells)]
    if not records:
        raise HotlineFileError(_("文件中没有工单"))
    if len(records) > MAX_ROWS:
        raise HotlineFileError(_("行数过多：一次最多导入 %(n)d 行") % {"n": MAX_ROWS})
    every = max(1, -(-len(records) // max(1, steps)))
    if progress is not None:
        progress(0, len(records))
    for checked, (number, cells) in enumerate(records):
        if progress is not None and checked and checked % every == 0:
            progress(checked, len(records))

        def cell(key: str, cells: list[object] = cells) -> object:
            position = columns.get(key)
            return cells[position] if position is not None and position < len(cells) else None

        errors: list[RowError] = []

        def error(key: str, message: str, number: int = number, errors: list = errors) -> None:
            errors.append(RowError(number, HEADERS[key], message))

        texts: dict[str, str] = {}
        for key in ("case_number", "caller_phone", "address", "category", "content", "emergency"):
            raw = _text(cell(key))
            fixed, repaired = fix_mojibake(raw)
            if repaired and number not in result.repaired:
                result.repaired.append(number)
            if "\ufffd" in fixed:
                error(key, _("含无法识别的字符（乱码），请检查文件编码后重新导出"))
            texts[key] = fixed
        case_number = texts["case_number"]
        if not case_number:
            error("case_number", _("工单编号为空"))
        elif len(case_number) > 40:
            error("case_number", _("工单编号最多40个字符"))
        received_at = parse_datetime(cell("received_at"))
        if received_at is None:
            error(
                "received_at",
                _("无法识别的时间“%(value)s”，请写成 2024-03-05 14:30")
                % {"value": _text(cell("received_at"))[:30]},
            )
        elif received_at > timezone.now() + dt.timedelta(minutes=5):
            error("received_at", _("受理时间不能晚于现在"))
        deadline = None
        if _text(cell("deadline")):
            deadline = parse_datetime(cell("deadline"))
            if deadline is None:
                error(
                    "deadline",
                    _("无法识别的时间“%(value)s”，请写成 2024-03-05 14:30")
                    % {"value": _text(cell("deadline"))[:30]},
                )
            elif received_at is not None and deadline < received_at:
                error("deadline", _("办理时限早于受理时间"))
        category = context.categories.get(texts["category"]) or context.categories.get(
            texts["category"].lower()
        )
        if category is None:
            error("category", _("没有“%(value)s”这个问题类别") % {"value": texts["category"][:20]})
        content = texts["content"]
        if not content:
            error("content", _("诉求内容为空"))
        elif len(content) > 2000:
            error("content", _("诉求内容最多2000个字"))
        emergency = texts["emergency"].lower()
        if emergency not in YES | NO:
            error("emergency", _("“紧急”只能填 是 或 否"))
        phone = texts["caller_phone"]
        if phone and not re.fullmatch(r"[0-9+\-() *]{3,32}", phone):
            error("caller_phone", _("来电号码只能包含数字、+、-、括号和空格"))
        unit_key = None
        place = texts["address"][:200]
        match = _ADDRESS.match(texts["address"].replace("号楼", "号楼 "))
        if match and (match["building"], match["unit"]) in context.units:
            unit_key = (match["building"], match["unit"])
        if errors:
            result.errors.extend(errors)
            continue
        assert received_at is not None and category is not None
        row = HotlineRow(
            row=number,
            case_number=case_number,
            received_at=received_at,
            caller_phone=phone,
            unit_key=unit_key,
            place="" if unit_key else place,
            category=category,
            content=content,
            deadline=deadline,
            emergency=emergency in YES,
        )
        earlier = seen.get(case_number)
        if earlier is not None:
            if earlier.content != content:
                result.errors.append(
                    RowError(
                        number,
                        HEADERS["case_number"],
                        _("工单编号 %(case)s 与第 %(row)d 行相同，但诉求内容不同")
                        % {"case": case_number, "row": earlier.row},
                    )
                )
            else:
                result.merged.append(number)
            continue
        seen[case_number] = row
        before = context.existing.get(case_number)
        if before is not None:
            if before != content:
                result.errors.append(
                    RowError(
                        number,
                        HEADERS["case_number"],
                        _("工单编号 %(case)s 已导入过，但诉求内容不同") % {"case": case_number},
                    )
                )
            else:
                result.already.append(case_number)
            continue
        result.rows.append(row)
    return result
