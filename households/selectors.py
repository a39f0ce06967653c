"""Reads of the compound register. Every selector takes its tenant and starts from it."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Length, StrIndex, Substr

from portal.access import AnyUser
from portal.lists import Search
from portal.models import Compound, StreetOffice

from .masking import mask_name
from .models import (
    Building,
    BuildingKind,
    Committee,
    CommitteeMember,
    CommitteeRole,
    Owner,
    Ownership,
    PropertyRightUnit,
    Unit,
)


@dataclass
class CompoundSummary:
    """Households, area and buildings by kind, for overviews."""

    compound: Compound
    households: int = 0
    known_area: Decimal = Decimal("0.00")
    units_without_area: int = 0
    buildings_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def building_count(self) -> int:
        return sum(self.buildings_by_kind.values())


def compound_summaries(compounds: Iterable[Compound]) -> list[CompoundSummary]:
    """One summary per compound in two queries, whatever the number of compounds."""
    compounds = list(compounds)
    summaries = {c.id: CompoundSummary(compound=c) for c in compounds}
    unit_rows = (
        Unit.objects.filter(compound__in=compounds)
        .values("compound_id")
        .annotate(
            households=Count("id"),
            area=Sum("floor_area"),
            unknown=Count("id", filter=Q(floor_area__isnull=True)),
        )
    )
    for row in unit_rows:
        summary = summaries[row["compound_id"]]
        summary.households = row["households"]
        summary.known_area = row["area"] or Decimal("0.00")
        summary.units_without_area = row["unknown"]
    building_rows = (
        Building.objects.filter(compound__in=compounds)
        .values("compound_id", "kind")
        .annotate(n=Count("id"))
    )
    for kind_row in building_rows:
        summaries[kind_row["compound_id"]].buildings_by_kind[kind_row["kind"]] = kind_row["n"]
    return [summaries[c.id] for c in compounds]


def street_office_compounds(street_office: StreetOffice) -> QuerySet[Compound]:
    return street_office.compounds.select_related("service_company").order_by("name")


def compound_buildings(compound: Compound) -> QuerySet[Building]:
    """Buildings with their unit count and known area, in natural order."""
    return compound.buildings.annotate(
        unit_count=Count("units"),
        area=Sum("units__floor_area"),
        units_without_area=Count("units", filter=Q(units__floor_area__isnull=True)),
    ).order_by("sort_key", "number")


def building_kind_labels() -> dict[str, str]:
    return {value: str(label) for value, label in BuildingKind.choices}


def current_ownerships(*, only_of: User | None = None) -> Prefetch:
    """Prefetch of the current owners of units, for lists that show them masked.
    ``only_of``: just that user's own rows (what a resident may see of their flat)."""
    queryset = Ownership.objects.current().select_related("owner")
    if only_of is not None:
        queryset = queryset.filter(owner__user=only_of)
    return Prefetch("ownerships", queryset=queryset, to_attr="current_ownerships")


def unit_ownerships(unit: Unit, *, viewer: User, staff: bool) -> QuerySet[Ownership]:
    """Who owns ``unit`` and since when. Staff see the whole history (identifiers masked);
    a resident only their own current rows, never previous owners or a co-owner (PIPL)."""
    ownerships = unit.ownerships.select_related("owner").order_by("valid_to", "-valid_from")
    if not staff:
        ownerships = ownerships.current().filter(owner__user=viewer)
    return ownerships


# What separates the entrance (单元/门) from the rest of a unit number, as registers write
# it: "3-1802" (entrance 3, floor 18, flat 02), "1门101", "2单元301". A number without one
# (a bungalow's "东12", an old "0101") has no entrance.
ENTRANCE_MARKS = ("-", "门", "单元")


def unit_entrance(number: str = "number") -> Case:
    """The entrance part of the unit number at ``number`` (a field path: ``"unit__number"``
    from a row pointing at a unit) as an SQL expression ("" when none), so pages can group,
    filter and order by it without reading every unit."""
    return Case(
        *(
            When(
                **{f"{number}__contains": mark},
                then=Substr(number, 1, StrIndex(number, Value(mark)) - 1),
            )
            for mark in ENTRANCE_MARKS
        ),
        default=Value(""),
        output_field=CharField(),
    )


# Natural order inside a building: by entrance, then shorter numbers first, so 3-901 comes
# before 3-1001 and "2" before "10" (entrances compared the same way).
UNIT_NATURAL_ORDER = (
    Length("entrance").asc(),
    F("entrance").asc(),
    Length("number").asc(),
    F("number").asc(),
    F("pk").asc(),
)


def _owner_named(lookup: str, value: str) -> Q:
    """Units with a current owner whose name matches (for :meth:`Search.q`)."""
    return Q(
        Exists(
            Ownership.objects.current().filter(
                unit=OuterRef("pk"), **{f"owner__name__{lookup}": value}
            )
        )
    )


def _units_for_list(units: QuerySet[Unit], search: Search, names_visible: bool) -> QuerySet[Unit]:
    return (
        units.filter(
            search.q(
                building="building__number",
                unit="number",
                name=_owner_named,
                names_visible=names_visible,
            )
        )
        .select_related("building")
        .prefetch_related(current_ownerships())
        .annotate(entrance=unit_entrance())
    )


def building_units(
    building: Building,
    *,
    search: Search | None = None,
    names_visible: bool = True,
    entrance: str = "",
) -> QuerySet[Unit]:
    """The building's units in natural order (entrance, floor, flat), with their current
    owners (prefetched) and ``entrance`` annotated; ``search`` and ``entrance`` narrow
    them. Started from the compound's units, so each knows its compound and
    ``get_absolute_url`` costs no query."""
    in_building = building.compound.units.filter(building=building)
    units = _units_for_list(in_building, search or Search(), names_visible)
    if entrance:
        units = units.filter(Q(entrance=entrance))
    return units.order_by(*UNIT_NATURAL_ORDER)


def building_entrances(building: Building) -> list[str]:
    """The building's entrances (单元), in natural order, in one query; empty when its
    units have none (bungalows)."""
    names = (
        building.units.annotate(entrance=unit_entrance())
        .exclude(entrance="")
        .order_by()  # not Unit's default ordering, which DISTINCT would include
        .values_list("entrance", flat=True)
        .distinct()
    )
    return sorted(names, key=lambda name: (len(name), name))


def register_units(
    compound: Compound,
    *,
    search: Search | None = None,
    names_visible: bool = True,
    building: str = "",
    kind: str = "",
    area_source: str = "",
) -> QuerySet[Unit]:
    """房屋: the compound's units for its register list, by building then natural order,
    narrowed by ``search`` and the filters (a building's number, its kind, the area's
    source; empty means any)."""
    units = compound.units.all()
    if building:
        units = units.filter(building__number=building)
    if kind:
        units = units.filter(building__kind=kind)
    if area_source:
        units = units.filter(area_source=area_source)
    return _units_for_list(units, search or Search(), names_visible).order_by(
        "building__sort_key", "building__number", *UNIT_NATURAL_ORDER
    )


def units_per_building(
    units: QuerySet[Unit], buildings: Iterable[Building]
) -> list[tuple[int, int]]:
    """(building id, number of ``units`` in it) for ``buildings``, in their order: one
    aggregate query, the groups of ``portal.lists.paginate_groups``."""
    counts = dict(
        units.order_by()
        .values_list("building_id")
        .annotate(n=Count("pk"))
        .values_list("building_id", "n")
    )
    return [(b.pk, counts.get(b.pk, 0)) for b in buildings]


def register_owners(
    compound: Compound,
    *,
    search: Search | None = None,
    names_visible: bool = True,
    kind: str = "",
    building: str = "",
    holding: str = "",
) -> QuerySet[Owner]:
    """业主: the compound's owners for its register list, by name, with the units each
    holds now (prefetched as ``current_ownerships``). ``search`` finds an owner by name or
    by a unit they hold now; ``building``: owners holding a unit there now; ``holding``:
    "yes" for owners holding a unit now, "no" for owner records holding none."""
    search = search or Search()
    current = Ownership.objects.current()
    found_by_unit = current.filter(
        search.q(
            building="unit__building__number",
            unit="unit__number",
            name=None,
            names_visible=names_visible,
        )
    ).values("owner_id")
    owners = compound.owners.all()
    if search:
        owners = owners.filter(
            Q(pk__in=found_by_unit)
            | search.q(building=None, unit=None, name="name", names_visible=names_visible)
        )
    if kind:
        owners = owners.filter(kind=kind)
    if building:
        owners = owners.filter(
            Exists(current.filter(owner=OuterRef("pk"), unit__building__number=building))
        )
    if holding:
        holds = Exists(current.filter(owner=OuterRef("pk")))
        owners = owners.filter(holds if holding == "yes" else ~holds)
    held = Prefetch(
        "ownerships",
        queryset=current.select_related("unit__building").order_by(
            "unit__building__sort_key", "unit__building__number", "unit__number"
        ),
        to_attr="current_ownerships",
    )
    return (
        owners.select_related("property_right_unit").prefetch_related(held).order_by("name", "pk")
    )


def owner_name_shown(name: str, *, names_visible: bool) -> str:
    """An owner's name as a list shows it: whole, or masked (张*) for those who may not
    read names (see ``access.sees_owner_names``)."""
    return name if names_visible else mask_name(name)


def units_of_user(compound: Compound, user: AnyUser) -> QuerySet[Unit]:
    """The units a resident currently owns in ``compound``."""
    return compound.units.owned_by(user).select_related("building")


def units_of_user_everywhere(user: AnyUser) -> QuerySet[Unit]:
    """All units the user owns, across compounds, for the resident's home page."""
    return Unit.objects.owned_by(user).select_related("building", "compound")


def compound_property_right_units(compound: Compound) -> QuerySet[PropertyRightUnit]:
    """The compound's property-right units with the number of units each holds now
    (current ownerships of its owner record), by name."""
    return (
        compound.property_right_units.select_related("representative")
        .annotate(
            units_held=Count(
                "owner__ownerships",
                filter=Q(owner__ownerships__valid_to__isnull=True),
            )
        )
        .order_by("name")
    )


# Chair first, then vice-chair, owner representatives, members: the order people expect
# on a posted list, which is not the alphabetical order of the role codes.
COMMITTEE_ROLE_ORDER = [
    CommitteeRole.CHAIR,
    CommitteeRole.VICE_CHAIR,
    CommitteeRole.OWNER_REPRESENTATIVE,
    CommitteeRole.MEMBER,
]


def latest_committee(compound: Compound) -> Committee | None:
    """The compound's committee most recently formed (the one in office), if any, with its
    members."""
    return compound.committees.prefetch_related("members").order_by("-formed_on").first()


def committee_members(committee: Committee) -> QuerySet[CommitteeMember]:
    """Members of ``committee`` by rank, then name."""
    rank = Case(
        *(When(role=role, then=Value(i)) for i, role in enumerate(COMMITTEE_ROLE_ORDER)),
        default=Value(len(COMMITTEE_ROLE_ORDER)),
        output_field=IntegerField(),
    )
    return committee.members.annotate(rank=rank).order_by("rank", "name", "pk")
