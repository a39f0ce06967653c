"""Writes of the voting app: the procedure, the roll, ballots, paper entries, proxies.

Each function is atomic and checks everything before it writes, so a refused action leaves
nothing behind; every consequential write is appended to the hash-chained audit log.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.audit import audit_record
from portal.models import Compound

from .. import rules, selectors
from ..models import (
    DRAFT_SETTINGS,
    Ballot,
    Channel,
    Choice,
    Decision,
    DecisionState,
    Item,
    ItemBuilding,
    PaperEntry,
    PaperEntryStatus,
    Proxy,
    RollEntry,
    RollUnit,
    StateChange,
)

NOTICE_PERIOD = dt.timedelta(days=15)  # BJ 35: agenda published ≥ 15 days before voting
PUBLICATION_PERIOD = dt.timedelta(days=3)  # BJ 37: result published within 3 days


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _minute(moment: dt.datetime) -> str:
    """A moment as people read it in messages: local time to the minute."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _user(actor: AbstractBaseUser | None) -> AbstractBaseUser | None:
    """The actor to store on a row: None for the system or an anonymous caller."""
    return actor if actor is not None and actor.is_authenticated else None


def _change_state(
    decision: Decision, to_state: DecisionState, actor: AbstractBaseUser | None, at: dt.datetime
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


def _require_state(decision: Decision, *states: DecisionState, message: str) -> None:
    if decision.state not in states:
        raise ValidationError(message)


def _locked(decision_id: int, *states: DecisionState, message: str) -> Decision:
    """The decision re-read under a row lock, refused with ``message`` unless it is in one
    of ``states``: every change of a decision starts here."""
    decision = Decision.objects.select_for_update().select_related("compound").get(pk=decision_id)
    _require_state(decision, *states, message=message)
    return decision


def _advance(
    decision: Decision,
    to_state: DecisionState,
    *,
    stamp: str,
    actor: AbstractBaseUser | None,
    at: dt.datetime,
) -> Decision:
    """Move a locked decision on: its ``stamp`` time field, the state log and the audit."""
    setattr(decision, stamp, at)
    _change_state(decision, to_state, actor, at)
    decision.full_clean()
    decision.save()
    return decision


# --- decisions and items -------------------------------------------------------------------


@transaction.atomic
def decision_create(
    *,
    compound: Compound,
    actor: AbstractBaseUser | None,
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
    actor: AbstractBaseUser | None,
    **fields,
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
    actor: AbstractBaseUser | None,
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
def item_remove(*, item: Item, actor: AbstractBaseUser | None) -> None:
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


def _area_hundredths(area: Decimal | None) -> int | None:
    return None if area is None else int(area * 100)


def roll_freeze(decision: Decision, on: dt.date) -> int:
    """Write the roll: the voters (SPC 9) from the ownerships valid on ``on``. Returns the
    number of voters. Reads in two queries and bulk-inserts, whatever the size."""
    compound = decision.compound
    units = {
        row["id"]: row
        for row in compound.units.values(
            "id", "number", "building_id", "floor_area", "building__number", "building__kind"
        )
    }
    owners: dict[int, list[rules.RosterOwner]] = {}
    ownerships = compound.ownerships.filter(valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on)
    )
    for unit_id, owner_id, is_rep in ownerships.values_list(
        "unit_id", "owner_id", "is_representative"
    ).order_by("unit_id", "owner_id"):
        owners.setdefault(unit_id, []).append(rules.RosterOwner(owner_id, is_rep))
    roster = [
        rules.RosterUnit(
            unit_id=uid,
            building_id=row["building_id"],
            area=_area_hundredths(row["floor_area"]),
            owners=tuple(owners.get(uid, ())),
        )
        for uid, row in sorted(units.items())
    ]
    voters = rules.build_roll(roster)

    def label(unit_id: int) -> str:
        row = units[unit_id]
        building = row["building__number"]
        if row["building__kind"] != "bungalow" and building.isdigit():
            building = _("%(n)s号楼") % {"n": building}
        return f"{building} {row['number']}"

    entries = [
        RollEntry(
            compound=compound,
            decision=decision,
            number=n,
            owner_id=voter.representative_id,
            owner_key=",".join(map(str, voter.key)),
            units_label="、".join(label(u.unit_id) for u in voter.units)[:500],
            area=voter.area,
            unknown_area_units=voter.unknown_area_units,
        )
        for n, voter in enumerate(voters, start=1)
    ]
    RollEntry.objects.bulk_create(entries, batch_size=2000)
    ids = dict(
        decision.roll.values_list("number", "id")
    )  # bulk_create returns ids on PostgreSQL only; read them back everywhere
    RollUnit.objects.bulk_create(
        (
            RollUnit(
                compound=compound,
                decision=decision,
                entry_id=ids[n],
                unit_id=u.unit_id,
                building_id=u.building_id,
                unit_label=label(u.unit_id),
                area=u.area,
            )
            for n, voter in enumerate(voters, start=1)
            for u in voter.units
        ),
        batch_size=2000,
    )
    return len(voters)


@transaction.atomic
def decision_announce(
    *, decision: Decision, actor: AbstractBaseUser | None, at: dt.datetime | None = None
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
    *, decision: Decision, actor: AbstractBaseUser | None, at: dt.datetime | None = None
) -> Decision:
    at = _now(at)
    decision = _locked(
        decision.pk, DecisionState.ANNOUNCED, message=_("只有已公告的决定可以开始投票")
    )
    if at < decision.voting_opens_at:
        raise ValidationError(
            _("投票开始时间未到 (%(at)s)") % {"at": _minute(decision.voting_opens_at)}
        )
    if at >= decision.voting_closes_at:
        raise ValidationError(_("投票截止时间已过，不能再开始投票"))
    return _advance(decision, DecisionState.OPEN, stamp="opened_at", actor=actor, at=at)


@transaction.atomic
def decision_close(
    *, decision: Decision, actor: AbstractBaseUser | None, at: dt.datetime | None = None
) -> Decision:
    at = _now(at)
    decision = _locked(decision.pk, DecisionState.OPEN, message=_("只有投票中的决定可以结束投票"))
    if at < decision.voting_closes_at:
        raise ValidationError(
            _("投票截止时间 (%(at)s) 未到，不能提前结束投票")
            % {"at": _minute(decision.voting_closes_at)}
        )
    return _advance(decision, DecisionState.CLOSED, stamp="closed_at", actor=actor, at=at)


@transaction.atomic
def decision_count(
    *,
    decision: Decision,
    actor: AbstractBaseUser | None,
    counting_date: dt.date,
    counting_place: str,
    counters: str,
    notary_office: str = "",
    public_counting: bool = False,
    at: dt.datetime | None = None,
) -> Decision:
    """Record the counting (计票): the record, the tally and the SHA-256 of the ballot set."""
    at = _now(at)
    decision = Decision.objects.select_for_update().select_related("compound").get(pk=decision.pk)
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
    decision.tally_snapshot = selectors.tally_as_data(decision, selectors.decision_tally(decision))
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
            "passed": {i["id"]: i["passed"] for i in decision.tally_snapshot["items"]},
        },
    )
    return decision


@transaction.atomic
def decision_publish(
    *, decision: Decision, actor: AbstractBaseUser | None, at: dt.datetime | None = None
) -> Decision:
    at = _now(at)
    decision = _locked(decision.pk, DecisionState.COUNTED, message=_("只有已计票的决定可以公布"))
    return _advance(decision, DecisionState.PUBLISHED, stamp="published_at", actor=actor, at=at)


# --- ballots -------------------------------------------------------------------------------


def _check_choice(choice: str) -> None:
    if choice not in Choice.values:
        raise ValidationError({"choice": _("表决意见须为同意、反对或弃权")})


def _check_in_scope(item: Item, entry: RollEntry) -> None:
    scope = [row.building_id for row in item.scope_rows.all()]
    if scope and not entry.units.filter(building_id__in=scope).exists():
        raise ValidationError(
            _("事项“%(item)s”仅由所涉楼栋的业主表决，该业主不在表决范围内") % {"item": item.title}
        )


def _ballot_audit(action: str, ballot: Ballot, actor, extra: dict | None = None) -> None:
    audit_record(
        action=action,
        actor=actor,
        compound=ballot.compound,
        obj=ballot,
        data={
            "decision": ballot.decision_id,
            "item": ballot.item_id,
            "voter": ballot.entry.number,
            "choice": ballot.choice,
            "channel": ballot.channel,
            "receipt": ballot.receipt_code,
            **(extra or {}),
        },
    )


def _write_ballot(
    *,
    item: Item,
    entry: RollEntry,
    choice: str,
    channel: Channel,
    actor: AbstractBaseUser | None,
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


def _mark_revoked(
    proxy: Proxy, entry: RollEntry, *, actor, at: dt.datetime, reason: str, audit_reason: str
) -> None:
    proxy.revoked_at = at
    proxy.revoked_reason = reason
    proxy.save(update_fields=["revoked_at", "revoked_reason"])
    audit_record(
        action="voting.proxy.revoke",
        actor=actor,
        compound=entry.compound,
        obj=proxy,
        data={"voter": entry.number, "holder": proxy.holder_name, "reason": audit_reason},
    )


def _revoke_proxy_in_person(entry: RollEntry, actor, at: dt.datetime) -> None:
    for proxy in entry.proxies.filter(revoked_at__isnull=True).select_for_update():
        _mark_revoked(
            proxy,
            entry,
            actor=actor,
            at=at,
            reason=_("业主本人投票，委托自动撤销"),
            audit_reason="owner voted in person",
        )


def _lock_entry(decision: Decision, entry: RollEntry | int) -> RollEntry:
    """The voter's roll row under a lock: every write for one voter queues on it."""
    entry_id = entry.pk if isinstance(entry, RollEntry) else entry
    try:
        return (
            decision.roll.select_for_update().select_related("owner", "compound").get(pk=entry_id)
        )
    except RollEntry.DoesNotExist:
        raise ValidationError(_("该业主不在本次表决名册上")) from None


@transaction.atomic
def ballot_cast(
    *,
    decision: Decision,
    entry: RollEntry | int,
    user: AbstractBaseUser,
    choices: Mapping[int, str],
    at: dt.datetime | None = None,
) -> list[Ballot]:
    """A resident votes online on their own roll row (or as an active proxy's holder), one
    choice per item. Everything is checked before anything is written."""
    at = _now(at)
    decision = Decision.objects.select_related("compound").get(pk=decision.pk)
    if decision.state != DecisionState.OPEN:
        raise ValidationError(_("该决定当前不在投票期内"))
    if at < decision.voting_opens_at:
        raise ValidationError(_("投票尚未开始"))
    if at > decision.voting_closes_at:
        raise ValidationError(_("投票已截止"))
    entry = _lock_entry(decision, entry)
    in_person = entry.owner.user_id is not None and entry.owner.user_id == user.pk
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
    return ballots


# --- paper ballots: double entry -----------------------------------------------------------


def _normalise_choices(
    decision: Decision, entry: RollEntry, choices: Mapping[int | str, str]
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


def _paper_ballots(
    decision: Decision, entry: RollEntry, choices: dict[str, str], actor, at: dt.datetime
) -> list[Ballot]:
    _revoke_proxy_in_person(entry, actor, at)
    items = {str(i.pk): i for i in decision.items.all()}
    return [
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


@transaction.atomic
def paper_entry_record(
    *,
    decision: Decision,
    ballot_code: str,
    actor: AbstractBaseUser,
    choices: Mapping[int | str, str],
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
    actor: AbstractBaseUser,
    choices: Mapping[int | str, str],
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


# --- proxies -------------------------------------------------------------------------------


@transaction.atomic
def proxy_register(
    *,
    decision: Decision,
    entry: RollEntry | int,
    actor: AbstractBaseUser,
    holder_name: str,
    authorisation: UploadedFile,
    holder_user: AbstractBaseUser | None = None,
) -> Proxy:
    decision = Decision.objects.select_related("compound").get(pk=decision.pk)
    if decision.state not in (DecisionState.ANNOUNCED, DecisionState.OPEN):
        raise ValidationError(_("只能在公告后、投票截止前登记委托投票"))
    entry = _lock_entry(decision, entry)
    if entry.ballots.exists():
        raise ValidationError(_("该业主已经投票，不能再委托"))
    if entry.proxies.filter(revoked_at__isnull=True).exists():
        raise ValidationError(_("该业主已有有效的委托，请先撤销"))
    if not authorisation:
        raise ValidationError({"authorisation": _("请上传业主签字的授权委托书")})
    if not holder_name.strip():
        raise ValidationError({"holder_name": _("请填写受托人姓名")})
    proxy = Proxy(
        compound=decision.compound,
        decision=decision,
        entry=entry,
        holder_name=holder_name.strip(),
        holder_user=holder_user,
        authorisation=authorisation,
        registered_by=actor,
    )
    proxy.full_clean(validate_constraints=False)
    proxy.save()
    audit_record(
        action="voting.proxy.register",
        actor=actor,
        compound=decision.compound,
        obj=proxy,
        data={
            "voter": entry.number,
            "holder": holder_name.strip(),
            "file": proxy.authorisation.name,
        },
    )
    return proxy


@transaction.atomic
def proxy_revoke(
    *, proxy: Proxy, actor: AbstractBaseUser, reason: str, at: dt.datetime | None = None
) -> Proxy:
    """The committee withdraws a proxy (the owner took back the authorisation, or it was
    registered in error) between the announcement and the close of voting.

    Refused once the holder has voted: ballots cast under an authorisation that was valid
    at the time stand, as they do for every voter; the owner may still vote in person
    before the close, which overrides them (see :func:`ballot_cast`)."""
    at = _now(at)
    decision = Decision.objects.select_related("compound").get(pk=proxy.decision_id)
    if decision.state not in (DecisionState.ANNOUNCED, DecisionState.OPEN):
        raise ValidationError(_("只能在公告后、投票截止前撤销委托投票"))
    # The entry's lock orders this against a ballot the holder is casting right now.
    entry = _lock_entry(decision, proxy.entry_id)
    proxy = entry.proxies.select_for_update().get(pk=proxy.pk)
    if proxy.revoked_at is not None:
        raise ValidationError(_("该委托已撤销"))
    if proxy.ballots.exists():
        raise ValidationError(
            _(
                "受托人%(holder)s已代为投票，委托不能再撤销；"
                "业主本人可在投票截止前亲自投票，以本人选票为准"
            )
            % {"holder": proxy.holder_name}
        )
    reason = reason.strip()[:200]
    if not reason:
        raise ValidationError({"reason": _("请填写撤销委托的原因")})
    _mark_revoked(proxy, entry, actor=actor, at=at, reason=reason, audit_reason=reason)
    return proxy


@transaction.atomic
def paper_ballots_import(
    *,
    decision: Decision,
    actor: AbstractBaseUser | None,
    choices_by_entry: Mapping[int, str],
    at: dt.datetime,
) -> int:
    """Record paper ballots that were counted outside the portal (a vote held before it was
    in use), one choice per voter for every item in the voter's scope. Not offered on any
    page: ballots keyed today go through :func:`paper_entry_record`. Each ballot is still
    audited one by one. Returns the number of ballots."""
    decision = Decision.objects.select_for_update().select_related("compound").get(pk=decision.pk)
    _require_state(decision, DecisionState.OPEN, message=_("只有投票中的决定可以导入书面选票"))
    if decision.ballots.filter(entry_id__in=list(choices_by_entry)).exists():
        raise ValidationError(_("导入的业主中有人已经投票"))
    for choice in choices_by_entry.values():
        _check_choice(choice)
    items = list(decision.items.prefetch_related("scope_rows"))
    in_scope = {
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
        if in_scope[item.pk] is None or entry_id in in_scope[item.pk]
    ]
    Ballot.objects.bulk_create(ballots, batch_size=2000)
    decision.roll.filter(pk__in=list(choices_by_entry), voted_at__isnull=True).update(voted_at=at)
    for ballot in decision.ballots.filter(entry_id__in=list(choices_by_entry)).select_related(
        "entry"
    ):
        _ballot_audit("voting.ballot.import", ballot, actor)
    return len(ballots)
