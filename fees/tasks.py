"""Thin Celery tasks: take ids, call a service. Notices render in the ``pdf`` queue."""

from celery import shared_task

from . import services
from .models import BillingRun, NoticeStatus


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def render_notice_chunk(self, chunk_id: int) -> bool:
    """One building's print file. ``acks_late``: a killed worker's message is redelivered
    with the same id, and the service lets that id take its chunk back."""
    try:
        return services.notice_chunk_render(chunk_id=chunk_id, claim=self.request.id or "eager")
    except Exception as exc:  # a transient error (DB, storage): try again shortly
        raise self.retry(exc=exc, countdown=5) from exc


def enqueue_notice_chunks(run_id: int) -> int:
    """Queue every chunk of a run that is pending, or whose worker stopped beating (its
    task was lost). A chunk queued twice is still rendered once: the claim decides."""
    ids = list(services.notice_chunks_to_queue(run_id=run_id).values_list("id", flat=True))
    for chunk_id in ids:
        render_notice_chunk.delay(chunk_id)
    return len(ids)


@shared_task
def requeue_stalled_notice_chunks() -> int:
    """Every minute (beat): queue again the chunks whose worker died, so a print job does
    not wait for someone to press "continue" or for the broker's visibility timeout.
    Pending chunks are left alone: their messages are still waiting in the queue."""
    queued = 0
    for run_id in BillingRun.objects.filter(notice_status=NoticeStatus.RUNNING).values_list(
        "id", flat=True
    ):
        stalled = services.notice_chunks_to_queue(run_id=run_id, include_pending=False)
        for chunk_id in stalled.values_list("id", flat=True):
            render_notice_chunk.delay(chunk_id)
            queued += 1
    return queued
