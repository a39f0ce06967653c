"""The agreement as a PDF: WeasyPrint lays out the Chinese text (numbered clauses, page
numbers, a signing page) and pyHanko adds one empty signature field per party where the
layout put that party's box."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from fees.pdf import qr_data_uri

from . import signing
from .facts import chinese_number
from .models import Agreement
from .selectors import signer_name


def _representative_name(user) -> str:
    return user.get_full_name() or user.username


def public_verifier_url() -> str:
    """The public verifier's absolute address (SITE_URL), printed and as a QR code on every
    agreement, so a reader can check a copy without an account or a shell."""
    return settings.SITE_URL.rstrip("/") + reverse("agreement_verify_public")


def agreement_html(agreement: Agreement) -> str:
    parties = [
        {
            "label": p.label,
            "kind": p.kind,
            "organisation": p.organisation,
            "representative_name": signer_name(p.representative, agreement.compound),
            "field_name": p.field_name,
        }
        for p in agreement.parties.select_related("representative").order_by("position")
    ]
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
            "parties": parties,
            "preamble": agreement.preamble,
            "clauses": clauses,
            "verify_url": public_verifier_url(),
            "verify_qr": qr_data_uri(public_verifier_url()),
        },
    )


def render_agreement_pdf(agreement: Agreement) -> bytes:
    """The unsigned PDF (revision 0) with a signature field for every party."""
    import weasyprint  # heavy import, only in the worker

    document = weasyprint.HTML(string=agreement_html(agreement)).render()
    boxes = signing.field_boxes_from_layout(document)
    expected = {p.field_name for p in agreement.parties.all()}
    found = {b.name for b in boxes}
    if found != expected:  # pragma: no cover - the template and the parties disagree
        raise RuntimeError(
            f"signature boxes {sorted(found)} do not match parties {sorted(expected)}"
        )
    return signing.add_signature_fields(document.write_pdf(), boxes)
