"""Celery tasks of the voting app: thin, take ids, idempotent."""

from celery import shared_task

from . import services


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=10)
def render_tally_report(self, decision_id: int) -> str:
    """Render the tally report PDF of one decision (queue ``pdf``)."""
    try:
        return services.tally_report_render(decision_id=decision_id)
    except services.ReportBusy:
        return ""
    except Exception as exc:  # retried, then marked failed by the service
        if self.request.retries >= self.max_retries:
            services.tally_report_failed(decision_id=decision_id)
            raise
        raise self.retry(exc=exc) from exc
