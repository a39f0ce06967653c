"""Builders the households tests (and the e2e tests of the register) share."""

import datetime as dt
from decimal import Decimal

from households.models import AreaSource, Building, BuildingKind, Owner, Ownership, Unit


def big_building(compound, number: str, units: int) -> Building:
    """A building of ``units`` flats numbered as registers do (3-1802: entrance 3, floor
    18, flat 02; 18 floors of 2 flats per entrance), one owner each."""
    building = Building.objects.create(
        compound=compound, number=number, kind=BuildingKind.HIGH_RISE, floors=18, sort_key=50
    )
    made = Unit.objects.bulk_create(
        Unit(
            compound=compound,
            building=building,
            number=f"{i // 36 + 1}-{i % 36 // 2 + 1}{i % 2 + 1:02d}",
            floor_area=Decimal("88.00"),
            area_source=AreaSource.REGISTERED,
        )
        for i in range(units)
    )
    owners = Owner.objects.bulk_create(
        Owner(compound=compound, name=f"王{number}-{i}") for i in range(units)
    )
    Ownership.objects.bulk_create(
        Ownership(compound=compound, unit=u, owner=o, valid_from=dt.date(2020, 1, 1))
        for u, o in zip(made, owners, strict=True)
    )
    return building
