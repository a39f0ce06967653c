"""One data row checked on its own (nothing about other rows or the register) into a
:class:`RosterRow`, with a :class:`RowError` for each bad value."""

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..id_numbers import normalise_credit_code, normalise_id_number
from ..models import AreaSource, OwnerKind
from ..validators import normalise_register_number, validate_register_number
from .columns import AREA_SOURCE_WORDS, DATE_FORMATS, NO_WORDS, OWNER_KIND_WORDS, YES_WORDS
from .reading import _is_filled

AREA_LIMIT = Decimal("10000000")  # Unit.floor_area has 9 digits, 2 of them decimals
SHARE_PLACES = Decimal("0.0001")  # Ownership.share has 4 decimals
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?e\+?\d+$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?\d{5,20}$")
_FORMULA_GUARD = re.compile(r"^'[=+\-@\t\r]")


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
    row.unit = normalise_register_number(text("unit"))
    if not row.unit:
        fail("unit", _("缺少房号"))
    else:
        try:
            validate_register_number(row.unit)
        except ValidationError as exc:
            fail("unit", "；".join(exc.messages))

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

    elif area_text:
        # SPC 8, 9(1): every exclusive part counts, by owner and by area. A unit with an
        # area and nobody to hold it would drop out of the voter roll and shrink the totals.
        fail(
            "owner_name",
            _("填写了建筑面积的房屋须填写业主姓名或产权单位（每套房屋都计入业主人数和面积）"),
        )

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
