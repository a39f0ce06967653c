"""Services queue tasks by name, after their transaction commits."""

import pytest
from django.db import transaction

from portal.models import AuditEntry
from portal.queue import enqueue

pytestmark = pytest.mark.django_db(transaction=True)


def heartbeats(token: str) -> int:
    return AuditEntry.objects.filter(action="worker.heartbeat", data__token=token).count()


def test_a_task_named_runs_once_the_transaction_commits():
    with transaction.atomic():
        enqueue("portal.tasks.worker_heartbeat", "after-commit")
        assert heartbeats("after-commit") == 0
    assert heartbeats("after-commit") == 1


def test_nothing_is_queued_when_the_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("portal.tasks.worker_heartbeat", "rolled-back")
        raise RuntimeError
    assert heartbeats("rolled-back") == 0


def test_an_unknown_task_name_fails_loudly_at_commit():
    with pytest.raises(KeyError), transaction.atomic():
        enqueue("portal.tasks.no_such_task")
