"""The demo's agreement: generated from the 2021 decision, signed by all four parties on
2021-12-10, filed, and verifiable through the page, the API and the command."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from agreements import demo, services, verification
from agreements.models import AgreementStatus


@pytest.fixture
def seeded(demo_result):
    result = demo_result
    agreement = result.compound.agreements.get()
    assert demo.seed(result.compound) == agreement  # idempotent
    assert result.compound.agreements.count() == 1
    return result.compound, agreement


def test_demo_agreement_is_signed_by_all_four_reads_right_and_verifies(seeded, client, tmp_path):
    compound, agreement = seeded
    assert agreement.status == AgreementStatus.FILED
    assert agreement.effective_on.isoformat() == "2021-12-10"
    assert agreement.filing_deadline.isoformat() == "2021-12-25"
    assert agreement.source_item.decision.title == demo.DECISION_TITLE
    data = services.revision_bytes(services.latest_revision(agreement))
    report = verification.verify_document(data)
    assert report.ok, report
    assert report.archive.is_latest and report.archive.number == agreement.number
    # the parties by their full legal names (issue 8 item 22)
    assert [s.organisation for s in report.signatures] == [
        "学院南路32号院物业管理委员会",
        "北京市海淀区人民政府北太平庄街道办事处",
        "北京国风艺术学院",
        "北京天岳恒物业管理有限公司",
    ]
    assert {s.trusted_by for s in report.signatures} == {"北太平庄街道"}
    assert all(s.signed_at.date().isoformat() == "2021-12-10" for s in report.signatures)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\n", "")
    # the four published ratios, as voting counted them
    (item,) = agreement.source_item.decision.tally_snapshot["items"]
    ratios = [item["ratios"][k] + "%" for k in ("participation_owners", "consent_owners")]
    ratios += [item["ratios"][k] + "%" for k in ("participation_area", "consent_area")]
    assert ratios == ["77.84%", "74.13%", "74.25%", "78.86%"]
    for phrase in (
        "学院南路32号院物业服务四方协议",
        *ratios,
        agreement.source_item.decision.ballot_set_sha256,
        "高楼：评估价每月每平方米2.45元，业主缴纳每月每平方米1.67元",
        "低楼：评估价每月每平方米1.78元，业主缴纳每月每平方米1.00元",
        "北太平庄街道承担50.00%、首开集团承担50.00%",
        "2022年1月1日起至2024年12月31日止",
        "所属北京市海淀区人民政府北太平庄街道办事处",
        "北京天岳恒物业管理有限公司",
        "/public/agreements/verify/",
    ):
        assert phrase in text, phrase

    # a tampered copy is reported as changed through the page, the API and the command
    tampered = bytearray(data)
    tampered[data.index(b"/Type /Page") + 2] = ord("X")

    page = client.post(reverse("agreement_verify_public"), {"file": io.BytesIO(data)})
    assert "全部签名有效" in page.content.decode()
    page = client.post(reverse("agreement_verify_public"), {"file": io.BytesIO(bytes(tampered))})
    assert "文件在签署后被改动" in page.content.decode()

    api = APIClient()
    ok = api.post("/api/v1/agreements/verify/", {"file": io.BytesIO(data)}, format="multipart")
    assert ok.json()["ok"] is True
    bad = api.post(
        "/api/v1/agreements/verify/", {"file": io.BytesIO(bytes(tampered))}, format="multipart"
    )
    assert bad.json()["changed_after_signing"] is True

    good_file, bad_file = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good_file.write_bytes(data)
    bad_file.write_bytes(bytes(tampered))
    call_command("verify_agreement", str(good_file))
    with pytest.raises(Exception) as err:
        call_command("verify_agreement", str(bad_file))
    assert getattr(err.value, "returncode", None) == 1
