"""Kept turnout counters (issue 10 leftovers): after any sequence of online votes, proxy
votes, paper keyings (confirmed, or mismatched then resolved), changed ballots and the
historical import, the kept rows equal a recount from the roll and the ballots, and the
turnout page's figures equal the plain SQL aggregation they replaced; the freeze writes
them; ``turnout_counts_rebuild --check`` finds a difference and the rebuild repairs it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from households.models import AreaSource, Ownership, Unit
from portal.models import Role
from tests.factories import make_member
from voting import selectors, services, turnout
from voting.models import Decision, TurnoutCount
from voting.services import turnout_counts

from .helpers import make_decision

pytestmark = pytest.mark.django_db

# Items as make_decision takes them: (category, building numbers or None).
LAYOUTS = [
    ((4, None), (7, ["1"])),  # the whole compound, and one building
    ((4, ["1", "2"]), (7, ["2"])),  # every item limited: the decision's scope is 1 and 2
    ((4, None),),
]

VOTERS = st.integers(0, 40)
CHOICES = st.sampled_from(["agree", "disagree", "abstain"])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("online"), VOTERS, CHOICES, st.booleans()),
        st.tuples(st.just("paper"), VOTERS, CHOICES, st.booleans()),
        st.tuples(st.just("proxy"), VOTERS, CHOICES),
        st.tuples(st.just("import"), st.lists(VOTERS, min_size=1, max_size=3), CHOICES),
    ),
    min_size=1,
    max_size=10,
)


def _irregular_register(cast) -> None:
    """The home compound (2 buildings × 3 units) made harder to count: a third building,
    a voter holding flats in two buildings, co-owners voting through a representative, a
    unit without an owner and one without a known area."""
    compound = cast.compound
    third = compound.buildings.create(number="3", kind="low_rise", floors=6, sort_key=3)
    first = compound.buildings.get(number="1")
    for number, area in (("1-101", Decimal("70.25")), ("1-1001", None), ("2-201", Decimal("45"))):
        Unit.objects.create(
            compound=compound,
            building=third,
            number=number,
            floor_area=area,
            area_source=AreaSource.REGISTERED,
        )
    owner_11 = compound.owners.get(name="业主-home-1-1")
    owner_12 = compound.owners.get(name="业主-home-1-2")
    # 业主-home-1-1 also holds 3号楼 1-101; 3号楼 2-201 is held by 1-2 with 1-1 (co-owners).
    Ownership.objects.create(
        compound=compound,
        unit=third.units.get(number="1-101"),
        owner=owner_11,
        valid_from=dt.date(2020, 1, 1),
    )
    for owner, representative in ((owner_12, True), (owner_11, False)):
        Ownership.objects.create(
            compound=compound,
            unit=third.units.get(number="2-201"),
            owner=owner,
            is_representative=representative,
            valid_from=dt.date(2020, 1, 1),
        )
    # 3号楼 1-1001 stays without an owner; 1号楼 0301 has no known area.
    first.units.filter(number="0301").update(floor_area=None)
    for n, owner in enumerate(compound.owners.filter(user__isnull=True).order_by("pk")):
        owner.user = User.objects.create_user(f"voter{n}")
        owner.save(update_fields=["user"])


def _voters(decision: Decision) -> list:
    return list(decision.roll.filter(owner__isnull=False).select_related("owner").order_by("pk"))


def _choices(decision, entry, choice: str, *, all_items: bool = True) -> dict[int, str]:
    """A choice on every item the voter may vote on (or just the first of them)."""
    held = set(entry.units.values_list("building_id", flat=True))
    items = [
        item
        for item in decision.items.prefetch_related("scope_rows").order_by("position")
        if not item.scope_rows.all() or held & {r.building_id for r in item.scope_rows.all()}
    ]
    return {item.pk: choice for item in (items if all_items else items[:1])}


def _apply(decision: Decision, members: list[User], op: tuple) -> None:
    voters = _voters(decision)
    kind = op[0]
    try:
        with transaction.atomic():
            if kind == "online":
                _n, index, choice, all_items = op
                entry = voters[index % len(voters)]
                services.ballot_cast(
                    decision=decision,
                    entry=entry,
                    user=entry.owner.user,
                    choices=_choices(decision, entry, choice, all_items=all_items),
                )
            elif kind == "paper":
                _n, index, choice, agree = op
                entry = voters[index % len(voters)]
                choices = _choices(decision, entry, choice)
                other = dict.fromkeys(choices, "spoiled")
                for member, keyed in (
                    (members[0], choices),
                    (members[1], choices if agree else other),
                ):
                    services.paper_entry_record(
                        decision=decision,
                        ballot_code=entry.ballot_code,
                        actor=member,
                        choices=keyed,
                    )
                if not agree:
                    services.paper_entry_resolve(
                        decision=decision, entry=entry, actor=members[0], choices=choices
                    )
            elif kind == "proxy":
                _n, index, choice = op
                entry = voters[index % len(voters)]
                holder = voters[(index + 1) % len(voters)].owner.user
                services.proxy_register(
                    decision=decision,
                    entry=entry,
                    actor=members[0],
                    holder_name="受托人",
                    holder_user=holder,
                    authorisation=SimpleUploadedFile("a.pdf", b"%PDF-1.4", "application/pdf"),
                )
                services.ballot_cast(
                    decision=decision,
                    entry=entry,
                    user=holder,
                    choices=_choices(decision, entry, choice),
                )
                # The owner then votes in person: their ballots replace the proxy's (no
                # new vote).
                services.ballot_cast(
                    decision=decision,
                    entry=entry,
                    user=entry.owner.user,
                    choices=_choices(decision, entry, "agree"),
                )
            elif kind == "import":
                _n, indexes, choice = op
                services.paper_ballots_import(
                    decision=decision,
                    actor=members[0],
                    choices_by_entry={voters[i % len(voters)].pk: choice for i in indexes},
                    at=decision.voting_opens_at + dt.timedelta(hours=1),
                )
    except ValidationError:
        pass  # refused (already voted, a proxy in place, …): nothing half-written


def _scopes(decision: Decision) -> list[selectors.TurnoutScope]:
    return [selectors.turnout_scope(decision)] + [
        selectors.turnout_scope(decision, item) for item in decision.items.order_by("position")
    ]


def assert_kept_equals_recount(decision: Decision) -> None:
    assert turnout.kept_counts(decision.pk) == turnout.recount(decision.pk)


def assert_pages_equal_plain_sql(decision: Decision) -> None:
    """What the turnout page reads from the kept rows equals the SQL aggregation over the
    roll it replaced, and its unit counts the COUNT of the list they stand for."""
    for scope in _scopes(decision):
        kept = selectors.kept_turnout(decision, scope)
        assert kept is not None
        assert kept.rows == selectors._live_turnout_by_building(decision, scope)
        assert kept.summary == selectors._live_turnout_summary(decision, scope)
        for voted in ("", "yes", "no"):
            counted = [
                (b, selectors.turnout_units(decision, scope, building_id=b, voted=voted).count())
                for b, _label, _counts in kept.buildings
            ]
            assert kept.unit_counts(voted=voted) == counted


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(layout=st.sampled_from(LAYOUTS), operations=OPERATIONS)
def test_kept_turnout_equals_a_recount_after_any_sequence(cast, layout, operations):
    with transaction.atomic():
        _irregular_register(cast)
        members = [
            cast.committee,
            make_member("committee2", Role.COMMITTEE_MEMBER, compound=cast.compound),
        ]
        decision = make_decision(cast, items=layout, allow_changes_until_close=True)
        assert_kept_equals_recount(decision)
        for op in operations:
            _apply(decision, members, op)
            assert_kept_equals_recount(decision)
        assert_pages_equal_plain_sql(decision)
        transaction.set_rollback(True)


def test_the_freeze_writes_the_rolls_figures_per_building_and_scope(cast):
    _irregular_register(cast)
    decision = make_decision(cast, items=LAYOUTS[0], state="announced")
    kept = turnout.kept_counts(decision.pk)
    assert kept == turnout.recount(decision.pk)
    whole, building_one = decision.items.order_by("position")
    third = cast.compound.buildings.get(number="3")
    # 3号楼: three units; voters 1-1 (with 1号楼 0101), 1-2 with 1-1 (co-owners), none.
    assert kept[(None, third.pk)] == turnout.Counts(
        units=3, voters=3, area=7025 + 4500, ownerless=1
    )
    total = kept[(None, None)]
    assert (total.units, total.ownerless, total.voted_voters) == (9, 1, 0)
    assert total.voters == decision.roll.count() == 8  # 1-1 holds two units: one voter
    assert total.area == 5 * 6050 + 7025 + 4500  # 1号楼 0301's area is unknown: 0
    # The building-scoped item counts only 1号楼's units (1-1's 3号楼 flat is outside).
    assert {k for k in kept if k[0] == building_one.pk} == {
        (building_one.pk, None),
        (building_one.pk, cast.compound.buildings.get(number="1").pk),
    }
    assert kept[(whole.pk, None)] == total


def test_a_vote_adds_to_its_buildings_and_the_totals_once(cast):
    _irregular_register(cast)
    decision = make_decision(cast, items=LAYOUTS[0])
    whole, building_one = decision.items.order_by("position")
    owner = cast.compound.owners.get(name="业主-home-1-1")  # 1号楼 0101 and 3号楼 1-101
    entry = decision.roll.get(owner=owner)
    services.ballot_cast(
        decision=decision, entry=entry, user=owner.user, choices={whole.pk: "agree"}
    )
    kept = turnout.kept_counts(decision.pk)
    one, three = (cast.compound.buildings.get(number=n).pk for n in ("1", "3"))
    assert kept[(None, one)].voted_voters == kept[(None, three)].voted_voters == 1
    assert kept[(None, None)].voted_voters == 1 and kept[(None, None)].voted_units == 2
    assert kept[(None, None)].voted_area == 6050 + 7025
    assert kept[(whole.pk, None)] == kept[(None, None)]
    assert kept[(building_one.pk, None)].voted_voters == 0  # no ballot on item 2 yet
    services.ballot_cast(
        decision=decision, entry=entry, user=owner.user, choices={building_one.pk: "agree"}
    )
    kept = turnout.kept_counts(decision.pk)
    assert kept[(building_one.pk, None)].voted_units == 1  # only 1号楼 0101 is in scope
    assert kept[(None, None)].voted_voters == 1  # the voter had voted already
    assert_kept_equals_recount(decision)


def test_a_refused_ballot_changes_no_counter(cast):
    decision = make_decision(cast)
    entry = decision.roll.get(owner__user=cast.resident)
    item = decision.items.get()
    services.ballot_cast(
        decision=decision, entry=entry, user=cast.resident, choices={item.pk: "agree"}
    )
    before = turnout.kept_counts(decision.pk)
    with pytest.raises(ValidationError):
        services.ballot_cast(
            decision=decision, entry=entry, user=cast.resident, choices={item.pk: "disagree"}
        )
    assert turnout.kept_counts(decision.pk) == before


def test_the_check_finds_a_difference_and_the_rebuild_repairs_it(cast, capsys):
    decision = make_decision(cast)
    call_command("turnout_counts_rebuild", "--check")
    assert "agree" in capsys.readouterr().out
    TurnoutCount.objects.filter(decision=decision, building__isnull=True, item__isnull=True).update(
        voted_voters=5
    )
    with pytest.raises(CommandError, match="differs from a recount in 1 rows"):
        call_command("turnout_counts_rebuild", "--check", "--compound", "home")
    assert "kept Counts(" in capsys.readouterr().err
    call_command("turnout_counts_rebuild", "--compound", "home")
    call_command("turnout_counts_rebuild", "--check")
    assert_kept_equals_recount(decision)
    with pytest.raises(CommandError, match="no compound"):
        call_command("turnout_counts_rebuild", "--compound", "nowhere")


def test_a_decision_without_kept_rows_is_recounted_live(cast):
    """Rows written past the services without a rebuild: the pages recount, votes leave
    the (absent) counters alone, and the rebuild writes them."""
    decision = make_decision(cast)
    TurnoutCount.objects.filter(decision=decision).delete()
    entry = decision.roll.get(owner__user=cast.resident)
    item = decision.items.get()
    services.ballot_cast(
        decision=decision, entry=entry, user=cast.resident, choices={item.pk: "agree"}
    )
    scope = selectors.turnout_scope(decision)
    assert selectors.kept_turnout(decision, scope) is None
    assert selectors.turnout_summary(decision, scope)["voted"] == 1
    assert not TurnoutCount.objects.filter(decision=decision).exists()
    turnout_counts.rebuild(decision)
    assert selectors.kept_turnout(decision, scope).summary["voted"] == 1


def test_the_migration_numbers_existing_rolls_and_counts_their_turnout(cast):
    """Decisions announced before the counters existed: the data migration gives each
    roll unit the position the freeze gives now and writes the kept turnout."""
    from importlib import import_module

    from django.apps import apps

    from voting.models import RollUnit

    migration = import_module("voting.migrations.0006_turnout_counts_and_unit_positions")
    _irregular_register(cast)
    decision = make_decision(cast, items=LAYOUTS[0])
    entry = decision.roll.get(owner__user=cast.resident)
    services.ballot_cast(
        decision=decision,
        entry=entry,
        user=cast.resident,
        choices={decision.items.get(position=1).pk: "agree"},
    )
    frozen = dict(RollUnit.objects.values_list("pk", "position"))
    counted = turnout.kept_counts(decision.pk)
    RollUnit.objects.update(position=0)
    TurnoutCount.objects.all().delete()
    migration.positions_and_counts(apps, None)
    assert dict(RollUnit.objects.values_list("pk", "position")) == frozen
    assert sorted(frozen.values()) == list(range(1, len(frozen) + 1))
    assert turnout.kept_counts(decision.pk) == counted == turnout.recount(decision.pk)
    assert counted[(None, None)].voted_voters == 1
