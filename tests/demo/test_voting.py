"""The demo's 2021 decision: the same four figures on the page, in the API and the PDF."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from board.demo import DEMO_PASSWORD
from portal.access import roles_in
from portal.models import Role
from voting import demo, selectors, services
from voting.models import DecisionState, PaperEntryStatus
from works import demo as works_demo


@pytest.fixture
def seeded(demo_result):
    """The demo (seeded twice, see tests/demo/conftest.py) and its committee member."""
    return demo_result.compound, get_user_model().objects.get(username="wuguanhui")


def test_demo_2021_figures_agree_on_page_api_and_pdf(seeded, client):
    compound, committee = seeded
    decision = compound.decisions.get(title=demo.TITLE_2021)
    assert decision.state == DecisionState.PUBLISHED
    # The voting demo's three (works' demo adds the 2021 lift decision it builds on).
    assert compound.decisions.exclude(title=works_demo.TITLE_DECISION).count() == 3
    assert compound.decisions.count() == 4
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
    services.tally_report_request(decision=decision, actor=committee)
    services.tally_report_render(decision_id=decision.pk)
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


def test_demo_parking_decision_waits_for_double_entry_then_counting(seeded, client):
    compound, wuguanhui = seeded
    second = get_user_model().objects.get(username="wuguanhui2")
    assert second.check_password(DEMO_PASSWORD) and second.is_active
    assert roles_in(second, compound) == {Role.COMMITTEE_MEMBER}
    decision = compound.decisions.get(title=demo.TITLE_PARKING)
    assert decision.state == DecisionState.CLOSED and decision.counted_at is None
    assert [i.category for i in decision.items.order_by("position")] == [8, 2]
    pending = list(selectors.pending_paper_entries(decision))
    assert len(pending) == 12
    assert sum(p.entered_by == wuguanhui for p in pending) == 4
    (mismatched,) = {p.entry for p in selectors.review_queue(decision)}
    with pytest.raises(ValidationError, match="不能计票"):
        services.decision_count(
            decision=decision,
            actor=wuguanhui,
            counting_date=decision.voting_closes_at.date(),
            counting_place="居委会活动室",
            counters="甲、乙、丙",
        )
    # wuguanhui2 keys each waiting ballot a second time on the page, the same as the first.
    client.force_login(second)
    paper_url = reverse("voting:paper_entry", args=[compound.code, decision.pk])
    assert client.get(paper_url).status_code == 200
    for paper in pending:
        data = {"ballot_code": paper.entry.ballot_code}
        data.update({f"item_{k}": v for k, v in paper.choices.items()})
        client.post(paper_url, data)
    assert not selectors.pending_paper_entries(decision).exists()
    assert decision.paper_entries.filter(status=PaperEntryStatus.CONFIRMED).count() == 24
    services.paper_entry_resolve(
        decision=decision,
        entry=mismatched,
        actor=second,
        choices={item.pk: "agree" for item in decision.items.all()},
    )
    services.decision_count(
        decision=decision,
        actor=second,
        counting_date=decision.voting_closes_at.date(),
        counting_place="居委会活动室",
        counters="甲、乙、丙",
    )
    decision.refresh_from_db()
    assert decision.state == DecisionState.COUNTED
    assert len(decision.tally_snapshot["items"]) == 2
