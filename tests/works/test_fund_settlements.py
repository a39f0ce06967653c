"""What a flagged draw left owed is settled by the unit's later top-ups and interest,
oldest draw first, in the same transaction as the credit: a ``settle`` entry linked to the
draw (the ledger stays append-only), the owed amount and the draw's shortfall go down,
and the balance never goes negative. The invariant, for every draw:
``-(sum of its entries' amounts) + (sum of its entries' owed) == draw.amount``."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from portal.models import AuditEntry
from tests.factories import make_cast
from works.fund_selectors import (
    building_balances,
    compound_entries,
    unit_balances,
    unit_balances_list,
)
from works.models import EntryKind, FundDraw, FundEntry, OverdrawRule, ProjectUnit
from works.services.fund import (
    balances,
    fund_credit,
    fund_settings_update,
    owed_by_unit,
    settlement_plan,
)
from works.services.fund_draws import fund_draw_make, fund_draw_publish

from .fund_helpers import make_fund_project

pytestmark = pytest.mark.django_db
D = Decimal
DAY0 = dt.date(2023, 1, 1)


@pytest.fixture
def cast():
    cast = make_cast()
    fund_settings_update(compound=cast.compound, overdraw=OverdrawRule.FLAG)
    return cast


def single_unit_draw(cast, unit, amount, *, published, made, title="home 单户"):
    project = make_fund_project(cast.compound, buildings=(), title=title)
    ProjectUnit.objects.create(compound=cast.compound, project=project, unit=unit)
    draw = fund_draw_publish(project=project, amount=amount, published_on=published)
    return fund_draw_make(draw=draw, made_on=made)


def check_invariants(compound):
    """Every draw reconciles, its shortfall is what its entries still owe, no balance is
    negative, and the per-building and per-unit reads agree with the ledger."""
    entries = list(FundEntry.objects.filter(compound=compound))
    for draw in FundDraw.objects.filter(compound=compound, status="made"):
        mine = [e for e in entries if e.draw_id == draw.pk]
        owed = sum((e.owed for e in mine), D("0.00"))
        assert -sum(e.amount for e in mine) + owed == draw.amount
        assert owed == draw.shortfall >= 0
    per_unit: dict[int, Decimal] = {}
    owed_unit: dict[int, Decimal] = {}
    for e in entries:
        per_unit[e.unit_id] = per_unit.get(e.unit_id, D("0.00")) + e.amount
        owed_unit[e.unit_id] = owed_unit.get(e.unit_id, D("0.00")) + e.owed
    assert all(b >= 0 for b in per_unit.values())
    assert all(o >= 0 for o in owed_unit.values())
    assert balances(compound) == per_unit
    totals = building_balances(compound)
    assert totals.balance == sum(per_unit.values(), D("0.00"))
    assert totals.owed == sum(owed_unit.values(), D("0.00"))
    statement = list(compound_entries(compound).values_list("amount", "owed"))
    assert sum((a for a, _o in statement), D("0.00")) == totals.balance
    assert sum((o for _a, o in statement), D("0.00")) == totals.owed
    for unit in unit_balances_list(compound):  # SQLite sums as floating point: to the fen
        assert unit.balance.quantize(D("0.01")) == per_unit.get(unit.pk, D("0.00"))
        assert unit.owed.quantize(D("0.01")) == owed_unit.get(unit.pk, D("0.00"))


def test_settlement_plan_is_pure_and_oldest_first():
    owed = {1: [(10, D("30.00")), (11, D("50.00"))], 2: [(10, D("5.00"))]}
    plan = settlement_plan({1: D("40.00"), 2: D("100.00"), 3: D("7.00")}, owed)
    assert [(p.unit_id, p.draw_id, p.amount) for p in plan] == [
        (1, 10, D("30.00")),
        (1, 11, D("10.00")),
        (2, 10, D("5.00")),
    ]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    credits=st.dictionaries(
        st.integers(1, 4), st.decimals(D("0.01"), D("500"), places=2), max_size=4
    ),
    owed=st.dictionaries(
        st.integers(1, 4),
        st.lists(st.decimals(D("0.01"), D("300"), places=2), max_size=3),
        max_size=4,
    ),
)
def test_settlement_plan_never_pays_more_than_the_credit_or_the_debt(credits, owed):
    debts = {u: [(i, a) for i, a in enumerate(amounts)] for u, amounts in owed.items()}
    plan = settlement_plan(credits, debts)
    for unit, credit in credits.items():
        paid = sum((p.amount for p in plan if p.unit_id == unit), D("0"))
        due = sum((a for _i, a in debts.get(unit, [])), D("0"))
        assert paid == min(credit, due)
        for draw, amount in debts.get(unit, []):
            assert (
                sum((p.amount for p in plan if (p.unit_id, p.draw_id) == (unit, draw)), D(0))
                <= amount
            )
        # oldest first: a later draw is paid only once the earlier ones are settled
        drawn = [p.draw_id for p in plan if p.unit_id == unit]
        assert drawn == sorted(drawn)


def test_a_top_up_settles_what_a_flagged_draw_left_owed(cast):
    compound = cast.compound
    unit = compound.units.owned_by(cast.resident).get()
    draw = single_unit_draw(cast, unit, "800.00", published=DAY0, made=dt.date(2023, 1, 5))
    assert draw.shortfall == D("800.00") and balances(compound).get(unit.pk, 0) == 0
    written = fund_credit(
        compound=compound,
        kind=EntryKind.TOP_UP,
        amount="300.00",
        unit=unit,
        entry_date=dt.date(2023, 2, 1),
        actor=cast.committee,
    )
    assert [e.kind for e in written] == [EntryKind.TOP_UP, EntryKind.SETTLE]
    settle = written[1]
    assert settle.draw_id == draw.pk and settle.amount == settle.owed == D("-300.00")
    draw.refresh_from_db()
    assert draw.shortfall == D("500.00")
    assert balances(compound)[unit.pk] == D("0.00")
    check_invariants(compound)
    audit = AuditEntry.objects.get(action="works.fund_draw_settle")
    assert audit.data["settled"] == "300.00" and audit.data["shortfall"] == "500.00"
    # interest settles too; what is left over stays in the balance
    fund_credit(
        compound=compound,
        kind=EntryKind.INTEREST,
        amount="520.50",
        unit=unit,
        entry_date=dt.date(2023, 3, 1),
    )
    draw.refresh_from_db()
    assert draw.shortfall == D("0.00") and balances(compound)[unit.pk] == D("20.50")
    [mine] = unit_balances(cast.resident, compound)
    assert mine.owed == D("0.00") and mine.balance == D("20.50")
    check_invariants(compound)
    # a later top-up with nothing owed settles nothing
    written = fund_credit(compound=compound, kind=EntryKind.TOP_UP, amount="1.00", unit=unit)
    assert [e.kind for e in written] == [EntryKind.TOP_UP]


def test_the_oldest_draw_is_settled_first_and_only_draws_made_by_the_credits_date(cast):
    compound = cast.compound
    unit = compound.units.owned_by(cast.resident).get()
    older = single_unit_draw(cast, unit, "100.00", published=DAY0, made=dt.date(2023, 1, 5))
    newer = single_unit_draw(
        cast, unit, "100.00", published=DAY0, made=dt.date(2023, 3, 5), title="home 后"
    )
    # dated before the newer draw was made: it pays only the older one
    fund_credit(
        compound=compound,
        kind=EntryKind.TOP_UP,
        amount="150.00",
        unit=unit,
        entry_date=dt.date(2023, 2, 1),
    )
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.shortfall == 0 and newer.shortfall == D("100.00")
    assert balances(compound)[unit.pk] == D("50.00")
    assert owed_by_unit(compound, [unit.pk], made_by=dt.date(2023, 3, 5)) == {
        unit.pk: [(newer.pk, D("100.00"))]
    }
    fund_credit(
        compound=compound,
        kind=EntryKind.TOP_UP,
        amount="60.00",
        unit=unit,
        entry_date=dt.date(2023, 4, 1),
    )
    newer.refresh_from_db()
    assert newer.shortfall == D("40.00") and balances(compound)[unit.pk] == D("50.00")
    check_invariants(compound)


def test_a_building_top_up_settles_each_unit_from_its_part(cast):
    compound = cast.compound
    project = make_fund_project(compound, buildings=("1",))
    draw = fund_draw_publish(project=project, amount="900.00", published_on=DAY0)
    draw = fund_draw_make(draw=draw, made_on=dt.date(2023, 1, 5))
    assert draw.shortfall == D("900.00")
    written = fund_credit(
        compound=compound,
        kind=EntryKind.TOP_UP,
        amount="600.00",
        building=compound.buildings.get(number="1"),
        entry_date=dt.date(2023, 2, 1),
    )
    assert len([e for e in written if e.kind == EntryKind.SETTLE]) == 3
    draw.refresh_from_db()
    assert draw.shortfall == D("300.00")
    assert set(balances(compound).values()) == {D("0.00")}
    check_invariants(compound)


def test_a_refused_credit_settles_nothing(cast):
    compound = cast.compound
    unit = compound.units.owned_by(cast.resident).get()
    draw = single_unit_draw(cast, unit, "80.00", published=DAY0, made=dt.date(2023, 1, 5))
    before = FundEntry.objects.count()
    for bad in ("-5", "0", "1.001", "abc"):
        with pytest.raises(ValidationError):
            fund_credit(compound=compound, kind=EntryKind.TOP_UP, amount=bad, unit=unit)
    with pytest.raises(ValidationError):
        fund_credit(
            compound=compound,
            kind=EntryKind.TOP_UP,
            amount="5",
            unit=unit,
            entry_date=dt.date.today() + dt.timedelta(days=2),
        )
    assert FundEntry.objects.count() == before
    draw.refresh_from_db()
    assert draw.shortfall == D("80.00")
    assert not AuditEntry.objects.filter(action="works.fund_draw_settle").exists()


def test_the_statement_and_the_ledger_page_show_the_settlement(cast, client):
    from django.urls import reverse

    compound = cast.compound
    unit = compound.units.owned_by(cast.resident).get()
    single_unit_draw(cast, unit, "80.00", published=DAY0, made=dt.date(2023, 1, 5))
    fund_credit(
        compound=compound,
        kind=EntryKind.TOP_UP,
        amount="50.00",
        unit=unit,
        entry_date=dt.date(2023, 2, 1),
    )
    client.force_login(cast.resident)
    page = client.get(reverse("works:fund-unit", args=[compound.code, unit.pk])).content.decode()
    assert "补划欠缴" in page and "30.00" in page  # what is still owed
    client.force_login(cast.committee)
    import io

    from openpyxl import load_workbook

    response = client.get(reverse("works:fund-statement", args=[compound.code]))
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0].values
    )
    settle = [r for r in rows[1:] if r[3] == "补划欠缴"]
    assert len(settle) == 1 and D(str(settle[0][4])) == D("-50.00")
    assert D(str(settle[0][5])) == D("-50.00")


# ------------------------------------------------------------------ the invariant


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("draw"), st.integers(0, 2), st.decimals(D("0.01"), D("3000"), places=2)),
        st.tuples(st.just("unit"), st.integers(0, 5), st.decimals(D("0.01"), D("900"), places=2)),
        st.tuples(
            st.just("building"), st.integers(0, 1), st.decimals(D("0.01"), D("2000"), places=2)
        ),
    ),
    min_size=1,
    max_size=8,
)


@pytest.fixture
def flag_cast():
    cast = make_cast()
    fund_settings_update(compound=cast.compound, overdraw=OverdrawRule.FLAG)
    return cast


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: slow on the DB
)
@given(
    opening=st.lists(st.decimals(D("0.00"), D("1500"), places=2), min_size=6, max_size=6),
    ops=OPS,
)
def test_draws_and_credits_always_reconcile(flag_cast, opening, ops):
    compound = flag_cast.compound
    units = list(compound.units.order_by("building__number", "number", "pk"))
    buildings = list(compound.buildings.order_by("number"))
    scopes = [("1",), ("2",), ("1", "2")]
    with transaction.atomic():
        FundEntry.objects.bulk_create(
            FundEntry(
                compound=compound,
                unit=u,
                building_id=u.building_id,
                kind=EntryKind.OPENING,
                amount=a,
                entry_date=DAY0,
            )
            for u, a in zip(units, opening, strict=True)
            if a > 0
        )
        day = DAY0
        for n, (op, target, amount) in enumerate(ops):
            day += dt.timedelta(days=3)
            if op == "draw":
                project = make_fund_project(
                    compound, buildings=scopes[target], title=f"home 工程{n}"
                )
                draw = fund_draw_publish(project=project, amount=amount, published_on=day)
                fund_draw_make(draw=draw, made_on=day + dt.timedelta(days=1))
            elif op == "unit":
                fund_credit(
                    compound=compound,
                    kind=EntryKind.TOP_UP,
                    amount=amount,
                    unit=units[target],
                    entry_date=day + dt.timedelta(days=1),
                )
            else:
                fund_credit(
                    compound=compound,
                    kind=EntryKind.INTEREST,
                    amount=amount,
                    building=buildings[target],
                    entry_date=day + dt.timedelta(days=1),
                )
            check_invariants(compound)
        transaction.set_rollback(True)
