"""Access to decisions: the decision for this user, or 404 (forbidden looks like absent)."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404

from portal.access import get_compound_for_user, roles_in
from portal.models import STAFF_ROLES, Role

from .models import Decision, DecisionState

#: Who runs the vote: committee members (BJ 52–58).
MANAGERS = frozenset({Role.COMMITTEE_MEMBER})
#: Who may watch turnout and the not-yet-voted lists (扫楼): the committee and the street
#: office that guides it.
CANVASSERS = frozenset({Role.COMMITTEE_MEMBER, Role.STREET_OFFICER})


def get_decision_for_user(
    user: AbstractBaseUser, code: str, decision_id: int, roles: Iterable[Role] | None = None
) -> Decision:
    """The decision of compound ``code`` if ``user`` holds one of ``roles`` there. Drafts
    are for those who manage the compound; residents see a decision once announced."""
    compound = get_compound_for_user(user, code, roles)
    decisions = compound.decisions.select_related("compound", "compound__street_office")
    is_staff = user.is_superuser or bool(roles_in(user, compound) & STAFF_ROLES)
    if not is_staff:
        decisions = decisions.exclude(state=DecisionState.DRAFT)
    try:
        return decisions.get(pk=decision_id)
    except Decision.DoesNotExist:
        raise Http404 from None


def may_manage(user: AbstractBaseUser, decision: Decision) -> bool:
    return user.is_superuser or bool(roles_in(user, decision.compound) & MANAGERS)


def may_see_tally(user: AbstractBaseUser, decision: Decision) -> bool:
    """Staff see the tally once voting has closed; residents once it is published."""
    if decision.state == DecisionState.PUBLISHED:
        return True
    if not decision.may_be_tallied:
        return False
    return user.is_superuser or bool(roles_in(user, decision.compound) & STAFF_ROLES)
