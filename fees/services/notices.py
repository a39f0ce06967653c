"""Fee notices (缴费通知单): one print job per building, rendered exactly once per claim."""

import datetime as dt
import hashlib
import logging
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import Compound
from portal.queue import enqueue

from ..models import BillingRun
from ._common import _actor

if TYPE_CHECKING:
    from ..models import NoticeChunk

log = logging.getLogger(__name__)

#: The task that renders one chunk (queued by name: tasks import services, not the reverse).
RENDER_TASK = "fees.tasks.render_notice_chunk"


def notice_claim_lease() -> dt.timedelta:
    """A claimed chunk whose worker showed no sign of life (no heartbeat) for this long is
    stalled: its worker died, and another task may take it over."""
    return dt.timedelta(seconds=settings.FEES_NOTICE_LEASE_SECONDS)


@transaction.atomic
def notices_start(*, compound: Compound, run: BillingRun, actor: User | None = None) -> bool:
    """Prepare the print job of ``run`` (False if already running): per building, parts of
    at most FEES_NOTICE_PART_SIZE households and, for a building of several parts, the
    step that joins them into its print file (see ``NoticeChunk``).

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
    size = max(1, settings.FEES_NOTICE_PART_SIZE)
    households = (
        run.charges.values("building_id")
        .annotate(n=Count("id"))
        .order_by("building_id")
        .values_list("building_id", "n")
    )
    rows = []
    for building_id, n in households:
        parts = max(1, -(-n // size))

        def row(part: int, offset: int = 0, size: int | None = None) -> NoticeChunk:
            return NoticeChunk(
                compound=compound,
                run=run,
                building_id=building_id,  # noqa: B023 (used at once)
                part=part,
                parts=parts,  # noqa: B023
                offset=offset,
                size=size,
                status=ChunkStatus.PENDING,
            )

        if parts == 1:
            rows.append(row(1))  # the whole building, however many by the time it prints
        else:
            rows += [row(k + 1, k * size, size) for k in range(parts)]
            rows.append(row(NoticeChunk.MERGE))
    NoticeChunk.objects.bulk_create(rows)
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


def _parts_pending() -> Exists:
    """For a chunk row: some part of its building is not done yet."""
    from ..models import ChunkStatus, NoticeChunk

    return Exists(
        NoticeChunk.objects.filter(run_id=OuterRef("run_id"), building_id=OuterRef("building_id"))
        .exclude(part=NoticeChunk.MERGE)
        .exclude(status=ChunkStatus.DONE)
    )


def _ready() -> Q:
    """Chunks that may be rendered now: every part, and a join step once its parts are
    all done."""
    from ..models import NoticeChunk

    return ~Q(part=NoticeChunk.MERGE) | ~Q(_parts_pending())


def notice_chunk_render(*, chunk_id: int, claim: str) -> bool:
    """Render one part of a building's notices into one stored PDF (or join a building's
    parts into its print file), exactly once.

    ``claim`` is the task's id: a redelivered task (same id, after its worker died) takes
    its chunk back; another task does not, unless the claim's lease has run out. The file
    has a name of its own per claim, and the chunk is marked done and the run's progress
    bumped in one transaction that only the current claimant can commit, so every notice
    is counted once and each file holds each of its notices once.

    Households that owe nothing get no page (``Notice.needs_sending``); they still count
    as handled in the run's progress, and the chunk's ``notices`` is the pages printed.
    A part (or building) where everyone has paid gets no file at all. A building's join
    step is queued when its last part is done; the run is done when every building's
    print file is, so a building whose parts are not joined yet is never shown as done.
    """
    from ..models import ChunkStatus, NoticeChunk

    now = timezone.now()
    claimed = (
        NoticeChunk.objects.filter(pk=chunk_id)
        .filter(
            Q(status=ChunkStatus.PENDING)
            | Q(status=ChunkStatus.RUNNING, claimed_by=claim)
            | Q(status=ChunkStatus.RUNNING, claimed_at__lt=now - notice_claim_lease())
        )
        .filter(_ready())
        .update(
            status=ChunkStatus.RUNNING, claimed_by=claim, claimed_at=now, attempts=F("attempts") + 1
        )
    )
    if not claimed:
        return False
    chunk = NoticeChunk.objects.select_related("run__compound", "building").get(pk=chunk_id)
    with claim_kept_alive(chunk_id=chunk_id, claim=claim):
        _test_delay()
        if chunk.is_merge:
            return _join_parts(chunk, claim)
        return _render_part(chunk, claim)


def _file_name(chunk: "NoticeChunk", claim: str) -> str:
    run = chunk.run
    tag = hashlib.sha256(claim.encode()).hexdigest()[:10]
    part = "" if chunk.holds_building_file else f"-part{chunk.part:03d}"
    return (
        f"fees/notices/{run.compound.code}/run-{run.pk}/"
        f"building-{chunk.building.number}{part}-{tag}.pdf"
    )


def _render_part(chunk: "NoticeChunk", claim: str) -> bool:
    """One part: its households' notices as one PDF (the building's print file if the
    building has one part)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from .. import pdf, selectors
    from ..models import ChunkStatus, NoticeChunk

    run, compound = chunk.run, chunk.run.compound
    charges = selectors.notice_charges(compound, run, chunk.building_id)
    if chunk.size is not None:
        charges = charges[chunk.offset : chunk.offset + chunk.size]
    handled = selectors.build_notices(compound, charges)
    notices = [n for n in handled if n.needs_sending]
    name = ""
    if notices:
        name = default_storage.save(
            _file_name(chunk, claim), ContentFile(pdf.render_notices(compound, notices))
        )
    with transaction.atomic():
        BillingRun.objects.select_for_update(of=("self",)).filter(pk=run.pk).first()
        done = _finish(chunk, claim, file=name, notices=len(notices))
        if done:
            BillingRun.objects.filter(pk=run.pk).update(
                notices_done=F("notices_done") + len(handled)
            )
            if chunk.parts > 1:
                building = NoticeChunk.objects.filter(run=run, building_id=chunk.building_id)
                parts = building.exclude(part=NoticeChunk.MERGE)
                if not parts.exclude(status=ChunkStatus.DONE).exists():
                    merge_id = building.get(part=NoticeChunk.MERGE).pk
                    transaction.on_commit(lambda: enqueue(RENDER_TASK, merge_id))
            _finish_run(run)
    if not done and name:
        default_storage.delete(name)
    return done


def _join_parts(chunk: "NoticeChunk", claim: str) -> bool:
    """A building's join step: its parts' files, in order, streamed into its print file;
    the parts' files are removed once the building's file is recorded."""
    from django.core.files import File
    from django.core.files.storage import default_storage

    from portal.pdf import join_pdfs

    from ..models import NoticeChunk

    run = chunk.run
    parts = list(
        NoticeChunk.objects.filter(run=run, building_id=chunk.building_id)
        .exclude(part=NoticeChunk.MERGE)
        .order_by("part")
        .values_list("file", "notices")
    )
    files = [f for f, _n in parts if f]

    def opened() -> Iterator[Any]:
        for name in files:
            with default_storage.open(name, "rb") as f:
                yield f

    name = ""
    if files:
        with tempfile.TemporaryFile() as joined:
            join_pdfs(opened(), joined)
            joined.seek(0)
            name = default_storage.save(_file_name(chunk, claim), File(joined))
    with transaction.atomic():
        BillingRun.objects.select_for_update(of=("self",)).filter(pk=run.pk).first()
        done = _finish(chunk, claim, file=name, notices=sum(n for _f, n in parts))
        if done:
            NoticeChunk.objects.filter(run=run, building_id=chunk.building_id).exclude(
                part=NoticeChunk.MERGE
            ).update(file="")
            transaction.on_commit(lambda: _delete_files(files))
            _finish_run(run)
    if not done and name:
        default_storage.delete(name)
    return done


def _finish(chunk: "NoticeChunk", claim: str, *, file: str, notices: int) -> bool:
    """Mark ``chunk`` done with its file, if ``claim`` still holds it (in the caller's
    transaction, the run locked)."""
    from ..models import ChunkStatus, NoticeChunk

    return bool(
        NoticeChunk.objects.filter(
            pk=chunk.pk, status=ChunkStatus.RUNNING, claimed_by=claim
        ).update(status=ChunkStatus.DONE, file=file, notices=notices, finished_at=timezone.now())
    )


def _finish_run(run: BillingRun) -> None:
    """The run's print job is done once every chunk is (every building file joined)."""
    from ..models import ChunkStatus, NoticeStatus

    if not run.chunks.exclude(status=ChunkStatus.DONE).exists():
        BillingRun.objects.filter(pk=run.pk).update(notice_status=NoticeStatus.DONE)


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
    ones whose worker stopped beating. Queuing one twice is harmless: the claim decides.
    A join step waits for its parts; without ``include_pending`` (the beat's re-queue,
    which leaves waiting messages alone) a pending one is still taken if its parts were
    all done a lease ago (the message its last part queued was lost)."""
    from ..models import ChunkStatus, NoticeChunk

    stale = (now or timezone.now()) - notice_claim_lease()
    lost = Q(status=ChunkStatus.RUNNING, claimed_at__lt=stale)
    if include_pending:
        lost |= Q(status=ChunkStatus.PENDING)
    else:
        recent = NoticeChunk.objects.filter(
            run_id=OuterRef("run_id"), building_id=OuterRef("building_id"), finished_at__gte=stale
        ).exclude(part=NoticeChunk.MERGE)
        lost |= Q(status=ChunkStatus.PENDING, part=NoticeChunk.MERGE) & ~Q(Exists(recent))
    return NoticeChunk.objects.filter(run_id=run_id).filter(lost).filter(_ready())


def notice_chunks_enqueue(*, run_id: int, include_pending: bool = True) -> int:
    """Queue (after the commit) a render task for every chunk of the run whose task may be
    lost (:func:`notice_chunks_to_queue`); how many. A chunk queued twice is still
    rendered once: the claim decides."""
    return notice_chunks_requeue(run_id=run_id, include_pending=include_pending)[0]


def notice_chunks_requeue(*, run_id: int, include_pending: bool = True) -> tuple[int, int]:
    """:func:`notice_chunks_enqueue`, saying how many chunks and how many buildings."""
    rows = list(
        notice_chunks_to_queue(run_id=run_id, include_pending=include_pending).values_list(
            "id", "building_id"
        )
    )
    for chunk_id, _building in rows:
        enqueue(RENDER_TASK, chunk_id)
    return len(rows), len({b for _c, b in rows})


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
    """What a run's print job is doing, for the run page (and the "continue" answer): its
    buildings (a building is done once its print file is, stalled if a piece of it is,
    rendering if a piece of it is being rendered, else queued) and, when a building has
    several parts, how many parts are done."""

    queued: int
    rendering: int
    stalled: int
    done: int
    oldest_beat: dt.datetime | None  # the least recent sign of life among ``rendering``
    lease: dt.timedelta
    parts_done: int = 0
    parts_total: int = 0  # 0 when every building is one part

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
        if self.parts_total:
            lines.append(
                _("分段：已完成 %(done)s / 共 %(total)s 段（大楼栋分段生成后合并为一个文件）")
                % {"done": self.parts_done, "total": self.parts_total}
            )
        return lines


def notice_job_state(*, run: BillingRun, now: dt.datetime | None = None) -> NoticeJobState:
    from ..models import ChunkStatus, NoticeChunk

    stale = (now or timezone.now()) - notice_claim_lease()
    states: dict[int, set[str]] = {}
    beats: dict[int, dt.datetime] = {}
    parts_done = parts_total = 0
    split = False
    for building, part, parts, status, beat in run.chunks.values_list(
        "building_id", "part", "parts", "status", "claimed_at"
    ):
        if part != NoticeChunk.MERGE:
            parts_total += 1
            parts_done += status == ChunkStatus.DONE
        split |= parts > 1
        if status == ChunkStatus.DONE:  # a part joined later is not the building done
            state = "done" if part == NoticeChunk.MERGE or parts == 1 else "queued"
        elif status == ChunkStatus.PENDING:
            state = "queued"
        elif beat is None or beat < stale:
            state = "stalled"
        else:
            state = "rendering"
            beats[building] = min(beats.get(building, beat), beat)
        states.setdefault(building, set()).add(state)
    counts = {"queued": 0, "rendering": 0, "stalled": 0, "done": 0}
    oldest = None
    for building, seen in states.items():
        state = next(s for s in ("done", "stalled", "rendering", "queued") if s in seen)
        counts[state] += 1
        if state == "rendering":
            oldest = beats[building] if oldest is None else min(oldest, beats[building])
    return NoticeJobState(
        counts["queued"],
        counts["rendering"],
        counts["stalled"],
        counts["done"],
        oldest,
        notice_claim_lease(),
        parts_done if split else 0,
        parts_total if split else 0,
    )
