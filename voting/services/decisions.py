"""Decisions and their items while a draft, and the procedure that moves a decision on:
announce (the roll is frozen), open, close, count, publish."""

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.audit import audit_record
from portal.models import Compound

from .. import rules, selectors
from ..models import DRAFT_SETTINGS, Decision, DecisionState, Item, ItemBuilding, PaperEntryStatus
from ._common import _advance, _locked, _minute, _now, _require_state, _user, _window
from .roll import roll_freeze

NOTICE_PERIOD = dt.timedelta(days=15)  # BJ 35: agenda published ≥ 15 days before voting
PUBLICATION_PERIOD = dt.timedelta(days=3)  # BJ 37: result published within 3 days


# --- decisions and items -------------------------------------------------------------------


@transaction.atomic
def decision_create(
    *,
    compound: Compound,
    actor: User | None,
    title: str,
    description: str = "",
    voting_opens_at: dt.datetime | None = None,
    voting_closes_at: dt.datetime | None = None,
    spoiled_counts_as_participating: bool = False,
    allow_changes_until_close: bool = False,
    adopted_rules_follow_majority: bool = False,
) -> Decision:
    decision = Decision(
        compound=compound,
        title=title,
        description=description,
        voting_opens_at=voting_opens_at,
        voting_closes_at=voting_closes_at,
        spoiled_counts_as_participating=spoiled_counts_as_participating,
        allow_changes_until_close=allow_changes_until_close,
        adopted_rules_follow_majority=adopted_rules_follow_majority,
        created_by=_user(actor),
    )
    _check_window(decision)
    decision.full_clean()
    decision.save()
    audit_record(
        action="voting.decision.create",
        actor=actor,
        compound=compound,
        obj=decision,
        data={"title": title},
    )
    return decision


def _check_window(decision: Decision) -> None:
    if (
        decision.voting_opens_at
        and decision.voting_closes_at
        and decision.voting_closes_at <= decision.voting_opens_at
    ):
        raise ValidationError({"voting_closes_at": _("投票截止时间必须晚于投票开始时间")})


@transaction.atomic
def decision_update(
    *,
    decision: Decision,
    actor: User | None,
    **fields: object,
) -> Decision:
    """Change a draft's title, window or settings; refused once announced. Only the fields
    that differ are saved and audited. The 15-day notice period is checked when announcing,
    the one moment the date it counts from is known."""
    decision = _locked(decision.pk, DecisionState.DRAFT, message=_("决定已公告，不能再修改"))
    unknown = set(fields) - set(DRAFT_SETTINGS)
    if unknown:
        raise ValidationError(_("不能修改的字段：") + "、".join(sorted(unknown)))
    changed = {name: value for name, value in fields.items() if getattr(decision, name) != value}
    for name, value in changed.items():
        setattr(decision, name, value)
    _check_window(decision)
    decision.full_clean()
    if changed:
        decision.save(update_fields=sorted(changed))
        audit_record(
            action="voting.decision.update",
            actor=actor,
            compound=decision.compound,
            obj=decision,
            data={k: str(v) for k, v in sorted(changed.items())},
        )
    return decision


# BJ 35: nothing not in the notice may be voted on, so the items are fixed by announcing.
ITEMS_LOCKED = gettext_lazy("决定已公告，不能再增加或修改表决事项 (北京条例第35条)")


@transaction.atomic
def item_add(
    *,
    decision: Decision,
    actor: User | None,
    title: str,
    category: int,
    description: str = "",
    building_ids: Iterable[int] | None = None,
    sets_fee_standard: bool = False,
) -> Item:
    """Add an item to a draft. ``building_ids`` limits it to those buildings' owners;
    ``sets_fee_standard`` marks an item that decides the service fee standard."""
    decision = _locked(decision.pk, DecisionState.DRAFT, message=ITEMS_LOCKED)
    if category not in {c.value for c in rules.Category}:
        raise ValidationError({"category": _("事项类别须为民法典第278条的第1至第9类")})
    building_ids = sorted(set(building_ids or []))
    buildings = list(decision.compound.buildings.filter(id__in=building_ids))
    if len(buildings) != len(building_ids):
        raise ValidationError({"buildings": _("表决范围中有不属于本小区的楼栋")})
    last = decision.items.order_by("-position").values_list("position", flat=True).first()
    item = Item(
        compound=decision.compound,
        decision=decision,
        position=(last or 0) + 1,
        title=title,
        description=description,
        category=category,
        sets_fee_standard=sets_fee_standard,
    )
    item.full_clean()
    item.save()
    ItemBuilding.objects.bulk_create(
        ItemBuilding(compound=decision.compound, item=item, building=b) for b in buildings
    )
    audit_record(
        action="voting.item.add",
        actor=actor,
        compound=decision.compound,
        obj=item,
        data={
            "decision": decision.pk,
            "title": title,
            "category": category,
            "sets_fee_standard": sets_fee_standard,
            "buildings": [b.number for b in buildings],
        },
    )
    return item


@transaction.atomic
def item_remove(*, item: Item, actor: User | None) -> None:
    decision = _locked(item.decision_id, DecisionState.DRAFT, message=ITEMS_LOCKED)
    audit_record(
        action="voting.item.remove",
        actor=actor,
        compound=decision.compound,
        obj=item,
        data={"decision": decision.pk, "title": item.title},
    )
    item.delete()


# --- the procedure -------------------------------------------------------------------------


@transaction.atomic
def decision_announce(
    *, decision: Decision, actor: User | None, at: dt.datetime | None = None
) -> Decision:
    """Publish the agenda and freeze the roll. Voting may open no sooner than 15 days
    after the announcement (BJ 35)."""
    at = _now(at)
    decision = _locked(decision.pk, DecisionState.DRAFT, message=_("只有草稿状态的决定可以公告"))
    if not decision.items.exists():
        raise ValidationError(_("决定至少要有一个表决事项才能公告"))
    if not decision.voting_opens_at or not decision.voting_closes_at:
        raise ValidationError(_("公告前须设定投票开始和截止时间"))
    if decision.voting_opens_at < at + NOTICE_PERIOD:
        raise ValidationError(
            {
                "voting_opens_at": _(
                    "投票开始时间须在公告之日起15日以后 (北京条例第35条)，最早为 %(date)s"
                )
                % {"date": _minute(at + NOTICE_PERIOD)}
            }
        )
    voters = roll_freeze(decision, timezone.localtime(at).date())
    if not voters:
        raise ValidationError(_("本小区没有登记业主，无法生成表决名册"))
    _advance(decision, DecisionState.ANNOUNCED, stamp="announced_at", actor=actor, at=at)
    audit_record(
        action="voting.roll.freeze",
        actor=actor,
        compound=decision.compound,
        obj=decision,
        data={"voters": voters, "on": timezone.localtime(at).date().isoformat()},
    )
    return decision


@transaction.atomic
def decision_open(
    *, decision: Decision, actor: User | None, at: dt.datetime | None = None
) -> Decision:
    at = _now(at)
    decision = _locked(
        decision.pk, DecisionState.ANNOUNCED, message=_("只有已公告的决定可以开始投票")
    )
    opens, closes = _window(decision)
    if at < opens:
        raise ValidationError(_("投票开始时间未到 (%(at)s)") % {"at": _minute(opens)})
    if at >= closes:
        raise ValidationError(_("投票截止时间已过，不能再开始投票"))
    return _advance(decision, DecisionState.OPEN, stamp="opened_at", actor=actor, at=at)


@transaction.atomic
def decision_close(
    *, decision: Decision, actor: User | None, at: dt.datetime | None = None
) -> Decision:
    at = _now(at)
    decision = _locked(decision.pk, DecisionState.OPEN, message=_("只有投票中的决定可以结束投票"))
    _opens, closes = _window(decision)
    if at < closes:
        raise ValidationError(
            _("投票截止时间 (%(at)s) 未到，不能提前结束投票") % {"at": _minute(closes)}
        )
    return _advance(decision, DecisionState.CLOSED, stamp="closed_at", actor=actor, at=at)


@transaction.atomic
def decision_count(
    *,
    decision: Decision,
    actor: User | None,
    counting_date: dt.date,
    counting_place: str,
    counters: str,
    notary_office: str = "",
    public_counting: bool = False,
    at: dt.datetime | None = None,
) -> Decision:
    """Record the counting (计票): the record, the tally and the SHA-256 of the ballot set."""
    at = _now(at)
    decision = (
        Decision.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=decision.pk)
    )
    if decision.state in (DecisionState.DRAFT, DecisionState.ANNOUNCED, DecisionState.OPEN):
        raise ValidationError(_("投票尚未结束，不能计票"))
    _require_state(decision, DecisionState.CLOSED, message=_("该决定已计票"))
    open_entries = decision.paper_entries.filter(
        status__in=[PaperEntryStatus.PENDING, PaperEntryStatus.MISMATCH]
    ).count()
    if open_entries:
        raise ValidationError(
            _("尚有 %(n)d 份书面选票录入待第二人录入或待复核，不能计票") % {"n": open_entries}
        )
    if not counting_place.strip() or not counters.strip():
        raise ValidationError(_("计票记录须填写计票地点和唱票、计票、监票人"))
    decision.counting_date = counting_date
    decision.counting_place = counting_place
    decision.counters = counters
    decision.notary_office = notary_office
    decision.public_counting = public_counting
    decision.ballot_set_sha256 = selectors.ballot_set_sha256(decision)
    certified = selectors.tally_snapshot(decision, selectors.decision_tally(decision))
    decision.tally_snapshot = certified.to_json()
    _advance(decision, DecisionState.COUNTED, stamp="counted_at", actor=actor, at=at)
    audit_record(
        action="voting.decision.count",
        actor=actor,
        compound=decision.compound,
        obj=decision,
        data={
            "ballot_set_sha256": decision.ballot_set_sha256,
            "counting_date": counting_date.isoformat(),
            "counting_place": counting_place,
            "counters": counters,
            "notary_office": notary_office,
            "passed": {i.id: i.passed for i in certified.items},
        },
    )
    return decision


@transaction.atomic
def decision_publish(
    *, decision: Decision, actor: User | None, at: dt.datetime | None = None
) -> Decision:
    at = _now(at)
    decision = _locked(decision.pk, DecisionState.COUNTED, message=_("只有已计票的决定可以公布"))
    return _advance(decision, DecisionState.PUBLISHED, stamp="published_at", actor=actor, at=at)
