"""Roster files (业主名册): read a table, check every row, group rows into units.

Pure: bytes in, plain dataclasses out, no database. What the checks need to know about
the register (its buildings, property-right units and registered ID numbers) comes in a
:class:`RosterContext`. Every problem is collected (spreadsheet row number, the column's
header as the file spells it, a specific reason) so one upload reports all bad rows.
"""

from .checks import (
    Roster,
    RosterContext,
    RosterOwner,
    RosterUnit,
    building_number,
    validate_roster,
)
from .columns import (
    AREA_SOURCE_LABELS,
    AREA_SOURCE_WORDS,
    COLUMNS,
    DATE_FORMATS,
    HEADERS,
    NO_WORDS,
    OWNER_KIND_LABELS,
    OWNER_KIND_WORDS,
    YES_WORDS,
    Column,
    column_field,
)
from .limits import MAX_COLUMNS, MAX_ROWS, Limits, RosterFileError
from .reading import Table, decode_text, read_table
from .rows import (
    AREA_LIMIT,
    SHARE_PLACES,
    RosterRow,
    RowError,
    parse_row,
    share_decimal,
)

__all__ = [
    "AREA_LIMIT",
    "AREA_SOURCE_LABELS",
    "AREA_SOURCE_WORDS",
    "COLUMNS",
    "Column",
    "DATE_FORMATS",
    "HEADERS",
    "Limits",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "NO_WORDS",
    "OWNER_KIND_LABELS",
    "OWNER_KIND_WORDS",
    "Roster",
    "RosterContext",
    "RosterFileError",
    "RosterOwner",
    "RosterRow",
    "RosterUnit",
    "RowError",
    "SHARE_PLACES",
    "Table",
    "YES_WORDS",
    "building_number",
    "column_field",
    "decode_text",
    "parse_row",
    "read_table",
    "share_decimal",
    "validate_roster",
]
