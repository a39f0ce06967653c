import pytest
from django.core.management import CommandError, call_command

from portal.audit import audit_record, audit_verify
from portal.models import AuditEntry


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
