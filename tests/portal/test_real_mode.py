"""Real mode: a Celery worker process on Redis writes to PostgreSQL."""

import time
import uuid

from portal.models import AuditEntry
from portal.tasks import worker_heartbeat
from tests.conftest import needs_worker


@needs_worker
def test_a_live_worker_runs_a_task_against_the_database(live_worker):
    token = uuid.uuid4().hex
    worker_heartbeat.delay(token)
    deadline = time.monotonic() + 20
    while not AuditEntry.objects.filter(action="worker.heartbeat", data__token=token).exists():
        assert time.monotonic() < deadline, "the worker never wrote the heartbeat"
        time.sleep(0.2)
    assert live_worker.poll() is None
