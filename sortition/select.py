"""Entry point: ``find_distribution`` dispatches to the algorithms; ``draw`` applies a seed."""

from __future__ import annotations

import numpy as np

from .draw import DrawResult, draw_from_description
from .groups import Distribution
from .model import Instance
from .result import ALGORITHMS, ProgressCallback, SelectionResult


def find_distribution(
    instance: Instance,
    *,
    algorithm: str = "leximin",
    tolerance: float = 1e-6,
    time_limit: float | None = None,
    progress: ProgressCallback | None = None,
    rng: np.random.Generator | int | None = None,
    legacy_runs: int = 1000,
) -> SelectionResult:
    """Find a lottery over panels that meet every quota (and the household rule).

    Parameters
    ----------
    instance : the pool, the quotas and the panel size.
    algorithm : ``"leximin"`` (default), ``"maximin"``, ``"nash"`` or ``"legacy"``.
    tolerance : optimality tolerance on selection probabilities.
    time_limit : seconds; when reached the best distribution so far is returned with
        ``status == 1``.
    progress : called now and then with (fraction or None, message).
    rng : random generator or seed for the randomised parts (initial panels, legacy
        runs); results are reproducible for a fixed ``rng``.
    legacy_runs : number of runs of the legacy procedure to estimate probabilities.

    Raises
    ------
    InfeasibleError : no panel meets the quotas; ``params["diagnosis"]`` says why.
    """
    raise NotImplementedError


def draw(
    distribution: Distribution | SelectionResult,
    ids: tuple[str, ...],
    seed: str,
    *,
    n_reserves: int = 0,
) -> DrawResult:
    """Draw one panel and ``n_reserves`` ordered reserves with the public ``seed``.

    ``ids`` are the pool's ids (``instance.pool.ids``); see ``sortition.draw`` for the
    exact procedure.
    """
    if isinstance(distribution, SelectionResult):
        distribution = distribution.distribution
    description = distribution.to_dict(ids, (), ())
    return draw_from_description(description, seed, n_reserves=n_reserves)


__all__ = ["ALGORITHMS", "draw", "find_distribution"]
