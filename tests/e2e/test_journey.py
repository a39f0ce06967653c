"""Issue 11's "done when", as one journey a new user would take through the pages only:
a street officer brings a new compound on board from a roster file (a co-owned flat, an
owner of two flats) and creates a committee member and a company staff account; the
committee member, made to change the one-time password first, prints the activation
letters of one building; a resident opens the letter's link on a phone, activates with the
code read back from the building file, sees only their two flats and votes; a claim with a
wrong ID number is refused, nothing linked. Screenshots: var/screenshots/journey-*.png."""

import io
import re
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from pypdf import PdfReader

from households.models import ClaimStatus, Owner, OwnershipClaim
from portal.models import Compound, Membership
from tests.e2e.conftest import PHONE, horizontal_overflow
from tests.e2e.test_onboarding import MEMBERS, step_done, submit
from tests.e2e.test_staff_accounts import create_account, first_login
from tests.households.roster_files import make_id, owner_row, xlsx_bytes
from tests.voting.helpers import make_decision
from voting.models import Ballot

pytestmark = pytest.mark.e2e

CODE = re.compile(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}")
COMPOUND = "xinyuan"
RESIDENT_PASSWORD = "Chuang-hu-2024!"

# 1号楼: 301 co-owned by 甲 (representative) and 乙, 401 and 2号楼 101 both 丙's, 501 丁's.
ROSTER = [
    owner_row("1", "301", "新业主甲", 11, 份额="0.5", 共有人代表="是"),
    owner_row("1", "301", "新业主乙", 12, 份额="0.5", 共有人代表="否"),
    owner_row("1", "401", "新业主丙", 13),
    owner_row("1", "501", "新业主丁", 14),
    owner_row("2", "101", "新业主丙", 13),
    owner_row("2", "201", "新业主戊", 15),
]


def fits(page) -> None:
    assert horizontal_overflow(page) <= 0, f"sideways scroll on {page.url}"


def onboard(officer, roster_path, shot) -> None:
    """The officer's checklist, step by step, from the street office's page."""
    with officer.expect_navigation():
        officer.click("#onboarding-start")
    officer.fill("#id_code", COMPOUND)
    officer.fill("#id_name", "新苑小区")
    officer.fill("#id_address", "北京市海淀区新苑路1号")
    submit(officer, "#new-compound")
    assert officer.url.endswith(f"/c/{COMPOUND}/onboarding/")
    shot(officer, "journey-01-checklist-start")

    officer.click("#step-company h2 a")
    officer.wait_for_url("**/onboarding/company/")
    officer.select_option("#id_pick-service_company", label="测试物业")
    submit(officer, "#pick-company")
    officer.fill("#id_legal_name", "北京测试物业管理有限公司")
    officer.fill("#id_credit_code", "91350100M000100Y43")
    officer.fill("#id_bank_account_name", "北京测试物业管理有限公司")
    officer.fill("#id_bank_name", "某银行某支行")
    officer.fill("#id_bank_account_number", "0200 0000 0900 0000 099")
    submit(officer, "#current-company")
    officer.click("text=返回接管清单")
    officer.wait_for_url("**/onboarding/")
    assert step_done(officer, "company")

    officer.click("#step-buildings h2 a")
    officer.wait_for_url("**/onboarding/buildings/")
    officer.set_input_files("#buildings-from-roster input[type=file]", str(roster_path))
    submit(officer, "#buildings-from-roster")
    assert officer.locator("#buildings tbody tr").count() == 2
    with officer.expect_navigation():
        officer.click("text=下一步：导入业主名册")
    officer.set_input_files("main form input[type=file]", str(roster_path))
    with officer.expect_navigation():
        officer.click("main form button[type=submit]:not([name])")
    assert officer.locator("#roster-report").count() == 1
    shot(officer, "journey-02-roster-imported")

    with officer.expect_navigation():  # the roster page leads back to the checklist
        officer.click("#onboarding-back")
    assert officer.url.endswith(f"/c/{COMPOUND}/onboarding/")
    assert step_done(officer, "roster")
    officer.click("#step-committee h2 a")
    officer.wait_for_url("**/onboarding/committee/")
    officer.fill("#id_formed_on", "2025-03-01")
    officer.fill("#id_term_end", "2028-02-29")
    submit(officer, "#committee-term")
    for member, role, affiliation in MEMBERS:
        officer.fill("#id_member-name", member)
        officer.select_option("#id_member-role", role)
        officer.fill("#id_member-affiliation", affiliation)
        submit(officer, "#add-member")
    assert officer.locator("#composition-ok").count() == 1
    officer.click("text=返回接管清单")
    officer.wait_for_url("**/onboarding/")
    assert officer.locator("#onboarding-done").count() == 1
    shot(officer, "journey-03-checklist-done")


def letter_of(texts: list[str], unit_label: str) -> str:
    """The letter (a page's text) of the household whose unit label is ``unit_label``."""
    for text in texts:
        line = next((li for li in text.splitlines() if li.startswith("房屋")), "")
        if line.removeprefix("房屋").strip() == unit_label:
            return text
    raise AssertionError(f"no letter for {unit_label} in {len(texts)} pages")


def test_a_compound_comes_on_board_and_its_residents_get_their_accounts(
    cast, make_page, login, screenshot, tmp_path
):
    roster = tmp_path / "新苑小区名册.xlsx"
    roster.write_bytes(xlsx_bytes(ROSTER))

    # 1. The street officer lands on their street office's page and onboards the compound.
    officer = make_page()
    officer.goto("/accounts/login/", timeout=60_000)  # the live server's first request
    login(officer, "officer")
    assert officer.url.endswith(f"/so/{cast.office.code}/")
    onboard(officer, roster, screenshot)
    compound = Compound.objects.get(code=COMPOUND)
    assert compound.units.count() == 5

    # 2. Staff accounts: the finished checklist leads to the street office's accounts page
    # (it ended the journey before); the one-time passwords are read off the page.
    with officer.expect_navigation():
        officer.click("#onboarding-next-accounts")
    assert officer.url.endswith(f"/so/{cast.office.code}/accounts/")
    committee_otp = create_account(officer, "xy.chair", "王主任", "committee_member", COMPOUND)
    screenshot(officer, "journey-04-account-created")
    with officer.expect_navigation():
        officer.click("text=返回账号列表")
    staff_otp = create_account(officer, "xy.wuye", "赵物业", "company_staff", COMPOUND)
    assert staff_otp != committee_otp
    assert Membership.objects.filter(  # a company employee holds the compound's company
        user__username="xy.wuye", role="company_staff", service_company=compound.service_company
    ).exists()

    # 3. The committee member: a new password first, then the compound's page, the letters.
    committee = make_page()
    first_login(committee, login, "xy.chair", committee_otp)
    assert committee.url.endswith(f"/c/{COMPOUND}/")  # their landing page
    with committee.expect_navigation():
        committee.click("#letters-link")  # the compound page links the letters
    committee.check("#letters-form input[name=buildings][value='1']")
    screenshot(committee, "journey-05-letters-choose")
    with committee.expect_navigation():
        committee.click("#letters-form button[type=submit]")
    committee.wait_for_selector("#letter-job .bar.ok, #letter-status:text('完成')")
    committee.wait_for_function(
        "() => document.querySelector('#letter-done').textContent"
        " === document.querySelector('#letter-total').textContent"
    )
    assert committee.inner_text("#letter-total") == "3"  # 301 (co-owned), 401, 501
    link = committee.locator("#letter-files a").first
    link.wait_for()
    screenshot(committee, "journey-06-letters-done")
    response = committee.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages]
    assert len(texts) == 3
    letter = letter_of(texts, "1号楼 401")
    code = CODE.search(letter).group(0)
    assert "新业主丙" not in letter  # the owner's name is masked
    assert "、" in letter_of(texts, "1号楼 301")  # one letter naming both co-owners
    # The letter prints the activation page's address; its QR code (an image) holds the
    # same address with the code (households.pdf.activation_url), which is what we open.
    # (A long address may wrap onto the next line of the letter.)
    printed = re.search(r"(?:https?://[^/\s]+)?(/\S*?activate/)", letter.replace("\n", ""))
    assert printed is not None, letter
    qr_path = f"{printed.group(1)}?{urlencode({'code': code})}"

    # 4. A decision to vote on. Made with the test factories: the committee's decision
    # pages have their own e2e test (tests/e2e/test_voting.py).
    chair = compound.memberships.get(user__username="xy.chair").user
    decision = make_decision(SimpleNamespace(compound=compound, committee=chair), title="加装电梯")

    # 5. The resident of two flats, on a phone, with the code and their ID suffix.
    phone = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(qr_path)
    assert phone.input_value("#id_code") == code
    fits(phone)
    phone.fill("#id_id_suffix", make_id(13)[-6:])
    phone.fill("#id_username", "bing.xinyuan")
    phone.fill("#id_password", RESIDENT_PASSWORD)
    phone.fill("#id_password2", RESIDENT_PASSWORD)
    screenshot(phone, "journey-07-activate-phone")
    with phone.expect_navigation():
        phone.click("#activate button[type=submit]")
    assert "开通成功" in phone.inner_text("main")
    flats = phone.locator("a.card[data-role='resident']")
    shown = sorted(flats.all_inner_texts())
    assert len(shown) == 2 and "401" in shown[0] and "101" in shown[1], shown
    assert "home" not in phone.inner_text("main") and cast.compound.name not in phone.inner_text(
        "main"
    )
    fits(phone)
    screenshot(phone, "journey-08-resident-home-phone")
    assert phone.goto(f"/c/{cast.compound.code}/").status == 404
    other = compound.units.get(building__number="1", number="501")
    assert phone.goto(f"/c/{COMPOUND}/units/{other.pk}/").status == 404

    phone.goto(decision.get_absolute_url())
    fits(phone)
    phone.click("#my-ballot")
    phone.check("input[value=agree]")
    phone.click("form.ballot-form button[type=submit]")
    assert "投票成功" in phone.inner_text("main")
    screenshot(phone, "journey-09-voted-phone")
    assert Ballot.objects.filter(entry__owner__user__username="bing.xinyuan").exists()

    # In English (the header's switch), the home page reads in English and still fits.
    with phone.expect_navigation():
        phone.click("button[name=language][value=en]")
    phone.goto("/")
    assert "My units" in phone.inner_text("main") and "我的房屋" not in phone.inner_text("main")
    fits(phone)
    screenshot(phone, "journey-10-resident-home-english-phone")

    # 6. Someone without a letter claims 2号楼 201 with an ID number not on the roster.
    visitor = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    visitor.goto("/accounts/login/")
    with visitor.expect_navigation():
        visitor.click("a[href^='/claims/new/']")  # the login page leads there
    visitor.fill("#id_compound_code", COMPOUND)
    visitor.fill("#id_building", "2")
    visitor.fill("#id_unit_number", "201")
    visitor.fill("#id_name", "冒领人")
    visitor.fill("#id_id_number", make_id(555))
    visitor.fill("#id_username", "maoling.xy")
    visitor.fill("#id_password", RESIDENT_PASSWORD)
    visitor.fill("#id_password2", RESIDENT_PASSWORD)
    fits(visitor)
    with visitor.expect_navigation():
        visitor.click("#claim-new button[type=submit]")
    assert "待审核" in visitor.inner_text("#my-claims")
    screenshot(visitor, "journey-11-claim-submitted-phone")

    committee.goto(f"/c/{COMPOUND}/")
    with committee.expect_navigation():
        committee.click("#claims-link")
    committee.click("#claims a:has-text('审核')")
    committee.click("#approve button")
    assert "名册" in committee.inner_text("main")  # correct the roster first
    screenshot(committee, "journey-12-claim-refused")
    claim = OwnershipClaim.objects.get(user__username="maoling.xy")
    assert claim.status == ClaimStatus.PENDING and claim.unit.compound_id == compound.pk
    assert not Owner.objects.filter(user__username="maoling.xy").exists()
    assert Owner.objects.get(compound=compound, name="新业主戊").user is None
