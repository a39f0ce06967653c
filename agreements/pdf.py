"""The agreement as a PDF: WeasyPrint lays out the Chinese text (numbered clauses, page
numbers, a signing page) and pyHanko adds one empty signature field per party where the
layout put that party's box.

It renders what :func:`agreements.selectors.agreement_document` gathered and runs no query.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from portal.pdf import qr_data_uri

from . import signing
from .facts import chinese_number
from .selectors import AgreementDocument


def public_verifier_url() -> str:
    """The public verifier's absolute address (SITE_URL), printed and as a QR code on every
    agreement, so a reader can check a copy without an account or a shell."""
    return settings.SITE_URL.rstrip("/") + reverse("agreement_verify_public")


def agreement_html(document: AgreementDocument) -> str:
    agreement = document.agreement
    clauses = [
        {
            "number_zh": chinese_number(index),
            "title": clause["title"],
            "paragraphs": [line for line in clause["body"].split("\n") if line.strip()],
        }
        for index, clause in enumerate(agreement.clauses, start=1)
    ]
    return render_to_string(
        "agreements/pdf/agreement.html",
        {
            "agreement": agreement,
            "parties": document.parties,
            "preamble": agreement.preamble,
            "clauses": clauses,
            "verify_url": public_verifier_url(),
            "verify_qr": qr_data_uri(public_verifier_url()),
        },
    )


def render_agreement_pdf(document: AgreementDocument) -> bytes:
    """The unsigned PDF (revision 0) with a signature field for every party."""
    import weasyprint  # heavy import, only in the worker

    rendered = weasyprint.HTML(string=agreement_html(document)).render()
    boxes = signing.field_boxes_from_layout(rendered)
    expected = {p.field_name for p in document.parties}
    found = {b.name for b in boxes}
    if found != expected:  # pragma: no cover - the template and the parties disagree
        raise RuntimeError(
            f"signature boxes {sorted(found)} do not match parties {sorted(expected)}"
        )
    return signing.add_signature_fields(rendered.write_pdf(), boxes)
