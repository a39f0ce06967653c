"""The agreements API and the verify_agreement command."""

import hashlib
import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from agreements import services
from agreements.models import PartyKind
from tests.agreements.helpers import make_agreement, sign_as
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def signed(cast, django_capture_on_commit_callbacks):
    agreement = make_agreement(cast, django_capture_on_commit_callbacks)
    for user in (cast.property_unit_rep, cast.committee, cast.company_staff, cast.officer):
        sign_as(agreement, user)
    agreement.refresh_from_db()
    return agreement


def latest(agreement) -> bytes:
    return services.revision_bytes(services.latest_revision(agreement))


def test_list_has_id_status_and_signatures(api, cast, signed, django_assert_max_num_queries):
    api.force_authenticate(cast.company_staff)
    with django_assert_max_num_queries(10):
        response = api.get(f"/api/v1/compounds/{cast.compound.code}/agreements/")
    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert item["id"] == signed.pk
    assert item["status"] == "effective"
    sigs = item["signatures"]
    assert [s["party"] for s in sigs] == [
        "首开集团",
        "小区home物业管理委员会",
        "测试物业",
        cast.office.name,
    ]
    assert [s["signer"] for s in sigs] == [
        "property_unit_rep",
        "committee",
        "company_staff",
        "officer",
    ]
    assert all(s["signed_at"] for s in sigs)
    assert item["missing_parties"] == []
    assert item["filing_deadline"] == signed.filing_deadline.isoformat()
    assert "encrypted_key" not in response.content.decode()
    assert "PRIVATE" not in response.content.decode()


def test_pdf_endpoint_returns_the_latest_signed_revision(api, cast, signed):
    api.force_authenticate(cast.committee)
    response = api.get(f"/api/v1/compounds/{cast.compound.code}/agreements/{signed.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == services.latest_revision(signed).sha256
    assert services.latest_revision(signed).number == 4


def test_outsiders_and_residents_get_404(api, cast, signed):
    base = f"/api/v1/compounds/{cast.compound.code}/agreements/"
    for user in (cast.resident, *cast.outsiders.values()):
        api.force_authenticate(user)
        assert api.get(base).status_code == 404
        assert api.get(f"{base}{signed.pk}/pdf/").status_code == 404
    api.force_authenticate(cast.outsider_compound)  # their own compound has no such id
    other = f"/api/v1/compounds/{cast.other_compound.code}/agreements/{signed.pk}/"
    assert api.get(other).status_code == 404


def test_parties_detail_and_verification(api, cast, signed):
    api.force_authenticate(cast.officer)
    base = f"/api/v1/compounds/{cast.compound.code}/agreements/{signed.pk}/"
    parties = api.get(base + "parties/").json()
    assert [p["kind"] for p in parties] == [
        "committee",
        "service_company",
        "street_office",
        "property_right_unit",
    ]
    assert all(p["signed"] for p in parties)
    detail = api.get(base).json()
    assert len(detail["clauses"]) == 13 and len(detail["revisions"]) == 5
    report = api.get(base + "verification/").json()
    assert report["ok"] is True
    assert len(report["signatures"]) == 4
    assert {s["trusted_by"] for s in report["signatures"]} == {cast.office.name}


def test_sign_through_the_api(api, cast, django_capture_on_commit_callbacks):
    agreement = make_agreement(cast, django_capture_on_commit_callbacks)
    party = agreement.parties.get(kind=PartyKind.SERVICE_COMPANY)
    url = (
        f"/api/v1/compounds/{cast.compound.code}/agreements/{agreement.pk}/parties/{party.pk}/sign/"
    )
    api.force_authenticate(cast.company_staff)
    response = api.post(url, {"password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "密码错误" in response.content.decode()
    response = api.post(url, {"password": PASSWORD}, format="json")
    assert response.status_code == 201
    assert response.json()["party"] == "测试物业" and response.json()["revision"] == 1
    assert api.post(url, {"password": PASSWORD}, format="json").status_code == 400
    api.force_authenticate(cast.committee)  # not their party
    response = api.post(url, {"password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert agreement.signatures.count() == 1


def test_public_upload_verification(api, cast, signed, settings):
    response = api.post(
        "/api/v1/agreements/verify/", {"file": io.BytesIO(latest(signed))}, format="multipart"
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True
    tampered = bytearray(latest(signed))
    tampered[tampered.index(b"/Type /Page") + 2] = ord("X")
    response = api.post(
        "/api/v1/agreements/verify/", {"file": io.BytesIO(bytes(tampered))}, format="multipart"
    )
    body = response.json()
    assert body["ok"] is False and body["changed_after_signing"] is True
    response = api.post(
        "/api/v1/agreements/verify/", {"file": io.BytesIO(b"plain text")}, format="multipart"
    )
    assert response.status_code == 400
    assert "PDF" in response.content.decode()
    settings.AGREEMENT_VERIFY_MAX_BYTES = 1024 * 1024
    response = api.post(
        "/api/v1/agreements/verify/",
        {"file": io.BytesIO(b"%PDF-" + b"0" * (2 * 1024 * 1024))},
        format="multipart",
    )
    assert response.status_code == 413


def test_verify_agreement_command(cast, signed, tmp_path, capsys):
    good = tmp_path / "good.pdf"
    good.write_bytes(latest(signed))
    call_command("verify_agreement", str(good))
    out = capsys.readouterr().out
    assert "4 signature(s)" in out and "verification passed" in out

    bad = tmp_path / "bad.pdf"
    data = bytearray(latest(signed))
    data[data.index(b"/Type /Page") + 2] = ord("X")
    bad.write_bytes(bytes(data))
    with pytest.raises(CommandError) as err:
        call_command("verify_agreement", str(bad))
    assert err.value.returncode == 1
    assert "changed after signing" in capsys.readouterr().out

    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    with pytest.raises(CommandError) as err:
        call_command("verify_agreement", str(junk))
    assert err.value.returncode == 2


def test_schema_lists_the_agreement_endpoints(api, db):
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "/api/v1/compounds/{code}/agreements/" in paths
    pdf = paths["/api/v1/compounds/{code}/agreements/{agreement_id}/pdf/"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    assert "/api/v1/agreements/verify/" in paths
