"""Access to the voting app's objects: one helper per kind, for pages and API alike.

Each ``get_<thing>_for_user`` returns the object for this user or raises 404, so forbidden
and absent look the same. Objects under a decision (proxies, roll rows) are looked up from
a decision that :func:`get_decision_for_user` already returned."""

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from households.models import Building
from portal.access import check_compound_access, has_role, is_staff_in
from portal.models import Compound, Role

from . import selectors
from .models import Ballot, Decision, DecisionState, Proxy, RollEntry

AnyUser = User | AnonymousUser

#: Who runs the vote: committee members (BJ 52–58).
MANAGERS = frozenset({Role.COMMITTEE_MEMBER})
#: Who may watch turnout and the not-yet-voted lists (扫楼): the committee and the street
#: office that guides it.
CANVASSERS = frozenset({Role.COMMITTEE_MEMBER, Role.STREET_OFFICER})


def decisions_for_user(user: AnyUser, compound: Compound) -> QuerySet[Decision]:
    """The decisions of ``compound`` the user may open: drafts are for those who manage
    the compound; residents see a decision once announced."""
    decisions = compound.decisions.all()
    if not is_staff_in(user, compound):
        decisions = decisions.exclude(state=DecisionState.DRAFT)
    return decisions


def get_decision_for_user(
    user: AnyUser, code: str, decision_id: int, roles: Iterable[Role] | None = None
) -> Decision:
    """The decision of compound ``code`` if ``user`` holds one of ``roles`` there (and may
    see a draft when it is one), else 404."""
    # The decision and its compound in one query; the role check follows (404 either way).
    # The role check needs only the compound's street office id, not the office's row.
    try:
        decision = Decision.objects.select_related("compound").get(
            compound__code=code, pk=decision_id
        )
    except Decision.DoesNotExist:
        raise Http404 from None
    check_compound_access(user, decision.compound, roles)
    if decision.state == DecisionState.DRAFT and not is_staff_in(user, decision.compound):
        raise Http404
    return decision


def get_public_decision(code: str, decision_id: int, states: Iterable[str]) -> Decision:
    """A decision on the public pages (no login): only in one of ``states``, else 404."""
    try:
        return Decision.objects.select_related("compound").get(
            compound__code=code, pk=decision_id, state__in=list(states)
        )
    except Decision.DoesNotExist:
        raise Http404 from None


def may_create_decision(user: AnyUser, compound: Compound) -> bool:
    return has_role(user, compound, MANAGERS)


def may_manage(user: AnyUser, decision: Decision) -> bool:
    return may_create_decision(user, decision.compound)


def may_see_tally(user: AnyUser, decision: Decision) -> bool:
    """Staff see the tally once voting has closed; residents once it is published."""
    if decision.state == DecisionState.PUBLISHED:
        return True
    if not decision.may_be_tallied:
        return False
    return is_staff_in(user, decision.compound)


def proxies_for_user(user: AnyUser, decision: Decision) -> QuerySet[Proxy]:
    """The proxies of ``decision``, each with ``has_voted`` (its holder voted under it),
    newest first; none for whoever does not manage the decision."""
    if not may_manage(user, decision):
        return decision.proxies.none()
    return (
        decision.proxies.select_related("entry", "holder_user")
        .annotate(has_voted=Exists(Ballot.objects.filter(proxy=OuterRef("pk"))))
        .order_by("-created_at")
    )


def get_proxy_for_user(user: AnyUser, decision: Decision, proxy_id: int) -> Proxy:
    """A proxy of ``decision`` for whoever manages it, else 404."""
    try:
        return proxies_for_user(user, decision).get(pk=proxy_id)
    except Proxy.DoesNotExist:
        raise Http404 from None


def get_roll_entry_for_user(user: AnyUser, decision: Decision, entry_id: object) -> RollEntry:
    """A row of the decision's roll, for whoever manages the decision, else 404."""
    if not may_manage(user, decision):
        raise Http404
    try:
        return decision.roll.get(pk=int(str(entry_id)))
    except (RollEntry.DoesNotExist, ValueError):
        raise Http404 from None


def get_roll_entry_by_number(user: AnyUser, decision: Decision, number: int) -> RollEntry:
    """The roll row with voter number ``number`` (名册序号), for whoever manages the
    decision (404 otherwise); a number not on the roll is the caller's input error."""
    if not may_manage(user, decision):
        raise Http404
    entry = decision.roll.filter(number=number).first()
    if entry is None:
        raise ValidationError({"voter_number": _("名册中没有该序号")})
    return entry


def get_voting_entry_for_user(user: AnyUser, decision: Decision, number: int | None) -> RollEntry:
    """The roll row ``user`` casts a ballot for: their own or one whose active proxy they
    hold; ``number`` (名册序号) is needed only when they may vote for several."""
    entries = selectors.roll_entries_for_user(decision, user)
    if number is not None:
        entries = entries.filter(number=number)
    found = list(entries[:2])
    if not found:
        raise ValidationError(_("您不在本次表决名册上"))
    if len(found) > 1:
        raise ValidationError({"entry": _("您可为多名业主投票，请指定名册序号")})
    return found[0]


def get_building_for_user(user: AnyUser, decision: Decision, building_id: object) -> Building:
    """A building of the decision's compound, for whoever manages the decision, else 404."""
    if not may_manage(user, decision):
        raise Http404
    try:
        return decision.compound.buildings.get(pk=int(str(building_id)))
    except (Building.DoesNotExist, ValueError):
        raise Http404 from None
