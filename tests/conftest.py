import os

import pytest

from tests.factories import make_cast

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
    # Tests run tasks inline unless they ask for the live worker (or the embedded thread).
    settings.PORTAL_EMBEDDED_TASKS = "eager"
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture
def cast(db):
    """Street officer, committee member, company staff, property-unit rep and resident of
    compound ``home``, plus outsiders from another compound and another street office."""
    return make_cast()


@pytest.fixture
def live_worker(transactional_db):
    """A real ``celery -A portal worker`` (2 processes) on Redis and the test database.

    Tasks sent while it runs go through the broker; the fixture stops the worker after.
    """
    from portal.worker_process import celery_worker

    with celery_worker("test-worker.log", start_timeout=30) as worker:
        yield worker
