"""A fee standard that changes what owners pay needs the owners' decision behind it, or is
an appraisal pending their vote and never billed (issue 8, item 4); a period without any
billable standard is refused with one message, not an empty run (item 5)."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from fees import services
from fees.models import BillingRun, FeeStandard
from households.models import BuildingKind
from tests.voting.helpers import make_decision, publish
from voting import services as vote_services

from .helpers import CASE_SHARES, bill, fee_basis_item, low_rise_standard

pytestmark = pytest.mark.django_db


def voted_item(cast, *, agree: int, category: int = 4, sets_fee_standard: bool = True):
    """An item of the home compound taken through the real vote: every voter on paper,
    the first ``agree`` of the six agree, then counted and published."""
    decision = make_decision(cast, items=((category, None, sets_fee_standard),))
    choices = {
        e.pk: ("agree" if n < agree else "disagree")
        for n, e in enumerate(decision.roll.order_by("number"))
    }
    vote_services.paper_ballots_import(
        decision=decision, actor=cast.committee, choices_by_entry=choices, at=timezone.now()
    )
    return publish(decision, cast).items.get()


def standard(cast, **overrides) -> FeeStandard:
    kwargs = {
        "compound": cast.compound,
        "building_kind": BuildingKind.LOW_RISE,
        "appraised_rate": Decimal("1.78"),
        "charged_rate": Decimal("1.00"),
        "valid_from": dt.date(2022, 1, 1),
        "valid_to": dt.date(2024, 12, 31),
        "shares": CASE_SHARES,
    }
    kwargs.update(overrides)
    return services.fee_standard_create(**kwargs)


def refusal(cast, **overrides) -> str:
    with pytest.raises(ValidationError) as exc:
        standard(cast, **overrides)
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


def test_a_first_standard_without_a_decision_is_refused(cast):
    message = refusal(cast)
    assert "这是该类型的第一个收费标准" in message and "须有业主共同决定" in message
    assert "评估价，待业主共同决定" in message
    assert not FeeStandard.objects.exists()


def test_a_passed_item_setting_the_fee_is_the_basis(cast):
    item = voted_item(cast, agree=5)
    s = standard(cast, basis_item_id=item.pk)
    assert s.basis_item == item and not s.pending_vote and s.is_billable
    assert bill(cast.compound).created == 6


def test_a_failed_item_cannot_be_the_basis(cast):
    item = voted_item(cast, agree=2)
    assert "尚未计票或未获通过" in refusal(cast, basis_item_id=item.pk)


def test_an_open_vote_cannot_be_the_basis(cast):
    item = make_decision(cast, items=((4, None, True),)).items.get()
    assert "尚未计票或未获通过" in refusal(cast, basis_item_id=item.pk)


def test_an_item_that_does_not_set_fees_cannot_be_the_basis(cast):
    item = voted_item(cast, agree=5, category=9, sets_fee_standard=False)
    assert "不能作为收费标准的依据" in refusal(cast, basis_item_id=item.pk)


def test_another_compounds_item_cannot_be_the_basis(cast):
    item = fee_basis_item(cast.other_compound)
    assert "本小区没有这个表决事项" in refusal(cast, basis_item_id=item.pk)


def test_basis_and_pending_together_are_refused(cast):
    item = fee_basis_item(cast.compound)
    assert "不能同时" in refusal(cast, basis_item_id=item.pk, pending_vote=True)


def test_a_new_owners_rate_needs_a_new_decision_but_a_new_subsidy_split_does_not(cast):
    first = low_rise_standard(cast.compound, valid_to=dt.date(2022, 12, 31))
    message = refusal(cast, valid_from=dt.date(2023, 1, 1), valid_to=None, charged_rate="1.20")
    assert "由1.00元改为1.20元" in message
    # The owners' rate is unchanged (only who pays the subsidy changes): same basis.
    second = standard(
        cast,
        valid_from=dt.date(2023, 1, 1),
        valid_to=None,
        shares=[services.ShareInput("北太平庄街道", Decimal("100"))],
    )
    assert second.basis_item == first.basis_item is not None


def test_a_pending_appraisal_is_published_but_never_billed(cast, client):
    pending = standard(cast, pending_vote=True)
    assert pending.pending_vote and pending.basis_item is None and not pending.is_billable
    with pytest.raises(ValidationError) as exc:
        bill(cast.compound)
    (message,) = exc.value.message_dict["period_start"]
    assert "低楼的收费标准为评估价，待业主共同决定，不能计费" in message
    assert not BillingRun.objects.exists()
    page = client.get(f"/public/{cast.compound.code}/fees/").content.decode()
    assert "评估价，待业主共同决定" in page
    client.force_login(cast.officer)
    page = client.get(f"/c/{cast.compound.code}/fees/standards/").content.decode()
    assert "评估价，待业主共同决定（不计费）" in page


def test_billing_without_any_standard_is_refused_with_one_message(cast):
    with pytest.raises(ValidationError) as exc:
        bill(cast.compound)
    messages = exc.value.message_dict
    assert list(messages) == ["period_start"] and len(messages["period_start"]) == 1
    assert (
        "2022-01至2022-12无可计费的收费标准：低楼没有收费标准；未生成计费批次"
        in (messages["period_start"][0])
    )
    assert not BillingRun.objects.exists()


def test_the_api_refuses_a_standard_without_basis_and_accepts_a_pending_one(cast):
    api = APIClient()
    api.force_authenticate(cast.officer)
    url = f"/api/v1/compounds/{cast.compound.code}/fee-standards/"
    body = {
        "building_kind": "low_rise",
        "appraised_rate": "1.78",
        "charged_rate": "1.78",
        "valid_from": "2022-01-01",
        "valid_to": "2024-12-31",
    }
    response = api.post(url, body, format="json")
    assert response.status_code == 400 and "须有业主共同决定" in str(response.json())
    response = api.post(url, {**body, "pending_vote": True}, format="json")
    assert response.status_code == 201 and response.json()["pending_vote"] is True
    item = fee_basis_item(cast.compound)
    body = {**body, "valid_from": "2025-01-01", "charged_rate": "1.50", "basis_item_id": item.pk}
    body["valid_to"] = None
    body["shares"] = [{"payer": "北太平庄街道", "share": "100"}]
    response = api.post(url, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["basis_item"] == item.pk


def test_the_standards_form_offers_passed_items_and_says_why_it_refuses(cast, client):
    item = fee_basis_item(cast.compound)
    client.force_login(cast.officer)
    url = f"/c/{cast.compound.code}/fees/standards/"
    assert item.title in client.get(url).content.decode()
    form = {
        "building_kind": "low_rise",
        "appraised_rate": "1.78",
        "charged_rate": "1.00",
        "valid_from": "2022-01",
        "payer1": "北太平庄街道",
        "share1": "100",
        "non_residential_mode": "same",
    }
    page = client.post(url, form).content.decode()
    assert "须有业主共同决定" in page and not FeeStandard.objects.exists()
    response = client.post(url, {**form, "basis_item_id": item.pk})
    assert response.status_code == 302
    assert FeeStandard.objects.get().basis_item == item


def test_the_migration_links_existing_standards_to_their_decision(cast):
    item = fee_basis_item(cast.compound)
    legacy = FeeStandard.objects.create(
        compound=cast.compound,
        building_kind=BuildingKind.LOW_RISE,
        appraised_rate=Decimal("1.78"),
        charged_rate=Decimal("1.78"),
        valid_from=dt.date(2022, 1, 1),
    )
    older = FeeStandard.objects.create(
        compound=cast.compound,
        building_kind=BuildingKind.HIGH_RISE,
        appraised_rate=Decimal("2.45"),
        charged_rate=Decimal("2.45"),
        valid_from=dt.date(2020, 1, 1),  # before the decision was counted: no basis
    )
    migration = importlib.import_module("fees.migrations.0003_fee_standard_basis")
    migration.link_existing_bases(apps, None)
    legacy.refresh_from_db()
    older.refresh_from_db()
    assert legacy.basis_item == item and older.basis_item is None
