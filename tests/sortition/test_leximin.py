"""LEXIMIN and MAXIMIN against an independent brute force over every feasible panel.

The small pools here (12-14 people, panels of 4-5) have a few hundred feasible panels, so
``sortition_helpers.brute_force_leximin`` can solve the LEXIMIN LPs over all of them with
``scipy.optimize.linprog``; the engine (column generation over groups) must agree.
"""

from __future__ import annotations

import numpy as np
import pytest
from sortition_helpers import (
    brute_force_leximin,
    brute_force_maximin,
    make_instance,
    two_category_people,
)

from sortition import Instance, check, find_distribution

Spec = list[tuple[str, str, int]]
QuotaRows = list[tuple[str, str, int, int]]

# (people per (gender, age), households, quotas, panel size); each has a household pair.
CASES: dict[str, tuple[Spec, list[tuple[int, ...]], QuotaRows, int]] = {
    "four_levels": (
        [("f", "y", 2), ("f", "m", 2), ("f", "o", 5), ("m", "y", 3), ("m", "o", 2)],
        [(2, 3)],
        [("gender", "f", 1, 2), ("gender", "m", 3, 4),
         ("age", "y", 1, 2), ("age", "m", 0, 1), ("age", "o", 1, 2)],
        5,
    ),
    "five_levels": (
        [("f", "y", 2), ("f", "m", 2), ("f", "o", 5), ("m", "y", 3), ("m", "o", 1)],
        [(9, 7)],
        [("gender", "f", 2, 3), ("gender", "m", 2, 3),
         ("age", "y", 0, 2), ("age", "m", 0, 2), ("age", "o", 0, 2)],
        5,
    ),
    "forced_in_and_out": (
        [("f", "y", 4), ("f", "o", 1), ("m", "y", 2), ("m", "m", 4), ("m", "o", 1)],
        [(3, 4)],
        [("gender", "f", 2, 3), ("gender", "m", 2, 3),
         ("age", "y", 1, 2), ("age", "m", 0, 1), ("age", "o", 1, 3)],
        5,
    ),
    "two_values_each": (
        [("f", "y", 1), ("f", "o", 3), ("m", "y", 6), ("m", "o", 4)],
        [(1, 2), (4, 10)],
        [("gender", "f", 2, 2), ("gender", "m", 2, 2), ("age", "y", 1, 3), ("age", "o", 1, 3)],
        4,
    ),
    "three_person_household": (
        [("f", "y", 3), ("f", "o", 2), ("m", "y", 2), ("m", "o", 5)],
        [(0, 5, 8), (10, 11)],
        [("gender", "f", 1, 3), ("gender", "m", 2, 4), ("age", "y", 2, 2), ("age", "o", 3, 3)],
        5,
    ),
}  # fmt: skip


def case(name: str) -> Instance:
    spec, shared, quotas, k = CASES[name]
    return make_instance(two_category_people(spec, shared=shared), quotas, k, household="h")


def random_instance(seed: int) -> Instance:
    """A random feasible small instance with a household pair (fixed for ``seed``)."""
    for attempt in range(100):
        rng = np.random.default_rng([seed, attempt])
        n, k = int(rng.integers(12, 15)), int(rng.integers(4, 6))
        counts = rng.multinomial(n, [1 / 6] * 6)
        types = [(g, a) for g in "fm" for a in "ymo"]
        spec = [(g, a, int(c)) for (g, a), c in zip(types, counts, strict=True)]
        shared = [tuple(int(x) for x in rng.choice(n, 2, replace=False))]
        women = int(rng.integers(1, 3))
        quotas = [("gender", "f", women, women + 1), ("gender", "m", k - women - 1, k - women)]
        for age in "ymo":
            low = int(rng.integers(0, 2))
            quotas.append(("age", age, low, low + int(rng.integers(0, 3))))
        people = two_category_people(spec, shared=shared)
        instance = make_instance(people, quotas, k, household="h")
        if check(instance).feasible:
            return instance
    raise AssertionError("no feasible instance")


@pytest.mark.parametrize("name", sorted(CASES))
def test_leximin_matches_brute_force(name: str) -> None:
    instance = case(name)
    expected = brute_force_leximin(instance)
    result = find_distribution(instance)
    assert result.success
    got = result.probabilities
    assert got.min() == pytest.approx(brute_force_maximin(instance), abs=1e-6)
    np.testing.assert_allclose(np.sort(got), np.sort(expected), atol=1e-5)
    # The LEXIMIN solution is unique, so even the person-by-person vector agrees.
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_cases_are_not_trivial() -> None:
    """Guard for the test above: the cases need several LEXIMIN stages to be solved."""
    levels = {name: len(set(np.round(brute_force_leximin(case(name)), 6))) for name in CASES}
    assert levels["four_levels"] >= 4 and levels["five_levels"] >= 4, levels
    assert all(count >= 2 for count in levels.values()), levels


@pytest.mark.parametrize("seed", range(12))
def test_leximin_matches_brute_force_on_random_instances(seed: int) -> None:
    instance = random_instance(seed)
    expected = brute_force_leximin(instance)
    got = find_distribution(instance).probabilities
    np.testing.assert_allclose(np.sort(got), np.sort(expected), atol=1e-5)
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_maximin_reaches_the_lp_bound(name: str) -> None:
    instance = case(name)
    optimum = brute_force_maximin(instance)
    result = find_distribution(instance, algorithm="maximin")
    assert result.success and result.algorithm == "maximin"
    assert result.probabilities.min() == pytest.approx(optimum, abs=1e-6)


@pytest.mark.parametrize("algorithm", ["leximin", "maximin"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_bound_is_the_documented_one(name: str, algorithm: str) -> None:
    """``SelectionResult.bound``: an upper bound on the smallest probability of the people
    who can be selected at all, within ``tolerance`` of the result's minimum over them."""
    instance = case(name)
    optimum = brute_force_maximin(instance)
    result = find_distribution(instance, algorithm=algorithm)
    assert result.success and result.bound is not None
    excluded = set(check(instance).forced_out)
    selectable = [p for p in range(instance.pool.size) if p not in excluded]
    assert optimum - 1e-9 <= result.bound <= result.probabilities[selectable].min() + 1e-6


def test_forced_people_get_probability_one_and_zero() -> None:
    instance = case("forced_in_and_out")
    diagnosis = check(instance)
    assert diagnosis.feasible and diagnosis.forced_in and diagnosis.forced_out
    probabilities = find_distribution(instance).probabilities
    assert probabilities[list(diagnosis.forced_in)] == pytest.approx(1.0, abs=1e-9)
    assert probabilities[list(diagnosis.forced_out)] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("algorithm", ["leximin", "maximin", "nash"])
def test_symmetric_instance_gives_everyone_k_over_n(algorithm: str) -> None:
    # Four people of every (gender, age) combination, symmetric quotas: k/n = 6/16.
    people = two_category_people([(g, a, 4) for g in "fm" for a in "yo"])
    quotas = [("gender", "f", 2, 4), ("gender", "m", 2, 4), ("age", "y", 3, 3), ("age", "o", 3, 3)]
    instance = make_instance(people, quotas, 6)
    result = find_distribution(instance, algorithm=algorithm)
    assert result.success
    tolerance = 1e-2 if algorithm == "nash" else 1e-6
    np.testing.assert_allclose(result.probabilities, 6 / 16, atol=tolerance)


def test_same_inputs_same_distribution() -> None:
    instance = case("four_levels")
    first, second = find_distribution(instance), find_distribution(instance)
    np.testing.assert_array_equal(first.distribution.counts, second.distribution.counts)
    np.testing.assert_array_equal(first.distribution.weights, second.distribution.weights)


def test_staged_method_takes_over_when_the_relaxation_is_no_lottery(monkeypatch) -> None:
    """When the relaxed target cannot be written as a lottery over panels, the engine
    must notice (no panel improves the least squares while the error is large) and still
    return the exact LEXIMIN via the stage-by-stage method. The stand-in relaxation moves
    expected seats between two groups so that one quota's expected count leaves its
    bounds, while every group stays within its own bounds."""
    import sortition.leximin as leximin_module

    real = leximin_module.relaxed_leximin
    calls: list[object] = []

    def impossible_target(space, **options):  # noqa: ANN001, ANN202
        target = real(space, **options)
        rows = space.matrix.toarray()[1 : 1 + len(space.lower)]
        for donor in range(len(target)):
            for receiver in range(len(target)):
                moved = target.copy()
                moved[donor] -= 0.5
                moved[receiver] += 0.5
                within_groups = np.all(moved >= 0) and np.all(moved <= space.col_upper)
                counts = rows @ moved
                if within_groups and (
                    np.any(counts > space.upper + 0.25) or np.any(counts < space.lower - 0.25)
                ):
                    return moved
        raise AssertionError("no such move on this instance")

    def spy(*args, **options):  # noqa: ANN002, ANN003, ANN202
        outcome = real_decompose(*args, **options)
        calls.append(outcome)
        return outcome

    real_decompose = leximin_module._decompose
    monkeypatch.setattr(leximin_module, "relaxed_leximin", impossible_target)
    monkeypatch.setattr(leximin_module, "_decompose", spy)
    instance = case("four_levels")
    result = find_distribution(instance)
    assert calls == [None]  # the decomposition ran and proved the target unattainable
    assert result.success
    assert result.probabilities == pytest.approx(brute_force_leximin(instance), abs=1e-5)
