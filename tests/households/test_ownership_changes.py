"""Ownership changes (issue 11): when the roster ends an ownership, that account loses the
unit at once on every page and API (the history stays), and the new owner activates anew;
a co-owner who is not the representative sees the unit but cannot vote for it."""

import datetime as dt

import pytest
from django.urls import reverse

from board.selectors import resident_balances
from households.models import Ownership, Unit
from households.services import roster_import
from households.services.activation import ActivationRefused, account_activate
from tests.households.activation_helpers import NEW_PASSWORD, give_id, issue_code, owner_of, unit_of
from tests.households.roster_files import csv_bytes, make_id, owner_row
from tests.voting.helpers import make_decision
from voting.selectors import roll_entries_for_user

TODAY = dt.date(2025, 3, 1)


@pytest.fixture
def sold(cast):
    """Unit 2-0201, activated by its owner, then sold: the roster names a new owner."""
    unit = unit_of(cast)
    seller = owner_of(unit)
    give_id(seller, 61)
    activated = account_activate(
        code=issue_code(unit),
        id_suffix=seller.id_number[-6:],
        username="seller",
        password=NEW_PASSWORD,
        ip="192.0.2.1",
    )
    row = owner_row("2", "0201", "新业主王五", 62, **{"起始日期": "2025-02-01"})
    report = roster_import(
        compound=cast.compound, data=csv_bytes([row]), actor=cast.committee, today=TODAY
    )
    assert report.ok and report.ownerships_closed == 1, report.errors
    return unit, activated.user, make_id(62)


def test_the_former_owner_loses_the_unit_at_once_and_the_history_stays(cast, client, sold):
    unit, seller, _ = sold
    assert not Unit.objects.owned_by(seller).exists()
    assert resident_balances(seller) == []
    ended = Ownership.objects.get(unit=unit, owner__user=seller)
    assert ended.valid_to == dt.date(2025, 1, 31)  # history kept, closed the day before

    client.force_login(seller)
    assert client.get(reverse("unit", args=["home", unit.pk])).status_code == 404
    home = client.get(reverse("home")).content.decode()
    assert "0201" not in home
    # no unit left in the compound: the resident role went with it
    # (tests/households/test_ownership_end_roles.py)
    assert client.get("/api/v1/compounds/home/units/").status_code == 404
    assert client.get(f"/api/v1/compounds/home/units/{unit.pk}/").status_code == 404


def test_the_former_owner_is_not_on_a_new_decisions_roll(cast, sold):
    unit, seller, _ = sold
    decision = make_decision(cast)
    assert not roll_entries_for_user(decision, seller).exists()


def test_the_new_owner_activates_with_a_new_code(cast, client, sold):
    unit, seller, new_id = sold
    code = issue_code(unit)
    # the seller's suffix no longer opens anything
    with pytest.raises(ActivationRefused):
        account_activate(
            code=code,
            id_suffix=Ownership.objects.get(unit=unit, owner__user=seller).owner.id_number[-6:],
            username="seller2",
            password=NEW_PASSWORD,
            ip="192.0.2.2",
        )
    buyer = account_activate(
        code=code,
        id_suffix=new_id[-6:],
        username="buyer",
        password=NEW_PASSWORD,
        ip="192.0.2.2",
    )
    assert buyer.units == (unit,)
    client.force_login(buyer.user)
    assert client.get(reverse("unit", args=["home", unit.pk])).status_code == 200
    decision = make_decision(cast)
    assert roll_entries_for_user(decision, buyer.user).count() == 1


def test_a_co_owner_who_is_not_the_representative_sees_the_unit_but_cannot_vote(cast, client):
    unit = unit_of(cast)
    representative = owner_of(unit)
    give_id(representative, 63)
    Ownership.objects.filter(unit=unit).update(share="0.5")
    co = representative.__class__.objects.create(compound=cast.compound, name="共有人丙")
    give_id(co, 64)
    Ownership.objects.create(
        compound=cast.compound,
        unit=unit,
        owner=co,
        share="0.5",
        is_representative=False,
        valid_from=dt.date(2020, 1, 1),
    )
    result = account_activate(
        code=issue_code(unit),
        id_suffix=co.id_number[-6:],
        username="coowner",
        password=NEW_PASSWORD,
        ip="192.0.2.3",
    )
    client.force_login(result.user)
    assert client.get(reverse("unit", args=["home", unit.pk])).status_code == 200
    decision = make_decision(cast)
    assert not roll_entries_for_user(decision, result.user).exists()
