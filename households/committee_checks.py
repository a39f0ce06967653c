"""Eligibility warnings on committee members (物管会委员资格提示), and the hooks through
which apps above households add what only they know.

Households knows the roster: an owner representative (业主代表) must be an owner of the
compound (BJ 54), so one who holds no unit on the roster is flagged. Whether a member's
units owe fees is known to ``fees``, which households may not import (layers: fees sits
above households); the board registers that check at start-up
(:mod:`board.committee_checks`), so the committee page shows it without households
depending on fees.

Candidates nominated at a formation's 推荐 step go through the same checks
(:func:`candidate_warnings`), plus what only a list of candidates shows: the same name
nominated twice, and a chair not from the residents' committee (BJ 54).

Warnings are advisory: the street office decides; nothing is refused because of them.

Members are matched to the roster by their login (an owner record linked to the member's
account) and otherwise by exact name among the compound's current owners; a match by name
alone says so, since two people may share a name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from portal.models import Compound

from .models import CandidateKind, CommitteeCandidate, CommitteeMember, CommitteeRole, OwnerKind

#: A seated member or a candidate for a seat: the checks read ``name``, ``role`` and
#: (members only) ``user_id``.
Person = CommitteeMember | CommitteeCandidate


@dataclass
class MemberMatch:
    """One member (or candidate) and the units the roster says they currently own."""

    member: Person
    unit_ids: list[int] = field(default_factory=list)
    by_name: bool = False  # matched by name only (no linked account)
    warnings: list[str] = field(default_factory=list)

    @property
    def must_own(self) -> bool:
        """Stands as an owner: an owner representative's seat (业主代表, BJ 54), or a
        candidate nominated as an owner."""
        if isinstance(self.member, CommitteeCandidate) and self.member.kind == CandidateKind.OWNER:
            return True
        return self.member.role == CommitteeRole.OWNER_REPRESENTATIVE


#: A check over the matched members of one compound: adds its warnings to each match.
MemberCheck = Callable[[Compound, Sequence[MemberMatch]], None]
#: Called after a committee or its formation changed (on commit), e.g. to refresh alerts.
ChangeListener = Callable[[Compound], None]

_member_checks: list[MemberCheck] = []
_change_listeners: list[ChangeListener] = []


def register_member_check(check: MemberCheck) -> None:
    if check not in _member_checks:
        _member_checks.append(check)


def register_change_listener(listener: ChangeListener) -> None:
    if listener not in _change_listeners:
        _change_listeners.append(listener)


def committee_changed(compound: Compound) -> None:
    """Tell the registered listeners (the services call this on commit)."""
    for listener in list(_change_listeners):
        listener(compound)


def _user_id(person: Person) -> int | None:
    return person.user_id if isinstance(person, CommitteeMember) else None


def match_members(compound: Compound, members: Sequence[Person]) -> list[MemberMatch]:
    """Each member (or candidate) with the units they own today (one query for all of
    them): by their linked account, else by name among the owners who are persons."""
    matches = [MemberMatch(m) for m in members]
    if not matches:
        return matches
    user_ids = {m.user_id for m in members if isinstance(m, CommitteeMember) and m.user_id}
    names = {m.name for m in members}
    rows = (
        compound.ownerships.current()
        .filter(
            Q(owner__user_id__in=user_ids) | Q(owner__name__in=names, owner__kind=OwnerKind.PERSON)
        )
        .values_list("unit_id", "owner__user_id", "owner__name")
        .order_by("unit_id")
    )
    by_user: dict[int, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for unit_id, user_id, name in rows:
        if user_id:
            by_user.setdefault(user_id, []).append(unit_id)
        by_name.setdefault(name, []).append(unit_id)
    for match in matches:
        m = match.member
        linked = _user_id(m)
        if linked and linked in by_user:
            match.unit_ids = sorted(set(by_user[linked]))
        elif m.name in by_name:
            match.unit_ids = sorted(set(by_name[m.name]))
            match.by_name = True
    return matches


def _roster_check(compound: Compound, matches: Sequence[MemberMatch]) -> None:
    for match in matches:
        if match.must_own and not match.unit_ids:
            match.warnings.append(_("业主代表须为本小区业主：花名册中没有此人名下的房屋（BJ 54）"))


def _normalised(name: str) -> str:
    return "".join(name.split()).casefold()


def _duplicate_check(matches: Sequence[MemberMatch]) -> None:
    """The same name nominated twice in one formation (two people may share a name:
    a warning, not a refusal)."""
    seen: dict[tuple[int, str], int] = {}
    for match in matches:
        candidate = match.member
        if isinstance(candidate, CommitteeCandidate):
            key = (candidate.formation_id, _normalised(candidate.name))
            seen[key] = seen.get(key, 0) + 1
    for match in matches:
        candidate = match.member
        if isinstance(candidate, CommitteeCandidate):
            count = seen[(candidate.formation_id, _normalised(candidate.name))]
            if count > 1:
                match.warnings.append(
                    _("同一姓名被推荐了 %(count)s 次：请核实是否重复推荐") % {"count": count}
                )


def _chair_check(matches: Sequence[MemberMatch]) -> None:
    """BJ 54: the chair (主任) comes from the residents' committee."""
    for match in matches:
        candidate = match.member
        if (
            isinstance(candidate, CommitteeCandidate)
            and candidate.role == CommitteeRole.CHAIR
            and candidate.kind != CandidateKind.RESIDENTS_COMMITTEE
        ):
            match.warnings.append(_("物管会主任应由社区居委会代表担任（BJ 54）"))


def member_warnings(
    compound: Compound, members: Sequence[CommitteeMember]
) -> Mapping[int, MemberMatch]:
    """Every member's match and warnings, by member id: the roster check here, then each
    registered check (a fixed number of queries whatever the number of members)."""
    matches = match_members(compound, members)
    _roster_check(compound, matches)
    for check in list(_member_checks):
        check(compound, matches)
    return {m.member.pk: m for m in matches}


def candidate_warnings(
    compound: Compound, candidates: Sequence[CommitteeCandidate]
) -> Mapping[int, MemberMatch]:
    """Every candidate's match and warnings, by candidate id: the members' checks (the
    roster, then each registered one, e.g. arrears) and the candidates' own (the same
    name twice in a formation, a chair not from the residents' committee). Pass all the
    candidates of a formation, so duplicates are seen. A fixed number of queries."""
    matches = match_members(compound, candidates)
    _roster_check(compound, matches)
    _duplicate_check(matches)
    _chair_check(matches)
    for check in list(_member_checks):
        check(compound, matches)
    return {m.member.pk: m for m in matches}
