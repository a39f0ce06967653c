"""The certified tally as a type: stored once by counting, read back exactly, never
recounted by the pages that publish it."""

import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from voting import rules, selectors
from voting.models import Ballot, Choice, Decision
from voting.snapshot import TallySnapshot

from .helpers import make_decision, publish, resident_of
from .test_services import cast_online

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(cast):
    """A published two-item decision (the second one adjusted by the adopted rules): the
    resident agrees, a neighbour disagrees."""
    decision = make_decision(cast, items=((4, None), (7, None)), adopted_rules_follow_majority=True)
    cast_online(decision, cast.resident)
    cast_online(decision, resident_of(cast, "1", 2, "neighbour"), choice="disagree")
    return publish(decision, cast)


def test_the_stored_json_reads_back_into_the_same_json(published):
    stored = published.tally_snapshot
    certified = TallySnapshot.from_json(stored)
    assert certified.to_json() == stored
    assert [i.position for i in certified.items] == [1, 2]
    first = certified.items[0]
    assert first.raw.participating == rules.Share(2, first.raw.participating.area)
    assert first.adjusted is not None and first.category == rules.Category.SERVICE_COMPANY
    assert first.raw.check(rules.Rule.CONSENT_OWNERS).value == "50.00"


def test_certified_tally_and_item_passed_read_the_snapshot_only(
    published, django_assert_num_queries
):
    decision = Decision.objects.get(pk=published.pk)
    item = decision.items.get(position=1)
    item.decision = decision
    with django_assert_num_queries(0):
        certified = selectors.certified_tally(decision)
        passed = selectors.item_passed(item)
    assert certified is not None
    assert passed is certified.item(item.pk).passed
    # a ballot row altered after counting changes nothing certified
    Ballot.objects.filter(decision=decision).update(choice=Choice.AGREE)
    assert selectors.certified_tally(decision) == certified


def test_no_certified_tally_before_counting(cast):
    decision = make_decision(cast)
    item = decision.items.get()
    assert selectors.certified_tally(decision) is None
    assert selectors.item_passed(item) is False


def test_rule_labels_name_every_check():
    assert set(rules.RULE_LABELS) == {r.value for r in rules.Rule}
    assert rules.rule_formula("consent_area") == "同意面积 / 参与表决面积"
    assert rules.rule_name("consent_area") == "同意面积比例"


def _touches_ballots(queries) -> list[str]:
    return [q["sql"] for q in queries if "voting_ballot" in q["sql"]]


def test_published_pages_show_the_certified_figures_even_after_a_ballot_changes(
    client, cast, published
):
    """The public result page, the decision page and the tally API read the snapshot: no
    query over the ballots, and a ballot row altered after counting changes no figure."""
    certified = selectors.certified_tally(published)
    assert certified is not None and certified.items[0].raw.check("consent_owners").value == (
        "50.00"
    )
    Ballot.objects.filter(decision=published).update(choice=Choice.AGREE)
    result_url = reverse("voting_public:result", args=["home", published.pk])
    decision_url = reverse("voting:decision", args=["home", published.pk])
    tally_url = f"/api/v1/compounds/home/decisions/{published.pk}/tally/"
    client.force_login(cast.committee)
    for address in (result_url, decision_url, tally_url):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(address)
        assert response.status_code == 200, address
        assert _touches_ballots(queries.captured_queries) == [], address
    page = client.get(result_url).content.decode()
    assert re.search(r'data-rule="consent_owners"><td>[^<]*</td><td class="num ratio">50.00%', page)
    assert "100.00%" not in page  # what a recount would now say
    (first, _) = client.get(tally_url).json()
    assert first["ratios"]["consent_owners"] == "50.00"


def test_snapshots_stored_before_positions_get_them_from_their_items(published):
    """Migration 0004: a snapshot counted before items carried their position reads as a
    TallySnapshot once migrated."""
    migration = import_module("voting.migrations.0004_tally_snapshot_item_position")
    stored = published.tally_snapshot
    old = {
        **stored,
        "items": [{k: v for k, v in i.items() if k != "position"} for i in stored["items"]],
    }
    Decision.objects.filter(pk=published.pk).update(tally_snapshot=old)
    migration.add_positions(django_apps, None)
    published.refresh_from_db()
    assert published.tally_snapshot == stored
