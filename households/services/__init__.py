"""Writes to the compound register: roster import, new buildings, property-right units."""

from .register import building_create, property_right_unit_create, property_right_unit_update
from .roster import ImportReport, roster_context, roster_import

__all__ = [
    "ImportReport",
    "building_create",
    "property_right_unit_create",
    "property_right_unit_update",
    "roster_context",
    "roster_import",
]
