"""Issue 10 item 8 for voting: the turnout (canvass) list, the paper keyings and the review
queue are lists of portal.lists — a page at a time, searched by building, unit or masked
name, filtered, exported whole as XLSX — at the same number of queries whatever their
length; the public participants list is searched by building or unit, never by name."""

import io

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from voting import selectors, services
from voting.models import Decision

from .helpers import make_decision, scaled_decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_vote(cast):
    """An open decision with 80% of the roll voted, on a bulk-made compound of ``units``
    units in 4 buildings, and a committee member of that compound."""

    def build(units: int, *, publish: bool = False) -> tuple[Decision, User]:
        return scaled_decision(cast.compound.street_office, f"l{units}", units, publish=publish)

    return build


def _turnout(decision: Decision) -> str:
    return reverse("voting:turnout", args=[decision.compound.code, decision.pk])


def _count(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content.decode()[:500]
    return len(queries)


def test_the_canvass_list_runs_the_same_queries_at_20_and_200_units(client, open_vote):
    counts = []
    for units in (20, 200):
        decision, member = open_vote(units)
        client.force_login(member)
        # Filters that find rows at both sizes: an empty page skips its prefetches, and
        # which units voted depends on the decision's id (the ballots' random seed).
        scope = selectors.turnout_scope(decision)
        not_voted = selectors.turnout_units(decision, scope, voted="no").first()
        voted = selectors.turnout_units(decision, scope, voted="yes").last()
        assert not_voted is not None and voted is not None
        whole = decision.items.get(position=1)  # the whole compound: it holds both units
        for params in (
            {},
            {"voted": "no", "building": not_voted.building_id},
            {
                "item": whole.pk,
                "voted": "yes",
                "q": f"{voted.building.number}号楼",
                "page": 2,
                "per_page": 25,
            },
        ):
            counts.append((str(params.keys()), _count(client, _turnout(decision), params)))
    assert counts[:3] == counts[3:]


def test_the_canvass_list_shows_only_the_units_not_voted_with_masked_names(client, open_vote):
    decision, member = open_vote(200)
    client.force_login(member)
    scope = selectors.turnout_scope(decision)
    not_voted = selectors.turnout_units(decision, scope, voted="no")
    response = client.get(_turnout(decision), {"voted": "no", "per_page": 200})
    page = response.context["list"]
    assert page.count == not_voted.count() == len(response.context["canvass"]) > 0
    assert all(not row.voted for row in response.context["canvass"])
    html = response.content.decode()
    assert "业主1" not in html and "业*" in html  # names masked
    for word in ("同意", "反对", "弃权"):
        assert word not in html.split('id="not-voted"')[1]


def test_the_canvass_list_is_searched_by_building_unit_and_masked_name(client, open_vote):
    decision, member = open_vote(200)
    client.force_login(member)
    scope = selectors.turnout_scope(decision)
    search = lambda q: [  # noqa: E731
        u.unit_label for u in selectors.turnout_units(decision, scope, search=_search(q))
    ]
    in_two = search("2号楼")
    assert in_two and all(label.startswith("2号楼") for label in in_two)
    assert search("2号楼 1-101") == ["2号楼 1-101"]
    assert len(search("业*")) == decision.roll_units.count()
    assert search("主*") == []  # only the first character is searchable
    assert search("业主1") == []  # names are never searched whole


def _search(text):
    from portal.lists import parse_search

    return parse_search(text)


def test_the_canvass_list_exports_the_whole_filtered_list(client, open_vote):
    decision, member = open_vote(200)
    client.force_login(member)
    building = decision.compound.buildings.get(number="3")
    response = client.get(
        _turnout(decision), {"voted": "no", "building": building.pk, "export": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    expected = selectors.turnout_units(
        decision, selectors.turnout_scope(decision), building_id=building.pk, voted="no"
    )
    assert header[:2] == ("楼栋", "房屋")
    assert [r[1] for r in rows] == [u.unit_label for u in expected]
    assert {r[4] for r in rows} == {"未投票"}
    assert all(r[2].endswith("*") for r in rows)


@pytest.mark.parametrize(
    "params",
    [
        {"page": "-1"},
        {"page": "x" * 10_000},
        {"q": "楼" * 10_000},
        {"voted": "maybe"},
        {"building": "999999"},
        {"item": "abc"},
        {"per_page": "100000"},
        {"export": "csv"},
    ],
)
def test_hostile_list_parameters_are_refused_by_name(client, cast, params):
    decision = make_decision(cast)
    client.force_login(cast.committee)
    response = client.get(_turnout(decision), params)
    assert response.status_code == 400
    assert 'id="list-errors"' in response.content.decode()


def _mismatch(decision, cast, second, number):
    code = decision.roll.get(number=number).ballot_code
    item = decision.items.get()
    for actor, choice in ((cast.committee, "agree"), (second, "disagree")):
        services.paper_entry_record(
            decision=decision, ballot_code=code, actor=actor, choices={item.pk: choice}
        )


def test_review_and_paper_lists_run_the_same_queries_at_any_length(client, cast, second_committee):
    decision = make_decision(cast)
    client.force_login(cast.committee)
    review = reverse("voting:review", args=["home", decision.pk])
    paper = reverse("voting:paper_entry", args=["home", decision.pk])
    _mismatch(decision, cast, second_committee, 1)
    before = [_count(client, review, {}), _count(client, paper, {})]
    for number in (2, 3, 4):
        _mismatch(decision, cast, second_committee, number)
    after = [_count(client, review, {}), _count(client, paper, {})]
    assert before == after
    listed = client.get(review).context["list"]
    assert listed.count == 4 and len(listed.rows) == 4
    assert client.get(paper).context["list"].count == 8


def test_review_queue_is_searched_and_exported_without_choices(client, cast, second_committee):
    decision = make_decision(cast)
    client.force_login(cast.committee)
    for number in (1, 2):
        _mismatch(decision, cast, second_committee, number)
    review = reverse("voting:review", args=["home", decision.pk])
    first = decision.roll.get(number=1)
    building = first.units.get().building
    found = client.get(review, {"q": f"{building.number}号楼"}).context["list"]
    assert {e.number for e in found.rows} <= {1, 2} and 1 in {e.number for e in found.rows}
    response = client.get(review, {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows] == [1, 2]
    text = " ".join(str(c) for r in rows for c in r)
    assert "同意" not in text and "反对" not in text  # never the keyed choices
    paper = reverse("voting:paper_entry", args=["home", decision.pk])
    keyed = client.get(paper, {"status": "mismatch", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(keyed.streaming_content))).active
    assert len(list(sheet.iter_rows(values_only=True))) == 1 + 4


def test_public_participants_are_searched_by_building_never_by_name(client, open_vote):
    decision, _member = open_vote(200, publish=True)
    url = reverse("voting_public:result", args=[decision.compound.code, decision.pk])
    response = client.get(url, {"q": "2号楼"})
    labels = [label for label, _area in response.context["participants"]]
    assert labels and all("2号楼" in label for label in labels)  # a second flat may be elsewhere
    assert client.get(url, {"q": "业*"}).context["participants"] == []
    building = decision.compound.buildings.get(number="4")
    by_building = client.get(url, {"building": building.pk}).context["participants"]
    assert by_building and all("4号楼" in label for label, _a in by_building)
