"""Building print files (楼栋打印文件): the machinery shared by every job that prints one
PDF per building through Celery with a progress bar (fee notices in ``fees``, activation
letters here).

A print job's work is a set of chunk rows (a concrete subclass of
:class:`BuildingPrintChunk`). A building is printed in parts of at most a setting's size
of households (``part`` 1..``parts``, the households ``offset`` .. ``offset + size`` of
the building in unit order), so a task's memory and time do not grow with the building.
A building of one part has that part's file as its print file; a building of several
parts has one more row, ``part`` 0, the step that joins the parts' files into the
building's print file once they are all done (and removes them).

Each chunk is rendered exactly once per claim: a task claims its chunk with a
compare-and-set update, keeps the claim alive with a heartbeat thread, and marks it done
together with the job's progress in one transaction that only the current claimant can
commit. A chunk whose worker stopped beating for the lease is stalled and may be taken
over; a beat task queues such chunks again. What differs between kinds of print jobs (the
job's table and fields, the task, how a part is rendered, where files go) is described
once by a :class:`BuildingPrint`, whose methods are the engine.
"""

import datetime as dt
import hashlib
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from portal.models import Compound
from portal.queue import enqueue

log = logging.getLogger(__name__)


class ChunkStatus(models.TextChoices):
    PENDING = "pending", _lazy("待生成")
    RUNNING = "running", _lazy("生成中")
    DONE = "done", _lazy("已完成")


class BuildingPrintChunk(models.Model):
    """A piece of work of a print job, claimed by one task at a time (see the module).

    A concrete subclass adds the foreign key to its job (named by its
    :class:`BuildingPrint`'s ``job_field``, with ``related_name="chunks"``), a count of
    what its file holds (``count_field``), and its Meta (a unique (job, building, part)
    and an index starting with the compound)."""

    MERGE = 0

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    building = models.ForeignKey("households.Building", on_delete=models.CASCADE, related_name="+")
    part = models.PositiveSmallIntegerField(default=1)
    parts = models.PositiveSmallIntegerField(default=1)
    offset = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(null=True, blank=True)  # None: the whole building
    status = models.CharField(
        max_length=8, choices=ChunkStatus.choices, default=ChunkStatus.PENDING
    )
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    file = models.CharField(max_length=255, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_merge(self) -> bool:
        return self.part == self.MERGE

    @property
    def holds_building_file(self) -> bool:
        """Whether this row's file, once done, is the building's print file."""
        return self.is_merge or self.parts == 1


#: The rows whose file is a building's print file (see BuildingPrintChunk).
BUILDING_FILE = Q(part=BuildingPrintChunk.MERGE) | Q(parts=1)


@dataclass(frozen=True)
class RenderedPart:
    """What a renderer made of one part: the PDF (None: nothing to print), how many
    households it handled (the job's progress) and how many pages it printed."""

    pdf: bytes | None
    handled: int
    printed: int


@dataclass(frozen=True)
class PrintSettings:
    """The names of the settings a kind of print job reads (at call time, so tests and
    workers can change them)."""

    part_size: str = "PRINT_PART_SIZE"
    lease_seconds: str = "PRINT_LEASE_SECONDS"
    heartbeat_seconds: str = "PRINT_HEARTBEAT_SECONDS"
    delay_for_tests: str = "PRINT_CHUNK_DELAY_FOR_TESTS"


@dataclass(frozen=True)
class PrintJobState:
    """What a print job is doing, for its page (and the "continue" answer): its buildings
    (a building is done once its print file is, stalled if a piece of it is, rendering if
    a piece of it is being rendered, else queued) and, when a building has several parts,
    how many parts are done."""

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
        """What is happening, in words."""
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


@dataclass(frozen=True)
class BuildingPrint:
    """One kind of print job and the engine that runs it.

    ``chunk_model`` rows point at a ``job_model`` row through ``job_field`` (related name
    ``chunks``); the job counts handled households in ``done_field`` and is finished by
    setting ``status_field`` from ``running`` to ``done``. ``render_part(chunk, claim)``
    renders one part (it may write, e.g. issue codes, after checking with
    :meth:`claim_held` that the claim is still this task's); ``file_dir(chunk)`` is the
    storage folder of the job's files; ``task`` the Celery task (by name) that calls
    :meth:`render`; ``waiting``: other statuses of a job still printing (queued), whose
    stalled chunks the beat re-queues too."""

    name: str
    chunk_model: type[BuildingPrintChunk]
    job_model: type[models.Model]
    job_field: str
    count_field: str
    done_field: str
    status_field: str
    running: str
    done: str
    task: str
    render_part: Callable[[Any, str], RenderedPart]
    file_dir: Callable[[Any], str]
    settings: PrintSettings = PrintSettings()
    waiting: tuple[str, ...] = ()

    # --- settings ---------------------------------------------------------------------

    def part_size(self) -> int:
        return max(1, int(getattr(settings, self.settings.part_size)))

    def lease(self) -> dt.timedelta:
        """A claimed chunk whose worker showed no sign of life (no heartbeat) for this long
        is stalled: its worker died, and another task may take it over."""
        return dt.timedelta(seconds=getattr(settings, self.settings.lease_seconds))

    def _test_delay(self) -> None:
        """The restart-safety tests' hook (0 outside tests and always 0 in production): a
        slow chunk lets a test kill a worker mid-chunk."""
        delay = getattr(settings, self.settings.delay_for_tests, 0)
        if delay:
            time.sleep(delay)

    # --- rows -------------------------------------------------------------------------

    def chunks(self, job_id: int) -> QuerySet:
        return self.chunk_model._default_manager.filter(**{f"{self.job_field}_id": job_id})

    def plan(
        self,
        *,
        compound: Compound,
        job: models.Model,
        households: Iterable[tuple[int, int]],
        extra: Callable[[int, int, int | None], dict[str, Any]] | None = None,
    ) -> None:
        """Replace the job's chunks by new ones for ``households`` ((building id, how
        many), in building order), in the caller's transaction; the old files are
        removed once it commits. ``extra(building_id, offset, size)`` gives a part's
        fields of the concrete chunk model, if it has some."""
        old = self.chunks(job.pk)
        old_files = list(old.exclude(file="").values_list("file", flat=True))
        old.delete()
        size = self.part_size()
        rows = []
        for building_id, n in households:
            parts = max(1, -(-n // size))
            common = {
                "compound": compound,
                self.job_field: job,
                "building_id": building_id,
                "parts": parts,
                "status": ChunkStatus.PENDING,
            }

            def more(offset: int, length: int | None) -> dict[str, Any]:
                return extra(building_id, offset, length) if extra else {}  # noqa: B023

            if parts == 1:  # the whole building, however many by the time it prints
                rows.append(self.chunk_model(part=1, **common, **more(0, None)))
            else:
                rows += [
                    self.chunk_model(
                        part=k + 1, offset=k * size, size=size, **common, **more(k * size, size)
                    )
                    for k in range(parts)
                ]
                rows.append(self.chunk_model(part=BuildingPrintChunk.MERGE, **common))
        self.chunk_model._default_manager.bulk_create(rows)
        transaction.on_commit(lambda: delete_files(old_files))

    def _parts_pending(self) -> Exists:
        """For a chunk row: some part of its building is not done yet."""
        job_id = f"{self.job_field}_id"
        return Exists(
            self.chunk_model._default_manager.filter(
                **{job_id: OuterRef(job_id), "building_id": OuterRef("building_id")}
            )
            .exclude(part=BuildingPrintChunk.MERGE)
            .exclude(status=ChunkStatus.DONE)
        )

    def _ready(self) -> Q:
        """Chunks that may be rendered now: every part, and a join step once its parts
        are all done."""
        return ~Q(part=BuildingPrintChunk.MERGE) | ~Q(self._parts_pending())

    # --- rendering --------------------------------------------------------------------

    def render(self, *, chunk_id: int, claim: str) -> bool:
        """Render one part into one stored PDF (or join a building's parts into its print
        file), exactly once.

        ``claim`` is the task's id: a redelivered task (same id, after its worker died)
        takes its chunk back; another task does not, unless the claim's lease has run
        out. The file has a name of its own per claim, and the chunk is marked done and
        the job's progress bumped in one transaction that only the current claimant can
        commit, so every household is counted once and each file holds each of its pages
        once. A building's join step is queued when its last part is done; the job is
        done when every building's print file is."""
        now = timezone.now()
        claimed = (
            self.chunk_model._default_manager.filter(pk=chunk_id)
            .filter(
                Q(status=ChunkStatus.PENDING)
                | Q(status=ChunkStatus.RUNNING, claimed_by=claim)
                | Q(status=ChunkStatus.RUNNING, claimed_at__lt=now - self.lease())
            )
            .filter(self._ready())
            .update(
                status=ChunkStatus.RUNNING,
                claimed_by=claim,
                claimed_at=now,
                attempts=F("attempts") + 1,
            )
        )
        if not claimed:
            return False
        chunk = self.chunk_model._default_manager.select_related(
            f"{self.job_field}__compound", "building"
        ).get(pk=chunk_id)
        with self.claim_kept_alive(chunk_id=chunk_id, claim=claim):
            self._test_delay()
            if chunk.is_merge:
                return self._join_parts(chunk, claim)
            return self._render_part(chunk, claim)

    def claim_held(self, chunk: BuildingPrintChunk, claim: str, *, lock: bool = False) -> bool:
        """Whether ``claim`` still holds ``chunk`` (with ``lock``, the row is locked for the
        caller's transaction, so no other task can take it over before that commits)."""
        rows = self.chunk_model._default_manager.filter(
            pk=chunk.pk, status=ChunkStatus.RUNNING, claimed_by=claim
        )
        if lock:
            rows = rows.select_for_update(of=("self",))
        return rows.exists()

    def file_name(self, chunk: Any, claim: str) -> str:
        tag = hashlib.sha256(claim.encode()).hexdigest()[:10]
        part = "" if chunk.holds_building_file else f"-part{chunk.part:03d}"
        return f"{self.file_dir(chunk)}/building-{chunk.building.number}{part}-{tag}.pdf"

    def _lock_job(self, job_id: int) -> None:
        self.job_model._default_manager.select_for_update(of=("self",)).filter(pk=job_id).first()

    def _render_part(self, chunk: Any, claim: str) -> bool:
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        rendered = self.render_part(chunk, claim)
        name = ""
        if rendered.pdf is not None:
            name = default_storage.save(self.file_name(chunk, claim), ContentFile(rendered.pdf))
        job_id = getattr(chunk, f"{self.job_field}_id")
        with transaction.atomic():
            self._lock_job(job_id)
            done = self._finish(chunk, claim, file=name, count=rendered.printed)
            if done:
                self.job_model._default_manager.filter(pk=job_id).update(
                    **{self.done_field: F(self.done_field) + rendered.handled}
                )
                if chunk.parts > 1:
                    building = self.chunks(job_id).filter(building_id=chunk.building_id)
                    parts = building.exclude(part=BuildingPrintChunk.MERGE)
                    if not parts.exclude(status=ChunkStatus.DONE).exists():
                        merge_id = building.get(part=BuildingPrintChunk.MERGE).pk
                        transaction.on_commit(lambda: enqueue(self.task, merge_id))
                self._finish_job(job_id)
        if not done and name:
            default_storage.delete(name)
        return done

    def _join_parts(self, chunk: Any, claim: str) -> bool:
        """A building's join step: its parts' files, in order, streamed into its print
        file; the parts' files are removed once the building's file is recorded."""
        from django.core.files import File
        from django.core.files.storage import default_storage

        from portal.pdf import join_pdfs

        job_id = getattr(chunk, f"{self.job_field}_id")
        building_parts = (
            self.chunks(job_id)
            .filter(building_id=chunk.building_id)
            .exclude(part=BuildingPrintChunk.MERGE)
        )
        parts = list(building_parts.order_by("part").values_list("file", self.count_field))
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
                name = default_storage.save(self.file_name(chunk, claim), File(joined))
        with transaction.atomic():
            self._lock_job(job_id)
            done = self._finish(chunk, claim, file=name, count=sum(n for _f, n in parts))
            if done:
                building_parts.update(file="")
                transaction.on_commit(lambda: delete_files(files))
                self._finish_job(job_id)
        if not done and name:
            default_storage.delete(name)
        return done

    def _finish(self, chunk: Any, claim: str, *, file: str, count: int) -> bool:
        """Mark ``chunk`` done with its file, if ``claim`` still holds it (in the caller's
        transaction, the job locked)."""
        return bool(
            self.chunk_model._default_manager.filter(
                pk=chunk.pk, status=ChunkStatus.RUNNING, claimed_by=claim
            ).update(
                status=ChunkStatus.DONE,
                file=file,
                finished_at=timezone.now(),
                **{self.count_field: count},
            )
        )

    def _finish_job(self, job_id: int) -> None:
        """The job is done once every chunk is (every building file joined)."""
        if not self.chunks(job_id).exclude(status=ChunkStatus.DONE).exists():
            self.job_model._default_manager.filter(pk=job_id).update(
                **{self.status_field: self.done}
            )

    # --- claims, heartbeats, requeues and what the job page says -----------------------

    def heartbeat(self, *, chunk_id: int, claim: str) -> bool:
        """Renew ``claim``'s lease on its chunk (a sign of life); False once the claim is
        lost (taken over after it stalled, or finished)."""
        return bool(
            self.chunk_model._default_manager.filter(
                pk=chunk_id, status=ChunkStatus.RUNNING, claimed_by=claim
            ).update(claimed_at=timezone.now())
        )

    @contextmanager
    def claim_kept_alive(self, *, chunk_id: int, claim: str) -> Iterator[None]:
        """Beat every heartbeat interval while the block runs. One WeasyPrint call lays
        out a whole part, so the beat comes from a thread of its own: it stops when the
        process dies, which is exactly what the lease must notice."""
        stop = threading.Event()

        def beat() -> None:
            try:
                while not stop.wait(getattr(settings, self.settings.heartbeat_seconds)):
                    try:
                        if not self.heartbeat(chunk_id=chunk_id, claim=claim):
                            return
                    except Exception:  # a missed beat only shortens the lease: keep going
                        log.warning(
                            "heartbeat of %s chunk %s failed", self.name, chunk_id, exc_info=True
                        )
            finally:
                connections.close_all()  # this thread's own connection

        thread = threading.Thread(
            target=beat, name=f"{self.name}-heartbeat-{chunk_id}", daemon=True
        )
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def to_queue(
        self, *, job_id: int, now: dt.datetime | None = None, include_pending: bool = True
    ) -> QuerySet:
        """Chunks whose task may be lost: pending ones (their message may be gone) and
        running ones whose worker stopped beating. Queuing one twice is harmless: the
        claim decides. A join step waits for its parts; without ``include_pending`` (the
        beat's re-queue, which leaves waiting messages alone) a pending one is still taken
        if its parts were all done a lease ago (the message its last part queued was
        lost)."""
        stale = (now or timezone.now()) - self.lease()
        lost = Q(status=ChunkStatus.RUNNING, claimed_at__lt=stale)
        job_id_field = f"{self.job_field}_id"
        if include_pending:
            lost |= Q(status=ChunkStatus.PENDING)
        else:
            recent = self.chunk_model._default_manager.filter(
                **{
                    job_id_field: OuterRef(job_id_field),
                    "building_id": OuterRef("building_id"),
                    "finished_at__gte": stale,
                }
            ).exclude(part=BuildingPrintChunk.MERGE)
            lost |= Q(status=ChunkStatus.PENDING, part=BuildingPrintChunk.MERGE) & ~Q(
                Exists(recent)
            )
        return self.chunks(job_id).filter(lost).filter(self._ready())

    def requeue(self, *, job_id: int, include_pending: bool = True) -> tuple[int, int]:
        """Queue (after the commit) a render task for every chunk of the job whose task
        may be lost (:meth:`to_queue`); how many chunks and how many buildings."""
        rows = list(
            self.to_queue(job_id=job_id, include_pending=include_pending).values_list(
                "id", "building_id"
            )
        )
        for chunk_id, _building in rows:
            enqueue(self.task, chunk_id)
        return len(rows), len({b for _c, b in rows})

    def requeue_stalled(self) -> int:
        """Queue again the chunks of running jobs whose worker died, so a job does not
        wait for someone to press "continue" or for the broker's visibility timeout.
        Pending chunks are left alone: their messages are still waiting in the queue."""
        running = self.job_model._default_manager.filter(
            **{f"{self.status_field}__in": [self.running, *self.waiting]}
        )
        return sum(
            self.requeue(job_id=job_id, include_pending=False)[0]
            for job_id in running.values_list("id", flat=True)
        )

    def page_state(self, job: Any, files: list[dict[str, Any]]) -> dict[str, Any]:
        """What a print job's page shows and its JSON says: the job's status and progress
        (``status``, ``done``, ``total``, ``progress`` of a job model whose statuses include
        ``queued`` and ``running``), its building ``files`` and, while it runs, a line per
        building part."""
        running = job.status in ("queued", "running")
        return {
            "status": job.status,
            "status_label": job.get_status_display(),
            "done": job.done,
            "total": job.total,
            "progress": job.progress,
            "files": files,
            "lines": self.job_state(job_id=job.pk).describe(timezone.now()) if running else [],
        }

    def job_state(self, *, job_id: int, now: dt.datetime | None = None) -> PrintJobState:
        stale = (now or timezone.now()) - self.lease()
        states: dict[int, set[str]] = {}
        beats: dict[int, dt.datetime] = {}
        parts_done = parts_total = 0
        split = False
        for building, part, parts, status, beat in self.chunks(job_id).values_list(
            "building_id", "part", "parts", "status", "claimed_at"
        ):
            if part != BuildingPrintChunk.MERGE:
                parts_total += 1
                parts_done += status == ChunkStatus.DONE
            split |= parts > 1
            if status == ChunkStatus.DONE:  # a part joined later is not the building done
                state = "done" if part == BuildingPrintChunk.MERGE or parts == 1 else "queued"
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
        return PrintJobState(
            counts["queued"],
            counts["rendering"],
            counts["stalled"],
            counts["done"],
            oldest,
            self.lease(),
            parts_done if split else 0,
            parts_total if split else 0,
        )


def delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if default_storage.exists(name):
            default_storage.delete(name)
