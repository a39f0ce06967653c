"""Everything about a building-scoped item uses that item's roll: turnout, canvass list,
chart, paper ballot sheet and tally report. The resident owns 1号楼 0101 (outside the scope)
and 2号楼 0401 (inside), so any leak of the out-of-scope flat shows."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from households.models import AreaSource, Owner, Ownership, Unit
from voting import charts, selectors, services

from .helpers import make_decision, publish


@pytest.fixture
def second_flat(cast):
    """The resident's second flat, in building 2, with an area unlike any other."""
    unit = Unit.objects.create(
        compound=cast.compound,
        building=cast.compound.buildings.get(number="2"),
        number="0401",
        floor_area=Decimal("88.80"),
        area_source=AreaSource.REGISTERED,
    )
    Ownership.objects.create(
        compound=cast.compound,
        unit=unit,
        owner=Owner.objects.get(compound=cast.compound, user=cast.resident),
        valid_from=dt.date(2020, 1, 1),
    )
    return unit


def url(name, decision, *extra):
    return reverse(f"voting:{name}", args=[decision.compound.code, decision.pk, *extra])


def _vote(decision, cast, item):
    entry = selectors.roll_entries_for_user(decision, cast.resident).get()
    services.ballot_cast(
        decision=decision, entry=entry, user=cast.resident, choices={item: "agree"}
    )


def test_turnout_of_a_scoped_decision_counts_only_the_scope(client, cast, second_flat):
    decision = make_decision(cast, items=((7, ["2"]),))
    client.force_login(cast.committee)
    page = client.get(url("turnout", decision)).content.decode()
    # 3 owners of building 2 and the resident; 3 × 60.50 + 88.80, never the whole compound
    assert "0 / 4" in page and "270.30" in page
    assert "0 / 6" not in page and "1号楼" not in page


def test_turnout_and_canvass_list_per_item(client, cast, second_flat):
    decision = make_decision(cast, items=((4, None), (7, ["2"])))
    whole, scoped = decision.items.order_by("position")
    _vote(decision, cast, whole.pk)  # voted on the whole-compound item only
    building = cast.compound.buildings.get(number="2")
    client.force_login(cast.committee)
    page = client.get(url("turnout", decision), {"item": scoped.pk, "building": building.pk})
    text = page.content.decode()
    assert "0 / 4" in text and "270.30" in text
    assert 'id="turnout"' in text and "1号楼" not in text.split('id="turnout"')[1]
    canvass = text.split('id="not-voted"')[1]
    assert "2号楼 0401" in canvass  # not voted on this item
    rows = selectors.turnout_by_building(decision, selectors.turnout_scope(decision, scoped))
    assert [(r.label, r.voters, r.area) for r in rows] == [("2号楼", 4, 3 * 6050 + 8880)]
    assert [r.label for r in charts.turnout_chart(rows).rows] == ["2号楼"]
    overall = client.get(url("turnout", decision)).content.decode()
    assert "1 / 6" in overall  # the decision as a whole: anyone who voted on anything
    # An item not of this decision is a filter value refused by name (portal.lists), not
    # a missing page.
    unknown = client.get(url("turnout", decision), {"item": 999999})
    assert unknown.status_code == 400 and "表决事项" in unknown.content.decode()


def test_ballot_sheet_shows_only_the_flats_in_scope(client, cast, second_flat):
    decision = make_decision(cast, items=((7, ["2"]),))
    client.force_login(cast.committee)
    building = cast.compound.buildings.get(number="2")
    page = client.get(url("sheets", decision), {"building": building.pk}).content.decode()
    entry = selectors.roll_entries_for_user(decision, cast.resident).get()
    sheet = page.split(entry.ballot_code)[0].rsplit('<div class="sheet">', 1)[1]
    assert "2号楼 0401" in sheet and "88.80" in sheet
    assert "1号楼 0101" not in sheet and "149.30" not in sheet
    building_1 = cast.compound.buildings.get(number="1")
    none = client.get(url("sheets", decision), {"building": building_1.pk}).content.decode()
    assert entry.ballot_code not in none  # its flat there is in no item's scope


def test_tally_report_turnout_follows_each_items_scope(
    client, cast, second_flat, django_capture_on_commit_callbacks
):
    decision = make_decision(cast, items=((4, None), (7, ["2"])))
    whole, scoped = decision.items.order_by("position")
    entry = selectors.roll_entries_for_user(decision, cast.resident).get()
    services.ballot_cast(
        decision=decision, entry=entry, user=cast.resident, choices={scoped.pk: "agree"}
    )
    decision = publish(decision, cast)
    client.force_login(cast.committee)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("report_request", decision))
    response = client.get(url("report", decision))
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    # The whole-compound item: nobody voted on it, in either building.
    assert "0 / 3 0.00% 0.00 / 181.50" in text and "0 / 4 0.00% 0.00 / 270.30" in text
    # The scoped item: building 2 only, with the resident's 88.80 m² flat there; their
    # flat in building 1 (60.50 m²) is outside the scope and shows nowhere as voted.
    assert "1 / 4 25.00% 88.80 / 270.30 32.85%" in text
    assert "60.50 / 181.50" not in text and "149.30" not in text
