import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.factories import make_cast

ROOT = Path(__file__).resolve().parent.parent
REAL_BROKER = os.environ.get("CELERY_BROKER_URL", "").startswith("redis")
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))

needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="real-service test: set DATABASE_URL to PostgreSQL (as .ci/run does)"
)
needs_worker = pytest.mark.skipif(
    not (REAL_BROKER and ON_POSTGRES),
    reason="real-service test: set DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)",
)


def pytest_configure(config):
    from django.conf import settings

    from portal.celery import app

    # Hashing with PBKDF2's full cost would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests run tasks inline unless they ask for the live worker.
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture
def cast(db):
    """Street officer, committee member, company staff, property-unit rep and resident of
    compound ``home``, plus outsiders from another compound and another street office."""
    return make_cast()


def _test_database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def live_worker(transactional_db):
    """A real ``celery -A portal worker`` (2 processes) on Redis and the test database.

    Tasks sent while it runs go through the broker; the fixture stops the worker after.
    """
    from portal.celery import app

    env = dict(os.environ, DATABASE_URL=_test_database_url(), PYTHONUNBUFFERED="1")
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / "test-worker.log", "w")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-Q",
            "default,pdf",
            "--concurrency=2",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker did not start; see {log.name}")
        yield worker
    finally:
        app.conf.task_always_eager = True
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
