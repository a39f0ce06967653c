"""A resident files a request with a photo on a phone, the company handles it, the
resident rates it; the rates page draws its chart under the CSP (issue 14)."""

import pytest

from tests.e2e.conftest import horizontal_overflow
from tests.tickets.helpers import png_bytes
from tickets.models import Request

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}
# The shared test machine can be slow to serve the first pages of a live server.
PATIENCE_MS = 60_000


def test_resident_files_company_handles_resident_rates(cast, make_page, login, screenshot):
    phone = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.set_default_timeout(PATIENCE_MS)
    login(phone, "resident")
    phone.goto("/c/home/requests/")
    phone.click("#request-new")
    phone.select_option("#id_category", "repairs")
    phone.select_option("#id_unit", index=1)  # the resident's own unit
    phone.fill("#id_description", "厨房水管漏水，地面有积水")
    phone.set_input_files(
        "#id_photo", files=[{"name": "leak.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    assert horizontal_overflow(phone) <= 0
    with phone.expect_navigation():
        phone.click("#request-form button[type=submit]")
    assert "待派单" in phone.inner_text("#request-state")
    thumbnail = phone.locator(".photos img").first
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(phone, "tickets-resident-filed-phone")
    request_url = phone.url

    desk = make_page()
    desk.set_default_timeout(PATIENCE_MS)
    login(desk, "company_staff")
    desk.goto("/c/home/requests/?state=new")
    desk.click("#requests a >> nth=0")
    desk.select_option("#id_party", "company")
    desk.fill("#id_assignee", "company_staff")
    with desk.expect_navigation():
        desk.click("#assign-form button[type=submit]")
    assert "已派单" in desk.inner_text("#request-state")
    with desk.expect_navigation():
        desk.click("#start-form button[type=submit]")
    desk.fill("#resolve-note", "已更换水管接头")
    with desk.expect_navigation():
        desk.click("#resolve-form button[type=submit]")
    assert "已办结" in desk.inner_text("#request-state")

    phone.goto(request_url)
    assert "已更换水管接头" in phone.inner_text("#request-result")
    phone.check("#rate-form input[value=satisfied]")
    phone.fill("#rate-comment", "很及时")
    with phone.expect_navigation():
        phone.click("#rate-form button[type=submit]")
    assert "已关闭" in phone.inner_text("#request-state")
    assert "满意" in phone.inner_text("#request-rating")
    request = Request.objects.get()
    assert request.rating == "satisfied" and request.first_response_at is not None


def test_rates_page_draws_its_chart(cast, page, login):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(PATIENCE_MS)
    login(page, "committee")
    page.goto("/c/home/requests/rates/")
    page.wait_for_selector("#rates-chart canvas")
    assert page.locator("#trend-category canvas").count() == 1
    assert "响应率：" in page.inner_text("#rates-definitions")
    assert not [e for e in errors if "Content Security Policy" in e]
