"""Reads of the works projects: scope, shares, blocked units and each line's progress.

Every selector starts from the project's compound (tenant first); page and API reads run a
fixed number of queries whatever the number of units or lines.
"""

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from households.models import Ownership, Unit
from portal.lists import Search
from portal.models import Compound

from .models import (
    Contribution,
    FundingKind,
    FundingLine,
    Project,
    ProjectBuilding,
    ProjectDocument,
    ProjectEvent,
    ProjectItem,
    ProjectUnit,
)
from .receipt_selectors import project_progress

ZERO = Decimal("0.00")


def compound_projects(compound: Compound) -> QuerySet[Project]:
    """The compound's projects, newest proposal first, with scope buildings, funding lines
    and basis loaded (4 queries for any number of projects)."""
    return (
        Project.objects.filter(compound=compound)
        .select_related("emergency_case")
        .prefetch_related(
            Prefetch(
                "scope_buildings",
                queryset=ProjectBuilding.objects.select_related("building").order_by(
                    "building__sort_key", "building__number"
                ),
            ),
            Prefetch("funding", queryset=FundingLine.objects.order_by("position")),
        )
        .order_by("-proposed_on", "-id")
    )


def project_detail(project: Project) -> Project:
    """``project`` with everything its page shows prefetched (a fixed number of queries)."""
    return (
        Project.objects.filter(compound_id=project.compound_id, pk=project.pk)
        .select_related("compound", "emergency_case", "basis_item__decision", "created_by")
        .prefetch_related(
            Prefetch(
                "scope_buildings",
                queryset=ProjectBuilding.objects.select_related("building").order_by(
                    "building__sort_key", "building__number"
                ),
            ),
            Prefetch(
                "scope_units",
                queryset=ProjectUnit.objects.select_related("unit__building").order_by(
                    "unit__building__sort_key", "unit__building__number", "unit__number"
                ),
            ),
            Prefetch(
                "items", queryset=ProjectItem.objects.select_related("building").order_by("id")
            ),
            Prefetch(
                "funding",
                queryset=FundingLine.objects.select_related("property_unit").order_by("position"),
            ),
            Prefetch("documents", queryset=ProjectDocument.objects.order_by("uploaded_at", "id")),
            Prefetch("events", queryset=ProjectEvent.objects.select_related("actor")),
        )
        .get()
    )


def scope_building_ids(project: Project) -> set[int]:
    """The buildings the project touches: its scope buildings and its units' buildings."""
    whole = ProjectBuilding.objects.filter(
        compound_id=project.compound_id, project=project
    ).values_list("building_id", flat=True)
    parts = ProjectUnit.objects.filter(
        compound_id=project.compound_id, project=project
    ).values_list("unit__building_id", flat=True)
    return set(whole) | set(parts)


def scope_units(project: Project) -> QuerySet[Unit]:
    """Every unit in the project's scope (its buildings' units and its single units)."""
    buildings = ProjectBuilding.objects.filter(project=project).values("building_id")
    units = ProjectUnit.objects.filter(project=project).values("unit_id")
    return Unit.objects.filter(compound_id=project.compound_id).filter(
        Q(building_id__in=buildings) | Q(id__in=units)
    )


def _held_by_paying_property_unit(project: Project) -> Exists:
    """Units a property-right unit holds now whose unit pays through its own line."""
    paying = FundingLine.objects.filter(project=project, kind=FundingKind.PROPERTY_UNIT).values(
        "property_unit_id"
    )
    return Exists(
        Ownership.objects.filter(
            unit_id=OuterRef("pk"),
            valid_to__isnull=True,
            owner__property_right_unit_id__in=paying,
        )
    )


def _owners_units(project: Project) -> QuerySet[Unit]:
    return (
        scope_units(project)
        .filter(~_held_by_paying_property_unit(project))
        .select_related("building")
        .order_by("building__sort_key", "building__number", "number", "id")
    )


def split_units(project: Project) -> QuerySet[Unit]:
    """The units the owners' line is split over (CC 283): in scope, of known area, not held
    by a property-right unit with its own line. In a fixed order (building, unit)."""
    return _owners_units(project).filter(floor_area__isnull=False)


def blocked_units(project: Project) -> QuerySet[Unit]:
    """Units that would share the owners' line but whose area is unknown: they get no share
    until the register has their area."""
    return _owners_units(project).filter(floor_area__isnull=True)


def project_shares(project: Project, *, search: Search | None = None) -> QuerySet[Contribution]:
    """The owners' shares of ``project`` with unit and building, in building order."""
    rows = (
        Contribution.objects.filter(compound_id=project.compound_id, project=project)
        .select_related("unit__building")
        .order_by("building__sort_key", "building__number", "unit__number", "id")
    )
    if search:
        rows = rows.filter(
            search.q(
                building="building__number", unit="unit__number", name=None, names_visible=False
            )
        )
    return rows


def own_shares(project: Project, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Contribution]:
    """The shares of the units ``user`` owns now (a current ownership)."""
    return project_shares(project).filter(
        unit_id__in=Unit.objects.filter(compound_id=project.compound_id).owned_by(user).values("id")
    )


def raised_by_line(project: Project) -> dict[int, Decimal]:
    """Money raised (received less refunded) per funding line of ``project`` that has
    receipts (one query): the funding plan's checks read the same figures as the pages
    (:func:`works.receipt_selectors.project_progress`)."""
    # The tenant's id is all the filter needs: no query to load the compound's row.
    compound = Compound(pk=project.compound_id)
    return project_progress(compound, project).raised_by_line()
