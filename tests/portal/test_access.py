import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from portal.access import acting_roles, compounds_for, get_compound_for_user, has_role, roles_in
from portal.models import STAFF_ROLES, Role


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


def test_a_superuser_acts_with_every_managing_role_but_never_as_a_resident(cast):
    """Superuser handling is decided here once: the apps ask has_role / acting_roles."""
    root = get_user_model().objects.create_superuser("root", password="x")
    assert roles_in(root, cast.compound) == set()  # no membership of its own
    assert acting_roles(root, cast.compound) == set(STAFF_ROLES)
    assert has_role(root, cast.compound, {Role.COMMITTEE_MEMBER})
    assert not has_role(root, cast.compound, {Role.RESIDENT})


def test_members_act_with_the_roles_they_hold_and_anonymous_with_none(cast):
    assert acting_roles(cast.resident, cast.compound) == {Role.RESIDENT}
    assert has_role(cast.committee, cast.compound, STAFF_ROLES)
    assert not has_role(cast.resident, cast.compound, STAFF_ROLES)
    assert not has_role(cast.outsider_compound, cast.compound, STAFF_ROLES)
    assert acting_roles(AnonymousUser(), cast.compound) == set()
