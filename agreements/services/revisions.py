"""The PDF revisions of an agreement: revision 0 rendered once, each one stored with its
SHA-256 and refused when the stored file no longer matches it."""

import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from .. import pdf, selectors
from ..models import Agreement, AgreementRevision, PdfStatus


def _store_revision(agreement: Agreement, number: int, data: bytes) -> AgreementRevision:
    digest = hashlib.sha256(data).hexdigest()
    name = default_storage.save(
        f"agreements/{agreement.compound.code}/{agreement.number}/r{number}-{digest[:12]}.pdf",
        ContentFile(data),
    )
    revision = AgreementRevision(
        compound=agreement.compound,
        agreement=agreement,
        number=number,
        sha256=digest,
        size=len(data),
    )
    revision.file.name = name
    revision.full_clean()
    revision.save()
    return revision


def agreement_render(*, agreement_id: int) -> bool:
    """Render revision 0 once. Returns False when another run already did (idempotent
    under redelivery: the unique (agreement, number) key decides)."""
    claimed = Agreement.objects.filter(
        pk=agreement_id, pdf_status__in=[PdfStatus.PENDING, PdfStatus.FAILED, PdfStatus.RENDERING]
    ).update(pdf_status=PdfStatus.RENDERING)
    if not claimed:
        return False
    try:
        data = pdf.render_agreement_pdf(selectors.agreement_document(agreement_id))
    except Exception as exc:
        Agreement.objects.filter(pk=agreement_id).update(
            pdf_status=PdfStatus.FAILED, pdf_error=str(exc)[:300]
        )
        raise
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update(of=("self",)).get(pk=agreement_id)
        if agreement.revisions.filter(number=0).exists():
            return False
        _store_revision(agreement, 0, data)
        agreement.pdf_status = PdfStatus.READY
        agreement.pdf_error = ""
        agreement.current_revision = 0
        agreement.save(update_fields=["pdf_status", "pdf_error", "current_revision"])
    return True


def latest_revision(agreement: Agreement) -> AgreementRevision | None:
    return agreement.revisions.order_by("-number").first()


def revision_bytes(revision: AgreementRevision) -> bytes:
    """The stored file, refused if it no longer matches the SHA-256 recorded for it."""
    with default_storage.open(revision.file.name or "", "rb") as fh:  # always named
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != revision.sha256:
        raise ValidationError(_("存档文件与登记的SHA-256不符，可能已被篡改"))
    return data
