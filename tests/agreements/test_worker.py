"""Real mode: the PDF is rendered by a live Celery worker, then signed and verified."""

import datetime as dt
import time

from django.core.cache import cache

from agreements import services, verification
from agreements.models import Agreement
from tests.agreements.helpers import DECISION_FACTS, party_specs, sign_as
from tests.conftest import needs_worker
from tests.factories import make_cast


def _wait_ready(pk: int, timeout: float = 60) -> Agreement:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        agreement = Agreement.objects.get(pk=pk)
        if agreement.pdf_status in ("ready", "failed"):
            return agreement
        time.sleep(0.2)
    raise AssertionError("the worker did not render the agreement in time")


@needs_worker
def test_worker_renders_the_pdf_after_commit(live_worker):
    cache.clear()
    cast = make_cast()
    agreement = services.agreement_create(  # commits: the task goes through Redis
        compound=cast.compound,
        parties=party_specs(cast),
        facts=DECISION_FACTS,
        term_start=dt.date(2030, 1, 1),
        term_end=dt.date(2032, 12, 31),
        actor=cast.committee,
    )
    agreement = _wait_ready(agreement.pk)
    assert agreement.pdf_status == "ready", agreement.pdf_error
    assert agreement.revisions.get().number == 0
    for user in (cast.officer, cast.committee, cast.company_staff, cast.property_unit_rep):
        sign_as(agreement, user)
    data = services.revision_bytes(services.latest_revision(agreement))
    assert verification.verify_pdf(data).ok
