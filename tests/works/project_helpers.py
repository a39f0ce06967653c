"""Builders for the project tests: the lift buildings 16 and 17 (216 households), a passed
decision item to approve on, and a project made through the services."""

import datetime as dt
from decimal import Decimal

from households.models import AreaSource, Building, BuildingKind, Owner, Ownership, Unit
from portal.models import Compound
from tests.voting.helpers import certify_passed, make_decision
from voting.models import Decision, DecisionState, Item
from works.models import Project
from works.services.funding import FundingLineInput, funding_plan_set
from works.services.projects import ItemInput, project_create

LIFT_UNITS_PER_BUILDING = 108


def lift_area(index: int) -> Decimal:
    """Areas that do not divide evenly, so the split needs the largest remainder."""
    return Decimal("48.37") + Decimal(index % 11) * Decimal("3.19")


def add_lift_buildings(
    compound: Compound, per_building: int = LIFT_UNITS_PER_BUILDING
) -> list[Building]:
    """Buildings 16 and 17 (high-rise, 2 lifts each) with ``per_building`` units each, one
    owner per unit."""
    buildings = []
    for number in ("16", "17"):
        building = Building.objects.create(
            compound=compound,
            number=number,
            kind=BuildingKind.HIGH_RISE,
            floors=18,
            lifts=2,
            sort_key=int(number),
        )
        units = Unit.objects.bulk_create(
            Unit(
                compound=compound,
                building=building,
                number=f"{1 + i // 6}-{100 * (1 + i % 18) + 1 + i % 6:04d}",
                floor_area=lift_area(i),
                area_source=AreaSource.REGISTERED,
            )
            for i in range(per_building)
        )
        owners = Owner.objects.bulk_create(
            Owner(compound=compound, name=f"业主-{number}-{i}") for i in range(per_building)
        )
        Ownership.objects.bulk_create(
            Ownership(compound=compound, unit=u, owner=o, valid_from=dt.date(2020, 1, 1))
            for u, o in zip(units, owners, strict=True)
        )
        buildings.append(building)
    return buildings


def passed_item(cast, *, category: int = 7, buildings=("16", "17")) -> Item:
    """An item of ``category`` limited to ``buildings`` (None: the whole compound) of a
    published decision whose certified tally says it passed."""
    decision = make_decision(cast, items=((category, list(buildings) if buildings else None),))
    Decision.objects.filter(pk=decision.pk).update(state=DecisionState.PUBLISHED)
    decision.refresh_from_db()
    item = decision.items.get()
    certify_passed(decision, item)
    return Item.objects.get(pk=item.pk)


def lift_items() -> list[ItemInput]:
    return [
        ItemInput(
            name=f"{b}号楼{n}单元电梯", registration_number=f"3110-11-{b}{n}", building_number=b
        )
        for b in ("16", "17")
        for n in (1, 2)
    ]


LIFT_PLAN = [
    FundingLineInput(kind="government", payer="海淀区政府补贴", amount="1200000.00"),
    FundingLineInput(kind="company", payer="天岳恒物业", amount="200000.00"),
    FundingLineInput(kind="owners", amount="400000.00"),
]


def lift_project(cast, *, plan=True, buildings=("16", "17")) -> Project:
    """The lift replacement of ``buildings`` proposed by the committee, with its plan."""
    project = project_create(
        compound=cast.compound,
        actor=cast.committee,
        title="16、17号楼电梯更新",
        budget="1800000.00",
        proposed_on=dt.date(2021, 3, 1),
        building_numbers=buildings,
        items=lift_items() if set(buildings) <= {"16", "17"} else [],
        illustrative=True,
    )
    if plan:
        funding_plan_set(project=project, actor=cast.committee, lines=LIFT_PLAN)
    return Project.objects.get(pk=project.pk)
