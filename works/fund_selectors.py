"""Reads of the maintenance fund: balances per unit and per building (SQL aggregates, a
fixed number of queries whatever the compound's size), a unit's ledger, the draws and
their shares, what a resident may see of their own units, and whether a project has the
emergency basis its approval needs.

Sums of money are taken in SQL as aggregates with a decimal output; Django quantizes them
to the fen on SQLite as well (where the column is stored as floating point).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from households.models import Building, Unit
from portal.access import AnyUser
from portal.lists import Search
from portal.models import Compound

from . import selectors
from .models import (
    DocumentKind,
    DrawStatus,
    EmergencyCase,
    FundDraw,
    FundDrawShare,
    FundEntry,
    FundImport,
    Project,
    ProjectDocument,
)
from .money import split_by_area

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _unit_sum(column: str) -> Coalesce:
    per_unit = (
        FundEntry.objects.filter(unit_id=OuterRef("pk"))
        .order_by()
        .values("unit_id")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(Subquery(per_unit, output_field=_MONEY), Value(ZERO), output_field=_MONEY)


def unit_balances_list(
    compound: Compound, *, search: Search | None = None, building: str = ""
) -> QuerySet[Unit]:
    """The compound's units with ``balance`` and ``owed`` (correlated sums), in building
    and unit order; for a page of a paginated list (COUNT + one query)."""
    units = (
        compound.units.select_related("building")
        .annotate(balance=_unit_sum("amount"), owed=_unit_sum("owed"))
        .order_by("building__sort_key", "building__number", "number", "pk")
    )
    if building:
        units = units.filter(building__number=building)
    if search:
        units = units.filter(
            search.q(building="building__number", unit="number", name=None, names_visible=False)
        )
    return units


@dataclass
class BuildingBalance:
    building: Building
    units: int = 0
    units_opened: int = 0
    balance: Decimal = ZERO
    owed: Decimal = ZERO


@dataclass
class FundTotals:
    buildings: list[BuildingBalance] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        return sum((b.balance for b in self.buildings), ZERO)

    @property
    def owed(self) -> Decimal:
        return sum((b.owed for b in self.buildings), ZERO)

    @property
    def units(self) -> int:
        return sum(b.units for b in self.buildings)

    @property
    def units_opened(self) -> int:
        return sum(b.units_opened for b in self.buildings)


def _fen(value: Decimal | None) -> Decimal:
    """A sum to the fen (SQLite sums the column as floating point: -1.7e-18 is 0.00)."""
    return (value or ZERO).quantize(ZERO)


def building_balances(compound: Compound) -> FundTotals:
    """Per building: its units, how many have an opening balance, the balance and the
    amount owed (three queries: buildings with unit counts, sums, openings)."""
    buildings = list(
        compound.buildings.annotate(unit_count=Count("units")).order_by("sort_key", "number")
    )
    sums = {
        row["building_id"]: row
        for row in FundEntry.objects.filter(compound=compound)
        .order_by()
        .values("building_id")
        .annotate(
            balance=Sum("amount", output_field=_MONEY),
            owed=Sum("owed", output_field=_MONEY),
            opened=Count("pk", filter=Q(kind="opening")),
        )
    }
    rows = []
    for building in buildings:
        found: dict = dict(sums.get(building.pk, {}))
        rows.append(
            BuildingBalance(
                building=building,
                units=building.unit_count,
                units_opened=found.get("opened", 0),
                balance=_fen(found.get("balance")),
                owed=_fen(found.get("owed")),
            )
        )
    return FundTotals(buildings=rows)


def unit_ledger(compound: Compound, unit: Unit) -> QuerySet[FundEntry]:
    """One unit's entries in date order, with the draw's project for the draw lines."""
    return (
        FundEntry.objects.filter(compound=compound, unit=unit)
        .select_related("draw__project")
        .order_by("entry_date", "pk")
    )


def ledger_with_running_balance(entries: list[FundEntry]) -> list[tuple[FundEntry, Decimal]]:
    """Each entry with the balance after it (entries in date order)."""
    running, rows = ZERO, []
    for entry in entries:
        running += entry.amount
        rows.append((entry, running))
    return rows


def compound_entries(
    compound: Compound, *, building: Building | None = None
) -> QuerySet[FundEntry]:
    """The compound's ledger (or one building's) for the statement: by unit, then date."""
    entries = FundEntry.objects.filter(compound=compound)
    if building is not None:
        entries = entries.filter(building=building)
    return entries.select_related("unit", "building", "draw__project").order_by(
        "building__sort_key", "building__number", "unit__number", "unit_id", "entry_date", "pk"
    )


def compound_draws(compound: Compound) -> QuerySet[FundDraw]:
    """The compound's draws, newest publication first, with project and case."""
    return (
        FundDraw.objects.filter(compound=compound)
        .select_related("project", "emergency_case")
        .order_by("-published_on", "-pk")
    )


def draws_visible_to(user: AnyUser, compound: Compound) -> QuerySet[FundDraw]:
    """The draws a resident is shown: those for projects whose scope has one of their
    units (a published draw is what the owners in scope are told)."""
    mine = compound.units.owned_by(user).values("pk")
    in_scope = Q(project__scope_units__unit_id__in=mine) | Q(
        project__scope_buildings__building__units__in=mine
    )
    return compound_draws(compound).filter(in_scope).distinct()


@dataclass
class UnitFund:
    """One of a resident's units: its balance, what it owes and its ledger."""

    unit: Unit
    balance: Decimal
    owed: Decimal
    entries: list[tuple[FundEntry, Decimal]]


def unit_balances(user: AnyUser, compound: Compound) -> list[UnitFund]:
    """The maintenance fund of the units ``user`` owns now in ``compound``: balance, owed
    and ledger of each (two queries), for the owner's own page. Nobody else's units."""
    units = list(
        compound.units.owned_by(user)
        .select_related("building")
        .order_by("building__sort_key", "building__number", "number")
    )
    entries: dict[int, list[FundEntry]] = {u.pk: [] for u in units}
    if units:
        for entry in (
            FundEntry.objects.filter(compound=compound, unit_id__in=list(entries))
            .select_related("draw__project")
            .order_by("entry_date", "pk")
        ):
            entries[entry.unit_id].append(entry)
    result = []
    for unit in units:
        rows = ledger_with_running_balance(entries[unit.pk])
        result.append(
            UnitFund(
                unit=unit,
                balance=rows[-1][1] if rows else ZERO,
                owed=sum((e.owed for e in entries[unit.pk]), ZERO),
                entries=rows,
            )
        )
    return result


def draw_units(project: Project) -> list[Unit]:
    """The units a draw for ``project`` is split over: its scope's units of known area, in
    building and unit order (the order breaks ties of the split)."""
    return list(
        selectors.scope_units(project)
        .filter(floor_area__isnull=False)
        .select_related("building")
        .order_by("building__sort_key", "building__number", "number", "pk")
    )


def draw_shares(project: Project, amount: Decimal) -> tuple[dict[int, Decimal], dict[int, Unit]]:
    """Each scope unit's share of ``amount`` by area (sums to it exactly) and the units."""
    units = draw_units(project)
    if not units:
        raise ValidationError({"amount": _("工程范围内没有已知面积的房屋，无法按面积分摊维修资金")})
    by_id = {u.pk: u for u in units}
    areas = {u.pk: u.floor_area for u in units if u.floor_area is not None}
    return split_by_area(amount, areas), by_id


@dataclass(frozen=True)
class ShareRow:
    """One unit's part of a draw: its share (and the area it was split by); once made,
    what the fund paid of it (the draw's entry and later settlements) and what is still
    owed."""

    unit: Unit
    area: Decimal | None
    share: Decimal
    taken: Decimal | None
    owed: Decimal | None


@dataclass
class DrawSplit:
    """The rows of a draw's split; ``fixed``: the split was fixed at publication (else
    the draw predates kept splits and the rows are the split by the scope now)."""

    rows: list[ShareRow]
    fixed: bool = True

    @property
    def total(self) -> Decimal:
        return sum((row.share for row in self.rows), ZERO)


def _paid_and_owed(
    draw: FundDraw, units: QuerySet[Unit] | None
) -> dict[int, tuple[Decimal, Decimal]]:
    """Per unit, what the fund paid of ``draw`` and what is still owed (one query)."""
    entries = FundEntry.objects.filter(compound_id=draw.compound_id, draw=draw)
    if units is not None:
        entries = entries.filter(unit__in=units)
    found: dict[int, tuple[Decimal, Decimal]] = {}
    for unit_id, amount, owed in entries.values_list("unit_id", "amount", "owed"):
        taken, due = found.get(unit_id, (ZERO, ZERO))
        found[unit_id] = (taken - amount, due + owed)
    return found


def draw_split(draw: FundDraw, *, units: QuerySet[Unit] | None = None) -> DrawSplit:
    """Each unit's share of ``draw`` as fixed at publication, with (once made) what was
    paid and what is owed; ``units``: only these (a resident's own). A constant number of
    queries whatever the scope. A draw from before splits were kept shows, once made, the
    split its entries record, and while published the split by the scope now."""
    kept = FundDrawShare.objects.filter(compound_id=draw.compound_id, draw=draw)
    if units is not None:
        kept = kept.filter(unit__in=units)
    shares = list(kept.select_related("unit__building").order_by("pk"))
    made = draw.status == DrawStatus.MADE
    paid = _paid_and_owed(draw, units) if made else {}
    if shares:
        rows = []
        for row in shares:
            taken, owed = paid.get(row.unit_id, (ZERO, ZERO))
            rows.append(
                ShareRow(
                    row.unit, row.area, row.share, taken if made else None, owed if made else None
                )
            )
        return DrawSplit(rows)
    has_any = (
        units is not None
        and FundDrawShare.objects.filter(compound_id=draw.compound_id, draw=draw).exists()
    )
    if has_any:  # kept, but none of ``units`` is in the split
        return DrawSplit([])
    if made:
        by_id = {u.pk: u for u in Unit.objects.filter(pk__in=list(paid)).select_related("building")}
        ordered = sorted(
            by_id.values(),
            key=lambda u: (u.building.sort_key, u.building.number, u.number, u.pk),
        )
        return DrawSplit(
            [
                ShareRow(
                    u, u.floor_area, paid[u.pk][0] + paid[u.pk][1], paid[u.pk][0], paid[u.pk][1]
                )
                for u in ordered
            ],
            fixed=False,
        )
    try:
        computed, by_unit = draw_shares(draw.project, draw.amount)
    except ValidationError:  # no unit of known area left in scope: nothing to show
        return DrawSplit([], fixed=False)
    wanted = set(units.values_list("pk", flat=True)) if units is not None else None
    return DrawSplit(
        [
            ShareRow(by_unit[unit_id], by_unit[unit_id].floor_area, share, None, None)
            for unit_id, share in computed.items()
            if wanted is None or unit_id in wanted
        ],
        fixed=False,
    )


def compound_draw_shares(
    compound: Compound, *, building: Building | None = None
) -> QuerySet[FundDrawShare]:
    """Every kept share of the compound's draws (or of one building's units) for the
    statement: by draw (newest publication first), then building and unit."""
    shares = FundDrawShare.objects.filter(compound=compound)
    if building is not None:
        shares = shares.filter(building=building)
    return shares.select_related("draw__project", "unit", "building").order_by(
        "-draw__published_on",
        "-draw_id",
        "building__sort_key",
        "building__number",
        "unit__number",
        "pk",
    )


def _draw_unit_sum(column: str) -> Coalesce:
    per_unit = (
        FundEntry.objects.filter(draw_id=OuterRef("draw_id"), unit_id=OuterRef("unit_id"))
        .order_by()
        .values("unit_id")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(Subquery(per_unit, output_field=_MONEY), Value(ZERO), output_field=_MONEY)


def draw_shares_list(draw: FundDraw) -> QuerySet[FundDrawShare]:
    """The kept split of ``draw`` for the API, in the scope's order, each share with
    ``paid`` (what the fund paid of it: the draw's entry and later settlements, as a
    negative sum) and ``owed`` (still owed), both 0 until the draw is made."""
    return (
        FundDrawShare.objects.filter(compound_id=draw.compound_id, draw=draw)
        .select_related("unit__building", "building")
        .annotate(paid=_draw_unit_sum("amount"), owed=_draw_unit_sum("owed"))
        .order_by("pk")
    )


@dataclass(frozen=True)
class PendingShare:
    """An owner's unit's share of a draw published to them and not yet made."""

    unit: Unit
    draw: FundDraw
    area: Decimal
    share: Decimal


def pending_shares_of_units(units: list[Unit]) -> list[PendingShare]:
    """The shares of ``units`` (a resident's own, possibly of several compounds) in the
    draws published and not yet made (one query), by publication."""
    if not units:
        return []
    by_id = {u.pk: u for u in units}
    rows = (
        FundDrawShare.objects.filter(
            compound_id__in={u.compound_id for u in units},
            unit_id__in=list(by_id),
            draw__status=DrawStatus.PUBLISHED,
        )
        .select_related("draw__project")
        .order_by("draw__published_on", "draw_id", "pk")
    )
    return [PendingShare(by_id[r.unit_id], r.draw, r.area, r.share) for r in rows]


def emergency_basis_ok(project: Project, case: EmergencyCase | None = None) -> bool:
    """Whether ``project`` may be approved on the emergency route: it has an evidence
    document and an emergency draw (for ``case``, if given) was published to the owners
    (made or still awaiting the draw)."""
    draws = FundDraw.objects.filter(
        compound_id=project.compound_id,
        project=project,
        emergency_case__isnull=False,
        status__in=[DrawStatus.PUBLISHED, DrawStatus.MADE],
    )
    if case is not None:
        draws = draws.filter(emergency_case=case)
    evidence = ProjectDocument.objects.filter(
        compound_id=project.compound_id, project=project, kind=DocumentKind.EVIDENCE
    )
    return bool(
        Project.objects.filter(pk=project.pk).filter(Exists(draws), Exists(evidence)).exists()
    )


def compound_projects_open(compound: Compound) -> QuerySet[Project]:
    """Projects an emergency application may name: any not yet settled."""
    return selectors.compound_projects(compound).exclude(status="settled")


def fund_imports(compound: Compound) -> QuerySet[FundImport]:
    """The compound's opening-balance imports, newest first."""
    return FundImport.objects.filter(compound=compound).select_related("imported_by")


def approved_projects(compound: Compound) -> QuerySet[Project]:
    """Projects a draw may be published for (approved or later), newest first."""
    return selectors.compound_projects(compound).exclude(status="proposed")
