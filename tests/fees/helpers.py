"""Builders shared by the fees tests."""

import datetime as dt
from decimal import Decimal

from django.test import TestCase

from fees import selectors, services
from fees.models import FeeStandard
from households.models import BuildingKind, Unit
from portal.models import Compound
from voting import rules
from voting.models import Decision, DecisionState, Item
from voting.snapshot import ItemResult, Reading, TallySnapshot

CASE_SHARES = (
    services.ShareInput("北太平庄街道", Decimal("50")),
    services.ShareInput("首开集团", Decimal("50")),
)


BASIS_TITLE = "选聘物业服务企业及物业费标准（测试依据）"


def fee_basis_item(compound: Compound) -> Item:
    """A passed item of ``compound`` that sets the fee standard, as voting leaves it once
    counted (a published decision whose frozen tally says the item passed). The voting
    flow itself is exercised in tests/voting and in tests/fees/test_standard_basis.py."""
    item = Item.objects.filter(compound=compound, decision__title=BASIS_TITLE).first()
    if item is not None:
        return item
    decision = Decision.objects.create(
        compound=compound,
        title=BASIS_TITLE,
        state=DecisionState.PUBLISHED,
        counted_at=dt.datetime(2021, 10, 25, 16, tzinfo=dt.UTC),
        published_at=dt.datetime(2021, 10, 26, 9, tzinfo=dt.UTC),
    )
    item = Item.objects.create(
        compound=compound,
        decision=decision,
        position=1,
        title=BASIS_TITLE,
        category=4,
        sets_fee_standard=True,
    )
    decision.tally_snapshot = _passed_snapshot(decision, item).to_json()
    decision.save(update_fields=["tally_snapshot"])
    return item


def _passed_snapshot(decision: Decision, item: Item) -> TallySnapshot:
    """A certified tally in which ``item`` passed: the 2021 case's figures (77.84% of the
    owners and 74.25% of the area took part; 74.13% and 78.86% of them consented)."""
    counts = rules.ItemCounts(
        total=rules.Share(10000, 1000000),
        agree=rules.Share(5770, 585500),
        disagree=rules.Share(2014, 157000),
    )
    result = rules.tally(counts, category=item.category)
    return TallySnapshot(
        decision=decision.pk,
        state=decision.state,
        items=(
            ItemResult(
                id=item.pk,
                position=item.position,
                title=item.title,
                category=rules.Category(item.category),
                scope="",
                spoiled_counts_as_participating=False,
                raw=Reading.from_tally(result.raw),
                adjusted=None,
            ),
        ),
    )


def low_rise_standard(compound: Compound, **overrides) -> FeeStandard:
    """The case's low-rise standard: appraised 1.78, charged 1.00, three years from 2022,
    decided by the owners (``fee_basis_item``)."""
    kwargs = {
        "compound": compound,
        "building_kind": BuildingKind.LOW_RISE,
        "appraised_rate": Decimal("1.78"),
        "charged_rate": Decimal("1.00"),
        "valid_from": dt.date(2022, 1, 1),
        "valid_to": dt.date(2024, 12, 31),
        "shares": CASE_SHARES,
        "service_standard": "北京市住宅物业服务标准 二级",
    }
    kwargs.update(overrides)
    if not kwargs.get("pending_vote") and "basis_item_id" not in kwargs:
        kwargs["basis_item_id"] = fee_basis_item(compound).pk
    return services.fee_standard_create(**kwargs)


def remeasure(compound: Compound, unit: Unit, area: Decimal | str) -> None:
    """A roster correction of ``unit``'s area, then every run of ``compound`` billed again
    (as of 2022-01-01)."""
    Unit.objects.filter(pk=unit.pk).update(floor_area=Decimal(area))
    for run in compound.billing_runs.order_by("period_start"):
        services.billing_run_create(
            compound=compound,
            period_start=run.period_start,
            months=run.months,
            today=dt.date(2022, 1, 1),
        )


def refund_at_most(
    compound: Compound, pick: int, amount: Decimal, *, not_before: dt.date, key: str
) -> None:
    """Refund up to ``amount`` in cash of ``compound``'s payment number ``pick`` (modulo
    their number, in the order recorded), on ``not_before`` or the payment's own day when
    later; nothing when there is no payment or nothing of it left to refund."""
    payments = list(compound.payments.filter(kind="payment").order_by("id"))
    if not payments:
        return
    payment = payments[pick % len(payments)]
    amount = min(amount, selectors.refundable(payment))
    if amount > 0:
        services.refund_record(
            compound=compound,
            payment=payment,
            amount=amount,
            method="cash",
            received_on=max(payment.received_on, not_before),
            idempotency_key=key,
        )


def enqueue_chunks(run) -> int:
    """Queue a run's chunks as the run page does, and render them now: tasks are sent when
    the transaction commits, which a test's own transaction never does."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.notice_chunks_enqueue(run_id=run.pk)


def bill(compound: Compound, start=dt.date(2022, 1, 1), months: int = 12):
    return services.billing_run_create(
        compound=compound, period_start=start, months=months, today=dt.date(2022, 1, 1)
    )


def home_fees(cast) -> dict:
    """Fee data of the HOME compound for page and isolation tests (made once per cast):
    the case's standard, 2022 billed, a payment of the resident's unit, a written demand
    to another unit and one building's notices generated."""
    cached = getattr(cast, "_home_fees", None)
    if cached is not None:
        return cached
    from fees.models import ChargeSubsidyLine, ReminderKind, ReminderStep
    from tests.isolation import home_unit

    compound = cast.compound
    standard = low_rise_standard(compound)
    run = bill(compound).run
    unit = home_unit(cast)
    payment = services.payment_record(
        compound=compound,
        unit=unit,
        amount=Decimal("100.00"),
        method="cash",
        received_on=dt.date(2022, 3, 1),
        idempotency_key="home-pay-1",
    )
    debtor = compound.units.exclude(pk=unit.pk).order_by("id").first()
    ReminderStep.objects.create(
        compound=compound, unit=debtor, kind=ReminderKind.REMINDER, outstanding=Decimal("726.00")
    )
    demand = ReminderStep.objects.create(
        compound=compound,
        unit=debtor,
        kind=ReminderKind.WRITTEN_DEMAND,
        outstanding=Decimal("726.00"),
        respond_by=dt.date(2022, 4, 15),
    )
    payer = ChargeSubsidyLine.objects.filter(charge__run=run).first().payer
    cast._home_fees = {
        "standard": standard,
        "run": run,
        "unit": unit,
        "payment": payment,
        "demand": demand,
        "payer": payer,
        "debtor": debtor,
    }
    return cast._home_fees


def home_notices(cast) -> dict:
    """home_fees plus the building print files generated (tasks run eagerly)."""
    data = home_fees(cast)
    if not data["run"].chunks.exists():
        services.notices_start(compound=cast.compound, run=data["run"])
        enqueue_chunks(data["run"])
        data["run"].refresh_from_db()
    return data
