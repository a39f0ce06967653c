"""Writes of the fees app: standards, billing runs, payments, refunds and reminders.

Each service validates everything first and raises a Django ``ValidationError`` with a
specific message, inside ``transaction.atomic``, so bad input leaves nothing half-saved.

The code lives in one module per topic; this package re-exports the names callers use, so
``from fees import services; services.billing_run_create(...)`` keeps working. To patch a
name in a test, patch it in the module that uses it (``fees.services.notices.X``): a patch
of the re-exported name here would not reach the code.

- ``standards``: fee standards and subsidy payers
- ``billing``: billing runs, charges, area-correction adjustments
- ``payments``: payments, refunds, idempotency keys, credit
- ``reminders``: the CC 944 arrears ladder
- ``notices``: notice print jobs per building (chunks) and their rendering
"""

from .billing import (
    BLOCK_REASON_LABELS,
    DEFAULT_MAX_MONTHS_AHEAD,
    MAX_RUN_MONTHS,
    BillingOutcome,
    BlockReason,
    billing_run_create,
)
from .notices import (
    NoticeJobState,
    notice_chunk_heartbeat,
    notice_chunk_render,
    notice_chunks_enqueue,
    notice_chunks_requeue_stalled,
    notice_chunks_to_queue,
    notice_claim_lease,
    notice_job_state,
    notices_start,
)
from .payments import _fingerprint, payment_record, refund_record, unit_credit
from .reminders import (
    DEMAND_AFTER_REMINDER_DAYS,
    DEMAND_RESPONSE_DAYS,
    compound_reminder_steps,
    reminder_next_kind,
    reminder_step_record,
    unit_outstanding,
)
from .standards import ShareInput, fee_standard_create

__all__ = [
    "BLOCK_REASON_LABELS",
    "DEFAULT_MAX_MONTHS_AHEAD",
    "DEMAND_AFTER_REMINDER_DAYS",
    "DEMAND_RESPONSE_DAYS",
    "MAX_RUN_MONTHS",
    "BillingOutcome",
    "BlockReason",
    "NoticeJobState",
    "ShareInput",
    "_fingerprint",  # fees.demo builds its payments' fingerprints the same way
    "billing_run_create",
    "compound_reminder_steps",
    "fee_standard_create",
    "notice_chunk_heartbeat",
    "notice_chunk_render",
    "notice_chunks_enqueue",
    "notice_chunks_requeue_stalled",
    "notice_chunks_to_queue",
    "notice_claim_lease",
    "notice_job_state",
    "notices_start",
    "payment_record",
    "refund_record",
    "reminder_next_kind",
    "reminder_step_record",
    "unit_credit",
    "unit_outstanding",
]
