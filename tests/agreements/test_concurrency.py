"""Two parties signing at the same moment: the row lock makes one build on the other."""

import datetime as dt

import pytest
from django.core.cache import cache

from agreements import services, verification
from agreements.models import Agreement
from tests.agreements.helpers import DECISION_FACTS, party_specs
from tests.concurrency import at_once, raised
from tests.conftest import needs_postgres
from tests.factories import PASSWORD, make_cast


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_signatures_both_land_in_one_chain():
    cache.clear()
    cast = make_cast()
    agreement = services.agreement_create(
        compound=cast.compound,
        parties=party_specs(cast),
        facts=DECISION_FACTS,
        term_start=dt.date(2030, 1, 1),
        term_end=dt.date(2032, 12, 31),
        actor=cast.committee,
    )
    services.agreement_render(agreement_id=agreement.pk)
    signers = [(agreement.parties.get(representative=u), u) for u in (cast.officer, cast.committee)]
    outcomes = at_once(
        [
            lambda party=party, user=user: services.agreement_sign(
                agreement=agreement, party=party, user=user, password=PASSWORD
            )
            for party, user in signers
        ]
    )
    assert not raised(outcomes), outcomes
    agreement = Agreement.objects.get(pk=agreement.pk)
    assert sorted(agreement.signatures.values_list("revision_number", flat=True)) == [1, 2]
    report = verification.verify_document(
        services.revision_bytes(services.latest_revision(agreement))
    )
    assert len(report.signatures) == 2 and all(s.ok for s in report.signatures)
    assert report.archive.is_latest and len(report.missing_parties) == 2  # half signed
