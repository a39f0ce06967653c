"""Writes of the portal app: accounts and the roles they hold.

The portal sits on top of every other app (it hosts the dashboards), so it may use the
register's models to link an account to the owner or property-right unit it stands for.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from households.masking import mask_id_number
from households.models import Owner, PropertyRightUnit

from .audit import audit_record
from .models import Compound, Membership, Role, ServiceCompany, StreetOffice

# Roles whose membership is scoped to one compound (company staff are resolved from the
# compound to the company that serves it).
COMPOUND_SCOPED_ROLES = frozenset(
    {Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.PROPERTY_UNIT_REP, Role.RESIDENT}
)


@dataclass(frozen=True)
class UserAddResult:
    """What :func:`user_add` did, so a caller can report it (running twice changes nothing)."""

    user: AbstractBaseUser
    membership: Membership
    user_created: bool
    membership_created: bool
    password_changed: bool
    linked_owners: tuple[Owner, ...] = ()
    property_unit: PropertyRightUnit | None = None
    replaced_representative: str = ""
    changes: tuple[str, ...] = ()


def _role(value: str | Role) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationError(
            _("未知角色：%(role)s（可选：%(choices)s）"),
            code="unknown_role",
            params={"role": value, "choices": ", ".join(Role.values)},
        ) from None


def _scope(
    role: Role, street_office_code: str, compound_code: str
) -> tuple[StreetOffice | None, Compound | None, ServiceCompany | None]:
    """The street office, compound and company the membership of ``role`` is scoped to."""
    if role == Role.STREET_OFFICER:
        if compound_code:
            raise ValidationError(
                _("街道工作人员的范围是街道，不能指定小区"), code="compound_not_for_role"
            )
        if not street_office_code:
            raise ValidationError(
                _("街道工作人员须指定所属街道（街道代码）"), code="street_office_required"
            )
        try:
            return StreetOffice.objects.get(code=street_office_code), None, None
        except StreetOffice.DoesNotExist:
            raise ValidationError(
                _("街道“%(code)s”不存在"),
                code="street_office_not_found",
                params={"code": street_office_code},
            ) from None

    if street_office_code:
        raise ValidationError(
            _("%(role)s的范围是小区，不能指定街道"),
            code="street_office_not_for_role",
            params={"role": role.label},
        )
    if not compound_code:
        raise ValidationError(
            _("%(role)s须指定小区（小区代码）"),
            code="compound_required",
            params={"role": role.label},
        )
    try:
        compound = Compound.objects.select_related("service_company").get(code=compound_code)
    except Compound.DoesNotExist:
        raise ValidationError(
            _("小区“%(code)s”不存在"), code="compound_not_found", params={"code": compound_code}
        ) from None
    if role == Role.COMPANY_STAFF:
        if compound.service_company is None:
            raise ValidationError(
                _("小区“%(compound)s”尚未登记物业服务企业，无法添加物业企业人员"),
                code="no_service_company",
                params={"compound": compound.name},
            )
        return None, None, compound.service_company
    return None, compound, None


def _owners_to_link(compound: Compound, id_number: str) -> list[Owner]:
    owners = list(compound.owners.filter(id_number=id_number).select_related("user"))
    if not owners:
        raise ValidationError(
            _("小区“%(compound)s”中没有证件号码为 %(masked)s 的业主"),
            code="owner_not_found",
            params={"compound": compound.name, "masked": mask_id_number(id_number)},
        )
    return owners


@transaction.atomic
def user_add(
    *,
    username: str,
    password: str,
    role: str | Role,
    street_office_code: str = "",
    compound_code: str = "",
    owner_id_number: str = "",
    property_unit_name: str = "",
    display_name: str = "",
    admin: bool = False,
) -> UserAddResult:
    """Create or update the account ``username`` and give it ``role`` in one scope.

    A street officer belongs to a street office; company staff to the company that serves
    ``compound_code``; the other roles to the compound itself. A resident is linked to the
    owner(s) with ``owner_id_number`` in that compound; a property-right unit's
    representative may be named the authorised representative (授权代表) of
    ``property_unit_name``. Idempotent: a second run adds no membership, keeps the
    password hash when the password is unchanged, and writes no audit entry.

    ``admin`` (street officers only) sets ``is_staff``, which lets the officer into the
    read-only admin scoped to their street office's compounds (portal/admin.py). It is
    never taken away here: leaving it out keeps the flag as it is.
    """
    role = _role(role)
    username = username.strip()
    street_office_code = street_office_code.strip()
    compound_code = compound_code.strip()
    owner_id_number = owner_id_number.strip().upper()
    property_unit_name = property_unit_name.strip()

    street_office, compound, company = _scope(role, street_office_code, compound_code)

    if owner_id_number and role != Role.RESIDENT:
        raise ValidationError(_("只有业主账号可以按证件号码关联业主"), code="owner_id_not_for_role")
    if role == Role.RESIDENT and not owner_id_number:
        raise ValidationError(
            _("业主账号须提供证件号码，用于关联该小区的业主"), code="owner_id_required"
        )
    if admin and role != Role.STREET_OFFICER:
        raise ValidationError(
            _("只有街道工作人员可以开通后台（只读）权限"), code="admin_not_for_role"
        )
    if property_unit_name and role != Role.PROPERTY_UNIT_REP:
        raise ValidationError(
            _("只有产权单位代表可以指定产权单位"), code="property_unit_not_for_role"
        )

    owners: list[Owner] = []
    if role == Role.RESIDENT:
        owners = _owners_to_link(compound, owner_id_number)
    property_unit = None
    if property_unit_name:
        try:
            property_unit = compound.property_right_units.select_related("representative").get(
                name=property_unit_name
            )
        except PropertyRightUnit.DoesNotExist:
            raise ValidationError(
                _("小区“%(compound)s”中没有名为“%(name)s”的产权单位"),
                code="property_unit_not_found",
                params={"compound": compound.name, "name": property_unit_name},
            ) from None

    User = get_user_model()
    user = User.objects.filter(username=username).first()
    user_created = user is None
    if user_created:
        user = User(username=username)
    for owner in owners:
        if owner.user_id is not None and owner.user_id != user.pk:
            raise ValidationError(
                _("业主“%(owner)s”已关联另一个账号“%(other)s”"),
                code="owner_linked_elsewhere",
                params={"owner": owner.name, "other": owner.user.get_username()},
            )
    if not password:
        raise ValidationError(_("密码不能为空"), code="password_required")
    changes: list[str] = []
    if display_name and user.first_name != display_name:
        user.first_name = display_name
        changes.append("name")
    validate_password(password, user=user)
    user.full_clean(exclude=["password"])

    password_changed = user_created or not user.check_password(password)
    if password_changed:
        user.set_password(password)
        changes.append("password")
    staff_granted = admin and not user.is_staff
    if staff_granted:
        user.is_staff = True
        changes.append("admin")
    if changes:
        user.save()
    if user_created:
        audit_record(action="user.create", obj=user, data={"username": user.get_username()})
    elif password_changed:
        audit_record(action="user.set_password", obj=user, data={"username": user.get_username()})
    if staff_granted:
        audit_record(action="user.grant_admin", obj=user, data={"username": user.get_username()})

    membership = Membership.objects.filter(
        user=user,
        role=role,
        street_office=street_office,
        compound=compound,
        service_company=company,
    ).first()
    membership_created = membership is None
    if membership_created:
        membership = Membership(
            user=user,
            role=role,
            street_office=street_office,
            compound=compound,
            service_company=company,
        )
        membership.full_clean()
        membership.save()
        audit_record(
            action="membership.create",
            compound=compound,
            obj=membership,
            data={"username": user.get_username(), "role": role.value},
        )
        changes.append("membership")

    linked = []
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
        linked.append(owner)

    replaced = ""
    if property_unit is not None and property_unit.representative_id != user.pk:
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
        changes.append("property_unit")

    return UserAddResult(
        user=user,
        membership=membership,
        user_created=user_created,
        membership_created=membership_created,
        password_changed=password_changed,
        linked_owners=tuple(linked),
        property_unit=property_unit,
        replaced_representative=replaced,
        changes=tuple(changes),
    )
