import pytest
from django.core.management import CommandError, call_command

from portal.audit import audit_checkpoint, audit_record, audit_verify
from portal.models import AuditCheckpoint, AuditEntry


@pytest.fixture
def chain(cast):
    return [
        audit_record(
            action="test.step", actor=cast.committee, compound=cast.compound, data={"n": n}
        )
        for n in range(5)
    ]


def test_intact_chain_verifies(chain):
    assert audit_verify() is None
    call_command("verify_audit")


def test_altered_row_is_reported_at_that_row(chain):
    AuditEntry.objects.filter(pk=chain[2].pk).update(data={"n": 99})
    broken = audit_verify()
    assert broken is not None and broken.entry_id == chain[2].pk
    with pytest.raises(CommandError, match=f"#{chain[2].pk}"):
        call_command("verify_audit")


def test_removed_row_breaks_the_next_link(chain):
    AuditEntry.objects.filter(pk=chain[1].pk).delete()
    broken = audit_verify()
    assert broken is not None and broken.entry_id == chain[2].pk


# --- anchors outside the table: the HMAC and the checkpoints ---------------------------


def _rewrite_forward_from(entry_id: int, data: dict) -> None:
    """What someone with write access to the table but not the key can do: alter one entry
    and recompute every hash after it, so the plain chain is consistent again."""
    from portal.audit import _entry_hash, _payload

    previous = None
    for entry in AuditEntry.objects.filter(id__gte=entry_id).order_by("id"):
        if entry.id == entry_id:
            entry.data = data
        if previous is not None:
            entry.previous_hash = previous
        entry.entry_hash = _entry_hash(entry.previous_hash, _payload(entry))
        AuditEntry.objects.filter(pk=entry.pk).update(
            data=entry.data, previous_hash=entry.previous_hash, entry_hash=entry.entry_hash
        )
        previous = entry.entry_hash


def test_rewriting_the_chain_forward_without_the_key_is_detected(chain):
    _rewrite_forward_from(chain[2].pk, {"n": 99})
    broken = audit_verify()
    assert broken is not None and broken.entry_id == chain[2].pk
    assert "HMAC" in broken.reason
    with pytest.raises(CommandError, match="HMAC"):
        call_command("verify_audit")


def test_each_entry_carries_an_hmac_that_depends_on_the_key(chain, settings):
    assert all(len(entry.mac) == 64 for entry in AuditEntry.objects.all())
    settings.AUDIT_HMAC_KEY = "another key entirely, not the one the log was signed with"
    broken = audit_verify()
    assert broken is not None and broken.entry_id == chain[0].pk


def test_cutting_the_last_entries_off_is_detected_by_the_checkpoint(chain):
    audit_checkpoint()
    AuditEntry.objects.filter(pk__in=[chain[3].pk, chain[4].pk]).delete()
    broken = audit_verify()
    assert broken is not None and "removed" in broken.reason
    with pytest.raises(CommandError, match="removed"):
        call_command("verify_audit")


def test_a_checkpoint_is_written_every_n_entries(cast, settings):
    settings.AUDIT_CHECKPOINT_EVERY = 1
    entry = audit_record(action="test.step")
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.entry_count, checkpoint.head_id) == (1, entry.pk)
    assert checkpoint.head_hash == entry.entry_hash


def test_entries_after_the_checkpoint_may_follow_and_the_log_verifies(chain):
    audit_checkpoint()
    audit_record(action="test.later")
    assert audit_verify() is None


def test_a_forged_checkpoint_is_detected(chain):
    audit_checkpoint()
    AuditCheckpoint.objects.update(entry_count=3)
    broken = audit_verify()
    assert broken is not None and "signature" in broken.reason


def test_deleting_entries_and_the_checkpoint_rows_is_caught_by_the_file(
    chain, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        audit_checkpoint()
    assert (tmp_path / "audit-checkpoints.jsonl").read_text().count("\n") == 1
    AuditCheckpoint.objects.all().delete()
    AuditEntry.objects.filter(pk=chain[4].pk).delete()
    broken = audit_verify()
    assert broken is not None and "removed" in broken.reason


def test_the_daily_task_writes_a_checkpoint(chain):
    from portal.tasks import audit_checkpoint as task

    task.delay()
    assert AuditCheckpoint.objects.get().entry_count == len(chain)


def test_verify_audit_can_write_a_checkpoint(chain):
    call_command("verify_audit", "--checkpoint")
    assert AuditCheckpoint.objects.get().head_id == chain[-1].pk


def test_the_migration_signs_the_entries_written_before_the_hmac(chain):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("portal.migrations.0004_audit_hmac_and_checkpoints")
    AuditEntry.objects.update(mac="")  # as the entries stood before the migration
    assert audit_verify() is not None
    migration.sign_existing_entries(apps, None)
    assert audit_verify() is None
    assert AuditCheckpoint.objects.get().entry_count == len(chain)
