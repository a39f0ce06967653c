"""The historical import audits every ballot with its own chained entry, written in one
batch (portal.audit.audit_record_many): the chain verifies, tampering is caught, and the
checkpoint cadence still holds across the batch."""

import pytest

from portal.audit import audit_record, audit_verify
from portal.models import AuditCheckpoint, AuditEntry
from voting import services

from .helpers import make_decision


def _import(cast, decision) -> dict[int, str]:
    choices = {
        entry.pk: ("agree" if n % 3 else "disagree")
        for n, entry in enumerate(decision.roll.order_by("number"))
        if not entry.is_ownerless
    }
    services.paper_ballots_import(
        decision=decision,
        actor=cast.committee,
        choices_by_entry=choices,
        at=decision.voting_opens_at,
    )
    return choices


def test_each_imported_ballot_has_its_entry_and_the_chain_verifies(cast):
    decision = make_decision(cast, items=((4, None), (7, ["1"])))
    choices = _import(cast, decision)
    ballots = list(decision.ballots.select_related("entry").order_by("entry", "item"))
    assert len(ballots) > len(choices)  # building 1's voters have two ballots
    rows = {
        row.object_id: row
        for row in AuditEntry.objects.filter(action="voting.ballot.import").order_by("id")
    }
    assert set(rows) == {str(b.pk) for b in ballots}
    for ballot in ballots:
        row = rows[str(ballot.pk)]
        assert row.compound_id == cast.compound.pk and row.actor_id == cast.committee.pk
        assert row.object_type == "voting.ballot"
        assert row.data == {
            "decision": decision.pk,
            "item": ballot.item_id,
            "voter": ballot.entry.number,
            "choice": choices[ballot.entry_id],
            "channel": "paper",
            "receipt": ballot.receipt_code,
        }
    assert audit_verify() is None
    # The batch continues the chain: the next single entry links to its last row.
    audit_record(action="test.after_the_import", compound=cast.compound)
    assert audit_verify() is None
    last = AuditEntry.objects.order_by("-id")[0]
    assert last.previous_hash == AuditEntry.objects.order_by("-id")[1].entry_hash

    row = next(iter(rows.values()))
    AuditEntry.objects.filter(pk=row.pk).update(data=dict(row.data, choice="abstain"))
    broken = audit_verify()
    assert broken is not None and broken.entry_id == row.pk


@pytest.mark.parametrize("every", [1, 3])
def test_a_checkpoint_is_written_when_the_batch_passes_the_cadence(cast, settings, every):
    decision = make_decision(cast)
    settings.AUDIT_CHECKPOINT_EVERY = every  # the batch's ids pass a multiple of it
    assert len(_import(cast, decision)) >= every
    checkpoint = AuditCheckpoint.objects.get()  # one for the batch, after its last row
    head = AuditEntry.objects.order_by("-id").first()
    assert head.action == "voting.ballot.import"
    assert (checkpoint.head_id, checkpoint.head_hash) == (head.pk, head.entry_hash)
    assert checkpoint.entry_count == AuditEntry.objects.count()
    assert audit_verify() is None


def test_no_checkpoint_when_the_batch_stays_below_the_next_multiple(cast):
    _import(cast, make_decision(cast))  # the suite's cadence is 10**9
    assert not AuditCheckpoint.objects.exists()
