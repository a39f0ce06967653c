"""Agreements: generation, the PDF, signing by each party, filing, registers."""

import datetime as dt
import hashlib
import io
import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from pypdf import PdfReader

from agreements import selectors, services, verification
from agreements.models import (
    AgreementRevision,
    AgreementStatus,
    PartyKind,
    Signature,
)
from portal.models import Membership, Role
from tests.agreements.helpers import DECISION_FACTS, make_agreement, party_specs, sign_as
from tests.factories import PASSWORD, make_member


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agreement(cast, django_capture_on_commit_callbacks):
    return make_agreement(cast, django_capture_on_commit_callbacks)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def latest_bytes(agreement) -> bytes:
    return services.revision_bytes(services.latest_revision(agreement))


def counts(agreement) -> tuple[int, int, str]:
    agreement.refresh_from_db()
    return (agreement.revisions.count(), agreement.signatures.count(), agreement.status)


# ---------------------------------------------------------------- generation and PDF


def test_pdf_is_chinese_with_numbered_clauses_page_numbers_and_one_field_per_party(agreement):
    assert agreement.pdf_status == "ready"
    assert agreement.status == AgreementStatus.DRAFT
    data = latest_bytes(agreement)
    reader = PdfReader(io.BytesIO(data))
    text = pdf_text(data)
    assert "小区home物业服务四方协议" in text
    assert "第一条" in text and "第十三条" in text
    assert "参与表决业主人数占业主总人数的77.84%" in text.replace("\n", "")
    assert "74.13%" in text and "78.86%" in text and "74.25%" in text
    assert "15日内" in text.replace("\n", "")
    pages = len(reader.pages)
    assert f"第 1 页，共 {pages} 页" in text
    assert f"第 {pages} 页，共 {pages} 页" in text
    fields = reader.get_fields()
    sig_fields = {name for name, f in fields.items() if f.get("/FT") == "/Sig"}
    assert sig_fields == {"sig-1", "sig-2", "sig-3", "sig-4"}
    for name in sig_fields:
        assert fields[name].get("/V") is None  # unsigned
    rev = agreement.revisions.get()
    assert rev.number == 0
    assert rev.sha256 == hashlib.sha256(data).hexdigest()


def test_parties_are_labelled_in_the_agreement_order(agreement):
    labels = [(p.label, p.kind) for p in agreement.parties.order_by("position")]
    assert labels == [
        ("甲方", PartyKind.COMMITTEE),
        ("乙方", PartyKind.SERVICE_COMPANY),
        ("丙方", PartyKind.STREET_OFFICE),
        ("丁方", PartyKind.PROPERTY_RIGHT_UNIT),
    ]


def test_missing_fact_is_named_and_nothing_is_saved(cast):
    facts = {k: v for k, v in DECISION_FACTS.items() if k != "ballot_sha256"}
    with pytest.raises(ValidationError) as err:
        services.agreement_create(
            compound=cast.compound,
            parties=party_specs(cast),
            facts=facts,
            term_start=dt.date(2022, 1, 1),
            term_end=dt.date(2024, 12, 31),
            actor=cast.committee,
        )
    assert "表决票据SHA-256" in err.value.messages[0]
    assert not cast.compound.agreements.exists()


def test_representative_must_hold_the_partys_role(cast):
    specs = party_specs(cast)
    specs[1] = services.PartySpec(
        kind=PartyKind.STREET_OFFICE, organisation=cast.office.name, representative=cast.resident
    )
    with pytest.raises(ValidationError, match="街道工作人员"):
        services.agreement_create(
            compound=cast.compound,
            parties=specs,
            facts=DECISION_FACTS,
            term_start=dt.date(2022, 1, 1),
            term_end=dt.date(2024, 12, 31),
            actor=cast.committee,
        )
    # a street officer of another office cannot sign for this compound's street office
    specs[1] = services.PartySpec(
        kind=PartyKind.STREET_OFFICE,
        organisation=cast.office.name,
        representative=cast.outsider_office,
    )
    with pytest.raises(ValidationError):
        services.agreement_create(
            compound=cast.compound,
            parties=specs,
            facts=DECISION_FACTS,
            term_start=dt.date(2022, 1, 1),
            term_end=dt.date(2024, 12, 31),
            actor=cast.committee,
        )
    assert not cast.compound.agreements.exists()


def test_every_kind_of_party_is_required(cast):
    specs = [s for s in party_specs(cast) if s.kind != PartyKind.PROPERTY_RIGHT_UNIT]
    with pytest.raises(ValidationError, match="产权单位"):
        services.agreement_create(
            compound=cast.compound,
            parties=specs,
            facts=DECISION_FACTS,
            term_start=dt.date(2022, 1, 1),
            term_end=dt.date(2024, 12, 31),
            actor=cast.committee,
        )


def test_term_must_end_after_it_starts(cast):
    with pytest.raises(ValidationError, match="结束日期"):
        services.agreement_create(
            compound=cast.compound,
            parties=party_specs(cast),
            facts=DECISION_FACTS,
            term_start=dt.date(2022, 1, 1),
            term_end=dt.date(2021, 12, 31),
            actor=cast.committee,
        )


def test_template_edit_makes_a_version_and_rejects_unknown_placeholders(cast):
    template = services.agreement_template_for(cast.compound)
    assert template.version == 1 and len(template.clauses) == 13
    clauses = [*template.clauses, {"title": "附则", "body": "本协议一式四份，{unknown_fact}。"}]
    with pytest.raises(ValidationError, match="unknown_fact"):
        services.agreement_template_update(
            template=template,
            title=template.title,
            preamble=template.preamble,
            clauses=clauses,
            actor=cast.committee,
        )
    clauses[-1]["body"] = "本协议自{term_start}起执行。"
    new = services.agreement_template_update(
        template=template,
        title=template.title,
        preamble=template.preamble,
        clauses=clauses,
        actor=cast.committee,
    )
    assert new.version == 2
    assert services.agreement_template_for(cast.compound) == new


# ---------------------------------------------------------------- signing


def test_each_party_signs_in_any_order_and_the_agreement_becomes_effective(cast, agreement):
    order = [cast.company_staff, cast.property_unit_rep, cast.officer, cast.committee]
    for n, user in enumerate(order, start=1):
        signature = sign_as(agreement, user)
        assert signature.revision_number == n
        agreement.refresh_from_db()
        expected = AgreementStatus.EFFECTIVE if n == 4 else AgreementStatus.SIGNING
        assert agreement.status == expected
    assert agreement.effective_on is not None
    assert agreement.filing_deadline == agreement.effective_on + dt.timedelta(days=15)
    revisions = list(agreement.revisions.order_by("number"))
    assert [r.number for r in revisions] == [0, 1, 2, 3, 4]
    for rev in revisions:  # each revision's bytes match its recorded SHA-256
        with default_storage.open(rev.file.name, "rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == rev.sha256
    report = verification.verify_pdf(latest_bytes(agreement))
    assert report.ok
    assert [s.organisation for s in report.signatures] == [
        "测试物业",
        "首开集团",
        cast.office.name,
        "小区home物业管理委员会",
    ]
    assert all(s.trusted_by == cast.office.name for s in report.signatures)
    # a signer's certificate carries their name and organisation
    sig = Signature.objects.get(party__kind=PartyKind.STREET_OFFICE)
    assert sig.certificate.organisation == cast.office.name
    assert sig.certificate_serial == sig.certificate.serial


def test_signing_twice_is_refused_and_changes_nothing(cast, agreement):
    sign_as(agreement, cast.committee)
    before = counts(agreement)
    with pytest.raises(ValidationError, match="已经签署过"):
        sign_as(agreement, cast.committee)
    assert counts(agreement) == before


def test_signing_for_another_party_is_refused(cast, agreement):
    office_party = agreement.parties.get(kind=PartyKind.STREET_OFFICE)
    before = counts(agreement)
    with pytest.raises(ValidationError, match="不是.*授权代表"):
        services.agreement_sign(
            agreement=agreement, party=office_party, user=cast.committee, password=PASSWORD
        )
    assert counts(agreement) == before


def test_signing_a_superseded_draft_is_refused(cast, agreement, django_capture_on_commit_callbacks):
    sign_as(agreement, cast.committee)
    newer = make_agreement(cast, django_capture_on_commit_callbacks, supersedes=agreement)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SUPERSEDED
    assert newer.version == 2 and newer.supersedes == agreement
    before = counts(agreement)
    with pytest.raises(ValidationError, match="已被新版本取代"):
        sign_as(agreement, cast.officer)
    assert counts(agreement) == before
    sign_as(newer, cast.officer)  # the new version is signable


def test_wrong_password_is_refused_and_throttled(cast, agreement):
    before = counts(agreement)
    for attempt in range(services.SIGN_MAX_FAILURES):
        with pytest.raises(ValidationError, match="密码错误") as err:
            sign_as(agreement, cast.committee, password=f"wrong-{attempt}")
        assert err.value.error_list[0].code == "wrong_password"
    # now even the right password is refused until the window passes
    with pytest.raises(ValidationError, match="次数过多") as err:
        sign_as(agreement, cast.committee)
    assert err.value.error_list[0].code == "throttled"
    assert counts(agreement) == before
    # the throttle is per user and agreement: another party still signs
    sign_as(agreement, cast.officer)


def test_unrendered_draft_cannot_be_signed(cast):
    agreement = services.agreement_create(  # on_commit does not run: no PDF yet
        compound=cast.compound,
        parties=party_specs(cast),
        facts=DECISION_FACTS,
        term_start=dt.date(2022, 1, 1),
        term_end=dt.date(2024, 12, 31),
        actor=cast.committee,
    )
    with pytest.raises(ValidationError, match="尚未生成"):
        sign_as(agreement, cast.committee)


def test_tampered_stored_file_is_refused(cast, agreement):
    rev = services.latest_revision(agreement)
    with default_storage.open(rev.file.name, "rb") as fh:
        data = bytearray(fh.read())
    data[100] ^= 1
    default_storage.delete(rev.file.name)
    default_storage.save(rev.file.name, io.BytesIO(bytes(data)))
    with pytest.raises(ValidationError, match="SHA-256"):
        sign_as(agreement, cast.committee)


def test_render_task_is_idempotent(agreement):
    assert services.agreement_render(agreement_id=agreement.pk) is False
    assert agreement.revisions.count() == 1


# ---------------------------------------------------------------- pages


def test_detail_page_offers_the_sign_form_only_for_the_users_own_party(client, cast, agreement):
    url = agreement.get_absolute_url()
    client.force_login(cast.officer)
    page = client.get(url).content.decode()
    assert 'id="sign-street_office"' in page
    assert 'id="sign-committee"' not in page
    client.force_login(cast.resident)
    assert client.get(url).status_code == 404


def test_signing_through_the_page(client, cast, agreement):
    party = agreement.parties.get(kind=PartyKind.COMMITTEE)
    url = reverse("agreement_sign", args=[cast.compound.code, agreement.pk, party.pk])
    client.force_login(cast.committee)
    response = client.post(url, {"password": "nope"}, follow=True)
    assert "密码错误" in response.content.decode()
    assert counts(agreement)[1] == 0
    response = client.post(url, {"password": PASSWORD}, follow=True)
    assert "已代表小区home物业管理委员会签署" in response.content.decode()
    assert counts(agreement)[1] == 1
    # someone else's party through the page: a clear error, nothing signed
    office_party = agreement.parties.get(kind=PartyKind.STREET_OFFICE)
    url = reverse("agreement_sign", args=[cast.compound.code, agreement.pk, office_party.pk])
    response = client.post(url, {"password": PASSWORD}, follow=True)
    assert "不能代其签署" in response.content.decode()
    assert counts(agreement)[1] == 1


def test_pdf_download_and_revision_download(client, cast, agreement):
    sign_as(agreement, cast.committee)
    client.force_login(cast.company_staff)
    url = reverse("agreement_pdf", args=[cast.compound.code, agreement.pk])
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == services.latest_revision(agreement).sha256
    first = b"".join(client.get(url + "?revision=0").streaming_content)
    assert hashlib.sha256(first).hexdigest() == agreement.revisions.get(number=0).sha256
    assert client.get(url + "?revision=9").status_code == 404


def sign_all(cast, agreement, **kw):
    for user in (cast.committee, cast.officer, cast.property_unit_rep, cast.company_staff):
        sign_as(agreement, user, **kw)
    agreement.refresh_from_db()


def test_filing_deadline_on_the_street_office_page_until_filed(client, cast, agreement):
    sign_all(cast, agreement)
    client.force_login(cast.officer)
    office_url = reverse("street_office", args=[cast.office.code])
    page = client.get(office_url).content.decode()
    assert 'id="agreements-panel"' in page
    assert agreement.number in page
    assert f"备案期限 {agreement.filing_deadline:%Y-%m-%d}" in page
    # the committee cannot file; the officer can
    file_url = reverse("agreement_file", args=[cast.compound.code, agreement.pk])
    client.force_login(cast.committee)
    assert client.post(file_url).status_code == 404
    client.force_login(cast.officer)
    client.post(file_url)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.FILED
    page = client.get(office_url).content.decode()
    assert agreement.number not in page
    with pytest.raises(ValidationError, match="已经备案"):
        services.agreement_file(agreement=agreement, actor=cast.officer)


def test_registers_show_who_is_missing_and_the_renewal_reminder(client, cast, agreement):
    sign_as(agreement, cast.committee)
    client.force_login(cast.committee)
    page = client.get(reverse("agreement_list", args=[cast.compound.code])).content.decode()
    assert 'data-status="signing"' in page
    assert "待签署" in page and cast.office.name in page and "首开集团" in page
    sign_all_rest = [cast.officer, cast.property_unit_rep, cast.company_staff]
    for user in sign_all_rest:
        sign_as(agreement, user)
    agreement.refresh_from_db()
    # six months before the term ends the renewal is due (BJ 75)
    end = agreement.term_end
    due = agreement.renewal_due_on()
    assert (end.year * 12 + end.month) - (due.year * 12 + due.month) == 6
    assert not selectors.agreement_row(agreement, today=due - dt.timedelta(days=1)).renewal_due
    assert selectors.agreement_row(agreement, today=due).renewal_due
    after = end + dt.timedelta(days=1)
    assert selectors.agreement_row(agreement, today=after).status == "expired"
    assert services.agreements_expire(today=after) == 1
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.EXPIRED
    client.force_login(cast.officer)
    office_page = client.get(
        reverse("office_agreement_list", args=[cast.office.code])
    ).content.decode()
    assert agreement.number in office_page and 'data-status="expired"' in office_page


def test_register_runs_constant_queries(
    client, cast, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for _ in range(3):
        make_agreement(cast, django_capture_on_commit_callbacks)
    client.force_login(cast.officer)
    url = reverse("office_agreement_list", args=[cast.office.code])
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    compound_url = reverse("agreement_list", args=[cast.compound.code])
    with django_assert_max_num_queries(12):
        assert client.get(compound_url).status_code == 200


# ---------------------------------------------------------------- public verifier


def test_public_verifier_page(client, cast, agreement, settings):
    sign_all(cast, agreement)
    data = latest_bytes(agreement)
    url = reverse("agreement_verify_public")
    response = client.post(url, {"file": io.BytesIO(data)})
    page = response.content.decode()
    assert response.status_code == 200
    assert "全部签名有效" in page
    assert page.count('class="sig-ok"') == 4
    assert cast.office.name in page and "首开集团" in page
    assert agreement.number in page  # matches the stored revision

    tampered = bytearray(data)
    tampered[data.index(b"/Type /Page") + 2] = ord("X")
    page = client.post(url, {"file": io.BytesIO(bytes(tampered))}).content.decode()
    assert "核验未通过" in page and "文件在签署后被改动" in page
    assert 'class="sig-ok"' not in page

    response = client.post(url, {"file": io.BytesIO(b"hello, not a pdf")})
    assert response.status_code == 400
    assert "文件不是PDF格式" in response.content.decode()

    settings.AGREEMENT_VERIFY_MAX_BYTES = 1024 * 1024
    response = client.post(url, {"file": io.BytesIO(b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024))})
    assert response.status_code == 413
    assert "文件过大" in response.content.decode()


def test_public_verifier_is_rate_limited(client, db):
    url = reverse("agreement_verify_public")
    statuses = [client.post(url, {"file": io.BytesIO(b"not a pdf")}).status_code for _ in range(31)]
    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429


def test_verifier_page_hides_nothing_public_but_shows_no_personal_data(client, cast, agreement):
    sign_as(agreement, cast.committee)
    page = client.post(
        reverse("agreement_verify_public"), {"file": io.BytesIO(latest_bytes(agreement))}
    ).content.decode()
    for owner_name in cast.compound.owners.values_list("name", flat=True):
        assert owner_name not in page
    assert not re.search(r"\d{17}[\dX]", page)


# ---------------------------------------------------------------- helpers for other tests


def test_a_second_committee_member_is_not_the_representative(cast, agreement):
    """Only the named representative signs for a party, not any member of it."""
    other = make_member("committee2", Role.COMMITTEE_MEMBER, compound=cast.compound)
    party = agreement.parties.get(kind=PartyKind.COMMITTEE)
    with pytest.raises(ValidationError, match="不是.*授权代表"):
        services.agreement_sign(agreement=agreement, party=party, user=other, password=PASSWORD)
    assert Membership.objects.filter(user=other).exists()
    assert not AgreementRevision.objects.filter(agreement=agreement, number__gt=0).exists()


def test_admin_pages_show_certificates_but_never_keys(admin_client, cast, agreement):
    sign_as(agreement, cast.committee)
    from agreements.models import SignerCertificate, SigningAuthority

    pages = [
        reverse(
            "admin:agreements_signingauthority_change", args=[SigningAuthority.objects.get().pk]
        ),
        reverse(
            "admin:agreements_signercertificate_change", args=[SignerCertificate.objects.get().pk]
        ),
        reverse("admin:agreements_agreement_change", args=[agreement.pk]),
    ]
    for url in pages:
        body = admin_client.get(url).content.decode()
        assert "BEGIN CERTIFICATE" in body or agreement.number in body
        assert "PRIVATE KEY" not in body and "encrypted_key" not in body
