"""Embedded mode's task runner: Celery tasks in a thread of the web process.

Without ``CELERY_BROKER_URL`` there is no worker. Running a task inside the request that
sent it would block the browser until a building's notices are printed, with no progress
to show; so a web process of the embedded mode (``runserver``; ``portal/wsgi.py`` calls
:func:`activate`) hands every task to one background thread instead, in the order sent,
and the page polls the task's progress like in real mode. ``PORTAL_EMBEDDED_TASKS =
"eager"`` keeps tasks inline, and any other process (tests, management commands) runs
them inline anyway: a command's caller expects the work done when it returns.

The thread is started on demand and ends when its queue is empty; it is not a daemon, so
a process that exits first finishes what it was asked to do.
"""

import logging
import queue
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

# How long an idle thread waits for more work before it ends.
IDLE_SECONDS = 2.0


@dataclass
class _Job:
    task: Any  # a celery Task
    args: tuple
    kwargs: dict
    task_id: str


_active = False
_jobs: queue.Queue[_Job] = queue.Queue()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def embedded() -> bool:
    """No broker: the portal runs its tasks itself."""
    return settings.CELERY_BROKER_URL.startswith("memory://")


def activate() -> bool:
    """Called by a web process: from now on tasks run in the background thread (when the
    settings ask for it). Returns whether they do."""
    global _active
    _active = embedded() and settings.PORTAL_EMBEDDED_TASKS == "thread"
    return _active


def deactivate() -> None:
    global _active
    _active = False


def is_active() -> bool:
    return _active


def submit(task: Any, args: tuple | None, kwargs: dict | None, task_id: str | None) -> str:
    """Queue one task call for the background thread; returns its task id."""
    global _thread
    job = _Job(task, tuple(args or ()), dict(kwargs or {}), task_id or str(uuid.uuid4()))
    with _lock:
        _jobs.put(job)
        if _thread is None:
            _thread = threading.Thread(target=_work, name="portal-tasks")
            _thread.start()
    return job.task_id


def wait_idle(timeout: float) -> bool:
    """Wait until every queued task has run (tests, shutdown). False on timeout."""
    with _lock:
        thread = _thread
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


def _work() -> None:
    global _thread
    while True:
        try:
            job = _jobs.get(timeout=IDLE_SECONDS)
        except queue.Empty:
            with _lock:
                if _jobs.empty():
                    _thread = None
                    return
            continue
        _run(job)


def _run(job: _Job) -> None:
    """Run one task as Celery's eager mode would (retries included), on this thread's own
    database connection, which is closed afterwards so no transaction or lock outlives
    the job (SQLite allows one writer at a time)."""
    try:
        job.task.apply(args=job.args, kwargs=job.kwargs, task_id=job.task_id, throw=True)
    except Exception:
        log.exception("embedded task %s[%s] failed", job.task.name, job.task_id)
    finally:
        connections.close_all()
