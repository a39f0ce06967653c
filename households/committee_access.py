"""Who reads and who writes the committee's records (the page and the API alike).

The compound's staff read the committee page (street officers, committee members, the
service company's staff, property-right units' representatives); only the street
officers of its street office, who form the committee (BJ 52), write its formation:
steps, candidates, corrections. Anyone else gets 404, as for anything of a compound
that is not theirs."""

from django.http import Http404

from portal.access import AnyUser, get_compound_for_user, has_role
from portal.models import STAFF_ROLES, Compound, Role

from .models import CommitteeFormation

COMMITTEE_READERS = STAFF_ROLES
COMMITTEE_WRITERS = frozenset({Role.STREET_OFFICER})


def can_write_committee(user: AnyUser, compound: Compound) -> bool:
    return has_role(user, compound, COMMITTEE_WRITERS)


def get_formation_for_user(user: AnyUser, code: str, formation_id: int) -> CommitteeFormation:
    """A formation of the compound ``code`` for those who read its committee, or 404 (an
    id of another compound answers as a missing one)."""
    compound = get_compound_for_user(user, code, COMMITTEE_READERS)
    try:
        formation = compound.committee_formations.get(pk=formation_id)
    except CommitteeFormation.DoesNotExist:
        raise Http404 from None
    formation.compound = compound
    return formation
