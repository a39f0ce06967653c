"""The register's domain words on the models: which ownerships are current (now or on a
day), which units a user owns now, and how a building is called."""

import datetime as dt

import pytest

from households.models import Building, BuildingKind, Owner, Ownership, Unit, building_label

pytestmark = pytest.mark.django_db

SALE = dt.date(2024, 3, 1)


@pytest.fixture
def sold(cast) -> tuple[Unit, Ownership, Ownership]:
    """A flat sold on SALE: the seller's row ends the day before (its last day owned, as the
    roster import closes it), the buyer's begins that day."""
    unit = cast.compound.units.get(building__number="2", number="0101")
    seller_row = unit.ownerships.get()
    seller_row.valid_to = SALE - dt.timedelta(days=1)
    seller_row.save()
    buyer = Owner.objects.create(compound=cast.compound, name="买受人", user=cast.resident)
    buyer_row = Ownership.objects.create(
        compound=cast.compound, unit=unit, owner=buyer, valid_from=SALE
    )
    return unit, seller_row, buyer_row


def test_current_without_a_date_is_every_open_ownership(cast, sold):
    unit, seller_row, buyer_row = sold
    assert list(unit.ownerships.current()) == [buyer_row]
    assert seller_row not in cast.compound.ownerships.current()
    assert (
        Ownership.objects.current().count()
        == Ownership.objects.filter(valid_to__isnull=True).count()
    )


@pytest.mark.parametrize(
    ("day", "holder"),
    [
        (dt.date(2019, 12, 31), None),  # before anyone's ownership began
        (dt.date(2020, 1, 1), "seller"),
        (SALE - dt.timedelta(days=1), "seller"),
        (SALE, "buyer"),  # the day of the sale belongs to the buyer
        (dt.date(2030, 1, 1), "buyer"),
    ],
)
def test_current_on_a_day_is_the_ownership_in_force_that_day(sold, day, holder):
    unit, seller_row, buyer_row = sold
    expected = {"seller": [seller_row], "buyer": [buyer_row], None: []}[holder]
    assert list(unit.ownerships.current(day)) == expected


def test_owned_by_lists_the_units_a_user_owns_now_once_each(cast, sold):
    unit, _, _ = sold
    home = cast.compound.units.get(ownerships__owner__user=cast.resident, building__number="1")
    # A second owner record of the same user on the same flat must not repeat it.
    again = Owner.objects.create(compound=cast.compound, name="同一人", user=cast.resident)
    Ownership.objects.create(
        compound=cast.compound, unit=home, owner=again, valid_from=dt.date(2021, 1, 1)
    )
    assert sorted(u.pk for u in cast.compound.units.owned_by(cast.resident)) == sorted(
        [home.pk, unit.pk]
    )
    assert Unit.objects.owned_by(cast.resident).count() == 2
    assert not cast.other_compound.units.owned_by(cast.resident).exists()


def test_owned_by_leaves_out_a_flat_sold_on(cast, sold):
    unit, seller_row, _ = sold
    seller = seller_row.owner
    seller.user = cast.outsider_resident
    seller.save()
    assert unit not in Unit.objects.owned_by(cast.outsider_resident)


@pytest.mark.parametrize(
    ("number", "kind", "label"),
    [
        ("16", BuildingKind.HIGH_RISE, "16号楼"),
        ("3", BuildingKind.LOW_RISE, "3号楼"),
        ("平房三区", BuildingKind.BUNGALOW, "平房三区"),
        ("7", BuildingKind.BUNGALOW, "7"),  # a bungalow area keeps its own name
        ("A座", BuildingKind.HIGH_RISE, "A座"),
    ],
)
def test_building_label_is_the_name_people_use(cast, number, kind, label):
    assert building_label(number, kind) == label
    assert Building(compound=cast.compound, number=number, kind=kind).label == label
