"""Who may see what. Every page and API view goes through these helpers.

A missing right and a missing object look the same to the caller (404), so nobody can
probe for the existence of another tenant's compounds, units or owners.

Superusers are decided here and nowhere else: they see every compound and street office,
and in a compound they act with every managing role, never as a resident
(:func:`acting_roles`). Apps ask :func:`has_role` / :func:`is_staff_in` rather than
reading ``is_superuser`` themselves.

A district officer (区住建委) holds a district and nothing below it: they open no compound,
no street office's pages and no owner's data through the helpers above; only the boards
of their district's street offices, read-only (:func:`get_district_for_user`,
:func:`get_street_office_board_for_user`).
"""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import STAFF_ROLES, Compound, District, Membership, Role, StreetOffice

AnyUser = AbstractBaseUser | AnonymousUser
_MEMBERSHIPS_CACHE = "_portal_memberships"


def _is_superuser(user: AnyUser) -> bool:
    # AbstractBaseUser has no is_superuser (PermissionsMixin adds it): read it defensively.
    return bool(user.is_authenticated and getattr(user, "is_superuser", False))


def _compound_filter_for_role(user: AnyUser, role: Role) -> Q | None:
    """The Q over Compound that the user's memberships in ``role`` open, or None."""
    if role == Role.DISTRICT_OFFICER:
        return None  # a district officer opens no compound (they read boards only)
    memberships = [m for m in _memberships(user) if m.role == role]
    if not memberships:
        return None
    if role == Role.STREET_OFFICER:
        return Q(street_office_id__in=[m.street_office_id for m in memberships])
    if role == Role.COMPANY_STAFF:
        return Q(service_company_id__in=[m.service_company_id for m in memberships])
    return Q(id__in=[m.compound_id for m in memberships])


def _memberships(user: AnyUser) -> list[Membership]:
    """The user's memberships, loaded once per request object."""
    if not user.is_authenticated:
        return []
    # Kept on the user object, which lives as long as the request (through the lazy
    # request.user's attribute access, so it lands on the user itself, where
    # portal.session_user puts the memberships it read with the user).
    memberships = getattr(user, _MEMBERSHIPS_CACHE, None)
    if memberships is None:
        memberships = list(Membership.objects.filter(user_id=user.pk))
        setattr(user, _MEMBERSHIPS_CACHE, memberships)
    return memberships


def memberships_keep(user: AbstractBaseUser, memberships: list[Membership]) -> None:
    """Keep ``memberships``, read together with ``user`` (``portal.session_user``), as that
    user object's memberships for the rest of the request."""
    setattr(user, _MEMBERSHIPS_CACHE, memberships)


def compounds_for(user: AnyUser, roles: Iterable[Role] | None = None) -> QuerySet[Compound]:
    """The compounds ``user`` may see in any of ``roles`` (all roles when None)."""
    if not user.is_authenticated:
        return Compound.objects.none()
    if _is_superuser(user):
        return Compound.objects.all()
    query = None
    for role in roles if roles is not None else Role:
        role_filter = _compound_filter_for_role(user, Role(role))
        if role_filter is not None:
            query = role_filter if query is None else query | role_filter
    if query is None:
        # No query at all for a role the user does not hold (none() never reaches the
        # database, an empty IN still has to be compiled to find out).
        return Compound.objects.none()
    return Compound.objects.filter(query).select_related("street_office", "service_company")


def compound_ids_for(user: AnyUser) -> list[int] | None:
    """The ids of :func:`compounds_for` ``(user)`` when the memberships name them, with no
    query and no SQL to compile (residents, committee members, owners' units' reps: the
    pages they open most); None when only a query can tell (a superuser, a street
    officer's or company's compounds)."""
    if _is_superuser(user):
        return None
    memberships = _memberships(user)
    if any(m.role in (Role.STREET_OFFICER, Role.COMPANY_STAFF) for m in memberships):
        return None
    return sorted(
        {
            m.compound_id
            for m in memberships
            if m.role != Role.DISTRICT_OFFICER and m.compound_id is not None
        }
    )


def roles_in(user: AnyUser, compound: Compound) -> set[Role]:
    """The roles ``user``'s memberships give in ``compound`` (a superuser holds none by
    membership: use :func:`acting_roles` to decide what a user may do)."""
    roles: set[Role] = set()
    for m in _memberships(user):
        if m.role == Role.DISTRICT_OFFICER:
            continue  # holds a district, never a role in a compound
        if (
            (m.role == Role.STREET_OFFICER and m.street_office_id == compound.street_office_id)
            or (
                m.role == Role.COMPANY_STAFF
                and compound.service_company_id is not None
                and m.service_company_id == compound.service_company_id
            )
            or m.compound_id == compound.id
        ):
            roles.add(Role(m.role))
    return roles


def acting_roles(user: AnyUser, compound: Compound) -> set[Role]:
    """The roles ``user`` acts with in ``compound``: their memberships', or, for a
    superuser, every managing role (a superuser is never a resident of anything)."""
    if _is_superuser(user):
        return set(STAFF_ROLES)
    return roles_in(user, compound)


def has_role(user: AnyUser, compound: Compound, roles: Iterable[Role]) -> bool:
    """True if ``user`` acts in ``compound`` with one of ``roles``."""
    return bool(acting_roles(user, compound) & set(roles))


def get_compound_for_user(
    user: AnyUser, code: str, roles: Iterable[Role] | None = None
) -> Compound:
    """The compound with ``code`` if ``user`` holds one of ``roles`` there, else 404."""
    try:
        compound = Compound.objects.select_related("street_office", "service_company").get(
            code=code
        )
    except Compound.DoesNotExist:
        raise Http404 from None
    return check_compound_access(user, compound, roles)


def check_compound_access(
    user: AnyUser, compound: Compound, roles: Iterable[Role] | None = None
) -> Compound:
    """``compound`` if ``user`` holds one of ``roles`` there, else 404: for a compound read
    together with the object the URL names (one query instead of two), which must come
    with its ``street_office`` and ``service_company`` ids."""
    if _is_superuser(user):
        return compound
    allowed = set(roles) if roles is not None else set(Role)
    if not roles_in(user, compound) & allowed:
        raise Http404
    return compound


def get_street_office_for_user(user: AnyUser, code: str) -> StreetOffice:
    """The street office with ``code`` if ``user`` works there (or is a superuser), else 404."""
    try:
        office = StreetOffice.objects.get(code=code)
    except StreetOffice.DoesNotExist:
        raise Http404 from None
    if _is_superuser(user):
        return office
    if not any(
        m.role == Role.STREET_OFFICER and m.street_office_id == office.id
        for m in _memberships(user)
    ):
        raise Http404
    return office


def is_staff_in(user: AnyUser, compound: Compound) -> bool:
    """True for anyone who manages the compound (not merely lives in it)."""
    return has_role(user, compound, STAFF_ROLES)


def street_offices_for(user: AnyUser) -> QuerySet[StreetOffice]:
    if not user.is_authenticated:
        return StreetOffice.objects.none()
    if _is_superuser(user):
        return StreetOffice.objects.all()
    ids = [
        m.street_office_id
        for m in _memberships(user)
        if m.role == Role.STREET_OFFICER and m.street_office_id is not None
    ]
    return StreetOffice.objects.filter(id__in=ids) if ids else StreetOffice.objects.none()


def _district_ids(user: AnyUser) -> set[int]:
    """The districts whose officer ``user`` is (by membership)."""
    return {
        m.district_id
        for m in _memberships(user)
        if m.role == Role.DISTRICT_OFFICER and m.district_id is not None
    }


def districts_for(user: AnyUser) -> QuerySet[District]:
    """The districts whose boards ``user`` may read (all of them for a superuser)."""
    if not user.is_authenticated:
        return District.objects.none()
    if _is_superuser(user):
        return District.objects.all()
    ids = _district_ids(user)
    return District.objects.filter(id__in=ids) if ids else District.objects.none()


def get_district_for_user(user: AnyUser, code: str) -> District:
    """The district with ``code`` if ``user`` is its officer (or a superuser), else 404."""
    if not user.is_authenticated:
        raise Http404
    superuser = _is_superuser(user)
    ids = _district_ids(user)
    if not superuser and not ids:
        raise Http404  # no query for anyone who holds no district
    try:
        district = District.objects.get(code=code)
    except District.DoesNotExist:
        raise Http404 from None
    if not superuser and district.pk not in ids:
        raise Http404
    return district


def get_street_office_board_for_user(user: AnyUser, code: str) -> tuple[StreetOffice, bool]:
    """The street office with ``code`` whose board ``user`` may see, and whether they may
    act on it (False: read-only), else 404.

    Its street officers (and superusers) act on the board; the officers of the district it
    belongs to read it and nothing else (no alert acknowledged, no setting, no record)."""
    try:
        office = StreetOffice.objects.select_related("district").get(code=code)
    except StreetOffice.DoesNotExist:
        raise Http404 from None
    if _is_superuser(user) or any(
        m.role == Role.STREET_OFFICER and m.street_office_id == office.id
        for m in _memberships(user)
    ):
        return office, True
    if office.district_id is not None and office.district_id in _district_ids(user):
        return office, False
    raise Http404
