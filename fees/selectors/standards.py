"""Fee standards: the versions in force, and the decision items they may rest on."""

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet

from households.models import BuildingKind
from portal.models import Compound
from voting.models import Item
from voting.rules import Category
from voting.selectors import item_passed

from ..models import (
    FeeStandard,
    SubsidyShare,
)


def item_sets_fees(item: Item) -> bool:
    """An item whose passing fixes what owners pay: it hires the service company (CC 278
    (4), the contract's fee) or is marked as setting the fee standard — the same items
    that may authorise a four-party agreement."""
    return item.category == Category.SERVICE_COMPANY or item.sets_fee_standard


def fee_basis_items(compound: Compound) -> list[Item]:
    """Passed items of ``compound`` that can be the basis of a fee standard, newest first
    (for the standard form's choices)."""
    items = (
        Item.objects.filter(compound=compound, decision__compound=compound)
        .filter(Q(sets_fee_standard=True) | Q(category=Category.SERVICE_COMPANY))
        .select_related("decision")
        .order_by("-decision__counted_at", "-id")
    )
    return [item for item in items if item_passed(item)]


def compound_standards(compound: Compound) -> QuerySet[FeeStandard]:
    return compound.fee_standards.prefetch_related(
        Prefetch("shares", queryset=SubsidyShare.objects.select_related("payer"))
    ).order_by("building_kind", "-valid_from")


def current_standards(compound: Compound, day: dt.date) -> list[FeeStandard]:
    """For each kind, the standard valid on ``day``, else the latest one begun before it
    (its term shows that it has ended)."""
    chosen: dict[str, FeeStandard] = {}
    for s in compound_standards(compound):  # newest first within each kind
        if s.valid_from > day:
            continue
        current = chosen.get(s.building_kind)
        if current is None or (not _valid_on(current, day) and _valid_on(s, day)):
            chosen[s.building_kind] = s
    order = list(BuildingKind.values)
    return sorted(chosen.values(), key=lambda s: order.index(s.building_kind))


def _valid_on(standard: FeeStandard, day: dt.date) -> bool:
    return standard.valid_from <= day and (standard.valid_to is None or standard.valid_to >= day)
