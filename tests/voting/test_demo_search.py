"""The search that reproduces the published 2021 figures from a roll."""

import random

import pytest

from voting import rules
from voting.demo import choose_ballots, owner_counts


def synthetic_roll(owners: int, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    roll = []
    for key in range(1, owners + 1):
        kind = rng.random()
        if kind < 0.01:  # a property-right unit holding several flats
            area = sum(rng.randint(4000, 9000) for _ in range(rng.randint(3, 16)))
        elif kind < 0.03:  # one person with two flats
            area = rng.randint(4000, 9000) + rng.randint(4000, 9000)
        else:
            area = rng.randint(2500, 12000)
        roll.append((key, area))
    return roll


@pytest.mark.parametrize("owners,seed", [(1336, 1), (1336, 2), (1331, 3), (1286, 4)])
def test_search_hits_the_four_published_figures(owners, seed):
    roll = synthetic_roll(owners, seed)
    picked = choose_ballots(roll)
    assert picked.exact
    area = dict(roll)
    part = sum(area[k] for k in picked.participants)
    agree = sum(area[k] for k in picked.consenters)
    counts = rules.ItemCounts(
        total=rules.Share(len(roll), sum(area.values())),
        agree=rules.Share(len(picked.consenters), agree),
        disagree=rules.Share(len(picked.participants) - len(picked.consenters), part - agree),
    )
    result = rules.tally(counts, category=4)
    assert result.raw.percents == {
        "participation_owners": "77.84",
        "participation_area": "74.25",
        "consent_owners": "74.13",
        "consent_area": "78.86",
    }
    assert result.passed
    assert not rules.tally(counts, category=7).passed
    assert picked.consenters <= picked.participants
    assert choose_ballots(roll) == picked  # deterministic


def test_only_some_roll_sizes_can_show_both_owner_ratios():
    feasible = [n for n in range(1200, 1501) if owner_counts(n)]
    assert feasible == [1286, 1331, 1336, 1435, 1480]


def test_an_infeasible_roll_gets_the_nearest_figures_and_says_so():
    picked = choose_ballots(synthetic_roll(1385, 5))
    assert not picked.exact
    assert len(picked.participants) == 1078
