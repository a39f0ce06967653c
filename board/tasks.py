"""Thin Celery tasks of the board: the daily alert check (beat: ``board-alerts-daily``)."""

from celery import shared_task

from . import services


@shared_task
def refresh_alerts() -> dict[str, int]:
    """Every day: open, update and resolve every compound's alerts for today."""
    result = services.alerts_refresh()
    return {
        "compounds": result.compounds,
        "opened": len(result.opened),
        "updated": result.updated,
        "resolved": len(result.resolved),
    }
