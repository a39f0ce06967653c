"""A unit with exclusive area but no registered owner stays on the roll (SPC 8, 9(1)): it
counts in the owner and area totals as a voter who did not vote, and nobody votes for it."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from households.models import AreaSource, Unit
from voting import selectors, services
from voting.models import DecisionState

from .helpers import close, make_decision, resident_of


def _ownerless_unit(cast, building="1", number="0901"):
    return Unit.objects.create(
        compound=cast.compound,
        building=cast.compound.buildings.get(number=building),
        number=number,
        floor_area=Decimal("60.50"),
        area_source=AreaSource.REGISTERED,
    )


def _vote_four_of_six(cast, decision):
    """The owners of 1-1, 1-2, 1-3 and 2-1 agree: exactly 2/3 of the six owned flats."""
    item = decision.items.get()
    voters = [cast.resident] + [
        resident_of(cast, b, u, f"voter-{b}-{u}") for b, u in (("1", 2), ("1", 3), ("2", 1))
    ]
    for user in voters:
        entry = selectors.roll_entries_for_user(decision, user).get()
        services.ballot_cast(decision=decision, entry=entry, user=user, choices={item.pk: "agree"})


def test_without_the_ownerless_unit_the_vote_passes(cast):
    decision = make_decision(cast)
    _vote_four_of_six(cast, decision)
    close(decision, cast)
    (tally,) = selectors.decision_tally(decision)
    assert tally.raw.total.owners == 6 and tally.raw.total.area == 36300
    assert tally.result.passed  # 4/6 ≥ 2/3 of owners and of area


def test_ownerless_unit_counts_in_the_totals_and_makes_the_vote_fail(cast):
    unit = _ownerless_unit(cast)
    decision = make_decision(cast)
    _vote_four_of_six(cast, decision)
    close(decision, cast)
    (tally,) = selectors.decision_tally(decision)
    assert tally.raw.total.owners == 7 and tally.raw.total.area == 36300 + 6050
    assert tally.raw.not_voted.owners == 3
    assert not tally.raw.check("participation_owners").passed  # 4/7 < 2/3
    assert not tally.result.passed
    entry = decision.roll.get(units__unit=unit)
    assert entry.owner_id is None and entry.is_ownerless
    assert entry.units_label == "1号楼 0901"
    assert selectors.roll_summary(decision)["voters"] == 7


def test_nobody_can_vote_for_an_ownerless_unit(cast, second_committee):
    unit = _ownerless_unit(cast)
    decision = make_decision(cast)
    entry = decision.roll.get(units__unit=unit)
    item = decision.items.get()
    with pytest.raises(ValidationError, match="无登记业主"):
        services.ballot_cast(
            decision=decision, entry=entry, user=cast.committee, choices={item.pk: "agree"}
        )
    with pytest.raises(ValidationError, match="无登记业主"):
        services.paper_entry_record(
            decision=decision,
            ballot_code=entry.ballot_code,
            actor=cast.committee,
            choices={item.pk: "agree"},
        )
    with pytest.raises(ValidationError, match="无登记业主"):
        services.paper_ballots_import(
            decision=decision,
            actor=cast.committee,
            choices_by_entry={entry.pk: "agree"},
            at=decision.voting_opens_at,
        )
    assert not decision.ballots.exists() and not decision.paper_entries.exists()
    assert decision.state == DecisionState.OPEN


def test_turnout_and_canvass_list_show_the_ownerless_unit(client, cast):
    _ownerless_unit(cast)
    decision = make_decision(cast)
    building = cast.compound.buildings.get(number="1")
    client.force_login(cast.committee)
    url = reverse("voting:turnout", args=["home", decision.pk])
    page = client.get(url, {"building": building.pk}).content.decode()
    assert "1号楼 0901" in page and "无登记业主" in page


def test_decision_page_says_how_many_units_have_no_registered_owner(client, cast):
    _ownerless_unit(cast)
    decision = make_decision(cast)
    client.force_login(cast.committee)
    page = client.get(decision.get_absolute_url()).content.decode()
    assert "名册中有 1 户无登记业主" in page
