"""Roster files (业主名册): read a table, check every row, group rows into units.

Pure: bytes in, plain dataclasses out, no database. What the checks need to know about
the register (its buildings, property-right units and registered ID numbers) comes in a
:class:`RosterContext`. Every problem is collected (spreadsheet row number, the column's
header as the file spells it, a specific reason) so one upload reports all bad rows.
"""

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .id_numbers import normalise_credit_code, normalise_id_number
from .models import AreaSource, OwnerKind

MAX_ROWS = 20_000
AREA_LIMIT = Decimal("10000000")  # Unit.floor_area has 9 digits, 2 of them decimals
SHARE_PLACES = Decimal("0.0001")  # Ownership.share has 4 decimals


@dataclass(frozen=True)
class Column:
    """One column of the roster: its field, the header we write, the headers we accept."""

    field: str
    header: str
    required: bool
    help: str
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column(
        "building",
        "楼号",
        True,
        gettext_lazy("已登记的楼号或平房区名称，如 16 或 16号楼"),
        ("楼栋", "楼栋号", "building"),
    ),
    Column("unit", "房号", True, gettext_lazy("如 3-201；同一楼号内唯一"), ("房间号", "unit")),
    Column(
        "area",
        "建筑面积(m²)",
        True,
        gettext_lazy("大于0，最多两位小数；仅当面积来源为“未知”时留空"),
        ("建筑面积", "面积", "area", "floor area"),
    ),
    Column(
        "area_source",
        "面积来源",
        True,
        gettext_lazy("不动产登记 / 测绘 / 合同 / 未知"),
        ("area source",),
    ),
    Column("residential", "住宅", False, gettext_lazy("是 / 否，空白为是"), ("residential",)),
    Column(
        "owner_kind",
        "业主类型",
        False,
        gettext_lazy("个人 / 单位，空白为个人（填了产权单位则为单位）"),
        ("owner type", "owner kind"),
    ),
    Column(
        "owner_name",
        "业主姓名",
        True,
        gettext_lazy("个人姓名或单位名称；由产权单位持有的房屋可留空"),
        ("业主", "姓名", "业主名称", "owner", "owner name", "name"),
    ),
    Column(
        "id_number",
        "证件号码",
        True,
        gettext_lazy(
            "个人必填：18位居民身份证号码（含校验位）或旧式15位；"
            "单位可填统一社会信用代码；请将此列设为文本格式"
        ),
        ("身份证号", "身份证号码", "证件号", "id number", "id"),
    ),
    Column("phone", "电话", False, gettext_lazy("手机或固定电话"), ("联系电话", "手机", "phone")),
    Column(
        "share",
        "份额",
        False,
        gettext_lazy("独有房屋留空（即1）；共有房屋每行填份额，合计为1，如 0.5、1/3、50%"),
        ("产权份额", "share"),
    ),
    Column(
        "representative",
        "共有人代表",
        False,
        gettext_lazy("共有房屋须恰有一位代表（是）；独有房屋留空"),
        ("代表", "representative"),
    ),
    Column(
        "property_right_unit",
        "产权单位",
        False,
        gettext_lazy("房屋尚未出售/交付、仍由产权单位持有时，填已登记的产权单位名称"),
        ("property right unit",),
    ),
    Column(
        "valid_from",
        "起始日期",
        False,
        gettext_lazy("成为业主的日期，如 2021-12-10；空白为导入当天"),
        ("产权起始日期", "valid from", "since"),
    ),
)
HEADERS = tuple(c.header for c in COLUMNS)
_COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}

AREA_SOURCE_WORDS = {
    "不动产登记": AreaSource.REGISTERED,
    "不动产登记面积": AreaSource.REGISTERED,
    "登记": AreaSource.REGISTERED,
    "registered": AreaSource.REGISTERED,
    "测绘": AreaSource.SURVEYED,
    "测绘面积": AreaSource.SURVEYED,
    "surveyed": AreaSource.SURVEYED,
    "合同": AreaSource.CONTRACT,
    "合同面积": AreaSource.CONTRACT,
    "contract": AreaSource.CONTRACT,
    "未知": AreaSource.UNKNOWN,
    "unknown": AreaSource.UNKNOWN,
}
# What the template and the export write for each source.
AREA_SOURCE_LABELS = {
    AreaSource.REGISTERED: "不动产登记",
    AreaSource.SURVEYED: "测绘",
    AreaSource.CONTRACT: "合同",
    AreaSource.UNKNOWN: "未知",
}
OWNER_KIND_WORDS = {
    "个人": OwnerKind.PERSON,
    "person": OwnerKind.PERSON,
    "单位": OwnerKind.ORGANISATION,
    "organisation": OwnerKind.ORGANISATION,
    "organization": OwnerKind.ORGANISATION,
}
OWNER_KIND_LABELS = {OwnerKind.PERSON: "个人", OwnerKind.ORGANISATION: "单位"}
YES_WORDS = {"是", "y", "yes", "true", "1", "√", "✓"}
NO_WORDS = {"否", "n", "no", "false", "0", "×", "✗"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?e\+?\d+$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?\d{5,20}$")
_FORMULA_GUARD = re.compile(r"^'[=+\-@\t\r]")


class RosterFileError(Exception):
    """The file as a whole cannot be read as a roster (format, encoding, header)."""


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet's row number (None: the whole file), the column's
    header as the file has it ("" when about the row as a whole), and why."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        where = _("第%(row)d行") % {"row": self.row}
        if self.column:
            where += f" · {self.column}"
        return f"{where}：{self.message}"


@dataclass
class Table:
    """A sheet's header and its data rows, each with the row number a spreadsheet shows."""

    headers: list[str]
    records: list[tuple[int, list[object]]]
    header_row: int = 1
    source: str = ""


@dataclass
class RosterRow:
    """One data row, its values checked one by one (fields in ``bad`` failed)."""

    row: int
    building: str = ""
    unit: str = ""
    floor_area: Decimal | None = None
    area_source: str = AreaSource.UNKNOWN
    is_residential: bool = True
    owner_kind: str = ""
    owner_name: str = ""
    id_number: str = ""
    phone: str = ""
    share: Fraction | None = None
    is_representative: bool | None = None
    property_right_unit: str = ""
    valid_from: dt.date | None = None
    bad: set[str] = field(default_factory=set)

    @property
    def has_owner(self) -> bool:
        return bool(self.owner_name or self.id_number or self.property_right_unit)

    @property
    def owner_key(self) -> str:
        """Who this row's owner is, across rows and against the register (SPC 9): the
        property-right unit, else the ID number or credit code, else an organisation's name."""
        if self.property_right_unit:
            return f"pru:{self.property_right_unit}"
        if self.id_number:
            return f"id:{self.id_number}"
        return f"org:{self.owner_name}"


@dataclass
class RosterOwner:
    key: str
    kind: str
    name: str
    id_number: str
    phone: str
    property_right_unit: str
    share: Decimal
    is_representative: bool
    valid_from: dt.date | None
    row: int


@dataclass
class RosterUnit:
    """One unit as the file states it: its area and its complete set of current owners."""

    building: str
    number: str
    floor_area: Decimal | None
    area_source: str
    is_residential: bool
    rows: list[int]
    owners: list[RosterOwner]


@dataclass(frozen=True)
class RosterContext:
    """What the checks need to know about the register, loaded by the caller."""

    buildings: frozenset[str]
    property_right_units: frozenset[str]
    registered_names: Mapping[str, str]  # ID number → owner name already in the register
    today: dt.date


@dataclass
class Roster:
    units: list[RosterUnit]
    errors: list[RowError]
    row_count: int
    source: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # field → header as in the file

    @property
    def ok(self) -> bool:
        return not self.errors


# --- reading files ----------------------------------------------------------------------


def _header_key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower().rstrip("*")


def _alias_table() -> dict[str, str]:
    table = {}
    for column in COLUMNS:
        for name in (column.header, *column.aliases):
            key = _header_key(name)
            table[key] = column.field
            table[re.sub(r"\(.*?\)", "", key)] = column.field
    return table


_ALIASES = _alias_table()


def column_field(header: object) -> str | None:
    """The field a header names ('建筑面积（㎡）' and 'Floor area' both name ``area``)."""
    if header is None:
        return None
    key = _header_key(str(header))
    return _ALIASES.get(key) or _ALIASES.get(re.sub(r"\(.*?\)", "", key))


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


def _table_from_rows(rows: Iterable[tuple[int, list[object]]], source: str) -> Table:
    collected: list[tuple[int, list[object]]] = []
    for number, cells in rows:
        if number > MAX_ROWS + 10:
            raise RosterFileError(_("文件超过 %(n)d 行，请分批导入") % {"n": MAX_ROWS})
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


def read_table(data: bytes) -> Table:
    """The first sheet of an XLSX file, or a CSV file in UTF-8 (with or without BOM),
    UTF-16 or GBK/GB18030, delimited by comma, semicolon or tab."""
    if not data:
        raise RosterFileError(_("文件是空的"))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError(_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV"))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    text, encoding = decode_text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        rows = [
            (number, list(cells))
            for number, cells in enumerate(
                csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
            )
        ]
    except csv.Error as exc:
        raise RosterFileError(_("CSV 格式错误：%(reason)s") % {"reason": exc}) from None
    return _table_from_rows(rows, f"CSV {encoding}")


def _read_xlsx(data: bytes) -> Table:
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
        rows = (
            (number, list(cells))
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _table_from_rows(rows, "XLSX")
    finally:
        workbook.close()


# --- one row ----------------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell as text: numbers without a spurious '.0', dates as ISO, our own export's
    formula guard (a leading apostrophe) removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if _FORMULA_GUARD.match(text):
        text = text[1:]
    return text


def _plain(text: str) -> str:
    """Full-width digits and letters to ASCII, spaces removed (for numbers and codes)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _parse_area(text: str) -> Decimal:
    plain = _plain(text).lower()
    for suffix in ("m2", "平方米", "平米"):
        plain = plain.removesuffix(suffix)
    try:
        area = Decimal(plain.replace(",", ""))
    except InvalidOperation:
        area = Decimal("NaN")
    if not area.is_finite():
        raise ValueError(_("建筑面积不是数字：%(value)s") % {"value": text})
    if area < 0:
        raise ValueError(_("面积不能为负数"))
    if area == 0:
        raise ValueError(_("面积须大于0"))
    if area >= AREA_LIMIT:
        raise ValueError(_("面积过大（不超过 9,999,999.99 m²）"))
    if area != area.quantize(Decimal("0.01")):
        raise ValueError(_("面积最多保留两位小数"))
    return area.quantize(Decimal("0.01"))


def _parse_share(text: str) -> Fraction:
    """'0.5', '1/3' and '50%' are shares; at most 4 decimals (2 in percent)."""
    plain = _plain(text)
    too_fine = False
    try:
        if "/" in plain:
            numerator, denominator = plain.split("/", 1)
            share = Fraction(int(numerator), int(denominator))
        else:
            percent = plain.endswith("%")
            number = Decimal(plain.removesuffix("%"))
            if not number.is_finite() or abs(number) > 1000:
                raise ValueError
            too_fine = number != number.quantize(Decimal("0.01") if percent else SHARE_PLACES)
            share = Fraction(number) / (100 if percent else 1)
    except (ValueError, InvalidOperation, ZeroDivisionError):
        raise ValueError(_("份额不是数字：%(value)s") % {"value": text}) from None
    if too_fine:
        raise ValueError(_("份额最多4位小数（或写成分数，如 1/3）"))
    if share <= 0:
        raise ValueError(_("份额须大于0"))
    if share > 1:
        raise ValueError(_("份额不能大于1"))
    return share


def share_decimal(share: Fraction) -> Decimal:
    """A share as stored (4 decimals, half-up): 1/3 → 0.3333."""
    exact = Decimal(share.numerator) / Decimal(share.denominator)
    return exact.quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


def _parse_yes_no(text: str, column: str) -> bool:
    word = _plain(text).lower()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise ValueError(
        _("“%(column)s”应填“是”或“否”，而不是“%(value)s”") % {"column": column, "value": text}
    )


def _parse_date(value: object, *, today: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = _plain(_text(value))
        for pattern in DATE_FORMATS:
            try:
                day = dt.datetime.strptime(text, pattern).date()
                break
            except ValueError:
                continue
        else:
            raise ValueError(
                _("起始日期无法识别：%(value)s（应为 2021-12-10 这样的日期）") % {"value": text}
            )
    if day > today:
        raise ValueError(_("起始日期晚于今天"))
    if day.year < 1900:
        raise ValueError(_("起始日期早于1900年"))
    return day


def parse_row(
    number: int, cells: Mapping[str, object], headers: Mapping[str, str], *, today: dt.date
) -> tuple[RosterRow, list[RowError]]:
    """Check one row's values on their own (nothing about other rows or the register)."""
    row = RosterRow(row=number)
    errors: list[RowError] = []

    def fail(field_name: str, message: str) -> None:
        row.bad.add(field_name)
        errors.append(RowError(number, headers[field_name], message))

    def text(field_name: str) -> str:
        return _text(cells.get(field_name))

    row.building = text("building")
    if not row.building:
        fail("building", _("缺少楼号"))
    elif len(row.building) > 32:
        fail("building", _("楼号过长（最多32字）"))
    row.unit = text("unit")
    if not row.unit:
        fail("unit", _("缺少房号"))
    elif len(row.unit) > 32:
        fail("unit", _("房号过长（最多32字）"))

    source_text = text("area_source")
    source = AREA_SOURCE_WORDS.get(_plain(source_text).lower()) if source_text else None
    if source_text and source is None:
        fail(
            "area_source",
            _("面积来源应为 不动产登记/测绘/合同/未知，而不是“%(value)s”") % {"value": source_text},
        )
    area_text = text("area")
    if area_text:
        try:
            row.floor_area = _parse_area(area_text)
        except ValueError as exc:
            fail("area", str(exc))
        if source == AreaSource.UNKNOWN:
            fail("area_source", _("面积来源为“未知”时不应填写面积"))
        elif source is None and not source_text:
            fail("area_source", _("填写了面积时须注明面积来源（不动产登记/测绘/合同）"))
    elif source not in (None, AreaSource.UNKNOWN):
        fail("area", _("缺少建筑面积（仅当面积来源为“未知”时可留空）"))
    row.area_source = source or AreaSource.UNKNOWN

    if text("residential"):
        try:
            row.is_residential = _parse_yes_no(text("residential"), headers["residential"])
        except ValueError as exc:
            fail("residential", str(exc))

    row.owner_name = text("owner_name")
    row.property_right_unit = text("property_right_unit")
    kind_text = text("owner_kind")
    kind = OWNER_KIND_WORDS.get(_plain(kind_text).lower()) if kind_text else None
    if kind_text and kind is None:
        fail(
            "owner_kind", _("业主类型应为“个人”或“单位”，而不是“%(value)s”") % {"value": kind_text}
        )

    raw_id = cells.get("id_number")
    id_text = _text(raw_id)
    if row.property_right_unit:
        row.owner_kind = OwnerKind.ORGANISATION
        if kind == OwnerKind.PERSON:
            fail("owner_kind", _("由产权单位持有的房屋，业主类型应为“单位”"))
        if row.owner_name and row.owner_name != row.property_right_unit:
            fail("owner_name", _("由产权单位持有的房屋，业主姓名应留空或与产权单位名称相同"))
        row.owner_name = row.property_right_unit
        if id_text:
            fail("id_number", _("由产权单位持有的房屋不填证件号码"))
    elif row.owner_name or id_text or kind:
        row.owner_kind = kind or OwnerKind.PERSON
        if not row.owner_name:
            fail("owner_name", _("缺少业主姓名"))
        elif len(row.owner_name) > 200:
            fail("owner_name", _("业主姓名过长（最多200字）"))
        if isinstance(raw_id, float) or _SCIENTIFIC.match(id_text):
            fail(
                "id_number",
                _("证件号码被存成了数字，末几位已丢失：请把该列设为“文本”格式后重新填写"),
            )
        elif row.owner_kind == OwnerKind.PERSON:
            if not id_text:
                fail("id_number", _("个人业主须填写证件号码"))
            else:
                try:
                    row.id_number = normalise_id_number(_plain(id_text), today=today)
                except ValueError as exc:
                    fail("id_number", str(exc))
        elif id_text:
            try:
                row.id_number = normalise_credit_code(_plain(id_text))
            except ValueError as exc:
                fail("id_number", str(exc))

    phone_text = text("phone")
    if phone_text:
        phone = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", phone_text))
        if _PHONE.match(phone):
            row.phone = phone
        else:
            fail("phone", _("电话号码格式不正确：%(value)s") % {"value": phone_text})

    if text("share"):
        try:
            row.share = _parse_share(text("share"))
        except ValueError as exc:
            fail("share", str(exc))
    if text("representative"):
        try:
            row.is_representative = _parse_yes_no(text("representative"), headers["representative"])
        except ValueError as exc:
            fail("representative", str(exc))
    if _is_filled(cells.get("valid_from")):
        try:
            row.valid_from = _parse_date(cells["valid_from"], today=today)
        except ValueError as exc:
            fail("valid_from", str(exc))
    return row, errors


# --- the whole file ---------------------------------------------------------------------


def _header_names(table: Table) -> tuple[dict[str, int], dict[str, str], list[RowError]]:
    """Position and spelling of each known column; errors for missing or repeated ones."""
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    for index, header in enumerate(table.headers):
        name = column_field(header)
        if name is None:
            continue
        if name in positions:
            errors.append(
                RowError(table.header_row, header, _("列“%(header)s”重复") % {"header": header})
            )
            continue
        positions[name] = index
    names = {c.field: c.header for c in COLUMNS}
    names.update({f: table.headers[i] for f, i in positions.items()})
    missing = [c.header for c in COLUMNS if c.required and c.field not in positions]
    if missing:
        errors.append(
            RowError(
                table.header_row,
                "、".join(missing),
                _("缺少必需的列：%(columns)s") % {"columns": "、".join(missing)},
            )
        )
    return positions, names, errors


def building_number(value: str, buildings: frozenset[str]) -> str | None:
    """The registered 楼号 a cell means: '16', '16号楼' and '16 号楼' all mean '16'."""
    if value in buildings:
        return value
    plain = _plain(value)
    for candidate in (plain, plain.removesuffix("号楼"), plain.removesuffix("楼")):
        if candidate in buildings:
            return candidate
    return None


def validate_roster(table: Table, context: RosterContext) -> Roster:
    """Check every row on its own, against the register and against the other rows, and
    group the rows into units. ``Roster.errors`` lists every problem found."""
    positions, headers, errors = _header_names(table)
    if errors:
        return Roster(units=[], errors=errors, row_count=len(table.records), source=table.source)

    rows: list[RosterRow] = []
    for number, cells in table.records:
        values = {f: cells[i] if i < len(cells) else None for f, i in positions.items()}
        row, row_errors = parse_row(number, values, headers, today=context.today)
        errors.extend(row_errors)
        rows.append(row)

    def fail(row: RosterRow, field_name: str, message: str) -> None:
        row.bad.add(field_name)
        errors.append(RowError(row.row, headers[field_name], message))

    for row in rows:
        if row.building and "building" not in row.bad:
            number = building_number(row.building, context.buildings)
            if number is None:
                fail(
                    row,
                    "building",
                    _("未登记的楼号：%(value)s（请先添加楼栋）") % {"value": row.building},
                )
            else:
                row.building = number
        if row.property_right_unit and row.property_right_unit not in context.property_right_units:
            fail(
                row,
                "property_right_unit",
                _("未登记的产权单位：%(value)s") % {"value": row.property_right_unit},
            )
        registered = context.registered_names.get(row.id_number) if row.id_number else None
        if registered is not None and registered != row.owner_name:
            fail(row, "owner_name", _("业主冲突：该证件号码在名册中已登记为另一姓名的业主"))

    _check_owners_across_rows(rows, fail)
    units = _group_units(rows, fail)
    errors.sort(key=lambda e: (e.row or 0, _column_order(e.column, headers)))
    return Roster(
        units=units, errors=errors, row_count=len(rows), source=table.source, headers=headers
    )


def _column_order(header: str, headers: Mapping[str, str]) -> int:
    for index, column in enumerate(COLUMNS):
        if headers.get(column.field) == header:
            return index
    return len(COLUMNS)


def _check_owners_across_rows(rows: list[RosterRow], fail) -> None:
    """The same owner (ID number) must have one name, one kind and one phone everywhere."""
    first_seen: dict[str, RosterRow] = {}
    for row in rows:
        if not row.has_owner or not row.id_number:
            continue
        first = first_seen.setdefault(row.owner_key, row)
        if first is row:
            continue
        if row.owner_name != first.owner_name and "owner_name" not in row.bad:
            fail(
                row,
                "owner_name",
                _("业主冲突：同一证件号码在第%(row)d行的业主姓名不同") % {"row": first.row},
            )
        elif row.owner_kind != first.owner_kind and "owner_kind" not in row.bad:
            fail(
                row,
                "owner_kind",
                _("业主冲突：同一证件号码在第%(row)d行的业主类型不同") % {"row": first.row},
            )
        if row.phone and first.phone and row.phone != first.phone:
            fail(row, "phone", _("同一业主在第%(row)d行的电话不同") % {"row": first.row})


def _group_units(rows: list[RosterRow], fail) -> list[RosterUnit]:
    groups: dict[tuple[str, str], list[RosterRow]] = defaultdict(list)
    for row in rows:
        if row.building and row.unit and not {"building", "unit"} & row.bad:
            groups[(row.building, row.unit)].append(row)
    units = []
    for (building, number), members in groups.items():
        first = members[0]
        for row in members[1:]:
            if row.floor_area != first.floor_area and not {"area"} & (row.bad | first.bad):
                fail(row, "area", _("同一房屋在第%(row)d行的建筑面积不同") % {"row": first.row})
            if row.area_source != first.area_source and not {"area_source"} & (row.bad | first.bad):
                fail(
                    row,
                    "area_source",
                    _("同一房屋在第%(row)d行的面积来源不同") % {"row": first.row},
                )
            if row.is_residential != first.is_residential and not {"residential"} & (
                row.bad | first.bad
            ):
                fail(
                    row,
                    "residential",
                    _("同一房屋在第%(row)d行的住宅属性不同") % {"row": first.row},
                )
        owners = _unit_owners(members, fail)
        units.append(
            RosterUnit(
                building=building,
                number=number,
                floor_area=first.floor_area,
                area_source=first.area_source,
                is_residential=first.is_residential,
                rows=[r.row for r in members],
                owners=owners,
            )
        )
    return units


def _unit_owners(members: list[RosterRow], fail) -> list[RosterOwner]:
    """The unit's owners: one sole owner, or co-owners whose shares sum to exactly 1 with
    exactly one representative (the one who casts the unit's single ballot)."""
    with_owner = [r for r in members if r.has_owner]
    seen: dict[str, RosterRow] = {}
    for row in members:
        if not row.has_owner:
            if len(members) > 1:
                other = next(r for r in members if r is not row)
                fail(
                    row,
                    "owner_name",
                    _("重复的房屋：第%(row)d行已有同一房屋，本行又没有业主") % {"row": other.row},
                )
            continue
        first = seen.setdefault(row.owner_key, row)
        if first is not row:
            fail(
                row,
                "unit",
                _("重复的房屋：与第%(row)d行是同一房屋、同一业主") % {"row": first.row},
            )
    if not with_owner:
        return []
    distinct = list(seen.values())
    if len(distinct) == 1:
        row = distinct[0]
        if row.share is not None and row.share != 1:
            fail(row, "share", _("独有房屋的份额应为1（或留空）"))
        if row.is_representative is False:
            fail(row, "representative", _("独有房屋的业主即为代表，不能填“否”"))
        shares = {row.owner_key: Fraction(1)}
        representative = row.owner_key
    else:
        rows_text = "、".join(str(r.row) for r in distinct)
        if any("share" in r.bad for r in distinct):
            shares = {}
        elif any(r.share is None for r in distinct):
            for row in distinct:
                if row.share is None:
                    fail(
                        row,
                        "share",
                        _("同一房屋出现在多行（第%(rows)s行），视为共有：须填写份额")
                        % {"rows": rows_text},
                    )
            shares = {}
        else:
            shares = {r.owner_key: r.share for r in distinct}
            total = sum(shares.values(), Fraction(0))
            if total != 1:
                for row in distinct:
                    fail(
                        row,
                        "share",
                        _("共有房屋（第%(rows)s行）的份额合计为 %(total)s，应为 1")
                        % {"rows": rows_text, "total": _fraction_text(total)},
                    )
        representatives = [r for r in distinct if r.is_representative]
        if "representative" not in set().union(*(r.bad for r in distinct)) and (
            len(representatives) != 1
        ):
            for row in distinct:
                fail(
                    row,
                    "representative",
                    _("共有房屋（第%(rows)s行）须恰有一位共有人代表，现有 %(n)d 位")
                    % {"rows": rows_text, "n": len(representatives)},
                )
        representative = representatives[0].owner_key if representatives else ""
    return [
        RosterOwner(
            key=r.owner_key,
            kind=r.owner_kind,
            name=r.owner_name,
            id_number=r.id_number,
            phone=r.phone,
            property_right_unit=r.property_right_unit,
            share=share_decimal(shares.get(r.owner_key, Fraction(1))),
            is_representative=r.owner_key == representative,
            valid_from=r.valid_from,
            row=r.row,
        )
        for r in distinct
    ]


def _fraction_text(value: Fraction) -> str:
    if value.denominator in (1, 2, 4, 5, 8, 10, 16, 20, 25, 40, 50, 100, 1000, 10000):
        return str(Decimal(value.numerator) / Decimal(value.denominator))
    return f"{value.numerator}/{value.denominator}"
