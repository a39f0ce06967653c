"""Out-of-range input on the fee pages, the fee API and the services is refused with a
clear message, never a 500 and never a record (issue 8, item 12).

Bounds decided: years 2000 to next year; payment and refund dates from a year before the
compound's first fee standard (never before 2000-01-01) to today, a refund not before its
payment; a fee standard starting from 2000-01 to five years ahead, ending by 2099; a
prepayment at most the arrears plus 36 months of the unit's current fee."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from fees import services
from fees.models import FeeStandard, Payment

from .helpers import bill, home_fees, low_rise_standard

pytestmark = pytest.mark.django_db
BASE = "/api/v1/compounds/home/"
BAD_YEARS = ["0", "99999", "-5", "abc", "２０２２", "1999"]


def messages_of(exc) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


@pytest.fixture
def api(cast):
    client = APIClient()
    client.force_authenticate(cast.company_staff)
    return client


@pytest.mark.parametrize("year", BAD_YEARS)
def test_the_collection_api_refuses_a_bad_year_with_400(cast, api, year):
    home_fees(cast)
    response = api.get(BASE + "collection/", {"year": year})
    assert response.status_code == 400
    assert "须为2000至" in str(response.json()["year"])
    assert api.get(BASE + "collection/", {"year": "2022"}).status_code == 200


@pytest.mark.parametrize("year", BAD_YEARS)
@pytest.mark.parametrize("page", ["overview", "collection"])
def test_fee_pages_answer_a_bad_year_with_400_and_a_message(cast, client, page, year):
    home_fees(cast)
    client.force_login(cast.officer)
    url = reverse(f"fees:{page}", args=[cast.compound.code])
    response = client.get(url, {"year": year})
    assert response.status_code == 400
    assert "须为2000至" in response.content.decode()
    assert client.get(url, {"year": "2022"}).status_code == 200


def test_the_collection_workbook_refuses_a_bad_year(cast, client):
    home_fees(cast)
    client.force_login(cast.officer)
    url = reverse("fees:collection-xlsx", args=[cast.compound.code])
    response = client.get(url, {"year": "0"})
    assert response.status_code == 400 and "须为2000至" in response.content.decode()


def _pay(cast, **extra):
    kwargs = {
        "compound": cast.compound,
        "unit": cast.compound.units.order_by("id").first(),
        "amount": Decimal("100.00"),
        "method": "cash",
        "received_on": dt.date(2022, 3, 1),
        "idempotency_key": "b1",
    }
    kwargs.update(extra)
    return services.payment_record(**kwargs)


def test_payment_dates_before_the_records_begin_are_refused(cast):
    low_rise_standard(cast.compound)  # from 2022-01: records begin 2021-01-01
    with pytest.raises(ValidationError) as exc:
        _pay(cast, received_on=dt.date(2020, 12, 31))
    assert "早于本小区收费记录的起点2021-01-01" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        _pay(cast, received_on=dt.date(1, 1, 1))
    assert "早于本小区收费记录的起点" in messages_of(exc)
    assert _pay(cast, received_on=dt.date(2021, 1, 1), is_prepayment=True).pk
    assert Payment.objects.count() == 1


def test_a_compound_without_standards_takes_no_payment_dated_before_2000(cast):
    with pytest.raises(ValidationError) as exc:
        _pay(cast, received_on=dt.date(1999, 12, 31))
    assert "2000-01-01" in messages_of(exc)


def test_a_refund_cannot_predate_its_payment(cast):
    low_rise_standard(cast.compound)
    bill(cast.compound)
    payment = _pay(cast)
    with pytest.raises(ValidationError) as exc:
        services.refund_record(
            compound=cast.compound,
            payment=payment,
            amount=Decimal("1.00"),
            method="cash",
            received_on=dt.date(2022, 2, 28),
            idempotency_key="r1",
        )
    assert "退款日期不能早于原收款日期2022-03-01" in messages_of(exc)


def test_a_ten_billion_prepayment_is_refused_naming_the_cap(cast):
    low_rise_standard(cast.compound)
    bill(cast.compound)  # 726.00 owed: 60.50 a month
    with pytest.raises(ValidationError) as exc:
        _pay(cast, amount=Decimal("10000000000.00"), is_prepayment=True)
    message = messages_of(exc)
    assert "超过上限2904.00元" in message and "36个月" in message and "60.50" in message
    assert _pay(cast, amount=Decimal("2904.00"), is_prepayment=True).pk
    assert Payment.objects.count() == 1


def test_no_prepayment_without_a_billable_standard(cast):
    with pytest.raises(ValidationError) as exc:
        _pay(cast, amount=Decimal("100.00"), is_prepayment=True)
    assert "不能预缴" in messages_of(exc)


def test_the_payment_api_refuses_absurd_amounts_and_dates(cast, api):
    home_fees(cast)
    unit = cast.compound.units.order_by("id").first()
    body = {
        "unit_id": unit.pk,
        "amount": "1000000000.00",
        "method": "cash",
        "received_on": "2022-03-01",
        "idempotency_key": "api-cap",
        "is_prepayment": True,
    }
    response = api.post(BASE + "payments/", body, format="json")
    assert response.status_code == 400 and "超过上限" in str(response.json())
    body = {**body, "amount": "10.00", "received_on": "0001-01-01", "idempotency_key": "api-d"}
    response = api.post(BASE + "payments/", body, format="json")
    assert response.status_code == 400 and "早于本小区收费记录的起点" in str(response.json())


def test_the_payment_page_refuses_an_absurd_prepayment(cast, client):
    home_fees(cast)
    client.force_login(cast.company_staff)
    form = {
        "idempotency_key": "page-cap",
        "building": "1",
        "unit_number": "0101",
        "amount": "1000000000.00",
        "method": "cash",
        "received_on": "2022-03-01",
        "is_prepayment": "on",
    }
    url = reverse("fees:payments", args=[cast.compound.code])
    page = client.post(url, form).content.decode()
    assert "超过上限" in page
    page = client.post(url, {**form, "amount": "5", "received_on": "1990-01-01"}).content.decode()
    assert "早于本小区收费记录的起点" in page
    assert Payment.objects.count() == 1  # home_fees' own payment only


@pytest.mark.parametrize(
    ("valid_from", "message"),
    [
        (dt.date(1, 1, 1), "起始月不能早于2000-01"),
        (dt.date(1999, 12, 1), "起始月不能早于2000-01"),
        (dt.date(2100, 1, 1), "最多提前5年制定"),
    ],
)
def test_a_standard_starting_in_an_absurd_year_is_refused(cast, valid_from, message):
    with pytest.raises(ValidationError) as exc:
        low_rise_standard(cast.compound, valid_from=valid_from, valid_to=None)
    assert message in messages_of(exc)
    assert not FeeStandard.objects.exists()


def test_the_standard_api_and_page_refuse_year_one(cast, client):
    api = APIClient()
    api.force_authenticate(cast.officer)
    body = {
        "building_kind": "low_rise",
        "appraised_rate": "1.00",
        "charged_rate": "1.00",
        "valid_from": "0001-01-01",
        "pending_vote": True,
    }
    response = api.post(BASE + "fee-standards/", body, format="json")
    assert response.status_code == 400 and "起始月不能早于2000-01" in str(response.json())
    client.force_login(cast.officer)
    form = {
        "building_kind": "low_rise",
        "appraised_rate": "1.00",
        "charged_rate": "1.00",
        "valid_from": "0001-01",
        "non_residential_mode": "same",
        "pending_vote": "on",
    }
    page = client.post(reverse("fees:standards", args=[cast.compound.code]), form)
    assert "起始月不能早于2000-01" in page.content.decode()
    assert not FeeStandard.objects.exists()
