"""Every algorithm's lottery, and the seeded draw of concrete panels from it."""

from __future__ import annotations

import hashlib
from collections import Counter
from functools import cache

import numpy as np
import pytest
from scipy.stats import chi2, chisquare
from sortition_helpers import assert_valid_panel, make_instance, two_category_people

from sortition import (
    ALGORITHMS,
    Instance,
    SelectionResult,
    draw,
    draw_from_description,
    find_distribution,
    number,
)
from sortition.panels import PanelSpace

QUOTAS = [("gender", "f", 1, 2), ("gender", "m", 3, 4),
          ("age", "y", 2, 2), ("age", "m", 1, 2), ("age", "o", 1, 3)]  # fmt: skip


def pool_instance() -> Instance:
    """20 people in 16 households (pairs of equal and of different types), panel of 5.

    The LEXIMIN probabilities are not uniform (0.2 to 0.4), so sampling tests can tell.
    """
    spec = [("f", "y", 2), ("f", "m", 3), ("f", "o", 5), ("m", "y", 5), ("m", "m", 1),
            ("m", "o", 4)]  # fmt: skip
    # (0, 10): f-y with m-y; (5, 6): two f-o; (2, 13): f-m with m-y; (15, 16): two m-o.
    people = two_category_people(spec, shared=[(0, 10), (5, 6), (2, 13), (15, 16)])
    return make_instance(people, QUOTAS, 5, household="h")


@cache
def solved(algorithm: str) -> tuple[Instance, SelectionResult]:
    instance = pool_instance()
    options = {"legacy_runs": 300} if algorithm == "legacy" else {}
    return instance, find_distribution(instance, algorithm=algorithm, **options)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_panel_of_the_lottery_meets_the_quotas(algorithm: str) -> None:
    instance, result = solved(algorithm)
    distribution = result.distribution
    space = PanelSpace(instance, distribution.groups)
    incidence = distribution.groups.group_incidence(instance)
    assert distribution.n_panels >= 1
    for counts in distribution.counts:
        assert space.is_feasible(counts)
        assert counts.sum() == instance.panel_size
        per_quota = incidence @ counts
        assert np.all(per_quota >= instance.quotas.lower)
        assert np.all(per_quota <= instance.quotas.upper)
    assert np.all(distribution.weights > 0)
    assert distribution.weights.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_probabilities_sum_to_panel_size(algorithm: str) -> None:
    instance, result = solved(algorithm)
    probabilities = result.probabilities
    assert result.algorithm == algorithm
    assert probabilities.shape == (instance.pool.size,)
    assert np.all(probabilities >= -1e-12) and np.all(probabilities <= 1 + 1e-12)
    assert probabilities.sum() == pytest.approx(instance.panel_size, abs=1e-9)
    # housemates share one seat at most
    households = instance.pool.households
    assert households is not None
    for household in set(households.tolist()):
        assert probabilities[households == household].sum() <= 1 + 1e-9


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_drawn_panels_meet_quotas_and_household_rule(algorithm: str) -> None:
    instance, result = solved(algorithm)
    ids = instance.pool.ids
    index = {person: i for i, person in enumerate(ids)}
    for s in range(200):
        outcome = draw(result, ids, f"seed-{s}", n_reserves=3)
        members = [index[p] for p in outcome.selected]
        assert_valid_panel(instance, members)
        reserves = [index[p] for p in outcome.reserves]
        assert len(reserves) == 3 and not set(reserves) & set(members)
        households = instance.pool.households
        assert households is not None
        # reserves never live with a member or with an earlier reserve
        assert len(set(households[members + reserves].tolist())) == len(members) + 3
        # the drawn panel is the one the published counts describe
        groups = result.distribution.groups
        counts = groups.counts_of_panel(np.array(members))
        np.testing.assert_array_equal(counts, result.distribution.counts[outcome.panel_index])


def test_sampling_frequencies_match_probabilities() -> None:
    instance, result = solved("leximin")
    distribution = result.distribution
    description = distribution.to_dict(instance.pool.ids, (), ())
    runs = 2000
    chosen_panels: Counter[int] = Counter()
    chosen_people: Counter[str] = Counter()
    for s in range(runs):
        outcome = draw_from_description(description, f"s{s}")
        chosen_panels[outcome.panel_index] += 1
        chosen_people.update(outcome.selected)
    # which panel: a multinomial over the published panels
    observed = np.array([chosen_panels[j] for j in range(distribution.n_panels)])
    assert chisquare(observed, runs * distribution.weights).pvalue > 0.001
    # who: each person's count is binomial(runs, p); certain people are always/never drawn
    probabilities = result.probabilities
    observed = np.array([chosen_people[p] for p in instance.pool.ids], dtype=float)
    assert observed.sum() == runs * instance.panel_size
    certain = (probabilities < 1e-9) | (probabilities > 1 - 1e-9)
    np.testing.assert_array_equal(observed[certain], runs * np.rint(probabilities[certain]))
    p, o = probabilities[~certain], observed[~certain]
    statistic = float((((o - runs * p) ** 2) / (runs * p * (1 - p))).sum())
    # a sum of squared standard normals (negatively correlated, so this is conservative)
    assert chi2.sf(statistic, df=len(p)) > 0.001


def test_same_seed_same_panel_and_seeds_differ() -> None:
    instance, result = solved("leximin")
    ids = instance.pool.ids
    first = draw(result, ids, "Amsterdam 2025", n_reserves=4)
    again = draw(result, ids, "Amsterdam 2025", n_reserves=4)
    assert first == again
    panels = {draw(result, ids, f"seed {s}").selected for s in range(20)}
    assert len(panels) > 1
    # the seed is used exactly as given: case and spaces matter
    assert {draw(result, ids, s).number for s in ("x", "X", " x")} == {
        number("x", "panel"), number("X", "panel"), number(" x", "panel")
    }
    assert len({number(s, "panel") for s in ("x", "X", " x")}) == 3


def _independent_u(seed: str) -> float:
    text = "burgerberaad-draw-v1\x1f" + seed + "\x1fpanel"
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@pytest.mark.parametrize("seed", ["2025-03-14 Lotto 7 12 19", "s0", "é ünïcode"])
def test_draw_follows_the_documented_procedure(seed: str) -> None:
    instance, result = solved("leximin")
    outcome = draw(result, instance.pool.ids, seed)
    u = _independent_u(seed)
    assert outcome.number == u
    weights = result.distribution.weights
    running = np.cumsum(weights)
    expected = int(np.searchsorted(running, u, side="right"))
    assert outcome.panel_index == min(expected, len(weights) - 1)
    assert outcome.seed == seed

