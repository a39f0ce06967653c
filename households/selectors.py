"""Reads of the compound register. Every selector takes its tenant and starts from it."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When

from portal.access import AnyUser
from portal.models import Compound, StreetOffice

from .models import (
    Building,
    BuildingKind,
    Committee,
    CommitteeMember,
    CommitteeRole,
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


def building_units(building: Building) -> QuerySet[Unit]:
    return (
        building.units.select_related("building")
        .prefetch_related(current_ownerships())
        .order_by("number")
    )


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
