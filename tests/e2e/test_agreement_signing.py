"""End to end: each party's representative signs the four-party agreement in a real
browser, the street office files it, and the public verifier confirms four signatures."""

import datetime as dt

import pytest
from django.utils import timezone

from agreements import services
from agreements.models import AgreementStatus
from tests.agreements.helpers import DECISION_FACTS, party_specs

pytestmark = pytest.mark.e2e


@pytest.fixture
def agreement(cast):
    start = timezone.localdate()
    created = services.agreement_create(
        compound=cast.compound,
        parties=party_specs(cast),
        facts=DECISION_FACTS,
        term_start=start,
        term_end=start.replace(year=start.year + 3) - dt.timedelta(days=1),
        actor=cast.committee,
    )
    services.agreement_render(agreement_id=created.pk)  # idempotent if on_commit ran it
    created.refresh_from_db()
    assert created.pdf_status == "ready"
    return created


def open_agreement(page, agreement):
    page.goto("/c/home/")
    page.click("#compound-sections a.card:has-text('四方协议')")
    page.click(f"a:has-text('{agreement.number}')")
    assert page.inner_text("h1") == agreement.title


def test_each_party_signs_in_the_browser(cast, agreement, make_page, login, screenshot, tmp_path):
    order = [
        ("property_unit_rep", "property_right_unit", "首开集团"),
        ("committee", "committee", "小区home物业管理委员会"),
        ("officer", "street_office", cast.office.name),
        ("company_staff", "service_company", "测试物业"),
    ]
    for n, (username, kind, organisation) in enumerate(order, start=1):
        page = make_page()
        login(page, username)
        open_agreement(page, agreement)
        forms = page.locator("form.sign-form")
        assert forms.count() == 1, f"{username} must see exactly their own party's form"
        form = page.locator(f"#sign-{kind}")
        if n == 1:  # a wrong password first: refused, nothing signed
            form.locator("input[type=password]").fill("not-my-password")
            with page.expect_navigation():
                form.locator("button[type=submit]").click()
            assert "密码错误" in page.inner_text(".messages")
            assert page.locator("#parties .badge.ok").count() == 0
            form = page.locator(f"#sign-{kind}")
        form.locator("input[type=password]").fill("pw-for-tests-9")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        message = page.inner_text(".messages")
        assert f"已代表{organisation}签署" in message
        assert page.locator("#parties .badge.ok").count() == n
        assert page.locator("form.sign-form").count() == 0  # signed: no form any more
        screenshot(page, f"agreement-signed-{n}-{username}")
        page.context.close()

    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.EFFECTIVE

    # the street office sees the filing deadline and files it
    page = make_page()
    login(page, "officer")
    page.goto(f"/so/{cast.office.code}/")
    panel = page.locator("#agreements-panel")
    assert agreement.number in panel.inner_text()
    assert "备案期限" in panel.inner_text()
    panel.locator(f"a:has-text('{agreement.number}')").click()
    with page.expect_navigation():
        page.click("#file-form button[type=submit]")
    assert page.locator("#agreement-status [data-status='filed']").count() == 1

    # download the signed PDF and check it on the public verifier, without logging in
    with page.expect_download() as download_info:
        page.click("#download-latest")
    pdf_path = tmp_path / "signed.pdf"
    download_info.value.save_as(pdf_path)
    public = make_page()
    public.goto("/public/agreements/verify/")
    public.set_input_files("#id_file", str(pdf_path))
    with public.expect_navigation():
        public.click("#verify-form button[type=submit]")
    assert "全部签名有效" in public.inner_text("#verdict")
    assert public.locator("#signatures tr.sig-ok").count() == 4
    screenshot(public, "agreement-verified")
