"""Embedded mode: a web process runs tasks in a background thread, so a page that starts
a long job (a building's notices) returns at once and can show progress."""

import io
import time

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from pypdf import PdfReader

from fees.models import BillingRun, NoticeStatus
from portal import background
from portal.models import AuditEntry
from portal.tasks import worker_heartbeat
from tests.factories import make_cast
from tests.fees.helpers import bill, low_rise_standard


@pytest.fixture
def thread_mode(settings):
    # The embedded mode is the absence of a broker, whatever the database (CI sets one).
    settings.CELERY_BROKER_URL = "memory://"
    settings.PORTAL_EMBEDDED_TASKS = "thread"
    assert background.activate()
    yield
    assert background.wait_idle(120)
    background.deactivate()


@pytest.mark.django_db(transaction=True)
def test_printing_notices_returns_at_once_and_the_thread_finishes_the_job(
    thread_mode, settings, client
):
    settings.FEES_CHUNK_DELAY_FOR_TESTS = 3  # each building file takes at least 3 s
    cast = make_cast()
    low_rise_standard(cast.compound)
    run = bill(cast.compound).run
    client.force_login(cast.company_staff)
    assert client.get(reverse("fees:run", args=["home", run.pk])).status_code == 200
    started = time.monotonic()
    response = client.post(reverse("fees:run-notices", args=["home", run.pk]))
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < 3  # inline, the two buildings would take 6 s
    assert background.wait_idle(120)
    run = BillingRun.objects.get(pk=run.pk)
    assert run.notice_status == NoticeStatus.DONE
    assert run.notices_done == run.notices_total == 6
    pages = 0
    for chunk in run.chunks.all():
        with default_storage.open(chunk.file, "rb") as f:
            pages += len(PdfReader(io.BytesIO(f.read())).pages)
    assert pages == 6


@pytest.mark.django_db(transaction=True)
def test_any_task_goes_to_the_thread_and_gets_its_own_connection(thread_mode):
    result = worker_heartbeat.delay("from-the-thread")
    assert result.id
    assert background.wait_idle(60)
    assert AuditEntry.objects.filter(action="worker.heartbeat").count() == 1


@pytest.mark.django_db
def test_without_activation_tasks_run_inline(settings):
    settings.PORTAL_EMBEDDED_TASKS = "thread"  # a test or a command never activates it
    worker_heartbeat.delay("inline")
    assert AuditEntry.objects.filter(action="worker.heartbeat").count() == 1


def test_the_eager_setting_keeps_even_a_web_process_inline(settings):
    settings.PORTAL_EMBEDDED_TASKS = "eager"
    assert background.activate() is False
    assert background.is_active() is False
