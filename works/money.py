"""Pure works arithmetic: the owners' shares of a funding line (CC 283), no ORM.

CC 283: absent an agreement, owners bear the costs of common parts in proportion to the
exclusive area they own. A line is split over the units in scope by area with the
largest-remainder method (:func:`fees.money.allocate`), so the shares sum to the line
exactly, to the fen, whatever the areas.
"""

from collections.abc import Hashable, Mapping
from decimal import Decimal
from typing import TypeVar

from fees.money import allocate

K = TypeVar("K", bound=Hashable)


def split_by_area(total: Decimal, areas: Mapping[K, Decimal]) -> dict[K, Decimal]:
    """Each key's share of ``total`` (whole fen, not negative) in proportion to its area.

    Keys keep the mapping's order, which also breaks ties of the remainders (earlier
    first), so the same scope always gets the same split. Raises ``ValueError`` for a
    negative total, an area that is not positive, or a non-zero total with no areas.
    """
    if total < 0:
        raise ValueError("a share of works cannot be negative")
    if any(area <= 0 for area in areas.values()):
        raise ValueError("every area in the split must be positive")
    keys = list(areas)
    return dict(zip(keys, allocate(total, [areas[k] for k in keys]), strict=True))
