"""Accounts of the people in the register: ``user_add`` gives an account one role and, for
a resident, links it to the owner(s) it stands for; for a property-right unit's
representative, names it the unit's authorised representative (授权代表).

The account and membership steps are the foundation's (``portal.services``); linking them
to owners and property-right units is the register's rule, so it lives here.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.audit import audit_record
from portal.models import Compound, Membership, Role
from portal.services import (
    account_get,
    account_save,
    admin_check,
    membership_grant,
    membership_scope,
    role_parse,
)

from ..masking import mask_id_number
from ..models import Owner, PropertyRightUnit


@dataclass(frozen=True)
class UserAddResult:
    """What :func:`user_add` did, so a caller can report it (running twice changes nothing)."""

    user: User
    membership: Membership
    user_created: bool
    membership_created: bool
    password_changed: bool
    linked_owners: tuple[Owner, ...] = ()
    property_unit: PropertyRightUnit | None = None
    replaced_representative: str = ""
    changes: tuple[str, ...] = ()


def _owners_to_link(compound: Compound, id_number: str) -> list[Owner]:
    owners = list(compound.owners.filter(id_number=id_number).select_related("user"))
    if not owners:
        raise ValidationError(
            _("小区“%(compound)s”中没有证件号码为 %(masked)s 的业主"),
            code="owner_not_found",
            params={"compound": compound.name, "masked": mask_id_number(id_number)},
        )
    return owners


def _property_unit(compound: Compound, name: str) -> PropertyRightUnit:
    try:
        return compound.property_right_units.select_related("representative").get(name=name)
    except PropertyRightUnit.DoesNotExist:
        raise ValidationError(
            _("小区“%(compound)s”中没有名为“%(name)s”的产权单位"),
            code="property_unit_not_found",
            params={"compound": compound.name, "name": name},
        ) from None


def _check_register_arguments(role: Role, owner_id_number: str, property_unit_name: str) -> None:
    if owner_id_number and role != Role.RESIDENT:
        raise ValidationError(_("只有业主账号可以按证件号码关联业主"), code="owner_id_not_for_role")
    if role == Role.RESIDENT and not owner_id_number:
        raise ValidationError(
            _("业主账号须提供证件号码，用于关联该小区的业主"), code="owner_id_required"
        )


def _owners_link(owners: list[Owner], user: User, compound: Compound | None) -> list[str]:
    changes = []
    for owner in owners:
        if owner.user_id != user.pk:
            owner.user = user
            owner.save(update_fields=["user"])
            audit_record(
                action="owner.link_user",
                compound=compound,
                obj=owner,
                data={"username": user.get_username()},
            )
            changes.append("owner")
    return changes


def _representative_set(
    property_unit: PropertyRightUnit, user: User, compound: Compound | None
) -> str:
    """Name ``user`` the unit's representative; the username it replaced ("" if none)."""
    replaced = ""
    if property_unit.representative is not None:
        replaced = property_unit.representative.get_username()
    property_unit.representative = user
    property_unit.save(update_fields=["representative"])
    audit_record(
        action="property_unit.set_representative",
        compound=compound,
        obj=property_unit,
        data={"username": user.get_username(), "replaced": replaced},
    )
    return replaced


@transaction.atomic
def user_add(
    *,
    username: str,
    password: str,
    role: str | Role,
    street_office_code: str = "",
    compound_code: str = "",
    district_code: str = "",
    owner_id_number: str = "",
    property_unit_name: str = "",
    display_name: str = "",
    admin: bool = False,
) -> UserAddResult:
    """Create or update the account ``username`` and give it ``role`` in one scope.

    A district officer belongs to a district (``district_code``, nothing else); a street
    officer to a street office; company staff to the company that serves
    ``compound_code``; the other roles to the compound itself. A resident is linked to the
    owner(s) with ``owner_id_number`` in that compound; a property-right unit's
    representative may be named the authorised representative (授权代表) of
    ``property_unit_name``. Idempotent: a second run adds no membership, keeps the
    password hash when the password is unchanged, and writes no audit entry.

    ``admin`` (street officers only) sets ``is_staff``, which lets the officer into the
    read-only admin scoped to their street office's compounds (portal/admin.py). It is
    never taken away here: leaving it out keeps the flag as it is. Every argument is
    checked before anything is written.
    """
    role = role_parse(role)
    username = username.strip()
    owner_id_number = owner_id_number.strip().upper()
    property_unit_name = property_unit_name.strip()

    scope = membership_scope(
        role, street_office_code.strip(), compound_code.strip(), district_code.strip()
    )
    _check_register_arguments(role, owner_id_number, property_unit_name)
    admin_check(role, admin)
    if property_unit_name and role != Role.PROPERTY_UNIT_REP:
        raise ValidationError(
            _("只有产权单位代表可以指定产权单位"), code="property_unit_not_for_role"
        )
    # Roles other than street officer and company staff are scoped to the compound itself.
    compound = scope.compound
    owners = _owners_to_link(compound, owner_id_number) if compound and owner_id_number else []
    property_unit = (
        _property_unit(compound, property_unit_name) if compound and property_unit_name else None
    )
    existing = account_get(username)
    for owner in owners:
        if owner.user is not None and (existing is None or owner.user_id != existing.pk):
            raise ValidationError(
                _("业主“%(owner)s”已关联另一个账号“%(other)s”"),
                code="owner_linked_elsewhere",
                params={"owner": owner.name, "other": owner.user.get_username()},
            )

    account = account_save(
        username=username, password=password, display_name=display_name, admin=admin
    )
    user = account.user
    changes = list(account.changes)
    membership, membership_created = membership_grant(user=user, role=role, scope=scope)
    if membership_created:
        changes.append("membership")
    changes += _owners_link(owners, user, scope.compound)
    replaced = ""
    if property_unit is not None and property_unit.representative_id != user.pk:
        replaced = _representative_set(property_unit, user, scope.compound)
        changes.append("property_unit")

    return UserAddResult(
        user=user,
        membership=membership,
        user_created=account.created,
        membership_created=membership_created,
        password_changed=account.password_changed,
        linked_owners=tuple(owners),
        property_unit=property_unit,
        replaced_representative=replaced,
        changes=tuple(changes),
    )
