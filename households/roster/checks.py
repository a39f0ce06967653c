"""The whole file: each row against the register (buildings, property-right units,
registered ID numbers), the rows against each other (one owner, one unit), and the rows
grouped into units with their owners, shares and representative."""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from .columns import COLUMNS, column_field
from .reading import Table
from .rows import RosterRow, RowError, _plain, parse_row, share_decimal


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
            registered = building_number(row.building, context.buildings)
            if registered is None:
                fail(
                    row,
                    "building",
                    _("未登记的楼号：%(value)s（请先添加楼栋）") % {"value": row.building},
                )
            else:
                row.building = registered
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
            shares = {r.owner_key: r.share for r in distinct if r.share is not None}  # all
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
