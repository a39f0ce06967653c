"""Reads of the staff-account pages: the accounts a street office or a company manages, and
the access helpers that answer 404 for anyone else (forbidden looks like absent)."""

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from portal.access import AnyUser
from portal.models import Membership, Role, ServiceCompany, StreetOffice

_COMPOUND_ROLES = (Role.COMMITTEE_MEMBER, Role.PROPERTY_UNIT_REP, Role.RESIDENT)


def office_membership_q(office: StreetOffice) -> Q:
    """Memberships inside a street office's scope: its street officers, the roles in its
    compounds, and the staff of the companies serving them."""
    companies = office.compounds.filter(service_company__isnull=False).values("service_company_id")
    return (
        Q(role=Role.STREET_OFFICER, street_office=office)
        | Q(role__in=_COMPOUND_ROLES, compound__street_office=office)
        | Q(role=Role.COMPANY_STAFF, service_company_id__in=companies)
    )


def company_membership_q(company: ServiceCompany) -> Q:
    return Q(role=Role.COMPANY_STAFF, service_company=company)


def scoped_accounts(
    scope: Q, *, search: str = "", role: str = "", status: str = ""
) -> QuerySet[User]:
    """Accounts holding a membership matched by ``scope`` (of ``role`` if given), found by
    login or name, with those memberships in ``scoped_memberships`` and the account state:
    a constant number of queries per page."""
    memberships = Membership.objects.filter(scope, user=OuterRef("pk"))
    if role:
        memberships = memberships.filter(role=role)
    users = User.objects.filter(Exists(memberships))
    if search:
        users = users.filter(Q(username__icontains=search) | Q(first_name__icontains=search))
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "inactive":
        users = users.filter(is_active=False)
    return (
        users.select_related("account_state")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(scope)
                .select_related("street_office", "compound", "service_company")
                .order_by("role", "id"),
                to_attr="scoped_memberships",
            )
        )
        .order_by("username", "id")
    )


def get_scoped_account(scope: Q, user_id: int) -> User:
    """The account ``user_id`` if it holds a membership inside ``scope``, else 404."""
    try:
        return scoped_accounts(scope).get(pk=user_id)
    except User.DoesNotExist:
        raise Http404 from None


def get_company_for_admin(user: AnyUser, company_id: int) -> ServiceCompany:
    """The company ``company_id`` if ``user`` administers its staff (企业管理员) or is a
    superuser, else 404."""
    if not user.is_authenticated:
        raise Http404
    company = ServiceCompany.objects.filter(pk=company_id).first()
    if company is None:
        raise Http404
    if getattr(user, "is_superuser", False):
        return company
    if not Membership.objects.filter(
        user_id=user.pk, role=Role.COMPANY_STAFF, service_company=company, can_manage_staff=True
    ).exists():
        raise Http404
    return company


def administered_companies(user: AnyUser) -> QuerySet[ServiceCompany]:
    """The companies whose staff ``user`` administers (for links to their staff page)."""
    if not user.is_authenticated:
        return ServiceCompany.objects.none()
    return ServiceCompany.objects.filter(
        memberships__user_id=user.pk,
        memberships__role=Role.COMPANY_STAFF,
        memberships__can_manage_staff=True,
    ).distinct()
