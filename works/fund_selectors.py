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
                balance=found.get("balance") or ZERO,
                owed=found.get("owed") or ZERO,
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
    unit: Unit
    share: Decimal
    taken: Decimal | None
    owed: Decimal | None


def draw_share_rows(draw: FundDraw, *, units: QuerySet[Unit] | None = None) -> list[ShareRow]:
    """Each unit's share of ``draw``: from its entries once made, else as the split by
    area would give it now. ``units``: only these (a resident's own)."""
    if draw.status == DrawStatus.MADE:
        entries = FundEntry.objects.filter(compound_id=draw.compound_id, draw=draw)
        if units is not None:
            entries = entries.filter(unit__in=units)
        return [
            ShareRow(e.unit, -e.amount + e.owed, -e.amount, e.owed)
            for e in entries.select_related("unit__building").order_by(
                "building__sort_key", "building__number", "unit__number"
            )
        ]
    try:
        shares, by_id = draw_shares(draw.project, draw.amount)
    except ValidationError:  # no unit of known area left in scope: nothing to show
        return []
    wanted = set(units.values_list("pk", flat=True)) if units is not None else None
    return [
        ShareRow(by_id[unit_id], share, None, None)
        for unit_id, share in shares.items()
        if wanted is None or unit_id in wanted
    ]


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
