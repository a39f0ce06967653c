"""The compound's agreement template is copied from the shipped default once, even when
two first uses come at the same moment."""

import threading

import pytest
from django.db import connection

from agreements import services
from tests.conftest import needs_postgres
from tests.factories import make_cast


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_uses_at_once_share_one_template():
    cast = make_cast()
    barrier = threading.Barrier(2)
    templates, errors = [], []

    def first_use() -> None:
        try:
            barrier.wait()
            templates.append(services.agreement_template_for(cast.compound))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_use) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({t.pk for t in templates}) == 1
    assert list(cast.compound.agreement_templates.values_list("version", flat=True)) == [1]
