"""Two refunds of one receipt at the same moment: the receipt's row lock serialises them,
so the second reads the refund the first made and is refused when both together would
exceed the receipt; two identical requests (same key) record one refund and both answer
with it. The contribution's ``paid`` never goes below what was kept.

The flush after this transactional test empties the migrations' catalogues too; the suite
seeds them again after it (tests/conftest.py, MIGRATION_SEEDS)."""

import datetime as dt
from decimal import Decimal
from functools import partial

import pytest

from tests.concurrency import at_once, refusal
from tests.conftest import needs_postgres
from tests.factories import make_cast
from tests.works.lift_project import make_lift_project
from works.models import Contribution, FundingKind, ReceiptRefund
from works.services.receipts import receipt_record, receipt_refund

DAY = dt.date(2022, 3, 1)


def _outcome(refund) -> str:
    if isinstance(refund, Exception):
        return refusal(refund) or repr(refund)
    return "replayed" if refund.was_replayed else "made"


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_key", [False, True])
def test_two_refunds_at_once_never_exceed_the_receipt(same_key):
    cast = make_cast()
    project = make_lift_project(cast.compound)
    contribution = Contribution.objects.filter(project=project).order_by("id").first()
    receipt = receipt_record(
        compound=cast.compound,
        project=project,
        line=project.funding.get(kind=FundingKind.OWNERS),
        unit=contribution.unit,
        amount="100.00",
        received_on=DAY,
        idempotency_key="c-r",
    )
    calls = [
        {
            "compound": cast.compound,
            "project": project,
            "receipt": receipt,
            "amount": "60.00",
            "refunded_on": DAY,
            "reason": "多缴退回",
            "idempotency_key": "same" if same_key else f"c-{n}",
        }
        for n in range(2)
    ]
    outcomes = [_outcome(o) for o in at_once([partial(receipt_refund, **c) for c in calls])]
    assert ReceiptRefund.objects.count() == 1, outcomes
    if same_key:
        assert sorted(outcomes) == ["made", "replayed"], outcomes
    else:
        assert sorted(o == "made" for o in outcomes) == [False, True], outcomes
        assert any("超过" in o and "40.00" in o for o in outcomes), outcomes
    contribution.refresh_from_db()
    assert contribution.paid == Decimal("40.00")
