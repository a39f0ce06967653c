"""Ballots: the online vote, and the one place any ballot is written, changed and audited
(its receipt code goes into the audit record)."""

import datetime as dt
from collections.abc import Mapping

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal.audit import audit_record

from ..models import Ballot, Channel, Choice, Decision, DecisionState, Item, Proxy, RollEntry
from . import turnout_counts
from ._common import _lock_entry, _now, _user, _window
from .proxies import _revoke_proxy_in_person


def _check_choice(choice: str) -> None:
    if choice not in Choice.values:
        raise ValidationError({"choice": _("表决意见须为同意、反对或弃权")})


def _check_in_scope(item: Item, entry: RollEntry) -> None:
    scope = [row.building_id for row in item.scope_rows.all()]
    if scope and not entry.units.filter(building_id__in=scope).exists():
        raise ValidationError(
            _("事项“%(item)s”仅由所涉楼栋的业主表决，该业主不在表决范围内") % {"item": item.title}
        )


def _ballot_audit_data(ballot: Ballot, extra: dict | None = None) -> dict:
    return {
        "decision": ballot.decision_id,
        "item": ballot.item_id,
        "voter": ballot.entry.number,
        "choice": ballot.choice,
        "channel": ballot.channel,
        "receipt": ballot.receipt_code,
        **(extra or {}),
    }


def _ballot_audit(
    action: str, ballot: Ballot, actor: User | None, extra: dict | None = None
) -> None:
    audit_record(
        action=action,
        actor=actor,
        compound=ballot.compound,
        obj=ballot,
        data=_ballot_audit_data(ballot, extra),
    )


def _write_ballot(
    *,
    item: Item,
    entry: RollEntry,
    choice: str,
    channel: Channel,
    actor: User | None,
    at: dt.datetime,
    proxy: Proxy | None = None,
    may_change: bool = False,
    in_person: bool = False,
) -> Ballot:
    """Insert (or, where allowed, change) one ballot. The caller holds the entry's lock."""
    existing = Ballot.objects.filter(item=item, entry=entry).first()
    if existing is not None:
        # The owner's own ballot overrides what their proxy cast (the proxy is revoked).
        overrides_proxy = in_person and existing.channel == Channel.PROXY
        if not (may_change or overrides_proxy):
            raise ValidationError(
                _("已对事项“%(item)s”投过票，不能重复投票") % {"item": item.title}
            )
        old = existing.choice
        existing.choice = choice
        existing.channel = channel
        existing.proxy = proxy
        existing.cast_by = _user(actor)
        existing.changed_at = at
        existing.full_clean()
        existing.save()
        _ballot_audit("voting.ballot.change", existing, actor, {"previous_choice": old})
        return existing
    ballot = Ballot(
        compound=item.compound,
        decision_id=item.decision_id,
        item=item,
        entry=entry,
        choice=choice,
        channel=channel,
        proxy=proxy,
        cast_by=_user(actor),
        cast_at=at,
    )
    ballot.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            ballot.save()
    except IntegrityError:
        raise ValidationError(
            _("已对事项“%(item)s”投过票，不能重复投票") % {"item": item.title}
        ) from None
    if entry.voted_at is None:
        entry.voted_at = at
        entry.save(update_fields=["voted_at"])
    _ballot_audit("voting.ballot.cast", ballot, actor)
    return ballot


@transaction.atomic
def ballot_cast(
    *,
    decision: Decision,
    entry: RollEntry | int,
    user: User,
    choices: Mapping[int, str],
    at: dt.datetime | None = None,
) -> list[Ballot]:
    """A resident votes online on their own roll row (or as an active proxy's holder), one
    choice per item. Everything is checked before anything is written."""
    at = _now(at)
    decision = Decision.objects.select_related("compound").get(pk=decision.pk)
    if decision.state != DecisionState.OPEN:
        raise ValidationError(_("该决定当前不在投票期内"))
    opens, closes = _window(decision)
    if at < opens:
        raise ValidationError(_("投票尚未开始"))
    if at > closes:
        raise ValidationError(_("投票已截止"))
    entry = _lock_entry(decision, entry)
    in_person = entry.owner is not None and entry.owner.user_id == user.pk
    proxy = None
    if not in_person:
        proxy = entry.proxies.filter(revoked_at__isnull=True, holder_user=user).first()
        if proxy is None:
            raise ValidationError(_("您不在本次表决名册上，或不是该业主的代表/受托人"))
    if not choices:
        raise ValidationError(_("请至少对一个事项表决"))
    items = {i.pk: i for i in decision.items.prefetch_related("scope_rows")}
    for item_id, choice in choices.items():
        if int(item_id) not in items:
            raise ValidationError(_("表决事项不属于本决定"))
        _check_choice(choice)
        if choice == Choice.SPOILED:
            raise ValidationError({"choice": _("网上投票只能选择同意、反对或弃权")})
        _check_in_scope(items[int(item_id)], entry)
    if in_person:
        _revoke_proxy_in_person(entry, user, at)
    first_vote = entry.voted_at is None
    ballots = [
        _write_ballot(
            item=items[int(item_id)],
            entry=entry,
            choice=choice,
            channel=Channel.ONLINE if in_person else Channel.PROXY,
            actor=user,
            at=at,
            proxy=proxy,
            may_change=decision.allow_changes_until_close,
            in_person=in_person,
        )
        for item_id, choice in sorted(choices.items())
    ]
    _count_votes(decision, entry, ballots, first_vote=first_vote)
    return ballots


def _count_votes(
    decision: Decision, entry: RollEntry, ballots: list[Ballot], *, first_vote: bool
) -> None:
    """Add the voter's new ballots to the kept turnout (a changed ballot, which
    :func:`_write_ballot` stamps ``changed_at``, is no new vote)."""
    turnout_counts.record_votes(
        decision,
        ballots=[(entry.pk, b.item_id) for b in ballots if b.changed_at is None],
        first_voters=[entry.pk] if first_vote and ballots else [],
    )
