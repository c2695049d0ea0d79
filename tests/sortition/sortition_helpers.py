"""Helpers for the sortition tests: small CSV fixtures and a brute-force engine.

The brute-force engine lets the CLI plumbing be tested independently of the real
solvers; ``feasible_panels`` also serves as an independent oracle for the algorithm tests.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from scipy.optimize import linprog

from sortition import (
    Diagnosis,
    Distribution,
    InfeasibleError,
    Instance,
    Pool,
    Quota,
    Quotas,
    SelectionResult,
    build_groups,
)


def write(path: Path, text: str | bytes) -> Path:
    """Write a fixture file exactly as given (bytes, or text encoded as UTF-8)."""
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def make_instance(
    people: Sequence[Mapping[str, str]],
    quotas: Sequence[tuple[str, str, int, int]],
    panel_size: int,
    *,
    household: str | None = None,
) -> Instance:
    """An Instance from one dict per person (with an ``id``) and (category, value, min, max)."""
    q = Quotas(tuple(Quota(c, v, lo, hi) for c, v, lo, hi in quotas))
    keys = [p[household] for p in people] if household else None
    pool = Pool.from_rows([p["id"] for p in people], people, q, household_keys=keys)
    return Instance(pool, q, panel_size)


def feasible_panels(instance: Instance, limit: int = 200) -> list[tuple[int, ...]]:
    """Up to ``limit`` panels meeting every quota and the household rule (brute force)."""
    incidence = instance.incidence.astype(np.int64)
    lower, upper = instance.quotas.lower, instance.quotas.upper
    households = instance.pool.households
    panels = []
    for panel in itertools.combinations(range(instance.pool.size), instance.panel_size):
        if households is not None and len(set(households[list(panel)])) < len(panel):
            continue
        counts = incidence[:, list(panel)].sum(axis=1)
        if np.all(counts >= lower) and np.all(counts <= upper):
            panels.append(panel)
            if len(panels) >= limit:
                break
    return panels


def fake_find_distribution(instance: Instance, **options: object) -> SelectionResult:
    """Uniform lottery over the first feasible panels found by brute force."""
    panels = feasible_panels(instance)
    if not panels:
        raise InfeasibleError(
            "infeasible", "no panel meets the quotas", diagnosis=fake_check(instance)
        )
    groups = build_groups(instance)
    counts = np.array([groups.counts_of_panel(np.array(p)) for p in panels])
    distribution = Distribution.canonical(groups, counts, np.ones(len(panels)))
    algorithm = str(options.get("algorithm", "leximin"))
    return SelectionResult(algorithm, 0, "fake", distribution, solve_time=0.01)


def fake_check(instance: Instance, **options: object) -> Diagnosis:
    from sortition import Conflict, Relaxation

    if feasible_panels(instance, limit=1):
        return Diagnosis(feasible=True)
    quota = instance.quotas.ordered[0]
    return Diagnosis(
        feasible=False,
        conflicts=(Conflict("quota_combination", "the quotas conflict"),),
        relaxations=(Relaxation(quota.category, quota.value, "min", quota.min, 0),),
    )


# --- small instances and an independent oracle for the algorithm tests ------------------


def two_category_people(
    spec: Sequence[tuple[str, str, int]], *, shared: Iterable[tuple[int, ...]] = ()
) -> list[dict[str, str]]:
    """People ``p00, p01, ...`` with ``gender``/``age``, ``count`` of each (gender, age).

    ``shared`` lists groups of person indices living together (column ``h``); everyone
    else lives alone.
    """
    people = []
    for gender, age, count in spec:
        for _ in range(count):
            i = len(people)
            people.append({"id": f"p{i:02d}", "gender": gender, "age": age, "h": f"h{i}"})
    for household in shared:
        for i in household:
            people[i]["h"] = f"h{household[0]}"
    return people


def all_feasible_panels(instance: Instance) -> list[tuple[int, ...]]:
    """Every panel meeting the quotas and the household rule (brute force)."""
    return feasible_panels(instance, limit=sys.maxsize)


def panel_matrix(instance: Instance, panels: Sequence[tuple[int, ...]]) -> np.ndarray:
    """``(n, P)`` 0/1 matrix: person ``i`` sits on panel ``j``."""
    matrix = np.zeros((instance.pool.size, len(panels)))
    for j, panel in enumerate(panels):
        matrix[list(panel), j] = 1.0
    return matrix


def _maximin_lp(matrix: np.ndarray, free: np.ndarray, floor: np.ndarray) -> float:
    """max z s.t. (A lambda)_i >= z (free i), >= floor_i (others), lambda a distribution."""
    n, n_panels = matrix.shape
    cost = np.zeros(n_panels + 1)
    cost[-1] = -1.0
    a_ub = np.hstack([-matrix, free.astype(float)[:, None]])
    b_ub = np.where(free, 0.0, -floor)
    a_eq = np.append(np.ones(n_panels), 0.0)[None, :]
    result = linprog(
        cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0],
        bounds=[(0, None)] * n_panels + [(0, 1)], method="highs",
    )  # fmt: skip
    assert result.status == 0, result.message
    return float(result.x[-1])


def _max_person(matrix: np.ndarray, person: int, floor: np.ndarray) -> float:
    """The largest probability ``person`` can get while everyone keeps ``floor``."""
    n_panels = matrix.shape[1]
    result = linprog(
        -matrix[person], A_ub=-matrix, b_ub=-floor, A_eq=np.ones((1, n_panels)), b_eq=[1.0],
        bounds=[(0, None)] * n_panels, method="highs",
    )  # fmt: skip
    assert result.status == 0, result.message
    return float(-result.fun)


def brute_force_maximin(instance: Instance) -> float:
    """The largest smallest selection probability, by an LP over all feasible panels."""
    matrix = panel_matrix(instance, all_feasible_panels(instance))
    n = instance.pool.size
    return _maximin_lp(matrix, np.ones(n, dtype=bool), np.zeros(n))


def brute_force_leximin(instance: Instance, *, tight: float = 1e-7) -> np.ndarray:
    """Each person's LEXIMIN probability, by LPs over all feasible panels.

    Stage by stage: maximise the smallest probability of the people not fixed yet, then
    fix every person who cannot get more than that while all others keep their level.
    """
    matrix = panel_matrix(instance, all_feasible_panels(instance))
    n = instance.pool.size
    free = np.ones(n, dtype=bool)
    floor = np.zeros(n)
    while free.any():
        z = _maximin_lp(matrix, free, floor)
        level = np.where(free, z - 1e-9, floor)
        best = {int(i): _max_person(matrix, int(i), level) for i in np.flatnonzero(free)}
        fixed = [i for i, value in best.items() if value <= z + tight]
        if not fixed:  # numerically nobody is tight: the lowest one is
            fixed = [min(best, key=best.__getitem__)]
        free[fixed] = False
        floor[fixed] = z
    return floor


def assert_valid_panel(instance: Instance, members: Sequence[int]) -> None:
    """``members`` (person indices) are a panel meeting every quota and the household rule."""
    members = list(members)
    assert len(members) == instance.panel_size
    assert len(set(members)) == len(members)
    counts = instance.incidence[:, members].astype(np.int64).sum(axis=1)
    quotas = instance.quotas
    assert np.all(counts >= quotas.lower), (counts, quotas.lower)
    assert np.all(counts <= quotas.upper), (counts, quotas.upper)
    households = instance.pool.households
    if households is not None:
        assert len(set(households[members].tolist())) == len(members), "two from one household"
