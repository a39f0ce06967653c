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


def test_threads_looking_up_a_task_at_once_all_find_it():
    """In a fresh process the first lookups start the apps' tasks discovery; a thread that
    looks while another is importing must wait for it, not answer NotRegistered."""
    import os
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import django, threading
        django.setup()
        from portal.queue import _task
        results, start = [], threading.Barrier(4)
        def look():
            start.wait()
            try:
                _task("agreements.tasks.render_agreement_pdf")
                results.append("ok")
            except Exception as exc:
                results.append(type(exc).__name__)
        threads = [threading.Thread(target=look) for _ in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print(",".join(sorted(results)))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        check=True,
    )
    assert out.stdout.strip() == "ok,ok,ok,ok", out.stderr
