"""The owner's own works on their home page: per project their units' shares and what
they paid, and their maintenance-fund balance (board/home.html includes it for residents).

A constant number of queries whatever the number of flats or projects: one for the
contributions of all the resident's units, one per compound for the fund balances."""

from collections.abc import Iterable
from typing import Any

from django import template

from households.models import Unit
from portal.access import AnyUser

from ..receipt_selectors import owner_contributions_of_units

register = template.Library()


@register.inclusion_tag("works/_owner_section.html")
def works_owner_section(user: AnyUser, units: Iterable[Unit]) -> dict[str, Any]:
    """The resident's shares per project (``units``: the flats they own now, loaded with
    their compound by the page)."""
    units = list(units)
    return {"shares": owner_contributions_of_units(units) if units else []}
