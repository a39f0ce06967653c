"""Each role of the cast signs in through the real login form and lands on its own home;
logout and the language switch work in a real browser."""

import pytest

from tests.e2e.conftest import PHONE, horizontal_overflow

pytestmark = pytest.mark.e2e


def cards(page, role: str) -> list[str]:
    return page.locator(f"a.card[data-role='{role}']").all_inner_texts()


def test_street_officer_sees_the_street_office_card(cast, page, login, screenshot):
    login(page, "officer")
    assert page.url.endswith("/so/home-office/")  # lands on its street office's page
    page.goto("/")  # the home page still lists it
    assert cards(page, "street_officer") == ["北太平庄街道(测试)\n街道总览"]
    assert cards(page, "resident") == []
    page.click("a.card[data-role='street_officer']")
    assert page.inner_text("h1") == "北太平庄街道(测试)"
    assert page.locator("table a", has_text="小区home").count() == 1
    assert page.locator("table a", has_text="小区far").count() == 0
    screenshot(page, "cast-officer")


@pytest.mark.parametrize("who", ["committee", "company_staff", "property_unit_rep"])
def test_compound_staff_see_the_compound(cast, page, login, screenshot, who):
    login(page, who)
    assert page.url.endswith("/c/home/")  # lands on its compound's page
    page.goto("/")  # the home page still lists it
    (card,) = cards(page, "compound-staff")
    assert card.startswith("小区home")
    assert cards(page, "street_officer") == []
    page.click("a.card[data-role='compound-staff']")
    assert page.inner_text("h1") == "小区home"
    assert page.locator("table tbody tr").count() == 2  # two buildings
    screenshot(page, f"cast-{who}")


def test_resident_sees_their_unit_and_only_theirs(cast, page, login, live_server, screenshot):
    login(page, "resident")
    (card,) = cards(page, "resident")
    assert "1号楼 0101" in card
    assert cards(page, "compound-staff") == [] and cards(page, "street_officer") == []
    page.click("a.card[data-role='resident']")
    assert "1号楼 0101" in page.inner_text("h1")
    owners = page.inner_text("table")
    assert "110***********0101" in owners and "110101198001010101" not in owners
    screenshot(page, "cast-resident")
    # The neighbour's flat and the compound's pages answer 404.
    other = cast.compound.units.get(building__number="1", number="0201")
    assert page.goto(other.get_absolute_url()).status == 404
    assert page.goto("/c/home/").status == 404


@pytest.mark.parametrize("who", ["outsider_compound", "outsider_office", "outsider_resident"])
def test_outsiders_do_not_see_the_home_compound(cast, page, login, who):
    login(page, who)
    assert "小区home" not in page.inner_text("main")
    assert page.goto("/c/home/").status == 404
    assert page.goto("/so/home-office/").status == 404


def test_phone_renders_the_compound_page_without_horizontal_overflow(
    cast, make_page, login, screenshot
):
    page = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    login(page, "committee")
    page.goto("/c/home/")
    assert horizontal_overflow(page) <= 0
    # The buildings table lives in a .table-wrap, which scrolls on its own if it must.
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    assert wrap.evaluate("el => el.getBoundingClientRect().right") <= PHONE["width"]
    screenshot(page, "cast-committee-phone")


def test_logout(cast, page, login):
    login(page, "committee")
    with page.expect_navigation():
        page.click("header form button:has-text('退出')")
    assert "/accounts/login/" in page.url
    page.goto("/")
    assert "/accounts/login/" in page.url  # the session is gone


def test_switching_to_english_and_back(cast, page, login):
    login(page, "committee")
    page.goto("/c/home/")
    assert page.get_attribute("html", "lang") == "zh-hans"
    with page.expect_navigation():
        page.click("header button[value='en']")
    assert page.get_attribute("html", "lang") == "en"
    assert page.url.endswith("/c/home/")  # back on the same page
    page.goto("/")
    assert page.get_attribute("html", "lang") == "en"  # the choice sticks
    with page.expect_navigation():
        page.click("header button[value='zh-hans']")
    assert page.get_attribute("html", "lang") == "zh-hans"


def test_login_page_refuses_a_wrong_password(cast, page):
    page.goto("/accounts/login/")
    page.fill("#id_username", "committee")
    page.fill("#id_password", "wrong-password")
    with page.expect_navigation():  # the answer is a new page: wait for it, not the click
        page.click("main form button[type=submit]")
    assert page.locator(".errorlist").count() == 1
    assert "/accounts/login/" in page.url
