"""Thin Celery tasks of the works app: contribution notices render in the ``pdf`` queue.

Services queue these by name (``portal.queue.enqueue``), so this module imports services
and nothing imports it back."""

from celery import shared_task

from .services import fund_import, notices


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def render_contribution_notice_chunk(self, chunk_id: int) -> bool:
    """One part of a building's contribution notices, or the join of its parts into its
    print file. ``acks_late``: a killed worker's message is redelivered with the same id,
    and the service lets that id take its chunk back."""
    try:
        return notices.notice_chunk_render(chunk_id=chunk_id, claim=self.request.id or "eager")
    except Exception as exc:  # a transient error (DB, storage): try again shortly
        if self.request.retries >= self.max_retries:
            notices.notice_job_fail(chunk_id=chunk_id)
            raise
        raise self.retry(exc=exc, countdown=5) from exc


@shared_task
def requeue_stalled_contribution_notice_chunks() -> int:
    """Every minute (beat): queue again the contribution-notice chunks whose worker died."""
    return notices.notice_chunks_requeue_stalled()


@shared_task
def fund_import_run(import_id: int) -> str:
    """Check and write one queued import of maintenance-fund opening balances (all rows or
    none; the job records its progress and outcome)."""
    return fund_import.fund_import_run(import_id)
