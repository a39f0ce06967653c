"""The hash-chained audit log: append with :func:`audit_record`, check with :func:`audit_verify`.

Every row's hash covers its content and the previous row's hash, so altering, inserting or
removing a row breaks the chain at that row. Appends are serialised by locking the chain's
tail (PostgreSQL ``SELECT … FOR UPDATE``; SQLite serialises writers anyway).

The chain alone can be rewritten by anyone who can write the table: alter a row, recompute
every hash after it, or cut the last rows off. Two anchors outside the table's reach stop
that. Every row also carries an HMAC of its hash under ``AUDIT_HMAC_KEY``, a secret kept
out of the database, so a rewritten row cannot be re-signed. And a signed checkpoint of the
log's length and head hash is written about every ``AUDIT_CHECKPOINT_EVERY`` entries and
daily (beat, :func:`audit_checkpoint`), in its own table and, when ``AUDIT_CHECKPOINT_DIR``
is set, appended to a file outside the database: a log shorter than a checkpoint, or with
another head, was cut. Entries after the last checkpoint can still be cut unseen.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone

from .models import AuditCheckpoint, AuditEntry, Compound

CHECKPOINT_FILE = "audit-checkpoints.jsonl"

GENESIS_HASH = "0" * 64


def _entry_hash(previous_hash: str, payload: dict) -> str:
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((previous_hash + canonical).encode()).hexdigest()


def _mac(message: str) -> str:
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def _checkpoint_mac(count: int, head_id: int, head_hash: str, created_at: datetime) -> str:
    # The same message as the migration that signed the entries older than the HMAC.
    return _mac(f"checkpoint:{count}:{head_id}:{head_hash}:{created_at.isoformat()}")


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
    tail = AuditEntry.objects.select_for_update(of=("self",)).order_by("-id").first()
    entry = AuditEntry(
        compound=compound,
        actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
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
    entry.mac = _mac(entry.entry_hash)
    entry.save()
    # By id, not by a COUNT(*) per append: an id lost to a rollback skips one checkpoint,
    # and the daily one still comes.
    if entry.pk % settings.AUDIT_CHECKPOINT_EVERY == 0:
        audit_checkpoint()
    return entry


@transaction.atomic
def audit_record_many(
    *,
    action: str,
    actor: AbstractBaseUser | None = None,
    compound: Compound | None = None,
    entries: Iterable[tuple[models.Model, dict]],
) -> int:
    """Append one entry per ``(obj, data)``, in order, exactly as :func:`audit_record` would
    one call at a time (the same chain, hashes and HMACs), in one locked append and a bulk
    insert: an import of thousands of rows audits each row without a query per row. A
    checkpoint is written after the batch when its ids pass a multiple of
    ``AUDIT_CHECKPOINT_EVERY``. Returns the number of entries."""
    tail = AuditEntry.objects.select_for_update(of=("self",)).order_by("-id").first()
    previous_hash = tail.entry_hash if tail else GENESIS_HASH
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    rows = []
    for obj, data in entries:
        entry = AuditEntry(
            compound=compound,
            actor_id=actor_id,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            data=json.loads(json.dumps(data, ensure_ascii=False, default=str)),
            created_at=timezone.now(),
            previous_hash=previous_hash,
        )
        entry.entry_hash = _entry_hash(entry.previous_hash, _payload(entry))
        entry.mac = _mac(entry.entry_hash)
        previous_hash = entry.entry_hash
        rows.append(entry)
    if not rows:
        return 0
    # One INSERT per batch: the ids follow the list's order, so the chain runs by id.
    AuditEntry.objects.bulk_create(rows, batch_size=500)
    every = settings.AUDIT_CHECKPOINT_EVERY
    last_id = rows[-1].pk or AuditEntry.objects.order_by("-id").values_list("id", flat=True)[0]
    first_id = last_id - len(rows) + 1
    if last_id // every > (first_id - 1) // every:
        audit_checkpoint()
    return len(rows)


@transaction.atomic
def audit_checkpoint() -> AuditCheckpoint | None:
    """Sign the log's current length and head; None while the log is empty. The file copy
    is appended only once the transaction commits, so it never names a rolled-back row."""
    head = AuditEntry.objects.select_for_update(of=("self",)).order_by("-id").first()
    if head is None:
        return None
    count = AuditEntry.objects.filter(id__lte=head.id).count()
    created_at = timezone.now()
    checkpoint = AuditCheckpoint.objects.create(
        entry_count=count,
        head_id=head.id,
        head_hash=head.entry_hash,
        created_at=created_at,
        mac=_checkpoint_mac(count, head.id, head.entry_hash, created_at),
    )
    if settings.AUDIT_CHECKPOINT_DIR:
        transaction.on_commit(lambda: _append_to_file(checkpoint))
    return checkpoint


def _append_to_file(checkpoint: AuditCheckpoint) -> None:
    folder = Path(settings.AUDIT_CHECKPOINT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {
            "entry_count": checkpoint.entry_count,
            "head_id": checkpoint.head_id,
            "head_hash": checkpoint.head_hash,
            "created_at": checkpoint.created_at.isoformat(),
            "mac": checkpoint.mac,
        }
    )
    with open(folder / CHECKPOINT_FILE, "a", encoding="utf-8") as file:
        file.write(line + "\n")


def _checkpoints() -> list[AuditCheckpoint]:
    """The table's checkpoints and those of the file outside the database, if any."""
    found = list(AuditCheckpoint.objects.order_by("id"))
    if settings.AUDIT_CHECKPOINT_DIR:
        path = Path(settings.AUDIT_CHECKPOINT_DIR) / CHECKPOINT_FILE
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    row["created_at"] = datetime.fromisoformat(row["created_at"])
                    found.append(AuditCheckpoint(**row))
    return found


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    reason: str


def audit_verify(batch_size: int = 5000) -> ChainBreak | None:
    """Walk the whole chain and hold it against every checkpoint; return the first
    problem found, or None when the log is intact."""
    checkpoints = _checkpoints()
    for checkpoint in checkpoints:
        expected = _checkpoint_mac(
            checkpoint.entry_count, checkpoint.head_id, checkpoint.head_hash, checkpoint.created_at
        )
        if not hmac.compare_digest(expected, checkpoint.mac):
            return ChainBreak(checkpoint.head_id, "a checkpoint's signature does not match")
    heads = {checkpoint.head_id for checkpoint in checkpoints}
    seen: dict[int, tuple[int, str]] = {}  # head id -> (position in the log, hash)

    expected_previous = GENESIS_HASH
    entries = AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size)
    for position, entry in enumerate(entries, start=1):
        if entry.previous_hash != expected_previous:
            return ChainBreak(entry.id, "previous_hash does not match the preceding entry")
        if _entry_hash(entry.previous_hash, _payload(entry)) != entry.entry_hash:
            return ChainBreak(entry.id, "content does not match its hash")
        if not hmac.compare_digest(_mac(entry.entry_hash), entry.mac):
            return ChainBreak(entry.id, "HMAC does not match: rewritten without the key")
        if entry.id in heads:
            seen[entry.id] = (position, entry.entry_hash)
        expected_previous = entry.entry_hash

    for checkpoint in checkpoints:
        if seen.get(checkpoint.head_id) != (checkpoint.entry_count, checkpoint.head_hash):
            return ChainBreak(
                checkpoint.head_id,
                f"the log does not reach its checkpoint of {checkpoint.created_at:%Y-%m-%d %H:%M}"
                f" ({checkpoint.entry_count} entries up to #{checkpoint.head_id}):"
                " entries were removed",
            )
    return None
