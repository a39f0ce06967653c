"""Activation letters in a real browser: a committee member prints one building's letters
on a phone, downloads the building file, and a letter's QR link opens the activation page
with its code filled in."""

import io
import re

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import PHONE, horizontal_overflow

pytestmark = pytest.mark.e2e

CODE = re.compile(r"[2-9A-Z]{5}-[2-9A-Z]{5}-[2-9A-Z]{5}")


def test_the_committee_prints_a_building_on_a_phone_and_the_qr_link_prefills_the_code(
    cast, make_page, login, screenshot
):
    phone = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    login(phone, "committee")
    phone.goto("/c/home/letters/")
    assert horizontal_overflow(phone) <= 0
    phone.check("#letters-form input[name=buildings][value='2']")
    with phone.expect_navigation():
        phone.click("#letters-form button[type=submit]")
    assert re.search(r"/c/home/letters/\d+/$", phone.url)
    phone.wait_for_selector("#letter-files a")
    assert phone.inner_text("#letter-done") == phone.inner_text("#letter-total") == "3"
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "letters-job-phone")
    link = phone.locator("#letter-files a").first
    response = phone.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
    assert "2号楼 0101" in text
    code = CODE.search(text).group(0)

    visitor = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    visitor.goto(f"/activate/?code={code}")
    assert visitor.input_value("input[name=code]") == code
    assert horizontal_overflow(visitor) <= 0
