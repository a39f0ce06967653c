"""Issue 10 item 4: a counted or published decision is shown from its certified snapshot.
The tally API, the public result page (any page of its participants) and the decision page
run the same queries for a decision of 20 voters and one of 200, none of them aggregating
the roll or the ballots."""

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from voting import selectors
from voting.models import Decision
from voting.snapshot import PARTICIPANTS_PER_PAGE

from .helpers import scaled_decision

pytestmark = pytest.mark.django_db


SMALL, LARGE = 20, 200


@pytest.fixture
def sized(cast):
    """A published decision (80% turnout, counted by the system: actor None) on a bulk-made
    compound of ``voters`` units, and a committee member of that compound."""

    def build(voters: int) -> tuple[Decision, User]:
        return scaled_decision(cast.compound.street_office, f"s{voters}", voters)

    return build


def _urls(decision: Decision) -> dict[str, str]:
    code = decision.compound.code
    result = reverse("voting_public:result", args=[code, decision.pk])
    return {
        "tally API": f"/api/v1/compounds/{code}/decisions/{decision.pk}/tally/",
        "public result": result,
        "public result, last page": f"{result}?page={selectors.participant_pages(decision)}",
        "decision page": reverse("voting:decision", args=[code, decision.pk]),
    }


def _queries(client, member, decision) -> dict[str, list[str]]:
    client.force_login(member)
    found = {}
    for name, url in _urls(decision).items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        found[name] = [q["sql"] for q in queries.captured_queries]
    return found


def test_result_surfaces_run_the_same_queries_at_20_and_200_voters(client, sized):
    small, large = sized(SMALL), sized(LARGE)
    assert selectors.participant_pages(large[0]) == 1  # 160 participants: one page
    at_small = _queries(client, small[1], small[0])
    at_large = _queries(client, large[1], large[0])
    for name, queries in at_small.items():
        assert len(queries) == len(at_large[name]), name
        for sql in queries:  # the tally and the roll's figures come from the snapshot
            assert "voting_ballot" not in sql, (name, sql)
            assert not re.search(r"\b(COUNT|SUM)\(", sql) or "voting_rollentry" not in sql, (
                name,
                sql,
            )
            assert "OFFSET" not in sql, (name, sql)


def test_a_deep_participants_page_reads_from_its_certified_start(client, sized, settings):
    """Pages of 200 participants: the roll number starting each page is certified, so the
    last page's rows are one index range (no OFFSET, no COUNT), and the pages together list
    every participant once, in roll order."""
    decision, _member = sized(600)
    expected = list(selectors.participants(decision))
    pages = selectors.participant_pages(decision)
    assert pages == -(-len(expected) // PARTICIPANTS_PER_PAGE) > 1
    listed = []
    for number in range(1, pages + 1):
        with CaptureQueriesContext(connection) as queries:
            page = selectors.participants_page(decision, number)
        assert len(queries) == 1 and "OFFSET" not in queries[0]["sql"]
        listed += page.rows
    assert listed == expected


def test_a_snapshot_without_roll_figures_still_pages_its_participants(sized):
    """Decisions counted before the roll's figures were certified read them live."""
    decision, _member = sized(SMALL)
    expected = list(selectors.participants(decision))
    summary = selectors.roll_summary(decision)
    stored = dict(decision.tally_snapshot)
    del stored["roll"]
    Decision.objects.filter(pk=decision.pk).update(tally_snapshot=stored)
    decision.refresh_from_db()
    assert selectors.certified_tally(decision).roll is None
    assert selectors.participants_page(decision, 1).rows == expected
    assert selectors.roll_summary(decision) == summary


def test_the_certified_roll_figures_are_the_rolls(sized):
    decision, _member = sized(SMALL)
    roll = selectors.certified_tally(decision).roll
    voted = decision.roll.filter(voted_at__isnull=False).order_by("number")
    assert roll.voters == decision.roll.count()
    assert roll.voted == voted.count() > 0
    assert roll.page_starts == (voted.first().number,)
    assert sum(e.area for e in decision.roll.all()) == roll.area_sum


@pytest.mark.parametrize(
    ("page", "status", "shown"),
    [
        ("abc", 400, 1),
        ("-1", 400, 1),
        ("0", 400, 1),
        ("9" * 10_000, 400, 1),
        ("3", 200, 3),
        ("999999999", 200, 3),  # past the end: the last page
    ],
)
def test_the_participants_page_number_is_validated(client, sized, page, status, shown):
    decision, _member = sized(600)
    assert selectors.participant_pages(decision) == 3
    url = reverse("voting_public:result", args=[decision.compound.code, decision.pk])
    response = client.get(url, {"page": page})
    assert response.status_code == status
    assert response.context["page"].number == shown
    if status == 400:
        assert "页码须为正整数" in response.content.decode()


def test_a_hostile_receipt_is_not_found_without_a_query(client, sized):
    decision, _member = sized(SMALL)
    url = reverse("voting_public:result", args=[decision.compound.code, decision.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"receipt": "X" * 10_000})
    assert response.status_code == 200
    assert response.context["counted"] == []
    assert not any("receipt_code" in q["sql"] for q in queries.captured_queries)


def _turnouts(decision: Decision) -> list:
    scopes = [selectors.turnout_scope(decision)] + [
        selectors.turnout_scope(decision, item) for item in decision.items.order_by("position")
    ]
    return [
        (selectors.turnout_summary(decision, s), selectors.turnout_by_building(decision, s))
        for s in scopes
    ]


def test_a_counted_decisions_turnout_is_the_certified_one(client, sized):
    """Counting certifies the turnout of the decision and of each item, the same figures
    the live aggregates give; the turnout page then sums nothing (only its list of units
    pages the roll), and a decision counted before turnout was certified reads the kept
    turnout counters, summing nothing either."""
    decision, member = sized(SMALL)
    items = decision.items.all()
    assert set(decision.tally_snapshot["turnout"]) == {"", *(str(i.pk) for i in items)}
    certified = _turnouts(decision)
    url = reverse("voting:turnout", args=[decision.compound.code, decision.pk])
    client.force_login(member)
    with CaptureQueriesContext(connection) as read:
        assert client.get(url).status_code == 200
    assert [q["sql"] for q in read.captured_queries if "SUM(" in q["sql"]] == []
    stored = dict(decision.tally_snapshot)
    del stored["turnout"]
    Decision.objects.filter(pk=decision.pk).update(tally_snapshot=stored)
    decision.refresh_from_db()
    assert _turnouts(decision) == certified
    with CaptureQueriesContext(connection) as kept:
        assert client.get(url).status_code == 200
    assert [q["sql"] for q in kept.captured_queries if "SUM(" in q["sql"]] == []
    assert any("voting_turnoutcount" in q["sql"] for q in kept.captured_queries)
