"""On a phone (375 px) the resident's fee page shows every charge as a card: period,
amount due, paid and outstanding all inside the screen, no sideways scrolling; the home
page shows what each flat owes."""

import pytest

from tests.e2e.conftest import DESKTOP, horizontal_overflow
from tests.fees.helpers import home_fees

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 375, "height": 812}


def inside_viewport(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= SMALL_PHONE["width"]


@pytest.fixture
def phone(make_page, login):
    page = make_page(viewport=SMALL_PHONE, is_mobile=True, has_touch=True)
    login(page, "resident")
    return page


def test_each_charge_shows_period_amount_paid_and_outstanding_on_a_phone(cast, phone, screenshot):
    home_fees(cast)  # 2022: 726.00 due, 100.00 paid
    phone.goto("/c/home/fees/my/")
    screenshot(phone, "resident-fees-phone")
    assert horizontal_overflow(phone) <= 0
    charge = phone.locator("table.charges tbody tr").first
    expected = {
        "计费期间": "2022-01 – 2022-12",
        "业主应缴": "726.00",
        "已缴": "100.00",
        "未缴": "626.00",
    }
    for label, figure in expected.items():
        cell = charge.locator(f"td[data-label='{label}']")
        assert cell.is_visible(), label
        assert figure in cell.inner_text(), label
        assert inside_viewport(cell), label
        # The column's name is printed beside the figure (CSS ::before from data-label).
        before = cell.evaluate("el => getComputedStyle(el, '::before').content")
        assert before == f'"{label}"', label


def test_home_shows_each_flats_arrears_on_a_phone(cast, phone, screenshot):
    home_fees(cast)
    phone.goto("/")
    screenshot(phone, "resident-home-phone")
    assert horizontal_overflow(phone) <= 0
    balance = phone.locator("a.card[data-role='balance']")
    assert "626.00" in balance.inner_text()
    assert inside_viewport(balance)
    assert phone.locator("[data-empty='open-votes']").is_visible()


@pytest.mark.parametrize("viewport", [SMALL_PHONE, DESKTOP], ids=["375", "1280"])
def test_resident_home_fees_and_404_fit_phone_and_desktop(
    cast, make_page, login, screenshot, viewport
):
    from tests.voting.helpers import make_decision

    home_fees(cast)
    decision = make_decision(cast, items=((4, None), (7, ["2"])), title="电梯更新")
    page = make_page(viewport=viewport)
    login(page, "resident")
    width = viewport["width"]
    for path, name in [("/", "home"), ("/c/home/fees/my/", "fees"), ("/no-such-page/", "404")]:
        response = page.goto(path)
        screenshot(page, f"resident-{name}-{width}")
        assert horizontal_overflow(page) <= 0, path
        if name == "404":
            assert response.status == 404
            assert page.locator(".error-page a.btn").is_visible()
    page.goto("/")
    vote = page.locator("a.card[data-role='open-vote']", has_text="电梯更新")
    assert "1 项待投票" in vote.inner_text()
    with page.expect_navigation():
        vote.click()
    assert page.url.endswith(f"/c/home/decisions/{decision.pk}/ballot/")
