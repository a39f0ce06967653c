"""Demo fees of 学院南路32号院: the case's standards and subsidy, 2022 billed and collected.

Called by ``manage.py seed_demo`` as ``seed(compound)``; idempotent and deterministic
(a fixed random seed), so every demo shows the same figures.

- Low-rise: appraised 1.78, charged 1.00 yuan/m²/month; high-rise (buildings 16 and 17):
  2.45 / 1.67. The 0.78 difference is paid 50/50 by 北太平庄街道 and 首开集团 for three
  years from 2022-01 (the case does not publish the split: 50/50 is our default).
- Bungalow areas (平房区): our choice, documented here, is the low-rise standard (1.78 /
  1.00 with the same subsidy): they are single-storey housing without lifts, which the
  appraisal's low-rise rate describes; the case names no third rate.
- The standards' basis is the October 2021 joint decision (voting's demo, seeded first).
- 2022 is billed as one annual run; about 82% of households pay in full during the year
  (so the collection rate is a little above 80%, as in the case), a few pay part.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from households.models import BuildingKind
from portal.models import Compound
from portal.pdf import font_face_css
from voting.selectors import item_passed

from . import selectors, services
from .models import (
    AnnualAccount,
    Charge,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    SubsidyPayerKind,
)
from .money import to_fen
from .services.collection_totals import rebuild as rebuild_collection_totals

TERM_START = dt.date(2022, 1, 1)
TERM_END = dt.date(2024, 12, 31)
SHARES = (
    services.ShareInput("北太平庄街道", Decimal("50"), SubsidyPayerKind.STREET_OFFICE),
    services.ShareInput("首开集团", Decimal("50"), SubsidyPayerKind.STATE_ENTERPRISE),
)
SERVICE_STANDARD = "北京市住宅物业服务标准二级：秩序维护、保洁、绿化、共用设施日常维修"
RATES = {
    BuildingKind.LOW_RISE: (Decimal("1.78"), Decimal("1.00")),
    BuildingKind.HIGH_RISE: (Decimal("2.45"), Decimal("1.67")),
    BuildingKind.BUNGALOW: (Decimal("1.78"), Decimal("1.00")),
}
PAID_IN_FULL = 0.82
PAID_IN_PART = 0.04
SPENDING_2022 = [  # 1,598,000.00 in all, against ~1.65 million of fees and subsidy
    {"item": "人员费用", "amount": "842000.00"},
    {"item": "保洁与垃圾清运", "amount": "216000.00"},
    {"item": "绿化养护", "amount": "74000.00"},
    {"item": "共用设施设备日常维修", "amount": "188000.00"},
    {"item": "秩序维护与停车管理", "amount": "214000.00"},
    {"item": "办公与管理费用", "amount": "64000.00"},
]


def basis_item(compound: Compound):
    """The owners' decision behind the standards: the October 2021 vote (hire 天岳恒物业
    at these fees), seeded here through voting's demo if it is not there yet (only that
    decision: the rest of voting's demo follows in its own turn)."""
    from voting import demo as voting_demo

    if not compound.decisions.filter(title=voting_demo.TITLE_2021).exists():
        voting_demo.seed_2021(compound, voting_demo._counters(compound))
    item = compound.decisions.get(title=voting_demo.TITLE_2021).items.get()
    assert item_passed(item) and selectors.item_sets_fees(item)
    return item


@transaction.atomic
def seed(compound: Compound) -> None:
    if compound.fee_standards.exists():
        return
    basis = basis_item(compound)
    for kind, (appraised, charged) in RATES.items():
        services.fee_standard_create(
            compound=compound,
            building_kind=kind,
            appraised_rate=appraised,
            charged_rate=charged,
            valid_from=TERM_START,
            valid_to=TERM_END,
            shares=SHARES,
            service_standard=SERVICE_STANDARD,
            basis_item_id=basis.pk,
        )
    outcome = services.billing_run_create(
        compound=compound, period_start=TERM_START, months=12, today=TERM_START
    )
    _collect_2022(compound, outcome.run)
    AnnualAccount.objects.get_or_create(
        compound=compound,
        year=2022,
        defaults={"spending": SPENDING_2022, "note": "演示数据"},
    )
    # Build the compact print font now (once, ~20 s) rather than on the first notice.
    font_face_css()


def _collect_2022(compound: Compound, run) -> None:
    """Deterministic payments, written in bulk (1,412 households in well under a second)
    with the same fingerprints the service would give them."""
    rng = random.Random("xynl32-fees-2022")
    methods = [PaymentMethod.WECHAT, PaymentMethod.ALIPAY, PaymentMethod.BANK, PaymentMethod.CASH]
    plans = []
    for charge in run.charges.order_by("building__sort_key", "unit__number", "id"):
        draw = rng.random()
        if draw < PAID_IN_FULL:
            amount = charge.owner_due
        elif draw < PAID_IN_FULL + PAID_IN_PART:
            amount = to_fen(charge.owner_due * Decimal(rng.choice([25, 50, 75])) / 100)
        else:
            continue
        # Most pay early in the year; a tail pays through the autumn.
        month = min(12, 1 + int(rng.expovariate(0.45)))
        received = dt.date(2022, month, rng.randint(1, 28))
        method = rng.choice(methods)
        plans.append((charge, amount, method, received))
    payments = []
    for n, (charge, amount, method, received) in enumerate(plans, start=1):
        reference = "" if method == PaymentMethod.CASH else f"DEMO2022{n:05d}"
        payments.append(
            Payment(
                compound=compound,
                unit_id=charge.unit_id,
                method=method,
                amount=amount,
                reference=reference,
                received_on=received,
                idempotency_key=f"demo-2022-{charge.unit_id}",
                fingerprint=services._fingerprint(
                    unit=charge.unit_id,
                    amount=str(amount),
                    method=method,
                    received_on=received.isoformat(),
                    reference=reference,
                    is_prepayment=False,
                ),
            )
        )
    payments = Payment.objects.bulk_create(payments, batch_size=1000)
    PaymentAllocation.objects.bulk_create(
        (
            PaymentAllocation(compound=compound, payment=p, charge=charge, amount=p.amount)
            for p, (charge, *_rest) in zip(payments, plans, strict=True)
        ),
        batch_size=1000,
    )
    for p, (charge, *_rest) in zip(payments, plans, strict=True):
        charge.owner_paid = p.amount
    Charge.objects.bulk_update([c for c, *_r in plans], ["owner_paid"], batch_size=1000)
    assert not Charge.objects.filter(run=run, owner_paid__gt=F("owner_due")).exists()
    rebuild_collection_totals(compound)  # written in bulk, past the services
