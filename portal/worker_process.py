"""A real Celery worker as a child process, for the live-worker tests and the benchmarks.

Both need a worker that reads and writes the same (test) database as the calling process
and goes through the real broker; this starts one, waits until it answers a ping, and
stops it afterwards.
"""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from .celery import app


def current_database_url() -> str:
    """DATABASE_URL of the database this process is connected to (the test database)."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextmanager
def celery_worker(
    log_name: str, *, loglevel: str = "INFO", concurrency: int = 2, start_timeout: float = 60
) -> Iterator[subprocess.Popen]:
    """Run ``celery -A portal worker`` on both queues against this process's database.

    Tasks sent inside the block go through the broker (eager mode is switched off); the
    worker's output goes to ``var/<log_name>``.
    """
    log_path = Path(settings.VAR_DIR) / log_name
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DATABASE_URL=current_database_url(), PYTHONUNBUFFERED="1")
    eager = app.conf.task_always_eager
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "portal", "worker",
                "-Q", "default,pdf", f"--concurrency={concurrency}", f"--loglevel={loglevel}",
                "--without-gossip", "--without-mingle",
            ],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        app.conf.task_always_eager = False
        try:
            deadline = time.monotonic() + start_timeout
            while not app.control.ping(timeout=0.5):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Celery worker did not start; see {log_path}")
            yield worker
        finally:
            app.conf.task_always_eager = eager
            worker.terminate()
            worker.wait(timeout=30)
