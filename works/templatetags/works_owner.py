"""The owner's own works on their home page: per project their units' shares and what
they paid, and each flat's maintenance-fund balance (board/home.html includes it for
residents).

Queries do not grow with the flats or projects: one for the contributions of all the
resident's flats, and the fund's two (works.fund_selectors.unit_balances) per compound in
which they own flats (one, for nearly every resident)."""

from collections.abc import Iterable
from typing import Any

from django import template

from households.models import Unit
from portal.access import AnyUser

from ..fund_selectors import unit_balances
from ..receipt_selectors import owner_contributions_of_units

register = template.Library()


@register.inclusion_tag("works/_owner_section.html")
def works_owner_section(user: AnyUser, units: Iterable[Unit]) -> dict[str, Any]:
    """The resident's shares per project and fund balances (``units``: the flats they own
    now, loaded with their compound by the page)."""
    units = list(units)
    compounds = {u.compound_id: u.compound for u in units}
    funds = [fund for compound in compounds.values() for fund in unit_balances(user, compound)]
    return {
        "shares": owner_contributions_of_units(units) if units else [],
        "funds": funds,
    }
