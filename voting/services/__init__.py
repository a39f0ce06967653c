"""Writes of the voting app: the procedure, the roll, ballots, paper entries, proxies.

Each function is atomic and checks everything before it writes, so a refused action leaves
nothing behind; every consequential write is appended to the hash-chained audit log.

The writes live in modules by topic; this package re-exports them, so callers keep writing
``from voting import services`` and ``services.ballot_cast(...)``:

- ``decisions``: decisions and items while a draft; announce, open, close, count, publish
- ``roll``: freezing the voter roll (表决名册) at the announcement
- ``ballots``: online ballots and the one writer of every ballot (with its receipt)
- ``paper``: paper ballots keyed twice, the review queue, the historical import
- ``proxies``: registering and revoking proxy votes (委托投票)
- ``reports``: the tally report PDF, requested on a page and rendered by a task
- ``_common``: private helpers (time, actor, the decision and roll-row locks)
"""

from .ballots import ballot_cast
from .decisions import (
    ITEMS_LOCKED,
    NOTICE_PERIOD,
    PUBLICATION_PERIOD,
    decision_announce,
    decision_close,
    decision_count,
    decision_create,
    decision_open,
    decision_publish,
    decision_update,
    item_add,
    item_remove,
)
from .paper import paper_ballots_import, paper_entry_record, paper_entry_resolve
from .proxies import proxy_holder_find, proxy_register, proxy_revoke
from .reports import ReportBusy, tally_report_failed, tally_report_render, tally_report_request
from .roll import roll_freeze

__all__ = [
    "ITEMS_LOCKED",
    "NOTICE_PERIOD",
    "PUBLICATION_PERIOD",
    "ReportBusy",
    "ballot_cast",
    "decision_announce",
    "decision_close",
    "decision_count",
    "decision_create",
    "decision_open",
    "decision_publish",
    "decision_update",
    "item_add",
    "item_remove",
    "paper_ballots_import",
    "paper_entry_record",
    "paper_entry_resolve",
    "proxy_holder_find",
    "proxy_register",
    "proxy_revoke",
    "roll_freeze",
    "tally_report_failed",
    "tally_report_render",
    "tally_report_request",
]
