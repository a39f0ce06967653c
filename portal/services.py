"""Writes of the foundation: accounts and the roles (memberships) they hold.

The register's side of an account (linking a resident to the owner they are, naming a
property-right unit's representative) belongs to households: ``households.services.accounts``
composes these steps with it into ``user_add``.
"""

from collections.abc import Collection
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .audit import audit_record
from .codes import code_format, random_string
from .models import (
    AccountState,
    Compound,
    District,
    Membership,
    Role,
    ServiceCompany,
    StreetOffice,
)

# Roles whose membership is scoped to one compound (company staff are resolved from the
# compound to the company that serves it).
COMPOUND_SCOPED_ROLES = frozenset(
    {Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.PROPERTY_UNIT_REP, Role.RESIDENT}
)


@dataclass(frozen=True)
class MembershipScope:
    """Where a membership applies: a district, a street office, a compound, or a service
    company."""

    district: District | None = None
    street_office: StreetOffice | None = None
    compound: Compound | None = None
    service_company: ServiceCompany | None = None


@dataclass(frozen=True)
class AccountSaveResult:
    user: User
    created: bool
    password_changed: bool
    changes: tuple[str, ...]


def role_parse(value: str | Role) -> Role:
    """``value`` as a :class:`Role`, or a ValidationError naming the choices."""
    try:
        return Role(value)
    except ValueError:
        raise ValidationError(
            _("未知角色：%(role)s（可选：%(choices)s）"),
            code="unknown_role",
            params={"role": value, "choices": ", ".join(Role.values)},
        ) from None


def membership_scope(
    role: Role, street_office_code: str, compound_code: str, district_code: str = ""
) -> MembershipScope:
    """The district, street office, compound or company a membership of ``role`` is scoped
    to (a district officer's is the district alone)."""
    if role == Role.DISTRICT_OFFICER:
        return _district_scope(street_office_code, compound_code, district_code)
    if district_code:
        raise ValidationError(
            _("%(role)s的范围不是区，不能指定区"),
            code="district_not_for_role",
            params={"role": role.label},
        )
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
            return MembershipScope(street_office=StreetOffice.objects.get(code=street_office_code))
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
        return MembershipScope(service_company=compound.service_company)
    return MembershipScope(compound=compound)


def _district_scope(
    street_office_code: str, compound_code: str, district_code: str
) -> MembershipScope:
    if street_office_code or compound_code:
        raise ValidationError(
            _("区住建委工作人员的范围是区，不能指定街道或小区"), code="scope_not_for_district"
        )
    if not district_code:
        raise ValidationError(_("区住建委工作人员须指定所属区（区代码）"), code="district_required")
    try:
        return MembershipScope(district=District.objects.get(code=district_code))
    except District.DoesNotExist:
        raise ValidationError(
            _("区“%(code)s”不存在"), code="district_not_found", params={"code": district_code}
        ) from None


def admin_check(role: Role, admin: bool) -> None:
    """The read-only admin (``is_staff``) is for street officers only."""
    if admin and role != Role.STREET_OFFICER:
        raise ValidationError(
            _("只有街道工作人员可以开通后台（只读）权限"), code="admin_not_for_role"
        )


def account_get(username: str) -> User | None:
    """The account named ``username``, if there is one."""
    return User.objects.filter(username=username).first()


def account_save(
    *, username: str, password: str, display_name: str = "", admin: bool = False
) -> AccountSaveResult:
    """Create the account ``username`` or update its password and name; audited.

    ``admin`` sets ``is_staff`` (the read-only admin of the officer's street office's
    compounds, portal/admin.py); it is never taken away here. A second run with the same
    password keeps the hash and writes no audit entry."""
    user = account_get(username)
    created = user is None
    if user is None:
        user = User(username=username)
    if not password:
        raise ValidationError(_("密码不能为空"), code="password_required")
    changes: list[str] = []
    if display_name and user.first_name != display_name:
        user.first_name = display_name
        changes.append("name")
    validate_password(password, user=user)
    user.full_clean(exclude=["password"])

    password_changed = created or not user.check_password(password)
    if password_changed:
        user.set_password(password)
        changes.append("password")
    staff_granted = admin and not user.is_staff
    if staff_granted:
        user.is_staff = True
        changes.append("admin")
    if changes:
        user.save()
    if created:
        audit_record(action="user.create", obj=user, data={"username": user.get_username()})
    elif password_changed:
        audit_record(action="user.set_password", obj=user, data={"username": user.get_username()})
    if staff_granted:
        audit_record(action="user.grant_admin", obj=user, data={"username": user.get_username()})
    return AccountSaveResult(
        user=user, created=created, password_changed=password_changed, changes=tuple(changes)
    )


def membership_grant(
    *, user: User, role: Role, scope: MembershipScope, actor: User | None = None
) -> tuple[Membership, bool]:
    """The membership of ``user`` in ``role`` within ``scope``, created (and audited, with
    ``actor`` as who granted it) if missing; returns it and whether it was created."""
    fields = {
        "user": user,
        "role": role,
        "district": scope.district,
        "street_office": scope.street_office,
        "compound": scope.compound,
        "service_company": scope.service_company,
    }
    membership = Membership.objects.filter(**fields).first()
    if membership is not None:
        return membership, False
    membership = Membership(**fields)
    membership.full_clean()
    membership.save()
    audit_record(
        action="membership.create",
        actor=actor,
        compound=scope.compound,
        obj=membership,
        data={"username": user.get_username(), "role": role.value},
    )
    return membership, True


def compound_memberships_revoke(
    *,
    compound: Compound,
    role: Role,
    user_ids: Collection[int],
    reason: str,
    actor: AbstractBaseUser | None = None,
) -> list[str]:
    """Take ``role`` in ``compound`` away from those of ``user_ids`` who hold it, in bulk;
    returns their usernames (sorted). One audit entry (``membership.revoke``) names them
    all with ``reason``, so a change of any size costs the same few queries. The accounts
    stay; only the role goes. Nothing to do costs no query."""
    if not user_ids:
        return []
    with transaction.atomic():
        held = list(
            Membership.objects.filter(compound=compound, role=role, user_id__in=set(user_ids))
            .order_by("user__username")
            .values_list("pk", "user__username")
        )
        if not held:
            return []
        Membership.objects.filter(pk__in=[pk for pk, _name in held]).delete()
        usernames = [name for _pk, name in held]
        audit_record(
            action="membership.revoke",
            actor=actor,
            compound=compound,
            data={
                "role": role.value,
                "reason": reason,
                "usernames": usernames,
                "memberships": [pk for pk, _name in held],
            },
        )
    return usernames


def compound_memberships_grant(
    *,
    compound: Compound,
    role: Role,
    user_ids: Collection[int],
    reason: str,
    actor: AbstractBaseUser | None = None,
) -> list[str]:
    """Give ``role`` in ``compound`` to those of ``user_ids`` who lack it, in bulk; returns
    their usernames (sorted). One audit entry (``membership.create``) names them all with
    ``reason``. A membership made meanwhile by someone else (an activation) is left as it
    is. Nothing to do costs no query."""
    if role not in COMPOUND_SCOPED_ROLES or role == Role.COMPANY_STAFF:
        raise ValueError(f"{role} is not held in a compound")
    if not user_ids:
        return []
    wanted = set(user_ids)
    with transaction.atomic():
        held = set(
            Membership.objects.filter(compound=compound, role=role, user_id__in=wanted).values_list(
                "user_id", flat=True
            )
        )
        missing = sorted(wanted - held)
        if not missing:
            return []
        Membership.objects.bulk_create(
            [Membership(user_id=pk, role=role, compound=compound) for pk in missing],
            ignore_conflicts=True,
        )
        usernames = sorted(User.objects.filter(pk__in=missing).values_list("username", flat=True))
        audit_record(
            action="membership.create",
            actor=actor,
            compound=compound,
            data={"role": role.value, "reason": reason, "usernames": usernames},
        )
    return usernames


ONE_TIME_PASSWORD_LENGTH = 12


def one_time_password_issue(*, user: User, actor: User | None = None) -> str:
    """Give ``user`` a fresh one-time password and return it, to be shown once.

    It is the account's password until its first change: a normal login works with it,
    and the first page after login asks for a new one (``AccountState.must_change_password``).
    Audited without the password."""
    plain = code_format(random_string(ONE_TIME_PASSWORD_LENGTH))
    user.set_password(plain)
    user.save(update_fields=["password"])
    AccountState.objects.update_or_create(
        user=user,
        defaults={"must_change_password": True},
        create_defaults={"must_change_password": True, "created_by": actor},
    )
    audit_record(
        action="user.one_time_password",
        actor=actor,
        obj=user,
        data={"username": user.get_username()},
    )
    return plain
