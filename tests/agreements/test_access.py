"""The agreements' access helpers: the object for this user, or 404 for forbidden and
absent alike; pages and API both look objects up through them."""

import pytest
from django.http import Http404

from agreements import access, services
from tests.agreements.helpers import DECISION_FACTS, party_specs
from tests.agreements.isolation import home_agreement


@pytest.fixture
def agreement(cast):
    return home_agreement(cast)


def test_agreement_for_the_compound_s_managers_only(cast, agreement):
    for user in (cast.committee, cast.officer, cast.company_staff, cast.property_unit_rep):
        assert access.get_agreement_for_user(user, cast.compound.code, agreement.pk) == agreement
    for user in (cast.resident, cast.outsider_compound, cast.outsider_office):
        with pytest.raises(Http404):
            access.get_agreement_for_user(user, cast.compound.code, agreement.pk)
    with pytest.raises(Http404):  # absent looks the same
        access.get_agreement_for_user(cast.committee, cast.compound.code, agreement.pk + 99)
    with pytest.raises(Http404):  # another compound's address
        access.get_agreement_for_user(cast.officer, cast.other_compound.code, agreement.pk)


def test_filing_is_for_the_street_office(cast, agreement):
    code = cast.compound.code
    assert access.get_agreement_for_user(cast.officer, code, agreement.pk, access.FILER_ROLES)
    with pytest.raises(Http404):
        access.get_agreement_for_user(cast.committee, code, agreement.pk, access.FILER_ROLES)
    assert access.may_file(cast.officer, cast.compound)
    assert not access.may_file(cast.committee, cast.compound)


def test_party_only_of_its_own_agreement(cast, agreement):
    code = cast.compound.code
    party = agreement.parties.get(representative=cast.officer)
    found = access.get_party_for_user(cast.officer, code, agreement.pk, party.pk)
    assert found == party and found.agreement == agreement
    other = services.agreement_create(
        compound=cast.compound,
        parties=party_specs(cast),
        facts=DECISION_FACTS,
        term_start=agreement.term_start,
        term_end=agreement.term_end,
        actor=cast.committee,
    )
    with pytest.raises(Http404):  # a party of another agreement of the same compound
        access.get_party_for_user(cast.officer, code, agreement.pk, other.parties.first().pk)
    with pytest.raises(Http404):
        access.get_party_for_user(cast.outsider_office, code, agreement.pk, party.pk)
    with pytest.raises(Http404):
        access.get_party_for_user(cast.officer, code, agreement.pk, party.pk + 99)


def test_revision_latest_or_by_number(cast, agreement):
    code = cast.compound.code
    assert access.get_revision_for_user(cast.committee, code, agreement.pk).number == 0
    assert access.get_revision_for_user(cast.committee, code, agreement.pk, 0).number == 0
    with pytest.raises(Http404):
        access.get_revision_for_user(cast.committee, code, agreement.pk, 1)
    with pytest.raises(Http404):
        access.get_revision_for_user(cast.outsider_compound, code, agreement.pk)


def test_template_for_those_who_generate(cast):
    code = cast.compound.code
    for user in (cast.committee, cast.officer):
        assert access.get_template_for_user(user, code).compound == cast.compound
    for user in (cast.company_staff, cast.resident, cast.outsider_office):
        with pytest.raises(Http404):
            access.get_template_for_user(user, code)
    assert access.may_generate(cast.committee, cast.compound)
    assert not access.may_generate(cast.company_staff, cast.compound)
    with pytest.raises(Http404):
        access.get_compound_for_generator(cast.company_staff, code)
