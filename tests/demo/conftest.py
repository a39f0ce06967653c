"""The whole demo (`manage.py seed_demo`), seeded once for this package.

Seeding it takes most of a minute and a half of CPU, so the apps' demo tests share one
seed: it runs inside a transaction rolled back after the package's last test, and each test
still runs in its own savepoint through the ``db`` fixture, so what one test changes the
next does not see. pytest-xdist sends the package to one process as a unit (see
``SHARED_SETUP`` in tests/conftest.py), so it is seeded once per run.

The demo is seeded twice, the second time through the command: the tests see the database
a second run leaves (as the apps' demo tests always did), and test_seed.py compares the
database before and after it.

Tests that need an empty database first (the register built from scratch, seed order)
stay in their app's folder.
"""

import dataclasses
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from board.demo import DemoResult, seed_demo
from tests.households.test_demo import database_state


@dataclasses.dataclass
class SharedDemo:
    result: DemoResult
    first_state: dict  # database_state() after the first seed
    second_state: dict  # ... and after the second
    second_output: str  # what `manage.py seed_demo` printed the second time


@pytest.fixture(scope="package")
def full_demo(django_db_setup, django_db_blocker) -> SharedDemo:
    """Every app's demo (``seed_demo()``) as a fresh database gets it, then seeded again."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            result = seed_demo()
            first_state = database_state()
            out = StringIO()
            call_command("seed_demo", stdout=out)
            yield SharedDemo(result, first_state, database_state(), out.getvalue())
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def demo_result(full_demo, db) -> DemoResult:
    """The shared demo, in this test's savepoint (the compound read again, so no test sees
    another's in-memory changes or caches)."""
    result = full_demo.result
    compound = type(result.compound).objects.get(pk=result.compound.pk)
    return dataclasses.replace(result, compound=compound)
