"""The tally engine against the law's boundaries and a straightforward reference."""

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.rules import (
    Category,
    Choice,
    ItemCounts,
    RosterOwner,
    RosterUnit,
    Share,
    build_roll,
    count_ballots,
    meets,
    percent,
    tally,
)


def counts(total, agree=(0, 0), disagree=(0, 0), abstain=(0, 0), spoiled=(0, 0), unknown=0):
    return ItemCounts(
        total=Share(*total),
        agree=Share(*agree),
        disagree=Share(*disagree),
        abstain=Share(*abstain),
        spoiled=Share(*spoiled),
        unknown_area_units=unknown,
    )


# --- boundaries ---------------------------------------------------------------------------


def test_exactly_two_thirds_participation_passes_and_one_less_fails():
    at = tally(counts((300, 300), agree=(200, 200)), category=4).raw
    assert at.check("participation_owners").passed
    assert at.check("participation_area").passed
    below = tally(counts((300, 300), agree=(199, 199)), category=4).raw
    assert not below.check("participation_owners").passed
    assert not below.check("participation_area").passed
    assert not below.passed


def test_exactly_three_quarters_consent_passes_major_matters():
    for category in (6, 7, 8):
        at = tally(counts((4, 400), agree=(3, 300), disagree=(1, 100)), category=category).raw
        assert at.passed, category
        below = tally(
            counts((400, 40000), agree=(299, 29999), disagree=(101, 10001)), category=category
        ).raw
        assert not below.check("consent_owners").passed
        assert not below.check("consent_area").passed


def test_exactly_half_consent_is_not_a_majority():
    at_half = tally(counts((4, 400), agree=(2, 200), disagree=(2, 200)), category=4).raw
    assert not at_half.check("consent_owners").passed
    assert not at_half.check("consent_area").passed
    just_over = tally(counts((5, 500), agree=(3, 300), disagree=(2, 200)), category=4).raw
    assert just_over.passed


@pytest.mark.parametrize("category", [1, 2, 3, 4, 5, 9])
def test_ordinary_categories_need_more_than_half(category):
    result = tally(counts((10, 1000), agree=(6, 510), disagree=(4, 490)), category=category)
    assert result.passed
    assert result.raw.check("consent_owners").threshold_text == "> 1/2"


@pytest.mark.parametrize("category", [6, 7, 8])
def test_major_categories_need_three_quarters(category):
    result = tally(counts((10, 1000), agree=(6, 510), disagree=(4, 490)), category=category)
    assert not result.passed
    assert result.raw.check("consent_owners").threshold_text == "≥ 3/4"


def test_abstain_participates_but_does_not_consent():
    result = tally(counts((10, 1000), agree=(4, 400), abstain=(4, 400)), category=4).raw
    assert result.participating == Share(8, 800)
    assert result.consenting == Share(4, 400)
    assert not result.check("consent_owners").passed  # 4/8 is not more than half


def test_spoiled_ballots_follow_the_decision_setting_and_are_shown():
    base = counts((10, 1000), agree=(5, 500), disagree=(1, 100), spoiled=(2, 200))
    excluded = tally(base, category=4).raw
    assert excluded.participating == Share(6, 600)
    assert not excluded.check("participation_owners").passed  # 6/10 < 2/3
    assert excluded.spoiled == Share(2, 200)
    included = tally(base, category=4, spoiled_counts_as_participating=True).raw
    assert included.participating == Share(8, 800)
    assert included.check("participation_owners").passed
    assert included.check("consent_owners").ratio == Fraction(5, 8)


def test_non_voters_follow_the_majority_only_when_the_rules_say_so():
    base = counts((10, 1000), agree=(4, 400), disagree=(1, 100))
    plain = tally(base, category=4)
    assert plain.adjusted is None and not plain.passed
    ruled = tally(base, category=4, non_voters_follow_majority=True)
    assert not ruled.raw.passed  # the raw reading stays side by side
    assert ruled.adjusted.consenting == Share(9, 900)
    assert ruled.adjusted.participating == Share(10, 1000)
    assert ruled.adjusted.adjusted and ruled.passed


def test_non_voters_join_nobody_on_a_tie():
    ruled = tally(
        counts((10, 1000), agree=(2, 200), disagree=(2, 200)),
        category=4,
        non_voters_follow_majority=True,
    )
    assert ruled.adjusted.participating == Share(4, 400)


def test_unknown_area_marks_the_tally_incomplete():
    result = tally(counts((3, 200), agree=(3, 200), unknown=1), category=4).raw
    assert result.incomplete and result.unknown_area_units == 1
    assert not tally(counts((3, 200), agree=(3, 200)), category=4).raw.incomplete


def test_empty_roll_passes_nothing():
    result = tally(counts((0, 0)), category=4).raw
    assert not result.passed
    assert percent(result.check("participation_owners").ratio) == "—"


def test_more_ballots_than_owners_is_refused():
    with pytest.raises(ValueError):
        tally(counts((1, 100), agree=(2, 100)), category=4)


def test_percent_rounds_half_up():
    assert percent(Fraction(7413, 10000)) == "74.13"
    assert percent(Fraction(1, 3)) == "33.33"
    assert percent(Fraction(2, 3)) == "66.67"
    assert percent(Fraction(12345, 1000000)) == "1.23"
    assert percent(Fraction(12355, 1000000)) == "1.24"  # exactly half rounds up
    assert percent(Fraction(1)) == "100.00"


def test_meets_is_exact_where_floats_are_not():
    # 0.1 + 0.2 style traps: 2/3 of 3 is exactly 2.
    assert meets(2, 3, Fraction(2, 3), inclusive=True)
    assert not meets(2, 3, Fraction(2, 3), inclusive=False)
    assert not meets(666666666666666, 10**15, Fraction(2, 3), inclusive=True)


# --- the 2021 figures ----------------------------------------------------------------------

# 1,336 owners; 1,040 took part (77.84%), 771 agreed (74.13%); areas in hundredths of m².
FIGURES_2021 = counts(
    (1336, 8_000_000),
    agree=(771, 4_684_484),  # 78.86% of the participating area
    disagree=(269, 1_255_516),
    unknown=0,
)


def test_2021_figures_reproduce_and_pass_as_hiring_a_company():
    result = tally(FIGURES_2021, category=Category.SERVICE_COMPANY)
    assert result.raw.percents == {
        "participation_owners": "77.84",
        "participation_area": "74.25",
        "consent_owners": "74.13",
        "consent_area": "78.86",
    }
    assert result.passed


@pytest.mark.parametrize("category", [6, 7, 8])
def test_2021_figures_fail_as_a_major_matter(category):
    result = tally(FIGURES_2021, category=category).raw
    assert not result.check("consent_owners").passed  # 74.13% < 75%
    assert result.check("consent_area").passed  # 78.86% ≥ 75%
    assert not result.passed


# --- the roll ------------------------------------------------------------------------------


def test_roll_groups_owners_per_spc_9():
    units = [
        RosterUnit(1, 1, 6000, (RosterOwner(10),)),
        RosterUnit(2, 2, 4000, (RosterOwner(10),)),  # same person, second flat
        RosterUnit(3, 1, 5000, (RosterOwner(20, False), RosterOwner(21, True))),  # co-owned
        RosterUnit(4, 1, 7000, (RosterOwner(99),)),  # property-right unit …
        RosterUnit(5, 2, 7000, (RosterOwner(99),)),  # … holding two unsold flats
        RosterUnit(6, 2, None, (RosterOwner(30),)),  # area unknown
        RosterUnit(7, 2, 5000, ()),  # nobody owns it: a voter of its own, never voting
        RosterUnit(8, 2, 3000, ()),  # another one: not merged with the first
    ]
    roll = build_roll(units)
    assert [(v.key, v.area, v.unknown_area_units) for v in roll] == [
        ((10,), 10000, 0),
        ((20, 21), 5000, 0),
        ((99,), 14000, 0),
        ((30,), 0, 1),
        ((), 5000, 0),
        ((), 3000, 0),
    ]
    assert roll[1].representative_id == 21
    assert [v.is_ownerless for v in roll] == [False] * 4 + [True] * 2
    assert roll[4].representative_id is None
    scoped = count_ballots(roll, {}, building_ids=[2])
    assert scoped.total == Share(5, 4000 + 7000 + 5000 + 3000)
    assert scoped.unknown_area_units == 1


# --- property-based: the engine against a straightforward reference ------------------------


@st.composite
def rosters(draw):
    n_units = draw(st.integers(1, 40))
    persons = list(range(1, draw(st.integers(2, 30)) + 1))
    holders = [1000 + i for i in range(draw(st.integers(0, 3)))]  # property-right units
    units = []
    for unit_id in range(1, n_units + 1):
        kind = draw(st.sampled_from(["person", "person", "holder", "co", "none"]))
        if kind == "person" or (kind == "holder" and not holders):
            owners = (RosterOwner(draw(st.sampled_from(persons))),)
        elif kind == "holder":
            owners = (RosterOwner(draw(st.sampled_from(holders))),)
        elif kind == "co":
            pair = draw(st.lists(st.sampled_from(persons), min_size=2, max_size=3, unique=True))
            rep = draw(st.sampled_from(pair))
            owners = tuple(RosterOwner(p, p == rep) for p in pair)
        else:
            owners = ()
        area = (
            draw(st.one_of(st.none(), st.integers(1, 30000)))
            if draw(st.integers(0, 9)) == 0
            else draw(st.integers(1, 30000))
        )
        units.append(RosterUnit(unit_id, draw(st.integers(1, 4)), area, owners))
    keys = sorted({tuple(sorted(o.owner_id for o in u.owners)) for u in units if u.owners})
    choices = st.one_of(st.none(), st.sampled_from(list(Choice)))
    ballots = {k: c for k in keys if (c := draw(choices)) is not None}
    scope = draw(st.one_of(st.none(), st.lists(st.integers(1, 4), min_size=1, unique=True)))
    return units, ballots, scope


def reference(units, ballots, scope, category, spoiled_participates):
    """Unit by unit, the way a counter with a pencil would do it."""
    in_scope = [u for u in units if scope is None or u.building_id in scope]
    # A unit nobody owns is an owner of its own (SPC 9(1)) who never votes.
    owner_of = {
        u.unit_id: frozenset(o.owner_id for o in u.owners) or frozenset({f"unit {u.unit_id}"})
        for u in in_scope
    }
    owners = set(owner_of.values())
    area_total = sum(u.area or 0 for u in in_scope)

    def choice_of(owner):
        return ballots.get(tuple(sorted(owner)))

    taking_part = {Choice.AGREE, Choice.DISAGREE, Choice.ABSTAIN}
    if spoiled_participates:
        taking_part.add(Choice.SPOILED)
    part_owners = [o for o in owners if choice_of(o) in taking_part]
    agree_owners = [o for o in owners if choice_of(o) == Choice.AGREE]
    part_area = sum(u.area or 0 for u in in_scope if choice_of(owner_of[u.unit_id]) in taking_part)
    agree_area = sum(
        u.area or 0 for u in in_scope if choice_of(owner_of[u.unit_id]) == Choice.AGREE
    )
    major = category in (6, 7, 8)

    def frac(a, b):
        return Fraction(a, b) if b else None

    def ok(value, bound, inclusive):
        if value is None:
            return False
        return value >= bound if inclusive else value > bound

    ratios = {
        "participation_owners": frac(len(part_owners), len(owners)),
        "participation_area": frac(part_area, area_total),
        "consent_owners": frac(len(agree_owners), len(part_owners)),
        "consent_area": frac(agree_area, part_area),
    }
    passed = {
        "participation_owners": ok(ratios["participation_owners"], Fraction(2, 3), True),
        "participation_area": ok(ratios["participation_area"], Fraction(2, 3), True),
        "consent_owners": ok(
            ratios["consent_owners"], Fraction(3, 4) if major else Fraction(1, 2), major
        ),
        "consent_area": ok(
            ratios["consent_area"], Fraction(3, 4) if major else Fraction(1, 2), major
        ),
    }
    unknown = sum(u.area is None for u in in_scope)
    return ratios, passed, len(owners), area_total, unknown


def reference_percent(value):
    if value is None:
        return "—"
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(value.numerator) * 100 / Decimal(value.denominator)
        return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@settings(max_examples=300, deadline=None)
@given(
    rosters(),
    st.integers(1, 9),
    st.booleans(),
)
def test_tally_matches_the_reference(roster, category, spoiled_participates):
    units, ballots, scope = roster
    roll = build_roll(units)
    result = tally(
        count_ballots(roll, ballots, scope),
        category=category,
        spoiled_counts_as_participating=spoiled_participates,
    ).raw
    ratios, passed, owners, area, unknown = reference(
        units, ballots, scope, category, spoiled_participates
    )
    assert result.total == Share(owners, area)
    assert result.ratios == ratios
    assert {c.name: c.passed for c in result.checks} == passed
    assert result.passed == all(passed.values())
    assert result.incomplete == (unknown > 0)
    assert result.percents == {k: reference_percent(v) for k, v in ratios.items()}
