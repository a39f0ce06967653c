"""The agreement names its parties by their full legal names and points readers to the
public verifier by address and QR code, not to a shell command (issue 8, item 22)."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from agreements import services
from households.models import PropertyRightUnit

OFFICE_LEGAL = "北京市海淀区人民政府测试街道办事处"
COMPANY_LEGAL = "北京测试物业管理有限公司"
UNIT_NAME = "北京国风艺术学院"


@pytest.fixture
def legal_cast(cast):
    cast.office.legal_name = OFFICE_LEGAL
    cast.office.save()
    cast.company.legal_name = COMPANY_LEGAL
    cast.company.save()
    cast.compound.refresh_from_db()
    return cast


def parties(cast):
    unit = PropertyRightUnit.objects.create(
        compound=cast.compound, name=UNIT_NAME, representative=cast.property_unit_rep
    )
    return services.party_specs_for(
        compound=cast.compound,
        committee_rep=cast.committee,
        company_rep=cast.company_staff,
        office_rep=cast.officer,
        property_units=[unit],
    )


def test_party_specs_use_the_legal_names(legal_cast):
    specs = {str(p.kind): p.organisation for p in parties(legal_cast)}
    assert specs == {
        "committee": f"{legal_cast.compound.name}物业管理委员会",
        "service_company": COMPANY_LEGAL,
        "street_office": OFFICE_LEGAL,
        "property_right_unit": UNIT_NAME,
    }


def test_without_a_legal_name_the_short_name_is_used_and_the_page_says_so(cast, client):
    specs = {str(p.kind): p.organisation for p in parties(cast)}
    assert specs["street_office"] == cast.office.name
    assert specs["service_company"] == cast.company.name
    assert services.missing_legal_names(cast.compound) == [cast.office.name, cast.company.name]
    client.force_login(cast.committee)
    url = reverse("agreement_generate", args=[cast.compound.code])
    assert "尚未登记法定全称" in client.get(url).content.decode()


def test_with_legal_names_the_page_has_no_warning(legal_cast, client):
    assert services.missing_legal_names(legal_cast.compound) == []
    client.force_login(legal_cast.committee)
    url = reverse("agreement_generate", args=[legal_cast.compound.code])
    assert "尚未登记法定全称" not in client.get(url).content.decode()


def test_pdf_names_the_parties_in_full_and_points_to_the_public_verifier(
    legal_cast, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://portal.example.cn/"
    facts = {
        "decision_title": "关于选聘物业服务企业的业主共同决定",
        "decision_date": "2021年10月25日",
        "item_title": "选聘物业服务企业",
        "item_category": "第（四）项",
        "participation_owners": "77.84%",
        "participation_area": "74.25%",
        "consent_owners": "74.13%",
        "consent_area": "78.86%",
        "ballot_sha256": "a" * 64,
        "fee_standard": "低楼每月每平方米1.00元",
        "subsidy": "无",
        "service_standard": "二级",
    }
    with django_capture_on_commit_callbacks(execute=True):
        agreement = services.agreement_create(
            compound=legal_cast.compound,
            parties=parties(legal_cast),
            facts=facts,
            term_start=dt.date(2022, 1, 1),
            term_end=dt.date(2024, 12, 31),
            actor=legal_cast.committee,
        )
    reader = PdfReader(io.BytesIO(services.revision_bytes(services.latest_revision(agreement))))
    pages = [page.extract_text() for page in reader.pages]
    text = "".join(pages).replace("\n", "")
    for name in (
        OFFICE_LEGAL,
        COMPANY_LEGAL,
        UNIT_NAME,
        f"{legal_cast.compound.name}物业管理委员会",
    ):
        assert name in text, name
    assert "所属" + OFFICE_LEGAL in text  # the clauses' facts use the legal name too
    url = "https://portal.example.cn" + reverse("agreement_verify_public")
    assert all(url in page.replace("\n", "") for page in pages)  # every page's footer
    assert "manage.py" not in text and "verify_agreement" not in text
    assert len(reader.pages[-1].images) == 1  # the verifier's QR code on the signing page
