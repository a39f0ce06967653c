"""The alert rules over plain facts (no database rows needed): each kind is raised on the
right day, with its due date, and not before."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from board.alerts import alert_message, wanted_alerts
from board.milestones import (
    AgreementFacts,
    CommitteeFacts,
    DecisionFacts,
    Facts,
    StandardFacts,
    YearCollection,
    derive,
)
from board.models import Alert, AlertKind, AlertState
from board.services import alert_acknowledge
from board.tasks import refresh_alerts
from households.services.committee import committee_formation_start, committee_formation_step
from portal.models import AuditEntry, Compound
from tests.board.helpers import add_committee

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


# --- the daily job with a frozen clock -------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """Sets the portal's clock (``timezone.now``, hence ``timezone.localdate``) to a day."""

    def set_day(day: dt.date) -> None:
        moment = dt.datetime.combine(day, dt.time(1, 30), tzinfo=dt.UTC)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_day


def test_the_beat_job_raises_the_term_alert_as_days_pass_and_a_re_formation_resolves_it(
    cast, clock, django_capture_on_commit_callbacks
):
    old = add_committee(cast.compound, formed=dt.date(2022, 5, 2), term_end=dt.date(2025, 5, 1))
    clock(dt.date(2025, 1, 30))  # 91 days before the term ends: nothing yet
    assert refresh_alerts.delay().get()["opened"] == 0
    clock(dt.date(2025, 1, 31))  # 90 days before
    assert refresh_alerts.delay().get()["opened"] == 1
    ending = Alert.objects.get(compound=cast.compound)
    assert ending.kind == AlertKind.COMMITTEE_TERM_ENDING and ending.due == dt.date(2025, 5, 1)
    clock(dt.date(2025, 5, 2))  # the deadline passed
    result = refresh_alerts.delay().get()
    assert result["opened"] == 1 and result["resolved"] == 1
    ended = Alert.objects.exclude(state=AlertState.RESOLVED).get(compound=cast.compound)
    assert ended.kind == AlertKind.COMMITTEE_TERM_ENDED and ended.subject == f"committee:{old.pk}"
    with pytest.raises(ValidationError):
        alert_acknowledge(alert=ended, actor=cast.officer, note=" ")
    alert_acknowledge(alert=ended, actor=cast.officer, note="已发布换届公告")
    audit = AuditEntry.objects.get(action="board.alert_acknowledge")
    assert audit.data["note"] == "已发布换届公告"
    clock(dt.date(2025, 5, 3))
    refresh_alerts.delay().get()
    assert Alert.objects.get(pk=ended.pk).state == AlertState.ACKNOWLEDGED
    # The street office re-forms the committee: confirmed today, the alert is resolved at
    # once (the board listens to the committee services), and the next job keeps it so.
    with django_capture_on_commit_callbacks(execute=True):
        f = committee_formation_start(compound=cast.compound, announced_on=dt.date(2025, 5, 2))
        f = committee_formation_step(formation=f, step="nominated_on", day=dt.date(2025, 5, 2))
        committee_formation_step(formation=f, step="confirmed_on", day=dt.date(2025, 5, 3))
    assert Alert.objects.get(pk=ended.pk).state == AlertState.RESOLVED
    assert refresh_alerts.delay().get()["opened"] == 0


def test_an_ended_agreement_shows_expired_with_its_date_on_the_board():
    f = facts(agreement=agreement(status="filed", filed_on=dt.date(2025, 1, 20)))
    assert derive(f, dt.date(2027, 12, 31)).agreement_status == "已备案"
    assert derive(f, dt.date(2028, 1, 1)).agreement_status == "已到期（2027-12-31）"
    unfiled = facts(agreement=agreement())
    assert derive(unfiled, dt.date(2025, 2, 1)).agreement_status == "已生效 · 未备案"
    assert derive(facts(), dt.date(2025, 2, 1)).agreement_status == "无"


def test_the_next_step_follows_the_furthest_step_reached():
    assert derive(facts(), dt.date(2025, 2, 1)).next_step_label == "环境整治"
    committee = CommitteeFacts(1, dt.date(2025, 1, 2), dt.date(2028, 1, 1), 7)
    p = derive(facts(committee=committee), dt.date(2025, 2, 1))
    assert p.stage == "committee" and p.next_step_label == "业主共同决定"
