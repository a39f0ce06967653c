"""Two draws made at the same moment over the same units: the unit locks serialise them,
so the second reads the balances the first left and refuses (rule ``refuse``) or flags
(rule ``flag``); no balance ever goes below zero.

The flush after this transactional test empties the migrations' catalogues too; the suite
seeds them again after it (tests/conftest.py, MIGRATION_SEEDS)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.conftest import needs_postgres
from tests.factories import make_cast
from works.models import DrawStatus, FundDraw, FundEntry, OverdrawRule
from works.services.fund import balances, fund_settings_update
from works.services.fund_draws import fund_draw_make, fund_draw_publish

from .fund_helpers import MADE, PUBLISHED, make_fund_project, open_balances


def _make_both(draws: list[FundDraw]) -> list[str]:
    barrier = threading.Barrier(len(draws))
    outcomes: list[str] = []

    def run(draw: FundDraw) -> None:
        try:
            barrier.wait()
            fund_draw_make(draw=draw, made_on=MADE)
            outcomes.append("made")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        except Exception as exc:  # reported by the assertion below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(d,)) for d in draws]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


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
