"""Print documents of the fees app: fee notices, receipts, demand letters, statements.

Rendering only: ``fees.selectors`` gathers and decides what a document shows (arrears,
corrected areas, numbers, due dates, owners); this module lays it out in one HTML template
per document and hands it to :mod:`portal.pdf` (WeasyPrint with the compact CJK font). A
building's print file is ONE HTML document with a page per household: fonts are laid out
once per file instead of once per notice, which is why building files are much faster
than one PDF per household.
"""

import datetime as dt

from django.conf import settings
from django.urls import reverse

from portal.models import Compound
from portal.pdf import qr_data_uri, render_pdf

from .models import PaymentMethod
from .selectors import DemandLetter, Notice, Receipt, Reconciliation


def resident_fee_url(compound: Compound) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("fees:my", args=[compound.code])


def render_notices(compound: Compound, notices: list[Notice]) -> bytes:
    """One PDF with a page per notice (a building's print file, or a single notice)."""
    return render_pdf(
        "fees/pdf/notices.html",
        {
            "compound": compound,
            "company": compound.service_company,
            "notices": notices,
            "qr": qr_data_uri(resident_fee_url(compound)),
            "fee_url": resident_fee_url(compound),
            "methods": [label for _v, label in PaymentMethod.choices],
            "issued_on": notices[0].issued_on,
        },
        # The notice uses only the elements the simple user-agent sheet styles.
        simple_ua=True,
    )


def render_receipt(receipt: Receipt) -> bytes:
    return render_pdf(
        "fees/pdf/receipt.html",
        {
            "compound": receipt.compound,
            "company": receipt.compound.service_company,
            "payment": receipt.payment,
            "unit": receipt.unit,
            "owners": receipt.owners,
            "allocations": receipt.allocations,
        },
    )


def render_demand_letter(letter: DemandLetter) -> bytes:
    """书面催告函 (CC 944): the amount, the periods, a deadline and the lawful next step."""
    return render_pdf(
        "fees/pdf/demand.html",
        {
            "compound": letter.compound,
            "company": letter.compound.service_company,
            "step": letter.step,
            "unit": letter.unit,
            "owners": letter.owners,
            "charges": letter.charges,
            "total": letter.total,
            "fee_url": resident_fee_url(letter.compound),
        },
    )


def render_reconciliation(statement: Reconciliation) -> bytes:
    return render_pdf(
        "fees/pdf/reconciliation.html",
        {"s": statement, "compound": statement.compound, "today": dt.date.today()},
    )
