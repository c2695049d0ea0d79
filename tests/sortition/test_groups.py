"""Groups of interchangeable people, and person probabilities from group counts."""

from __future__ import annotations

import numpy as np
import pytest
from sortition_helpers import make_instance, two_category_people

from sortition import Distribution, build_groups, find_distribution

QUOTAS = [("gender", "f", 1, 3), ("gender", "m", 1, 3), ("age", "y", 1, 3), ("age", "o", 1, 3)]


def test_identical_people_living_alone_form_one_group() -> None:
    people = two_category_people([("f", "y", 3), ("f", "o", 2), ("m", "y", 4), ("m", "o", 1)])
    groups = build_groups(make_instance(people, QUOTAS, 4))
    assert groups.n_groups == 4 and groups.n_classes == 4
    members = sorted(sorted(m) for m in groups.group_members)
    assert members == [[0, 1, 2], [3, 4], [5, 6, 7, 8], [9]]
    assert sorted(groups.weight.tolist()) == [1, 2, 3, 4]
    np.testing.assert_array_equal(groups.capacity, groups.weight)
    for g, group in enumerate(groups.group_members):
        assert all(groups.person_group[p] == g for p in group)


def test_mixed_household_forms_its_own_class_with_two_groups() -> None:
    # p00 (f-y) lives with p05 (m-y); the other f-y and m-y people live alone.
    people = two_category_people([("f", "y", 3), ("f", "o", 2), ("m", "y", 4)], shared=[(0, 5)])
    groups = build_groups(make_instance(people, QUOTAS, 3, household="h"))
    couple = int(groups.group_class[groups.person_group[0]])
    assert couple == int(groups.group_class[groups.person_group[5]])
    assert groups.person_group[0] != groups.person_group[5]
    assert groups.class_households[couple] == ((0, 5),)
    in_class = np.flatnonzero(groups.group_class == couple)
    assert len(in_class) == 2
    assert sorted(groups.group_members[g] for g in in_class) == [(0,), (5,)]
    # the other f-y and m-y people are separate groups of single households
    assert groups.group_members[groups.person_group[1]] == (1, 2)
    assert groups.group_members[groups.person_group[6]] == (6, 7, 8)
    assert groups.n_groups == 5
    # the couple's two groups share one household: together at most one seat
    assert [sorted(c.tolist()) for c in groups.shared_classes] == [sorted(in_class.tolist())]


def test_household_of_two_alike_people() -> None:
    people = two_category_people([("f", "y", 4), ("m", "o", 2)], shared=[(0, 1)])
    groups = build_groups(make_instance(people, QUOTAS, 2, household="h"))
    g = groups.person_group[0]
    assert groups.group_members[g] == (0, 1)
    assert groups.weight[g] == 2 and groups.capacity[g] == 1
    assert groups.group_members[groups.person_group[2]] == (2, 3)


def test_person_probability_is_expected_count_over_weight() -> None:
    people = two_category_people([("f", "y", 3), ("f", "o", 2), ("m", "y", 4), ("m", "o", 3)],
                                 shared=[(0, 5), (9, 10)])  # fmt: skip
    instance = make_instance(people, QUOTAS, 4, household="h")
    result = find_distribution(instance)
    distribution = result.distribution
    groups = distribution.groups
    expected = distribution.weights @ distribution.counts
    for person in range(instance.pool.size):
        g = groups.person_group[person]
        assert result.probabilities[person] == pytest.approx(expected[g] / groups.weight[g])
    # people of one group are treated alike
    for members in groups.group_members:
        assert np.ptp(result.probabilities[list(members)]) == 0


def test_canonical_distribution_merges_and_normalises() -> None:
    people = two_category_people([("f", "y", 2), ("m", "o", 2)])
    groups = build_groups(make_instance(people, QUOTAS, 2))
    counts = np.array([[1, 1], [1, 1], [0, 2], [2, 0]])[:, : groups.n_groups]
    distribution = Distribution.canonical(groups, counts, np.array([1.0, 1.0, 0.0, 2.0]))
    assert distribution.counts.tolist() == [[1, 1], [2, 0]]
    np.testing.assert_allclose(distribution.weights, [0.5, 0.5])
    np.testing.assert_allclose(distribution.probabilities, [0.75, 0.75, 0.25, 0.25])


def test_canonical_merges_sorts_and_normalises_like_the_definition() -> None:
    """The canonical order decides which panel a seed lands on: it must be exactly the
    lexicographic order of the panels, with equal panels merged and weights normalised."""
    rng = np.random.default_rng(3)
    people = [{"id": f"p{i}", "g": "abcd"[i % 4]} for i in range(8)]
    quotas = [("g", value, 0, 4) for value in "abcd"]
    groups = build_groups(make_instance(people, quotas, 2))
    counts = rng.integers(0, 3, size=(300, groups.n_groups))
    weights = rng.random(300) * (rng.random(300) > 0.2)
    merged: dict[tuple[int, ...], float] = {}
    for row, weight in zip(counts, weights, strict=True):
        if weight > 0:
            key = tuple(int(x) for x in row)
            merged[key] = merged.get(key, 0.0) + float(weight)
    keys = sorted(merged)
    total = sum(merged[k] for k in keys)
    distribution = Distribution.canonical(groups, counts, weights)
    assert distribution.counts.tolist() == [list(k) for k in keys]
    assert distribution.weights.tolist() == [merged[k] / total for k in keys]
