"""API v1 of decisions: list, create, detail, ballots, paper entries, tally."""

import pytest
from rest_framework.test import APIClient

from tests.concurrency import at_once
from tests.conftest import needs_postgres
from voting import selectors, services
from voting.models import Ballot, Decision

from .helpers import make_decision, publish, resident_of

TALLY_FIELDS = {
    "id",
    "title",
    "category",
    "total_owners",
    "total_area",
    "participating_owners",
    "participating_area",
    "consenting_owners",
    "consenting_area",
    "opposing_owners",
    "opposing_area",
    "abstaining_owners",
    "abstaining_area",
    "spoiled_owners",
    "ratios",
    "checks",
    "passed",
}


@pytest.fixture
def api():
    return APIClient()


def base(decision=None):
    path = "/api/v1/compounds/home/decisions/"
    return f"{path}{decision.pk}/" if decision else path


def test_committee_creates_a_decision_with_items(api, cast):
    api.force_authenticate(cast.committee)
    response = api.post(
        base(),
        {
            "title": "电梯更新",
            "voting_opens_at": "2031-02-01T09:00:00+08:00",
            "voting_closes_at": "2031-02-10T18:00:00+08:00",
            "items": [{"title": "更新2号楼电梯", "category": 7, "buildings": ["2"]}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["items"][0]["buildings"] == ["2"]
    assert Decision.objects.get().items.get().category == 7


def test_create_with_a_foreign_building_saves_nothing(api, cast):
    api.force_authenticate(cast.committee)
    response = api.post(
        base(),
        {"title": "x", "items": [{"title": "y", "category": 7, "buildings": ["99"]}]},
        format="json",
    )
    assert response.status_code == 400
    assert not Decision.objects.exists()


def test_resident_cannot_create_and_sees_no_drafts(api, cast):
    make_decision(cast, state="draft")
    api.force_authenticate(cast.resident)
    assert api.post(base(), {"title": "x"}, format="json").status_code == 404
    assert api.get(base()).json()["count"] == 0


def test_resident_casts_own_ballot_and_second_is_refused(api, cast):
    decision = make_decision(cast)
    item = decision.items.get()
    api.force_authenticate(cast.resident)
    response = api.post(
        base(decision) + "ballots/", {"choices": {str(item.pk): "agree"}}, format="json"
    )
    assert response.status_code == 201
    assert response.json()[0]["receipt_code"] == Ballot.objects.get().receipt_code
    again = api.post(
        base(decision) + "ballots/", {"choices": {str(item.pk): "disagree"}}, format="json"
    )
    assert again.status_code == 400 and "不能重复投票" in again.content.decode()


def test_ballot_by_someone_not_on_the_roll(api, cast):
    decision = make_decision(cast)
    api.force_authenticate(cast.officer)
    response = api.post(
        base(decision) + "ballots/",
        {"choices": {str(decision.items.get().pk): "agree"}},
        format="json",
    )
    assert response.status_code == 400 and "不在本次表决名册" in response.content.decode()


def test_committee_enters_paper_ballots_twice(api, cast, second_committee):
    decision = make_decision(cast)
    code = decision.roll.get(number=2).ballot_code
    body = {"ballot_code": code, "choices": {str(decision.items.get().pk): "spoiled"}}
    api.force_authenticate(cast.committee)
    assert (
        api.post(base(decision) + "paper-entries/", body, format="json").json()["status"]
        == "pending"
    )
    assert api.post(base(decision) + "paper-entries/", body, format="json").status_code == 400
    api.force_authenticate(second_committee)
    assert (
        api.post(base(decision) + "paper-entries/", body, format="json").json()["status"]
        == "confirmed"
    )
    assert Ballot.objects.get().choice == "spoiled"
    api.force_authenticate(cast.resident)
    assert api.post(base(decision) + "paper-entries/", body, format="json").status_code == 404


def test_tally_of_an_open_decision_is_refused(api, cast):
    decision = make_decision(cast)
    api.force_authenticate(cast.committee)
    response = api.get(base(decision) + "tally/")
    assert response.status_code == 400 and "尚未结束" in response.content.decode()


def test_tally_fields_and_residents_only_after_publication(api, cast):
    decision = make_decision(cast)
    services.ballot_cast(
        decision=decision,
        entry=selectors.roll_entries_for_user(decision, cast.resident).get(),
        user=cast.resident,
        choices={decision.items.get().pk: "agree"},
    )
    voter = resident_of(cast, "2", 1, "second")
    services.ballot_cast(
        decision=decision,
        entry=selectors.roll_entries_for_user(decision, voter).get(),
        user=voter,
        choices={decision.items.get().pk: "abstain"},
    )
    publish(decision, cast)
    api.force_authenticate(cast.resident)
    (item,) = api.get(base(decision) + "tally/").json()
    assert set(item) >= TALLY_FIELDS
    assert item["total_owners"] == 6 and item["total_area"] == "363.00"
    assert item["participating_area"] == "121.00" and item["abstaining_owners"] == 1
    assert item["ratios"] == {
        "participation_owners": "33.33",
        "participation_area": "33.33",
        "consent_owners": "50.00",
        "consent_area": "50.00",
    }
    assert [c["passed"] for c in item["checks"]] == [False, False, False, False]
    assert item["passed"] is False
    text = api.get(base(decision) + "tally/").content.decode()
    assert "业主-home" not in text  # aggregates only: no names, no one's choice


@pytest.mark.django_db(transaction=True)
@needs_postgres
def test_200_concurrent_submissions_for_100_voters_make_100_ballots():
    from households.models import Owner
    from portal.models import Role
    from tests.factories import make_cast, make_member

    cast = make_cast()
    building = cast.compound.buildings.get(number="1")
    users = []
    for n in range(100):
        unit = building.units.create(
            compound=cast.compound, number=f"C{n:03d}", floor_area="50.00", area_source="registered"
        )
        user = make_member(f"voter{n}", Role.RESIDENT, compound=cast.compound)
        owner = Owner.objects.create(compound=cast.compound, name=f"并发{n}", user=user)
        unit.ownerships.create(compound=cast.compound, owner=owner, valid_from="2020-01-01")
        users.append(user)
    decision = make_decision(cast)
    item = decision.items.get()
    entries = {u.pk: selectors.roll_entries_for_user(decision, u).get() for u in users}
    calls = [
        lambda user=user, choice=choice: services.ballot_cast(
            decision=decision, entry=entries[user.pk], user=user, choices={item.pk: choice}
        )
        for user in users
        for choice in ("agree", "disagree")
    ]
    outcomes = [
        type(o).__name__ if isinstance(o, Exception) else "ok"
        for i in range(0, len(calls), 20)  # twenty at a time, as a busy evening's requests
        for o in at_once(calls[i : i + 20])
    ]
    assert len(outcomes) == 200
    assert outcomes.count("ok") == 100
    assert outcomes.count("ValidationError") == 100
    assert Ballot.objects.filter(decision=decision).count() == 100
    assert Ballot.objects.filter(decision=decision).values("entry").distinct().count() == 100
