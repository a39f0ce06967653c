import fcntl
import importlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.factories import make_cast

REAL_BROKER = os.environ.get("CELERY_BROKER_URL", "").startswith("redis")
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))

needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="real-service test: set DATABASE_URL to PostgreSQL (as .ci/run does)"
)
_skip_without_worker = pytest.mark.skipif(
    not (REAL_BROKER and ON_POSTGRES),
    reason="real-service test: set DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)",
)
# Tests that start a real Celery worker never overlap, even across xdist processes: the
# workers they start listen on the same broker queues, and ``celery_worker`` pings every
# worker on the broker, so two at once could take each other's tasks (and each other's
# test databases). They hold a lock file named after the test run while they run.
# (pytest-xdist's ``xdist_group`` does not work with pytest 9: its group suffix is lost.)


def needs_worker(test):
    """Skip unless PostgreSQL and Redis are configured; mark ``celery_worker`` (one live
    worker at a time, see above)."""
    return _skip_without_worker(pytest.mark.celery_worker(test))


def pytest_configure(config):
    from django.conf import settings

    from portal.celery import app

    # Files the tests write (notices, agreements, uploads) go to a folder of this process
    # (each xdist worker has its own test database, so the same ids would name the same
    # files), inherited by the Celery workers and commands the tests start.
    media = Path(tempfile.mkdtemp(prefix=f"cp-test-media-{_xdist_worker() or 'main'}-"))
    os.environ["MEDIA_ROOT"] = str(media)
    settings.MEDIA_ROOT = media
    config.add_cleanup(lambda: shutil.rmtree(media, ignore_errors=True))
    # Hashing with PBKDF2's full cost would dominate the suite's time.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "portal.hashers.CodeHasher",
    ]
    # A checkpoint is written when an audit entry's id is a multiple of
    # AUDIT_CHECKPOINT_EVERY; PostgreSQL never reuses the ids of rolled-back tests, so
    # whether one falls inside a test would depend on the tests before it (and add queries
    # to a query count). Tests of checkpoints set their own cadence (tests/portal/test_audit).
    settings.AUDIT_CHECKPOINT_EVERY = 10**9
    # Tests run tasks inline unless they ask for the live worker (or the embedded thread).
    settings.PORTAL_EMBEDDED_TASKS = "eager"
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


def _xdist_worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "live_worker" in item.fixturenames:
            item.add_marker(pytest.mark.celery_worker)


# Test folders and modules whose tests share one expensive setup (tests/demo/ seeds the whole
# demo once, tests/households/test_demo.py the register, each inside a transaction rolled
# back after its last test): with pytest-xdist's default
# ``load`` distribution their tests would be spread over both processes and the setup
# built in each. They go to one process as a unit; every other test is scheduled alone.
SHARED_SETUP = ("tests/demo/", "tests/households/test_demo.py")


def pytest_xdist_make_scheduler(config, log):
    """``load`` distribution, except that each of :data:`SHARED_SETUP` runs in one process."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedSetupTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return next((s for s in SHARED_SETUP if nodeid.startswith(s)), nodeid)

    return SharedSetupTogether(config, log)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: API throttles, login lockouts and cached
    sessions of earlier tests in the same process (which differ with xdist's split, and
    fill faster the faster the suite runs) must not decide a test's outcome."""
    from django.core.cache import cache

    cache.clear()


# Rows the migrations seed as data (catalogues the admin keeps): a transactional test ends
# with a flush that empties every table, so they are seeded again after it, and a later
# test in the same process finds the catalogue a fresh database has.
MIGRATION_SEEDS = (
    "tickets.migrations.0002_default_categories",
    "works.migrations.0002_emergency_cases",
)


def _flushes(item) -> bool:
    """Whether the test ran on a transactional database (flushed after it)."""
    names = set(getattr(item, "fixturenames", ()))
    if names & {"transactional_db", "live_server"}:
        return True
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After every fixture of a transactional test is torn down (the flush comes last for
    live-server tests, whose database fixture is requested by pytest-django's own autouse
    fixture), seed the migrations' data again."""
    result = yield
    # After the last test the test database is gone (its session fixture ended with it).
    if nextitem is not None and _flushes(item):
        from django.apps import apps
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            for module in MIGRATION_SEEDS:
                importlib.import_module(module).seed(apps, None)
    return result


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request through the test client leaves
    the language its LocaleMiddleware chose active in the thread, so a test asking in
    English would otherwise decide the language of the next test in the same process."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _one_live_worker_at_a_time(request):
    """Tests marked ``celery_worker`` run one at a time across the xdist processes."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None or request.node.get_closest_marker("celery_worker") is None:
        yield
        return
    path = Path(tempfile.gettempdir()) / f"cp-live-worker-{run}.lock"
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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

    # Generous: on a loaded 2-core machine the pool can take over 30 s to answer a ping.
    with celery_worker("test-worker.log", start_timeout=120) as worker:
        yield worker
