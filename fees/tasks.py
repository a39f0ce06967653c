"""Thin Celery tasks: take ids, call a service. Notices render in the ``pdf`` queue."""

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from . import services
from .models import ChunkStatus, NoticeChunk


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def render_notice_chunk(self, chunk_id: int) -> bool:
    """One building's print file. ``acks_late``: a killed worker's message is redelivered
    with the same id, and the service lets that id take its chunk back."""
    try:
        return services.notice_chunk_render(chunk_id=chunk_id, claim=self.request.id or "eager")
    except Exception as exc:  # a transient error (DB, storage): try again shortly
        raise self.retry(exc=exc, countdown=5) from exc


def enqueue_notice_chunks(run_id: int) -> int:
    """Queue every chunk of a run that is pending, or whose claim outlived its lease (its
    task was lost). A chunk queued twice is still rendered once: the claim decides."""
    stale = timezone.now() - services.NOTICE_CLAIM_LEASE
    ids = list(
        NoticeChunk.objects.filter(run_id=run_id)
        .filter(Q(status=ChunkStatus.PENDING) | Q(status=ChunkStatus.RUNNING, claimed_at__lt=stale))
        .values_list("id", flat=True)
    )
    for chunk_id in ids:
        render_notice_chunk.delay(chunk_id)
    return len(ids)
