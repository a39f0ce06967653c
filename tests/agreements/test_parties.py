"""The parties of a new agreement, built by one service for the page, the API and the demo."""

import pytest
from django.core.exceptions import ValidationError

from agreements import services
from agreements.models import PartyKind
from households.models import PropertyRightUnit


@pytest.mark.django_db
def test_a_property_right_unit_without_a_representative_is_named(cast):
    unit = PropertyRightUnit.objects.create(compound=cast.compound, name="无人代表的产权单位")
    with pytest.raises(ValidationError) as refused:
        services.party_specs_for(
            compound=cast.compound,
            committee_rep=cast.committee,
            company_rep=cast.company_staff,
            office_rep=cast.officer,
            property_units=[unit],
        )
    assert refused.value.messages == ["产权单位“无人代表的产权单位”没有授权代表，不能作为签署方"]


@pytest.mark.django_db
def test_each_party_under_its_legal_name_with_its_signer(cast):
    unit = PropertyRightUnit.objects.create(
        compound=cast.compound, name="首开集团", representative=cast.property_unit_rep
    )
    specs = services.party_specs_for(
        compound=cast.compound,
        committee_rep=cast.committee,
        company_rep=cast.company_staff,
        office_rep=cast.officer,
        property_units=[unit],
    )
    assert [(s.kind, s.representative) for s in specs] == [
        (PartyKind.COMMITTEE, cast.committee),
        (PartyKind.SERVICE_COMPANY, cast.company_staff),
        (PartyKind.STREET_OFFICE, cast.officer),
        (PartyKind.PROPERTY_RIGHT_UNIT, cast.property_unit_rep),
    ]
    assert specs[3].organisation == "首开集团"
    assert specs[3].property_right_unit == unit
