"""A street officer brings a new compound on board from a roster file, through the pages
only, on a phone and on a desktop: start the compound, pick the company and give it its
collection account, take the buildings from the roster, import the roster, form a lawful
committee; the checklist says what is missing until nothing is. No sideways scrolling."""

import pytest

from households.models import CommitteeRole
from portal.models import Compound
from tests.e2e.conftest import DESKTOP, PHONE, horizontal_overflow
from tests.households.roster_files import owner_row, xlsx_bytes

pytestmark = pytest.mark.e2e

MEMBERS = [
    ("王主任", CommitteeRole.CHAIR, "社区居委会"),
    ("李业主", CommitteeRole.OWNER_REPRESENTATIVE, "业主 · 1号楼 301"),
    ("张业主", CommitteeRole.OWNER_REPRESENTATIVE, "业主 · 1号楼 401"),
    ("赵业主", CommitteeRole.OWNER_REPRESENTATIVE, "业主 · 2号楼 101"),
    ("钱业主", CommitteeRole.OWNER_REPRESENTATIVE, "业主 · 2号楼 201"),
    ("孙委员", CommitteeRole.MEMBER, "物业使用人代表"),
    ("周委员", CommitteeRole.MEMBER, "社区民警"),
]


def fits(page) -> None:
    assert horizontal_overflow(page) <= 0, page.url


def step_done(page, key: str) -> bool:
    return page.get_attribute(f"#step-{key}", "data-done") == "1"


def submit(page, form_selector: str) -> None:
    with page.expect_navigation():
        page.click(f"{form_selector} button[type=submit]")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_officer_onboards_a_compound_from_a_roster_file(
    cast, make_page, login, screenshot, tmp_path, viewport
):
    roster = tmp_path / "名册.xlsx"
    roster.write_bytes(
        xlsx_bytes(
            [
                owner_row("1", "301", "新业主甲", 1),
                owner_row("1", "401", "新业主乙", 2),
                owner_row("2号楼", "101", "新业主丙", 3),
                owner_row("2号楼", "1201", "新业主丁", 4),
            ]
        )
    )
    page = make_page(viewport=viewport)
    name = "phone" if viewport is PHONE else "desktop"
    page.goto("/accounts/login/", timeout=60_000)  # the live server's first request
    login(page, "officer")

    # The street office's page has the button; the compound starts there.
    page.goto(f"/so/{cast.office.code}/")
    with page.expect_navigation():
        page.click("#onboarding-start")
    fits(page)
    page.fill("#id_code", "Bad Code")
    page.fill("#id_name", "新接管小区")
    submit(page, "#new-compound")
    assert "小写字母" in page.inner_text("#new-compound")
    assert not Compound.objects.filter(name="新接管小区").exists()
    page.fill("#id_code", f"xin-{name}")
    page.fill("#id_address", "北京市海淀区某路8号")
    submit(page, "#new-compound")
    assert page.url.endswith(f"/c/xin-{name}/onboarding/")
    assert not step_done(page, "company") and not step_done(page, "committee")
    fits(page)
    screenshot(page, f"onboarding-checklist-start-{name}")

    # Service company: one the office already works with, then its collection account.
    page.click("#step-company h2 a")
    page.wait_for_url("**/onboarding/company/")
    page.select_option("#id_pick-service_company", label="测试物业")
    submit(page, "#pick-company")
    page.fill("#id_legal_name", "北京测试物业管理有限公司")
    page.fill("#id_credit_code", "91350100M000100Y44")
    page.fill("#id_bank_account_name", "北京测试物业管理有限公司")
    page.fill("#id_bank_name", "某银行某支行")
    page.fill("#id_bank_account_number", "0200 0000 0900 0000 099")
    submit(page, "#current-company")
    assert "校验位" in page.inner_text("#current-company")  # nothing saved, say why
    page.fill("#id_credit_code", "91350100M000100Y43")
    submit(page, "#current-company")
    fits(page)
    page.click("text=返回接管清单")
    page.wait_for_url("**/onboarding/")
    assert step_done(page, "company")

    # Buildings taken from the roster file, then the roster itself.
    page.click("#step-buildings h2 a")
    page.wait_for_url("**/onboarding/buildings/")
    assert "尚未登记楼栋" in page.inner_text("#buildings")  # the empty state says so
    # A file that is no roster: refused with the reason, nothing registered.
    not_a_roster = tmp_path / "说明.txt"
    not_a_roster.write_text("这不是名册", encoding="utf-8")
    page.set_input_files("#buildings-from-roster input[type=file]", str(not_a_roster))
    submit(page, "#buildings-from-roster")
    assert "表头" in page.inner_text("#buildings-from-roster")
    assert not Compound.objects.get(code=f"xin-{name}").buildings.exists()
    page.set_input_files("#buildings-from-roster input[type=file]", str(roster))
    submit(page, "#buildings-from-roster")
    assert page.locator("#buildings tbody tr").count() == 2
    fits(page)
    with page.expect_navigation():
        page.click("text=下一步：导入业主名册")
    # One bad row (the same ID number under two names): the whole file is refused.
    broken = tmp_path / "有错的名册.xlsx"
    broken.write_bytes(
        xlsx_bytes([owner_row("1", "301", "新业主甲", 1), owner_row("1", "401", "别人", 1)])
    )
    page.set_input_files("main form input[type=file]", str(broken))
    with page.expect_navigation():
        page.click("main form button[type=submit]:not([name])")
    assert "业主冲突" in page.inner_text("#roster-errors")
    assert not Compound.objects.get(code=f"xin-{name}").units.exists()
    page.set_input_files("main form input[type=file]", str(roster))
    with page.expect_navigation():
        page.click("main form button[type=submit]:not([name])")
    assert page.locator("#roster-report").count() == 1
    fits(page)

    # The committee: dates, then seats until the BJ 54 check passes. The roster page
    # leads back to the checklist.
    with page.expect_navigation():
        page.click("#onboarding-back")
    assert page.url.endswith(f"/c/xin-{name}/onboarding/")
    assert step_done(page, "buildings") and step_done(page, "roster")
    page.click("#step-committee h2 a")
    page.wait_for_url("**/onboarding/committee/")
    page.fill("#id_formed_on", "2025-03-01")
    page.fill("#id_term_end", "2028-02-29")
    submit(page, "#committee-term")
    for index, (member, role, affiliation) in enumerate(MEMBERS):
        page.fill("#id_member-name", member)
        page.select_option("#id_member-role", role)
        page.fill("#id_member-affiliation", affiliation)
        submit(page, "#add-member")
        if index == 2:
            assert "委员不足7人" in page.inner_text("#composition-problems")
    assert page.locator("#composition-ok").count() == 1
    fits(page)
    screenshot(page, f"onboarding-committee-{name}")

    page.click("text=返回接管清单")
    page.wait_for_url("**/onboarding/")
    assert page.locator("#onboarding-done").count() == 1
    fits(page)
    screenshot(page, f"onboarding-checklist-done-{name}")
    compound = Compound.objects.get(code=f"xin-{name}")
    assert compound.units.count() == 4 and compound.service_company == cast.company


def test_an_officer_of_another_office_cannot_open_the_steps(cast, page, login):
    login(page, "outsider_office")
    assert page.goto("/so/home-office/onboarding/").status == 404
    assert page.goto("/c/home/onboarding/").status == 404
    assert page.goto("/c/home/onboarding/company/").status == 404
