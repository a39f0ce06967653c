"""The hash-chained audit log: append with :func:`audit_record`, check with :func:`audit_verify`.

Every row's hash covers its content and the previous row's hash, so altering, inserting or
removing a row breaks the chain at that row. Appends are serialised by locking the chain's
tail (PostgreSQL ``SELECT … FOR UPDATE``; SQLite serialises writers anyway).
"""

import hashlib
import json
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone

from .models import AuditEntry, Compound

GENESIS_HASH = "0" * 64


def _entry_hash(previous_hash: str, payload: dict) -> str:
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((previous_hash + canonical).encode()).hexdigest()


def _payload(entry: AuditEntry) -> dict:
    return {
        "compound": entry.compound_id,
        "actor": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "data": entry.data,
        "created_at": entry.created_at.isoformat(),
    }


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor: AbstractBaseUser | None = None,
    compound: Compound | None = None,
    obj: models.Model | None = None,
    data: dict | None = None,
) -> AuditEntry:
    """Append one entry to the chain. ``data`` must be JSON-serialisable and must never
    hold ID numbers or private keys (the log is kept permanently)."""
    tail = AuditEntry.objects.select_for_update().order_by("-id").first()
    entry = AuditEntry(
        compound=compound,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data or {},
        created_at=timezone.now(),
        previous_hash=tail.entry_hash if tail else GENESIS_HASH,
    )
    # Round-trip through JSON so the hash is of what the database will hand back.
    entry.data = json.loads(json.dumps(entry.data, ensure_ascii=False, default=str))
    entry.entry_hash = _entry_hash(entry.previous_hash, _payload(entry))
    entry.save()
    return entry


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    reason: str


def audit_verify(batch_size: int = 5000) -> ChainBreak | None:
    """Walk the whole chain; return the first broken link, or None when intact."""
    expected_previous = GENESIS_HASH
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size):
        if entry.previous_hash != expected_previous:
            return ChainBreak(entry.id, "previous_hash does not match the preceding entry")
        if _entry_hash(entry.previous_hash, _payload(entry)) != entry.entry_hash:
            return ChainBreak(entry.id, "content does not match its hash")
        expected_previous = entry.entry_hash
    return None
