"""The legacy greedy procedure and maximum Nash welfare (used for comparison)."""

from __future__ import annotations

import numpy as np
import pytest
from sortition_helpers import make_instance, two_category_people

from sortition import Instance, find_distribution

QUOTAS = [("gender", "f", 2, 3), ("gender", "m", 2, 3), ("age", "y", 2, 3), ("age", "o", 2, 3)]


def symmetric_instance() -> Instance:
    people = two_category_people([(g, a, 4) for g in "fm" for a in "yo"])
    return make_instance(people, QUOTAS, 5)


def skewed_instance() -> Instance:
    people = two_category_people([("f", "y", 1), ("f", "o", 3), ("m", "y", 8), ("m", "o", 4)],
                                 shared=[(0, 4)])  # fmt: skip
    return make_instance(people, QUOTAS, 5, household="h")


def test_legacy_probabilities_are_estimates() -> None:
    instance = skewed_instance()
    result = find_distribution(instance, algorithm="legacy", legacy_runs=300, rng=7)
    assert result.estimated is True
    assert result.algorithm == "legacy" and result.success
    assert result.iterations == 300
    assert result.probabilities.sum() == pytest.approx(instance.panel_size)
    # every run is a panel: weights are multiples of 1/300
    np.testing.assert_allclose(result.distribution.weights * 300,
                               np.rint(result.distribution.weights * 300), atol=1e-9)  # fmt: skip
    again = find_distribution(instance, algorithm="legacy", legacy_runs=300, rng=7)
    np.testing.assert_array_equal(result.probabilities, again.probabilities)


def test_other_algorithms_are_exact() -> None:
    instance = skewed_instance()
    for algorithm in ("leximin", "maximin", "nash"):
        assert find_distribution(instance, algorithm=algorithm).estimated is False


def test_nash_on_symmetric_instance_is_uniform() -> None:
    instance = symmetric_instance()
    result = find_distribution(instance, algorithm="nash")
    assert result.status == 0 and result.algorithm == "nash"
    np.testing.assert_allclose(result.probabilities, 5 / 16, atol=1e-2)


def test_nash_converges_on_a_small_instance() -> None:
    # 16 people, 6 possible panel shapes: Frank-Wolfe must reach its gap well within 500
    # iterations; status 1 ("iteration limit reached") would be shown to the organiser.
    result = find_distribution(skewed_instance(), algorithm="nash")
    assert result.status == 0, result.message


def test_nash_is_fair_and_maximises_welfare() -> None:
    instance = skewed_instance()
    nash = find_distribution(instance, algorithm="nash")
    leximin = find_distribution(instance)
    probabilities = nash.probabilities
    assert probabilities.sum() == pytest.approx(instance.panel_size, abs=1e-9)
    # fair too: its smallest probability is close to LEXIMIN's optimum, never above it
    assert 0.9 * leximin.probabilities.min() <= probabilities.min()
    assert probabilities.min() <= leximin.probabilities.min() + 1e-6

    def welfare(p: np.ndarray) -> float:
        return float(np.log(p).sum())

    # within the documented tolerance (gap <= 1e-4 per person) of the optimum, which is
    # at least LEXIMIN's welfare
    gap = 1e-4 * instance.pool.size
    assert welfare(probabilities) >= welfare(leximin.probabilities) - gap
