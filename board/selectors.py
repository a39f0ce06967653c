"""Reads of the boards. The resident's first screen: open votes and what each of their flats owes.

Reads only, through the apps' models and selectors; a fixed number of queries whatever
the number of flats, decisions or items (the home page is the page residents open most).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Q
from django.urls import reverse

from fees.models import Charge, FenSum, Payment
from households.models import Unit
from portal.access import compounds_for
from voting import selectors as voting
from voting.models import Ballot, Decision, DecisionState, Item, RollEntry

ZERO = Decimal("0.00")


@dataclass
class OpenVote:
    """A decision open for voting in which the user may vote (as owner, co-owners'
    representative or proxy holder), and how many of their items they have voted on."""

    decision: Decision
    items: int
    voted: int

    @property
    def pending(self) -> int:
        return self.items - self.voted

    @property
    def done(self) -> bool:
        return not self.pending

    @property
    def ballot_url(self) -> str:
        return reverse("voting:ballot", args=[self.decision.compound.code, self.decision.pk])


@dataclass
class UnitBalance:
    """欠费 of one flat: owner shares billed and not yet paid, and money paid in advance
    (预缴) not yet applied to a charge; the same figures as the resident's fee page."""

    unit: Unit
    owed: Decimal
    credit: Decimal

    @property
    def fees_url(self) -> str:
        return reverse("fees:my", args=[self.unit.compound.code])


def open_votes(user: AbstractBaseUser) -> list[OpenVote]:
    """Open decisions of the user's compounds with a roll row the user may vote for (the
    rows :func:`voting.selectors.roll_entries_for_user` gives, across decisions). Items
    are counted per row within their scope (five queries)."""
    entries = list(
        RollEntry.objects.filter(
            compound__in=compounds_for(user), decision__state=DecisionState.OPEN
        )
        .filter(
            Q(owner__user=user) | Q(proxies__holder_user=user, proxies__revoked_at__isnull=True)
        )
        .distinct()
        .select_related("decision__compound")
        .prefetch_related("units")
        .order_by("decision__voting_closes_at", "decision_id", "number")
    )
    if not entries:
        return []
    decision_ids = {e.decision_id for e in entries}
    items = defaultdict(list)
    for item in Item.objects.filter(
        compound_id__in={e.compound_id for e in entries}, decision_id__in=decision_ids
    ).prefetch_related("scope_rows"):
        items[item.decision_id].append(item)
    cast = set(
        Ballot.objects.filter(
            compound_id__in={e.compound_id for e in entries}, entry__in=entries
        ).values_list("entry_id", "item_id")
    )
    votes: dict[int, OpenVote] = {}
    for entry in entries:
        vote = votes.setdefault(entry.decision_id, OpenVote(entry.decision, 0, 0))
        buildings = {u.building_id for u in entry.units.all()}
        for item in items[entry.decision_id]:
            scope = voting.item_scope(item)
            if scope is None or buildings & set(scope):
                vote.items += 1
                vote.voted += (entry.pk, item.pk) in cast
    return [v for v in votes.values() if v.items]


def unit_balances(units: Iterable[Unit]) -> list[UnitBalance]:
    """What each of ``units`` owes and holds in advance, in three queries; ``units`` come
    with their compound (``units_of_user_everywhere``)."""
    units = list(units)
    if not units:
        return []
    ids = [u.pk for u in units]
    compounds = {u.compound_id for u in units}
    charges = Charge.objects.filter(compound_id__in=compounds, unit_id__in=ids)
    owed = dict(
        charges.filter(owner_due__gt=F("owner_paid"))
        .values("unit_id")
        .annotate(total=FenSum(F("owner_due") - F("owner_paid")))
        .values_list("unit_id", "total")
    )
    applied = dict(
        charges.values("unit_id")
        .annotate(total=FenSum("owner_paid"))
        .values_list("unit_id", "total")
    )
    received = dict(
        Payment.objects.filter(compound_id__in=compounds, unit_id__in=ids)
        .values("unit_id")
        .annotate(total=FenSum("amount"))
        .values_list("unit_id", "total")
    )
    return [
        UnitBalance(
            unit=unit,
            owed=owed.get(unit.pk) or ZERO,
            credit=max((received.get(unit.pk) or ZERO) - (applied.get(unit.pk) or ZERO), ZERO),
        )
        for unit in units
    ]
