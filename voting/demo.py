"""Demo decisions of 学院南路32号院: the October 2021 vote, the lift replacement (open)
and the parking decision (closed, waiting to be counted).

``seed(compound)`` is called by ``manage.py seed_demo``; it is idempotent (a decision whose
title exists is left alone; a 2021 item seeded before ``Item.sets_fee_standard`` existed got
the flag from migration voting 0002) and deterministic (every choice comes from a seeded search over
the frozen roll, which is itself deterministic).

The 2021 published figures are participating owners 77.84% of all owners, consenting
owners 74.13% of the participants, participating area 74.25% of all area and consenting
area 78.86% of the participating area. The roster is built elsewhere, so the ballots are
found by :func:`choose_ballots` from the actual roll. Two decimals of a ratio of owners can
only be hit when the number of owners allows it (for 1,200–1,500 owners only 1,286, 1,331,
1,336, 1,435 and 1,480 do); on any other roll the search returns the nearest figures and
says so in :attr:`Choice2021.exact`.
"""

import datetime as dt
import logging
import random
from dataclasses import dataclass
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from portal.models import Compound, Membership, Role

from . import rules, services
from .models import Decision, DecisionState

log = logging.getLogger(__name__)
TZ = ZoneInfo("Asia/Shanghai")

TITLE_2021 = "关于选聘天岳恒物业及执行新物业费标准的业主共同决定"
ITEM_2021 = "选聘北京天岳恒物业管理有限公司为本小区物业服务企业，按新物业费标准收费"
TITLE_LIFTS = "16号楼、17号楼电梯更新改造"
TITLE_PARKING = "关于规范小区停车管理的业主共同决定"
ITEMS_PARKING = (
    (
        "在小区内部道路一侧施划停车位，实行停车收费，收益归全体业主共有",
        rules.Category.COMMON_PARTS_USE,
    ),
    (
        "在管理规约中增加停车管理条款（禁止私装地锁、占用消防通道）",
        rules.Category.MANAGEMENT_COVENANT,
    ),
)
ITEM_LIFTS = "拆除16号楼、17号楼4部超龄电梯并更新安装新电梯（政府补贴、物业企业出资、业主筹资）"

# The published figures, in hundredths of a percent.
PARTICIPATION_OWNERS = 7784
CONSENT_OWNERS = 7413
PARTICIPATION_AREA = 7425
CONSENT_AREA = 7886


def rounds_to(numerator: int, denominator: int, hundredths: int) -> bool:
    """True when numerator/denominator shown as a percentage with two decimals (half-up)
    reads ``hundredths``/100: 2·(t − ½) ≤ 20000·n/d < 2·(t + ½)."""
    scaled = 20000 * numerator
    return (2 * hundredths - 1) * denominator <= scaled < (2 * hundredths + 1) * denominator


def owner_counts(total: int) -> list[tuple[int, int]]:
    """All (participants, consenters) whose ratios show as 77.84% and 74.13%."""
    return [
        (p, c)
        for p in range(1, total + 1)
        if rounds_to(p, total, PARTICIPATION_OWNERS)
        for c in range(1, p + 1)
        if rounds_to(c, p, CONSENT_OWNERS)
    ]


def _nearest_counts(total: int) -> tuple[int, int]:
    """When no exact pair exists: the pair closest to the published owner ratios."""
    p = round(Fraction(PARTICIPATION_OWNERS, 10000) * total)
    c = round(Fraction(CONSENT_OWNERS, 10000) * p)
    return p, c


def _area_bounds(denominator: int, hundredths: int) -> tuple[int, int]:
    """Smallest and largest area whose ratio to ``denominator`` shows as hundredths/100."""
    low = -(-(2 * hundredths - 1) * denominator // 20000)
    high = -(-(2 * hundredths + 1) * denominator // 20000) - 1
    return low, high


def _pick(population: list[tuple[int, int]], size: int, low: int, high: int, rng) -> list:
    """``size`` members of ``population`` ((key, area) pairs) whose areas sum into
    [low, high]: start from a seeded sample, then swap one in and one out, each time the
    pair whose difference comes closest to the remaining gap, until the sum fits."""
    chosen = rng.sample(population, size)
    chosen_keys = {k for k, _ in chosen}
    rest = [m for m in population if m[0] not in chosen_keys]
    total = sum(a for _, a in chosen)
    target = (low + high) // 2
    for _ in range(10 * len(population)):
        if low <= total <= high:
            return chosen
        gap = target - total
        rest.sort(key=lambda m: m[1])
        rest_areas = [a for _, a in rest]
        best = None
        for i, (_, area_in) in enumerate(chosen):
            want = area_in + gap
            j = _bisect(rest_areas, want)
            for k in (j - 1, j):
                if 0 <= k < len(rest):
                    miss = abs(rest_areas[k] - want)
                    if best is None or miss < best[0]:
                        best = (miss, i, k)
        if best is None:
            break
        _, i, k = best
        out, into = chosen[i], rest[k]
        if into[1] - out[1] == 0:
            break
        chosen[i], rest[k] = into, out
        total += into[1] - out[1]
    raise ValueError("no subset of that size reaches the area window")


def _bisect(values: list[int], x: int) -> int:
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@dataclass(frozen=True)
class Choice2021:
    participants: frozenset  # voter keys
    consenters: frozenset
    exact: bool


def choose_ballots(voters: list[tuple[int, int]], seed: str = "tyh-2021") -> Choice2021:
    """Who took part and who agreed, so that the four ratios show as published.

    ``voters`` are (key, area in hundredths) pairs of the frozen roll. Deterministic for a
    given roll and seed."""
    rng = random.Random(seed)
    voters = sorted(voters)
    total_area = sum(a for _, a in voters)
    pairs = owner_counts(len(voters))
    exact = bool(pairs)
    p, c = pairs[0] if pairs else _nearest_counts(len(voters))
    low, high = _area_bounds(total_area, PARTICIPATION_AREA)
    participants = _pick(voters, p, low, high, rng)
    part_area = sum(a for _, a in participants)
    low, high = _area_bounds(part_area, CONSENT_AREA)
    consenters = _pick(sorted(participants), c, low, high, rng)
    return Choice2021(
        participants=frozenset(k for k, _ in participants),
        consenters=frozenset(k for k, _ in consenters),
        exact=exact,
    )


def _at(year: int, month: int, day: int, hour: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


def _counters(compound: Compound):
    """The committee login of the demo and a second counter, so every paper ballot is keyed
    twice by two different members (the second has no password: it cannot log in)."""
    first = (
        Membership.objects.filter(compound=compound, role=Role.COMMITTEE_MEMBER)
        .select_related("user")
        .order_by("id")
        .first()
    )
    user_model = get_user_model()
    second, created = user_model.objects.get_or_create(
        username=f"jipiao-{compound.code}", defaults={"first_name": "计票员"}
    )
    if created:
        second.set_unusable_password()
        second.save()
    Membership.objects.get_or_create(user=second, role=Role.COMMITTEE_MEMBER, compound=compound)
    return (first.user if first else second), second


def _key_paper_ballots(decision, counters, choices_by_entry: dict, at: dt.datetime) -> None:
    first, second = counters
    for entry, choice in choices_by_entry.items():
        choices = {item.pk: choice for item in decision.items.all()}
        for member in (first, second):
            services.paper_entry_record(
                decision=decision,
                ballot_code=entry.ballot_code,
                actor=member,
                choices=choices,
                at=at,
            )


def seed_2021(compound: Compound, counters) -> Decision:
    decision = services.decision_create(
        compound=compound,
        actor=counters[0],
        title=TITLE_2021,
        description="经街道办事处指导，物业管理委员会组织全体业主对选聘物业服务企业及物业费标准进行共同决定。公开唱票，现场公证。",
        voting_opens_at=_at(2021, 10, 8, 9),
        voting_closes_at=_at(2021, 10, 24, 18),
    )
    services.item_add(
        decision=decision,
        actor=counters[0],
        title=ITEM_2021,
        category=rules.Category.SERVICE_COMPANY,
        sets_fee_standard=True,
        description="高楼1.67元/平方米·月、低楼1.00元/平方米·月；与评估价之差由街道办事处和首开集团补贴三年。",
    )
    services.decision_announce(decision=decision, actor=counters[0], at=_at(2021, 9, 18, 10))
    services.decision_open(decision=decision, actor=counters[0], at=_at(2021, 10, 8, 9))
    roll = list(decision.roll.all())
    picked = choose_ballots([(e.number, e.area) for e in roll])
    if not picked.exact:
        log.warning(
            "the demo roll has %d owners: 77.84%% / 74.13%% cannot be shown exactly; "
            "the nearest figures are used",
            len(roll),
        )
    rng = random.Random("tyh-2021-abstain")
    choices = {}
    for entry in roll:
        if entry.number in picked.consenters:
            choices[entry] = "agree"
        elif entry.number in picked.participants:
            choices[entry] = "abstain" if rng.random() < 0.15 else "disagree"
    # Counted in 2021 on paper, before the portal: imported, not keyed twice.
    services.paper_ballots_import(
        decision=decision,
        actor=counters[0],
        choices_by_entry={entry.pk: choice for entry, choice in choices.items()},
        at=_at(2021, 10, 24, 17),
    )
    services.decision_close(decision=decision, actor=counters[0], at=_at(2021, 10, 24, 18))
    services.decision_count(
        decision=decision,
        actor=counters[0],
        counting_date=dt.date(2021, 10, 25),
        counting_place="学院南路32号院社区居委会活动室",
        counters="唱票：物管会委员；计票：物管会委员、居委会工作人员；监票：业主代表",
        notary_office="北京市海淀公证处",
        public_counting=True,
        at=_at(2021, 10, 25, 16),
    )
    services.decision_publish(decision=decision, actor=counters[0], at=_at(2021, 10, 26, 9))
    return decision


def seed_lifts(compound: Compound, counters) -> Decision:
    """The lift replacement of buildings 16 and 17, open for voting in the demo.

    Category (7) of CC 278, "改建、重建建筑物及其附属设施": lifts are ancillary facilities
    of the building, and tearing out the four over-age lifts to install new ones rebuilds
    them; so consent needs ≥ 3/4 of the participating owners and area. It is not (5), using
    the maintenance fund, since the money comes from a government subsidy, the service
    company and the owners' own fundraising, nor (6), raising the maintenance fund, since
    that fundraising is a one-off contribution to this project, not the special fund.
    Only the owners of buildings 16 and 17 decide it (the item's scope)."""
    from django.utils import timezone

    now = timezone.now()
    decision = services.decision_create(
        compound=compound,
        actor=counters[0],
        title=TITLE_LIFTS,
        description="16号楼、17号楼共4部电梯超过使用年限，拟整体更新。资金来源：政府补贴、物业服务企业出资、业主筹资。",
        voting_opens_at=now - dt.timedelta(days=3),
        voting_closes_at=now + dt.timedelta(days=11),
    )
    buildings = list(
        compound.buildings.filter(number__in=["16", "17"]).values_list("id", flat=True)
    )
    services.item_add(
        decision=decision,
        actor=counters[0],
        title=ITEM_LIFTS,
        category=rules.Category.REBUILDING,
        building_ids=buildings,
    )
    services.decision_announce(decision=decision, actor=counters[0], at=now - dt.timedelta(days=20))
    services.decision_open(decision=decision, actor=counters[0], at=now - dt.timedelta(days=3))
    rng = random.Random("lifts-paper")
    # About half of the owners have handed in paper ballots so far; the demo resident has
    # not, so they can vote online.
    choices = {}
    in_scope = decision.roll.filter(units__building_id__in=buildings).distinct()
    for entry in in_scope.select_related("owner").order_by("number"):
        if entry.owner is not None and entry.owner.user_id is None and rng.random() < 0.5:
            choices[entry] = rng.choices(["agree", "disagree", "abstain"], [8, 1, 1])[0]
    _key_paper_ballots(decision, counters, choices, now - dt.timedelta(days=1))
    return decision


def _key_once(decision, member, entries, rng, *, at: dt.datetime) -> None:
    """Paper ballots keyed by one member only: they wait for a second member's keying."""
    for entry in entries:
        choice = rng.choices(["agree", "disagree", "abstain"], [8, 1, 1])[0]
        services.paper_entry_record(
            decision=decision,
            ballot_code=entry.ballot_code,
            actor=member,
            choices={item.pk: choice for item in decision.items.all()},
            at=at,
        )


def seed_parking(compound: Compound, counters) -> Decision:
    """A decision whose voting has closed and that waits to be counted, so the demo can show
    the end of the procedure: finishing the double entry of paper ballots (some keyed once by
    the second counter, some once by ``wuguanhui``, which ``wuguanhui2`` can confirm; one
    pair that disagrees waits in the review queue), then counting and publishing.

    Most ballots are already in (entered in bulk while voting was open, as the 2021 ones);
    the demo resident has not voted."""
    from django.utils import timezone

    now = timezone.now().replace(second=0, microsecond=0)
    opens, closes = now - dt.timedelta(days=16), now - dt.timedelta(days=2)
    first, second = counters
    decision = services.decision_create(
        compound=compound,
        actor=first,
        title=TITLE_PARKING,
        description="整治私装地锁和乱停车之后，物业管理委员会提请业主共同决定停车位施划、收费及管理规约的停车条款。",
        voting_opens_at=opens,
        voting_closes_at=closes,
    )
    for title, category in ITEMS_PARKING:
        services.item_add(decision=decision, actor=first, title=title, category=category)
    services.decision_announce(decision=decision, actor=first, at=opens - dt.timedelta(days=18))
    services.decision_open(decision=decision, actor=first, at=opens)
    rng = random.Random("parking-demo")
    free = []
    choices = {}
    for entry in decision.roll.select_related("owner").order_by("number"):
        if entry.owner is None or entry.owner.user_id is not None:
            continue  # nobody votes for an ownerless unit; the demo logins stay free
        if rng.random() < 0.76:
            choices[entry.pk] = rng.choices(["agree", "disagree", "abstain"], [84, 11, 5])[0]
        else:
            free.append(entry)
    services.paper_ballots_import(
        decision=decision, actor=first, choices_by_entry=choices, at=closes - dt.timedelta(days=1)
    )
    services.decision_close(decision=decision, actor=first, at=closes)
    keyed_at = closes + dt.timedelta(hours=20)
    _key_once(decision, second, free[:8], rng, at=keyed_at)
    if first == second:
        return decision  # no committee login in this compound: nobody else to key
    _key_once(decision, first, free[8:12], rng, at=keyed_at)
    mismatch = free[12]
    for member, choice in ((second, "agree"), (first, "disagree")):
        services.paper_entry_record(
            decision=decision,
            ballot_code=mismatch.ballot_code,
            actor=member,
            choices={item.pk: choice for item in decision.items.all()},
            at=keyed_at,
        )
    return decision


@transaction.atomic
def seed(compound: Compound) -> None:
    """Add the demo decisions to ``compound`` unless they are there already."""
    if not compound.units.exists():
        return
    counters = _counters(compound)
    if not compound.decisions.filter(title=TITLE_2021).exists():
        seed_2021(compound, counters)
    if not compound.decisions.filter(title=TITLE_LIFTS).exists():
        seed_lifts(compound, counters)
    if not compound.decisions.filter(title=TITLE_PARKING).exists():
        seed_parking(compound, counters)


__all__ = ["seed", "choose_ballots", "owner_counts", "DecisionState"]
