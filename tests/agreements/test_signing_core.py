"""The signing core: per-office CA, PAdES revisions per signer, verification."""

import datetime as dt
import io
import random

import pytest
import weasyprint
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.db import connection
from django.utils import timezone
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from agreements import ca, signing, verification
from agreements.models import SignerCertificate, SigningAuthority

SIGNERS = [
    ("sig-committee", "王主任", "学院南路32号院物业管理委员会"),
    ("sig-office", "李科长", "北太平庄街道办事处"),
    ("sig-unit", "赵代表", "首开集团"),
    ("sig-company", "孙经理", "天岳恒物业"),
]

HTML = (
    """<html><head><style>
@page { size: A4; margin: 20mm; @bottom-center { content: "第 " counter(page) " 页" } }
body { font-family: "Noto Serif CJK SC"; }
.sig { width: 75mm; height: 28mm; border: 1px dashed #999; margin: 4mm 0; }
</style></head><body>
<h1>四方协议</h1><p>第一条　甲方为学院南路32号院物业管理委员会。</p>
<h2>签署页</h2>
"""
    + "".join(f'<div class="sig" id="{f}">{org}</div>' for f, _n, org in SIGNERS)
    + "</body></html>"
)


def unsigned_pdf() -> bytes:
    document = weasyprint.HTML(string=HTML).render()
    boxes = signing.field_boxes_from_layout(document)
    assert {b.name for b in boxes} == {f for f, _n, _o in SIGNERS}
    return signing.add_signature_fields(document.write_pdf(), boxes)


def sign_all(office, users, order, pdf: bytes) -> bytes:
    for index in order:
        field_name, name, org = SIGNERS[index]
        cert = ca.signer_certificate_for(
            office=office, user=users[index], common_name=name, organisation=org
        )
        pdf = signing.sign_revision(
            pdf,
            field_name=field_name,
            credentials=ca.credentials(cert),
            signer_name=name,
            organisation=org,
            signed_at=timezone.now(),
        )
    return pdf


@pytest.fixture
def signed(cast):
    users = [cast.committee, cast.officer, cast.property_unit_rep, cast.company_staff]
    order = list(range(4))
    random.Random(5).shuffle(order)
    assert order != [0, 1, 2, 3]
    return sign_all(cast.office, users, order, unsigned_pdf()), order


def test_four_signers_in_shuffled_order_all_valid_and_trusted(cast, signed):
    pdf, order = signed
    report = verification.verify_pdf(pdf)
    assert report.ok, report
    assert [s.field_name for s in report.signatures] == [SIGNERS[i][0] for i in order]
    for sig in report.signatures:
        assert sig.intact and sig.valid and sig.trusted
        assert sig.trusted_by == cast.office.name
        assert not sig.changed_after
    by_field = {s.field_name: s for s in report.signatures}
    assert by_field["sig-unit"].signer == "赵代表"
    assert by_field["sig-unit"].organisation == "首开集团"
    assert report.signatures[-1].covers_whole_file
    assert not report.changed_after_signing


def test_pyhanko_validator_confirms_each_revision(cast, signed):
    pdf, _order = signed
    root = ca.load_certificate(
        SigningAuthority.objects.get(street_office=cast.office).certificate_pem
    )
    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.embedded_signatures) == 4
    for sig in reader.embedded_signatures:
        context = ValidationContext(
            trust_roots=[translate_pyca_cryptography_cert_to_asn1(root)], allow_fetching=False
        )
        status = validate_pdf_signature(sig, context)
        assert status.bottom_line, status.pretty_print_details()
    # four incremental revisions on top of the rendered document and its fields
    assert pdf.count(b"%%EOF") >= 5


def test_signed_pdf_text_reads_back_and_stamps_are_visible(signed):
    pdf, _order = signed
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "四方协议" in text
    assert "学院南路32号院物业管理委员会" in text
    widgets = [
        annot.get_object()
        for page in reader.pages
        for annot in page.get("/Annots", [])
        if annot.get_object().get("/FT") == "/Sig"
    ]
    assert len(widgets) == 4
    for widget in widgets:
        rect = [float(v) for v in widget["/Rect"]]
        assert rect[2] - rect[0] > 100 and rect[3] - rect[1] > 40  # a visible box
        assert "/AP" in widget  # the stamp appearance


def test_one_changed_byte_is_reported(signed):
    pdf, _order = signed
    tampered = bytearray(pdf)
    position = pdf.index(b"/Type /Page") + 2  # inside the first, signed revision
    tampered[position] = ord("X")
    report = verification.verify_pdf(bytes(tampered))
    assert not report.ok
    assert report.changed_after_signing
    assert all(not s.intact for s in report.signatures)


def test_appended_unsigned_update_is_reported(signed):
    pdf, _order = signed
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.root["/Lang"] = generic.pdf_string("en")  # an unsigned change after the last signature
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    report = verification.verify_pdf(out.getvalue())
    assert not report.ok
    assert report.changed_after_signing


def test_key_from_unknown_ca_is_untrusted(cast):
    """A certificate from a CA the portal does not run validates cryptographically but
    is not trusted by any street office."""
    now = timezone.now()
    rogue_key = ec.generate_private_key(ec.SECP256R1())
    rogue_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "冒名CA")])
    rogue_root = (
        x509.CertificateBuilder()
        .subject_name(rogue_name)
        .issuer_name(rogue_name)
        .public_key(rogue_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(rogue_key, hashes.SHA256())
    )
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "李科长")]))
        .issuer_name(rogue_name)
        .public_key(signer_key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(rogue_key, hashes.SHA256())
    )
    ca.authority_for(cast.office)  # the portal has a root, just not this one
    pdf = signing.sign_revision(
        unsigned_pdf(),
        field_name="sig-office",
        credentials=ca.SigningCredentials(
            certificate=signer_cert, private_key=signer_key, chain=(rogue_root,), serial="2"
        ),
        signer_name="李科长",
        organisation="北太平庄街道办事处",
        signed_at=now,
    )
    report = verification.verify_pdf(pdf)
    (sig,) = report.signatures
    assert sig.intact and sig.valid
    assert not sig.trusted and sig.trusted_by == ""
    assert not report.ok


def test_each_office_has_its_own_root_and_verifier_names_it(cast):
    ours = ca.authority_for(cast.office)
    theirs = ca.authority_for(cast.other_office)
    assert ours.fingerprint_sha256 != theirs.fingerprint_sha256
    assert ca.authority_for(cast.office).pk == ours.pk  # created once
    cert = ca.signer_certificate_for(
        office=cast.other_office,
        user=cast.outsider_office,
        common_name="远方",
        organisation="远方街道",
    )
    pdf = signing.sign_revision(
        unsigned_pdf(),
        field_name="sig-office",
        credentials=ca.credentials(cert),
        signer_name="远方",
        organisation="远方街道",
        signed_at=timezone.now(),
    )
    (sig,) = verification.verify_pdf(pdf).signatures
    assert sig.trusted and sig.trusted_by == cast.other_office.name
    subject = ca.load_certificate(cert.certificate_pem).subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "远方"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "远方街道"


def test_private_keys_never_stored_in_plaintext(cast, signed):
    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_key FROM agreements_signingauthority")
        stored = [bytes(row[0]) for row in cursor.fetchall()]
        cursor.execute("SELECT encrypted_key, certificate_pem FROM agreements_signercertificate")
        rows = cursor.fetchall()
    stored += [bytes(row[0]) for row in rows]
    assert len(stored) == 5  # one root, four signers
    for blob in stored:
        assert b"PRIVATE KEY" not in blob
        assert not blob.startswith(b"\x30")  # not bare DER either
    for _key, pem in rows:
        assert "PRIVATE KEY" not in pem
    # and it decrypts back to the key that matches the certificate
    row = SignerCertificate.objects.first()
    key = ca.decrypt_private_key(row.encrypted_key)
    assert key.public_key() == ca.load_certificate(row.certificate_pem).public_key()


def test_key_material_hidden_from_repr_and_str(cast):
    row = ca.signer_certificate_for(
        office=cast.office, user=cast.committee, common_name="王主任", organisation="物管会"
    )
    creds = ca.credentials(row)
    for text in (repr(creds), str(creds), repr(row), str(row), repr(row.authority)):
        assert "private_key" not in text
        assert "PRIVATE" not in text
        assert "encrypted_key" not in text


def test_wrong_secret_cannot_decrypt(cast, settings):
    row = ca.authority_for(cast.office)
    settings.KEY_ENCRYPTION_SECRET = "another-secret"
    with pytest.raises(ca.KeyDecryptionError):
        ca.decrypt_private_key(row.encrypted_key)


def test_signing_an_already_signed_field_is_refused(cast, signed):
    pdf, _order = signed
    cert = ca.signer_certificate_for(
        office=cast.office, user=cast.committee, common_name="王主任", organisation="物管会"
    )
    with pytest.raises(signing.SignatureFieldError):
        signing.sign_revision(
            pdf,
            field_name="sig-committee",
            credentials=ca.credentials(cert),
            signer_name="王主任",
            organisation="物管会",
            signed_at=timezone.now(),
        )


def test_not_a_pdf_is_rejected():
    with pytest.raises(verification.NotAPdfError):
        verification.verify_pdf(b"GIF89a not a pdf")
    with pytest.raises(verification.NotAPdfError):
        verification.verify_pdf(b"%PDF-1.7\n garbage without xref")


def test_unsigned_pdf_is_not_ok(db):
    report = verification.verify_pdf(weasyprint.HTML(string="<p>无签名</p>").write_pdf())
    assert not report.ok
    assert report.problems


def test_garbled_signature_value_is_reported_not_crashed(signed):
    pdf, _order = signed
    start = pdf.rindex(b"/Contents <") + len(b"/Contents <")
    garbled = bytearray(pdf)
    garbled[start + 40 : start + 48] = b"00000000"  # inside the CMS blob of the last signature
    report = verification.verify_pdf(bytes(garbled))
    assert not report.ok
    assert len(report.signatures) == 4
    assert not report.signatures[-1].ok and report.signatures[-1].problems
    assert all(s.ok for s in report.signatures[:3])  # earlier revisions are untouched
