"""Two draws made at the same moment over the same units: the unit locks serialise them,
so the second reads the balances the first left and refuses (rule ``refuse``) or flags
(rule ``flag``); no balance ever goes below zero.

The flush after this transactional test empties the migrations' catalogues too; the suite
seeds them again after it (tests/conftest.py, MIGRATION_SEEDS)."""

import datetime as dt
from decimal import Decimal
from functools import partial

import pytest

from tests.concurrency import at_once, raised, refusal
from tests.conftest import needs_postgres
from tests.factories import make_cast
from works.models import DrawStatus, EntryKind, FundDraw, FundEntry, OverdrawRule
from works.services.fund import balances, fund_credit, fund_settings_update
from works.services.fund_draws import fund_draw_make, fund_draw_publish

from .fund_helpers import MADE, PUBLISHED, make_fund_project, open_balances


def _make_both(draws: list[FundDraw]) -> list[str]:
    outcomes = at_once([partial(fund_draw_make, draw=d, made_on=MADE) for d in draws])
    return [refusal(o) or repr(o) if isinstance(o, Exception) else "made" for o in outcomes]


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rule", [OverdrawRule.REFUSE, OverdrawRule.FLAG])
def test_two_draws_at_once_do_not_overdraw(rule):
    cast = make_cast()
    compound = cast.compound
    open_balances(compound, Decimal("1000.00"))
    draws = [
        fund_draw_publish(
            project=make_fund_project(compound, title=f"home 工程{i}"),
            amount="2000.00",  # over building 1's three units: ~667 each, two of them > 1000
            published_on=PUBLISHED,
        )
        for i in (1, 2)
    ]
    fund_settings_update(compound=compound, overdraw=rule)
    outcomes = _make_both(draws)
    assert all(b >= 0 for b in balances(compound).values())
    if rule == OverdrawRule.REFUSE:
        assert sorted(o == "made" for o in outcomes) == [False, True], outcomes
        assert any("余额不足" in o for o in outcomes)
        assert FundDraw.objects.filter(status=DrawStatus.MADE).count() == 1
    else:
        assert outcomes == ["made", "made"]
        made = FundDraw.objects.all()
        total_owed = sum(d.shortfall for d in made)
        taken = -sum(FundEntry.objects.filter(draw__in=made).values_list("amount", flat=True))
        assert taken + total_owed == Decimal("4000.00")
        assert taken == Decimal("3000.00")  # building 1 had 3 × 1000


def _reconciles(compound) -> None:
    for draw in FundDraw.objects.filter(compound=compound, status=DrawStatus.MADE):
        entries = list(FundEntry.objects.filter(draw=draw))
        owed = sum((e.owed for e in entries), Decimal("0.00"))
        assert -sum(e.amount for e in entries) + owed == draw.amount
        assert owed == draw.shortfall >= 0
    assert all(b >= 0 for b in balances(compound).values())


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_top_ups_at_once_settle_what_is_owed_once():
    """Both credits lock the unit: the second reads what the first settled, so together
    they pay the debt exactly once and the rest stays in the balance."""
    cast = make_cast()
    compound = cast.compound
    fund_settings_update(compound=compound, overdraw=OverdrawRule.FLAG)
    draw = fund_draw_publish(
        project=make_fund_project(compound), amount="900.00", published_on=PUBLISHED
    )
    fund_draw_make(draw=draw, made_on=MADE)  # building 1 has no balance: 900 owed
    building = compound.buildings.get(number="1")
    outcomes = at_once(
        [
            lambda: fund_credit(
                compound=compound, kind=EntryKind.TOP_UP, amount="600.00", building=building
            )
            for _ in range(2)
        ]
    )
    assert not raised(outcomes), outcomes
    draw.refresh_from_db()
    assert draw.shortfall == Decimal("0.00")
    assert sum(balances(compound).values()) == Decimal("300.00")
    assert -sum(
        FundEntry.objects.filter(kind=EntryKind.SETTLE).values_list("amount", flat=True)
    ) == Decimal("900.00")
    _reconciles(compound)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_top_up_and_a_draw_at_once_keep_the_ledger_reconciled():
    """A credit settling an old draw and a new draw made over the same units serialise on
    the units' locks (the credit locks the units, then the old draw; making locks the new
    draw, then the units): whichever goes first, every draw reconciles and no balance is
    negative."""
    cast = make_cast()
    compound = cast.compound
    fund_settings_update(compound=compound, overdraw=OverdrawRule.FLAG)
    old = fund_draw_publish(
        project=make_fund_project(compound, title="home 旧"),
        amount="300.00",
        published_on=PUBLISHED,
    )
    fund_draw_make(draw=old, made_on=MADE)
    new = fund_draw_publish(
        project=make_fund_project(compound, title="home 新"), amount="600.00", published_on=MADE
    )
    building = compound.buildings.get(number="1")
    outcomes = at_once(
        [
            lambda: fund_credit(
                compound=compound, kind=EntryKind.TOP_UP, amount="450.00", building=building
            ),
            lambda: fund_draw_make(draw=new, made_on=MADE + dt.timedelta(days=1)),
        ]
    )
    assert not raised(outcomes), outcomes
    _reconciles(compound)
    old.refresh_from_db()
    assert old.shortfall == Decimal("0.00")  # the oldest draw is paid first either way
