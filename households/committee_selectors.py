"""Reads of the committee page: every committee of a compound (the one in office first,
then the history), with members by rank, formation steps and due dates. A fixed number of
queries whatever the number of committees and members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.utils.translation import gettext as _

from portal.models import Compound

from .committee_checks import MemberMatch
from .models import Committee, CommitteeFormation, CommitteeMember, FormationStep
from .selectors import COMMITTEE_ROLE_ORDER

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


@dataclass
class CommitteeTerm:
    """One committee (one term, 一届) with its members, formation and state on ``today``."""

    committee: Committee
    members: list[CommitteeMember]
    formation: CommitteeFormation | None
    steps: list[StepRow]
    state: str  # "in_term", "ending", "ended", "past" (replaced by a later committee)
    matches: dict[int, MemberMatch] = field(default_factory=dict)

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
