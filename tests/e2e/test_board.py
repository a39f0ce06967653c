"""The street-office board in a browser (issue 12): the table, the ECharts charts drawn
from the vendored library under the CSP, acknowledging an alert from the landing page,
on a desktop and on a phone without sideways scrolling."""

import pytest

from board import services
from tests.board.helpers import add_committee, transition_compound
from tests.e2e.conftest import PHONE, horizontal_overflow

pytestmark = pytest.mark.e2e


@pytest.fixture
def board(cast):
    transition_compound(cast.office, "e1", name="甲小区", paid=5)
    add_committee(cast.compound)
    services.alerts_refresh()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_board_shows_every_compound_with_charts(
    cast, board, make_page, login, screenshot, viewport
):
    options = (
        {"viewport": PHONE, "is_mobile": True, "has_touch": True} if viewport == "phone" else {}
    )
    page = make_page(**options)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, "officer")
    page.goto("/so/home-office/board/")
    screenshot(page, f"board-{viewport}")
    rows = page.locator("#board-table tbody tr")
    assert rows.count() == 3
    table = page.inner_text("#board-table")
    assert "甲小区" in table and "收取物业费" in table and "77.84%" in table  # turnout
    # Both charts drawn by ECharts (its canvas), no CSP or script error.
    page.wait_for_selector("html[data-board-charts='2']")
    assert page.locator("#chart-latest canvas").count() == 1
    assert not errors
    assert horizontal_overflow(page) <= 0
    # Sorting by stage puts the compound that collects fees first (descending).
    page.goto("/so/home-office/board/?sort=stage&dir=desc")
    assert "甲小区" in page.locator("#board-table tbody tr").first.inner_text()


def test_an_officer_acknowledges_an_alert_on_the_phone(cast, board, make_page, login, screenshot):
    page = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    login(page, "officer")
    page.goto("/so/home-office/")
    alert = page.locator("#alerts li[data-kind='committee_term_ended']").filter(has_text="小区home")
    assert alert.count() == 1
    assert horizontal_overflow(page) <= 0
    alert.locator("input[name=note]").fill("换届筹备组已成立")
    with page.expect_navigation():
        alert.locator("button[type=submit]").click()
    screenshot(page, "board-alert-acknowledged-phone")
    assert "提醒已确认" in page.inner_text("main")
    assert "换届筹备组已成立" in page.inner_text("#alerts")
    assert horizontal_overflow(page) <= 0
