"""The demo's 2021 decision: the same four figures on the page, in the API and the PDF."""

import io

import pytest
from pypdf import PdfReader
from rest_framework.test import APIClient

from households import demo as register_demo
from portal.models import Role
from tests.factories import make_member
from voting import demo, reports, selectors
from voting.models import DecisionState


@pytest.fixture
def seeded(db):
    compound = register_demo.seed_register()
    committee = make_member("demo-committee", Role.COMMITTEE_MEMBER, compound=compound)
    demo.seed(compound)
    demo.seed(compound)  # idempotent
    return compound, committee


def test_demo_2021_figures_agree_on_page_api_and_pdf(seeded, client):
    compound, committee = seeded
    decision = compound.decisions.get(title=demo.TITLE_2021)
    assert decision.state == DecisionState.PUBLISHED
    assert compound.decisions.count() == 2
    (tally,) = selectors.decision_tally(decision)
    figures = tally.raw.percents
    assert tally.raw.total.owners == 1336
    assert figures == {
        "participation_owners": "77.84",
        "participation_area": "74.25",
        "consent_owners": "74.13",
        "consent_area": "78.86",
    }
    assert tally.result.passed  # category 4
    (demo_item,) = decision.items.all()
    assert demo_item.title == demo.ITEM_2021 and demo_item.sets_fee_standard
    # The same ballots as a major matter (categories 6–8) fail on consenting owners.
    from voting import rules

    for category in (6, 7, 8):
        assert not rules.tally(tally.counts, category=category).passed

    client.force_login(committee)
    page = client.get(decision.get_absolute_url()).content.decode()
    public = client.get(f"/public/{compound.code}/decisions/{decision.pk}/result/").content.decode()
    api = APIClient()
    api.force_authenticate(committee)
    (item,) = api.get(f"/api/v1/compounds/{compound.code}/decisions/{decision.pk}/tally/").json()
    reports.tally_report_request(decision=decision, actor=committee)
    reports.tally_report_render(decision_id=decision.pk)
    decision.refresh_from_db()
    pdf = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(decision.report_file.read())).pages
    )
    for value in figures.values():
        assert f"{value}%" in page
        assert f"{value}%" in public
        assert f"{value}%" in pdf
    assert item["ratios"] == {
        "participation_owners": figures["participation_owners"],
        "participation_area": figures["participation_area"],
        "consent_owners": figures["consent_owners"],
        "consent_area": figures["consent_area"],
    }
    assert item["passed"] is True
    assert "北京市海淀公证处" in pdf


def test_demo_lift_decision_is_scoped_to_buildings_16_and_17(seeded):
    compound, _ = seeded
    decision = compound.decisions.get(title=demo.TITLE_LIFTS)
    item = decision.items.get()
    assert item.category == 7
    assert sorted(r.building.number for r in item.scope_rows.all()) == ["16", "17"]
    assert decision.state == DecisionState.OPEN
    turnout = selectors.turnout_by_building(decision)
    assert [t.label for t in turnout] == ["16号楼", "17号楼"]
    assert all(0 < t.voted_voters < t.voters for t in turnout)
