"""Thin Celery tasks of the tickets app.

Services queue these by name (``portal.queue.enqueue``), so this module imports services
and nothing imports it back."""

from celery import shared_task

from . import services, services_hotline, services_mail


@shared_task
def escalate_overdue_requests() -> int:
    """Every 15 minutes (beat): escalate open requests past their due time."""
    return services.requests_escalate()


@shared_task
def notify_due_soon_requests() -> int:
    """Every 15 minutes (beat): tell who handles an open request that it is due soon."""
    return services.requests_due_soon()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def hotline_import_run(self, import_id: int) -> str:
    """Check and write one queued 12345 import (all rows or none). ``acks_late``: a killed
    worker's message is redelivered with the same id, which may take the job back."""
    return services_hotline.hotline_import_run(import_id, claim=self.request.id or "eager")


@shared_task(bind=True, max_retries=3)
def mail_notifications(self, notification_ids: list[int]) -> int:
    """Send the e-mail copies of these notifications (each once); retried on a mail error."""
    try:
        return services_mail.notifications_mail(notification_ids=notification_ids)
    except OSError as exc:  # SMTP unreachable: try again in a minute
        raise self.retry(exc=exc, countdown=60) from exc
