from celery import shared_task

from .audit import audit_record


@shared_task
def worker_heartbeat(token: str) -> str:
    """Proves a worker reaches the broker and the database (used by the real-mode test)."""
    audit_record(action="worker.heartbeat", data={"token": token})
    return token
