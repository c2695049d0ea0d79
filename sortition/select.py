"""Entry point: ``find_distribution`` dispatches to the algorithms; ``draw`` applies a seed."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from .draw import DrawResult, draw_from_description
from .errors import InfeasibleError, InputError
from .groups import Distribution, build_groups
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
    # The least squares and the swap search multiply small matrices thousands of times.
    # A multi-threaded BLAS only adds synchronisation to those, and on a machine whose
    # cores are busy it made whole runs 5x slower (sweep-2000-k100-3: 50 s against 8 s).
    with threadpool_limits(limits=1, user_api="blas"):
        return _find_distribution(
            instance, algorithm=algorithm, tolerance=tolerance, time_limit=time_limit,
            progress=progress, rng=rng, legacy_runs=legacy_runs,
        )


def _find_distribution(
    instance: Instance,
    *,
    algorithm: str,
    tolerance: float,
    time_limit: float | None,
    progress: ProgressCallback | None,
    rng: np.random.Generator | int | None,
    legacy_runs: int,
) -> SelectionResult:
    # The solvers (HiGHS, SciPy's sparse matrices and linear algebra) are imported when
    # a distribution is computed, so that ``import sortition`` and the commands that only
    # read or replay a draw start quickly.
    from .feasibility import check
    from .legacy import legacy
    from .leximin import leximin
    from .nash import nash
    from .panels import PanelSpace

    if algorithm not in ALGORITHMS:
        raise InputError(
            "unknown_algorithm",
            f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}",
            algorithm=algorithm,
        )
    # A fixed default keeps the distribution a function of the inputs alone.
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(
        0 if rng is None else rng
    )
    groups = build_groups(instance)
    space = PanelSpace(instance, groups)
    if space.best(np.zeros(groups.n_groups), relaxation_first=False).counts is None:
        diagnosis = check(instance, groups=groups)
        raise InfeasibleError(
            "infeasible",
            "no panel meets all quotas"
            + (": " + "; ".join(str(r) for r in diagnosis.relaxations)
               if diagnosis.relaxations else ""),
            diagnosis=diagnosis,
        )
    if algorithm == "legacy":
        return legacy(
            instance, groups, runs=legacy_runs, rng=generator, progress=progress,
            time_limit=time_limit,
        )
    if algorithm == "nash":
        # Nash's tolerance is a duality gap per person, not a probability error; 1e-4 is
        # plenty for a comparison and much cheaper than 1e-6.
        return nash(
            space, tolerance=max(tolerance, 1e-4), time_limit=time_limit, progress=progress,
            rng=generator,
        )
    return leximin(
        space,
        tolerance=tolerance,
        time_limit=time_limit,
        progress=progress,
        rng=generator,
        stages=1 if algorithm == "maximin" else None,
        algorithm=algorithm,
    )


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
