"""Agreement numbers (协议编号) are allocated once each: SFXY-<compound>-<year>-<n>, n
counted per compound and year, never handed out twice, even to two creations at once."""

import datetime as dt
import importlib

import pytest

from agreements import services
from agreements.models import Agreement
from tests.agreements.helpers import DECISION_FACTS, party_specs
from tests.concurrency import at_once, raised
from tests.conftest import needs_postgres
from tests.factories import make_cast

TERM = {"term_start": dt.date(2030, 1, 1), "term_end": dt.date(2032, 12, 31)}


def create(cast, **extra) -> Agreement:
    return services.agreement_create(
        compound=cast.compound,
        parties=party_specs(cast),
        facts=DECISION_FACTS,
        actor=cast.committee,
        **{**TERM, **extra},
    )


def prefix(cast, year: int = 2030) -> str:
    return f"SFXY-{cast.compound.code.upper()}-{year}-"


@pytest.mark.django_db
def test_numbers_count_per_compound_and_year_of_the_term_start():
    cast = make_cast()
    first, second = create(cast), create(cast)
    later = create(cast, term_start=dt.date(2031, 1, 1), term_end=dt.date(2033, 12, 31))
    assert [first.number, second.number] == [prefix(cast) + "001", prefix(cast) + "002"]
    assert later.number == prefix(cast, 2031) + "001"


@pytest.mark.django_db
def test_a_number_is_never_handed_out_again_after_its_agreement_is_gone():
    """Counting the agreements on file would give the next creation 002 again once 001 is
    deleted (an unsigned draft removed in the admin): the counter remembers 002."""
    cast = make_cast()
    first, second = create(cast), create(cast)
    first.delete()
    third = create(cast)
    assert third.number == prefix(cast) + "003"
    assert second.number == prefix(cast) + "002"


@pytest.mark.django_db
def test_numbers_on_file_before_the_counter_are_skipped():
    """An agreement numbered outside the counter (before it existed, or imported) is not
    numbered again: the next number follows the highest one on file."""
    cast = make_cast()
    imported = create(cast)
    Agreement.objects.filter(pk=imported.pk).update(number=prefix(cast) + "007")
    assert create(cast).number == prefix(cast) + "008"


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_creations_at_once_get_two_numbers():
    cast = make_cast()
    services.agreement_template_for(cast.compound)  # the template's own first use
    importlib.import_module("agreements.tasks")  # as a worker has: not discovered by 2 threads
    outcomes = at_once([lambda: create(cast)] * 2)
    assert not raised(outcomes), outcomes
    numbers = sorted(cast.compound.agreements.values_list("number", flat=True))
    assert numbers == [prefix(cast) + "001", prefix(cast) + "002"]
