"""The district board in a browser (issue 12 item 4): the district officer signs in, lands
on the district's board (its street offices, the ECharts chart under the CSP), opens a
street office's board read-only (no acknowledge button, no setting), on a desktop and on a
phone without sideways scrolling."""

import pytest

from board import services
from portal.models import StreetOffice
from tests.board.helpers import add_committee, transition_compound
from tests.e2e.conftest import PHONE, horizontal_overflow

pytestmark = pytest.mark.e2e


@pytest.fixture
def district(cast):
    transition_compound(cast.office, "e1", name="甲小区", paid=5)
    add_committee(cast.compound)  # its term ended in 2024: an open alert
    second = StreetOffice.objects.create(code="e-office", name="乙街道", district=cast.district)
    transition_compound(second, "e2", name="乙小区", paid=2)
    services.alerts_refresh()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_district_officer_reads_the_boards_of_its_street_offices(
    cast, district, make_page, login, screenshot, viewport
):
    options = (
        {"viewport": PHONE, "is_mobile": True, "has_touch": True} if viewport == "phone" else {}
    )
    page = make_page(**options)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, "district_officer")
    assert page.url.endswith("/d/home-district/board/")  # landed on the district's board
    screenshot(page, f"district-board-{viewport}")
    rows = page.locator("#district-table tbody tr")
    assert rows.count() == 2
    table = page.inner_text("#district-table")
    assert "北太平庄街道(测试)" in table and "乙街道" in table
    assert "远方街道" not in page.inner_text("main")
    page.wait_for_selector("html[data-board-charts='2']")
    assert page.locator("#chart-latest canvas").count() == 1
    assert not errors
    assert horizontal_overflow(page) <= 0

    with page.expect_navigation():
        page.locator("#district-table tr[data-code='home-office'] a").click()
    assert page.url.endswith("/so/home-office/board/")
    screenshot(page, f"district-office-board-{viewport}")
    assert page.locator("#board-read-only").count() == 1
    assert page.locator("#board-table tbody tr").count() == 3
    # Read-only: no acknowledge form, no alert check, no target, no compound link.
    assert page.locator("form.ack-form, main button:has-text('确认')").count() == 0
    assert page.locator("form[action$='/board/refresh/']").count() == 0
    assert page.locator("form.board-target").count() == 0
    assert page.locator("#board-table a[href^='/c/']").count() == 0
    assert horizontal_overflow(page) <= 0
    # A compound page stays absent for the district officer.
    response = page.goto("/c/home/")
    assert response is not None and response.status == 404
