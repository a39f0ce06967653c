"""Claims on building print files lapse when their worker stops beating (about a minute
and a half), not after ten minutes; the run page and "continue" say what is happening."""

import datetime as dt
import os
import signal
import time

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from fees import services, tasks
from fees.models import BillingRun, ChunkStatus, NoticeChunk, NoticeStatus
from portal.celery import app
from tests.conftest import needs_worker
from tests.fees.helpers import bill, enqueue_chunks, low_rise_standard


def _started_run(compound):
    low_rise_standard(compound)
    run = bill(compound).run
    assert services.notices_start(compound=compound, run=run)
    return run


def _claim(chunk, by: str, seconds_ago: float) -> None:
    NoticeChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.RUNNING,
        claimed_by=by,
        claimed_at=timezone.now() - dt.timedelta(seconds=seconds_ago),
    )


def test_the_lease_fits_a_heartbeat_and_the_broker_outlasts_every_task():
    assert services.notice_claim_lease() <= dt.timedelta(seconds=90)
    assert settings.FEES_NOTICE_LEASE_SECONDS >= 3 * settings.FEES_NOTICE_HEARTBEAT_SECONDS
    limit = app.conf.task_time_limit
    assert limit and app.conf.task_soft_time_limit < limit
    assert app.conf.broker_transport_options["visibility_timeout"] > limit
    assert app.conf.broker_transport_options["visibility_timeout"] < 60 * 60  # Redis default


@pytest.mark.django_db
def test_a_claim_silent_for_the_lease_is_stalled_and_continue_requeues_it(cast):
    run = _started_run(cast.compound)
    first, second = run.chunks.all()
    _claim(first, "dead-worker", seconds_ago=settings.FEES_NOTICE_LEASE_SECONDS + 1)
    _claim(second, "live-worker", seconds_ago=5)
    state = services.notice_job_state(run=run)
    assert (state.queued, state.rendering, state.stalled, state.done) == (0, 1, 1, 0)
    assert enqueue_chunks(run) == 1  # eager: renders the stalled one
    first.refresh_from_db()
    assert first.status == ChunkStatus.DONE and first.attempts == 1
    assert NoticeChunk.objects.get(pk=second.pk).claimed_by == "live-worker"


@pytest.mark.django_db
def test_a_beating_claim_is_left_alone_and_says_when_it_would_stall(cast):
    run = _started_run(cast.compound)
    first, second = run.chunks.all()
    _claim(first, "slow-worker", seconds_ago=settings.FEES_NOTICE_LEASE_SECONDS - 10)
    NoticeChunk.objects.filter(pk=second.pk).update(status=ChunkStatus.DONE)
    before = services.notice_job_state(run=run)
    assert before.rendering == 1
    # The heartbeat renews the lease: a minute later it is still not stalled.
    assert services.notice_chunk_heartbeat(chunk_id=first.pk, claim="slow-worker") is True
    later = timezone.now() + dt.timedelta(seconds=60)
    after = services.notice_job_state(run=run, now=later)
    assert (after.rendering, after.stalled) == (1, 0)
    assert after.stalls_at > before.stalls_at
    assert not services.notice_chunks_to_queue(run_id=run.pk, now=later).exists()
    [line, _done] = after.describe(later)
    assert "1 个楼栋正在生成" in line and "最近响应 60 秒前" in line
    stalls = timezone.localtime(after.stalls_at).strftime("%H:%M:%S")
    assert f"{stalls} 起重新排队" in line


@pytest.mark.django_db
def test_a_claim_taken_over_can_no_longer_beat(cast):
    run = _started_run(cast.compound)
    chunk = run.chunks.first()
    _claim(chunk, "dead-worker", seconds_ago=settings.FEES_NOTICE_LEASE_SECONDS + 1)
    assert services.notice_chunk_render(chunk_id=chunk.pk, claim="rescuer") is True
    assert services.notice_chunk_heartbeat(chunk_id=chunk.pk, claim="dead-worker") is False


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_renews_the_claim_while_the_work_runs(cast, settings):
    settings.FEES_NOTICE_HEARTBEAT_SECONDS = 0.2
    run = _started_run(cast.compound)
    chunk = run.chunks.first()
    _claim(chunk, "busy-worker", seconds_ago=80)
    started = timezone.now()
    with services.notices.claim_kept_alive(chunk_id=chunk.pk, claim="busy-worker"):
        time.sleep(1.0)  # one long WeasyPrint call, say
    chunk.refresh_from_db()
    assert chunk.claimed_at >= started + dt.timedelta(seconds=0.3)


@pytest.mark.django_db
def test_the_beat_task_requeues_stalled_chunks_only(cast, django_capture_on_commit_callbacks):
    run = _started_run(cast.compound)
    first, second = run.chunks.all()
    _claim(first, "dead-worker", seconds_ago=settings.FEES_NOTICE_LEASE_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.requeue_stalled_notice_chunks() == 1  # the pending one waits in its queue
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ChunkStatus.DONE and second.status == ChunkStatus.PENDING
    assert "requeue-stalled-notice-chunks" in app.conf.beat_schedule


@pytest.mark.django_db
def test_the_run_page_and_continue_say_what_is_happening(
    cast, client, django_capture_on_commit_callbacks
):
    run = _started_run(cast.compound)
    first, second = run.chunks.all()
    _claim(first, "live-worker", seconds_ago=12)
    _claim(second, "dead-worker", seconds_ago=settings.FEES_NOTICE_LEASE_SECONDS + 30)
    client.force_login(cast.company_staff)
    page = client.get(reverse("fees:run", args=["home", run.pk])).content.decode()
    assert "1 个楼栋正在生成（最近响应 12 秒前" in page or "最近响应 13 秒前" in page
    assert "1 个楼栋已停滞" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("fees:run-notices", args=["home", run.pk]), follow=True)
    text = response.content.decode()
    assert "已重新排队 1 个楼栋" in text  # the stalled one, rendered (eager) ...
    assert "1 个楼栋正在生成" in text  # ... while the live one is left to its worker
    response = client.post(reverse("fees:run-notices", args=["home", run.pk]), follow=True)
    assert "没有需要重新排队的楼栋" in response.content.decode()
    assert BillingRun.objects.get(pk=run.pk).notice_status == NoticeStatus.RUNNING


@needs_worker
@pytest.mark.django_db(transaction=True)
def test_a_whole_worker_killed_is_requeued_after_the_lease_not_after_an_hour(monkeypatch, settings):
    """The worker process itself dies (OOM killer, a lost machine): its unacknowledged
    messages sit in Redis until the visibility timeout. "Continue" re-queues the silent
    chunks once their lease runs out, and a new worker finishes each notice once."""
    from portal.models import StreetOffice
    from portal.worker_process import celery_worker
    from tests.factories import make_compound
    from tests.fees.test_notices import _labels_in_files, _pool_children, _wait

    for name, value in (
        ("FEES_CHUNK_DELAY_FOR_TESTS", "30"),
        ("FEES_NOTICE_HEARTBEAT_SECONDS", "1"),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FEES_NOTICE_LEASE_SECONDS", "4")
    settings.FEES_NOTICE_LEASE_SECONDS = 4
    office = StreetOffice.objects.create(code="lease-office", name="L")
    compound = make_compound(office, "lease", buildings=3, units_per_building=2)
    run = _started_run(compound)
    with celery_worker("test-worker-killed.log", start_timeout=30) as worker:
        enqueue_chunks(run)
        _wait(lambda: NoticeChunk.objects.filter(run=run, status=ChunkStatus.RUNNING).count() == 2)
        time.sleep(2)  # beating: nothing to re-queue but the chunk still waiting its turn
        assert services.notice_job_state(run=run).stalled == 0
        for pid in [*_pool_children(worker.pid), worker.pid]:
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=30)
    _wait(lambda: services.notice_job_state(run=run).stalled == 2, timeout=30)
    monkeypatch.setenv("FEES_CHUNK_DELAY_FOR_TESTS", "0")
    with celery_worker("test-worker-rescue.log", start_timeout=30):
        # the two stalled ones, and the third unless its waiting message was already taken
        assert enqueue_chunks(run) in (2, 3)
        _wait(lambda: BillingRun.objects.get(pk=run.pk).notice_status == NoticeStatus.DONE)
    run.refresh_from_db()
    assert run.notices_done == run.notices_total == 6
    labels = _labels_in_files(run)
    assert len(labels) == len(set(labels)) == 6
