"""Access helpers for the register's objects: the object for this user, or 404."""

from django.http import Http404

from portal.access import AnyUser, get_compound_for_user, has_role, is_staff_in
from portal.models import STAFF_ROLES, Compound, Role

from .models import Building, OwnershipClaim, PropertyRightUnit, Unit, UnitQuerySet


def get_building_for_user(user: AnyUser, code: str, number: str) -> Building:
    """Buildings are for those who manage the compound."""
    compound = get_compound_for_user(user, code, STAFF_ROLES)
    try:
        return compound.buildings.get(number=number)
    except Building.DoesNotExist:
        raise Http404 from None


def units_for_user(user: AnyUser, compound: Compound) -> UnitQuerySet:
    """The units of ``compound`` that ``user`` may see: all of them for those who manage
    it, only the units they own now for a resident. Pages and the API both start here."""
    if is_staff_in(user, compound):
        return compound.units.all()
    return compound.units.owned_by(user)


def get_unit_for_user(user: AnyUser, code: str, unit_id: int) -> Unit:
    """A unit the user may see (see :func:`units_for_user`), or 404."""
    compound = get_compound_for_user(user, code)
    try:
        return units_for_user(user, compound).select_related("building", "compound").get(pk=unit_id)
    except Unit.DoesNotExist:
        raise Http404 from None


# Who keeps the register (roster, buildings, property-right units).
REGISTER_KEEPERS = frozenset({Role.COMMITTEE_MEMBER, Role.STREET_OFFICER})


def get_property_right_unit_for_user(user: AnyUser, code: str, pru_id: int) -> PropertyRightUnit:
    """A property-right unit of the compound, for those who keep its register."""
    compound = get_compound_for_user(user, code, REGISTER_KEEPERS)
    try:
        pru = compound.property_right_units.get(pk=pru_id)
    except PropertyRightUnit.DoesNotExist:
        raise Http404 from None
    pru.compound = compound
    return pru


# Who reads owners' names in the register's lists: those who keep the register, and the
# service company that bills and reminds them. Other managing roles (a property-right
# unit's representative) see names masked (张*); ID numbers and phones are masked for all.
OWNER_NAME_READERS = REGISTER_KEEPERS | {Role.COMPANY_STAFF}


def sees_owner_names(user: AnyUser, compound: Compound) -> bool:
    return has_role(user, compound, OWNER_NAME_READERS)


# Who reviews ownership claims (房屋认领): those who keep the roster it is checked against.
CLAIM_REVIEWERS = REGISTER_KEEPERS


def get_claim_for_user(user: AnyUser, code: str, claim_id: int) -> OwnershipClaim:
    """A claim on a unit of the compound, for those who review its claims (404 else)."""
    compound = get_compound_for_user(user, code, CLAIM_REVIEWERS)
    try:
        claim = (
            OwnershipClaim.objects.filter(compound=compound)
            .select_related("unit__building", "user", "decided_by")
            .get(pk=claim_id)
        )
    except OwnershipClaim.DoesNotExist:
        raise Http404 from None
    claim.compound = compound
    return claim
