"""Thin Celery tasks of the tickets app."""

from celery import shared_task

from . import services


@shared_task
def escalate_overdue_requests() -> int:
    """Every 15 minutes (beat): escalate open requests past their due time."""
    return services.requests_escalate()
