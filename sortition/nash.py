"""Maximum Nash welfare: maximise the sum of the logarithms of the selection probabilities.

Pairwise Frank–Wolfe column generation: the gradient of the objective prices the next
panel and an exact line search moves weight to it from the worst panel in use; the
duality gap bounds the distance to the optimum.
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


def _line_search(
    expected: np.ndarray, direction: np.ndarray, largest: float, people: np.ndarray,
    mask: np.ndarray,
) -> float:
    """The step in [0, largest] along ``direction`` maximising the concave objective."""
    direction, base, weight = direction[mask], expected[mask], people[mask]
    low, high = 0.0, largest
    for _ in range(60):
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
    max_iterations: int = 5000,
) -> SelectionResult:
    """Maximum Nash welfare over ``space``; see the module docstring.

    Pairwise Frank–Wolfe: each step moves weight from the worst panel in use (by the
    gradient) to the best panel overall (the pricing problem), which converges linearly
    on a polytope where plain Frank–Wolfe zigzags. Stops when the duality gap per person
    is at most ``tolerance``.
    """
    start = time.perf_counter()
    groups = space.groups
    people = groups.weight.astype(float)
    panels, forced_out = covering_panels(space, rng)
    mask = np.ones(groups.n_groups, dtype=bool)
    mask[forced_out] = False
    columns = [p.astype(float) for p in panels]
    index = {p.astype(np.int64).tobytes(): j for j, p in enumerate(panels)}
    weights = np.full(len(columns), 1.0 / len(columns))
    status, message = 1, "iteration limit reached"
    n_people = people[mask].sum()
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        matrix = np.array(columns)
        expected = weights @ matrix
        gradient = np.where(mask, people / np.maximum(expected, 1e-12), 0.0)
        solution = space.best(gradient)
        assert solution.counts is not None
        # Concavity: the optimum exceeds the current value by at most the gap.
        gap = float(gradient @ (solution.counts - expected))
        if gap <= tolerance * n_people:
            status, message = 0, "Nash welfare maximised to tolerance"
            break
        if time_limit is not None and time.perf_counter() - start > time_limit:
            status, message = 1, "time limit reached"
            break
        key = solution.counts.astype(np.int64).tobytes()
        if key not in index:
            index[key] = len(columns)
            columns.append(solution.counts.astype(float))
            weights = np.append(weights, 0.0)
            matrix = np.array(columns)
        toward = index[key]
        scores = matrix @ gradient
        active = np.flatnonzero(weights > 0)
        away = int(active[np.argmin(scores[active])])
        if away == toward:
            break
        step = _line_search(
            expected, matrix[toward] - matrix[away], float(weights[away]), people, mask
        )
        weights[toward] += step
        weights[away] -= step
        if progress is not None and iterations % 50 == 0:
            progress(None, f"Nash iteration {iterations}, gap {gap / n_people:.1e} per person")
    distribution = Distribution.canonical(groups, np.array(columns).astype(np.int64), weights)
    return SelectionResult(
        algorithm="nash",
        status=status,
        message=message,
        distribution=distribution,
        solve_time=time.perf_counter() - start,
        iterations=iterations,
    )
