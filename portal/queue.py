"""How services queue background work: by task name, after the transaction commits.

A service changes state, then calls :func:`enqueue` with the task's name (``"app.tasks.name"``,
as Celery registers it). Naming the task instead of importing it keeps the arrow one way:
``tasks.py`` imports services, services never import ``tasks.py``. The task is looked up in
the Celery app's registry when the transaction commits, so it runs eagerly in tests, in the
embedded mode's background thread, or on a worker, exactly as if it had been called directly;
nothing is queued if the transaction rolls back.
"""

import threading
from typing import Any

from celery import current_app
from celery.app.task import Task
from celery.exceptions import NotRegistered
from django.db import transaction

_discovery = threading.Lock()


def _task(name: str) -> Task:
    """The registered task ``name``. Outside a worker the apps' ``tasks`` modules are loaded
    (Celery's autodiscovery) the first time a name is not found; one thread at a time, since
    a second thread would otherwise look while the first is still importing."""
    try:
        return current_app.tasks[name]
    except NotRegistered:
        with _discovery:
            if name not in current_app.tasks:
                current_app.loader.import_default_modules()
        return current_app.tasks[name]


def enqueue(task_name: str, *args: Any) -> None:
    """Send the task ``task_name`` with ``args`` once the current transaction commits."""

    def send() -> None:
        _task(task_name).apply_async(args=args)

    transaction.on_commit(send)
