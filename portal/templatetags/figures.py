"""Figures as the case report prints them: money and areas grouped by three, two places
(1,234.56 元, 12,345.67 m²), in Chinese and English alike.

Every page shows amounts and areas through these filters (``{% load figures %}``,
``{{ charge.owner_due|money }}``, ``{{ unit.floor_area|area }}``). Grouping is not turned
on globally (``USE_THOUSAND_SEPARATOR``) because that would also group ids and years that
templates put into links and labels (``/units/1,234/``, ``2,022年``).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()

MISSING = "—"
FEN = Decimal("0.01")


def _grouped(value: object) -> str:
    """Any number (Decimal, int, float or its text) with two places, grouped by three in
    the active language; a dash for nothing, other text unchanged."""
    if value is None or value == "":
        return MISSING
    try:
        number = Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    if not number:
        number = abs(number)  # never "-0.00"
    return number_format(number, decimal_pos=2, use_l10n=True, force_grouping=True)


@register.filter
def money(value: object) -> str:
    """Yuan to the fen: 14814 → '14,814.00' (rounded half-up, as every fee line is)."""
    return _grouped(value)


@register.filter
def area(value: object) -> str:
    """Square metres: 1234.5 → '1,234.50'."""
    return _grouped(value)


@register.filter
def area_hundredths(value: int | str | None) -> str:
    """The voting roll's integer hundredths of a square metre: 123450 → '1,234.50'."""
    if value is None or value == "":
        return MISSING
    return _grouped(Decimal(int(value)) / 100)
