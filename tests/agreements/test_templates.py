"""The compound's agreement template is copied from the shipped default once, even when
two first uses come at the same moment."""

import pytest

from agreements import services
from tests.concurrency import at_once, raised
from tests.conftest import needs_postgres
from tests.factories import make_cast


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_uses_at_once_share_one_template():
    cast = make_cast()
    outcomes = at_once([lambda: services.agreement_template_for(cast.compound)] * 2)
    assert not raised(outcomes), outcomes
    assert len({t.pk for t in outcomes}) == 1
    assert list(cast.compound.agreement_templates.values_list("version", flat=True)) == [1]
