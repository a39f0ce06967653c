"""Celery tasks of the agreements app: thin wrappers that take ids and call a service."""

from celery import shared_task

from . import services


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=10)
def render_agreement_pdf(self, agreement_id: int) -> bool:
    """Render the unsigned PDF (revision 0); routed to the ``pdf`` queue by its name."""
    try:
        return services.agreement_render(agreement_id=agreement_id)
    except OSError as exc:  # storage hiccup: try again
        raise self.retry(exc=exc) from exc


@shared_task
def expire_agreements() -> int:
    """Daily: effective agreements past their term become expired."""
    return services.agreements_expire()
