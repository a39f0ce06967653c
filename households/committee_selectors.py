"""Reads of the committee page: every committee of a compound (the one in office first,
then the history), with members by rank, formation steps and due dates. A fixed number of
queries whatever the number of committees and members."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.utils.translation import gettext as _

from portal.models import Compound

from .committee_checks import MemberMatch, candidate_warnings
from .models import (
    Committee,
    CommitteeCandidate,
    CommitteeFormation,
    CommitteeMember,
    FormationStep,
)
from .selectors import COMMITTEE_ROLE_ORDER, owner_name_shown

#: The term alert's window (the board warns 90 days before the term ends).
TERM_WARNING_DAYS = 90


@dataclass(frozen=True)
class StepRow:
    """One step of a formation as the page shows it."""

    step: str
    label: str
    done_on: dt.date | None
    due: dt.date | None = None
    note: str = ""


def formation_steps(formation: CommitteeFormation | None) -> list[StepRow]:
    """The five steps, each with its date, and the dates the law derives from them: the
    posting's last working day, and the earliest day the committee may be filed."""
    rows = []
    for step in FormationStep:
        done = getattr(formation, step.value) if formation else None
        due, note = None, ""
        if formation is not None and step == FormationStep.PUBLICITY and formation.publicity_end:
            due = formation.publicity_end
            note = _("公示10个工作日，至 %(date)s") % {"date": formation.publicity_end.isoformat()}
        if formation is not None and step == FormationStep.FILED and formation.publicity_end:
            due = formation.publicity_end + dt.timedelta(days=1)
            note = _("公示期满后方可备案（最早 %(date)s）") % {"date": due.isoformat()}
        rows.append(StepRow(step.value, str(step.label), done, due, note))
    return rows


@dataclass(frozen=True)
class CandidateRow:
    """A candidate as the page and the API show it, with the warnings of the moment
    (only while the formation awaits 确定: afterwards the seats carry their own)."""

    candidate: CommitteeCandidate
    match: MemberMatch | None
    name: str  # whole, or masked (张*) for those who may not read names

    @property
    def warnings(self) -> list[str]:
        return self.match.warnings if self.match else []

    @property
    def by_name(self) -> bool:
        return bool(self.match and self.match.by_name)


@dataclass
class CommitteeTerm:
    """One committee (one term, 一届) with its members, formation and state on ``today``."""

    committee: Committee
    members: list[CommitteeMember]
    formation: CommitteeFormation | None
    steps: list[StepRow]
    state: str  # "in_term", "ending", "ended", "past" (replaced by a later committee)
    matches: dict[int, MemberMatch] = field(default_factory=dict)
    candidates: list[CandidateRow] = field(default_factory=list)

    @property
    def member_rows(self) -> list[tuple[CommitteeMember, MemberMatch | None]]:
        """Each member with their roster match and warnings (when they were computed)."""
        return [(m, self.matches.get(m.pk)) for m in self.members]

    @property
    def state_label(self) -> str:
        return {
            "in_term": _("任期内"),
            "ending": _("任期即将届满"),
            "ended": _("任期已届满，尚未换届"),
            "past": _("已换届"),
        }[self.state]


def _ranked_members() -> Prefetch:
    rank = Case(
        *(When(role=role, then=Value(i)) for i, role in enumerate(COMMITTEE_ROLE_ORDER)),
        default=Value(len(COMMITTEE_ROLE_ORDER)),
        output_field=IntegerField(),
    )
    return Prefetch(
        "members",
        queryset=CommitteeMember.objects.annotate(rank=rank).order_by("rank", "name", "pk"),
    )


def _formation_of(committee: Committee) -> CommitteeFormation | None:
    try:
        return committee.formation
    except CommitteeFormation.DoesNotExist:
        return None


def compound_committees(compound: Compound, today: dt.date) -> list[CommitteeTerm]:
    """Every committee of ``compound``, the one in office (latest formed) first (two
    queries)."""
    committees = (
        compound.committees.select_related("formation")
        .prefetch_related(_ranked_members())
        .order_by("-formed_on", "-id")
    )
    terms = []
    for index, c in enumerate(committees):
        if index > 0:
            state = "past"
        elif c.term_end < today:
            state = "ended"
        elif c.term_end <= today + dt.timedelta(days=TERM_WARNING_DAYS):
            state = "ending"
        else:
            state = "in_term"
        formation = _formation_of(c)
        terms.append(
            CommitteeTerm(
                committee=c,
                members=list(c.members.all()),
                formation=formation,
                steps=formation_steps(formation),
                state=state,
            )
        )
    return terms


def pending_formation(compound: Compound) -> CommitteeFormation | None:
    """The formation under way that has no committee yet (announced, not yet confirmed)."""
    return compound.committee_formations.filter(
        filed_on__isnull=True, committee__isnull=True
    ).first()


def formation_candidates(
    compound: Compound,
    formations: Sequence[CommitteeFormation | None],
    *,
    names_visible: bool = True,
) -> dict[int, list[CandidateRow]]:
    """The candidates of ``formations`` by formation id, in the order nominated, with
    eligibility warnings for those of formations not yet confirmed. One query for the
    candidates plus the checks' fixed number, whatever the number of candidates."""
    ids = [f.pk for f in formations if f is not None]
    rows: dict[int, list[CandidateRow]] = {pk: [] for pk in ids}
    if not ids:
        return rows
    candidates = list(
        compound.committee_candidates.filter(formation_id__in=ids).order_by("formation_id", "id")
    )
    open_ids = {f.pk for f in formations if f is not None and f.confirmed_on is None}
    checked = [c for c in candidates if c.formation_id in open_ids]
    matches = candidate_warnings(compound, checked) if checked else {}
    for c in candidates:
        rows[c.formation_id].append(
            CandidateRow(
                c, matches.get(c.pk), owner_name_shown(c.name, names_visible=names_visible)
            )
        )
    return rows


def compound_formations(compound: Compound) -> list[CommitteeFormation]:
    """Every formation of ``compound`` (re-formations included), the latest announced
    first, with its committee (one query)."""
    return list(
        compound.committee_formations.select_related("committee").order_by("-announced_on", "-id")
    )
