"""A street officer creates a committee member and a company staff account through the
pages; the one-time password, shown once, works for the first login (which asks for a new
password first), on a desktop and on a phone."""

import re

import pytest

from tests.e2e.conftest import PHONE, horizontal_overflow

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Lift-Repair-2023!"


@pytest.fixture(autouse=True)
def _warm_live_server(page):
    """The live server's first request imports the URLconf and compiles templates: on a
    loaded machine that alone can take longer than a page's 10 s timeout."""
    page.goto("/accounts/login/", timeout=60_000)


def create_account(page, username: str, name: str, role: str, compound: str) -> str:
    """On the accounts page: fill the form, submit, read the one-time password."""
    page.fill("#id_username", username)
    page.fill("#id_name", name)
    page.select_option("#id_role", role)
    page.select_option("#id_compound", compound)
    with page.expect_navigation():
        page.click("#create-account button[type=submit]")
    assert page.inner_text("#created-username") == username
    otp = page.inner_text("#one-time-password").strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{2}", otp)
    return otp


def first_login(page, login, username: str, otp: str) -> None:
    """Log in with the one-time password; the first page asks for a new one."""
    login(page, username, otp)
    assert "/accounts/password/" in page.url
    page.fill("#id_old_password", otp)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/password/" not in page.url


def test_officer_creates_a_committee_member_on_a_desktop(cast, page, make_page, login, screenshot):
    login(page, "officer")
    page.goto("/so/home-office/")
    with page.expect_navigation():
        page.click("#office-accounts")
    assert "/so/home-office/accounts/" in page.url
    assert page.locator("#accounts a", has_text="committee").count() >= 1
    otp = create_account(page, "li.na", "李娜", "committee_member", "home")
    screenshot(page, "staff-created-desktop")
    # Shown once: the list and the account's page do not show it again.
    page.click("text=查看该账号")
    assert otp not in page.content()
    page.goto("/so/home-office/accounts/?q=li.na")
    assert otp not in page.content()
    assert page.locator("#accounts a", has_text="li.na").count() == 1

    newcomer = make_page()
    first_login(newcomer, login, "li.na", otp)
    newcomer.goto("/c/home/")
    assert newcomer.inner_text("h1") == "小区home"
    # The one-time password no longer works once changed.
    again = make_page()
    again.goto("/accounts/login/")
    again.fill("#id_username", "li.na")
    again.fill("#id_password", otp)
    with again.expect_navigation():
        again.click("main form button[type=submit]")
    assert "/accounts/login/" in again.url


def test_officer_creates_a_company_staff_account_on_a_phone(cast, make_page, login, screenshot):
    phone = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    login(phone, "officer")
    phone.goto("/so/home-office/accounts/")
    assert horizontal_overflow(phone) <= 0
    otp = create_account(phone, "wy.zhao", "赵物业", "company_staff", "home")
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "staff-created-phone")

    staff = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    first_login(staff, login, "wy.zhao", otp)
    staff.goto("/c/home/")
    assert staff.inner_text("h1") == "小区home"
    assert horizontal_overflow(staff) <= 0

    # The officer deactivates it (with confirmation): the staff member's session ends.
    phone.goto("/so/home-office/accounts/?q=wy.zhao")
    with phone.expect_navigation():
        phone.click("#accounts a:has-text('wy.zhao')")
    with phone.expect_navigation():
        phone.click("#deactivate")
    assert horizontal_overflow(phone) <= 0
    with phone.expect_navigation():
        phone.click("#confirm-button")
    assert phone.inner_text("#account-status") == "已停用"
    staff.goto("/c/home/")
    assert "/accounts/login/" in staff.url
