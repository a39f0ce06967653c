"""Builders for voting tests: decisions of the cast's home compound in any state."""

import datetime as dt

from django.utils import timezone

from households.models import Owner
from portal.models import Role
from tests.factories import make_member
from voting import rules, services
from voting.models import Decision
from voting.snapshot import ItemResult, Reading, TallySnapshot


def make_decision(
    cast, *, items=((4, None),), state="open", title="测试决定", **settings
) -> Decision:
    """A decision of the cast's home compound moved to ``state`` with lawful timestamps:
    announced 20 days ago, voting from yesterday to 5 days from now. ``items`` are
    (category, building numbers or None[, sets_fee_standard])."""
    now = timezone.now()
    decision = services.decision_create(
        compound=cast.compound,
        actor=cast.committee,
        title=title,
        voting_opens_at=now - dt.timedelta(days=1),
        voting_closes_at=now + dt.timedelta(days=5),
        **settings,
    )
    for n, (category, buildings, *fee_standard) in enumerate(items, start=1):
        ids = None
        if buildings:
            ids = list(
                cast.compound.buildings.filter(number__in=buildings).values_list("id", flat=True)
            )
        services.item_add(
            decision=decision,
            actor=cast.committee,
            title=f"事项{n}",
            category=category,
            building_ids=ids,
            sets_fee_standard=bool(fee_standard and fee_standard[0]),
        )
    if state == "draft":
        return decision
    services.decision_announce(
        decision=decision, actor=cast.committee, at=now - dt.timedelta(days=20)
    )
    if state == "announced":
        return decision
    services.decision_open(decision=decision, actor=cast.committee)
    return Decision.objects.get(pk=decision.pk)


def close(decision, cast):
    """Close a decision whose window is still running by moving its end to the past."""
    now = timezone.now()
    Decision.objects.filter(pk=decision.pk).update(voting_closes_at=now - dt.timedelta(minutes=1))
    decision.refresh_from_db()
    return services.decision_close(decision=decision, actor=cast.committee, at=now)


def resident_of(cast, building: str, unit: int, username: str):
    """A login for the owner of one unit of the home compound."""
    user = make_member(username, Role.RESIDENT, compound=cast.compound)
    Owner.objects.filter(compound=cast.compound, name=f"业主-home-{building}-{unit}").update(
        user=user
    )
    return user


def publish(decision, cast):
    """Close, count (with a counting record) and publish."""
    close(decision, cast)
    services.decision_count(
        decision=decision,
        actor=cast.committee,
        counting_date=dt.date(2021, 10, 25),
        counting_place="居委会活动室",
        counters="甲、乙、丙",
        notary_office="某公证处",
        public_counting=True,
    )
    return services.decision_publish(decision=decision, actor=cast.committee)


def certify_passed(decision, *items) -> None:
    """Store a certified tally in which each of ``items`` passed unanimously (one owner,
    1 m², agreeing), for tests that need a counted decision without casting ballots. The
    figures come from the real engine, so the snapshot is complete and typed."""
    readings = {
        item.pk: Reading.from_tally(
            rules.tally(
                rules.ItemCounts(total=rules.Share(1, 100), agree=rules.Share(1, 100)),
                category=item.category,
            ).raw
        )
        for item in items
    }
    snapshot = TallySnapshot(
        decision=decision.pk,
        state=decision.state,
        items=tuple(
            ItemResult(
                id=item.pk,
                position=item.position,
                title=item.title,
                category=rules.Category(item.category),
                scope="",
                spoiled_counts_as_participating=False,
                raw=readings[item.pk],
                adjusted=None,
            )
            for item in items
        ),
    )
    decision.tally_snapshot = snapshot.to_json()
    decision.save(update_fields=["tally_snapshot"])
