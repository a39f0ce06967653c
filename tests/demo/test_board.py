"""The demo's board (issue 12): 学院南路32号院 with its real milestones and the alerts a
street office sees today (nothing that lapsed in 2024 silently renewed), the renovation
marked illustrative, and seeding again changes nothing."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.urls import reverse

from board import demo_board, demo_committee, services
from board.milestones import compounds_progress
from board.models import Alert
from portal.landing import landing_url
from portal.models import Role


def test_the_demo_board_shows_todays_alerts_and_real_milestones(demo_result, client):
    result = demo_result
    compound = result.compound
    assert result.app_seeds["board.demo_board"]
    (p,) = compounds_progress([compound], dt.date(2026, 12, 1))
    by_key = {m.key: m for m in p.milestones}
    assert by_key["renovation"].done_on == dt.date(2021, 5, 1)
    assert by_key["committee"].done_on == dt.date(2021, 6, 18)
    assert by_key["decision_held"].done_on == dt.date(2021, 10, 25)
    assert by_key["agreement_signed"].done_on == dt.date(2021, 12, 10)
    assert by_key["agreement_filed"].done_on == dt.date(2021, 12, 20)
    assert by_key["first_billing"].done_on == dt.date(2022, 1, 1)
    # The lift replacement of buildings 16 and 17 (works' demo), approved 2021-12-10.
    assert by_key["works"].done_on == dt.date(2021, 12, 10)
    assert p.stage == "works"

    client.force_login(get_user_model().objects.get(username="jiedao"))
    data = client.get(reverse("api-street-office-board", args=["btpz"])).json()
    row = next(c for c in data["compounds"] if c["code"] == compound.code)
    assert row["collection"]["year"] == 2022
    assert row["collection"]["rate_households"] == "82.65"
    kinds = {a["kind"]: a for a in row["alerts"]}
    assert {
        "committee_term_ended",
        "subsidy_ended",
        "agreement_expired",
        "fee_standard_expired",
    } <= set(kinds)
    assert kinds["committee_term_ended"]["due"] == "2024-06-17"
    assert kinds["subsidy_ended"]["due"] == "2024-12-31"
    assert all(a["state"] in ("open", "acknowledged") for a in row["alerts"])

    page = client.get(reverse("board:compound-milestones", args=[compound.code])).content
    assert "示意数据" in page.decode()

    # The 2021 committee's formation record (illustrative dates), its term still ended.
    filed = by_key["committee_filed"]
    assert filed.done_on == dt.date(2021, 7, 5) and "示意数据" in filed.detail
    page = client.get(reverse("committee", args=[compound.code])).content.decode()
    assert 'data-state="ended"' in page and "committee-illustrative" in page
    # The second compound of 北太平庄街道: committee formed and filed, no decision yet.
    second = next(c for c in data["compounds"] if c["code"] == "mgbl")
    assert second["stage"] == "committee" and second["collection"] is None
    board = client.get(reverse("board:office-board", args=["btpz"])).content.decode()
    row = board.split('data-code="mgbl"')[1].split("</tr>")[0]
    assert "下一步：业主共同决定" in row
    mgbl = result.compound.street_office.compounds.get(code="mgbl")
    assert mgbl.committee_formations.get().filed_on == dt.date(2025, 10, 29)
    assert mgbl.committees.get().members.count() == 7

    # Seeding the board again opens and resolves nothing.
    before = Alert.objects.count()
    demo_committee.seed(compound)
    demo_board.seed(compound)
    assert Alert.objects.count() == before
    again = services.alerts_refresh()
    assert not again.opened and not again.resolved


def test_the_demo_district_login_sees_both_demo_street_offices(demo_result, client):
    """(From tests/board/test_district.py.)"""
    from households import demo as register_demo

    result = demo_result
    (login,) = [d for d in result.logins if d.username == "quzhujian"]
    assert (login.role, login.path) == (Role.DISTRICT_OFFICER, "/d/hd/board/")
    user = get_user_model().objects.get(username="quzhujian")
    assert landing_url(user) == "/d/hd/board/"
    client.force_login(user)
    data = client.get(reverse("api-district-board", args=["hd"])).json()
    assert {o["code"] for o in data["street_offices"]} == {
        register_demo.MAIN_OFFICE["code"],
        register_demo.OTHER_OFFICE["code"],
    }
    assert client.get(reverse("compound", args=[result.compound.code])).status_code == 404
