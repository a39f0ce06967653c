"""Works projects in a real browser: the committee follows a project's money (its page, the
funding progress, a contribution-notices job to the end with its building file, a
receipt), a resident on a phone sees their share, what they paid and their fund balance,
and anyone opens the public page."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import PHONE, horizontal_overflow
from tests.works.lift_project import make_lift_project
from works.models import Contribution, EntryKind, FundEntry, FundingKind

pytestmark = pytest.mark.e2e

#: A printing job runs inside the request (embedded mode): give pages more than the default.
SLOW_MS = 60_000


@pytest.fixture
def project(cast):
    project = make_lift_project(cast.compound, status="contracted")
    mine = cast.compound.units.owned_by(cast.resident).get()
    FundEntry.objects.create(
        compound=cast.compound,
        unit=mine,
        building=mine.building,
        kind=EntryKind.OPENING,
        amount=Decimal("1815.00"),
        entry_date=dt.date(2021, 1, 1),
    )
    return project


def test_the_committee_prints_notices_and_records_a_receipt(cast, project, page, login, screenshot):
    page.set_default_timeout(SLOW_MS)
    login(page, "committee")
    base = f"/c/home/works/{project.pk}/"
    assert page.goto(base).status == 200
    page.goto(base + "notices/")
    with page.expect_navigation():
        page.click("#notices-form button[type=submit]")
    assert re.search(rf"/works/{project.pk}/notices/\d+/$", page.url)
    page.wait_for_selector("#letter-files a")
    assert page.inner_text("#letter-done") == page.inner_text("#letter-total") == "6"
    screenshot(page, "works-notices-job")
    link = page.locator("#letter-files a").first
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
    assert "1号楼" in text and "166.67" in text

    page.goto(base + "receipts/")
    owners = project.funding.get(kind=FundingKind.OWNERS)
    page.select_option("#id_line", value=str(owners.pk))
    page.fill("#id_building", "1")
    page.fill("#id_unit_number", "0101")
    page.fill("#id_amount", "166.67")
    page.fill("#id_received_on", "2022-03-01")
    with page.expect_navigation():
        page.click("#receipt-form button[type=submit]")
    assert "已记录收款" in page.inner_text("main")
    assert "1/6 户已缴清" in page.inner_text(".works-progress")
    screenshot(page, "works-receipts")
    unit = cast.compound.units.get(building__number="1", number="0101")
    assert Contribution.objects.get(project=project, unit=unit).paid == Decimal("166.67")


def test_a_resident_sees_their_share_paid_and_fund_balance_on_a_phone(
    cast, project, make_page, login, screenshot
):
    phone = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.set_default_timeout(SLOW_MS)
    login(phone, "resident")
    card = phone.locator("[data-role=works-share]")
    assert "166.67" in card.inner_text() and "电梯更新" in card.inner_text()
    assert "1,815.00" in phone.inner_text("[data-role=works-fund]")
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "works-resident-phone")
    with phone.expect_navigation():
        card.locator("a").click()
    assert "工程公示" in phone.inner_text("main")
    assert "业主-home" not in phone.content()
    assert horizontal_overflow(phone) <= 0


def test_the_public_page_opens_without_login(cast, project, page):
    page.goto(f"/public/home/works/{project.pk}/")
    main = page.inner_text("main")
    assert project.title in main and "某电梯工程有限公司" in main
    assert page.locator("#works-funding svg").count() == 3


def _cells_inside(page, selector: str) -> int:
    """How many cells match, each checked to end inside the viewport (not behind a
    sideways scroll)."""
    cells = page.locator(selector)
    width = page.viewport_size["width"]
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        assert box is not None and box["x"] + box["width"] <= width, (selector, i, box)
    return cells.count()


def test_the_funding_amounts_and_chart_fit_a_phone(cast, project, make_page, login, screenshot):
    """On a phone each payer's line is a card with its amounts in view; the chart leaves
    its bars room beside the payers' long names."""
    phone = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.set_default_timeout(SLOW_MS)
    login(phone, "committee")
    phone.goto(f"/c/home/works/{project.pk}/")
    # three lines and the total, each with its target and what was raised
    assert _cells_inside(phone, ".works-progress td.num") == 8
    phone.wait_for_selector("html[data-works-chart='1'] #works-chart canvas")
    labels = phone.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('works-chart'))"
        ".getOption().yAxis[0].axisLabel.width"
    )
    assert 0 < labels <= 0.4 * PHONE["width"]
    screenshot(phone, "works-project-phone")

    phone.goto(f"/public/home/works/{project.pk}/")
    assert _cells_inside(phone, "#works-summary td") >= 10
    assert _cells_inside(phone, ".works-progress td.num") == 8
    assert horizontal_overflow(phone) <= 0
