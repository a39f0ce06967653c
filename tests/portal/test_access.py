import pytest
from django.http import Http404

from portal.access import compounds_for, get_compound_for_user, roles_in
from portal.models import Role


def test_street_officer_sees_every_compound_of_the_office(cast):
    codes = set(compounds_for(cast.officer).values_list("code", flat=True))
    assert codes == {"home", "neighbour"}


def test_company_staff_sees_the_compounds_the_company_serves(cast):
    assert list(compounds_for(cast.company_staff).values_list("code", flat=True)) == ["home"]


@pytest.mark.parametrize("who", ["outsider_compound", "outsider_office", "outsider_resident"])
def test_outsiders_get_404_for_the_home_compound(cast, who):
    with pytest.raises(Http404):
        get_compound_for_user(getattr(cast, who), "home")


def test_missing_compound_and_forbidden_compound_look_the_same(cast):
    with pytest.raises(Http404):
        get_compound_for_user(cast.committee, "no-such-compound")
    with pytest.raises(Http404):
        get_compound_for_user(cast.committee, "far")


def test_resident_is_refused_where_staff_roles_are_required(cast):
    assert roles_in(cast.resident, cast.compound) == {Role.RESIDENT}
    with pytest.raises(Http404):
        get_compound_for_user(cast.resident, "home", {Role.COMMITTEE_MEMBER})
