"""The owners' split by area (CC 283) over random scopes: exact to the fen, proportional
within a fen, stable, and refusing what cannot be split."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from works.money import split_by_area

FEN = Decimal("0.01")
areas = st.decimals(min_value="0.01", max_value="9999.99", places=2)
totals = st.decimals(min_value="0.00", max_value="99999999.99", places=2)
scopes = st.dictionaries(st.integers(min_value=1, max_value=10**6), areas, min_size=1, max_size=300)


@settings(max_examples=300, deadline=None)
@given(total=totals, scope=scopes)
def test_shares_reconcile_exactly_and_are_proportional(total, scope):
    shares = split_by_area(total, scope)
    assert list(shares) == list(scope)  # every unit, in the scope's order
    assert sum(shares.values()) == total
    whole = sum(scope.values())
    for unit, share in shares.items():
        assert share >= 0 and share == share.quantize(FEN)
        exact = total * scope[unit] / whole
        # Largest remainder: never more than one fen from the exact share.
        assert abs(share - exact) < FEN


@settings(max_examples=100, deadline=None)
@given(total=totals, scope=scopes)
def test_same_scope_same_split(total, scope):
    assert split_by_area(total, scope) == split_by_area(total, dict(scope))


@settings(max_examples=100, deadline=None)
@given(total=totals, area=areas, n=st.integers(min_value=1, max_value=50))
def test_equal_areas_differ_by_at_most_a_fen(total, area, n):
    shares = list(split_by_area(total, dict.fromkeys(range(n), area)).values())
    assert max(shares) - min(shares) <= FEN
    # Ties go to the earlier units.
    assert shares == sorted(shares, reverse=True)


def test_refusals():
    with pytest.raises(ValueError):
        split_by_area(Decimal("-1.00"), {1: Decimal("10")})
    with pytest.raises(ValueError):
        split_by_area(Decimal("1.00"), {1: Decimal("0")})
    with pytest.raises(ValueError):
        split_by_area(Decimal("1.00"), {})
    assert split_by_area(Decimal("0.00"), {}) == {}
