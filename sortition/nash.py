"""Maximum Nash welfare: maximise the sum of the logarithms of the selection probabilities.

Frank–Wolfe column generation: the gradient of the objective prices the next panel and
an exact line search sets its weight; the duality gap bounds the distance to the optimum.
Groups that no panel can include are left out of the objective (their log would be minus
infinity). Used for comparison with LEXIMIN [1]_.

References
----------
.. [1] B. Flanigan et al., "Fair algorithms for selecting citizens' assemblies",
   Nature 596 (2021), Methods: "Other algorithms".
"""

from __future__ import annotations

import time

import numpy as np

from .groups import Distribution
from .leximin import covering_panels
from .panels import PanelSpace
from .result import ProgressCallback, SelectionResult


def _line_search(expected: np.ndarray, target: np.ndarray, people: np.ndarray,
                 mask: np.ndarray) -> float:
    """The step in [0, 1] towards ``target`` that maximises the (concave) objective."""
    direction = (target - expected)[mask]
    base, weight = expected[mask], people[mask]
    low, high = 0.0, 1.0
    for _ in range(50):
        middle = (low + high) / 2
        slope = float(weight @ (direction / np.maximum(base + middle * direction, 1e-300)))
        if slope > 0:
            low = middle
        else:
            high = middle
    return low


def nash(
    space: PanelSpace,
    *,
    tolerance: float = 1e-4,
    time_limit: float | None = None,
    progress: ProgressCallback | None = None,
    rng: np.random.Generator,
    max_iterations: int = 500,
) -> SelectionResult:
    """Maximum Nash welfare over ``space``; see the module docstring."""
    start = time.perf_counter()
    groups = space.groups
    people = groups.weight.astype(float)
    panels, forced_out = covering_panels(space, rng)
    mask = np.ones(groups.n_groups, dtype=bool)
    mask[forced_out] = False
    columns = np.array(panels, dtype=float)
    weights = np.full(len(columns), 1.0 / len(columns))
    status, message = 1, "iteration limit reached"
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        expected = weights @ columns
        gradient = np.where(mask, people / np.maximum(expected, 1e-12), 0.0)
        solution = space.best(gradient)
        assert solution.counts is not None
        gap = float(gradient @ (solution.counts - expected))
        # Concavity: the optimum exceeds the current value by at most the gap.
        if gap <= tolerance * people[mask].sum():
            status, message = 0, "Nash welfare maximised to tolerance"
            break
        if time_limit is not None and time.perf_counter() - start > time_limit:
            status, message = 1, "time limit reached"
            break
        step = _line_search(expected, solution.counts.astype(float), people, mask)
        columns = np.vstack([columns, solution.counts])
        weights = np.append(weights * (1.0 - step), step)
        if progress is not None and iterations % 10 == 0:
            progress(None, f"Nash iteration {iterations}, gap {gap:.2e}")
    distribution = Distribution.canonical(groups, columns.astype(np.int64), weights)
    return SelectionResult(
        algorithm="nash",
        status=status,
        message=message,
        distribution=distribution,
        solve_time=time.perf_counter() - start,
        iterations=iterations,
    )
