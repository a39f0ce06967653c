"""A long list as a committee member uses it on a phone: the register's units list pages,
searches and filters inside the screen, and its whole-list export runs in the background
with a progress page and a download (issue 10 item 8)."""

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import PHONE, horizontal_overflow
from tests.households.helpers import big_building

pytestmark = pytest.mark.e2e

FLATS = 130  # more than two pages of 50


@pytest.fixture
def long_building(cast):
    return big_building(cast.compound, "9", FLATS)


@pytest.fixture
def phone(make_page, login):
    page = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    login(page, "committee")
    return page


def test_units_list_pages_and_searches_on_a_phone(cast, long_building, phone, screenshot):
    phone.goto("/c/home/units/?building=9")
    screenshot(phone, "units-list-phone")
    assert horizontal_overflow(phone) <= 0
    assert f"共 {FLATS} 条" in phone.inner_text("main")  # the filtered count
    rows = phone.inner_text("main table tbody")
    assert "1-101" in rows and "1-1802" in rows and "3-1802" not in rows  # page 1, in order

    phone.get_by_role("link", name="下一页").first.click()
    assert "page=2" in phone.url
    assert "building=9" in phone.url  # the pager keeps the filter

    phone.fill("input[name=q]", "9号楼 3-1802")
    with phone.expect_navigation():
        phone.press("input[name=q]", "Enter")
    rows = phone.locator("main table tbody tr")
    assert rows.count() == 1
    assert "3-1802" in rows.first.inner_text()
    assert horizontal_overflow(phone) <= 0


def test_a_long_export_shows_progress_and_downloads_the_whole_list(
    cast, long_building, phone, screenshot, settings, tmp_path
):
    settings.EXPORT_INLINE_ROWS = 50
    phone.goto("/c/home/units/?building=9")
    with phone.expect_navigation():
        phone.click("#list-export")
    assert "/c/home/exports/" in phone.url
    screenshot(phone, "export-progress-phone")
    assert horizontal_overflow(phone) <= 0
    assert f"{FLATS}/{FLATS}" in phone.inner_text("#export-progress")

    with phone.expect_download() as download:
        phone.click("#export-download")
    path = tmp_path / "units.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = [row for row in sheet.iter_rows(values_only=True) if any(row)]
    numbers = {cell for row in rows[1:] for cell in row if isinstance(cell, str)}
    assert len(rows) - 1 == FLATS  # a header and one row a flat
    assert {"1-101", "3-1802", "4-1102"} <= numbers


def test_a_bad_page_number_and_an_empty_search_read_plainly_on_a_phone(
    cast, long_building, phone, screenshot
):
    response = phone.goto("/c/home/units/?page=abc")
    assert response is not None and response.status == 400
    errors = phone.locator("#list-errors")
    assert errors.is_visible() and "页码须为正整数" in errors.inner_text()
    assert "1-101" in phone.inner_text("main table tbody")  # the list as if page were absent
    assert horizontal_overflow(phone) <= 0

    phone.goto("/c/home/units/?q=9号楼 99-9999")
    screenshot(phone, "units-list-empty-phone")
    assert "没有符合条件" in phone.inner_text("main table tbody")
    assert horizontal_overflow(phone) <= 0
