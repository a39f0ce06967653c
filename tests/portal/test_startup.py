"""Server processes after start-up: the collector's permanent generation and the planner's
page cost (``portal.startup``, ``portal/settings.py``)."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import needs_postgres

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter (freezing is for the whole process, never this
    one); its printed words."""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_web_process_freezes_what_start_up_loaded():
    frozen, resolved = _python(
        "import gc, sys; import portal.wsgi; "
        "print(gc.get_freeze_count(), 'portal.urls' in sys.modules)"
    )
    assert int(frozen) > 50_000  # Django's apps and the URL modules, loaded before freezing
    assert resolved == "True"


def test_a_worker_pool_process_freezes_with_weasyprint_loaded():
    frozen, before, loaded = _python(
        "import gc, sys, django; django.setup(); from portal import celery; "
        "before = gc.get_freeze_count(); celery._freeze_startup_objects(); "
        "print(gc.get_freeze_count(), before, 'weasyprint' in sys.modules)"
    )
    assert int(before) == 0
    assert int(frozen) > 50_000
    assert loaded == "True"


def test_the_worker_signal_runs_the_freeze():
    from celery.signals import worker_process_init

    from portal import celery

    receivers = [ref() for _key, ref in worker_process_init.receivers]
    assert celery._freeze_startup_objects in receivers


@needs_postgres
@pytest.mark.django_db
def test_postgresql_connections_plan_for_memory_and_ssd():
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert float(cursor.fetchone()[0]) == 1.1
