"""The agreement's PDF is rendered from what the selector gathered: pdf.py runs no query."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from agreements import pdf, selectors, services
from tests.agreements.helpers import DECISION_FACTS, party_specs


@pytest.mark.django_db
def test_the_pdf_renders_the_gathered_document_without_a_query(cast, django_assert_num_queries):
    predecessor = services.agreement_create(
        compound=cast.compound,
        parties=party_specs(cast),
        facts=DECISION_FACTS,
        term_start=dt.date(2030, 1, 1),
        term_end=dt.date(2032, 12, 31),
        actor=cast.committee,
    )
    agreement = services.agreement_create(
        compound=cast.compound,
        parties=party_specs(cast),
        facts=DECISION_FACTS,
        term_start=dt.date(2030, 1, 1),
        term_end=dt.date(2032, 12, 31),
        actor=cast.committee,
        supersedes=predecessor,
    )
    document = selectors.agreement_document(agreement.pk)
    with django_assert_num_queries(0):
        data = pdf.render_agreement_pdf(document)
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    assert agreement.number in text and predecessor.number in text  # 取代 …
    for party in agreement.parties.all():
        assert party.organisation in text
    assert selectors.signer_name(cast.committee, cast.compound) in text
    fields = reader.get_fields()
    assert {n for n, f in fields.items() if f.get("/FT") == "/Sig"} == {
        "sig-1",
        "sig-2",
        "sig-3",
        "sig-4",
    }
