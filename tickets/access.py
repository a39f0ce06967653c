"""Who may see and handle which requests: the request for this user, or 404.

- The street office, the committee and the service company see every request of the
  compound and handle them (assign, progress, resolve, close) and read the rates.
- A property-right unit's representative sees the requests assigned to property-right
  units.
- A resident sees only the requests they filed themselves (and the compound's public
  counts).
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from portal.access import AnyUser, acting_roles, get_compound_for_user
from portal.models import Compound, Role

from .models import Party, Request

#: Who sees every request of the compound, handles them and reads the rates.
HANDLERS = frozenset({Role.STREET_OFFICER, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF})
#: Who reads the three city measures (响应率, 解决率, 满意率).
RATE_READERS = HANDLERS
#: Who imports and exports the 12345 hotline's cases.
HOTLINE_KEEPERS = frozenset({Role.STREET_OFFICER})


def is_handler(user: AnyUser, compound: Compound) -> bool:
    return bool(acting_roles(user, compound) & HANDLERS)


def requests_for_user(user: AnyUser, compound: Compound) -> QuerySet[Request]:
    """The requests of ``compound`` that ``user`` may see (none for anyone else)."""
    requests = Request.objects.filter(compound=compound)
    roles = acting_roles(user, compound)
    if roles & HANDLERS:
        return requests
    scope = Q()
    if Role.PROPERTY_UNIT_REP in roles:
        scope |= Q(assigned_party=Party.PROPERTY_RIGHT_UNIT)
    if Role.RESIDENT in roles:
        scope |= Q(reporter_id=user.pk)
    if not scope:
        return requests.none()
    return requests.filter(scope)


def get_request_for_user(user: AnyUser, code: str, request_id: int) -> Request:
    """A request the user may see (see :func:`requests_for_user`), or 404."""
    compound = get_compound_for_user(user, code)
    try:
        request = (
            requests_for_user(user, compound)
            .select_related("category", "unit__building", "building", "assignee", "reporter")
            .get(pk=request_id)
        )
    except Request.DoesNotExist:
        raise Http404 from None
    request.compound = compound
    return request
