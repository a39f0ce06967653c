"""Fee notices (缴费通知单): one print job per building, rendered exactly once per claim."""

import datetime as dt
import hashlib
import time

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.audit import audit_record
from portal.models import Compound

from ..models import BillingRun
from ._common import _actor

# A chunk claimed longer ago than this by a task that never finished may be taken over.
NOTICE_CLAIM_LEASE = dt.timedelta(minutes=10)


@transaction.atomic
def notices_start(
    *, compound: Compound, run: BillingRun, actor: AbstractBaseUser | None = None
) -> bool:
    """Prepare one print job per building of ``run`` (False if already running).

    The caller queues :func:`fees.tasks.enqueue_notice_chunks` on commit.
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
    """
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db.models import Q

    from .. import pdf
    from ..models import ChunkStatus, NoticeChunk, NoticeStatus

    now = timezone.now()
    claimed = (
        NoticeChunk.objects.filter(pk=chunk_id)
        .filter(
            Q(status=ChunkStatus.PENDING)
            | Q(status=ChunkStatus.RUNNING, claimed_by=claim)
            | Q(status=ChunkStatus.RUNNING, claimed_at__lt=now - NOTICE_CLAIM_LEASE)
        )
        .update(
            status=ChunkStatus.RUNNING, claimed_by=claim, claimed_at=now, attempts=F("attempts") + 1
        )
    )
    if not claimed:
        return False
    chunk = NoticeChunk.objects.select_related("run__compound", "building").get(pk=chunk_id)
    run, compound = chunk.run, chunk.run.compound
    _test_delay()
    notices = pdf.build_notices(compound, pdf.notice_charges(compound, run, chunk.building_id))
    content = pdf.render_notices(compound, notices)
    tag = hashlib.sha256(claim.encode()).hexdigest()[:10]
    name = default_storage.save(
        f"fees/notices/{compound.code}/run-{run.pk}/building-{chunk.building.number}-{tag}.pdf",
        ContentFile(content),
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
                notices_done=F("notices_done") + len(notices)
            )
            if not run.chunks.exclude(status=ChunkStatus.DONE).exists():
                BillingRun.objects.filter(pk=run.pk).update(notice_status=NoticeStatus.DONE)
    if not done:
        default_storage.delete(name)
    return bool(done)


def _test_delay() -> None:
    """The restart-safety test's hook (settings.FEES_CHUNK_DELAY_FOR_TESTS, 0 outside
    tests and always 0 in production): a slow chunk lets it kill a worker mid-chunk."""
    delay = settings.FEES_CHUNK_DELAY_FOR_TESTS
    if delay:
        time.sleep(delay)
