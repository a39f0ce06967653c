"""Fee notices (缴费通知单): one print job per building, rendered exactly once per claim."""

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import Compound
from portal.queue import enqueue

from ..models import BillingRun
from ._common import _actor

log = logging.getLogger(__name__)

#: The task that renders one chunk (queued by name: tasks import services, not the reverse).
RENDER_TASK = "fees.tasks.render_notice_chunk"


def notice_claim_lease() -> dt.timedelta:
    """A claimed chunk whose worker showed no sign of life (no heartbeat) for this long is
    stalled: its worker died, and another task may take it over."""
    return dt.timedelta(seconds=settings.FEES_NOTICE_LEASE_SECONDS)


@transaction.atomic
def notices_start(*, compound: Compound, run: BillingRun, actor: User | None = None) -> bool:
    """Prepare one print job per building of ``run`` (False if already running).

    The caller then queues the chunks with :func:`notice_chunks_enqueue`, which also
    continues a job whose tasks were lost.
    """
    from ..models import ChunkStatus, NoticeChunk, NoticeStatus

    total = run.charges.count()
    started = (
        BillingRun.objects.filter(pk=run.pk, compound=compound)
        .exclude(notice_status=NoticeStatus.RUNNING)
        .update(notice_status=NoticeStatus.RUNNING, notices_total=total, notices_done=0)
    )
    if not started:
        return False
    old_files = list(run.chunks.exclude(file="").values_list("file", flat=True))
    run.chunks.all().delete()
    building_ids = run.charges.values_list("building_id", flat=True).distinct()
    NoticeChunk.objects.bulk_create(
        NoticeChunk(compound=compound, run=run, building_id=b, status=ChunkStatus.PENDING)
        for b in sorted(set(building_ids))
    )
    if total == 0:
        BillingRun.objects.filter(pk=run.pk).update(notice_status=NoticeStatus.DONE)
    transaction.on_commit(lambda: _delete_files(old_files))
    audit_record(
        action="fees.notices_start",
        actor=_actor(actor),
        compound=compound,
        obj=run,
        data={"notices": total},
    )
    return True


def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if default_storage.exists(name):
            default_storage.delete(name)


def notice_chunk_render(*, chunk_id: int, claim: str) -> bool:
    """Render one building's notices into one stored PDF, exactly once.

    ``claim`` is the task's id: a redelivered task (same id, after its worker died) takes
    its chunk back; another task does not, unless the claim's lease has run out. The file
    has a name of its own per claim, and the chunk is marked done and the run's progress
    bumped in one transaction that only the current claimant can commit, so every notice
    is counted once and each building file holds each of its notices once.

    Households that owe nothing get no page (``Notice.needs_sending``); they still count
    as handled in the run's progress, and the chunk's ``notices`` is the pages printed.
    A building where everyone has paid gets no file at all.
    """
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from .. import pdf, selectors
    from ..models import ChunkStatus, NoticeChunk, NoticeStatus

    now = timezone.now()
    claimed = (
        NoticeChunk.objects.filter(pk=chunk_id)
        .filter(
            Q(status=ChunkStatus.PENDING)
            | Q(status=ChunkStatus.RUNNING, claimed_by=claim)
            | Q(status=ChunkStatus.RUNNING, claimed_at__lt=now - notice_claim_lease())
        )
        .update(
            status=ChunkStatus.RUNNING, claimed_by=claim, claimed_at=now, attempts=F("attempts") + 1
        )
    )
    if not claimed:
        return False
    chunk = NoticeChunk.objects.select_related("run__compound", "building").get(pk=chunk_id)
    run, compound = chunk.run, chunk.run.compound
    with claim_kept_alive(chunk_id=chunk_id, claim=claim):
        _test_delay()
        handled = selectors.build_notices(
            compound, selectors.notice_charges(compound, run, chunk.building_id)
        )
        notices = [n for n in handled if n.needs_sending]
        name = ""
        if notices:
            tag = hashlib.sha256(claim.encode()).hexdigest()[:10]
            name = default_storage.save(
                f"fees/notices/{compound.code}/run-{run.pk}/"
                f"building-{chunk.building.number}-{tag}.pdf",
                ContentFile(pdf.render_notices(compound, notices)),
            )
    with transaction.atomic():
        BillingRun.objects.select_for_update().filter(pk=run.pk).first()
        done = NoticeChunk.objects.filter(
            pk=chunk_id, status=ChunkStatus.RUNNING, claimed_by=claim
        ).update(
            status=ChunkStatus.DONE, file=name, notices=len(notices), finished_at=timezone.now()
        )
        if done:
            BillingRun.objects.filter(pk=run.pk).update(
                notices_done=F("notices_done") + len(handled)
            )
            if not run.chunks.exclude(status=ChunkStatus.DONE).exists():
                BillingRun.objects.filter(pk=run.pk).update(notice_status=NoticeStatus.DONE)
    if not done and name:
        default_storage.delete(name)
    return bool(done)


def _test_delay() -> None:
    """The restart-safety test's hook (settings.FEES_CHUNK_DELAY_FOR_TESTS, 0 outside
    tests and always 0 in production): a slow chunk lets it kill a worker mid-chunk."""
    delay = settings.FEES_CHUNK_DELAY_FOR_TESTS
    if delay:
        time.sleep(delay)


# --- claims, heartbeats and what the run page says ---------------------------------------


def notice_chunk_heartbeat(*, chunk_id: int, claim: str) -> bool:
    """Renew ``claim``'s lease on its chunk (a sign of life); False once the claim is lost
    (taken over after it stalled, or finished)."""
    from ..models import ChunkStatus, NoticeChunk

    return bool(
        NoticeChunk.objects.filter(
            pk=chunk_id, status=ChunkStatus.RUNNING, claimed_by=claim
        ).update(claimed_at=timezone.now())
    )


@contextmanager
def claim_kept_alive(*, chunk_id: int, claim: str) -> Iterator[None]:
    """Beat every FEES_NOTICE_HEARTBEAT_SECONDS while the block runs. One WeasyPrint call
    lays out a whole building, so the beat comes from a thread of its own: it stops when
    the process dies, which is exactly what the lease must notice."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.FEES_NOTICE_HEARTBEAT_SECONDS):
                try:
                    if not notice_chunk_heartbeat(chunk_id=chunk_id, claim=claim):
                        return
                except Exception:  # a missed beat only shortens the lease: keep rendering
                    log.warning("heartbeat of notice chunk %s failed", chunk_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"notice-heartbeat-{chunk_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def notice_chunks_to_queue(
    *, run_id: int, now: dt.datetime | None = None, include_pending: bool = True
) -> QuerySet:
    """Chunks whose task may be lost: pending ones (their message may be gone) and running
    ones whose worker stopped beating. Queuing one twice is harmless: the claim decides."""
    from ..models import ChunkStatus, NoticeChunk

    stale = (now or timezone.now()) - notice_claim_lease()
    lost = Q(status=ChunkStatus.RUNNING, claimed_at__lt=stale)
    if include_pending:
        lost |= Q(status=ChunkStatus.PENDING)
    return NoticeChunk.objects.filter(run_id=run_id).filter(lost)


def notice_chunks_enqueue(*, run_id: int, include_pending: bool = True) -> int:
    """Queue (after the commit) a render task for every chunk of the run whose task may be
    lost (:func:`notice_chunks_to_queue`); how many. A chunk queued twice is still
    rendered once: the claim decides."""
    ids = list(
        notice_chunks_to_queue(run_id=run_id, include_pending=include_pending).values_list(
            "id", flat=True
        )
    )
    for chunk_id in ids:
        enqueue(RENDER_TASK, chunk_id)
    return len(ids)


def notice_chunks_requeue_stalled() -> int:
    """Queue again the chunks of running print jobs whose worker died, so a print job does
    not wait for someone to press "continue" or for the broker's visibility timeout.
    Pending chunks are left alone: their messages are still waiting in the queue."""
    from ..models import NoticeStatus

    running = BillingRun.objects.filter(notice_status=NoticeStatus.RUNNING)
    return sum(
        notice_chunks_enqueue(run_id=run_id, include_pending=False)
        for run_id in running.values_list("id", flat=True)
    )


@dataclass(frozen=True)
class NoticeJobState:
    """What a run's print job is doing, for the run page (and the "continue" answer)."""

    queued: int
    rendering: int
    stalled: int
    done: int
    oldest_beat: dt.datetime | None  # the least recent sign of life among ``rendering``
    lease: dt.timedelta

    @property
    def stalls_at(self) -> dt.datetime | None:
        """When the quietest rendering chunk counts as stalled, if it stays silent."""
        return self.oldest_beat + self.lease if self.oldest_beat else None

    def describe(self, now: dt.datetime) -> list[str]:
        """What is happening, in words, for the run page and the "continue" answer."""
        lines = []
        if self.queued:
            lines.append(_("%(n)s 个楼栋排队等待生成") % {"n": self.queued})
        if self.rendering and self.oldest_beat is not None:
            quiet = int((now - self.oldest_beat).total_seconds())
            lines.append(
                _(
                    "%(n)s 个楼栋正在生成（最近响应 %(seconds)s 秒前；"
                    "如一直无响应，%(time)s 起重新排队）"
                )
                % {
                    "n": self.rendering,
                    "seconds": max(quiet, 0),
                    "time": timezone.localtime(self.oldest_beat + self.lease).strftime("%H:%M:%S"),
                }
            )
        if self.stalled:
            lines.append(
                _("%(n)s 个楼栋已停滞（超过 %(seconds)s 秒无响应），点击“继续生成”立即重新排队")
                % {"n": self.stalled, "seconds": int(self.lease.total_seconds())}
            )
        if self.done:
            lines.append(_("%(n)s 个楼栋已完成") % {"n": self.done})
        return lines


def notice_job_state(*, run: BillingRun, now: dt.datetime | None = None) -> NoticeJobState:
    from ..models import ChunkStatus

    stale = (now or timezone.now()) - notice_claim_lease()
    queued = rendering = stalled = done = 0
    oldest = None
    for status, beat in run.chunks.values_list("status", "claimed_at"):
        if status == ChunkStatus.DONE:
            done += 1
        elif status == ChunkStatus.PENDING:
            queued += 1
        elif beat is None or beat < stale:
            stalled += 1
        else:
            rendering += 1
            oldest = beat if oldest is None else min(oldest, beat)
    return NoticeJobState(queued, rendering, stalled, done, oldest, notice_claim_lease())
