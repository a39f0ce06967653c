"""Builders of compounds at each step of the transition, for the board's tests and bench."""

import datetime as dt
from decimal import Decimal

from board.models import Alert, AlertKind
from fees.services.collection_totals import rebuild as rebuild_collection_totals
from households.models import Committee, CommitteeMember, CommitteeRole
from portal.models import Compound, StreetOffice
from tests.factories import make_compound
from tests.fees.helpers import bill, low_rise_standard

FORMED = dt.date(2021, 6, 18)
TERM_END = dt.date(2024, 6, 17)


def add_committee(compound: Compound, formed=FORMED, term_end=TERM_END) -> Committee:
    committee = Committee.objects.create(compound=compound, formed_on=formed, term_end=term_end)
    CommitteeMember.objects.create(
        compound=compound,
        committee=committee,
        name=f"主任{compound.code}",
        role=CommitteeRole.CHAIR,
        term_start=formed,
        term_end=term_end,
    )
    return committee


def transition_compound(
    office: StreetOffice, code: str, *, step: str = "collecting", paid: int = 0, **kwargs
) -> Compound:
    """A compound that reached ``step``: ``renovation`` (nothing), ``committee`` (formed
    2021 for three years), ``collecting`` (committee, the case's low-rise standard
    2022–2024 on a published decision, 2022 billed; ``paid`` households pay in full)."""
    compound = make_compound(office, code, **kwargs)
    if step == "renovation":
        return compound
    add_committee(compound)
    if step == "committee":
        return compound
    low_rise_standard(compound)
    outcome = bill(compound)
    for charge in list(outcome.run.charges.order_by("id"))[:paid]:
        charge.owner_paid = charge.owner_due
        charge.save(update_fields=["owner_paid"])
    rebuild_collection_totals(compound)
    return compound


def open_alert(compound: Compound, kind: str = AlertKind.COMMITTEE_TERM_ENDED) -> Alert:
    return Alert.objects.create(
        compound=compound,
        kind=kind,
        subject=f"test:{compound.pk}",
        due=dt.date(2024, 6, 17),
        params={},
        opened_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )


ZERO = Decimal("0.00")
