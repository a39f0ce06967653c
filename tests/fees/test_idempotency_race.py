"""Two identical payment (or refund) requests with the same key at the same moment: both
answer with the one entry (201 and 200), never 201 and 400 (issue 8, item 11).

On SQLite the interleaving is made deterministic: a database hook lets the "other"
request run to completion right after this request's first key look-up found nothing,
exactly where the race opens. On PostgreSQL real threads with their own connections race.
"""

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from fees import services
from fees.models import Charge, Payment, PaymentAllocation
from tests.concurrency import at_once
from tests.conftest import needs_postgres

from .helpers import bill, low_rise_standard

BASE = "/api/v1/compounds/home/"
PAID_ON = dt.date(2022, 3, 1)


@contextlib.contextmanager
def other_request_after_first_lookup(run_other):
    """Run ``run_other()`` once, right after the first query that looks a payment up by
    its idempotency key (and found nothing yet): the other request then commits between
    this request's look-up and its own insert."""
    state = {"fired": False}

    def hook(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if (
            not state["fired"]
            and 'FROM "fees_payment"' in sql
            and '"idempotency_key" =' in sql
            and sql.lstrip().upper().startswith("SELECT")
        ):
            state["fired"] = True
            run_other()
        return result

    with connection.execute_wrapper(hook):
        yield state
    assert state["fired"], "the interleaving never happened"


def _payment_body(unit, key="race-1") -> dict:
    return {
        "unit_id": unit.pk,
        "amount": "726.00",
        "method": "cash",
        "received_on": PAID_ON.isoformat(),
        "idempotency_key": key,
    }


def _home(cast):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    return cast.compound.units.order_by("id").first()


@pytest.mark.django_db
def test_a_payment_racing_its_twin_answers_as_a_replay(cast):
    unit = _home(cast)
    api = APIClient()
    api.force_authenticate(cast.company_staff)
    body = _payment_body(unit)
    other = {}

    def twin():
        # The identical request, recorded in full (settling the whole charge) first.
        other["payment"] = services.payment_record(
            compound=cast.compound,
            unit=unit,
            amount=Decimal("726.00"),
            method="cash",
            received_on=PAID_ON,
            idempotency_key="race-1",
        )

    with other_request_after_first_lookup(twin):
        response = api.post(BASE + "payments/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == other["payment"].pk
    assert Payment.objects.count() == 1
    assert PaymentAllocation.objects.count() == 1
    assert Charge.objects.get(unit=unit).owner_paid == Decimal("726.00")


@pytest.mark.django_db
def test_a_prepayment_racing_its_twin_collides_on_the_key_and_answers_as_a_replay(cast):
    """No open charge to wait on: the loser's insert hits the unique key."""
    low_rise_standard(cast.compound)
    unit = cast.compound.units.order_by("id").first()
    kwargs = {
        "compound": cast.compound,
        "unit": unit,
        "amount": Decimal("500.00"),
        "method": "cash",
        "received_on": PAID_ON,
        "idempotency_key": "pre-1",
        "is_prepayment": True,
    }
    other = {}
    with other_request_after_first_lookup(
        lambda: other.setdefault("p", services.payment_record(**kwargs))
    ):
        mine = services.payment_record(**kwargs)
    assert mine.pk == other["p"].pk and mine.was_replayed
    assert Payment.objects.count() == 1
    assert services.unit_credit(cast.compound, unit.pk) == Decimal("500.00")


@pytest.mark.django_db
def test_a_different_request_under_a_raced_key_is_still_refused(cast):
    unit = _home(cast)
    api = APIClient()
    api.force_authenticate(cast.company_staff)

    def intruder():
        services.payment_record(
            compound=cast.compound,
            unit=unit,
            amount=Decimal("100.00"),
            method="cash",
            received_on=PAID_ON,
            idempotency_key="race-1",
        )

    with other_request_after_first_lookup(intruder):
        response = api.post(BASE + "payments/", _payment_body(unit), format="json")
    assert response.status_code == 400
    assert "已用于另一笔内容不同的收款" in str(response.json())
    # (The intruder ran inside this request's transaction here, so the refusal rolled it
    # back too; in a real race it is its own committed transaction.)


@pytest.mark.django_db
def test_a_refund_racing_its_twin_answers_as_a_replay(cast):
    unit = _home(cast)
    payment = services.payment_record(
        compound=cast.compound,
        unit=unit,
        amount=Decimal("726.00"),
        method="cash",
        received_on=PAID_ON,
        idempotency_key="pay-1",
    )
    api = APIClient()
    api.force_authenticate(cast.company_staff)
    body = {"amount": "726.00", "method": "cash", "received_on": "2022-03-02"}
    other = {}

    def twin():
        other["refund"] = services.refund_record(
            compound=cast.compound,
            payment=payment,
            amount=Decimal("726.00"),
            method="cash",
            received_on=dt.date(2022, 3, 2),
            idempotency_key="refund-1",
        )

    with other_request_after_first_lookup(twin):
        response = api.post(
            f"{BASE}payments/{payment.pk}/refund/",
            {**body, "idempotency_key": "refund-1"},
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == other["refund"].pk
    assert Payment.objects.filter(kind="refund").count() == 1
    assert Charge.objects.get(unit=unit).owner_paid == Decimal("0.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@needs_postgres
def test_identical_payments_and_refunds_racing_on_postgresql_answer_201_then_200():
    from tests.factories import make_cast

    cast = make_cast()
    unit = _home(cast)

    def post(path, body):
        api = APIClient()
        api.force_authenticate(cast.company_staff)
        response = api.post(path, body, format="json")
        return response.status_code, response.json().get("id")

    # Each race pays a unit's whole bill: the losers, once the winner's row locks are
    # released, find nothing left to pay (the old 400) or collide on the key.
    units = list(cast.compound.units.order_by("id")[:3])
    for unit in units:
        body = _payment_body(unit, key=f"pg-{unit.pk}")
        outcomes = at_once([lambda body=body: post(BASE + "payments/", body)] * 4)
        assert sorted(code for code, _id in outcomes) == [200, 200, 200, 201], outcomes
        assert len({pk for _code, pk in outcomes}) == 1
    assert Payment.objects.count() == 3
    assert all(c.owner_paid == Decimal("726.00") for c in Charge.objects.filter(unit__in=units))

    payment = Payment.objects.order_by("id").first()
    body = {
        "amount": "726.00",
        "method": "cash",
        "received_on": "2022-03-02",
        "idempotency_key": "pg-refund",
    }
    outcomes = at_once([lambda: post(f"{BASE}payments/{payment.pk}/refund/", body)] * 4)
    assert sorted(code for code, _id in outcomes) == [200, 200, 200, 201], outcomes
    assert len({pk for _code, pk in outcomes}) == 1
    assert Payment.objects.filter(kind="refund").count() == 1
    assert Charge.objects.get(unit=units[0]).owner_paid == Decimal("0.00")
