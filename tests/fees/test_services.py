"""Services: standards, billing runs, payments, refunds and the CC 944 ladder."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from fees import services
from fees.models import (
    BillingRun,
    Charge,
    ChargeAdjustment,
    ChargeSubsidyLine,
    FeeStandard,
    NonResidentialMode,
    Payment,
    PaymentAllocation,
    ReminderKind,
    SubsidyPayer,
)
from households.models import AreaSource, BuildingKind, Unit
from tests.fees.helpers import CASE_SHARES, bill, low_rise_standard

pytestmark = pytest.mark.django_db


def _messages(exc: pytest.ExceptionInfo) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


def _nothing_saved():
    assert FeeStandard.objects.count() == 0
    assert SubsidyPayer.objects.count() == 0


# --- standards --------------------------------------------------------------------------


def test_standard_is_versioned_and_keeps_its_shares(cast):
    first = low_rise_standard(cast.compound)
    second = low_rise_standard(
        cast.compound,
        valid_from=dt.date(2025, 1, 1),
        valid_to=None,
        shares=(),
        charged_rate=Decimal("1.78"),
    )
    assert (first.version, second.version) == (1, 2)
    assert [str(s.share) for s in first.shares.all()] == ["50.00", "50.00"]
    assert first.subsidy_rate == Decimal("0.78")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"appraised_rate": Decimal("-1.78")}, "评估价必须大于零"),
        ({"charged_rate": Decimal("0")}, "收费价必须大于零"),
        ({"charged_rate": Decimal("2.00")}, "收费价不能高于评估价"),
        (
            {"shares": (services.ShareInput("北太平庄街道", Decimal("50")),)},
            "补贴方份额合计须为100%（现为50.00%）",
        ),
        (
            {
                "shares": (
                    services.ShareInput("甲", Decimal("60")),
                    services.ShareInput("乙", Decimal("60")),
                )
            },
            "补贴方份额合计须为100%（现为120.00%）",
        ),
        ({"shares": ()}, "须指定承担差额的补贴方"),
        ({"appraised_rate": Decimal("1.234")}, "评估价最多保留两位小数"),
        ({"valid_from": dt.date(2022, 1, 15)}, "起始日期须为某月1日"),
        ({"valid_to": dt.date(2021, 1, 1)}, "终止日期不能早于起始日期"),
        ({"non_residential_mode": NonResidentialMode.OWN}, "须填写非住宅费率"),
    ],
)
def test_bad_standards_are_refused_with_a_specific_message(cast, overrides, message):
    with pytest.raises(ValidationError) as exc:
        low_rise_standard(cast.compound, **overrides)
    assert message in _messages(exc)
    _nothing_saved()


def test_overlapping_validity_is_refused_and_nothing_is_saved(cast):
    low_rise_standard(cast.compound)
    with pytest.raises(ValidationError) as exc:
        low_rise_standard(
            cast.compound,
            valid_from=dt.date(2024, 6, 1),
            valid_to=None,
            shares=(services.ShareInput("新补贴方", Decimal("100")),),
        )
    assert "有效期不能重叠" in _messages(exc)
    assert FeeStandard.objects.count() == 1
    assert not SubsidyPayer.objects.filter(name="新补贴方").exists()


def test_other_kinds_may_share_the_same_term(cast):
    low_rise_standard(cast.compound)
    high = low_rise_standard(
        cast.compound,
        building_kind=BuildingKind.HIGH_RISE,
        appraised_rate=Decimal("2.45"),
        charged_rate=Decimal("1.67"),
    )
    assert high.version == 1


# --- billing ----------------------------------------------------------------------------


def _totals(run: BillingRun) -> dict:
    sums = run.charges.aggregate(
        appraised=Sum("appraised_due"), owner=Sum("owner_due"), subsidy=Sum("subsidy_due")
    )
    sums["lines"] = ChargeSubsidyLine.objects.filter(charge__run=run).aggregate(s=Sum("amount"))[
        "s"
    ]
    return sums


def test_a_run_bills_every_unit_and_reconciles_to_the_fen(cast):
    low_rise_standard(cast.compound)
    outcome = bill(cast.compound)
    assert outcome.created == 6 and outcome.blocked == []
    charge = outcome.run.charges.first()
    # 60.50 m² × 12 months: appraised 1292.28, owner 726.00, subsidy 566.28 = 283.14 × 2.
    assert charge.appraised_amount == Decimal("1292.28")
    assert charge.owner_amount == Decimal("726.00")
    assert [line.amount for line in charge.subsidy_lines.all()] == [
        Decimal("283.14"),
        Decimal("283.14"),
    ]
    t = _totals(outcome.run)
    assert t["owner"] + t["lines"] == t["appraised"] == Decimal("1292.28") * 6
    assert outcome.run.units_billed == 6


def test_running_again_changes_nothing(cast):
    low_rise_standard(cast.compound)
    first = bill(cast.compound)
    before = list(Charge.objects.values_list("id", "owner_due", "appraised_due"))
    again = bill(cast.compound)
    assert again.run.pk == first.run.pk
    assert (again.created, again.adjusted, again.unchanged) == (0, 0, 6)
    assert list(Charge.objects.values_list("id", "owner_due", "appraised_due")) == before
    assert ChargeSubsidyLine.objects.count() == 12


def test_unknown_area_is_blocked_then_billed_once_known(cast):
    low_rise_standard(cast.compound)
    unit = cast.compound.units.order_by("id").first()
    Unit.objects.filter(pk=unit.pk).update(floor_area=None, area_source=AreaSource.UNKNOWN)
    outcome = bill(cast.compound)
    assert outcome.created == 5
    assert [b["unit_id"] for b in outcome.run.blocked_units] == [unit.pk]
    assert outcome.run.blocked_units[0]["reason"] == services.BlockReason.UNKNOWN_AREA
    Unit.objects.filter(pk=unit.pk).update(
        floor_area=Decimal("48.00"), area_source=AreaSource.SURVEYED
    )
    later = bill(cast.compound)
    assert (later.created, later.unchanged, later.blocked) == (1, 5, [])


def test_area_correction_adds_a_visible_adjustment_not_a_rewrite(cast):
    low_rise_standard(cast.compound)
    run = bill(cast.compound).run
    unit = cast.compound.units.order_by("id").first()
    Unit.objects.filter(pk=unit.pk).update(floor_area=Decimal("61.33"))
    outcome = bill(cast.compound)
    assert outcome.adjusted == 1
    charge = run.charges.get(unit=unit)
    assert charge.owner_amount == Decimal("726.00")  # as billed, untouched
    adjustment = ChargeAdjustment.objects.get(charge=charge)
    assert (adjustment.area_before, adjustment.area_after) == (Decimal("60.50"), Decimal("61.33"))
    # 61.33 × 12 = 735.96 owner; × 1.78 = 1310.01 appraised.
    assert charge.owner_due == Decimal("735.96") and charge.appraised_due == Decimal("1310.01")
    assert adjustment.owner_delta == Decimal("9.96")
    line_sum = charge.subsidy_lines.aggregate(s=Sum("amount"))["s"]
    assert charge.owner_due + line_sum == charge.appraised_due
    assert bill(cast.compound).adjusted == 0  # idempotent after the correction too


def test_bad_periods_are_refused(cast):
    low_rise_standard(cast.compound)
    with pytest.raises(ValidationError) as exc:
        services.billing_run_create(
            compound=cast.compound, period_start=dt.date(2024, 1, 1), today=dt.date(2022, 6, 1)
        )
    assert "最多提前12个月" in _messages(exc)
    with pytest.raises(ValidationError) as exc:
        services.billing_run_create(
            compound=cast.compound,
            period_start=dt.date(2024, 7, 1),
            months=12,
            today=dt.date(2024, 6, 1),
        )
    assert "跨越低楼收费标准的有效期" in _messages(exc)
    bill(cast.compound)
    with pytest.raises(ValidationError) as exc:
        bill(cast.compound, start=dt.date(2022, 6, 1), months=1)
    assert "期间重叠" in _messages(exc)
    with pytest.raises(ValidationError) as exc:
        bill(cast.compound, months=6)
    assert "月数不能改变" in _messages(exc)
    assert BillingRun.objects.count() == 1


def test_units_without_a_standard_are_listed_not_billed(cast):
    # A second kind with a unit but no standard: billed around, listed as blocked.
    low_rise_standard(cast.compound)
    tower = cast.compound.buildings.create(
        compound=cast.compound, number="16", kind=BuildingKind.HIGH_RISE
    )
    tower.units.create(
        compound=cast.compound, number="101", floor_area=Decimal("80.00"), area_source="registered"
    )
    outcome = bill(cast.compound)
    assert outcome.created == 6
    assert {b["reason"] for b in outcome.blocked} == {services.BlockReason.NO_STANDARD}


def test_non_residential_units_own_rate_and_exempt(cast):
    low_rise_standard(
        cast.compound,
        non_residential_mode=NonResidentialMode.OWN,
        non_residential_rate=Decimal("3.00"),
    )
    unit = cast.compound.units.order_by("id").first()
    Unit.objects.filter(pk=unit.pk).update(is_residential=False)
    run = bill(cast.compound).run
    charge = run.charges.get(unit=unit)
    assert charge.owner_due == Decimal("2178.00") and charge.subsidy_due == 0
    assert not charge.subsidy_lines.exists()


# --- payments ---------------------------------------------------------------------------


def _unit(cast):
    return cast.compound.units.order_by("id").first()


def _pay(cast, amount, key="k1", **extra):
    kwargs = {
        "compound": cast.compound,
        "unit": _unit(cast),
        "amount": Decimal(amount),
        "method": "wechat",
        "reference": "wx-0001",
        "received_on": dt.date(2022, 3, 1),
        "idempotency_key": key,
    }
    kwargs.update(extra)
    return services.payment_record(**kwargs)


def test_partial_payments_settle_the_oldest_charge(cast):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    _pay(cast, "300.00", key="a")
    _pay(cast, "426.00", key="b", reference="wx-0002")
    charge = Charge.objects.get(unit=_unit(cast))
    assert charge.owner_paid == Decimal("726.00") and charge.is_paid


def test_same_key_same_data_returns_the_same_payment(cast):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    first = _pay(cast, "100.00")
    again = _pay(cast, "100.00")
    assert again.pk == first.pk and again.was_replayed
    assert Payment.objects.count() == 1
    assert Charge.objects.get(unit=_unit(cast)).owner_paid == Decimal("100.00")


def test_same_key_different_data_is_refused(cast):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    _pay(cast, "100.00")
    with pytest.raises(ValidationError) as exc:
        _pay(cast, "200.00")
    assert "已用于另一笔内容不同的收款" in _messages(exc)
    assert Payment.objects.count() == 1


def test_overpayment_needs_an_explicit_prepayment(cast):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    with pytest.raises(ValidationError) as exc:
        _pay(cast, "800.00")
    assert "超过该户欠费726.00元" in _messages(exc)
    assert Payment.objects.count() == 0 and PaymentAllocation.objects.count() == 0
    _pay(cast, "800.00", is_prepayment=True)
    assert services.unit_credit(cast.compound, _unit(cast).pk) == Decimal("74.00")


def test_prepaid_credit_settles_the_next_run(cast):
    low_rise_standard(cast.compound, valid_to=None)
    _pay(cast, "1000.00", is_prepayment=True)
    bill(cast.compound)
    charge = Charge.objects.get(unit=_unit(cast))
    assert charge.owner_paid == Decimal("726.00")
    assert services.unit_credit(cast.compound, _unit(cast).pk) == Decimal("274.00")


@pytest.mark.parametrize(
    ("amount", "extra", "message"),
    [
        ("0", {}, "收款金额必须大于零"),
        ("-5", {}, "收款金额必须大于零"),
        ("1.001", {}, "收款金额最多保留两位小数"),
        ("10", {"reference": ""}, "须填写交易流水号"),
        ("10", {"idempotency_key": ""}, "缺少幂等键"),
        ("10", {"received_on": dt.date(2999, 1, 1)}, "收款日期不能晚于今天"),
    ],
)
def test_bad_payments_are_refused(cast, amount, extra, message):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    with pytest.raises(ValidationError) as exc:
        _pay(cast, amount, **extra)
    assert message in _messages(exc)
    assert Payment.objects.count() == 0


def test_refund_unsettles_and_cannot_exceed_the_payment(cast):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    payment = _pay(cast, "726.00")
    refund_kwargs = {
        "compound": cast.compound,
        "payment": payment,
        "method": "wechat",
        "received_on": dt.date(2022, 3, 2),
    }
    with pytest.raises(ValidationError) as exc:
        services.refund_record(amount=Decimal("800"), idempotency_key="r0", **refund_kwargs)
    assert "超过该笔收款可退余额726.00元" in _messages(exc)
    refund = services.refund_record(amount=Decimal("126.00"), idempotency_key="r1", **refund_kwargs)
    assert refund.amount == Decimal("-126.00")
    assert Charge.objects.get(unit=_unit(cast)).owner_paid == Decimal("600.00")
    with pytest.raises(ValidationError):
        services.refund_record(amount=Decimal("600.01"), idempotency_key="r2", **refund_kwargs)


# --- reminders --------------------------------------------------------------------------


def test_the_ladder_goes_reminder_demand_handover_in_order(cast):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    unit = _unit(cast)
    step = {"compound": cast.compound, "unit": unit}
    with pytest.raises(ValidationError) as exc:
        services.reminder_step_record(kind=ReminderKind.WRITTEN_DEMAND, **step)
    assert "须先发出催缴提醒" in _messages(exc)
    services.reminder_step_record(kind=ReminderKind.REMINDER, **step)
    with pytest.raises(ValidationError) as exc:
        services.reminder_step_record(kind=ReminderKind.WRITTEN_DEMAND, **step)
    assert "书面催告须在催缴提醒7天之后" in _messages(exc)
    later = dt.date.today() + dt.timedelta(days=8)
    demand = services.reminder_step_record(kind=ReminderKind.WRITTEN_DEMAND, today=later, **step)
    assert demand.respond_by == later + dt.timedelta(days=15)
    with pytest.raises(ValidationError) as exc:
        services.reminder_step_record(kind=ReminderKind.LEGAL_HANDOVER, today=later, **step)
    assert "答复期限" in _messages(exc)
    handover = services.reminder_step_record(
        kind=ReminderKind.LEGAL_HANDOVER, today=later + dt.timedelta(days=16), **step
    )
    assert handover.outstanding == Decimal("726.00")


def test_no_reminder_without_arrears(cast):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    _pay(cast, "726.00")
    with pytest.raises(ValidationError) as exc:
        services.reminder_step_record(
            compound=cast.compound, unit=_unit(cast), kind=ReminderKind.REMINDER
        )
    assert "没有欠费" in _messages(exc)


def test_the_ladder_offers_no_utility_cut_off():
    labels = " ".join(str(label) for label in ReminderKind.labels)
    for word in ("停水", "停电", "停暖", "停气", "断水", "断电"):
        assert word not in labels
    assert set(ReminderKind.values) == {"reminder", "written_demand", "legal_handover"}


def test_case_shares_are_fifty_fifty():
    assert [s.share for s in CASE_SHARES] == [Decimal(50), Decimal(50)]
