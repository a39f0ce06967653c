"""A resident gets their account as a new user would: the QR link of the activation letter
on a phone, the code and the ID suffix, a login of their own; they see only their flats
and vote. A claim with a wrong ID number is refused by the committee, nothing linked."""

import pytest

from households.models import ClaimStatus, OwnershipClaim
from tests.e2e.conftest import PHONE, horizontal_overflow
from tests.households.activation_helpers import (
    NEW_PASSWORD,
    give_id,
    issue_code,
    owner_of,
    unit_of,
)
from tests.households.roster_files import make_id
from tests.voting.helpers import make_decision
from voting.models import Ballot

pytestmark = pytest.mark.e2e


def test_a_resident_activates_on_a_phone_sees_only_their_flat_and_votes(
    cast, make_page, screenshot
):
    unit = unit_of(cast, "2", "0201")
    suffix = give_id(owner_of(unit), 71)[-6:]
    code = issue_code(unit)
    decision = make_decision(cast, title="加装电梯")
    phone = make_page(viewport=PHONE, is_mobile=True, has_touch=True)

    # A forged QR link: the form, nothing reflected, the one generic error after submit.
    phone.goto("/activate/?code=%22%3E%3Cb%3Eforged")
    assert phone.input_value("#id_code") == ""
    phone.fill("#id_code", "forged")
    phone.fill("#id_id_suffix", suffix)
    phone.fill("#id_username", "wangfang")
    phone.fill("#id_password", NEW_PASSWORD)
    phone.fill("#id_password2", NEW_PASSWORD)
    phone.click("#activate button[type=submit]")
    assert "开通码或证件号码后6位不正确" in phone.inner_text("#activate")

    # The letter's QR code opens the page with the code filled in.
    phone.goto(f"/activate/?code={code}")
    assert phone.input_value("#id_code") == code
    assert horizontal_overflow(phone) <= 0
    phone.fill("#id_id_suffix", suffix.lower())
    phone.fill("#id_username", "wangfang")
    phone.fill("#id_password", NEW_PASSWORD)
    phone.fill("#id_password2", NEW_PASSWORD)
    screenshot(phone, "activation-phone-form")
    with phone.expect_navigation():
        phone.click("#activate button[type=submit]")
    text = phone.inner_text("main")
    assert "开通成功" in text
    flats = phone.locator("a.card[data-role='resident']")
    assert flats.count() == 1 and "0201" in flats.inner_text()
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "activation-phone-home")

    # Only their flat: another home unit is absent.
    other = unit_of(cast, "1", "0201")
    response = phone.goto(f"/c/home/units/{other.pk}/")
    assert response is not None and response.status == 404

    # And they vote.
    phone.goto(decision.get_absolute_url())
    phone.click("#my-ballot")
    phone.check("input[value=agree]")
    phone.click("form.ballot-form button[type=submit]")
    assert "投票成功" in phone.inner_text("main")
    assert Ballot.objects.filter(entry__owner__user__username="wangfang").count() == 1


def test_a_claim_with_a_wrong_id_number_is_refused_with_nothing_linked(
    cast, make_page, login, screenshot
):
    unit = unit_of(cast, "2", "0201")
    give_id(owner_of(unit), 72)
    visitor = make_page(viewport=PHONE, is_mobile=True, has_touch=True)
    visitor.goto("/claims/new/", timeout=60_000)  # the live server's first request
    visitor.fill("#id_compound_code", "home")
    visitor.fill("#id_building", "2")
    visitor.fill("#id_unit_number", "0201")
    visitor.fill("#id_name", "冒领人")
    visitor.fill("#id_id_number", make_id(555))  # not the roster's owner
    visitor.fill("#id_username", "maoling")
    visitor.fill("#id_password", NEW_PASSWORD)
    visitor.fill("#id_password2", NEW_PASSWORD)
    assert horizontal_overflow(visitor) <= 0
    with visitor.expect_navigation():
        visitor.click("#claim-new button[type=submit]")
    assert "待审核" in visitor.inner_text("#my-claims")

    committee = make_page()
    login(committee, "committee")
    committee.goto("/c/home/claims/")
    committee.click("#claims a:has-text('审核')")
    committee.click("#approve button")
    assert "名册" in committee.inner_text("main")  # correct the roster first
    claim = OwnershipClaim.objects.get()
    assert claim.status == ClaimStatus.PENDING and owner_of(unit).user is None
    committee.fill("#id_reason", "证件号码与名册登记的业主不符")
    committee.click("#reject button")
    screenshot(committee, "claims-queue-after-reject")

    visitor.reload()
    mine = visitor.inner_text("#my-claims")
    assert "已驳回" in mine and "证件号码与名册登记的业主不符" in mine
    visitor.goto("/")
    assert visitor.locator("a.card[data-role='resident']").count() == 0
    # Their home page (no roles yet) leads back to the claims and the committee's answer.
    with visitor.expect_navigation():
        visitor.click("#my-claims-link")
    assert "已驳回" in visitor.inner_text("#my-claims")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED and owner_of(unit).user is None
