"""Password help without SMS, in a real browser: a committee member checks a resident's ID
at the counter and issues a reset code; the resident sets a new password on their phone
and signs in with it. A new account with a one-time password must choose its own first."""

from urllib.parse import urlparse

import pytest

from portal.services import one_time_password_issue
from tests.e2e.conftest import PHONE, horizontal_overflow

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Xueyuan-South-32!"


def test_a_committee_member_issues_a_code_and_the_resident_resets_on_a_phone(
    cast, page, make_page, login, screenshot
):
    login(page, "committee")
    assert page.url.endswith("/c/home/")  # the committee's landing page
    with page.expect_navigation():
        page.click("#reset-codes-link")
    page.fill("#reset-q", "1号楼 0101")
    with page.expect_navigation():
        page.click("form[role=search] button[type=submit]")
    row = page.locator("#reset-candidates tbody tr", has_text="resident")
    assert row.count() == 1
    row.locator("input[name=identity_checked]").check()
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    code = page.inner_text("#reset-code").strip()
    assert len(code) == 17
    screenshot(page, "reset-issued")

    phone = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto("/accounts/login/")
    with phone.expect_navigation():
        phone.click("#forgot-password a[href='/accounts/reset/code/']")
    assert horizontal_overflow(phone) <= 0
    # A typo first: the same refusal as for any wrong code, nothing changed.
    phone.fill("#id_username", "resident")
    phone.fill("#id_code", code[:-1] + ("Z" if code[-1] != "Z" else "Y"))
    phone.fill("#id_new_password1", NEW_PASSWORD)
    phone.fill("#id_new_password2", NEW_PASSWORD)
    with phone.expect_navigation():
        phone.click("#reset-code-form button[type=submit]")
    assert "用户名或重置码不正确" in phone.inner_text("#reset-refused")
    assert horizontal_overflow(phone) <= 0
    # Typed as read out, in lower case with spaces.
    phone.fill("#id_code", code.lower().replace("-", " "))
    phone.fill("#id_new_password1", NEW_PASSWORD)
    phone.fill("#id_new_password2", NEW_PASSWORD)
    with phone.expect_navigation():
        phone.click("#reset-code-form button[type=submit]")
    assert phone.locator("#reset-done").count() == 1
    screenshot(phone, "reset-done-phone")
    with phone.expect_navigation():
        phone.click("#reset-done a.btn")
    login(phone, "resident", NEW_PASSWORD)
    assert urlparse(phone.url).path == "/"  # a resident lands on their home page
    assert "1号楼 0101" in phone.inner_text("main")
    # The account page lists this sign-in.
    phone.goto("/accounts/")
    assert phone.locator("#sign-ins tbody tr").count() == 1
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "my-account-phone")


def test_a_new_account_must_change_its_one_time_password_first(cast, make_page, login):
    one_time_password = one_time_password_issue(user=cast.committee, actor=cast.officer)
    page = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    login(page, "committee", one_time_password)
    assert "/accounts/password/" in page.url
    assert "一次性密码" in page.inner_text("#must-change")
    assert horizontal_overflow(page) <= 0
    # Any other page sends it back.
    page.goto("/c/home/units/")
    assert "/accounts/password/" in page.url
    page.fill("#id_old_password", one_time_password)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/c/home/units/")
    assert "密码已修改" in page.inner_text(".messages")
    page.goto("/c/home/")
    assert page.url.endswith("/c/home/")
