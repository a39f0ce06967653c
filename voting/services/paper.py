"""Paper ballots (书面选票): double entry by two committee members, the review queue for
keyings that differ, and the import of ballots counted before the portal was in use."""

import datetime as dt
from collections.abc import Mapping

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.audit import audit_record, audit_record_many

from ..models import (
    Ballot,
    Channel,
    Decision,
    DecisionState,
    PaperEntry,
    PaperEntryStatus,
    RollEntry,
)
from . import turnout_counts
from ._common import _lock_entry, _now, _require_state
from .ballots import (
    _ballot_audit_data,
    _check_choice,
    _count_votes,
    _write_ballot,
)
from .proxies import _revoke_proxy_in_person

#: A paper ballot's choices by item id, as a page (int keys) or the API (str keys) has them.
PaperChoices = Mapping[int, str] | Mapping[str, str]


def _normalise_choices(
    decision: Decision, entry: RollEntry, choices: PaperChoices
) -> dict[str, str]:
    """The choices for exactly the items this voter may vote on, keyed by item id."""
    items = list(decision.items.prefetch_related("scope_rows"))
    wanted = {}
    for item in items:
        scope = [row.building_id for row in item.scope_rows.all()]
        if not scope or entry.units.filter(building_id__in=scope).exists():
            wanted[str(item.pk)] = item
    given = {str(k): v for k, v in choices.items() if v}
    extra = set(given) - set(wanted)
    if extra:
        raise ValidationError(_("选票上有该业主不能表决的事项"))
    missing = [wanted[k].title for k in wanted if k not in given]
    if missing:
        raise ValidationError(
            _("请录入以下事项的表决意见（无法辨认请选废票）：") + "、".join(missing)
        )
    for choice in given.values():
        _check_choice(choice)
    return dict(sorted(given.items()))


def _in_scope(scope: set[int] | None, entry_id: int) -> bool:
    """Whether a roll row votes on an item limited to ``scope`` (None: the whole compound)."""
    return scope is None or entry_id in scope


def _paper_ballots(
    decision: Decision,
    entry: RollEntry,
    choices: dict[str, str],
    actor: User | None,
    at: dt.datetime,
) -> list[Ballot]:
    _revoke_proxy_in_person(entry, actor, at)
    items = {str(i.pk): i for i in decision.items.all()}
    first_vote = entry.voted_at is None
    ballots = [
        _write_ballot(
            item=items[item_id],
            entry=entry,
            choice=choice,
            channel=Channel.PAPER,
            actor=actor,
            at=at,
            in_person=True,
        )
        for item_id, choice in choices.items()
    ]
    _count_votes(decision, entry, ballots, first_vote=first_vote)
    return ballots


@transaction.atomic
def paper_entry_record(
    *,
    decision: Decision,
    ballot_code: str,
    actor: User,
    choices: PaperChoices,
    at: dt.datetime | None = None,
) -> PaperEntry:
    """One member keys one paper ballot. The second keying by another member either
    confirms it (the ballots are created) or sends both keyings to the review queue."""
    at = _now(at)
    decision = Decision.objects.select_related("compound").get(pk=decision.pk)
    if decision.state not in (DecisionState.OPEN, DecisionState.CLOSED):
        raise ValidationError(_("只有投票中或投票结束待计票的决定可以录入书面选票"))
    code = (ballot_code or "").strip().upper()
    entry_id = decision.roll.filter(ballot_code=code).values_list("id", flat=True).first()
    if entry_id is None:
        raise ValidationError(
            {"ballot_code": _("选票编码 %(code)s 不属于本次表决") % {"code": code}}
        )
    entry = _lock_entry(decision, entry_id)
    if entry.ballots.exclude(channel=Channel.PROXY).exists():
        raise ValidationError(
            {"ballot_code": _("该业主的选票已计入（已录入或已网上投票），不能重复录入")}
        )
    previous = list(entry.paper_entries.all())
    if any(p.entered_by_id == actor.pk for p in previous):
        raise ValidationError(_("同一委员不能重复录入同一张选票，须由另一名委员录入"))
    if any(p.status == PaperEntryStatus.MISMATCH for p in previous):
        raise ValidationError(_("该选票两次录入不一致，正在复核队列中"))
    normalised = _normalise_choices(decision, entry, choices)
    paper = PaperEntry(
        compound=decision.compound,
        decision=decision,
        entry=entry,
        entered_by=actor,
        choices=normalised,
    )
    first = next((p for p in previous if p.status == PaperEntryStatus.PENDING), None)
    if first is not None:
        status = (
            PaperEntryStatus.CONFIRMED if first.choices == normalised else PaperEntryStatus.MISMATCH
        )
        paper.status = status
        first.status = status
        first.save(update_fields=["status"])
    paper.full_clean(validate_constraints=False)
    paper.save()
    audit_record(
        action="voting.paper.entry",
        actor=actor,
        compound=decision.compound,
        obj=paper,
        data={"voter": entry.number, "choices": normalised, "status": paper.status},
    )
    if paper.status == PaperEntryStatus.CONFIRMED:
        _paper_ballots(decision, entry, normalised, actor, at)
    return paper


@transaction.atomic
def paper_entry_resolve(
    *,
    decision: Decision,
    entry: RollEntry | int,
    actor: User,
    choices: PaperChoices,
    at: dt.datetime | None = None,
) -> list[Ballot]:
    """Review a mismatch against the paper ballot itself and record what it says."""
    at = _now(at)
    decision = Decision.objects.select_related("compound").get(pk=decision.pk)
    if decision.state not in (DecisionState.OPEN, DecisionState.CLOSED):
        raise ValidationError(_("只有投票中或投票结束待计票的决定可以复核书面选票"))
    entry = _lock_entry(decision, entry)
    mismatched = list(entry.paper_entries.filter(status=PaperEntryStatus.MISMATCH))
    if not mismatched:
        raise ValidationError(_("该选票不在复核队列中"))
    normalised = _normalise_choices(decision, entry, choices)
    for paper in mismatched:
        paper.status = PaperEntryStatus.RESOLVED
        paper.resolved_by = actor
        paper.resolved_at = at
        paper.save(update_fields=["status", "resolved_by", "resolved_at"])
    audit_record(
        action="voting.paper.correction",
        actor=actor,
        compound=decision.compound,
        obj=entry,
        data={
            "voter": entry.number,
            "choices": normalised,
            "keyed": [p.choices for p in mismatched],
        },
    )
    return _paper_ballots(decision, entry, normalised, actor, at)


# --- historical import ---------------------------------------------------------------------


@transaction.atomic
def paper_ballots_import(
    *,
    decision: Decision,
    actor: User | None,
    choices_by_entry: Mapping[int, str],
    at: dt.datetime,
) -> int:
    """Record paper ballots that were counted outside the portal (a vote held before it was
    in use), one choice per voter for every item in the voter's scope. Not offered on any
    page: ballots keyed today go through :func:`paper_entry_record`. Each ballot is still
    audited with its own entry (appended in one batch). Returns the number of ballots."""
    decision = (
        Decision.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=decision.pk)
    )
    _require_state(decision, DecisionState.OPEN, message=_("只有投票中的决定可以导入书面选票"))
    if decision.ballots.filter(entry_id__in=list(choices_by_entry)).exists():
        raise ValidationError(_("导入的业主中有人已经投票"))
    for choice in choices_by_entry.values():
        _check_choice(choice)
    items = list(decision.items.prefetch_related("scope_rows"))
    in_scope: dict[int, set[int] | None] = {
        item.pk: set(
            decision.roll_units.filter(
                building_id__in=[r.building_id for r in item.scope_rows.all()]
            ).values_list("entry_id", flat=True)
        )
        if item.scope_rows.all()
        else None
        for item in items
    }
    entries = {e.pk: e for e in decision.roll.filter(pk__in=list(choices_by_entry))}
    if len(entries) != len(choices_by_entry):
        raise ValidationError(_("该业主不在本次表决名册上"))
    ownerless = [e.units_label for e in entries.values() if e.is_ownerless]
    if ownerless:
        raise ValidationError(
            _("%(units)s 无登记业主，计入总人数和总面积，但不能投票或委托")
            % {"units": "、".join(ownerless)}
        )
    ballots = [
        Ballot(
            compound=decision.compound,
            decision=decision,
            item=item,
            entry=entries[entry_id],
            choice=choice,
            channel=Channel.PAPER,
            cast_by=actor,
            cast_at=at,
        )
        for entry_id, choice in sorted(choices_by_entry.items())
        for item in items
        if _in_scope(in_scope[item.pk], entry_id)
    ]
    Ballot.objects.bulk_create(ballots, batch_size=2000)
    first_voters = list(
        decision.roll.filter(pk__in=list(choices_by_entry), voted_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    decision.roll.filter(pk__in=first_voters).update(voted_at=at)
    imported = decision.ballots.filter(entry_id__in=list(choices_by_entry)).select_related("entry")
    audit_record_many(
        action="voting.ballot.import",
        actor=actor,
        compound=decision.compound,
        entries=((ballot, _ballot_audit_data(ballot)) for ballot in imported),
    )
    turnout_counts.record_votes(
        decision,
        ballots=[(ballot.entry_id, ballot.item_id) for ballot in ballots],
        first_voters=first_voters,
    )
    return len(ballots)
