"""Money and areas are grouped by three on every page (1,234.56 元, 12,345.67 m²): the
``figures`` template filters, and pages that show a five-digit amount and a four-digit
area."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from households.models import Unit
from portal.templatetags.figures import area, area_hundredths, money
from tests.fees.helpers import bill, low_rise_standard
from tests.isolation import home_unit


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_money_and_area_are_grouped_with_two_places_in_both_languages(language):
    with translation.override(language):
        assert money(Decimal("14814")) == "14,814.00"
        assert money(Decimal("1234567.891")) == "1,234,567.89"
        assert money(Decimal("0.005")) == "0.01"  # half-up, like the fee lines
        assert money(Decimal("-26368.92")) == "-26,368.92"
        assert money("9999.5") == "9,999.50"
        assert money(0) == "0.00"
        assert area(Decimal("12345.67")) == "12,345.67"
        assert area("1234.5") == "1,234.50"
        assert area_hundredths(123450) == "1,234.50"


def test_missing_figures_show_a_dash_and_text_passes_through():
    assert money(None) == "—" and area("") == "—" and area_hundredths(None) == "—"
    assert money("n/a") == "n/a"


def test_ids_in_urls_stay_ungrouped():
    """Grouping is opt-in per figure: a raw {{ id }} (e.g. in a link) never reads 1,234."""
    out = Template("{% load figures %}{{ pk }} {{ amount|money }}").render(
        Context({"pk": 12345, "amount": Decimal("12345")})
    )
    assert out == "12345 12,345.00"


@pytest.fixture
def big_unit(cast) -> Unit:
    """The resident's flat made 1,234.50 m² and billed for 2022: 14,814.00 yuan owed,
    26,368.92 appraised."""
    unit = home_unit(cast)
    Unit.objects.filter(pk=unit.pk).update(floor_area=Decimal("1234.50"))
    low_rise_standard(cast.compound)
    bill(cast.compound, start=dt.date(2022, 1, 1), months=12)
    unit.refresh_from_db()
    return unit


def test_resident_pages_group_money_and_area(cast, client, big_unit):
    client.force_login(cast.resident)
    fees = client.get(reverse("fees:my", args=["home"])).content.decode()
    assert "1,234.50" in fees and "14,814.00" in fees and "26,368.92" in fees
    assert "14814" not in fees and "1234.5" not in fees
    home = client.get("/").content.decode()
    assert "14,814.00" in home and "1,234.50" in home


def test_staff_pages_group_money_and_area(cast, client, big_unit):
    """Building 1 holds the 1,234.50 m² flat and two of 60.50 m²; the five small flats owe
    726.00 each for 2022."""
    client.force_login(cast.company_staff)
    run = cast.compound.billing_runs.get()
    expected = {
        reverse("fees:run-building", args=["home", run.pk, "1"]): ["1,234.50", "14,814.00"],
        reverse("fees:arrears", args=["home"]): ["14,814.00", "18,444.00"],
        reverse("fees:run", args=["home", run.pk]): ["16,266.00"],
    }
    for path, figures in expected.items():
        body = client.get(path).content.decode()
        for figure in figures:
            assert figure in body, (path, figure)
            assert figure.replace(",", "") not in body, (path, figure)
    client.force_login(cast.committee)
    compound = client.get(reverse("compound", args=["home"])).content.decode()
    assert "1,537.00" in compound  # 1,234.50 + 5 × 60.50 m²


def test_voting_pages_group_roll_areas(cast, client):
    """The roll keeps hundredths of m²; the decision and turnout pages print them grouped."""
    from tests.voting.helpers import make_decision

    Unit.objects.filter(pk=home_unit(cast).pk).update(floor_area=Decimal("1234.50"))
    decision = make_decision(cast)
    client.force_login(cast.committee)
    detail = client.get(decision.get_absolute_url()).content.decode()
    assert "1,537.00" in detail and "1537.00" not in detail
    turnout = client.get(reverse("voting:turnout", args=["home", decision.pk])).content.decode()
    assert "1,355.50" in turnout and "1355.50" not in turnout  # building 1


def test_public_result_lists_each_voters_area_grouped(cast, client):
    from tests.voting.helpers import make_decision, publish
    from voting import selectors, services

    Unit.objects.filter(pk=home_unit(cast).pk).update(floor_area=Decimal("1234.50"))
    decision = make_decision(cast)
    (entry,) = selectors.roll_entries_for_user(decision, cast.resident)
    services.ballot_cast(
        decision=decision,
        entry=entry,
        user=cast.resident,
        choices={i.pk: "agree" for i in decision.items.all()},
    )
    publish(decision, cast)
    page = client.get(reverse("voting_public:result", args=["home", decision.pk]))
    body = page.content.decode()
    assert "1,234.50" in body and "1234.50" not in body
