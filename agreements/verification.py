"""Re-read a signed agreement PDF and report every signature (ESL 13, 14).

For each signature: who signed, for which organisation, when, whether the signed bytes are
intact and the cryptography holds, which street office's CA vouches for the signer (every
office's root is a trust anchor; an unknown CA is reported as untrusted), and whether the
document was changed after that signature beyond adding later signatures. The page, the API
and ``manage.py verify_agreement`` all call :func:`verify_pdf`.
"""

import datetime as dt
import hashlib
import io
import logging
from dataclasses import dataclass, field

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

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
# An agreement has a handful of parties; a file with far more signatures is not one of
# ours, and validating each costs a diff analysis of the whole file.
MAX_SIGNATURES = 20
# Beyond filling in the next signature field nothing may change after a signature.
ALLOWED_LATER_CHANGES = (ModificationLevel.NONE, ModificationLevel.FORM_FILLING)


class NotAPdfError(ValueError):
    """The bytes are not a readable PDF."""


@dataclass
class SignatureReport:
    """One signature's findings. The verdict fields start at "nothing proven" (not intact,
    not valid, not trusted, changed after): a check that fails half-way never reports more
    than it proved."""

    field_name: str
    signer: str = ""
    organisation: str = ""
    signed_at: dt.datetime | None = None
    certificate_serial: str = ""
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    trusted_by: str = ""  # the street office whose CA issued the certificate, "" when untrusted
    trusted_by_code: str = ""
    covers_whole_file: bool = False
    changed_after: bool = True
    problems: list[str] = field(default_factory=list)
    readable: bool = True

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and not self.changed_after


@dataclass
class VerificationReport:
    sha256: str
    size: int
    signatures: list[SignatureReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def changed_after_signing(self) -> bool:
        """True when any signed content was altered or unsigned content was appended."""
        return any(not s.intact or s.changed_after for s in self.signatures) or (
            bool(self.signatures) and not self.signatures[-1].covers_whole_file
        )

    @property
    def ok(self) -> bool:
        return (
            bool(self.signatures)
            and not self.problems
            and all(s.ok for s in self.signatures)
            and not self.changed_after_signing
        )


def _subject_attr(name, key: str) -> str:
    value = name.native.get(key, "")
    return ", ".join(value) if isinstance(value, list) else str(value)


def verify_pdf(data: bytes) -> VerificationReport:
    """Validate every signature of ``data`` against all the portal's CA roots."""
    report = VerificationReport(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    if not data.lstrip()[:5] == PDF_MAGIC:
        raise NotAPdfError(_("文件不是PDF格式"))
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        filled = list(enumerate_sig_fields(reader, filled_status=True))
    except (PdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise NotAPdfError(_("PDF文件已损坏，无法读取")) from exc
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
        checked.append((revision, _check_one(sig, anchors, roots)))
    checked.sort(key=lambda pair: pair[0])  # in signing order, as the revisions were made
    report.signatures = [item for _revision, item in checked]
    last = report.signatures[-1]
    if last.readable and not last.covers_whole_file:
        report.problems.append(_("最后一个签名之后文件被追加了未签名的内容"))
    return report


def _unreadable(field_name: str) -> SignatureReport:
    return SignatureReport(field_name=field_name, problems=[_("签名无法解析")], readable=False)


def _check_one(sig, anchors, roots) -> SignatureReport:
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
