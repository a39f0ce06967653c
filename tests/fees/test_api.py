"""The fees API: exact shapes, idempotent POSTs, role checks and outsiders."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from rest_framework.test import APIClient

from fees.models import Payment
from tests.fees.helpers import fee_basis_item, home_fees, low_rise_standard

pytestmark = pytest.mark.django_db
BASE = "/api/v1/compounds/home/"


@pytest.fixture
def api():
    return APIClient()


def test_collection_endpoint_has_exactly_the_documented_fields(cast, api):
    home_fees(cast)
    api.force_authenticate(cast.officer)
    body = api.get(BASE + "collection/?year=2022").json()
    assert body["compound"] == {
        "billed_households": 6,
        "paid_households": 0,
        "amount_due": "4356.00",
        "amount_collected": "100.00",
        "rate_households": "0.00",
        "rate_amount": "2.30",
    }
    assert [b["building"] for b in body["buildings"]] == ["1号楼", "2号楼"]
    assert body["buildings"][0]["amount_collected"] == "100.00"
    assert set(body["buildings"][1]) == {
        "building",
        "billed_households",
        "paid_households",
        "amount_due",
        "amount_collected",
        "rate_households",
        "rate_amount",
    }
    assert api.get(BASE + "collection/").status_code == 400


def test_unit_notice_endpoint_returns_the_latest_notice_pdf(cast, api):
    data = home_fees(cast)
    api.force_authenticate(cast.resident)
    response = api.get(f"{BASE}units/{data['unit'].pk}/notice/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "626.00" in text and "1292.28" in text
    other = cast.compound.units.exclude(pk=data["unit"].pk).first()
    assert api.get(f"{BASE}units/{other.pk}/notice/").status_code == 404


def test_payment_post_is_idempotent(cast, api):
    data = home_fees(cast)
    api.force_authenticate(cast.company_staff)
    body = {
        "unit_id": data["debtor"].pk,
        "amount": "200.00",
        "method": "bank",
        "reference": "B-1",
        "received_on": "2022-05-01",
        "idempotency_key": "api-1",
    }
    first = api.post(BASE + "payments/", body, format="json")
    assert first.status_code == 201
    again = api.post(BASE + "payments/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    body["amount"] = "300.00"
    clash = api.post(BASE + "payments/", body, format="json")
    assert clash.status_code == 400 and "幂等键" in str(clash.json())
    body.update(idempotency_key="api-2", amount="5000.00")
    too_much = api.post(BASE + "payments/", body, format="json")
    assert too_much.status_code == 400 and "预缴" in str(too_much.json())
    assert Payment.objects.filter(idempotency_key__startswith="api-").count() == 1


def test_standards_and_runs_via_the_api(cast, api):
    api.force_authenticate(cast.officer)
    bad = {
        "building_kind": "low_rise",
        "appraised_rate": "1.78",
        "charged_rate": "1.00",
        "valid_from": "2022-01-01",
        "shares": [{"payer": "北太平庄街道", "share": "50"}],
    }
    response = api.post(BASE + "fee-standards/", bad, format="json")
    assert response.status_code == 400 and "100%" in str(response.json())
    bad["shares"].append({"payer": "首开集团", "share": "50"})
    bad["basis_item_id"] = fee_basis_item(cast.compound).pk
    assert api.post(BASE + "fee-standards/", bad, format="json").status_code == 201
    run = api.post(BASE + "billing-runs/", {"period_start": "2022-01-01", "months": 12})
    assert run.status_code == 200 and run.json()["created"] == 6
    run_id = run.json()["run"]["id"]
    charges = api.get(f"{BASE}billing-runs/{run_id}/charges/?building=1").json()["results"]
    assert len(charges) == 3 and charges[0]["owner_due"] == "726.00"
    assert [line["amount"] for line in charges[0]["subsidy_lines"]] == ["283.14", "283.14"]


@pytest.mark.parametrize(
    ("who", "path", "body"),
    [
        ("company_staff", "fee-standards/", {}),
        ("committee", "billing-runs/", {"period_start": "2022-01-01"}),
        ("officer", "payments/", {}),
    ],
)
def test_writes_need_the_right_role(cast, api, who, path, body):
    low_rise_standard(cast.compound)
    api.force_authenticate(getattr(cast, who))
    assert api.post(BASE + path, body, format="json").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "fee-standards/",
        "billing-runs/",
        "billing-runs/{run}/",
        "billing-runs/{run}/charges/",
        "payments/",
        "collection/?year=2022",
        "units/{unit}/notice/",
    ],
)
def test_outsiders_get_404_everywhere(cast, api, path):
    data = home_fees(cast)
    url = BASE + path.format(run=data["run"].pk, unit=data["unit"].pk)
    for outsider in cast.outsiders.values():
        api.force_authenticate(outsider)
        assert api.get(url).status_code == 404
        assert api.post(url, {}, format="json").status_code in (404, 405)
    api.force_authenticate(None)
    assert api.get(url).status_code in (401, 403)


def test_residents_cannot_list_the_compounds_payments(cast, api):
    home_fees(cast)
    api.force_authenticate(cast.resident)
    assert api.get(BASE + "payments/").status_code == 404


def _refund_url(payment) -> str:
    return f"{BASE}payments/{payment.pk}/refund/"


REFUND = {
    "amount": "40.00",
    "method": "cash",
    "received_on": "2022-03-05",
    "idempotency_key": "api-refund-1",
    "note": "多收退回",
}


def test_refund_post_records_a_refund_of_the_payment(cast, api):
    payment = home_fees(cast)["payment"]
    api.force_authenticate(cast.company_staff)
    response = api.post(_refund_url(payment), REFUND, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "refund" and body["amount"] == "-40.00"
    assert body["refund_of"] == payment.pk and body["unit_id"] == payment.unit_id
    assert body["receipt_number"] and body["note"] == "多收退回"
    refund = Payment.objects.get(pk=body["id"])
    assert refund.recorded_by == cast.company_staff
    assert sum(a.amount for a in refund.allocations.all()) == Decimal("-40.00")


def test_refund_post_is_idempotent(cast, api):
    payment = home_fees(cast)["payment"]
    api.force_authenticate(cast.company_staff)
    first = api.post(_refund_url(payment), REFUND, format="json")
    again = api.post(_refund_url(payment), REFUND, format="json")
    assert first.status_code == 201
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert payment.refunds.count() == 1


def test_refund_post_refuses_the_same_key_with_other_data(cast, api):
    payment = home_fees(cast)["payment"]
    api.force_authenticate(cast.company_staff)
    assert api.post(_refund_url(payment), REFUND, format="json").status_code == 201
    clash = api.post(_refund_url(payment), {**REFUND, "amount": "41.00"}, format="json")
    assert clash.status_code == 400 and "幂等键" in str(clash.json()["idempotency_key"])
    # A payment's key is not a refund's either.
    reused = api.post(_refund_url(payment), {**REFUND, "idempotency_key": "home-pay-1"})
    assert reused.status_code == 400 and "幂等键" in str(reused.json())
    assert payment.refunds.count() == 1


def test_refund_post_cannot_exceed_the_payment(cast, api):
    payment = home_fees(cast)["payment"]
    api.force_authenticate(cast.company_staff)
    too_much = api.post(_refund_url(payment), {**REFUND, "amount": "100.01"}, format="json")
    assert too_much.status_code == 400
    assert "100.01" in str(too_much.json()["amount"]) and "100.00" in str(too_much.json())
    assert payment.refunds.count() == 0
    first = api.post(_refund_url(payment), {**REFUND, "amount": "60.00"}, format="json")
    assert first.status_code == 201
    rest = {**REFUND, "amount": "40.01", "idempotency_key": "api-refund-2"}
    over = api.post(_refund_url(payment), rest, format="json")
    assert over.status_code == 400 and "40.00" in str(over.json()["amount"])
    assert payment.refunds.count() == 1


def test_refund_post_is_404_for_outsiders_residents_and_other_roles(cast, api):
    payment = home_fees(cast)["payment"]
    url = _refund_url(payment)
    callers = [*cast.outsiders.values(), cast.resident, cast.officer, cast.committee]
    for caller in callers:
        api.force_authenticate(caller)
        assert api.post(url, REFUND, format="json").status_code == 404, caller
    api.force_authenticate(None)
    assert api.post(url, REFUND, format="json").status_code in (401, 403)
    assert payment.refunds.count() == 0


def test_refund_post_is_404_for_a_refund_or_another_compounds_payment(cast, api):
    payment = home_fees(cast)["payment"]
    api.force_authenticate(cast.company_staff)
    refund = api.post(_refund_url(payment), REFUND, format="json").json()
    again = {**REFUND, "idempotency_key": "api-refund-2"}
    assert api.post(f"{BASE}payments/{refund['id']}/refund/", again).status_code == 404
    other = f"/api/v1/compounds/neighbour/payments/{payment.pk}/refund/"
    assert api.post(other, again, format="json").status_code == 404
    assert payment.refunds.count() == 1
