"""Reads of the voting app. The tally aggregates in SQL into plain counts and hands them to
the pure rules; the number of queries depends on the number of items, never on voters."""

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext

from households.models import building_label
from portal.lists import ListPage, ListQuery, PageNumbers, Search, paginate, paginate_groups
from portal.models import Compound

from . import rules, turnout
from .models import (
    Ballot,
    Decision,
    DecisionState,
    Item,
    PaperEntry,
    PaperEntryStatus,
    Proxy,
    RollEntry,
    RollUnit,
    TurnoutCount,
)
from .snapshot import (
    PARTICIPANTS_PER_PAGE,
    ItemResult,
    Reading,
    RollFigures,
    TallySnapshot,
    TurnoutFigures,
)

PUBLICATION_PERIOD = dt.timedelta(days=3)


def decision_list(decisions: QuerySet[Decision]) -> QuerySet[Decision]:
    """A compound's decisions (as access.decisions_for_user scoped them), newest first,
    with their number of items."""
    return decisions.annotate(item_count=Count("items")).order_by("-created_at")


def published_decisions(compound: Compound) -> QuerySet[Decision]:
    return compound.decisions.filter(state=DecisionState.PUBLISHED).order_by("-published_at")


def decision_items(decision: Decision) -> list[Item]:
    """Items with their scope buildings, in two queries."""
    return list(decision.items.prefetch_related("scope_rows__building").order_by("position"))


def item_scope(item: Item) -> list[int] | None:
    """Building ids the item is limited to, or None for the whole compound."""
    ids = [row.building_id for row in item.scope_rows.all()]
    return ids or None


def item_scope_label(item: Item) -> str:
    rows = sorted(item.scope_rows.all(), key=lambda r: (r.building.sort_key, r.building.number))
    return "、".join(r.building.label for r in rows)


def item_counts(item: Item) -> rules.ItemCounts:
    """One query: the roll units in scope, left-joined with this item's ballots, summed per
    choice. Each voter's units share one ballot, so their area lands in one group."""
    units = RollUnit.objects.filter(compound_id=item.compound_id, decision_id=item.decision_id)
    scope = item_scope(item)
    if scope is not None:
        units = units.filter(building_id__in=scope)
    rows = (
        units.annotate(
            item_ballot=FilteredRelation(
                "entry__ballots", condition=Q(entry__ballots__item_id=item.pk)
            )
        )
        .values("item_ballot__choice")
        .annotate(
            owners=Count("entry_id", distinct=True),
            area_sum=Sum("area"),
            unknown=Count("id", filter=Q(area__isnull=True)),
        )
        .order_by()
    )
    sums: dict[str | None, rules.Share] = {}
    total = rules.Share()
    unknown = 0
    for row in rows:
        share = rules.Share(row["owners"], int(row["area_sum"] or 0))
        sums[row["item_ballot__choice"]] = share
        total = total + share
        unknown += row["unknown"]
    return rules.ItemCounts(
        total=total,
        agree=sums.get(rules.Choice.AGREE, rules.Share()),
        disagree=sums.get(rules.Choice.DISAGREE, rules.Share()),
        abstain=sums.get(rules.Choice.ABSTAIN, rules.Share()),
        spoiled=sums.get(rules.Choice.SPOILED, rules.Share()),
        unknown_area_units=unknown,
    )


@dataclass
class ItemTally:
    item: Item
    scope_label: str  # "" for the whole compound
    counts: rules.ItemCounts
    result: rules.ItemResult

    @property
    def raw(self) -> rules.Tally:
        return self.result.raw


def decision_tally(decision: Decision) -> list[ItemTally]:
    """The tally of every item: 2 queries for the items, then one per item."""
    tallies = []
    for item in decision_items(decision):
        counts = item_counts(item)
        tallies.append(
            ItemTally(
                item=item,
                scope_label=item_scope_label(item),
                counts=counts,
                result=rules.tally(
                    counts,
                    category=item.category,
                    spoiled_counts_as_participating=decision.spoiled_counts_as_participating,
                    non_voters_follow_majority=decision.adopted_rules_follow_majority,
                ),
            )
        )
    return tallies


def tally_snapshot(
    decision: Decision, tallies: list[ItemTally], *, with_roll: bool = True
) -> TallySnapshot:
    """The tally in its certified form (what counting stores and published pages show),
    with the roll's figures and the turnout (:func:`roll_figures`, :func:`turnout_figures`)
    unless ``with_roll`` is false (a running count, shown once and thrown away)."""
    return TallySnapshot(
        roll=roll_figures(decision) if with_roll else None,
        turnout=turnout_figures(decision) if with_roll else None,
        decision=decision.pk,
        state=decision.state,
        items=tuple(
            ItemResult(
                id=t.item.pk,
                position=t.item.position,
                title=t.item.title,
                category=rules.Category(t.item.category),
                scope=t.scope_label,
                spoiled_counts_as_participating=decision.spoiled_counts_as_participating,
                raw=Reading.from_tally(t.raw),
                adjusted=Reading.from_tally(t.result.adjusted) if t.result.adjusted else None,
            )
            for t in tallies
        ),
    )


def certified_tally(decision: Decision) -> TallySnapshot | None:
    """The tally counting certified (None before counting). Reads the stored snapshot
    only: no query, no recount, whatever happens to the ballot rows afterwards."""
    if not decision.is_result_final or not decision.tally_snapshot:
        return None
    return TallySnapshot.from_json(decision.tally_snapshot)


def decision_result(decision: Decision) -> TallySnapshot:
    """What a page shows of a tallied decision: the certified tally once counted, the
    running count of a closed vote before that."""
    if decision.is_result_final:
        return TallySnapshot.from_json(decision.tally_snapshot)
    return tally_snapshot(decision, decision_tally(decision), with_roll=False)


def item_passed(item: Item) -> bool:
    """Whether ``item`` passed, as counting certified it: only a counted or published
    decision has a final result, and its snapshot says."""
    certified = certified_tally(item.decision)
    result = certified.item(item.pk) if certified else None
    return result is not None and result.passed


def ballot_set_sha256(decision: Decision) -> str:
    """SHA-256 over the canonical lines of every ballot (item, voter number, choice,
    channel, receipt), in a fixed order: anyone holding the ballot set can recompute it."""
    digest = hashlib.sha256()
    rows = (
        Ballot.objects.filter(compound_id=decision.compound_id, decision=decision)
        .order_by("item__position", "entry__number")
        .values_list("item__position", "entry__number", "choice", "channel", "receipt_code")
    )
    for position, number, choice, channel, receipt in rows.iterator(chunk_size=5000):
        digest.update(f"{position}|{number}|{choice}|{channel}|{receipt}\n".encode())
    return digest.hexdigest()


@dataclass
class BuildingTurnout:
    building_id: int
    label: str
    voters: int
    area: int
    voted_voters: int
    voted_area: int

    @property
    def voter_ratio(self) -> Fraction | None:
        return rules.ratio(self.voted_voters, self.voters)

    @property
    def area_ratio(self) -> Fraction | None:
        return rules.ratio(self.voted_area, self.area)

    @property
    def voter_percent(self) -> str:
        return rules.percent(self.voter_ratio)

    @property
    def area_percent(self) -> str:
        return rules.percent(self.area_ratio)

    @property
    def area_text(self) -> str:
        return rules.area_str(self.area)

    @property
    def voted_area_text(self) -> str:
        return rules.area_str(self.voted_area)


@dataclass(frozen=True)
class TurnoutScope:
    """What a turnout counts: the roll units of ``building_ids`` (None: every building) and,
    as having voted, the voters with a ballot on one of ``item_ids`` (None: any ballot of
    the decision). One item's turnout is its own roll, never the whole compound's."""

    building_ids: tuple[int, ...] | None
    item_ids: tuple[int, ...] | None


def turnout_scope(decision: Decision, *items: Item) -> TurnoutScope:
    """The scope of some items sharing one scope (their buildings, their ballots) or,
    without items, of the decision: the buildings of its items when every item is limited
    to some buildings."""
    if items:
        scope = item_scope(items[0])
        return TurnoutScope(
            None if scope is None else tuple(sorted(scope)), tuple(i.pk for i in items)
        )
    scopes = [item_scope(i) for i in decision.items.prefetch_related("scope_rows")]
    limited = [scope for scope in scopes if scope is not None]
    if scopes and len(limited) == len(scopes):
        # Every item is limited to some buildings: only those buildings vote.
        return TurnoutScope(tuple(sorted({b for scope in limited for b in scope})), None)
    return TurnoutScope(None, None)


def _scoped_units(decision: Decision, scope: TurnoutScope) -> QuerySet[RollUnit]:
    """The roll units in scope, each annotated ``has_voted`` for its voter."""
    units = RollUnit.objects.filter(compound_id=decision.compound_id, decision=decision)
    if scope.building_ids is not None:
        units = units.filter(building_id__in=scope.building_ids)
    if scope.item_ids is None:
        return units.annotate(has_voted=Q(entry__voted_at__isnull=False))
    if len(scope.item_ids) == 1:
        # A voter has one ballot per item (unique): a join probed unit by unit in page
        # order, where EXISTS let the planner hash every ballot of the item per page.
        ballot = FilteredRelation(
            "entry__ballots",
            condition=Q(
                entry__ballots__compound_id=decision.compound_id,
                entry__ballots__item_id=scope.item_ids[0],
            ),
        )
        return units.annotate(item_ballot=ballot).annotate(has_voted=Q(item_ballot__isnull=False))
    ballots = Ballot.objects.filter(
        compound_id=decision.compound_id, entry_id=OuterRef("entry_id"), item_id__in=scope.item_ids
    )
    return units.annotate(has_voted=Exists(ballots))


def _turnout_key(scope: TurnoutScope) -> str:
    """Where a counted decision keeps a scope's turnout: "" for the decision's own scope,
    the item ids otherwise."""
    return "" if scope.item_ids is None else ",".join(str(i) for i in sorted(scope.item_ids))


def _certified_turnout(decision: Decision, scope: TurnoutScope) -> TurnoutFigures | None:
    certified = certified_tally(decision)
    if certified is None or certified.turnout is None:
        return None
    return certified.turnout.get(_turnout_key(scope))


def turnout_figures(decision: Decision) -> dict[str, TurnoutFigures]:
    """The turnout counting certifies: the decision's, and each item's, recounted from the
    roll and the ballots (two queries each), never read from the kept counters."""
    figures = {}
    for items in [(), *((item,) for item in decision_items(decision))]:
        scope = turnout_scope(decision, *items)
        summary = _live_turnout_summary(decision, scope)
        figures[_turnout_key(scope)] = TurnoutFigures(
            voters=summary["voters"],
            area_sum=int(summary["area_sum"]),
            voted=summary["voted"],
            ownerless=summary["ownerless"],
            rows=tuple(
                (r.building_id, r.label, r.voters, r.area, r.voted_voters, r.voted_area)
                for r in _live_turnout_by_building(decision, scope)
            ),
        )
    return figures


@dataclass(frozen=True)
class KeptTurnout:
    """A scope's kept turnout (:class:`voting.models.TurnoutCount`): the whole scope's
    figures and each building's, in building order."""

    total: turnout.Counts
    buildings: tuple[tuple[int, str, turnout.Counts], ...]  # (building id, label, figures)

    @property
    def rows(self) -> list[BuildingTurnout]:
        return [
            BuildingTurnout(b, label, c.voters, c.area, c.voted_voters, c.voted_area)
            for b, label, c in self.buildings
        ]

    @property
    def summary(self) -> dict:
        return {
            "voters": self.total.voters,
            "area_sum": self.total.area,
            "voted": self.total.voted_voters,
            "ownerless": self.total.ownerless,
        }

    def unit_counts(
        self, *, voted: str = "", building_id: int | None = None
    ) -> list[tuple[int, int]]:
        """(building id, units listed) in list order, for the turnout list filtered by
        ``voted`` ("yes", "no", "") and a building: the groups of
        ``portal.lists.paginate_groups``, with no COUNT over the roll."""
        listed = []
        for b, _label, c in self.buildings:
            if building_id is not None and b != building_id:
                continue
            n = {"yes": c.voted_units, "no": c.units - c.voted_units}.get(voted, c.units)
            listed.append((b, n))
        return listed


def kept_turnout(decision: Decision, scope: TurnoutScope) -> KeptTurnout | None:
    """The scope's kept turnout in one query, or None for a scope that is not kept (several
    items together) or a decision without kept rows (not announced)."""
    if scope.item_ids is not None and len(scope.item_ids) != 1:
        return None
    rows = TurnoutCount.objects.filter(compound_id=decision.compound_id, decision=decision)
    if scope.item_ids is None:
        rows = rows.filter(item__isnull=True)
    else:
        rows = rows.filter(item_id=scope.item_ids[0])
    total, buildings = None, []
    for row in rows.select_related("building").order_by(
        F("building__sort_key").asc(nulls_first=True), "building__number"
    ):
        counts = turnout.Counts(**{name: getattr(row, name) for name in turnout.COUNT_FIELDS})
        if row.building is None:
            total = counts
        else:
            buildings.append((row.building.pk, row.building.label, counts))
    return None if total is None else KeptTurnout(total, tuple(buildings))


@dataclass(frozen=True)
class TurnoutOverview:
    """What the turnout page shows above its list: the turnout per building, the scope's
    figures, and the kept turnout the list counts its pages from (None: not kept)."""

    rows: list[BuildingTurnout]
    summary: dict
    kept: KeptTurnout | None


def turnout_overview(decision: Decision, scope: TurnoutScope) -> TurnoutOverview:
    """The turnout page's figures: certified ones once counted, else the kept ones (one
    query for all of them), else recounted (a scope that is not kept)."""
    kept = kept_turnout(decision, scope)
    certified = _certified_turnout(decision, scope)
    if certified is not None:
        return TurnoutOverview(
            [BuildingTurnout(*row) for row in certified.rows],
            _certified_summary(certified),
            kept,
        )
    if kept is not None:
        return TurnoutOverview(kept.rows, kept.summary, kept)
    return TurnoutOverview(
        _live_turnout_by_building(decision, scope), _live_turnout_summary(decision, scope), None
    )


def turnout_by_building(
    decision: Decision, scope: TurnoutScope | None = None
) -> list[BuildingTurnout]:
    """Voters (anyone who cast a ballot in scope) and their area per building of the scope
    (default: the decision's, see :func:`turnout_scope`): from the certified snapshot once
    counted, else from the kept counters, else (a scope that is not kept) in one query. A
    voter with flats in two buildings counts in both; flats outside the scope count
    nowhere."""
    scope = scope or turnout_scope(decision)
    certified = _certified_turnout(decision, scope)
    if certified is not None:
        return [BuildingTurnout(*row) for row in certified.rows]
    kept = kept_turnout(decision, scope)
    if kept is not None:
        return kept.rows
    return _live_turnout_by_building(decision, scope)


def _live_turnout_by_building(decision: Decision, scope: TurnoutScope) -> list[BuildingTurnout]:
    voted = Q(has_voted=True)
    units = _scoped_units(decision, scope)
    rows = (
        units.values("building_id", "building__number", "building__kind", "building__sort_key")
        .annotate(
            voters=Count("entry_id", distinct=True),
            area_sum=Sum("area"),
            voted_voters=Count("entry_id", distinct=True, filter=voted),
            voted_area=Sum("area", filter=voted),
        )
        .order_by("building__sort_key", "building__number")
    )
    result = []
    for row in rows:
        result.append(
            BuildingTurnout(
                building_id=row["building_id"],
                label=building_label(row["building__number"], row["building__kind"]),
                voters=row["voters"],
                area=int(row["area_sum"] or 0),
                voted_voters=row["voted_voters"],
                voted_area=int(row["voted_area"] or 0),
            )
        )
    return result


def _certified_summary(certified: TurnoutFigures) -> dict:
    return {
        "voters": certified.voters,
        "area_sum": certified.area_sum,
        "voted": certified.voted,
        "ownerless": certified.ownerless,
    }


def turnout_summary(decision: Decision, scope: TurnoutScope | None = None) -> dict:
    """Voters, their area, how many have voted and how many units have no registered owner,
    over the roll of the scope (default: the decision's): from the certified snapshot once
    counted, else from the kept counters, else (a scope that is not kept) in one query."""
    scope = scope or turnout_scope(decision)
    certified = _certified_turnout(decision, scope)
    if certified is not None:
        return _certified_summary(certified)
    kept = kept_turnout(decision, scope)
    if kept is not None:
        return kept.summary
    return _live_turnout_summary(decision, scope)


def _live_turnout_summary(decision: Decision, scope: TurnoutScope) -> dict:
    units = _scoped_units(decision, scope)
    summary = units.aggregate(
        voters=Count("entry_id", distinct=True),
        area_sum=Sum("area"),
        voted=Count("entry_id", distinct=True, filter=Q(has_voted=True)),
        ownerless=Count("id", filter=Q(entry__owner__isnull=True)),
    )
    summary["area_sum"] = summary["area_sum"] or 0
    return summary


def turnout_units(
    decision: Decision,
    scope: TurnoutScope,
    *,
    search: Search | None = None,
    building_id: int | None = None,
    voted: str = "",
) -> QuerySet[RollUnit]:
    """The turnout list (and, with ``voted="no"``, the canvass list, 扫楼): the roll units of
    the scope with ``has_voted``, their building and voter (whose name pages show masked),
    by building and natural unit order (the position the freeze stored). ``search`` finds
    a building, a unit number or a masked name (张*); ``voted`` is "yes", "no" or "" for
    all. Never a choice."""
    units = _scoped_units(decision, scope)
    if search:
        units = units.filter(
            search.q(
                building="building__number",
                unit="unit__number",
                name="entry__owner__name",
                names_visible=False,
            )
        )
    if building_id is not None:
        units = units.filter(building_id=building_id)
    if voted:
        units = units.filter(Q(has_voted=voted == "yes"))
    return units.select_related("building", "entry__owner").order_by(
        "building__sort_key", "building__number", "position"
    )


def turnout_page(
    units: QuerySet[RollUnit],
    query: ListQuery,
    kept: KeptTurnout | None,
    *,
    building_id: int | None = None,
    voted: str = "",
) -> ListPage:
    """The page of :func:`turnout_units` (``units``, filtered by ``building_id`` and
    ``voted``) that ``query`` asks for. With the scope's kept turnout and no search, the
    kept unit counts per building replace the COUNT and the page is read from the
    buildings it spans only, each in its stored order (one building: an index range from
    the page's first unit); otherwise COUNT and one page (:func:`portal.lists.paginate`)."""
    if kept is None or query.search:
        return paginate(units, query)

    def fetch(buildings: list[int], skip: int, limit: int) -> list[RollUnit]:
        rows = units.filter(building_id__in=buildings)
        if len(buildings) == 1:
            ordered = rows.order_by("position")
        else:
            place = Case(
                *(When(building_id=b, then=Value(n)) for n, b in enumerate(buildings)),
                output_field=IntegerField(),
            )
            ordered = rows.order_by(place, "position")
        return list(ordered[skip : skip + limit])

    return paginate_groups(query, kept.unit_counts(voted=voted, building_id=building_id), fetch)


@dataclass
class BallotSheet:
    """One voter's paper ballot: the items they may vote on and the flats (and area) those
    items count, never flats outside every item's scope."""

    entry: RollEntry
    items: list[Item]
    unit_labels: list[str]
    area: int

    @property
    def units_label(self) -> str:
        return "、".join(self.unit_labels)


def ballot_sheets(decision: Decision, building_id: int) -> list[BallotSheet]:
    """The paper ballots of the voters with a flat in one building, in roll order. A unit
    without a registered owner gets no ballot (nobody may vote for it)."""
    items = decision_items(decision)
    entries = (
        decision.roll.filter(units__building_id=building_id, owner__isnull=False)
        .distinct()
        .prefetch_related("units")
        .order_by("number")
    )
    sheets = []
    for entry in entries:
        units = list(entry.units.all())
        entry_items: list[Item] = []
        counted: set[int] = set()
        for item in items:
            scope = item_scope(item)
            in_scope = [u for u in units if scope is None or u.building_id in scope]
            if in_scope:
                entry_items.append(item)
                counted.update(u.pk for u in in_scope)
        shown = [u for u in units if u.pk in counted]
        if not entry_items or not any(u.building_id == building_id for u in shown):
            continue  # the voter's flats in this building are in no item's scope
        sheets.append(
            BallotSheet(
                entry=entry,
                items=entry_items,
                unit_labels=[u.unit_label for u in shown],
                area=sum(u.area or 0 for u in shown),
            )
        )
    return sheets


def roll_entries_for_user(decision: Decision, user: User | AnonymousUser) -> QuerySet[RollEntry]:
    """The roll rows ``user`` may vote for: their own (as owner or co-owners'
    representative) and those whose active proxy they hold."""
    if not user.is_authenticated:
        return decision.roll.none()
    # Two index lookups joined by UNION: an OR across the owner and proxy joins made the
    # planner scan the whole roll (50 ms at 50,000 voters, on every decision page).
    own = decision.roll.filter(owner__user=user).order_by().values("id")
    held = (
        Proxy.objects.filter(
            compound_id=decision.compound_id,
            decision=decision,
            holder_user=user,
            revoked_at__isnull=True,
        )
        .order_by()
        .values("entry_id")
    )
    return decision.roll.filter(id__in=own.union(held)).order_by("number")


def own_ballots(decision: Decision, entries: Iterable[RollEntry]) -> dict[tuple[int, int], Ballot]:
    """The user's own ballots (entry id, item id) → ballot, for their ballot page."""
    return {
        (b.entry_id, b.item_id): b
        for b in Ballot.objects.filter(
            compound_id=decision.compound_id, decision=decision, entry__in=list(entries)
        )
    }


def participants(decision: Decision) -> QuerySet:
    """Per voter who cast a ballot: unit numbers and area only (public result page)."""
    return (
        decision.roll.filter(voted_at__isnull=False)
        .order_by("number")
        .values_list("units_label", "area")
    )


def participants_found(
    decision: Decision, *, search: Search | None = None, building_id: int | None = None
) -> QuerySet:
    """:func:`participants` with a unit in the building and matching the search by building
    or unit number only: the public page shows no names, so it cannot be searched by one."""
    return participants(decision).filter(
        _roll_entries_q(decision, search=search, building_id=building_id, by_name=False)
    )


@dataclass(frozen=True)
class ParticipantsPage(PageNumbers):
    """One page of :func:`participants`: ``number`` of ``num_pages`` (1-based)."""

    rows: list[tuple[str, int]]
    number: int
    num_pages: int


def participant_pages(decision: Decision) -> int:
    """How many pages of participants the public result page has (at least 1)."""
    roll = _certified_roll(decision)
    if roll is not None:
        return max(1, len(roll.page_starts))
    count = decision.roll.filter(voted_at__isnull=False).count()
    return max(1, -(-count // PARTICIPANTS_PER_PAGE))


def participants_page(decision: Decision, number: int) -> ParticipantsPage:
    """Page ``number`` (1 to :func:`participant_pages`) of the participants. A counted
    decision's roll figures give the roll number each page starts at, so any page is one
    index range read, never an OFFSET over the pages before it nor a COUNT of them all."""
    roll = _certified_roll(decision)
    rows = participants(decision)
    if roll is None:
        pages = participant_pages(decision)
        start = (number - 1) * PARTICIPANTS_PER_PAGE
        return ParticipantsPage(list(rows[start : start + PARTICIPANTS_PER_PAGE]), number, pages)
    pages = max(1, len(roll.page_starts))
    if not roll.page_starts:
        return ParticipantsPage([], number, pages)
    first = roll.page_starts[number - 1]
    return ParticipantsPage(
        list(rows.filter(number__gte=first)[:PARTICIPANTS_PER_PAGE]), number, pages
    )


def receipt_counted(decision: Decision, code: str) -> list[str]:
    """The titles of the items for which a ballot with this receipt code was counted;
    empty when none. Reveals no choice and no voter."""
    code = (code or "").strip().upper()
    if not code:
        return []
    return list(
        Ballot.objects.filter(
            compound_id=decision.compound_id, decision=decision, receipt_code=code
        ).values_list("item__title", flat=True)
    )


def review_queue(decision: Decision) -> QuerySet:
    return (
        PaperEntry.objects.filter(
            compound_id=decision.compound_id, decision=decision, status=PaperEntryStatus.MISMATCH
        )
        .select_related("entry", "entered_by")
        .order_by("entry__number", "created_at")
    )


def pending_paper_entries(decision: Decision) -> QuerySet:
    return (
        PaperEntry.objects.filter(
            compound_id=decision.compound_id, decision=decision, status=PaperEntryStatus.PENDING
        )
        .select_related("entry", "entered_by")
        .order_by("created_at")
    )


def _roll_entries_q(
    decision: Decision,
    *,
    search: Search | None,
    building_id: int | None,
    prefix: str = "",
    by_name: bool = True,
) -> Q:
    """Roll entries (through ``prefix``, e.g. "entry__") with a unit in the building, and
    matching the search: a building or unit number of one of their units, or (``by_name``)
    the voter's masked name (张*). Subqueries over the roll units, so no row is repeated."""
    found = Q()
    units = RollUnit.objects.filter(compound_id=decision.compound_id, decision=decision)
    if building_id is not None:
        found &= Q(**{f"{prefix}id__in": units.filter(building_id=building_id).values("entry_id")})
    if search:
        by_unit = units.filter(
            search.q(
                building="building__number", unit="unit__number", name=None, names_visible=False
            )
        ).values("entry_id")
        named = search.q(
            building=None,
            unit=None,
            name=f"{prefix}owner__name" if by_name else None,
            names_visible=False,
        )
        found &= Q(**{f"{prefix}id__in": by_unit}) | named
    return found


def review_entries(
    decision: Decision, *, search: Search | None = None, building_id: int | None = None
) -> QuerySet[RollEntry]:
    """The review queue (复核队列) as a list: the roll entries whose two paper keyings
    disagree, in roll order, each with its disagreeing keyings as ``mismatches``."""
    mismatched = PaperEntry.objects.filter(
        compound_id=decision.compound_id,
        decision=decision,
        entry=OuterRef("pk"),
        status=PaperEntryStatus.MISMATCH,
    )
    keyings = Prefetch(
        "paper_entries",
        queryset=PaperEntry.objects.filter(status=PaperEntryStatus.MISMATCH)
        .select_related("entered_by")
        .order_by("created_at", "id"),
        to_attr="mismatches",
    )
    return (
        decision.roll.filter(Exists(mismatched))
        .filter(_roll_entries_q(decision, search=search, building_id=building_id))
        .select_related("owner")
        .prefetch_related(keyings)
        .order_by("number")
    )


def paper_entries(
    decision: Decision,
    *,
    search: Search | None = None,
    building_id: int | None = None,
    status: str = "",
) -> QuerySet[PaperEntry]:
    """The paper keyings of the decision (书面选票录入记录), newest first, with their roll
    entry and who keyed them; ``status`` one of :class:`PaperEntryStatus` or "" for all."""
    entries = PaperEntry.objects.filter(compound_id=decision.compound_id, decision=decision)
    if status:
        entries = entries.filter(status=status)
    return (
        entries.filter(
            _roll_entries_q(decision, search=search, building_id=building_id, prefix="entry__")
        )
        .select_related("entry__owner", "entered_by")
        .order_by("-created_at", "-id")
    )


@dataclass
class PublicationReminder:
    due_at: dt.datetime
    overdue: bool


def publication_reminder(
    decision: Decision, now: dt.datetime | None = None
) -> PublicationReminder | None:
    """BJ 37: once counted, the result is due for publication within 3 days."""
    if decision.state != DecisionState.COUNTED or decision.counted_at is None:
        return None
    due = decision.counted_at + PUBLICATION_PERIOD
    return PublicationReminder(due_at=due, overdue=(now or timezone.now()) > due)


def _roll_aggregate(decision: Decision) -> dict:
    summary = decision.roll.aggregate(
        voters=Count("id"),
        area_sum=Sum("area"),
        unknown_area_units=Sum("unknown_area_units"),
        voted=Count("id", filter=Q(voted_at__isnull=False)),
        ownerless=Count("id", filter=Q(owner__isnull=True)),
    )
    summary["area_sum"] = int(summary["area_sum"] or 0)
    summary["unknown_area_units"] = int(summary["unknown_area_units"] or 0)
    return summary


def roll_figures(decision: Decision) -> RollFigures:
    """The roll's figures as counting certifies them, in two queries: the aggregate, and
    the participants' roll numbers (every :data:`PARTICIPANTS_PER_PAGE`-th kept as a page
    start)."""
    numbers = (
        decision.roll.filter(voted_at__isnull=False)
        .order_by("number")
        .values_list("number", flat=True)
    )
    starts = tuple(
        number
        for i, number in enumerate(numbers.iterator(chunk_size=5000))
        if i % PARTICIPANTS_PER_PAGE == 0
    )
    return RollFigures(**_roll_aggregate(decision), page_starts=starts)


def _certified_roll(decision: Decision) -> RollFigures | None:
    certified = certified_tally(decision)
    return certified.roll if certified is not None else None


def roll_summary(decision: Decision) -> dict:
    """Voters on the roll, their area, units of unknown area, voters who took part and
    voters without a registered owner. Read from the certified snapshot once counted (no
    query); aggregated over the roll before that."""
    roll = _certified_roll(decision)
    if roll is None:
        return _roll_aggregate(decision)
    return {
        "voters": roll.voters,
        "area_sum": roll.area_sum,
        "unknown_area_units": roll.unknown_area_units,
        "voted": roll.voted,
        "ownerless": roll.ownerless,
    }


@dataclass(frozen=True)
class TurnoutSection:
    """The turnout per building of the items sharing one scope, over their roll only."""

    scope_label: str  # "" for the whole compound
    items: tuple[ItemResult, ...]
    rows: list[BuildingTurnout]


def turnout_sections(decision: Decision, tally: TallySnapshot) -> list[TurnoutSection]:
    """One section per distinct item scope, in item order: a building-scoped item's turnout
    never shows the buildings (or flats) outside its scope."""
    results = {result.id: result for result in tally.items}
    groups: dict[tuple[int, ...] | None, list[Item]] = {}
    for item in decision_items(decision):
        scope = item_scope(item)
        groups.setdefault(None if scope is None else tuple(sorted(scope)), []).append(item)
    return [
        TurnoutSection(
            results[group[0].pk].scope,
            tuple(results[item.pk] for item in group),
            turnout_by_building(decision, turnout_scope(decision, *group)),
        )
        for group in groups.values()
    ]


@dataclass(frozen=True)
class ProcedureStep:
    """One state change of a decision as the decision page and the report show it (程序记录).
    ``actor_name`` is None when no person made it (a scheduled job, a system action): the
    step then reads as the system (系统), never as an error."""

    at: dt.datetime
    from_state: str
    to_state: str
    actor_name: str | None

    @property
    def from_label(self) -> str:
        return str(DecisionState(self.from_state).label) if self.from_state else ""

    @property
    def to_label(self) -> str:
        return str(DecisionState(self.to_state).label)

    @property
    def actor_label(self) -> str:
        """The person's full name (or user name), or 系统 in the reader's language."""
        return self.actor_name or gettext("系统")


def procedure_record(decision: Decision) -> list[ProcedureStep]:
    """The decision's state changes in order, with who made each (one query)."""
    return [
        ProcedureStep(
            at=change.at,
            from_state=change.from_state,
            to_state=change.to_state,
            actor_name=(
                (change.actor.get_full_name() or change.actor.username) if change.actor else None
            ),
        )
        for change in decision.state_changes.select_related("actor").order_by("at", "id")
    ]


@dataclass(frozen=True)
class TallyReport:
    """Everything the tally report (计票结果报告) shows, gathered for :mod:`voting.pdf`."""

    decision: Decision
    tally: TallySnapshot
    turnout_sections: list[TurnoutSection]
    procedure: list[ProcedureStep]
    generated_at: dt.datetime


def tally_report(decision: Decision) -> TallyReport:
    """The report's data: the certified tally (never recounted) and the turnout."""
    tally = decision_result(decision)
    return TallyReport(
        decision=decision,
        tally=tally,
        turnout_sections=turnout_sections(decision, tally),
        procedure=procedure_record(decision),
        generated_at=timezone.now(),
    )
