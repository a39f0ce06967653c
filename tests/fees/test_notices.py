"""Building print files: exactly once, whatever happens to the tasks that make them."""

import datetime as dt
import io
import os
import signal
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from pypdf import PdfReader

from fees import services
from fees.models import BillingRun, ChunkStatus, NoticeChunk, NoticeStatus
from tests.conftest import needs_worker
from tests.factories import make_compound
from tests.fees.helpers import bill, enqueue_chunks, low_rise_standard


def _started_run(compound):
    low_rise_standard(compound)
    run = bill(compound).run
    assert services.notices_start(compound=compound, run=run)
    return run


def _labels_in_files(run) -> list[str]:
    labels = []
    for chunk in run.chunks.all():
        with default_storage.open(chunk.file, "rb") as f:
            for page in PdfReader(io.BytesIO(f.read())).pages:
                line = next(li for li in page.extract_text().splitlines() if li.startswith("房屋"))
                labels.append(line.removeprefix("房屋").strip())
    return labels


@pytest.mark.django_db
def test_a_redelivered_task_does_not_count_twice(cast):
    run = _started_run(cast.compound)
    chunk = run.chunks.first()
    assert services.notice_chunk_render(chunk_id=chunk.pk, claim="task-1") is True
    assert services.notice_chunk_render(chunk_id=chunk.pk, claim="task-1") is False
    run.refresh_from_db()
    assert run.notices_done == 3 and run.notice_status == NoticeStatus.RUNNING


@pytest.mark.django_db
def test_a_chunk_interrupted_mid_render_is_finished_once_by_its_redelivery(cast):
    run = _started_run(cast.compound)
    first, second = run.chunks.all()
    # The worker holding "task-A" died after claiming: the chunk is stuck in RUNNING.
    NoticeChunk.objects.filter(pk=first.pk).update(
        status=ChunkStatus.RUNNING, claimed_by="task-A", claimed_at=timezone.now(), attempts=1
    )
    # Another task may not take a live claim ...
    assert services.notice_chunk_render(chunk_id=first.pk, claim="task-B") is False
    # ... but the redelivered message (same task id) takes it back and finishes it.
    assert services.notice_chunk_render(chunk_id=first.pk, claim="task-A") is True
    assert services.notice_chunk_render(chunk_id=second.pk, claim="task-C") is True
    run.refresh_from_db()
    assert run.notices_done == run.notices_total == 6
    assert run.notice_status == NoticeStatus.DONE
    first.refresh_from_db()
    assert first.attempts == 2
    assert sorted(_labels_in_files(run)) == sorted(
        f"{b}号楼 0{u}01" for b in (1, 2) for u in (1, 2, 3)
    )


@pytest.mark.django_db
def test_an_abandoned_claim_is_taken_over_after_its_lease(cast):
    run = _started_run(cast.compound)
    chunk = run.chunks.first()
    stale = timezone.now() - services.notice_claim_lease() - dt.timedelta(seconds=1)
    NoticeChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.RUNNING, claimed_by="dead", claimed_at=stale
    )
    assert services.notice_chunk_render(chunk_id=chunk.pk, claim="rescuer") is True
    # The dead claimant's late redelivery changes nothing.
    assert services.notice_chunk_render(chunk_id=chunk.pk, claim="dead") is False
    run.refresh_from_db()
    assert run.notices_done == 3


@pytest.mark.django_db
def test_starting_twice_does_not_duplicate_chunks(cast):
    run = _started_run(cast.compound)
    assert services.notices_start(compound=cast.compound, run=run) is False
    assert run.chunks.count() == 2
    assert enqueue_chunks(run) == 2  # eager: renders both
    run.refresh_from_db()
    assert run.notice_status == NoticeStatus.DONE and run.notices_done == 6
    assert enqueue_chunks(run) == 0


@pytest.fixture
def slow_chunks(monkeypatch):
    """Every chunk the worker renders sleeps 3 s first: the worker (started after this)
    reads FEES_CHUNK_DELAY_FOR_TESTS from its environment into its settings; this process
    has already read its settings and renders nothing."""
    monkeypatch.setenv("FEES_CHUNK_DELAY_FOR_TESTS", "3")


def _pool_children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children += [int(c) for c in text]
    return children


def _wait(predicate, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


@needs_worker
def test_killed_worker_mid_run_still_gives_each_notice_exactly_once(slow_chunks, live_worker):
    from portal.models import StreetOffice

    office = StreetOffice.objects.create(code="kill-office", name="K")
    compound = make_compound(office, "kill", buildings=4, units_per_building=3)
    run = _started_run(compound)
    enqueue_chunks(run)
    _wait(lambda: NoticeChunk.objects.filter(run=run, status=ChunkStatus.RUNNING).count() == 2)
    for child in _pool_children(live_worker.pid):  # kill both processes mid-chunk
        os.kill(child, signal.SIGKILL)
    _wait(lambda: BillingRun.objects.get(pk=run.pk).notice_status == NoticeStatus.DONE)
    run.refresh_from_db()
    assert run.notices_done == run.notices_total == 12
    chunks = list(run.chunks.all())
    assert all(c.status == ChunkStatus.DONE for c in chunks)
    assert sum(c.notices for c in chunks) == 12
    assert max(c.attempts for c in chunks) >= 2  # the killed ones ran again
    labels = _labels_in_files(run)
    assert len(labels) == len(set(labels)) == 12


@pytest.mark.django_db
def test_resuming_requeues_only_lost_chunks(cast):
    run = _started_run(cast.compound)
    first, second = run.chunks.all()
    stale = timezone.now() - services.notice_claim_lease() - dt.timedelta(seconds=1)
    NoticeChunk.objects.filter(pk=first.pk).update(
        status=ChunkStatus.RUNNING, claimed_by="lost", claimed_at=stale
    )
    NoticeChunk.objects.filter(pk=second.pk).update(
        status=ChunkStatus.RUNNING, claimed_by="alive", claimed_at=timezone.now()
    )
    assert enqueue_chunks(run) == 1  # only the lost one; eager: renders it
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ChunkStatus.DONE and second.status == ChunkStatus.RUNNING
