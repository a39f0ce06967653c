"""Reset codes issued at the counter (重置码): a committee member or a street officer who has
checked a person's identity gives them a one-time code to choose a new password with
(``portal.resets`` is the person's side). No SMS, no e-mail needed.

Whose password an issuer may reset (:class:`ResetScope`): a person ALL of whose roles and
owner records lie within the issuer's reach, because the issuer sees the code and could
use it. A committee member reaches their compound: its residents (owners linked to an
account), committee members and property-right unit representatives, and the staff of a
company that serves that compound only. A street officer reaches every compound of their
street office, the staff of companies serving only those, and the other officers of the
office. Nobody reaches a superuser, an inactive account or themselves; only a street
officer reaches an account with admin access (``is_staff``, granted to officers only).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.access import AnyUser, has_role, street_offices_for
from portal.audit import audit_record
from portal.codes import code_issue
from portal.lists import Search
from portal.models import Compound, Membership, ResetCode, Role, StreetOffice

from ..models import Owner

# Who issues reset codes on a compound's page.
ISSUER_ROLES = frozenset({Role.COMMITTEE_MEMBER, Role.STREET_OFFICER})
_SELECTOR_TRIES = 5


@dataclass(frozen=True)
class ResetScope:
    """The people an issuer may give a reset code: see the module docstring."""

    compound: Compound | None = None
    street_office: StreetOffice | None = None

    @property
    def compound_ids(self) -> QuerySet[Compound, int]:
        """The scope's compounds' ids, as a subquery."""
        if self.compound is not None:
            compounds = Compound.objects.filter(pk=self.compound.pk)
        else:
            compounds = Compound.objects.filter(street_office=self.street_office)
        return compounds.values_list("id", flat=True)

    @property
    def label(self) -> str:
        return str(self.compound or self.street_office)


@dataclass(frozen=True)
class IssuedReset:
    """A new reset code: shown once to the issuer, who hands it to the person."""

    user: User
    code: str
    expires_at: datetime


def reset_scope(
    issuer: AnyUser, *, compound: Compound | None = None, street_office: StreetOffice | None = None
) -> ResetScope:
    """The scope ``issuer`` resets passwords in, from a compound's page (committee members
    and street officers) or a street office's (its officers); 404 for anyone else."""
    if compound is not None and street_office is None:
        if has_role(issuer, compound, ISSUER_ROLES):
            return ResetScope(compound=compound)
    elif (
        street_office is not None
        and compound is None
        and street_offices_for(issuer).filter(pk=street_office.pk).exists()
    ):
        return ResetScope(street_office=street_office)
    raise Http404


def _company_in_scope(scope: ResetScope) -> Q:
    """Over Membership: a company that serves compounds of the scope and no other."""
    served = Compound.objects.filter(service_company_id=OuterRef("service_company_id"))
    return Q(Exists(served.filter(id__in=scope.compound_ids))) & ~Q(
        Exists(served.exclude(id__in=scope.compound_ids))
    )


def _membership_inside(scope: ResetScope) -> Q:
    inside = Q(compound_id__in=scope.compound_ids) | (
        Q(role=Role.COMPANY_STAFF) & _company_in_scope(scope)
    )
    if scope.street_office is not None:
        inside |= Q(role=Role.STREET_OFFICER, street_office=scope.street_office)
    return inside


def _membership_outside(scope: ResetScope) -> Q:
    officers_outside = Q(role=Role.STREET_OFFICER)
    if scope.street_office is not None:
        officers_outside &= ~Q(street_office=scope.street_office)
    return (
        (Q(compound__isnull=False) & ~Q(compound_id__in=scope.compound_ids))
        | (Q(role=Role.COMPANY_STAFF) & ~_company_in_scope(scope))
        | officers_outside
    )


def reset_candidates(scope: ResetScope, issuer: User) -> QuerySet[User]:
    """The accounts ``issuer`` may give a reset code in ``scope`` (module docstring)."""
    members = Membership.objects.filter(user_id=OuterRef("pk"))
    owners = Owner.objects.filter(user_id=OuterRef("pk"))
    users = (
        User.objects.filter(is_active=True, is_superuser=False)
        .filter(
            Exists(members.filter(_membership_inside(scope)))
            | Exists(owners.filter(compound_id__in=scope.compound_ids))
        )
        .exclude(Exists(members.filter(_membership_outside(scope))))
        .exclude(Exists(owners.exclude(compound_id__in=scope.compound_ids)))
        .exclude(pk=issuer.pk)
    )
    if scope.street_office is None:
        users = users.exclude(is_staff=True)
    return users


def reset_candidates_search(scope: ResetScope, issuer: User, search: Search) -> QuerySet[User]:
    """The candidates matching ``search`` (login name, account name, an owner's name or
    phone, or a unit such as 3号楼 1802), with what the list shows of each, by login."""
    users = reset_candidates(scope, issuer)
    if search:
        owners = Owner.objects.filter(
            compound_id__in=scope.compound_ids, user_id=OuterRef("pk")
        ).filter(
            search.q(
                building="ownerships__unit__building__number",
                unit="ownerships__unit__number",
                name="name",
                names_visible=True,
            )
            | Q(phone=search.text)
        )
        users = users.filter(
            Q(username__icontains=search.text)
            | Q(first_name__icontains=search.text)
            | Exists(owners)
        )
    return users.order_by("username").prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related(
                "street_office", "compound", "service_company"
            ),
        ),
        Prefetch(
            "owner_records",
            queryset=Owner.objects.filter(compound_id__in=scope.compound_ids).order_by("id"),
            to_attr="owners_in_scope",
        ),
    )


@transaction.atomic
def reset_code_issue(
    *,
    issuer: User,
    user_id: int,
    identity_checked: bool,
    compound: Compound | None = None,
    street_office: StreetOffice | None = None,
) -> IssuedReset:
    """Give the account ``user_id`` a reset code, valid ``RESET_CODE_HOURS``, single use;
    the account's earlier open codes stop working. Refused (nothing issued) unless the
    issuer has checked the person's identity and the account is in the issuer's scope."""
    scope = reset_scope(issuer, compound=compound, street_office=street_office)
    if not identity_checked:
        raise ValidationError(
            _("请先核验本人身份（身份证件），再签发重置码。"), code="identity_not_checked"
        )
    target = reset_candidates(scope, issuer).filter(pk=user_id).first()
    if target is None:
        raise ValidationError(
            _("此账号不在您的管理范围内，不能由您签发重置码（请联系街道工作人员）。"),
            code="out_of_scope",
        )
    now = timezone.now()
    revoked = ResetCode.objects.filter(
        user=target, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    expires_at = now + timedelta(hours=settings.RESET_CODE_HOURS)
    for attempt in range(_SELECTOR_TRIES):
        issued = code_issue()
        try:
            with transaction.atomic():
                row = ResetCode.objects.create(
                    user=target,
                    compound=scope.compound,
                    selector=issued.selector,
                    secret_hash=issued.secret_hash,
                    issued_by=issuer,
                    created_at=now,
                    expires_at=expires_at,
                )
            break
        except IntegrityError:  # the selector is taken: draw another
            if attempt == _SELECTOR_TRIES - 1:
                raise
    audit_record(
        action="reset_code.issue",
        actor=issuer,
        compound=scope.compound,
        obj=row,
        data={
            "username": target.get_username(),
            "selector": row.selector,
            "expires_at": expires_at.isoformat(),
            "street_office": scope.street_office.code if scope.street_office else "",
            "revoked_earlier": revoked,
        },
    )
    return IssuedReset(user=target, code=issued.printed, expires_at=expires_at)
