"""A resident files a request with a photo on a phone, the company handles it, the
resident rates it "not satisfied" and it is reopened; the street office imports a 12345
file as a background job (a bad file's row report, then a good one) and exports it back;
the rates page draws its chart under the CSP (issue 14)."""

import io

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import PHONE, horizontal_overflow
from tests.tickets.helpers import png_bytes
from tests.tickets.test_hotline import GOOD, xlsx
from tests.tickets.test_hotline_jobs import BAD
from tickets.hotline import EXPORT_HEADERS
from tickets.models import Request, State

pytestmark = pytest.mark.e2e

# The shared test machine can be slow to serve the first pages of a live server.
PATIENCE_MS = 60_000
# A pasted link with no break in it: it must wrap, not widen the phone's page.
LONG = "厨房水管漏水，地面有积水。" * 20 + "https://example.com/" + "a" * 120


def test_resident_files_company_handles_resident_reopens(cast, make_page, login, screenshot):
    phone = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.set_default_timeout(PATIENCE_MS)
    login(phone, "resident")
    phone.goto("/c/home/requests/")
    assert "您还没有报修" in phone.inner_text("#requests-empty")
    phone.click("#request-new")
    phone.select_option("#id_category", "repairs")
    # The resident's one flat is already chosen.
    assert phone.locator("#id_unit option:checked").get_attribute("value") != ""
    phone.fill("#id_description", LONG)
    phone.set_input_files(
        "#id_photo", files=[{"name": "leak.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    assert horizontal_overflow(phone) <= 0
    with phone.expect_navigation():
        phone.click("#request-form button[type=submit]")
    assert "待派单" in phone.inner_text("#request-state")
    thumbnail = phone.locator(".photos img").first
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth > 0")
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "tickets-resident-filed-phone")
    request_url = phone.url
    phone.goto("/c/home/requests/")
    assert phone.locator("#requests li.card").count() == 1
    assert horizontal_overflow(phone) <= 0

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

    # The resident is told: an unread notification, then the result on the request.
    phone.goto("/c/home/requests/")
    assert int(phone.inner_text("#unread-count")) >= 1
    phone.goto(request_url)
    assert "已更换水管接头" in phone.inner_text("#request-result")
    assert horizontal_overflow(phone) <= 0
    phone.check("#rate-form input[value=not_satisfied]")
    phone.fill("#rate-comment", "还在滴水")
    with phone.expect_navigation():
        phone.click("#rate-form button[type=submit]")
    assert "已重启" in phone.inner_text("#request-state")
    assert "不满意" in phone.inner_text("#request-rating")
    request = Request.objects.get()
    assert request.state == State.REOPENED and request.rating == "not_satisfied"
    assert request.first_response_at is not None


def test_street_office_imports_hotline_file_and_exports_it(cast, make_page, login, screenshot):
    page = make_page(viewport=PHONE, is_mobile=True)
    page.set_default_timeout(PATIENCE_MS)
    login(page, "officer")
    page.goto("/c/home/requests/hotline/")
    page.set_input_files(
        "#id_file", files=[{"name": "坏.xlsx", "mimeType": "application/zip", "buffer": xlsx(BAD)}]
    )
    with page.expect_navigation():
        page.click("#hotline-form button[type=submit]")
    assert "/hotline/imports/" in page.url
    report = page.inner_text("#hotline-errors")
    assert "三月五号" in report and "BJ240301" in report
    assert page.locator("#letter-lines").is_hidden()  # the rows are listed once, in the table
    assert horizontal_overflow(page) <= 0
    assert not Request.objects.exists()
    screenshot(page, "tickets-hotline-report-phone")

    page.goto("/c/home/requests/hotline/")
    page.set_input_files(
        "#id_file",
        files=[{"name": "3月.xlsx", "mimeType": "application/zip", "buffer": xlsx(GOOD)}],
    )
    with page.expect_navigation():
        page.click("#hotline-form button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('letter-done').textContent"
        " === document.getElementById('letter-total').textContent"
    )
    assert "新建 2 件" in page.inner_text("#letter-lines")
    assert Request.objects.filter(channel="12345").count() == 2

    page.goto("/c/home/requests/hotline/")
    assert "3月.xlsx" in page.inner_text("#hotline-imports")
    with page.expect_download() as download:
        page.click("#hotline-export")
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    rows = list(workbook.active.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] == EXPORT_HEADERS[0])
    assert list(rows[header]) == EXPORT_HEADERS
    assert sorted(row[0] for row in rows[header + 1 :]) == ["BJ240301", "BJ240302"]


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
