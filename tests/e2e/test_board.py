"""The street-office board in a browser (issue 12): the table, the ECharts charts drawn
from the vendored library under the CSP, acknowledging an alert from the landing page,
re-forming an ended committee from its page, on a desktop and on a phone without
sideways scrolling."""

import datetime as dt

import pytest

from board import services
from households.services.committee import committee_formation_start, committee_formation_step
from tests.board.helpers import add_committee, transition_compound
from tests.e2e.conftest import PHONE, horizontal_overflow
from tests.factories import make_compound

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


def _formed_second_compound(cast) -> None:
    """乙小区: its committee formed and filed through the services (in its term)."""
    compound = make_compound(cast.office, "e2", name="乙小区")
    today = dt.date.today()
    f = committee_formation_start(compound=compound, announced_on=today - dt.timedelta(days=60))
    for step, days_ago in [
        ("nominated_on", 50),
        ("confirmed_on", 40),
        ("publicity_start", 39),
        ("filed_on", 20),
    ]:
        f = committee_formation_step(
            formation=f, step=step, day=today - dt.timedelta(days=days_ago)
        )


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_officer_re_forms_an_ended_committee_and_the_board_follows(
    cast, board, make_page, login, screenshot, viewport
):
    _formed_second_compound(cast)
    services.alerts_refresh()
    options = (
        {"viewport": PHONE, "is_mobile": True, "has_touch": True} if viewport == "phone" else {}
    )
    page = make_page(**options)
    login(page, "officer")
    page.goto("/so/home-office/board/")
    second = page.locator("#board-table tbody tr[data-code='e2']")
    assert "成立物管会" in second.inner_text() and "下一步：业主共同决定" in second.inner_text()
    page.goto("/c/e2/committee/")
    steps = page.inner_text("table.committee-steps")
    assert "备案" in steps and "公示10个工作日，至" in steps
    assert page.get_attribute("#term-state", "data-state") == "in_term"

    page.goto("/c/home/committee/")
    assert page.get_attribute("#term-state", "data-state") == "ended"
    assert horizontal_overflow(page) <= 0
    today = dt.date.today()
    form = page.locator("#formation-start")
    form.locator("input[name=announced_on]").fill((today + dt.timedelta(days=2)).isoformat())
    form.locator("button[type=submit]").click()
    assert "不能晚于今天" in page.inner_text("#formation-start")
    page.locator("#formation-start input[name=announced_on]").fill(
        (today - dt.timedelta(days=9)).isoformat()
    )
    with page.expect_navigation():
        page.locator("#formation-start button[type=submit]").click()
    assert page.locator("#pending-formation").count() == 1
    for days_ago in (6, 2):  # 推荐, then 确定 (the new committee is formed)
        page.locator("#formation-step input[name=day]").fill(
            (today - dt.timedelta(days=days_ago)).isoformat()
        )
        with page.expect_navigation():
            page.locator("#formation-step button[type=submit]").click()
    screenshot(page, f"committee-reformed-{viewport}")
    assert page.get_attribute("#term-state", "data-state") == "in_term"
    assert page.locator(".committee-past").count() == 1  # the ended committee, kept
    assert "记录下一步：公示" in page.inner_text("#formation-step")
    assert horizontal_overflow(page) <= 0
    # The ended term's alert is resolved at once on the street office's page.
    page.goto("/so/home-office/")
    ended = page.locator("#alerts li[data-kind='committee_term_ended']").filter(has_text="小区home")
    assert ended.count() == 0
