"""The turnout page (投票进度, the canvass list) at any size (issue 10 leftovers): its
figures come from the kept turnout and its list's pages from the kept unit counts per
building, read from the buildings a page spans in their stored order; the pages together
are the whole list in natural order, and a page runs the same queries, none counting or
summing over the roll or the ballots, for 20 units as for 400."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.lists import ListQuery, parse_search
from voting import selectors
from voting.models import Decision
from voting.turnout import unit_natural_key
from voting.views import TURNOUT_LIST

from .helpers import scaled_decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def vote(cast):
    """An open (or published) decision with 80% of the roll voted on a bulk-made compound
    of ``units`` units in 4 buildings, and a committee member of that compound."""

    def build(units: int, *, publish: bool = False):
        return scaled_decision(cast.compound.street_office, f"t{units}", units, publish=publish)

    return build


def _all_pages(decision: Decision, scope, params: dict) -> list[int]:
    """Every page of the list as the page reads it (kept counts, buildings spanned)."""
    overview = selectors.turnout_overview(decision, scope)
    assert overview.kept is not None
    building = params.get("building")
    listed, number = [], 1
    while True:
        query = ListQuery.from_params({**params, "page": number}, TURNOUT_LIST)
        units = selectors.turnout_units(
            decision, scope, building_id=building, voted=params.get("voted", "")
        )
        page = selectors.turnout_page(
            units, query, overview.kept, building_id=building, voted=params.get("voted", "")
        )
        assert page.count == units.count()
        listed += [unit.pk for unit in page.rows]
        if not page.has_next:
            return listed
        number += 1


def test_the_pages_together_are_the_whole_list_in_natural_order(vote):
    decision, _member = vote(200)
    buildings = list(decision.compound.buildings.order_by("sort_key"))
    whole, building_one = decision.items.order_by("position")
    for scope in (
        selectors.turnout_scope(decision),
        selectors.turnout_scope(decision, building_one),
    ):
        for params in (
            {"per_page": 25},
            {"per_page": 25, "voted": "no"},  # pages span buildings: ~10 per building
            {"per_page": 50, "voted": "yes", "building": buildings[1].pk},
            {"per_page": 25, "building": buildings[0].pk},
        ):
            voted, building = params.get("voted", ""), params.get("building")
            expected = selectors.turnout_units(decision, scope, building_id=building, voted=voted)
            assert _all_pages(decision, scope, params) == [u.pk for u in expected], params
    # Natural order inside each building: 1-901 before 1-1001, entrance 1 before 2.
    units = list(selectors.turnout_units(decision, selectors.turnout_scope(decision)))
    by_building = [u.building.sort_key for u in units]
    assert by_building == sorted(by_building)
    first = [u.unit.number for u in units if u.building_id == buildings[0].pk]
    assert first == sorted(first, key=unit_natural_key)
    assert first.index("1-902") < first.index("1-1001") < first.index("2-101")


def test_a_search_still_counts_and_pages_its_matches(vote):
    decision, _member = vote(200)
    scope = selectors.turnout_scope(decision)
    overview = selectors.turnout_overview(decision, scope)
    query = ListQuery.from_params({"q": "2号楼 1-1", "per_page": 25}, TURNOUT_LIST)
    units = selectors.turnout_units(decision, scope, search=parse_search("2号楼 1-1"))
    page = selectors.turnout_page(units, query, overview.kept)
    assert page.count == units.count() > 0
    assert [u.pk for u in page.rows] == [u.pk for u in units[:25]]
    assert all(u.unit_label.startswith("2号楼 1-1") for u in page.rows)


def _page_queries(client, decision: Decision, params: dict) -> list[str]:
    url = reverse("voting:turnout", args=[decision.compound.code, decision.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content.decode()[:300]
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("publish", [False, True], ids=["open", "published"])
def test_the_turnout_page_runs_the_same_queries_at_20_and_400_units(client, vote, publish):
    counts = []
    for units in (20, 400):
        decision, member = vote(units, publish=publish)
        client.force_login(member)
        # Filters that find rows at both sizes (an empty page skips its prefetches; which
        # units voted follows the decision's id, the ballots' random seed).
        scope = selectors.turnout_scope(decision)
        not_voted = selectors.turnout_units(decision, scope, voted="no").last()
        voted = selectors.turnout_units(decision, scope, voted="yes").last()
        assert not_voted is not None and voted is not None
        item = decision.items.get(position=2)  # building 1 only: never an empty list
        found = []
        for params in (
            {},
            {"page": 999999},
            {"voted": "no", "page": 2, "per_page": 25},
            {"voted": "no", "building": not_voted.building_id, "page": 999999, "per_page": 25},
            {"voted": "yes", "building": voted.building_id, "page": 999999, "per_page": 25},
            {"item": item.pk, "page": 999999, "per_page": 25},
        ):
            queries = _page_queries(client, decision, params)
            for sql in queries:
                # No COUNT or SUM over the roll or the ballots, whatever the page asked.
                if re.search(r"\b(COUNT|SUM)\(", sql):
                    assert "voting_rollunit" not in sql and "voting_ballot" not in sql, sql
                offset = re.search(r"OFFSET (\d+)", sql)
                # A deep page skips rows of its own building only (100 units each at 400).
                assert offset is None or int(offset[1]) < units // 4, sql
            found.append(len(queries))
        counts.append(found)
    assert counts[0] == counts[1]
