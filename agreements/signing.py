"""PAdES signatures with pyHanko: one incremental revision per signer, in any order.

The unsigned agreement carries one empty signature field per party
(:func:`add_signature_fields`); each signer fills their own field with
:func:`sign_revision`, which appends an incremental update, so earlier signatures stay
valid and every revision can be verified on its own. The visible stamp shows the signer's
name, organisation and the signing time, in a CJK font so Chinese names render.
"""

import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import PdfSigner
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .ca import SigningCredentials

# Noto CJK ships as font collections (.ttc); pyHanko needs a single face, which we
# extract once into the var directory.
CJK_COLLECTIONS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
CJK_FACE = "Noto Sans CJK SC"


class SignatureFieldError(Exception):
    """The PDF lacks the party's signature field, or it is already signed."""


@dataclass(frozen=True)
class FieldBox:
    """Where a party's signature goes: a page (0-based) and a box in PDF points."""

    name: str
    page: int
    box: tuple[int, int, int, int]


CSS_PX_TO_PT = 0.75  # WeasyPrint lays out in CSS px (1/96 in); PDF counts points (1/72 in)


def field_boxes_from_layout(document, prefix: str = "sig-") -> list[FieldBox]:
    """The signature boxes of a rendered WeasyPrint document: every element whose id starts
    with ``prefix`` becomes a field of that name, at its laid-out position."""
    boxes = []
    for page_number, page in enumerate(document.pages):
        for anchor, (x1, y1, x2, y2) in page.anchors.items():
            if anchor.startswith(prefix):
                height = page.height
                boxes.append(
                    FieldBox(
                        name=anchor,
                        page=page_number,
                        box=(
                            round(x1 * CSS_PX_TO_PT),
                            round((height - y2) * CSS_PX_TO_PT),
                            round(x2 * CSS_PX_TO_PT),
                            round((height - y1) * CSS_PX_TO_PT),
                        ),
                    )
                )
    return boxes


def add_signature_fields(pdf: bytes, boxes: Iterable[FieldBox]) -> bytes:
    """Append empty signature fields, one per party, to a freshly rendered PDF."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for fb in boxes:
        fields.append_signature_field(
            writer, fields.SigFieldSpec(sig_field_name=fb.name, on_page=fb.page, box=fb.box)
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signature_field_names(pdf: bytes) -> dict[str, bool]:
    """Each signature field of the PDF and whether it is already filled."""
    reader = PdfFileReader(io.BytesIO(pdf))
    return {name: value is not None for name, value, _ in fields.enumerate_sig_fields(reader)}


@lru_cache(maxsize=1)
def cjk_font_path() -> str:
    """A single-face OpenType CJK font for the stamps (settings.AGREEMENT_STAMP_FONT wins)."""
    configured = getattr(settings, "AGREEMENT_STAMP_FONT", "")
    if configured:
        return configured
    target_dir = Path(getattr(settings, "VAR_DIR", tempfile.gettempdir())) / "fonts"
    target = target_dir / "NotoSansCJKsc-Regular.otf"
    if target.exists():
        return str(target)
    from fontTools.ttLib import TTCollection

    for candidate in CJK_COLLECTIONS:
        if not os.path.exists(candidate):
            continue
        collection = TTCollection(candidate)
        for face in collection.fonts:
            if face["name"].getDebugName(1) == CJK_FACE:
                target_dir.mkdir(parents=True, exist_ok=True)
                # Write beside the target and rename, so concurrent workers never read
                # a half-written file.
                fd, tmp = tempfile.mkstemp(dir=target_dir, suffix=".otf")
                with os.fdopen(fd, "wb") as fh:
                    face.save(fh)
                os.replace(tmp, target)
                return str(target)
    raise RuntimeError(
        "No Noto Sans CJK SC font found (install fonts-noto-cjk or set AGREEMENT_STAMP_FONT)"
    )


@lru_cache(maxsize=1)
def _stamp_style() -> TextStampStyle:
    return TextStampStyle(
        stamp_text="%(title)s\n签署人：%(signer)s\n单位：%(organisation)s\n时间：%(signed_at)s",
        text_box_style=TextBoxStyle(
            font=GlyphAccumulatorFactory(cjk_font_path()),
            font_size=10,
            text_color=(0.7, 0.07, 0.07),
        ),
        border_width=1,
    )


class _TimedPdfSigner(PdfSigner):
    """A PdfSigner whose signing time is given rather than read from the clock (the demo
    reproduces a signature made on 2021-12-10)."""

    def __init__(self, *args, signing_time: dt.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signing_time
        return session


def local_time_label(moment: dt.datetime) -> str:
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
    return local.strftime("%Y-%m-%d %H:%M:%S (UTC%z)").replace("(UTC+0800)", "(UTC+08:00)")


def sign_revision(
    pdf: bytes,
    *,
    field_name: str,
    credentials: SigningCredentials,
    signer_name: str,
    organisation: str,
    signed_at: dt.datetime,
    reason: str = "签署协议",
    location: str = "",
) -> bytes:
    """Fill ``field_name`` with a PAdES signature and return the new revision's bytes."""
    existing = signature_field_names(pdf)
    if field_name not in existing:
        raise SignatureFieldError(f"signature field {field_name!r} not in the document")
    if existing[field_name]:
        raise SignatureFieldError(f"signature field {field_name!r} is already signed")
    signer = signers.SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(credentials.certificate),
        signing_key=translate_pyca_cryptography_key_to_asn1(credentials.private_key),
        cert_registry=SimpleCertificateStore.from_certs(
            [translate_pyca_cryptography_cert_to_asn1(c) for c in credentials.chain]
        ),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        name=signer_name,
        reason=reason,
        location=location or None,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    pdf_signer = _TimedPdfSigner(meta, signer, stamp_style=_stamp_style(), signing_time=signed_at)
    try:
        out = pdf_signer.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)),
            existing_fields_only=True,
            appearance_text_params={
                "title": "电子签章",
                "signer": signer_name,
                "organisation": organisation,
                "signed_at": local_time_label(signed_at),
            },
        )
    except (SigningError, PdfError) as exc:  # pragma: no cover - corrupted stored file
        raise SignatureFieldError(str(exc)) from exc
    return out.getvalue()
