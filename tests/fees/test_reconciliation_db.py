"""Billing random rosters through the database: every unit and every total reconciles."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fees import services
from fees.models import Charge, ChargeSubsidyLine
from fees.money import to_fen
from households.models import AreaSource, Building, BuildingKind, Unit
from portal.models import Compound, StreetOffice
from tests.fees.helpers import fee_basis_item

areas = st.one_of(st.none(), st.decimals(min_value="0.01", max_value="400.00", places=2))


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    roster=st.lists(
        st.tuples(st.sampled_from(["low_rise", "high_rise"]), areas), min_size=1, max_size=40
    ),
    shares=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=4),
    months=st.integers(min_value=1, max_value=12),
    rates=st.tuples(
        st.decimals(min_value="0.50", max_value="5.00", places=2),
        st.decimals(min_value="0.01", max_value="1.00", places=2),
    ),
)
def test_random_rosters_reconcile_in_the_database(roster, shares, months, rates):
    appraised, discount = rates
    charged = max(appraised - discount, Decimal("0.01"))
    weights = [Decimal(w) for w in shares]
    total = sum(weights)
    percents = [(w * 100 / total).quantize(Decimal("0.01")) for w in weights]
    percents[0] += Decimal(100) - sum(percents)  # make them sum to exactly 100
    try:
        with transaction.atomic():
            office = StreetOffice.objects.create(code="hyp-office", name="H")
            compound = Compound.objects.create(street_office=office, code="hyp", name="H")
            buildings = {
                kind: Building.objects.create(compound=compound, number=str(i), kind=kind)
                for i, kind in enumerate(["low_rise", "high_rise"], start=1)
            }
            Unit.objects.bulk_create(
                Unit(
                    compound=compound,
                    building=buildings[kind],
                    number=str(n),
                    floor_area=area,
                    area_source=AreaSource.UNKNOWN if area is None else AreaSource.REGISTERED,
                )
                for n, (kind, area) in enumerate(roster)
            )
            for kind in (BuildingKind.LOW_RISE, BuildingKind.HIGH_RISE):
                services.fee_standard_create(
                    compound=compound,
                    building_kind=kind,
                    appraised_rate=appraised,
                    charged_rate=charged,
                    valid_from=dt.date(2022, 1, 1),
                    basis_item_id=fee_basis_item(compound).pk,
                    shares=[
                        services.ShareInput(f"payer{i}", p) for i, p in enumerate(percents) if p > 0
                    ]
                    if appraised > charged
                    else (),
                )
            outcome = services.billing_run_create(
                compound=compound,
                period_start=dt.date(2022, 1, 1),
                months=months,
                today=dt.date(2022, 1, 1),
            )
            known = [a for _k, a in roster if a is not None]
            assert outcome.created == len(known)
            assert len(outcome.blocked) == len(roster) - len(known)
            line_sums = dict(
                ChargeSubsidyLine.objects.filter(compound=compound)
                .values("charge_id")
                .annotate(s=Sum("amount"))
                .values_list("charge_id", "s")
            )
            for c in Charge.objects.filter(compound=compound):
                assert c.owner_due + line_sums.get(c.id, 0) == c.appraised_due
                assert c.appraised_due == to_fen(c.area * appraised * months)
            totals = Charge.objects.filter(compound=compound).aggregate(
                a=Sum("appraised_due"), o=Sum("owner_due")
            )
            lines = ChargeSubsidyLine.objects.filter(compound=compound).aggregate(s=Sum("amount"))
            if known:
                assert totals["o"] + (lines["s"] or 0) == totals["a"]
            raise _Rollback
    except _Rollback:
        pass
