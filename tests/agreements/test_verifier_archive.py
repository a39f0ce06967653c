"""The verifier compares an upload with the portal's archive and names the missing parties
(issue 8, item 16): bytes of /Contents after the DER signature are not covered by any
signature, so only the archive (or, for unknown files, a zero-padding check) can tell that
they changed; and a copy cut back to an earlier revision is valid but incomplete."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader
from rest_framework.test import APIClient

from agreements import services, verification
from tests.agreements.helpers import make_agreement, sign_as
from tests.agreements.test_signing_core import sign_all, unsigned_pdf

# The fixture's signing order: the street office (cast.officer) signs last.
ORDER = ("property_unit_rep", "committee", "company_staff", "officer")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def signed(cast, django_capture_on_commit_callbacks):
    agreement = make_agreement(cast, django_capture_on_commit_callbacks)
    for role in ORDER:
        sign_as(agreement, getattr(cast, role))
    agreement.refresh_from_db()
    return agreement


def latest(agreement) -> bytes:
    return services.revision_bytes(services.latest_revision(agreement))


def byte_ranges(pdf: bytes) -> list[list[int]]:
    """Each signature's /ByteRange, in signing order."""
    reader = PdfFileReader(io.BytesIO(pdf))
    ranges = [list(s.byte_range) for s in reader.embedded_signatures]
    return sorted(ranges, key=lambda r: r[2] + r[3])


def change_padding_of_last_signature(pdf: bytes) -> bytes:
    """Flip one hex digit of the zero padding after the DER blob of the last signature."""
    _start, len1, start2, _len2 = byte_ranges(pdf)[-1]
    hex_digits = pdf[len1 + 1 : start2 - 1]
    der = bytes.fromhex(hex_digits.decode())
    der_length = 4 + int.from_bytes(der[2:4], "big")  # 30 82 LL LL: a long-form length
    assert der[1] == 0x82
    position = len1 + 1 + 2 * der_length + 40
    assert pdf[position : position + 1] == b"0"
    tampered = bytearray(pdf)
    tampered[position] = ord("1")
    return bytes(tampered)


def previous_revision(pdf: bytes) -> bytes:
    """The file as it was before the last signature: the end of the previous signed range."""
    _start, _len1, start2, len2 = byte_ranges(pdf)[-2]
    return pdf[: start2 + len2]


def test_untouched_copy_is_the_archived_latest_and_valid(cast, signed):
    report = verification.verify_document(latest(signed))
    assert report.ok, report
    assert report.archive is not None
    assert report.archive.number == signed.number
    assert report.archive.revision == report.archive.latest_revision == 4
    assert report.archive.identical
    assert [p.organisation for p in report.parties] == [
        p.organisation for p in signed.parties.order_by("position")
    ]
    assert all(p.signed for p in report.parties)
    assert report.missing_parties == []


def test_one_changed_padding_byte_in_the_last_signature_is_not_valid(cast, signed):
    tampered = change_padding_of_last_signature(latest(signed))
    report = verification.verify_document(tampered)
    assert not report.ok
    assert report.archive is not None and not report.archive.identical
    assert report.archive.revision == 3  # the last revision the file still matches
    assert report.archive.differs_at is not None
    text = "；".join(report.problems)
    assert "与平台存档的第4次修订不一致" in text
    assert report.signatures[-1].padding_changed
    assert not report.signatures[-1].ok


def test_changed_padding_is_noted_for_a_document_the_portal_does_not_know(cast):
    users = [cast.committee, cast.officer, cast.property_unit_rep, cast.company_staff]
    pdf = sign_all(cast.office, users, [0, 1, 2, 3], unsigned_pdf())
    untouched = verification.verify_document(pdf)
    assert untouched.archive is None
    assert any("不是本平台签发" in p for p in untouched.notes)
    assert all(s.ok for s in untouched.signatures)

    report = verification.verify_document(change_padding_of_last_signature(pdf))
    assert not report.ok
    last = report.signatures[-1]
    assert last.intact and last.valid and last.trusted  # the cryptography cannot see it
    assert last.padding_changed
    assert any("填充" in p for p in report.signatures[-1].problems)
    assert not report.signatures[0].padding_changed


def test_a_copy_cut_back_to_the_previous_revision_names_the_missing_party(cast, signed):
    report = verification.verify_document(previous_revision(latest(signed)))
    assert not report.ok
    assert all(s.ok for s in report.signatures)  # what is there is genuine
    assert report.archive.identical and report.archive.revision == 3
    assert report.archive.latest_revision == 4
    assert report.missing_parties == [cast.office.name]
    text = "；".join(report.problems)
    assert "第3次修订" in text and "缺少签署方：" + cast.office.name in text


def test_api_page_and_command_share_the_verdict(cast, signed, tmp_path, capsys):
    cut = previous_revision(latest(signed))
    padded = change_padding_of_last_signature(latest(signed))
    api = APIClient()
    url = "/api/v1/agreements/verify/"
    body = api.post(url, {"file": io.BytesIO(latest(signed))}, format="multipart").json()
    assert body["ok"] is True and body["archive"]["identical"] is True
    assert body["missing_parties"] == []
    body = api.post(url, {"file": io.BytesIO(cut)}, format="multipart").json()
    assert body["ok"] is False
    assert body["missing_parties"] == [cast.office.name]
    assert body["archive"]["revision"] == 3 and body["archive"]["latest_revision"] == 4
    body = api.post(url, {"file": io.BytesIO(padded)}, format="multipart").json()
    assert body["ok"] is False and body["signatures"][-1]["padding_changed"] is True

    page = reverse("agreement_verify_public")
    response = APIClient().post(page, {"file": io.BytesIO(cut)}, format="multipart")
    html = response.content.decode()
    assert response.status_code == 200
    assert "缺少签署方：" + cast.office.name in html
    assert "核验未通过" in html

    path = tmp_path / "cut.pdf"
    path.write_bytes(cut)
    with pytest.raises(CommandError) as err:
        call_command("verify_agreement", str(path))
    assert err.value.returncode == 1
    out = capsys.readouterr().out
    assert f"missing: {cast.office.name}" in out
    assert "revision 3 of 4" in out
    path.write_bytes(latest(signed))
    call_command("verify_agreement", str(path))
    assert "verification passed" in capsys.readouterr().out


def test_an_unknown_document_with_an_empty_signature_field_is_not_valid(cast):
    users = [cast.committee, cast.officer, cast.property_unit_rep, cast.company_staff]
    pdf = sign_all(cast.office, users, [0, 1, 2], unsigned_pdf())  # the company never signed
    report = verification.verify_document(pdf)
    assert all(s.ok for s in report.signatures)
    assert not report.ok
    assert report.archive is None and report.unsigned_fields == ["sig-company"]
    assert "文件中有1个签名栏尚未签署：sig-company" in report.problems
