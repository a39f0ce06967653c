"""The alert rules over plain facts (no database rows needed): each kind is raised on the
right day, with its due date, and not before."""

import datetime as dt
from decimal import Decimal

import pytest

from board.alerts import alert_message, wanted_alerts
from board.milestones import (
    AgreementFacts,
    DecisionFacts,
    Facts,
    StandardFacts,
    YearCollection,
    derive,
)
from portal.models import Compound

pytestmark = pytest.mark.django_db


def facts(**kwargs) -> Facts:
    compound = Compound(pk=1, code="rules", name="规则小区", street_office_id=1)
    return Facts(compound=compound, **kwargs)


def kinds(f: Facts, today: dt.date) -> dict[str, dt.date]:
    return {w.kind: w.due for w in wanted_alerts(derive(f, today), today)}


def agreement(**kwargs) -> AgreementFacts:
    values = {
        "id": 7,
        "number": "SFXY-1",
        "status": "effective",
        "signed_on": dt.date(2025, 1, 10),
        "filing_deadline": dt.date(2025, 1, 25),
        "filed_on": None,
        "term_start": dt.date(2025, 1, 1),
        "term_end": dt.date(2027, 12, 31),
    }
    values.update(kwargs)
    return AgreementFacts(**values)


def test_agreement_not_filed_from_5_days_before_the_deadline():
    f = facts(agreement=agreement())
    assert "agreement_not_filed" not in kinds(f, dt.date(2025, 1, 19))
    assert kinds(f, dt.date(2025, 1, 20))["agreement_not_filed"] == dt.date(2025, 1, 25)
    assert kinds(f, dt.date(2025, 2, 1))["agreement_not_filed"] == dt.date(2025, 1, 25)
    filed = facts(agreement=agreement(filed_on=dt.date(2025, 1, 20), status="filed"))
    assert "agreement_not_filed" not in kinds(filed, dt.date(2025, 2, 1))


def test_agreement_expiring_then_expired():
    f = facts(agreement=agreement(filed_on=dt.date(2025, 1, 20)))
    assert "agreement_expired" not in kinds(f, dt.date(2027, 10, 1))
    assert kinds(f, dt.date(2027, 10, 3))["agreement_expired"] == dt.date(2027, 12, 31)
    (w,) = [
        w
        for w in wanted_alerts(derive(f, dt.date(2028, 1, 1)), dt.date(2028, 1, 1))
        if w.kind == "agreement_expired"
    ]
    assert w.params["ended"] is True
    assert "已于 2027-12-31 到期" in alert_message(w.kind, w.params, w.due)


def test_result_not_published_three_days_after_counting():
    counted = DecisionFacts(
        id=3,
        title="续聘物业",
        state="counted",
        announced_on=dt.date(2025, 3, 1),
        closed_on=dt.date(2025, 3, 20),
        counted_on=dt.date(2025, 3, 21),
        published_on=None,
        turnout=Decimal("70.00"),
    )
    f = facts(decisions=[counted])
    assert "result_not_published" not in kinds(f, dt.date(2025, 3, 24))
    assert kinds(f, dt.date(2025, 3, 25))["result_not_published"] == dt.date(2025, 3, 24)
    published = DecisionFacts(**{**vars(counted), "state": "published"})
    assert "result_not_published" not in kinds(facts(decisions=[published]), dt.date(2025, 4, 1))


def test_a_fee_standard_without_a_successor_expires_and_a_successor_clears_it():
    old = StandardFacts(
        id=1,
        building_kind="low_rise",
        appraised_rate=Decimal("1.78"),
        charged_rate=Decimal("1.78"),
        valid_from=dt.date(2022, 1, 1),
        valid_to=dt.date(2024, 12, 31),
        pending_vote=False,
        has_service_standard=True,
        basis_decision_id=None,
        created_on=dt.date(2021, 12, 1),
    )
    assert kinds(facts(standards=[old]), dt.date(2024, 11, 1))["fee_standard_expired"] == (
        dt.date(2024, 12, 31)
    )
    new = StandardFacts(
        **{**vars(old), "id": 2, "valid_from": dt.date(2025, 1, 1), "valid_to": None}
    )
    assert "fee_standard_expired" not in kinds(facts(standards=[old, new]), dt.date(2024, 11, 1))
    # No subsidy (appraised = charged): no subsidy alert.
    assert not {"subsidy_ending", "subsidy_ended"} & set(
        kinds(facts(standards=[old]), dt.date(2025, 1, 2))
    )


def test_collection_below_target_looks_at_the_last_closed_year():
    low = YearCollection(2024, 10, 5, Decimal("1000.00"), Decimal("500.00"))
    this_year = YearCollection(2025, 10, 1, Decimal("1000.00"), Decimal("100.00"))
    f = facts(collection={2024: low, 2025: this_year})
    assert kinds(f, dt.date(2025, 6, 1))["collection_below_target"] == dt.date(2024, 12, 31)
    f.target = Decimal("50.00")
    assert "collection_below_target" not in kinds(f, dt.date(2025, 6, 1))
