"""Writes of the board: alerts (refresh, acknowledge), the environment renovation a
street office records, and its collection target. Each validates first and raises a
Django ``ValidationError`` with a specific message inside one transaction, and is
audited with ``portal.audit.audit_record``."""

from .alerts import RefreshResult, alert_acknowledge, alerts_refresh
from .records import collection_target_set, renovation_record

__all__ = [
    "RefreshResult",
    "alert_acknowledge",
    "alerts_refresh",
    "collection_target_set",
    "renovation_record",
]
