from celery import shared_task

from . import audit
from .audit import audit_record


@shared_task
def worker_heartbeat(token: str) -> str:
    """Proves a worker reaches the broker and the database (used by the real-mode test)."""
    audit_record(action="worker.heartbeat", data={"token": token})
    return token


@shared_task
def audit_checkpoint() -> int | None:
    """Daily (beat): sign the audit log's length and head, so a later cut shows."""
    checkpoint = audit.audit_checkpoint()
    return checkpoint.pk if checkpoint else None


@shared_task
def export_list(export_id: int) -> str:
    """Write a background list export's workbook (``portal.exports``)."""
    from .exports import run_export

    return run_export(export_id)


@shared_task
def expire_exports() -> int:
    """Hourly (beat): delete list exports past their expiry, with their files."""
    from .exports import expire_exports as expire

    return expire()
