"""Recording money exactly once under an idempotency key, when two identical requests race.

Both requests miss the first look-up of their key. The one that loses then either
collides on the key's unique constraint or, having waited for the winner's row locks,
finds the money already moved and fails a check. Either way it undoes its own work (a
savepoint) and looks the key up again: the winner's entry, recorded with the same
fingerprint, is its answer (a replay). A different request under that key is refused by
the look-up, and any other failure stands. Used by the fee payments and refunds and by the
works receipts and refunds.
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

T = TypeVar("T")


def insert_or_replay(insert: Callable[[], T], replay: Callable[[], T | None]) -> T:
    """``insert()`` (the checks, the insert and what follows from it) in a savepoint; when
    it fails on a check or the key, ``replay()`` (the entry already recorded under the
    key, or None) answers instead, or the failure stands."""
    try:
        with transaction.atomic():
            return insert()
    except (ValidationError, IntegrityError):
        found = replay()
        if found is None:
            raise
        return found
