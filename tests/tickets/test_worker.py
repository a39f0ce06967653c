"""Real mode: a 12345 import job runs through a live Celery worker on PostgreSQL + Redis."""

import time

from tests.conftest import needs_worker
from tests.factories import make_cast
from tickets.models import HotlineImport, ImportStatus, Request
from tickets.services_hotline import hotline_import_enqueue

from .test_hotline import GOOD, xlsx


def _wait_finished(pk: int, timeout: float = 90) -> HotlineImport:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = HotlineImport.objects.get(pk=pk)
        if not job.in_progress:
            return job
        time.sleep(0.2)
    raise AssertionError("the worker did not finish the import in time")


@needs_worker
def test_worker_imports_the_hotline_file(live_worker):
    cast = make_cast()
    job = hotline_import_enqueue(  # commits: the task goes through Redis
        compound=cast.compound, actor=cast.officer, data=xlsx(GOOD), filename="3月.xlsx"
    )
    job = _wait_finished(job.pk)
    assert job.status == ImportStatus.DONE, job.report
    assert (job.done, job.total) == (3, 3) and job.report["created"] == 2
    assert job.claim and job.claim != "eager"  # a worker's task id held it
    assert Request.objects.filter(compound=cast.compound, channel="12345").count() == 2
