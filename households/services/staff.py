"""Staff accounts and their roles, managed by the people the portal serves (issue 11 item 2).

Who manages whom (:class:`StaffScope`):

- a street officer (街道工作人员) manages accounts for their own street office: other
  street officers of that office, committee members and property-right-unit
  representatives of its compounds, and staff of the companies serving its compounds;
- a company administrator (企业管理员: ``Membership.can_manage_staff`` on a company_staff
  membership) manages only that company's staff;
- a superuser manages everything.

A role can only be granted inside the granter's own scope; residents get their accounts
through activation letters or claims, never here. A street office always keeps at least
one active street officer: revoking or deactivating the last one is refused, and two
officers removing each other at the same moment are serialised by locking the office's
street-officer memberships first. Every write is one transaction and audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.audit import audit_record
from portal.auth import tokens_revoke
from portal.models import (
    AccountState,
    Compound,
    Membership,
    Role,
    ServiceCompany,
    StreetOffice,
)
from portal.services import MembershipScope, membership_grant, one_time_password_issue, role_parse

from ..models import PropertyRightUnit

# The roles granted on these pages and through the members API.
GRANTABLE_ROLES = (
    Role.STREET_OFFICER,
    Role.COMMITTEE_MEMBER,
    Role.COMPANY_STAFF,
    Role.PROPERTY_UNIT_REP,
)
# Memberships scoped to a compound (the compound's street office decides who manages them).
_COMPOUND_ROLES = frozenset({Role.COMMITTEE_MEMBER, Role.PROPERTY_UNIT_REP, Role.RESIDENT})


class OutsideScope(ValidationError):
    """The actor may not do this here (a role outside their scope, an account they do not
    manage). The API answers it with 403, pages show it like any other error."""

    def __init__(self, message: Any, params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code="outside_scope", params=params)


@dataclass(frozen=True)
class StaffScope:
    """What one actor may manage: the street offices they are an officer of (and the
    companies serving those offices' compounds), and the companies they administer."""

    superuser: bool = False
    office_ids: frozenset[int] = frozenset()
    office_company_ids: frozenset[int] = frozenset()
    admin_company_ids: frozenset[int] = frozenset()

    @classmethod
    def of(cls, actor: User) -> StaffScope:
        if not actor.is_active:
            return cls()
        if actor.is_superuser:
            return cls(superuser=True)
        memberships = list(
            Membership.objects.filter(
                user=actor, role__in=[Role.STREET_OFFICER, Role.COMPANY_STAFF]
            ).values_list("role", "street_office_id", "service_company_id", "can_manage_staff")
        )
        office_ids = frozenset(
            office for role, office, _company, _admin in memberships if role == Role.STREET_OFFICER
        )
        admin_ids = frozenset(
            company
            for role, _office, company, admin in memberships
            if role == Role.COMPANY_STAFF and admin
        )
        office_companies: frozenset[int] = frozenset()
        if office_ids:
            office_companies = frozenset(
                Compound.objects.filter(
                    street_office_id__in=office_ids, service_company__isnull=False
                ).values_list("service_company_id", flat=True)
            )
        return cls(
            office_ids=office_ids,
            office_company_ids=office_companies,
            admin_company_ids=admin_ids,
        )

    @property
    def company_ids(self) -> frozenset[int]:
        return self.office_company_ids | self.admin_company_ids

    def covers(self, membership: Membership) -> bool:
        """True if ``membership`` lies inside this scope (its compound must be loaded)."""
        if self.superuser:
            return True
        role = Role(membership.role)
        if role == Role.STREET_OFFICER:
            return membership.street_office_id in self.office_ids
        if role == Role.COMPANY_STAFF:
            return membership.service_company_id in self.company_ids
        compound = membership.compound
        return compound is not None and compound.street_office_id in self.office_ids

    def can_grant(self, role: Role, scope: MembershipScope) -> bool:
        if self.superuser:
            return True
        if role == Role.STREET_OFFICER:
            return scope.street_office is not None and scope.street_office.pk in self.office_ids
        if role == Role.COMPANY_STAFF:
            return (
                scope.service_company is not None and scope.service_company.pk in self.company_ids
            )
        return scope.compound is not None and scope.compound.street_office_id in self.office_ids

    def can_name_company_admin(self, company_id: int | None) -> bool:
        """Only street officers (of an office the company serves) name company admins."""
        return self.superuser or company_id in self.office_company_ids


@dataclass(frozen=True)
class StaffAccountCreated:
    """A new account: its one membership and the password to show once (never stored)."""

    user: User
    membership: Membership
    one_time_password: str


def staff_scope_for(
    role: str | Role,
    *,
    street_office: StreetOffice | None = None,
    compound: Compound | None = None,
    service_company: ServiceCompany | None = None,
) -> tuple[Role, MembershipScope]:
    """The role and where it applies, from what a form or the API names: a street
    officer belongs to ``street_office`` (else the compound's), company staff to
    ``service_company`` (else the company serving ``compound``), the others to
    ``compound``. Unknown roles, residents and missing scopes are clear errors."""
    parsed = role_parse(role)
    if parsed == Role.RESIDENT:
        raise ValidationError(
            _("业主账号不在这里开通：请打印开通通知书让业主自行开通，或由业主提交认领申请后审核。"),
            code="resident_not_here",
        )
    if parsed == Role.STREET_OFFICER:
        office = street_office or (compound.street_office if compound is not None else None)
        if office is None:
            raise ValidationError(_("街道工作人员须指定所属街道"), code="street_office_required")
        return parsed, MembershipScope(street_office=office)
    if parsed == Role.COMPANY_STAFF:
        company = service_company or (compound.service_company if compound is not None else None)
        if company is None:
            if compound is not None:
                raise ValidationError(
                    _("小区“%(compound)s”尚未登记物业服务企业，无法添加物业企业人员"),
                    code="no_service_company",
                    params={"compound": compound.name},
                )
            raise ValidationError(_("物业企业人员须指定物业服务企业"), code="company_required")
        return parsed, MembershipScope(service_company=company)
    if compound is None:
        raise ValidationError(
            _("%(role)s须指定小区"), code="compound_required", params={"role": parsed.label}
        )
    return parsed, MembershipScope(compound=compound)


def _outside_scope(role: Role, scope: MembershipScope) -> OutsideScope:
    where = scope.street_office or scope.compound or scope.service_company
    return OutsideScope(
        _("您无权授予“%(where)s”的%(role)s角色：只能在自己的管理范围内授予角色。"),
        params={"where": str(where), "role": role.label},
    )


def _check_grant(scope_of_actor: StaffScope, role: Role, scope: MembershipScope) -> None:
    if not scope_of_actor.can_grant(role, scope):
        raise _outside_scope(role, scope)


def _check_property_unit(
    role: Role, scope: MembershipScope, property_unit: PropertyRightUnit | None
) -> None:
    if property_unit is None:
        return
    if role != Role.PROPERTY_UNIT_REP:
        raise ValidationError(
            _("只有产权单位代表可以指定产权单位"), code="property_unit_not_for_role"
        )
    if scope.compound is None or property_unit.compound_id != scope.compound.pk:
        raise ValidationError(_("所选产权单位不属于该小区"), code="property_unit_not_in_compound")


def _duplicate_username(username: str) -> ValidationError:
    return ValidationError(
        _("登录名“%(username)s”已被使用，请换一个。"),
        code="duplicate_username",
        params={"username": username},
    )


def _new_user(username: str, display_name: str) -> User:
    username = username.strip()
    display_name = display_name.strip()
    if not username:
        raise ValidationError(_("登录名不能为空"), code="username_required")
    if not display_name:
        raise ValidationError(_("姓名不能为空"), code="name_required")
    if User.objects.filter(username__iexact=username).exists():
        raise _duplicate_username(username)
    user = User(username=username, first_name=display_name)
    user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        if "username" in exc.error_dict and any(
            e.code == "unique" for e in exc.error_dict["username"]
        ):
            raise _duplicate_username(username) from None
        raise
    return user


def _name_representative(
    property_unit: PropertyRightUnit, user: User, actor: User, compound: Compound | None
) -> None:
    replaced = property_unit.representative.get_username() if property_unit.representative else ""
    property_unit.representative = user
    property_unit.save(update_fields=["representative"])
    audit_record(
        action="property_unit.set_representative",
        actor=actor,
        compound=compound,
        obj=property_unit,
        data={"username": user.get_username(), "replaced": replaced},
    )


@transaction.atomic
def staff_account_create(
    *,
    actor: User,
    username: str,
    display_name: str,
    role: str | Role,
    street_office: StreetOffice | None = None,
    compound: Compound | None = None,
    service_company: ServiceCompany | None = None,
    property_unit: PropertyRightUnit | None = None,
    password: str = "",
    company_admin: bool = False,
) -> StaffAccountCreated:
    """A new account ``username`` with one role inside the actor's scope, and the
    one-time password to show once (a ``password`` the actor chose instead must pass
    Django's validators). Either way the user must change it at first login. A duplicate
    login (case-insensitive), a weak password, an unknown role, a resident or a scope
    outside the actor's is refused with nothing saved."""
    parsed, scope = staff_scope_for(
        role, street_office=street_office, compound=compound, service_company=service_company
    )
    actor_scope = StaffScope.of(actor)
    _check_grant(actor_scope, parsed, scope)
    _check_property_unit(parsed, scope, property_unit)
    if company_admin:
        _check_company_admin(actor_scope, parsed, scope.service_company)
    user = _new_user(username, display_name)
    if password:
        validate_password(password, user=user)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise _duplicate_username(user.username) from None
    audit_record(
        action="user.create",
        actor=actor,
        compound=scope.compound,
        obj=user,
        data={"username": user.username, "role": parsed.value},
    )
    membership, _created = membership_grant(user=user, role=parsed, scope=scope, actor=actor)
    if company_admin:
        _company_admin_write(membership, True, actor)
    plain = one_time_password_issue(user=user, actor=actor)
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
        plain = password
    if property_unit is not None:
        _name_representative(property_unit, user, actor, scope.compound)
    return StaffAccountCreated(user=user, membership=membership, one_time_password=plain)


def _memberships_of(user: User) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user).select_related(
            "compound", "street_office", "service_company"
        )
    )


def account_visible(actor: User, user: User) -> bool:
    """True if ``user`` holds a role inside ``actor``'s scope (whom the actor may see and
    grant roles to)."""
    scope = StaffScope.of(actor)
    return scope.superuser or any(scope.covers(m) for m in _memberships_of(user))


@transaction.atomic
def staff_membership_grant(
    *,
    actor: User,
    user: User,
    role: str | Role,
    street_office: StreetOffice | None = None,
    compound: Compound | None = None,
    service_company: ServiceCompany | None = None,
    company_admin: bool = False,
) -> tuple[Membership, bool]:
    """Give ``user`` (an account the actor manages) one more role inside the actor's
    scope; returns the membership and whether it is new (granting twice changes nothing).
    With ``company_admin`` the company_staff role comes with the company's staff
    administration (企业管理员), for street officers only; refused for any other role
    before anything is written."""
    parsed, scope = staff_scope_for(
        role, street_office=street_office, compound=compound, service_company=service_company
    )
    actor_scope = StaffScope.of(actor)
    _check_grant(actor_scope, parsed, scope)
    if company_admin:
        _check_company_admin(actor_scope, parsed, scope.service_company)
    if not actor_scope.superuser and not any(actor_scope.covers(m) for m in _memberships_of(user)):
        raise _not_managed(user)
    if not user.is_active:
        raise ValidationError(
            _("账号“%(username)s”已停用，请先恢复再授予角色。"),
            code="account_inactive",
            params={"username": user.get_username()},
        )
    membership, created = membership_grant(user=user, role=parsed, scope=scope, actor=actor)
    if company_admin and not membership.can_manage_staff:
        _company_admin_write(membership, True, actor)
    return membership, created


def _not_managed(user: User) -> OutsideScope:
    return OutsideScope(
        _("账号“%(username)s”不在您的管理范围内。"), params={"username": user.get_username()}
    )


def _lock_office_officers(office_ids: Iterable[int]) -> None:
    """Lock the street-officer memberships of these offices (in id order, so two
    transactions never wait on each other crosswise) before counting who stays active."""
    ids = sorted(set(office_ids))
    if ids:
        list(
            Membership.objects.select_for_update(of=("self",))
            .filter(role=Role.STREET_OFFICER, street_office_id__in=ids)
            .order_by("id")
            .values_list("id", flat=True)
        )


def _check_officers_remain(office: StreetOffice | int, leaving: User) -> None:
    """Refuse if ``leaving`` is the office's last active street officer (locks first)."""
    office_id = office if isinstance(office, int) else office.pk
    _lock_office_officers([office_id])
    others = (
        Membership.objects.filter(
            role=Role.STREET_OFFICER, street_office_id=office_id, user__is_active=True
        )
        .exclude(user=leaving)
        .exists()
    )
    if not others:
        name = StreetOffice.objects.filter(pk=office_id).values_list("name", flat=True).first()
        raise ValidationError(
            _("“%(office)s”须至少保留一名在用的街道工作人员，不能撤销或停用最后一名。"),
            code="last_street_officer",
            params={"office": name or ""},
        )


@transaction.atomic
def staff_membership_revoke(*, actor: User, membership: Membership) -> None:
    """Take one role away, inside the actor's scope; never the office's last street
    officer. Audited; the account itself stays (deactivate it to end its sessions)."""
    membership = Membership.objects.select_related(
        "compound", "street_office", "service_company", "user"
    ).get(pk=membership.pk)
    role = Role(membership.role)
    # Street officers' rows are locked office-wide in id order, like a deactivation does,
    # so a revoke and a deactivation in the same office never deadlock.
    if role == Role.STREET_OFFICER:
        _lock_office_officers([membership.street_office_id or 0])
    else:
        list(Membership.objects.select_for_update(of=("self",)).filter(pk=membership.pk))
    if not Membership.objects.filter(pk=membership.pk).exists():
        return  # revoked meanwhile by someone else
    actor_scope = StaffScope.of(actor)
    if role == Role.RESIDENT or not actor_scope.covers(membership):
        raise _outside_scope(
            role,
            MembershipScope(
                street_office=membership.street_office,
                compound=membership.compound,
                service_company=membership.service_company,
            ),
        )
    if role == Role.STREET_OFFICER and membership.user.is_active:
        _check_officers_remain(membership.street_office_id or 0, membership.user)
    audit_record(
        action="membership.revoke",
        actor=actor,
        compound=membership.compound,
        obj=membership,
        data={"username": membership.user.get_username(), "role": role.value},
    )
    membership.delete()


def _check_company_admin(
    actor_scope: StaffScope, role: Role, company: ServiceCompany | None
) -> None:
    if role != Role.COMPANY_STAFF:
        raise ValidationError(
            _("只有物业企业人员可以设为企业管理员"), code="company_admin_not_for_role"
        )
    if not actor_scope.can_name_company_admin(company.pk if company else None):
        raise OutsideScope(_("只有该企业所服务小区的街道工作人员可以设置企业管理员。"))


def _company_admin_write(membership: Membership, value: bool, actor: User) -> None:
    membership.can_manage_staff = value
    membership.full_clean()
    membership.save(update_fields=["can_manage_staff"])
    audit_record(
        action="membership.company_admin" if value else "membership.company_admin_revoke",
        actor=actor,
        obj=membership,
        data={
            "username": membership.user.get_username(),
            "company": str(membership.service_company),
        },
    )


@transaction.atomic
def company_admin_set(*, actor: User, membership: Membership, value: bool) -> Membership:
    """Make a company_staff member the company's administrator (企业管理员), or not.
    For street officers of an office the company serves (and superusers)."""
    membership = (
        Membership.objects.select_related("service_company", "user")
        .select_for_update(of=("self",))
        .get(pk=membership.pk)
    )
    _check_company_admin(StaffScope.of(actor), Role(membership.role), membership.service_company)
    if membership.can_manage_staff != value:
        _company_admin_write(membership, value, actor)
    return membership


def _check_manages_account(actor: User, user: User) -> list[Membership]:
    """The account's memberships, if the actor manages the whole account: every role it
    holds lies inside the actor's scope (else deactivating it would end access the actor
    does not manage)."""
    if user.pk == actor.pk:
        raise ValidationError(_("不能停用或恢复自己的账号。"), code="own_account")
    scope = StaffScope.of(actor)
    memberships = _memberships_of(user)
    if not scope.superuser:
        if user.is_superuser or not memberships or not any(scope.covers(m) for m in memberships):
            raise _not_managed(user)
        if not all(scope.covers(m) for m in memberships):
            raise OutsideScope(
                _(
                    "账号“%(username)s”还在您的管理范围之外担任角色，不能在此停用或恢复；"
                    "可撤销其在您范围内的角色。"
                ),
                params={"username": user.get_username()},
            )
    return memberships


def sessions_end(user: User) -> int:
    """End every session of ``user`` now; returns how many.

    Sessions carry the user id only inside their encoded data, so the unexpired ones are
    read and decoded (a rare action, over the sessions alive at the moment); each found
    is deleted through its engine's store, which for ``cached_db`` drops both the cache
    entry and the database row. (An inactive user's session is refused by the
    authentication backend anyway; this also frees the rows and the cache.)"""
    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    if not hasattr(store_class, "get_model_class") and "cache" not in settings.SESSION_ENGINE:
        return 0  # signed cookies: nothing kept on the server
    wanted = str(user.pk)
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(
            chunk_size=2000
        )
        if str(session.get_decoded().get("_auth_user_id", "")) == wanted
    ]
    for key in keys:
        store_class(session_key=key).delete()
    return len(keys)


@transaction.atomic
def account_deactivate(*, actor: User, user: User) -> User:
    """Deactivate an account the actor manages: it can no longer log in, its sessions and
    API tokens end at once (also on other devices), and ``AccountState`` records when and
    by whom. The last active street officer of an office cannot be deactivated."""
    # FOR NO KEY UPDATE: rows that merely point at this user (an audit entry naming them
    # as actor, their AccountState) still go in, so two officers acting on each other
    # queue on the office's officer memberships instead of deadlocking on user rows.
    user = User.objects.select_for_update(of=("self",), no_key=True).get(pk=user.pk)
    memberships = _check_manages_account(actor, user)
    if not user.is_active:
        return user
    for office_id in sorted(
        {
            m.street_office_id
            for m in memberships
            if m.role == Role.STREET_OFFICER and m.street_office_id is not None
        }
    ):
        _check_officers_remain(office_id, user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    tokens_revoke(user)
    now = timezone.now()
    AccountState.objects.update_or_create(
        user=user, defaults={"deactivated_at": now, "deactivated_by": actor}
    )
    ended = sessions_end(user)
    audit_record(
        action="user.deactivate",
        actor=actor,
        obj=user,
        data={"username": user.get_username(), "sessions_ended": ended},
    )
    return user


@transaction.atomic
def account_reactivate(*, actor: User, user: User) -> User:
    """Let a deactivated account the actor manages log in again (with its old password)."""
    # FOR NO KEY UPDATE: rows that merely point at this user (an audit entry naming them
    # as actor, their AccountState) still go in, so two officers acting on each other
    # queue on the office's officer memberships instead of deadlocking on user rows.
    user = User.objects.select_for_update(of=("self",), no_key=True).get(pk=user.pk)
    _check_manages_account(actor, user)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    AccountState.objects.update_or_create(
        user=user, defaults={"deactivated_at": None, "deactivated_by": None}
    )
    audit_record(
        action="user.reactivate", actor=actor, obj=user, data={"username": user.get_username()}
    )
    return user
