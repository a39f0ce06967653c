"""The procedure, ballots, paper double entry and proxies, with every refusal."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from households.models import Owner, Ownership
from portal.audit import audit_verify
from portal.models import AuditEntry
from voting import rules, selectors, services
from voting.models import (
    Ballot,
    Channel,
    Decision,
    DecisionState,
    Item,
    PaperEntry,
    PaperEntryStatus,
    Proxy,
    StateChange,
)

from .helpers import close, make_decision, resident_of


def entry_of(decision, user):
    return selectors.roll_entries_for_user(decision, user).get()


def cast_online(decision, user, choice="agree", **kw):
    entry = entry_of(decision, user)
    return services.ballot_cast(
        decision=decision,
        entry=entry,
        user=user,
        choices={i.pk: choice for i in decision.items.all()},
        **kw,
    )


# --- procedure -----------------------------------------------------------------------------


def test_full_procedure_records_every_state_change_with_who_and_when(cast):
    decision = make_decision(cast)
    cast_online(decision, cast.resident)
    close(decision, cast)
    services.decision_count(
        decision=decision,
        actor=cast.committee,
        counting_date=dt.date.today(),
        counting_place="居委会会议室",
        counters="甲、乙、丙",
        notary_office="北京市海淀区公证处",
        public_counting=True,
    )
    decision = services.decision_publish(decision=decision, actor=cast.committee)
    assert decision.state == DecisionState.PUBLISHED and decision.published_at
    changes = list(StateChange.objects.filter(decision=decision).values_list("to_state", "actor"))
    assert changes == [
        ("announced", cast.committee.pk),
        ("open", cast.committee.pk),
        ("closed", cast.committee.pk),
        ("counted", cast.committee.pk),
        ("published", cast.committee.pk),
    ]
    assert len(decision.ballot_set_sha256) == 64
    assert decision.tally_snapshot["items"][0]["participating_owners"] == 1
    assert audit_verify() is None


def test_announcement_needs_fifteen_days_before_voting(cast):
    now = timezone.now()
    decision = make_decision(cast, state="draft")
    Decision.objects.filter(pk=decision.pk).update(
        voting_opens_at=now + dt.timedelta(days=15) - dt.timedelta(seconds=1),
        voting_closes_at=now + dt.timedelta(days=30),
    )
    with pytest.raises(ValidationError, match="15日"):
        services.decision_announce(decision=decision, actor=cast.committee, at=now)
    decision.refresh_from_db()
    assert decision.state == DecisionState.DRAFT and not decision.roll.exists()
    Decision.objects.filter(pk=decision.pk).update(voting_opens_at=now + dt.timedelta(days=15))
    services.decision_announce(decision=decision, actor=cast.committee, at=now)  # exactly 15
    assert decision.roll.count() == 6


def test_item_added_after_announcement_is_refused(cast):
    decision = make_decision(cast, state="announced")
    with pytest.raises(ValidationError, match="不能再增加"):
        services.item_add(decision=decision, actor=cast.committee, title="临时动议", category=4)
    assert decision.items.count() == 1
    with pytest.raises(ValidationError):
        services.item_remove(item=decision.items.get(), actor=cast.committee)


def test_window_must_end_after_it_starts(cast):
    now = timezone.now()
    with pytest.raises(ValidationError, match="截止时间必须晚于"):
        services.decision_create(
            compound=cast.compound,
            actor=cast.committee,
            title="x",
            voting_opens_at=now,
            voting_closes_at=now,
        )
    assert not Decision.objects.exists()


def test_tally_of_an_unclosed_decision_is_refused(cast):
    decision = make_decision(cast)
    with pytest.raises(ValidationError, match="尚未结束"):
        services.decision_count(
            decision=decision,
            actor=cast.committee,
            counting_date=dt.date.today(),
            counting_place="x",
            counters="y",
        )
    decision.refresh_from_db()
    assert decision.state == DecisionState.OPEN and not decision.ballot_set_sha256


def test_voting_cannot_open_early_or_close_early(cast):
    decision = make_decision(cast, state="announced")
    with pytest.raises(ValidationError, match="未到"):
        services.decision_open(
            decision=decision,
            actor=cast.committee,
            at=decision.voting_opens_at - dt.timedelta(minutes=1),
        )
    services.decision_open(decision=decision, actor=cast.committee)
    with pytest.raises(ValidationError, match="不能提前结束"):
        services.decision_close(decision=decision, actor=cast.committee)


def test_publication_reminder_after_counting(cast):
    decision = make_decision(cast)
    close(decision, cast)
    decision = services.decision_count(
        decision=decision,
        actor=cast.committee,
        counting_date=dt.date.today(),
        counting_place="会议室",
        counters="甲、乙",
    )
    reminder = selectors.publication_reminder(decision)
    assert reminder.due_at == decision.counted_at + dt.timedelta(days=3)
    assert not reminder.overdue
    assert selectors.publication_reminder(
        decision, now=reminder.due_at + dt.timedelta(seconds=1)
    ).overdue


# --- the roll ------------------------------------------------------------------------------


def test_ownership_change_after_freeze_does_not_change_the_roll(cast):
    decision = make_decision(cast)
    ballots = cast_online(decision, cast.resident)
    # The resident sells after the announcement; the buyer is not on this roll.
    ownership = Ownership.objects.get(owner__user=cast.resident)
    ownership.valid_to = dt.date.today()
    ownership.save()
    buyer = Owner.objects.create(compound=cast.compound, name="新业主")
    Ownership.objects.create(
        compound=cast.compound, unit=ownership.unit, owner=buyer, valid_from=dt.date.today()
    )
    assert decision.roll.count() == 6
    assert Ballot.objects.get(pk=ballots[0].pk).choice == "agree"


# --- ballots -------------------------------------------------------------------------------


def test_ballot_outside_the_window_is_refused(cast):
    decision = make_decision(cast)
    with pytest.raises(ValidationError, match="已截止"):
        cast_online(decision, cast.resident, at=decision.voting_closes_at + dt.timedelta(seconds=1))
    with pytest.raises(ValidationError, match="尚未开始"):
        cast_online(decision, cast.resident, at=decision.voting_opens_at - dt.timedelta(seconds=1))
    assert not Ballot.objects.exists()
    announced = make_decision(cast, state="announced")
    with pytest.raises(ValidationError, match="不在投票期"):
        cast_online(announced, cast.resident)


def test_ballot_for_an_item_out_of_scope_is_refused(cast):
    decision = make_decision(cast, items=((4, None), (7, ["2"])))
    scoped = decision.items.get(position=2)
    entry = entry_of(decision, cast.resident)  # owns a unit in building 1
    with pytest.raises(ValidationError, match="不在表决范围内"):
        services.ballot_cast(
            decision=decision,
            entry=entry,
            user=cast.resident,
            choices={decision.items.get(position=1).pk: "agree", scoped.pk: "agree"},
        )
    assert not Ballot.objects.exists()  # the in-scope item was not saved either


def test_ballot_by_someone_not_on_the_roll_is_refused(cast):
    decision = make_decision(cast)
    someone_elses = decision.roll.exclude(owner__user=cast.resident).first()
    with pytest.raises(ValidationError, match="不在本次表决名册"):
        services.ballot_cast(
            decision=decision,
            entry=someone_elses,
            user=cast.resident,
            choices={decision.items.get().pk: "agree"},
        )
    with pytest.raises(ValidationError, match="不在本次表决名册"):
        services.ballot_cast(
            decision=decision,
            entry=999999,
            user=cast.resident,
            choices={decision.items.get().pk: "agree"},
        )
    assert not Ballot.objects.exists()


def test_second_ballot_is_refused(cast):
    decision = make_decision(cast)
    cast_online(decision, cast.resident, "agree")
    with pytest.raises(ValidationError, match="不能重复投票"):
        cast_online(decision, cast.resident, "disagree")
    assert list(Ballot.objects.values_list("choice", flat=True)) == ["agree"]


def test_changes_until_close_when_enabled_keep_the_last(cast):
    decision = make_decision(cast, allow_changes_until_close=True)
    first = cast_online(decision, cast.resident, "agree")[0]
    cast_online(decision, cast.resident, "disagree")
    ballot = Ballot.objects.get()
    assert ballot.choice == "disagree" and ballot.receipt_code == first.receipt_code
    assert AuditEntry.objects.filter(action="voting.ballot.change").count() == 1


def test_online_ballots_cannot_be_spoiled_or_unknown(cast):
    decision = make_decision(cast)
    with pytest.raises(ValidationError):
        cast_online(decision, cast.resident, "spoiled")
    with pytest.raises(ValidationError):
        cast_online(decision, cast.resident, "maybe")
    assert not Ballot.objects.exists()


# --- paper ballots -------------------------------------------------------------------------


def paper(decision, code, member, choice="agree"):
    return services.paper_entry_record(
        decision=decision,
        ballot_code=code,
        actor=member,
        choices={i.pk: choice for i in decision.items.all()},
    )


def test_double_entry_by_two_members_creates_the_ballot(cast, second_committee):
    decision = make_decision(cast)
    entry = decision.roll.get(number=3)
    first = paper(decision, entry.ballot_code.lower(), cast.committee)
    assert first.status == PaperEntryStatus.PENDING and not Ballot.objects.exists()
    paper(decision, entry.ballot_code, second_committee)
    ballot = Ballot.objects.get()
    assert (ballot.entry, ballot.channel, ballot.choice) == (entry, Channel.PAPER, "agree")
    assert set(PaperEntry.objects.values_list("status", flat=True)) == {"confirmed"}


def test_same_member_entering_twice_is_refused(cast):
    decision = make_decision(cast)
    code = decision.roll.get(number=3).ballot_code
    paper(decision, code, cast.committee)
    with pytest.raises(ValidationError, match="同一委员不能重复录入"):
        paper(decision, code, cast.committee)
    assert PaperEntry.objects.count() == 1 and not Ballot.objects.exists()


def test_paper_ballot_cannot_be_entered_twice(cast, second_committee, django_user_model):
    from portal.models import Role
    from tests.factories import make_member

    third = make_member("committee3", Role.COMMITTEE_MEMBER, compound=cast.compound)
    decision = make_decision(cast)
    code = decision.roll.get(number=3).ballot_code
    paper(decision, code, cast.committee)
    paper(decision, code, second_committee)
    with pytest.raises(ValidationError, match="不能重复录入"):
        paper(decision, code, third)
    assert Ballot.objects.count() == 1


def test_mismatch_goes_to_review_and_resolution_records_the_ballot(cast, second_committee):
    decision = make_decision(cast)
    entry = decision.roll.get(number=3)
    paper(decision, entry.ballot_code, cast.committee, "agree")
    paper(decision, entry.ballot_code, second_committee, "disagree")
    assert not Ballot.objects.exists()
    assert [p.entry for p in selectors.review_queue(decision)] == [entry, entry]
    with pytest.raises(ValidationError, match="复核"):
        paper(decision, entry.ballot_code, cast.officer)
    services.paper_entry_resolve(
        decision=decision,
        entry=entry,
        actor=cast.committee,
        choices={decision.items.get().pk: "disagree"},
    )
    assert Ballot.objects.get().choice == "disagree"
    assert not selectors.review_queue(decision).exists()
    assert AuditEntry.objects.filter(action="voting.paper.correction").count() == 1


def test_paper_entry_with_unknown_code_or_missing_item_is_refused(cast):
    decision = make_decision(cast, items=((4, None), (5, None)))
    with pytest.raises(ValidationError, match="不属于本次表决"):
        paper(decision, "NOPE", cast.committee)
    code = decision.roll.get(number=3).ballot_code
    with pytest.raises(ValidationError, match="请录入以下事项"):
        services.paper_entry_record(
            decision=decision,
            ballot_code=code,
            actor=cast.committee,
            choices={decision.items.get(position=1).pk: "agree"},
        )
    assert not PaperEntry.objects.exists()


def test_paper_ballot_of_an_online_voter_is_refused(cast, second_committee):
    decision = make_decision(cast)
    cast_online(decision, cast.resident)
    code = entry_of(decision, cast.resident).ballot_code
    with pytest.raises(ValidationError, match="已网上投票"):
        paper(decision, code, cast.committee)


def test_counting_waits_for_pending_paper_entries(cast):
    decision = make_decision(cast)
    paper(decision, decision.roll.get(number=3).ballot_code, cast.committee)
    close(decision, cast)
    with pytest.raises(ValidationError, match="待第二人录入"):
        services.decision_count(
            decision=decision,
            actor=cast.committee,
            counting_date=dt.date.today(),
            counting_place="x",
            counters="y",
        )


# --- proxies -------------------------------------------------------------------------------


def test_proxy_votes_and_owner_in_person_revokes_it(cast):
    decision = make_decision(cast)
    holder = resident_of(cast, "2", 1, "holder")
    entry = entry_of(decision, cast.resident)
    proxy = services.proxy_register(
        decision=decision,
        entry=entry,
        actor=cast.committee,
        holder_name="张三",
        holder_user=holder,
        authorisation=SimpleUploadedFile("auth.pdf", b"%PDF-1.4 signed", "application/pdf"),
    )
    assert entry in selectors.roll_entries_for_user(decision, holder)
    services.ballot_cast(
        decision=decision, entry=entry, user=holder, choices={decision.items.get().pk: "disagree"}
    )
    assert Ballot.objects.get().channel == Channel.PROXY
    cast_online(decision, cast.resident, "agree")
    proxy.refresh_from_db()
    assert proxy.revoked_at is not None
    ballot = Ballot.objects.get()
    assert (ballot.choice, ballot.channel) == ("agree", Channel.ONLINE)
    assert entry not in selectors.roll_entries_for_user(decision, holder)
    with pytest.raises(ValidationError):
        services.ballot_cast(
            decision=decision,
            entry=entry,
            user=holder,
            choices={decision.items.get().pk: "disagree"},
        )


def test_proxy_needs_an_authorisation_and_one_at_a_time(cast):
    decision = make_decision(cast)
    entry = entry_of(decision, cast.resident)
    with pytest.raises(ValidationError, match="授权委托书"):
        services.proxy_register(
            decision=decision,
            entry=entry,
            actor=cast.committee,
            holder_name="张三",
            authorisation=None,
        )
    services.proxy_register(
        decision=decision,
        entry=entry,
        actor=cast.committee,
        holder_name="张三",
        authorisation=SimpleUploadedFile("a.pdf", b"x"),
    )
    with pytest.raises(ValidationError, match="已有有效的委托"):
        services.proxy_register(
            decision=decision,
            entry=entry,
            actor=cast.committee,
            holder_name="李四",
            authorisation=SimpleUploadedFile("b.pdf", b"y"),
        )
    assert Proxy.objects.count() == 1


# --- the tally in SQL equals the pure count --------------------------------------------------


def test_sql_counts_equal_the_in_memory_count(cast, second_committee):
    decision = make_decision(cast, items=((4, None), (7, ["2"])))
    services.ballot_cast(
        decision=decision,
        entry=entry_of(decision, cast.resident),
        user=cast.resident,
        choices={decision.items.get(position=1).pk: "agree"},
    )
    for number, choice in [(4, "disagree"), (5, "abstain"), (6, "spoiled")]:
        code = decision.roll.get(number=number).ballot_code
        paper(decision, code, cast.committee, choice)
        paper(decision, code, second_committee, choice)
    voters = [
        rules.Voter(
            key=(e.pk,),
            representative_id=e.owner_id,
            units=tuple(rules.VoterUnit(u.unit_id, u.building_id, u.area) for u in e.units.all()),
        )
        for e in decision.roll.all()
    ]
    for item in decision.items.all():
        ballots = {(b.entry_id,): b.choice for b in item.ballots.all()}
        expected = rules.count_ballots(voters, ballots, selectors.item_scope(item))
        assert selectors.item_counts(item) == expected
    scoped = selectors.item_counts(decision.items.get(position=2))
    assert scoped.total == rules.Share(3, 3 * 6050)
    assert scoped.spoiled == rules.Share(1, 6050)


def test_tally_queries_do_not_grow_with_voters(cast, django_assert_num_queries):
    small = make_decision(cast, items=((4, None), (7, ["2"])))
    building = cast.compound.buildings.get(number="2")
    for n in range(30):
        unit = building.units.create(
            compound=cast.compound, number=f"9{n:02d}", floor_area="50.00", area_source="registered"
        )
        owner = Owner.objects.create(compound=cast.compound, name=f"新增{n}")
        Ownership.objects.create(
            compound=cast.compound, unit=unit, owner=owner, valid_from=dt.date(2020, 1, 1)
        )
    large = make_decision(cast, items=((4, None), (7, ["2"])))
    assert large.roll.count() == small.roll.count() + 30
    for decision in (small, large):
        # items, their scope rows, the scope buildings, then one query per item
        with django_assert_num_queries(5):
            selectors.decision_tally(decision)


def test_tampering_with_a_ballot_audit_row_is_detected(cast):
    decision = make_decision(cast)
    ballot = cast_online(decision, cast.resident, "agree")[0]
    row = AuditEntry.objects.get(action="voting.ballot.cast", object_id=str(ballot.pk))
    assert audit_verify() is None
    data = dict(row.data, choice="disagree")
    AuditEntry.objects.filter(pk=row.pk).update(data=data)
    broken = audit_verify()
    assert broken is not None and broken.entry_id == row.pk


def test_items_keep_their_category(cast):
    decision = make_decision(cast, items=((7, ["1"]),), state="draft")
    assert Item.objects.get(decision=decision).category == 7
    with pytest.raises(ValidationError, match="第1至第9类"):
        services.item_add(decision=decision, actor=cast.committee, title="x", category=10)
