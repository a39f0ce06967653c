"""One corrected-area helper: the latest correction wins, for every reader of the area."""

from decimal import Decimal

import pytest

from fees import selectors
from fees.models import ChargeAdjustment, SubsidyPayer
from households.models import Unit
from tests.fees.helpers import bill, low_rise_standard


@pytest.mark.django_db
def test_two_corrections_the_latest_area_is_read_everywhere(cast):
    compound = cast.compound
    low_rise_standard(compound)
    run = bill(compound).run
    unit = compound.units.order_by("id").first()
    for area in ("61.33", "59.80"):
        Unit.objects.filter(pk=unit.pk).update(floor_area=Decimal(area))
        assert bill(compound).adjusted == 1
    charge = run.charges.get(unit=unit)
    second = ChargeAdjustment.objects.filter(charge=charge).order_by("id").last()
    assert (second.area_before, second.area_after) == (Decimal("61.33"), Decimal("59.80"))
    untouched = run.charges.exclude(pk=charge.pk).first()
    assert selectors.adjusted_areas(compound, [charge.pk, untouched.pk]) == {
        charge.pk: Decimal("59.80")
    }
    [notice] = selectors.build_notices(compound, [charge])
    assert notice.area == Decimal("59.80")
    payer = SubsidyPayer.objects.filter(compound=compound).order_by("id").first()
    statement = selectors.subsidy_reconciliation(compound, payer, run)
    areas = {line.unit_label: line.area for line in statement.lines}
    assert areas[f"{unit.building.label} {unit.number}"] == Decimal("59.80")
