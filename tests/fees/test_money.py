"""Every split reconciles to the fen, per unit and in totals (property-based)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fees.money import FEN, allocate, percent, split_charge, sum_splits, to_fen

areas = st.decimals(min_value="0.01", max_value="999.99", places=2)
rates = st.decimals(min_value="0.01", max_value="20.00", places=2)
months = st.integers(min_value=1, max_value=36)
shares = st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=5).map(
    lambda ws: [Decimal(w) for w in ws]
)


@st.composite
def standard(draw):
    appraised = draw(rates)
    charged = draw(st.decimals(min_value="0.01", max_value=appraised, places=2))
    return appraised, charged


@settings(max_examples=300)
@given(area=areas, std=standard(), months=months, shares=shares)
def test_each_unit_reconciles_exactly(area, std, months, shares):
    appraised_rate, charged_rate = std
    s = split_charge(
        area=area,
        appraised_rate=appraised_rate,
        charged_rate=charged_rate,
        months=months,
        shares=shares,
    )
    assert s.appraised == to_fen(area * appraised_rate * months)
    assert s.owner == to_fen(area * charged_rate * months)
    assert s.owner + sum(s.payers) == s.appraised
    assert sum(s.payers) == s.subsidy >= 0
    assert all(p == p.quantize(FEN) and p >= 0 for p in s.payers)
    # Each payer is within one fen of its exact share.
    for p, w in zip(s.payers, shares, strict=True):
        assert abs(p - s.subsidy * w / sum(shares)) < FEN


@settings(max_examples=100)
@given(
    roster=st.lists(areas, min_size=1, max_size=60),
    std=standard(),
    months=months,
    shares=shares,
)
def test_totals_over_a_random_roster_reconcile(roster, std, months, shares):
    appraised_rate, charged_rate = std
    splits = [
        split_charge(
            area=a,
            appraised_rate=appraised_rate,
            charged_rate=charged_rate,
            months=months,
            shares=shares,
        )
        for a in roster
    ]
    total = sum_splits(splits, len(shares))
    assert total.owner + sum(total.payers) == total.appraised
    assert total.appraised == sum(to_fen(a * appraised_rate * months) for a in roster)
    assert total.reconciles


@settings(max_examples=200)
@given(old=areas, new=areas, std=standard(), months=months, shares=shares)
def test_adjustment_after_area_correction_reconciles(old, new, std, months, shares):
    appraised_rate, charged_rate = std
    kw = {"appraised_rate": appraised_rate, "charged_rate": charged_rate, "months": months}
    before = split_charge(area=old, shares=shares, **kw)
    after = split_charge(area=new, shares=shares, **kw)
    delta = after - before
    assert delta.owner + sum(delta.payers) == delta.appraised
    assert before.owner + delta.owner == after.owner
    assert [b + d for b, d in zip(before.payers, delta.payers, strict=True)] == list(after.payers)


def test_the_case_low_rise_figures():
    s = split_charge(
        area=Decimal("55.37"),
        appraised_rate=Decimal("1.78"),
        charged_rate=Decimal("1.00"),
        months=12,
        shares=[Decimal("50"), Decimal("50")],
    )
    # 55.37 × 1.78 × 12 = 1182.7032 → 1182.70; 55.37 × 12 = 664.44; subsidy 518.26.
    assert s.appraised == Decimal("1182.70")
    assert s.owner == Decimal("664.44")
    assert s.payers == (Decimal("259.13"), Decimal("259.13"))


def test_odd_fen_goes_to_the_larger_remainder_then_the_first_payer():
    assert allocate(Decimal("0.03"), [Decimal(50), Decimal(50)]) == [
        Decimal("0.02"),
        Decimal("0.01"),
    ]
    assert allocate(Decimal("1.00"), [Decimal(1)] * 3) == [
        Decimal("0.34"),
        Decimal("0.33"),
        Decimal("0.33"),
    ]
    assert allocate(Decimal("-0.03"), [Decimal(50), Decimal(50)]) == [
        Decimal("-0.02"),
        Decimal("-0.01"),
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"area": Decimal("0"), "appraised_rate": Decimal("1"), "charged_rate": Decimal("1")},
        {"area": Decimal("1"), "appraised_rate": Decimal("-1"), "charged_rate": Decimal("1")},
        {"area": Decimal("1"), "appraised_rate": Decimal("1"), "charged_rate": Decimal("2")},
    ],
)
def test_nonsense_is_refused(kwargs):
    with pytest.raises(ValueError):
        split_charge(months=1, shares=[Decimal(100)], **kwargs)


def test_percent_is_half_up_to_two_places():
    assert percent(2, 3) == Decimal("66.67")
    assert percent(0, 0) == Decimal("0.00")
    assert percent(Decimal("1"), Decimal("8")) == Decimal("12.50")
