"""Re-read a signed agreement PDF and report every signature (ESL 13, 14).

For each signature: who signed, for which organisation, when, whether the signed bytes are
intact and the cryptography holds, which street office's CA vouches for the signer (every
office's root is a trust anchor; an unknown CA is reported as untrusted), and whether the
document was changed after that signature beyond adding later signatures.

The bytes of a signature's /Contents after its DER blob lie in the gap of its /ByteRange:
no signature covers them, so a changed padding byte leaves every signature "intact". The
portal's own signatures pad with zeros, so :func:`verify_pdf` reports padding that is not
zero. :func:`verify_document` adds the archive: a copy the portal issued is compared byte
for byte with the stored revisions and its signatures with the agreement's parties
(:mod:`agreements.provenance`). The page, the API and ``manage.py verify_agreement`` all
call :func:`verify_document`.
"""

import hashlib
import io
import logging
import re

from django.utils.translation import gettext as _
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from . import ca
from .provenance import compare_with_archive
from .report import SignatureReport, VerificationReport

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
# An agreement has a handful of parties; a file with far more signatures is not one of
# ours, and validating each costs a diff analysis of the whole file.
MAX_SIGNATURES = 20
# Beyond filling in the next signature field nothing may change after a signature.
ALLOWED_LATER_CHANGES = (ModificationLevel.NONE, ModificationLevel.FORM_FILLING)


class NotAPdfError(ValueError):
    """The bytes are not a readable PDF."""


def _subject_attr(name, key: str) -> str:
    value = name.native.get(key, "")
    return ", ".join(value) if isinstance(value, list) else str(value)


def verify_document(data: bytes) -> VerificationReport:
    """:func:`verify_pdf`, then the archive: which agreement and revision the file is, or
    where it departs from the stored copy, and which expected party has not signed."""
    report = verify_pdf(data)
    compare_with_archive(data, report)
    return report


def verify_pdf(data: bytes) -> VerificationReport:
    """Validate every signature of ``data`` against all the portal's CA roots (the
    cryptography only: nothing here knows the archive)."""
    report = VerificationReport(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    if not data.lstrip()[:5] == PDF_MAGIC:
        raise NotAPdfError(_("文件不是PDF格式"))
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sig_fields = list(enumerate_sig_fields(reader))
    except (PdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise NotAPdfError(_("PDF文件已损坏，无法读取")) from exc
    filled = [f for f in sig_fields if f[1] is not None]
    report.unsigned_fields = [str(name) for name, value, _ref in sig_fields if value is None]
    if not filled:
        report.problems.append(_("文件中没有电子签名"))
        return report
    if len(filled) > MAX_SIGNATURES:
        report.problems.append(
            _("文件中有%(n)s个签名，超过核验上限%(max)s个")
            % {"n": len(filled), "max": MAX_SIGNATURES}
        )
        return report
    roots = ca.trust_roots()
    anchors = [translate_pyca_cryptography_cert_to_asn1(cert) for cert, _office in roots.values()]
    checked = []
    for name, _value, field_ref in filled:
        try:  # one garbled signature must not hide the others
            sig = EmbeddedPdfSignature(reader, field_ref, name)
            revision = sig.signed_revision
        except Exception as exc:
            logger.info("unreadable signature %s: %s", name, type(exc).__name__)
            checked.append((10**9, _unreadable(str(name))))  # order unknown: last
            continue
        checked.append((revision, _check_one(sig, anchors, roots, data)))
    checked.sort(key=lambda pair: pair[0])  # in signing order, as the revisions were made
    report.signatures = [item for _revision, item in checked]
    last = report.signatures[-1]
    if last.readable and not last.covers_whole_file:
        report.problems.append(_("最后一个签名之后文件被追加了未签名的内容"))
    return report


def _unreadable(field_name: str) -> SignatureReport:
    return SignatureReport(field_name=field_name, problems=[_("签名无法解析")], readable=False)


HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]*")


def der_length(blob: bytes) -> int | None:
    """The length of the DER SEQUENCE at the start of ``blob`` (tag, length and content),
    or None when it does not start with one that fits."""
    if len(blob) < 2 or blob[0] != 0x30:
        return None
    if blob[1] < 0x80:
        total = 2 + blob[1]
    else:
        count = blob[1] & 0x7F
        if not 0 < count <= 4 or len(blob) < 2 + count:
            return None
        total = 2 + count + int.from_bytes(blob[2 : 2 + count], "big")
    return total if total <= len(blob) else None


def contents_padding_intact(data: bytes, byte_range) -> bool:
    """True when the unsigned gap of ``byte_range`` is ``<hex>`` holding the DER signature
    followed by nothing but zeros, as the portal writes it."""
    try:
        _start, len1, start2, _len2 = (int(v) for v in byte_range)
    except (TypeError, ValueError):
        return False
    gap = data[len1:start2]
    digits = gap[1:-1]
    if gap[:1] != b"<" or gap[-1:] != b">" or len(digits) % 2:
        return False
    if not HEX_DIGITS.fullmatch(digits):
        return False
    length = der_length(bytes.fromhex(digits.decode("ascii")))
    return length is not None and digits[2 * length :].strip(b"0") == b""


def _check_one(sig, anchors, roots, data: bytes) -> SignatureReport:
    field_name = str(sig.field_name)
    try:
        cert = sig.signer_cert
        subject = cert.subject
        signed_at = sig.self_reported_timestamp
    except Exception as exc:  # a malformed signature dictionary or CMS blob
        logger.info("unreadable signature %s: %s", field_name, type(exc).__name__)
        return _unreadable(field_name)
    item = SignatureReport(
        field_name=field_name,
        signer=_subject_attr(subject, "common_name"),
        organisation=_subject_attr(subject, "organization_name"),
        signed_at=signed_at,
        certificate_serial=format(cert.serial_number, "x"),
    )
    _check_padding(item, sig, data)
    try:
        context = ValidationContext(
            trust_roots=anchors, allow_fetching=False, revocation_mode="soft-fail"
        )
        status = validate_pdf_signature(sig, context)
    except Exception as exc:  # pyHanko raises many kinds on malformed signatures
        logger.info("signature %s could not be validated: %s", item.field_name, type(exc).__name__)
        item.problems.append(_("签名无法解析"))
        return item
    item.intact = status.intact
    item.valid = status.valid
    item.trusted = status.trusted
    item.covers_whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    level = status.modification_level
    item.changed_after = not (
        status.intact
        and status.coverage
        in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
        and level in ALLOWED_LATER_CHANGES
        and status.docmdp_ok is not False
    )
    if status.signer_reported_dt is not None:
        item.signed_at = status.signer_reported_dt
    if status.trusted and status.validation_path is not None:
        anchor = status.validation_path.trust_anchor
        anchor_cert = getattr(anchor, "certificate", None)
        office = roots.get(hashlib.sha256(anchor_cert.dump()).hexdigest()) if anchor_cert else None
        if office is not None:
            item.trusted_by = office[1].name
            item.trusted_by_code = office[1].code
    if not status.intact:
        item.problems.append(_("签名后文件内容被改动"))
    elif not status.valid:
        item.problems.append(_("签名值无效"))
    elif not status.trusted:
        item.problems.append(_("签名证书不是由本平台任何街道办事处的根证书签发的"))
    if status.intact and item.changed_after:
        item.problems.append(_("签名之后文件被修改（超出追加签名的范围）"))
    return item


def _check_padding(item: SignatureReport, sig, data: bytes) -> None:
    try:
        byte_range = [int(v) for v in sig.byte_range]
    except (TypeError, ValueError):
        byte_range = []
    if len(byte_range) == 4:
        item.signed_end = byte_range[2] + byte_range[3]
    if not contents_padding_intact(data, byte_range):
        item.padding_changed = True
        item.problems.append(
            _("签名值之后的填充字节被改动（这部分不在签名覆盖范围内，但本平台签发的文件均以0填充）")
        )
