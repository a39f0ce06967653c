"""Access helpers for the register's objects: the object for this user, or 404."""

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404

from portal.access import get_compound_for_user, is_staff_in
from portal.models import STAFF_ROLES, Compound, Role

from .models import Building, PropertyRightUnit, Unit


def get_building_for_user(user: AbstractBaseUser, code: str, number: str) -> Building:
    """Buildings are for those who manage the compound."""
    compound = get_compound_for_user(user, code, STAFF_ROLES)
    try:
        return compound.buildings.get(number=number)
    except Building.DoesNotExist:
        raise Http404 from None


def get_unit_for_user(user: AbstractBaseUser, code: str, unit_id: int) -> Unit:
    """Staff see every unit of their compound; a resident only the units they own now."""
    compound: Compound = get_compound_for_user(user, code)
    units = compound.units.select_related("building", "compound")
    if not is_staff_in(user, compound):
        units = units.owned_by(user)
    try:
        return units.get(pk=unit_id)
    except Unit.DoesNotExist:
        raise Http404 from None


# Who keeps the register (roster, buildings, property-right units).
REGISTER_KEEPERS = frozenset({Role.COMMITTEE_MEMBER, Role.STREET_OFFICER})


def get_property_right_unit_for_user(
    user: AbstractBaseUser, code: str, pru_id: int
) -> PropertyRightUnit:
    """A property-right unit of the compound, for those who keep its register."""
    compound = get_compound_for_user(user, code, REGISTER_KEEPERS)
    try:
        pru = compound.property_right_units.get(pk=pru_id)
    except PropertyRightUnit.DoesNotExist:
        raise Http404 from None
    pru.compound = compound
    return pru
