"""An agreement's term must start within AGREEMENT_MAX_MONTHS_AFTER_DECISION months of the
decision that authorises it, and not before it (issue 8, item 4): a 2026–2028 agreement
cannot be generated from the 2021 decision. The decisions here are counted on 2021-10-25."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from agreements import services
from households.models import PropertyRightUnit
from tests.agreements.helpers import party_specs
from tests.agreements.test_generation import passed_item, standard  # noqa: F401 (fixture)

LATE = {"term_start": dt.date(2026, 1, 1), "term_end": dt.date(2028, 12, 31)}


def test_a_term_years_after_the_decision_is_refused_naming_both_dates(cast, standard):  # noqa: F811
    item = passed_item(cast)
    with pytest.raises(ValidationError) as err:
        services.agreement_generate(
            item=item, parties=party_specs(cast), actor=cast.committee, **LATE
        )
    (message,) = err.value.messages
    assert "2026年1月1日" in message
    assert "计票日期2021年10月25日超过6个月" in message
    assert "最晚须于2022年4月25日开始" in message
    assert not cast.compound.agreements.exists()


def test_a_term_before_the_decision_is_refused(cast, standard):  # noqa: F811
    item = passed_item(cast)
    with pytest.raises(ValidationError) as err:
        services.agreement_generate(
            item=item,
            parties=party_specs(cast),
            actor=cast.committee,
            term_start=dt.date(2021, 10, 1),
            term_end=dt.date(2024, 9, 30),
        )
    (message,) = err.value.messages
    assert "早于" in message and "2021年10月25日" in message
    assert not cast.compound.agreements.exists()


def test_the_window_is_inclusive_and_follows_the_setting(cast, settings):
    item = passed_item(cast)
    assert services.term_start_window(item) == (dt.date(2021, 10, 25), dt.date(2022, 4, 25))
    assert services.term_start_problems(item, dt.date(2021, 10, 25)) == []
    assert services.term_start_problems(item, dt.date(2022, 4, 25)) == []
    assert services.term_start_problems(item, dt.date(2022, 4, 26))
    settings.AGREEMENT_MAX_MONTHS_AFTER_DECISION = 12
    assert services.term_start_problems(item, dt.date(2022, 10, 25)) == []
    assert "12个月" in services.term_start_problems(item, dt.date(2022, 10, 26))[0]


def form_data(cast, item, unit, **term):
    return {
        "item": item.pk,
        "committee_rep": cast.committee.pk,
        "company_rep": cast.company_staff.pk,
        "office_rep": cast.officer.pk,
        "property_units": [unit.pk],
        **term,
    }


@pytest.fixture
def unit(cast):
    return PropertyRightUnit.objects.create(
        compound=cast.compound, name="首开集团", representative=cast.property_unit_rep
    )


def test_the_page_shows_the_window_and_refuses_a_late_term(cast, standard, unit, client):  # noqa: F811
    item = passed_item(cast)
    url = reverse("agreement_generate", args=[cast.compound.code])
    client.force_login(cast.committee)
    page = client.get(url).content.decode()
    assert "2021-10-25 – 2022-04-25" in page and "6个月内开始" in page
    response = client.post(
        url, form_data(cast, item, unit, term_start="2026-01-01", term_end="2028-12-31")
    )
    assert response.status_code == 200
    assert "最晚须于2022年4月25日开始" in response.content.decode()
    assert not cast.compound.agreements.exists()


def test_the_api_generates_within_the_window_and_refuses_outside_it(
    cast,
    standard,  # noqa: F811
    unit,
    django_capture_on_commit_callbacks,
):
    item = passed_item(cast)
    api = APIClient()
    url = f"/api/v1/compounds/{cast.compound.code}/agreements/"
    late = form_data(cast, item, unit, term_start="2026-01-01", term_end="2028-12-31")
    api.force_authenticate(cast.company_staff)  # may read agreements, not generate them
    assert api.post(url, late, format="json").status_code == 404
    api.force_authenticate(cast.committee)
    response = api.post(url, late, format="json")
    assert response.status_code == 400
    assert "最晚须于2022年4月25日开始" in response.content.decode()
    assert not cast.compound.agreements.exists()
    foreign = {**late, "office_rep": cast.outsider_office.pk}
    response = api.post(url, foreign, format="json")
    assert response.status_code == 400 and "office_rep" in response.json()
    good = form_data(cast, item, unit, term_start="2022-01-01", term_end="2024-12-31")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url, good, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["term_start"] == "2022-01-01"
    assert [p["organisation"] for p in body["parties"]][-1] == "首开集团"
    assert cast.compound.agreements.get().source_item == item
