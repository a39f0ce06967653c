"""Builders for voting tests: decisions of the cast's home compound in any state."""

import datetime as dt
import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

from django.contrib.auth.models import User
from django.utils import timezone

from households.models import Owner
from portal.models import Role, StreetOffice
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


@cache
def _bench_scale() -> ModuleType:
    """bench/_scale.py (the benchmarks' bulk builders), loaded once from its file."""
    spec = importlib.util.spec_from_file_location(
        "bench_scale", Path(__file__).resolve().parents[2] / "bench" / "_scale.py"
    )
    assert spec is not None and spec.loader is not None
    scale = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scale)
    return scale


def scaled_decision(
    office: StreetOffice, code: str, units: int, *, publish: bool = True
) -> tuple[Decision, User]:
    """A decision counted by the system (actor None) at 80% turnout on a compound ``code``
    of ``units`` units in 4 buildings, bulk-made by bench/_scale.py (published; with
    ``publish`` false still open with its ballots), and a committee member of that
    compound."""
    scale = _bench_scale()
    compound = scale.scaled_compound(office, code, units, buildings=4)
    decision, _ballots = scale.counted_decision(compound, publish=publish)
    return Decision.objects.get(pk=decision.pk), scale.committee_member(compound)
