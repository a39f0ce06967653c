"""Private helpers shared by the voting services: time, the acting user, and the locks
every change starts from (a decision in an expected state, a voter's roll row)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record

from ..models import Decision, DecisionState, RollEntry, StateChange

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _minute(moment: dt.datetime) -> str:
    """A moment as people read it in messages: local time to the minute."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _user(actor: User | AnonymousUser | None) -> User | None:
    """The actor to store on a row: None for the system or an anonymous caller."""
    return actor if actor is not None and actor.is_authenticated else None


def _change_state(
    decision: Decision, to_state: DecisionState, actor: User | None, at: dt.datetime
) -> None:
    StateChange.objects.create(
        compound=decision.compound,
        decision=decision,
        from_state=decision.state,
        to_state=to_state,
        actor=_user(actor),
        at=at,
    )
    audit_record(
        action="voting.decision.state",
        actor=actor,
        compound=decision.compound,
        obj=decision,
        data={"from": decision.state, "to": str(to_state), "at": at.isoformat()},
    )
    decision.state = to_state


def _window(decision: Decision) -> tuple[dt.datetime, dt.datetime]:
    """The voting window (opens, closes). Set on every announced decision (the
    announcement refuses a decision without it), so a missing end is that refusal."""
    if decision.voting_opens_at is None or decision.voting_closes_at is None:
        raise ValidationError(_("公告前须设定投票开始和截止时间"))
    return decision.voting_opens_at, decision.voting_closes_at


def _require_state(decision: Decision, *states: DecisionState, message: StrOrPromise) -> None:
    if decision.state not in states:
        raise ValidationError(message)


def _locked(decision_id: int, *states: DecisionState, message: StrOrPromise) -> Decision:
    """The decision re-read under a row lock, refused with ``message`` unless it is in one
    of ``states``: every change of a decision starts here."""
    decision = (
        Decision.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=decision_id)
    )
    _require_state(decision, *states, message=message)
    return decision


def _advance(
    decision: Decision,
    to_state: DecisionState,
    *,
    stamp: str,
    actor: User | None,
    at: dt.datetime,
) -> Decision:
    """Move a locked decision on: its ``stamp`` time field, the state log and the audit."""
    setattr(decision, stamp, at)
    _change_state(decision, to_state, actor, at)
    decision.full_clean()
    decision.save()
    return decision


def _lock_entry(decision: Decision, entry: RollEntry | int) -> RollEntry:
    """The voter's roll row under a lock: every write for one voter queues on it."""
    entry_id = entry.pk if isinstance(entry, RollEntry) else entry
    try:
        # of=self: the owner is joined from the nullable side (ownerless units).
        locked = (
            decision.roll.select_for_update(of=("self",))
            .select_related("owner", "compound")
            .get(pk=entry_id)
        )
    except RollEntry.DoesNotExist:
        raise ValidationError(_("该业主不在本次表决名册上")) from None
    if locked.is_ownerless:
        # Counted in the totals, but nobody holds the right to vote for it (SPC 9(1)).
        raise ValidationError(
            _("%(units)s 无登记业主，计入总人数和总面积，但不能投票或委托")
            % {"units": locked.units_label}
        )
    return locked
