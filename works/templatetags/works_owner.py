"""The owner's own works on their home page: per project their units' shares and what
they paid, and each flat's maintenance-fund balance (board/home.html includes it for
residents).

The page's one statement for the resident's flats (board.selectors.resident_balances)
already carries each flat's fund balance and its works shares (``shares``, in the
section's order), so the section costs no query for them; a caller without them passes
the flats alone and an owner with shares costs one query (their contributions, whatever
the flats or projects). Likewise a flat's share of a fund draw published to it
and not yet made costs one query, only when the statement says there is one."""

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Protocol

from django import template

from households.models import Unit

from ..fund_selectors import pending_shares_of_units
from ..receipt_selectors import OwnerContribution, owner_contributions_of_units

register = template.Library()


class OwnerFlat(Protocol):
    """A resident's flat as the home page read it (board.selectors.UnitBalance)."""

    unit: Unit
    fund_balance: Decimal | None
    fund_owed: Decimal
    has_works_shares: bool
    has_pending_draw: bool


@register.inclusion_tag("works/_owner_section.html")
def works_owner_section(
    flats: Iterable[OwnerFlat], shares: Sequence[OwnerContribution] | None = None
) -> dict[str, Any]:
    """The resident's shares per project and the fund balance of each flat that has a
    ledger (``flats``: the flats they own now, with those figures; ``shares``: their
    shares as :func:`owner_contributions_of_units` lists them, when read with the flats)."""
    flats = list(flats)
    if shares is None:
        with_shares = [f.unit for f in flats if f.has_works_shares]
        shares = owner_contributions_of_units(with_shares) if with_shares else []
    drawn = [f.unit for f in flats if f.has_pending_draw]
    return {
        "shares": shares,
        "funds": [f for f in flats if f.fund_balance is not None],
        "draw_shares": pending_shares_of_units(drawn) if drawn else [],
    }
