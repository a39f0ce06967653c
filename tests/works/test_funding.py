"""The funding plan: lines that sum exactly to the budget, one owners' and one fund line,
property-right units of the compound; the owners' split (CC 283) over the scope, without
units of unknown area (blocked) and without flats of a property-right unit that pays its
own line; recomputed on change, fixed once receipts exist. Nothing half-saved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from households.models import AreaSource, Owner, Ownership, PropertyRightUnit, Unit
from portal.models import AuditEntry
from tests.works.project_helpers import LIFT_PLAN, add_lift_buildings, lift_project
from works import selectors
from works.models import Contribution, FundingLine, Project, Receipt
from works.services.funding import FundingLineInput, funding_plan_set
from works.services.projects import project_create, project_update

pytestmark = pytest.mark.django_db

L = FundingLineInput


@pytest.fixture
def lift(cast):
    add_lift_buildings(cast.compound)
    return lift_project(cast)


def _plan(project):
    return [(line.kind, line.payer, line.amount) for line in project.funding.order_by("position")]


def test_lift_plan_and_216_shares_reconcile(cast, lift):
    assert _plan(lift) == [
        ("government", "海淀区政府补贴", Decimal("1200000.00")),
        ("company", "天岳恒物业", Decimal("200000.00")),
        ("owners", "业主自筹", Decimal("400000.00")),
    ]
    shares = list(lift.contributions.all())
    assert len(shares) == 216
    assert sum(c.share for c in shares) == Decimal("400000.00")
    owners = lift.funding.get(kind="owners")
    assert {c.line_id for c in shares} == {owners.pk}
    # Proportional to area within a fen.
    total_area = sum(c.area for c in shares)
    for c in shares:
        assert abs(c.share - Decimal("400000.00") * c.area / total_area) < Decimal("0.01")
    assert AuditEntry.objects.filter(action="works.funding_plan").exists()


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([L("government", "1000.00", "区政府")], "不等于预算"),
        ([L("government", "1800000.01", "区政府")], "相差 0.01"),
        (
            [L("government", "1800001.00", "区政府"), L("company", "-1.00", "物业")],
            "必须大于零",
        ),
        ([L("government", "1800000.00", "区政府"), L("company", "0", "物业")], "必须大于零"),
        ([L("owners", "900000.00"), L("owners", "900000.00")], "只能有一项"),
        (
            [L("maintenance_fund", "900000.00"), L("maintenance_fund", "900000.00")],
            "只能有一项",
        ),
        ([L("property_unit", "1800000.00")], "本小区的产权单位"),
        ([L("government", "1800000.00", "区政府", property_unit_id=1)], "只有“产权单位”"),
        ([L("bogus", "1800000.00", "x")], "类型无效"),
        ([L("government", "1800000.00", "  ")], "出资方"),
        ([L("government", "1800000.001", "区政府")], "两位小数"),
        ([], "至少"),
    ],
)
def test_bad_plans_refused_and_nothing_changes(cast, lift, lines, message):
    before = _plan(lift)
    shares = list(lift.contributions.values_list("unit_id", "share"))
    with pytest.raises(ValidationError) as error:
        funding_plan_set(project=lift, actor=cast.committee, lines=lines)
    assert message in str(error.value)
    assert _plan(lift) == before
    assert list(lift.contributions.values_list("unit_id", "share")) == shares


def test_property_unit_of_another_compound_refused(cast, lift):
    foreign = PropertyRightUnit.objects.create(compound=cast.other_compound, name="别处单位")
    with pytest.raises(ValidationError) as error:
        funding_plan_set(
            project=lift,
            actor=cast.committee,
            lines=[L("property_unit", "1800000.00", property_unit_id=foreign.pk)],
        )
    assert "本小区的产权单位" in str(error.value)


def test_budget_and_plan_change_together(cast, lift):
    funding_plan_set(
        project=lift,
        actor=cast.committee,
        budget="2000000.00",
        lines=[*LIFT_PLAN[:2], L("owners", "600000.00")],
    )
    lift.refresh_from_db()
    assert lift.budget == Decimal("2000000.00")
    assert sum(c.share for c in lift.contributions.all()) == Decimal("600000.00")


def test_property_unit_flats_leave_the_owners_split(cast, lift):
    unit = Unit.objects.get(compound=cast.compound, building__number="16", number="1-0101")
    pru = PropertyRightUnit.objects.create(compound=cast.compound, name="某研究院")
    holder = Owner.objects.create(compound=cast.compound, name="某研究院", property_right_unit=pru)
    Ownership.objects.filter(unit=unit).update(valid_to=dt.date(2020, 12, 31))
    Ownership.objects.create(
        compound=cast.compound, unit=unit, owner=holder, valid_from=dt.date(2021, 1, 1)
    )
    funding_plan_set(
        project=lift,
        actor=cast.committee,
        lines=[
            L("government", "1200000.00", "区政府"),
            L("property_unit", "100000.00", property_unit_id=pru.pk),
            L("owners", "500000.00"),
        ],
    )
    assert lift.funding.get(kind="property_unit").payer == "某研究院"
    assert not lift.contributions.filter(unit=unit).exists()
    assert lift.contributions.count() == 215
    assert sum(c.share for c in lift.contributions.all()) == Decimal("500000.00")
    # Without its own line the flat is in the owners' split again.
    funding_plan_set(project=lift, actor=cast.committee, lines=LIFT_PLAN)
    assert lift.contributions.filter(unit=unit).exists()


def test_unknown_area_units_are_blocked(cast, lift):
    unit = Unit.objects.get(compound=cast.compound, building__number="17", number="1-0101")
    Unit.objects.filter(pk=unit.pk).update(floor_area=None, area_source=AreaSource.UNKNOWN)
    funding_plan_set(project=lift, actor=cast.committee, lines=LIFT_PLAN)
    assert not lift.contributions.filter(unit=unit).exists()
    assert list(selectors.blocked_units(lift)) == [unit]
    assert sum(c.share for c in lift.contributions.all()) == Decimal("400000.00")


def test_owners_line_without_any_area_refused(cast):
    Unit.objects.filter(compound=cast.compound, building__number="1").update(
        floor_area=None, area_source=AreaSource.UNKNOWN
    )
    project = project_create(
        compound=cast.compound,
        actor=cast.committee,
        title="x",
        budget="100.00",
        building_numbers=["1"],
    )
    with pytest.raises(ValidationError) as error:
        funding_plan_set(project=project, actor=cast.committee, lines=[L("owners", "100.00")])
    assert "没有已知面积" in str(error.value)
    assert not project.funding.exists()


def _receipt(project, line, contribution=None, amount="10.00", key="k1"):
    return Receipt.objects.create(
        compound=project.compound,
        project=project,
        line=line,
        contribution=contribution,
        amount=amount,
        received_on=dt.date(2022, 1, 1),
        idempotency_key=key,
    )


def test_owners_line_fixed_once_a_receipt_exists(cast, lift):
    owners = lift.funding.get(kind="owners")
    _receipt(lift, owners, lift.contributions.first())
    shares = list(lift.contributions.values_list("unit_id", "share"))
    # Another amount for the owners: refused.
    with pytest.raises(ValidationError) as error:
        funding_plan_set(
            project=lift,
            actor=cast.committee,
            lines=[
                L("government", "1300000.00", "海淀区政府补贴"),
                L("company", "200000.00", "天岳恒物业"),
                L("owners", "300000.00"),
            ],
        )
    assert "业主自筹部分已有收款记录" in str(error.value)
    # A scope change would change the split: refused too.
    with pytest.raises(ValidationError):
        project_update(project=lift, actor=cast.committee, building_numbers=["16"])
    assert lift.scope_buildings.count() == 2
    assert list(lift.contributions.values_list("unit_id", "share")) == shares
    # Moving money between the other lines is fine.
    funding_plan_set(
        project=lift,
        actor=cast.committee,
        lines=[
            L("government", "1100000.00", "海淀区政府补贴"),
            L("company", "300000.00", "天岳恒物业"),
            L("owners", "400000.00"),
        ],
    )
    assert list(lift.contributions.values_list("unit_id", "share")) == shares


def test_line_with_receipts_cannot_go_or_drop_below_received(cast, lift):
    company = lift.funding.get(kind="company")
    _receipt(lift, company, amount="150000.00")
    with pytest.raises(ValidationError) as error:
        funding_plan_set(
            project=lift,
            actor=cast.committee,
            lines=[L("government", "1400000.00", "海淀区政府补贴"), L("owners", "400000.00")],
        )
    assert "不能删除" in str(error.value)
    with pytest.raises(ValidationError) as error:
        funding_plan_set(
            project=lift,
            actor=cast.committee,
            lines=[
                L("government", "1300000.00", "海淀区政府补贴"),
                L("company", "100000.00", "天岳恒物业"),
                L("owners", "400000.00"),
            ],
        )
    assert "不能低于已收款" in str(error.value)
    assert FundingLine.objects.get(pk=company.pk).amount == Decimal("200000.00")


def test_plan_closed_after_acceptance(cast, lift):
    Project.objects.filter(pk=lift.pk).update(status="accepted")
    with pytest.raises(ValidationError) as error:
        funding_plan_set(project=lift, actor=cast.committee, lines=LIFT_PLAN)
    assert "已验收" in str(error.value)


def test_reorder_keeps_rows(cast, lift):
    ids = {line.kind: line.pk for line in lift.funding.all()}
    funding_plan_set(project=lift, actor=cast.committee, lines=list(reversed(LIFT_PLAN)))
    assert [(line.kind, line.pk) for line in lift.funding.order_by("position")] == [
        ("owners", ids["owners"]),
        ("company", ids["company"]),
        ("government", ids["government"]),
    ]


# ------------------------------------------------------------------ through the service


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    areas=st.lists(
        st.one_of(st.none(), st.decimals(min_value="0.01", max_value="500.00", places=2)),
        min_size=6,
        max_size=6,
    ),
    owners=st.decimals(min_value="0.01", max_value="9999999.99", places=2),
    scope=st.sampled_from([("1",), ("2",), ("1", "2")]),
)
def test_split_through_the_service_reconciles(cast, areas, owners, scope):
    units = list(cast.compound.units.order_by("building__number", "number"))
    try:
        with transaction.atomic():
            for unit, area in zip(units, areas, strict=True):
                Unit.objects.filter(pk=unit.pk).update(
                    floor_area=area,
                    area_source=AreaSource.REGISTERED if area else AreaSource.UNKNOWN,
                )
            project = project_create(
                compound=cast.compound,
                actor=cast.committee,
                title="随机范围",
                budget=owners + Decimal("1.00"),
                building_numbers=scope,
            )
            in_scope = [
                (u, a) for u, a in zip(units, areas, strict=True) if u.building.number in scope
            ]
            known = [(u, a) for u, a in in_scope if a is not None]
            lines = [L("government", "1.00", "区政府"), L("owners", owners)]
            if not known:
                with pytest.raises(ValidationError):
                    funding_plan_set(project=project, actor=cast.committee, lines=lines)
                raise _Rollback
            funding_plan_set(project=project, actor=cast.committee, lines=lines)
            rows = {c.unit_id: c for c in Contribution.objects.filter(project=project)}
            assert set(rows) == {u.pk for u, _a in known}
            assert sum(c.share for c in rows.values()) == owners
            whole = sum(a for _u, a in known)
            for unit, area in known:
                assert rows[unit.pk].area == area
                assert abs(rows[unit.pk].share - owners * area / whole) < Decimal("0.01")
            assert {u.pk for u in selectors.blocked_units(project)} == {
                u.pk for u, a in in_scope if a is None
            }
            raise _Rollback
    except _Rollback:
        pass


class _Rollback(Exception):
    """Undo one example's rows."""
