"""The voting access helpers: one per object kind, 404 for forbidden and absent alike."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from voting import access, selectors

from .helpers import make_decision, resident_of
from .test_api_proxies import register

pytestmark = pytest.mark.django_db


def test_a_decision_is_404_for_outsiders_and_a_draft_for_residents(cast):
    decision = make_decision(cast)
    draft = make_decision(cast, state="draft", title="草稿")
    assert access.get_decision_for_user(cast.resident, "home", decision.pk) == decision
    assert access.get_decision_for_user(cast.committee, "home", draft.pk) == draft
    for user, decision_id in [
        (cast.resident, draft.pk),
        (cast.resident, 10**6),
        *((outsider, decision.pk) for outsider in cast.outsiders.values()),
    ]:
        with pytest.raises(Http404):
            access.get_decision_for_user(user, "home", decision_id)
    with pytest.raises(Http404):
        access.get_decision_for_user(cast.resident, "home", decision.pk, access.MANAGERS)


def test_proxies_roll_rows_and_buildings_only_for_those_who_manage(cast):
    decision = make_decision(cast)
    proxy = register(decision, cast, resident_of(cast, "2", 1, "holder"))
    other = make_decision(cast, title="另一个决定")
    entry = proxy.entry
    building = cast.compound.buildings.first()
    assert access.get_proxy_for_user(cast.committee, decision, proxy.pk) == proxy
    assert access.get_roll_entry_for_user(cast.committee, decision, str(entry.pk)) == entry
    assert access.get_building_for_user(cast.committee, decision, building.pk) == building
    assert access.get_roll_entry_by_number(cast.committee, decision, entry.number) == entry
    for user, parent in [(cast.resident, decision), (cast.committee, other)]:
        with pytest.raises(Http404):
            access.get_proxy_for_user(user, parent, proxy.pk)
    for bad in [None, "x", 10**6]:
        with pytest.raises(Http404):
            access.get_roll_entry_for_user(cast.committee, decision, bad)
        with pytest.raises(Http404):
            access.get_building_for_user(cast.committee, decision, bad)
    with pytest.raises(Http404):
        access.get_roll_entry_for_user(cast.resident, decision, entry.pk)
    with pytest.raises(Http404):
        access.get_building_for_user(cast.resident, decision, building.pk)
    foreign = cast.other_compound.buildings.first()
    with pytest.raises(Http404):
        access.get_building_for_user(cast.committee, decision, foreign.pk)
    with pytest.raises(ValidationError) as refused:
        access.get_roll_entry_by_number(cast.committee, decision, 10**4)
    assert refused.value.message_dict == {"voter_number": ["名册中没有该序号"]}


def test_the_voting_entry_is_the_users_own_or_a_clear_refusal(cast):
    decision = make_decision(cast)
    own = selectors.roll_entries_for_user(decision, cast.resident).get()
    assert access.get_voting_entry_for_user(cast.resident, decision, None) == own
    with pytest.raises(ValidationError, match="您不在本次表决名册上"):
        access.get_voting_entry_for_user(cast.officer, decision, None)
    with pytest.raises(ValidationError, match="您不在本次表决名册上"):
        access.get_voting_entry_for_user(cast.resident, decision, own.number + 1)
